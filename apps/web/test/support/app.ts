// One browser session against the built page: console errors are collected (a test ends by
// asserting there were none), and screenshots go to test-results/ (gitignored).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, type BrowserMode } from './browser.js';
import { serveDirectory, type StaticServer } from './static-server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const DIST = path.resolve(here, '../../dist');
export const RESULTS = path.resolve(here, '../../test-results');

export interface AppSession {
  server: StaticServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** console.error messages and uncaught exceptions, from the page and its workers. */
  errors: string[];
  open(query?: string, route?: string): Promise<void>;
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function startApp(mode: BrowserMode, viewport = { width: 1360, height: 1000 }): Promise<AppSession> {
  mkdirSync(RESULTS, { recursive: true });
  const server = await serveDirectory(DIST);
  const browser = await launchChromium(mode);
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  const watch = (target: Page): void => {
    target.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
    });
    target.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  };
  watch(page);
  page.on('worker', (worker) =>
    worker.on('console', (message) => {
      if (message.type() === 'error') errors.push(`worker console.error: ${message.text()}`);
    }),
  );
  return {
    server,
    browser,
    context,
    page,
    errors,
    async open(query = '', route = 'playground') {
      await page.goto(`${server.url}${query ? `?${query}` : ''}#/${route}`);
    },
    async screenshot(name) {
      const file = path.join(RESULTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** Waits until the page trains on `backend` (the header says so). */
export async function waitForBackend(page: Page, backend: string, timeout = 60_000): Promise<void> {
  await page.waitForFunction((name) => document.body.dataset.backend === name, backend, { timeout });
}

/** Draws strokes on a canvas with real mouse events; points are fractions of its size. */
export async function drawStrokes(page: Page, selector: string, strokes: [number, number][][]): Promise<void> {
  const box = await page.locator(selector).boundingBox();
  if (!box) throw new Error(`${selector} is not visible`);
  for (const stroke of strokes) {
    const [first, ...rest] = stroke;
    await page.mouse.move(box.x + first![0] * box.width, box.y + first![1] * box.height);
    await page.mouse.down();
    for (const [x, y] of rest) await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps: 6 });
    await page.mouse.up();
  }
}

/** Every form control and button has an accessible name; returns the ones without. */
export function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const missing: string[] = [];
    for (const element of document.querySelectorAll<HTMLElement>(
      'main :is(input, select, button, textarea, [role=button])',
    )) {
      if (element.closest('[hidden]') || element.classList.contains('visually-hidden')) continue;
      const labelled =
        (element as HTMLInputElement).labels?.length ||
        element.getAttribute('aria-label') ||
        element.getAttribute('aria-labelledby') ||
        element.textContent?.trim();
      if (!labelled) missing.push(element.outerHTML.slice(0, 120));
    }
    return missing;
  });
}
