import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DIGITS_SAMPLES } from '../sources/digits.js';
import { loadDigits, readCsv } from './tables.js';

const XOR_PATH = fileURLToPath(new URL('../../../../examples/data/xor.txt', import.meta.url));

describe('loadDigits (bundled)', () => {
  it('loads the 1,797 8x8 digits with values 0-16 and labels 0-9', async () => {
    const digits = await loadDigits();
    expect(digits.length).toBe(DIGITS_SAMPLES);
    expect(digits.x.shape).toEqual([1797, 64]);
    const first = digits.get(0);
    // scikit-learn's load_digits().data[0] begins 0, 0, 5, 13, 9, 1 and is a 0.
    expect(Array.from(first.x.data.subarray(0, 6))).toEqual([0, 0, 5, 13, 9, 1]);
    expect(first.y).toBe(0);
    const counts = new Array(10).fill(0);
    for (const label of digits.y.data) counts[label]++;
    expect(counts).toEqual([178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    expect(Math.max(...digits.x.data)).toBe(16);
  });

  it('gives 8x8 images with layout "image"', async () => {
    expect((await loadDigits({ layout: 'image' })).get(5).x.shape).toEqual([8, 8]);
  });
});

describe('readCsv', () => {
  it('loads the XOR file of reference experiment 1 in docs/reference-experiments.md', async () => {
    const xor = await readCsv(XOR_PATH, { targetDtype: 'float32' });
    expect(xor.x.shape).toEqual([4, 2]);
    expect(Array.from(xor.x.data)).toEqual([0, 0, 0, 1, 1, 0, 1, 1]);
    expect(Array.from(xor.y.data)).toEqual([0, 1, 1, 0]);
  });

  it('names the file in errors', async () => {
    await expect(readCsv('/nonexistent/table.csv')).rejects.toThrow(
      /\/nonexistent\/table.csv: expected a readable file, found ENOENT/,
    );
  });
});
