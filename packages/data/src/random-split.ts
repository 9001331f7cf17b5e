import { Generator, defaultGenerator } from '@myelin/core';
import { Subset, type DatasetLike } from './dataset.js';
import { DataError } from './errors.js';

export interface RandomSplitOptions {
  /** Seeds the permutation; by default one is drawn from core's default generator (see manualSeed). */
  seed?: number;
}

/** A seed drawn from core's default generator, so `manualSeed` makes unseeded runs reproducible. */
export function drawSeed(): number {
  return defaultGenerator.integers(1, 0, 2 ** 31 - 1)[0]!;
}

/** Turns fractions (summing to 1) or counts (summing to the length) into counts. */
export function splitCounts(length: number, lengths: readonly number[]): number[] {
  if (lengths.length === 0)
    throw new DataError({ source: 'randomSplit', expected: 'at least one fraction or count', found: 'an empty list' });
  const bad = lengths.find((v) => !Number.isFinite(v) || v < 0);
  if (bad !== undefined)
    throw new DataError({
      source: 'randomSplit',
      expected: 'non-negative finite fractions or counts',
      found: `${bad} in [${lengths.join(', ')}]`,
    });
  const total = lengths.reduce((a, b) => a + b, 0);
  const allIntegers = lengths.every(Number.isInteger);
  if (allIntegers && total === length) return [...lengths];
  const fractions = lengths.every((v) => v <= 1);
  if (!fractions || Math.abs(total - 1) > 1e-6) {
    throw new DataError({
      source: 'randomSplit',
      expected: `fractions that add up to 1 or counts that add up to the dataset length ${length}`,
      found: `[${lengths.join(', ')}] (sum ${Number(total.toPrecision(12))})`,
    });
  }
  // PyTorch's rule: floor each share, then hand the remainder out one by one from the first.
  const counts = lengths.map((f) => Math.floor(length * f));
  let remainder = length - counts.reduce((a, b) => a + b, 0);
  for (let i = 0; remainder > 0; i = (i + 1) % counts.length, remainder--) counts[i]!++;
  return counts;
}

/**
 * Splits a dataset into non-overlapping random subsets, by fractions (`[0.8, 0.2]`) or counts
 * (`[1500, 297]`), like torch.utils.data.random_split. The same seed gives the same split.
 */
export function randomSplit<T>(
  dataset: DatasetLike<T>,
  lengths: readonly number[],
  options: RandomSplitOptions = {},
): Subset<T>[] {
  const counts = splitCounts(dataset.length, lengths);
  const permutation = new Generator(options.seed ?? drawSeed()).permutation(dataset.length);
  const subsets: Subset<T>[] = [];
  let start = 0;
  for (const count of counts) {
    subsets.push(new Subset(dataset, permutation.subarray(start, start + count)));
    start += count;
  }
  return subsets;
}
