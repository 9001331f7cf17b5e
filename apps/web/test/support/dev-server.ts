// The page served from source by Vite's dev server, opened in Chromium without WebGPU, for the
// e2e tests that start their own server; errors the page logs are collected for the assertions.
import { afterAll, beforeAll } from 'vitest';
import { createServer, type ViteDevServer } from 'vite';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser.js';

export interface DevServerPage {
  page: Page;
  /** Page errors and console errors, in order. */
  errors: string[];
}

/** Starts a dev server and Chromium before the file's tests and stops them after; returns an opener. */
export function useDevServer(): (hashAndQuery: string) => Promise<DevServerPage> {
  let server: ViteDevServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await createServer({
      root: fileURLToPath(new URL('../..', import.meta.url)),
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
  return async (hashAndQuery) => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
    await page.goto(`${server.resolvedUrls!.local[0]}${hashAndQuery}`);
    return { page, errors };
  };
}
