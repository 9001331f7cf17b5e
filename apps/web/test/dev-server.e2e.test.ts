// `pnpm dev` serves the page from source: Vite's dev server, in Chromium, loads the worker,
// a backend (WebAssembly and its .wasm files) and the bundled digits.
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

it('the dev server serves a working page', async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  await page.goto(`${server.resolvedUrls!.local[0]}?backend=wasm#/digits`);
  await page.waitForFunction(() => document.body.dataset.backend === 'wasm', null, { timeout: 60_000 });
  await expect
    .poll(() => page.locator('#digits-split').textContent(), { timeout: 60_000 })
    .toMatch(/1,258 training, 270 validation and 269 test images/);
  await page.locator('#digits-sample').click();
  await expect.poll(() => page.locator('#digits-prediction').getAttribute('data-final')).toBe('true');
  expect(errors).toEqual([]);
});
