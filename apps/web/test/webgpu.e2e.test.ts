// The page in headless Chromium with WebGPU (the OpenGL ES adapter over ANGLE): the playground
// solves XOR, a drawn digit is classified, models go out and come back in (also from
// `myelin train`), a corrupt upload changes nothing, and every backend's speed is measured.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESULTS, drawStrokes, startApp, unlabelledControls, waitForBackend, type AppSession } from './support/app.js';
import { trainWithCli } from './support/cli-checkpoint.js';

let app: AppSession;
const measurements: Record<string, unknown> = {};

beforeAll(async () => {
  app = await startApp('webgpu');
  // On this machine WebGPU runs on a software adapter, so the page would start on WebAssembly.
  await app.open('backend=webgpu');
  await waitForBackend(app.page, 'webgpu');
});

afterAll(async () => {
  writeFileSync(path.join(RESULTS, 'measurements-webgpu.json'), `${JSON.stringify(measurements, null, 2)}\n`);
  await app?.close();
});

/** The probabilities the digits page shows for the current drawing. */
async function probabilities(): Promise<number[]> {
  const text = await app.page.locator('#digits-prediction').getAttribute('data-probabilities');
  return (text ?? '').split(',').map(Number);
}

describe('on WebGPU', () => {
  it('Playground: XOR reaches 100% training accuracy soon after Start', async () => {
    const { page } = app;
    await expect.poll(() => page.locator('#backend-status').textContent()).toMatch(/WebGPU/);
    // Setting up compiles the shaders (a throwaway epoch); the clock starts at the click.
    await page.locator('.playground[data-ready="true"]').waitFor({ timeout: 60_000 });
    await page.locator('#playground-start').click();
    const reached = page.locator('#playground-reached[data-seconds]');
    await reached.waitFor({ timeout: 30_000 });
    const seconds = Number(await reached.getAttribute('data-seconds'));
    measurements.xorSecondsToFullTrainingAccuracy = seconds;
    measurements.xorWorkerSecondsToFullTrainingAccuracy = Number(await reached.getAttribute('data-worker-seconds'));
    measurements.xorReachedLine = await reached.textContent();
    measurements.webgpuAdapter = await page.locator('#backend-status').textContent();
    console.info(`XOR: 100% training accuracy ${seconds.toFixed(2)} s after Start on ${measurements.webgpuAdapter}`);
    expect(seconds).toBeLessThan(10);
    await page.waitForTimeout(600);
    await page.locator('#playground-start').click(); // pause
    await page.waitForFunction(() => document.querySelector('.playground')?.getAttribute('data-running') === 'false');
    await app.screenshot('playground-webgpu');
  });

  it('Playground: the controls are labelled and work from the keyboard', async () => {
    const { page } = app;
    expect(await unlabelledControls(page)).toEqual([]);
    await page.locator('#playground-step').focus();
    const before = await page.locator('#playground-epoch').textContent();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#playground-epoch').textContent()).not.toBe(before);
    await page.getByLabel('Dataset').focus();
    await page.keyboard.press('ArrowDown'); // circles
    await expect.poll(() => page.getByLabel('Dataset').inputValue()).toBe('circles');
  });

  it('Digits: trains, classifies a drawn digit, and shows the confusion matrix', async () => {
    const { page } = app;
    await page.locator('#nav-digits').click();
    await page.getByLabel('Epochs').selectOption('10');
    await page.locator('#digits-train').click();
    await page.locator('#digits-confusion[data-accuracy]').waitFor({ timeout: 90_000 });
    const accuracy = Number(await page.locator('#digits-confusion').getAttribute('data-accuracy'));
    measurements.digitsTestAccuracy = accuracy;
    measurements.digitsSamplesPerSecondWhileTraining = Number(
      await page.locator('#digits-speed').getAttribute('data-samples-per-second'),
    );
    expect(accuracy).toBeGreaterThan(0.9);
    // A "7": a bar across the top and a stroke down to the bottom left.
    await drawStrokes(page, '.draw-pad', [
      [
        [0.25, 0.2],
        [0.75, 0.2],
        [0.45, 0.85],
      ],
    ]);
    await expect.poll(() => page.locator('#digits-prediction').getAttribute('data-final')).toBe('true');
    const p = await probabilities();
    expect(p).toHaveLength(10);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    // The prediction is recorded: a digit class, the most probable one, named in the text with its probability.
    const digit = Number(await page.locator('#digits-prediction').getAttribute('data-digit'));
    expect(Number.isInteger(digit) && digit >= 0 && digit <= 9).toBe(true);
    expect(p[digit]).toBe(Math.max(...p));
    const text = (await page.locator('#digits-prediction').textContent()) ?? '';
    expect(text).toMatch(new RegExp(`It looks like a ${digit} \\(${(p[digit]! * 100).toFixed(1)}%\\)\\.$`));
    measurements.drawnSevenPrediction = text;
    // A trained network reads the drawn 7 as a 7 (its top-3 at least, as strokes vary by renderer).
    expect([...p.keys()].sort((a, b) => p[b]! - p[a]!).slice(0, 3)).toContain(7);
    await app.screenshot('digits-webgpu');
  });

  it('Digits: an exported model re-imports and predicts the same', async () => {
    const { page } = app;
    const before = await probabilities();
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export model' }).first().click();
    const download = await downloading;
    const file = path.join(RESULTS, 'myelin-digits.safetensors');
    await download.saveAs(file);
    expect(readFileSync(file).length).toBeGreaterThan(1000);
    await page.locator('#digits-reset').click();
    await expect.poll(async () => (await probabilities()).join()).not.toBe(before.join());
    await page.locator('.digits input[type=file]').setInputFiles(file);
    await expect
      .poll(() => page.locator('#digits-file-status').textContent())
      .toMatch(/Imported myelin-digits\.safetensors/);
    await expect.poll(async () => (await probabilities()).join()).toBe(before.join());
  });

  it('Digits: a corrupt upload shows the error and changes nothing', async () => {
    const { page } = app;
    const before = await probabilities();
    const model = await page.locator('#digits-model').textContent();
    const good = readFileSync(path.join(RESULTS, 'myelin-digits.safetensors'));
    const corrupt = Buffer.from(good);
    corrupt.writeUInt32LE(0xffffff, 0); // a header length past the end of the file
    await page
      .locator('.digits input[type=file]')
      .setInputFiles({ name: 'corrupt.safetensors', mimeType: 'application/octet-stream', buffer: corrupt });
    const alert = page.locator('.digits [role=alert]:not([hidden])').last();
    await expect.poll(() => alert.textContent()).toMatch(/Import failed, nothing was changed/);
    expect(await probabilities()).toEqual(before);
    expect(await page.locator('#digits-model').textContent()).toBe(model);
    // A model of the wrong shape (the playground's 2-input network) is refused too.
    const truncated = good.subarray(0, good.length - 100);
    await page
      .locator('.digits input[type=file]')
      .setInputFiles({ name: 'truncated.safetensors', mimeType: 'application/octet-stream', buffer: truncated });
    await expect.poll(() => alert.textContent()).toMatch(/truncated\.safetensors/);
    expect(await probabilities()).toEqual(before);
    await app.screenshot('digits-corrupt-upload');
  });

  it('Digits: imports the best checkpoint that myelin train wrote (json + safetensors files)', async () => {
    const { page } = app;
    const { files } = await trainWithCli(3);
    await page.locator('.digits input[type=file]').setInputFiles(files);
    await expect
      .poll(() => page.locator('#digits-file-status').textContent(), { timeout: 20_000 })
      .toMatch(/trained by myelin train/);
    await expect
      .poll(() => page.locator('#digits-model').textContent())
      .toMatch(/Linear\(64->32\) ReLU Linear\(32->16\) ReLU Linear\(16->10\)/);
    await expect
      .poll(async () => Number(await page.locator('#digits-confusion').getAttribute('data-accuracy')))
      .toBeGreaterThan(0.5);
    expect(await page.locator('#digits-split').textContent()).toMatch(/pixels \/ 16/);
    await app.screenshot('digits-cli-checkpoint');
  });

  it('Digits: the last model is back after a reload (IndexedDB)', async () => {
    const { page } = app;
    const model = await page.locator('#digits-model').textContent();
    await page.reload();
    await waitForBackend(page, 'webgpu');
    await expect
      .poll(() => page.locator('#digits-file-status').textContent(), { timeout: 30_000 })
      .toMatch(/Restored your last model/);
    expect(await page.locator('#digits-model').textContent()).toBe(model);
  });

  it('Function approximation: trains and plots prediction against truth', async () => {
    const { page } = app;
    await page.locator('#nav-function').click();
    await page.getByLabel('Samples per step').selectOption('32');
    await page.getByLabel('Steps', { exact: true }).selectOption('1000');
    await page.locator('#function-start').click();
    await expect
      .poll(() => page.locator('#function-progress').textContent(), { timeout: 60_000 })
      .toBe('Step 1,000 of 1,000');
    // The loss plot has points (one per 100 steps), and the loss went down; the fit plot has its curve.
    const lossPlot = page.locator('figure.chart', { hasText: 'Training loss' });
    await expect.poll(async () => Number(await lossPlot.getAttribute('data-points'))).toBeGreaterThanOrEqual(5);
    const [first, last] = [
      Number(await lossPlot.getAttribute('data-first-value')),
      Number(await lossPlot.getAttribute('data-last-value')),
    ];
    expect(last).toBeLessThan(first * 0.5);
    const fitPlot = page.locator('.plots-panel figure.chart').first();
    expect(Number(await fitPlot.getAttribute('data-points'))).toBeGreaterThan(10);
    await app.screenshot('function-webgpu');
  });

  it('Backends: every backend reports availability and training speed', async () => {
    const { page } = app;
    await page.locator('#nav-backends').click();
    await page.locator('#backends-measure').click();
    for (const name of ['webgpu', 'wasm', 'cpu-reference']) {
      const cell = page.locator(`tr[data-backend="${name}"] td.speed`);
      await expect.poll(() => cell.getAttribute('data-samples-per-second'), { timeout: 90_000 }).toMatch(/^\d+$/);
      measurements[`digitsMlpSamplesPerSecond_${name}`] = Number(await cell.getAttribute('data-samples-per-second'));
      // Each backend is named, and says whether it is usable here (with details).
      const row = page.locator(`tr[data-backend="${name}"]`);
      expect((await row.locator('th').textContent())?.trim()).not.toBe('');
      await expect.poll(() => row.locator('td.availability').getAttribute('class')).toMatch(/availability (yes|no)$/);
      expect((await row.locator('td.details').textContent())?.trim()).not.toBe('');
    }
    // The backend in use is one of them, marked as such.
    expect(await page.locator('tr.active[data-backend]').count()).toBe(1);
    console.info(`digits MLP samples/s: ${JSON.stringify(measurements)}`);
    await app.screenshot('backends-webgpu');
  });

  it('renders on a narrow (phone) screen without horizontal scrolling', async () => {
    const { page } = app;
    await page.setViewportSize({ width: 390, height: 844 });
    for (const route of ['playground', 'digits', 'function', 'backends']) {
      await page.locator(`#nav-${route}`).click();
      await page.waitForTimeout(300);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${route} overflows by ${overflow}px`).toBeLessThanOrEqual(0);
      expect(await unlabelledControls(page), `unlabelled controls on ${route}`).toEqual([]);
      await app.screenshot(`narrow-${route}`);
    }
  });

  it('logged no console errors', () => {
    expect(app.errors).toEqual([]);
  });
});
