// The digits page trains its Transformer option in Chromium on the WebAssembly backend: each 8x8
// digit read as a sequence of rows, multi-head attention and layer norm in the worker, end to end.
import { expect, it } from 'vitest';
import { useDevServer } from './support/dev-server.js';

const open = useDevServer();

it('digits: the Transformer option trains and predicts', async () => {
  const { page, errors } = await open('?backend=wasm#/digits');
  await page.waitForFunction(() => document.body.dataset.backend === 'wasm', null, { timeout: 60_000 });
  await expect.poll(() => page.locator('#digits-split').textContent(), { timeout: 60_000 }).toMatch(/1,258 training/);
  await page.getByLabel('Model', { exact: true }).selectOption('transformer');
  await page.getByLabel('Epochs', { exact: true }).selectOption('5');
  await page.locator('#digits-train').click();
  await expect
    .poll(() => page.locator('#digits-progress').evaluate((p) => (p as HTMLProgressElement).value), {
      timeout: 120_000,
    })
    .toBe(5);
  expect(await page.locator('#digits-model').textContent()).toContain('TransformerEncoderLayer(32, 4 heads)');
  await page.locator('#digits-sample').click();
  await expect.poll(() => page.locator('#digits-prediction').getAttribute('data-final')).toBe('true');
  expect(errors).toEqual([]);
});
