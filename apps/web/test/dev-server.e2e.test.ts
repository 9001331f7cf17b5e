// `pnpm dev` serves the page from source: Vite's dev server, in Chromium, loads the worker,
// a backend (WebAssembly and its .wasm files) and the bundled digits.
import { expect, it } from 'vitest';
import { useDevServer } from './support/dev-server.js';

const open = useDevServer();

it('the dev server serves a working page', async () => {
  const { page, errors } = await open('?backend=wasm#/digits');
  await page.waitForFunction(() => document.body.dataset.backend === 'wasm', null, { timeout: 60_000 });
  await expect
    .poll(() => page.locator('#digits-split').textContent(), { timeout: 60_000 })
    .toMatch(/1,258 training, 270 validation and 269 test images/);
  await page.locator('#digits-sample').click();
  await expect.poll(() => page.locator('#digits-prediction').getAttribute('data-final')).toBe('true');
  expect(errors).toEqual([]);
});
