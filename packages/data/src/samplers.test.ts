import '@myelin/backend-cpu-reference';
import { describe, expect, it } from 'vitest';
import { DataLoader } from './data-loader.js';
import { DistributedSampler } from './distributed-sampler.js';
import { DataError } from './errors.js';
import {
  BatchSampler,
  RandomSampler,
  SequentialSampler,
  SubsetRandomSampler,
  WeightedRandomSampler,
} from './samplers.js';
import { TensorDataset } from './tensor-dataset.js';
import { colorJitter } from './transforms/photometric.js';

const N = 10;
const dataset = new TensorDataset(
  { data: new Float32Array(N).map((_, i) => i), shape: [N, 1] },
  { data: Int32Array.from({ length: N }, (_, i) => i), shape: [N] },
);

function labels(loader: DataLoader, epoch = 0): number[][] {
  const out: number[][] = [];
  for (const { x, y } of loader.epoch(epoch)) {
    out.push(Array.from(y.dataSync()));
    x.dispose();
    y.dispose();
  }
  return out;
}

const sorted = (values: ArrayLike<number>): number[] => Array.from(values).sort((a, b) => a - b);

describe('SequentialSampler', () => {
  it('visits 0..n-1 every epoch', () => {
    const sampler = new SequentialSampler(dataset);
    expect(sampler.length).toBe(N);
    expect([...sampler.indices(0)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...sampler.indices(3)]).toEqual([...sampler.indices(0)]);
    expect(labels(new DataLoader(dataset, { batchSize: 4, sampler }))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });
});

describe('RandomSampler', () => {
  it('draws a permutation per epoch, the one shuffle: true with the same seed visits', () => {
    const sampler = new RandomSampler(N, { seed: 7 });
    const shuffled = new DataLoader(dataset, { shuffle: true, seed: 7 });
    for (const epoch of [0, 1, 5]) {
      expect(sorted(sampler.indices(epoch))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect([...sampler.indices(epoch)]).toEqual([...shuffled.order(epoch)]);
    }
    expect([...sampler.indices(0)]).not.toEqual([...sampler.indices(1)]);
    // Reproducible on resume: a fresh sampler with the same seed repeats epoch 5.
    expect([...new RandomSampler(N, { seed: 7 }).indices(5)]).toEqual([...sampler.indices(5)]);
  });

  it('without replacement beyond the dataset: whole permutations, then part of one', () => {
    const sampler = new RandomSampler(N, { seed: 3, numSamples: 25 });
    const order = sampler.indices(2);
    expect(order.length).toBe(25);
    expect(sorted(order.subarray(0, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sorted(order.subarray(10, 20))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Set(order.subarray(20)).size).toBe(5);
    expect([...new RandomSampler(N, { seed: 3, numSamples: 4 }).indices(1)]).toEqual([
      ...new RandomSampler(N, { seed: 3 }).indices(1).subarray(0, 4),
    ]);
  });

  it('with replacement: numSamples uniform draws (each index about equally often)', () => {
    const sampler = new RandomSampler(N, { seed: 11, replacement: true, numSamples: 50000 });
    const counts = new Array<number>(N).fill(0);
    for (const i of sampler.indices(0)) counts[i]!++;
    // Expected 5000 each, standard deviation about 67: 5 sigma.
    for (const count of counts) expect(Math.abs(count - 5000)).toBeLessThan(340);
    const few = new RandomSampler(N, { seed: 11, replacement: true, numSamples: 30 }).indices(0);
    expect(new Set(few).size).toBeLessThan(N + 1);
    expect(few.some((v, i) => few.indexOf(v) !== i)).toBe(true);
  });

  it('rejects bad options', () => {
    expect(() => new RandomSampler(N, { numSamples: 0 })).toThrow(
      'RandomSampler: expected numSamples an integer >= 1, found 0',
    );
    expect(() => new RandomSampler(N, { replacement: 'yes' as unknown as boolean })).toThrow(
      'RandomSampler: expected replacement true or false, found "yes"',
    );
    expect(() => new RandomSampler(N, { seed: -1 })).toThrow('expected seed a non-negative safe integer, found -1');
    expect(() => new RandomSampler(N, { seed: 1 }).indices(-1)).toThrow('expected epoch an integer >= 0, found -1');
  });
});

describe('RandomSampler over a dataset past 2^24 samples', () => {
  it('reaches odd indices too with replacement (53-bit draws, not 24-bit ones that skip them)', () => {
    const drawn = new RandomSampler(2 ** 25 + 1, { replacement: true, numSamples: 64, seed: 5 }).indices(0);
    expect(drawn.some((i) => i % 2 === 1)).toBe(true);
    expect(drawn.every((i) => i >= 0 && i <= 2 ** 25)).toBe(true);
  });
});

describe('SubsetRandomSampler', () => {
  it('permutes the given indices, a new order each epoch', () => {
    const sampler = new SubsetRandomSampler([9, 2, 4, 7], { seed: 1 });
    expect(sampler.length).toBe(4);
    const epochs = [0, 1, 2, 3].map((e) => [...sampler.indices(e)]);
    for (const order of epochs) expect(sorted(order)).toEqual([2, 4, 7, 9]);
    expect(new Set(epochs.map((order) => order.join())).size).toBeGreaterThan(1);
    expect([...new SubsetRandomSampler([9, 2, 4, 7], { seed: 1 }).indices(2)]).toEqual(epochs[2]);
    expect(() => new SubsetRandomSampler([1, -2])).toThrow(
      'SubsetRandomSampler: expected indices that are non-negative integers, found -2 at position 1',
    );
  });
});

describe('WeightedRandomSampler', () => {
  it('draws each index in proportion to its weight (seeded large draw)', () => {
    const weights = [1, 2, 0, 7];
    const draws = 100000;
    const sampler = new WeightedRandomSampler(weights, draws, { seed: 4 });
    const counts = [0, 0, 0, 0];
    for (const i of sampler.indices(0)) counts[i]!++;
    expect(counts[2]).toBe(0);
    for (const [i, w] of weights.entries()) {
      const p = w / 10;
      // Within 5 standard deviations of the binomial mean.
      expect(Math.abs(counts[i]! - draws * p)).toBeLessThanOrEqual(5 * Math.sqrt(draws * p * (1 - p)));
    }
    expect([...new WeightedRandomSampler(weights, 20, { seed: 4 }).indices(3)]).toEqual([
      ...new WeightedRandomSampler(weights, 20, { seed: 4 }).indices(3),
    ]);
    expect([...sampler.indices(1).subarray(0, 50)]).not.toEqual([...sampler.indices(0).subarray(0, 50)]);
  });

  it('balances imbalanced classes with 1 / class count weights', () => {
    // 90 samples of class 0, 10 of class 1: weighting by 1/count gives about half each.
    const classes = Array.from({ length: 100 }, (_, i) => (i < 90 ? 0 : 1));
    const weights = classes.map((c) => 1 / (c === 0 ? 90 : 10));
    const order = new WeightedRandomSampler(weights, 20000, { seed: 9 }).indices(0);
    const minority = order.reduce((count, i) => count + classes[i]!, 0) / order.length;
    expect(Math.abs(minority - 0.5)).toBeLessThan(0.02);
  });

  it('without replacement: distinct indices, all of them a permutation when numSamples is the count', () => {
    const weights = [5, 1, 1, 1, 1, 1];
    const sampler = new WeightedRandomSampler(weights, 6, { seed: 2, replacement: false });
    for (const epoch of [0, 1, 2]) expect(sorted(sampler.indices(epoch))).toEqual([0, 1, 2, 3, 4, 5]);
    // The first pick is index 0 with probability 5/10.
    const first = Array.from({ length: 4000 }, (_, e) => sampler.indices(e)[0]);
    const share = first.filter((i) => i === 0).length / first.length;
    expect(Math.abs(share - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / 4000));
    // Zero weights are never drawn.
    const partial = new WeightedRandomSampler([0, 3, 0, 1, 1], 3, { seed: 2, replacement: false });
    for (const epoch of [0, 1, 2, 3]) expect(sorted(partial.indices(epoch))).toEqual([1, 3, 4]);
  });

  it('rejects weights that are not finite, negative or all zero, and too many draws without replacement', () => {
    expect(() => new WeightedRandomSampler([1, NaN], 2)).toThrow(
      'WeightedRandomSampler: expected weights that are finite and non-negative, found NaN at index 1',
    );
    expect(() => new WeightedRandomSampler([1, -1], 2)).toThrow('found -1 at index 1');
    expect(() => new WeightedRandomSampler([1, Infinity], 2)).toThrow('found Infinity at index 1');
    expect(() => new WeightedRandomSampler([0, 0], 2)).toThrow(
      'WeightedRandomSampler: expected weights with a positive sum, found all 2 weights zero',
    );
    expect(() => new WeightedRandomSampler([], 2)).toThrow('found no weights');
    expect(() => new WeightedRandomSampler([1, 0, 1], 3, { replacement: false })).toThrow(
      'WeightedRandomSampler: expected numSamples at most the 2 positive weights without replacement, found 3',
    );
    expect(() => new WeightedRandomSampler([1], 0)).toThrow('expected numSamples an integer >= 1, found 0');
  });
});

describe('BatchSampler', () => {
  it('cuts the sampler order into batches, keeping or dropping the short last one', () => {
    const sequential = new SequentialSampler(7);
    const kept = new BatchSampler(sequential, { batchSize: 3 });
    expect(kept.length).toBe(3);
    expect(kept.batches(0).map((b) => [...b])).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    const dropped = new BatchSampler(sequential, { batchSize: 3, dropLast: true });
    expect(dropped.length).toBe(2);
    expect(dropped.batches(0).map((b) => [...b])).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    const random = new BatchSampler(new RandomSampler(7, { seed: 5 }), { batchSize: 3 });
    expect(random.seed).toBe(5);
    expect(random.batches(2).flatMap((b) => [...b])).toEqual([...new RandomSampler(7, { seed: 5 }).indices(2)]);
    expect(() => new BatchSampler(sequential, { batchSize: 0 })).toThrow(
      'BatchSampler: expected batchSize an integer >= 1, found 0',
    );
    expect(() => new BatchSampler([1, 2] as unknown as SequentialSampler, { batchSize: 2 })).toThrow(
      'BatchSampler: expected a sampler (an object with length and indices(epoch))',
    );
  });
});

describe('DataLoader with samplers', () => {
  it('takes its batches from a batchSampler, its seed included', () => {
    const batchSampler = new BatchSampler(new RandomSampler(N, { seed: 8 }), { batchSize: 4, dropLast: true });
    const loader = new DataLoader(dataset, { batchSampler });
    expect(loader.length).toBe(2);
    expect(loader.seed).toBe(8);
    expect(loader.batchSize).toBe(4);
    expect(labels(loader, 1)).toEqual(batchSampler.batches(1).map((b) => [...b]));
    expect([...loader.order(1)]).toEqual(batchSampler.batches(1).flatMap((b) => [...b]));
  });

  it('batches a weighted sampler draw', () => {
    const sampler = new WeightedRandomSampler([0, 0, 1, 0, 0, 0, 0, 0, 0, 1], 6, { seed: 1 });
    const loader = new DataLoader(dataset, { sampler, batchSize: 4 });
    const batches = labels(loader);
    expect(batches.map((b) => b.length)).toEqual([4, 2]);
    for (const label of batches.flat()) expect([2, 9]).toContain(label);
  });

  it('tells each repeated read of an index which one it is, so augmentations differ between the copies', async () => {
    // One image, drawn 6 times with replacement: every copy is index 0.
    const image = new TensorDataset([Array.from({ length: 3 * 4 * 4 }, (_, i) => (i % 7) / 7)], [0]);
    const shaped = image.map((s) => ({ x: { ...s.x, shape: [3, 4, 4] }, y: s.y }));
    const seen: (number | undefined)[] = [];
    const recorded = shaped.map((s, context) => (seen.push(context.occurrence), s));
    const sampler = new RandomSampler(1, { replacement: true, numSamples: 6, seed: 2 });
    for (const _ of new DataLoader(recorded, { sampler, batchSize: 4 }).epoch(0)) void _;
    expect(seen).toEqual([undefined, 1, 2, 3, 4, 5]);
    const jittered = shaped.map(colorJitter({ brightness: 0.5, contrast: 0.5, seed: 4 }));
    const copies: number[][] = [];
    for await (const batch of new DataLoader(jittered, { sampler, batchSize: 6 }).epoch(0))
      for (let i = 0; i < 6; i++) copies.push(Array.from(await batch.x.slice([i], [1]).data()));
    expect(new Set(copies.map((c) => c.join(','))).size).toBe(6);
    // The first copy is what a run without repeats gives.
    const once = new DataLoader(jittered, { batchSize: 1 });
    for await (const batch of once.epoch(0)) expect(Array.from(await batch.x.data())).toEqual(copies[0]);
  });

  it('names the options that conflict, as PyTorch forbids them', () => {
    const batchSampler = new BatchSampler(new SequentialSampler(N), { batchSize: 2 });
    const sampler = new SequentialSampler(N);
    expect(() => new DataLoader(dataset, { batchSampler, batchSize: 4 })).toThrow(
      'DataLoader: expected batchSampler alone, without batchSize, shuffle, sampler or dropLast, found batchSampler with batchSize 4',
    );
    expect(() => new DataLoader(dataset, { batchSampler, shuffle: true, dropLast: true })).toThrow(
      'found batchSampler with shuffle true, dropLast true',
    );
    expect(() => new DataLoader(dataset, { batchSampler, sampler })).toThrow('found batchSampler with a sampler');
    // PyTorch's defaults (batch_size=1, shuffle=False, drop_last=False) do not conflict.
    expect(new DataLoader(dataset, { batchSampler, batchSize: 1, shuffle: false, dropLast: false }).length).toBe(5);
    expect(() => new DataLoader(dataset, { sampler, shuffle: true })).toThrow(
      'DataLoader: expected either shuffle or a sampler, found sampler with shuffle true',
    );
    expect(() => new DataLoader(dataset, { batchSampler: {} as BatchSampler })).toThrow(DataError);
    expect(() => new DataLoader(dataset, { batchSampler: null as unknown as BatchSampler })).toThrow(
      'DataLoader: expected batchSampler an object with length and batches(epoch), like a BatchSampler, found null',
    );
    expect(() => new DataLoader(dataset, { sampler: [1, 2] as unknown as SequentialSampler })).toThrow(
      'expected sampler an object with length and indices(epoch)',
    );
  });

  it('keeps working with a DistributedSampler', () => {
    const sampler = new DistributedSampler(N, { rank: 1, worldSize: 2, seed: 3 });
    expect(labels(new DataLoader(dataset, { sampler, batchSize: 5 }), 2)).toEqual([[...sampler.indices(2)]]);
  });
});
