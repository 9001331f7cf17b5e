// Chromium without WebGPU: the page says why WebGPU is unavailable and trains on WebAssembly.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESULTS, startApp, waitForBackend, type AppSession } from './support/app.js';

let app: AppSession;
const measurements: Record<string, unknown> = {};

beforeAll(async () => {
  app = await startApp('no-webgpu');
  await app.open();
  await waitForBackend(app.page, 'wasm');
});

afterAll(async () => {
  writeFileSync(path.join(RESULTS, 'measurements-wasm-fallback.json'), `${JSON.stringify(measurements, null, 2)}\n`);
  await app?.close();
});

describe('without WebGPU', () => {
  it('falls back to WebAssembly and solves XOR', async () => {
    const { page } = app;
    expect(await page.locator('#backend-status').textContent()).toMatch(/WebAssembly: SIMD true/);
    await page.locator('.playground[data-ready="true"]').waitFor({ timeout: 30_000 });
    await page.locator('#playground-start').click();
    const reached = page.locator('#playground-reached[data-seconds]');
    await reached.waitFor({ timeout: 30_000 });
    measurements.xorSecondsToFullTrainingAccuracy = Number(await reached.getAttribute('data-seconds'));
    measurements.xorReachedLine = await reached.textContent();
    await page.locator('#playground-start').click();
    await page.waitForFunction(() => document.querySelector('.playground')?.getAttribute('data-running') === 'false');
    await app.screenshot('playground-wasm-fallback');
  });

  it('lessons: one layer cannot solve XOR; deep sigmoid learns slowly where ReLU does not', async () => {
    const { page } = app;
    await page.getByRole('button', { name: '1. One layer cannot solve XOR' }).click();
    await expect.poll(() => page.locator('#playground-model').textContent()).toMatch(/^Linear\(2->1\) Sigmoid/);
    await page.locator('#playground-start').click();
    await expect
      .poll(async () => Number(await page.locator('#playground-epoch').textContent()), { timeout: 30_000 })
      .toBeGreaterThan(150);
    await page.locator('#playground-start').click();
    await page.waitForFunction(() => document.querySelector('.playground')?.getAttribute('data-running') === 'false');
    const accuracy = Number((await page.locator('#playground-accuracy').textContent())!.replace('%', ''));
    const loss = Number(await page.locator('#playground-loss').textContent());
    measurements.singleLayerXor = { accuracy, loss };
    expect(accuracy).toBeLessThan(75);
    expect(loss).toBeGreaterThan(0.6);
    await app.screenshot('lesson-1-single-layer');

    await page.getByRole('button', { name: '3. Deep sigmoid nets learn slowly; ReLU does not' }).click();
    // Both runs (200 epochs each), then the charts hold both loss curves.
    await expect.poll(() => page.locator('#playground-model').textContent(), { timeout: 60_000 }).toMatch(/ReLU/);
    await expect.poll(() => page.locator('#playground-epoch').textContent(), { timeout: 60_000 }).toBe('200');
    await page.waitForFunction(() => document.querySelector('.playground')?.getAttribute('data-running') === 'false');
    const reluLoss = Number(await page.locator('#playground-loss').textContent());
    measurements.deepReluLossAfter200Epochs = reluLoss;
    expect(reluLoss).toBeLessThan(0.3);
    await app.screenshot('lesson-3-sigmoid-vs-relu');
  });

  it('switching backends carries the trained model over and training continues', async () => {
    const { page } = app;
    const loss = await page.locator('#playground-loss').textContent();
    await page.locator('#backend-select').selectOption('cpu-reference');
    await waitForBackend(page, 'cpu-reference');
    await expect
      .poll(() => page.locator('.playground [role=status]').first().textContent())
      .toMatch(/Moved the model to cpu-reference/);
    expect(await page.locator('#playground-epoch').textContent()).toBe('200');
    expect(await page.locator('#playground-loss').textContent()).toBe(loss);
    await page.locator('#playground-step').click();
    await expect.poll(() => page.locator('#playground-epoch').textContent()).toBe('201');
    expect(Number(await page.locator('#playground-loss').textContent())).toBeLessThan(0.01);
  });

  it('says why WebGPU is not available, and offers it as disabled', async () => {
    const { page } = app;
    await page.locator('#nav-backends').click();
    const row = page.locator('tr[data-backend="webgpu"]');
    await expect.poll(() => row.locator('td.availability').textContent(), { timeout: 30_000 }).toBe('no');
    expect(await row.locator('td.details').textContent()).toMatch(/WebGPU is not available|navigator\.gpu/);
    expect(await page.locator('#backend-select option[value="webgpu"]').isDisabled()).toBe(true);
    await app.screenshot('backends-wasm-fallback');
  });

  it('logged no console errors', () => {
    expect(app.errors).toEqual([]);
  });
});
