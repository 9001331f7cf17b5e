// The digits page trains its CNN option in Chromium on the WebAssembly backend: conv2d, pooling
// and batch norm (unfold + matmul, a tf.gather on wasm) in the worker, end to end.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServer, type ViteDevServer } from 'vite';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchChromium } from './support/browser.js';

let server: ViteDevServer;
let browser: Browser;

beforeAll(async () => {
  server = await createServer({
    root: fileURLToPath(new URL('..', import.meta.url)),
    server: { port: 0, host: '127.0.0.1' },
    logLevel: 'error',
    clearScreen: false,
  });
  await server.listen();
  browser = await launchChromium('no-webgpu');
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it('digits: the CNN option trains and predicts', async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  await page.goto(`${server.resolvedUrls!.local[0]}?backend=wasm#/digits`);
  await page.waitForFunction(() => document.body.dataset.backend === 'wasm', null, { timeout: 60_000 });
  await expect.poll(() => page.locator('#digits-split').textContent(), { timeout: 60_000 }).toMatch(/1,258 training/);
  await page.getByLabel('Model', { exact: true }).selectOption('cnn');
  await page.getByLabel('Epochs', { exact: true }).selectOption('5');
  await page.locator('#digits-train').click();
  await expect
    .poll(() => page.locator('#digits-progress').evaluate((p) => (p as HTMLProgressElement).value), {
      timeout: 120_000,
    })
    .toBe(5);
  expect(await page.locator('#digits-model').textContent()).toContain('Conv2d(1->8, 3)');
  await page.locator('#digits-sample').click();
  await expect.poll(() => page.locator('#digits-prediction').getAttribute('data-final')).toBe('true');
  expect(errors).toEqual([]);
});
