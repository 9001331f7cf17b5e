import { describe, expect, it } from 'vitest';
import { DataError } from './errors.js';
import { randomSplit, splitCounts } from './random-split.js';
import { TensorDataset } from './tensor-dataset.js';

const dataset = new TensorDataset(
  Array.from({ length: 10 }, (_, i) => [i]),
  Array.from({ length: 10 }, (_, i) => i),
);

describe('randomSplit', () => {
  it('splits by fractions into disjoint subsets that cover the dataset', () => {
    const [train, test] = randomSplit(dataset, [0.8, 0.2], { seed: 3 });
    expect(train!.length).toBe(8);
    expect(test!.length).toBe(2);
    const all = [...train!.indices, ...test!.indices].sort((a, b) => a - b);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('splits by counts, and the same seed gives the same split', () => {
    const a = randomSplit(dataset, [3, 7], { seed: 11 });
    const b = randomSplit(dataset, [3, 7], { seed: 11 });
    const c = randomSplit(dataset, [3, 7], { seed: 12 });
    expect(a.map((s) => s.length)).toEqual([3, 7]);
    expect(Array.from(a[0]!.indices)).toEqual(Array.from(b[0]!.indices));
    expect(Array.from(a[1]!.indices)).not.toEqual(Array.from(c[1]!.indices));
  });

  it('hands the remainder of fractional shares out from the first split, like PyTorch', () => {
    expect(splitCounts(10, [1 / 3, 1 / 3, 1 / 3])).toEqual([4, 3, 3]);
    expect(splitCounts(1797, [0.8, 0.2])).toEqual([1438, 359]);
  });

  it('rejects fractions or counts that do not add up, and negative ones', () => {
    expect(() => randomSplit(dataset, [0.5, 0.3])).toThrow(DataError);
    expect(() => randomSplit(dataset, [0.5, 0.3])).toThrow(
      /fractions that add up to 1 or counts that add up to the dataset length 10, found \[0.5, 0.3\] \(sum 0.8\)/,
    );
    expect(() => randomSplit(dataset, [5, 6])).toThrow(/sum 11/);
    expect(() => randomSplit(dataset, [1.2, -0.2])).toThrow(/non-negative/);
    expect(() => randomSplit(dataset, [])).toThrow(/at least one/);
  });
});
