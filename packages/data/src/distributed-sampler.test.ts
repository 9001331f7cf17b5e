import '@myelin/backend-cpu-reference';
import { describe, expect, it } from 'vitest';
import type { Batch } from './collate.js';
import { DataLoader } from './data-loader.js';
import { DistributedSampler } from './distributed-sampler.js';
import { DataError } from './errors.js';
import { TensorDataset } from './tensor-dataset.js';

const N = 13;
const dataset = new TensorDataset(
  { data: new Float32Array(N * 2).map((_, i) => i), shape: [N, 2] },
  { data: Int32Array.from({ length: N }, (_, i) => i), shape: [N] },
);

async function labelsOf(batches: AsyncIterable<Batch>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const { x, y } of batches) {
    out.push(Array.from(await y.data()));
    x.dispose();
    y.dispose();
  }
  return out;
}

describe('DistributedSampler', () => {
  it('gives each rank a disjoint shard of equal length, padded from the start of the order', () => {
    const shards = [0, 1, 2].map((rank) => new DistributedSampler(12, { rank, worldSize: 3, seed: 5 }).indices(0));
    expect(shards.map((s) => s.length)).toEqual([4, 4, 4]);
    expect(new Set(shards.flatMap((s) => [...s])).size).toBe(12);
    const padded = [0, 1, 2, 3].map((rank) => new DistributedSampler(N, { rank, worldSize: 4, seed: 5 }));
    const order = padded[0]!.globalOrder(0);
    expect(padded.map((s) => s.length)).toEqual([4, 4, 4, 4]);
    // 13 samples on 4 ranks: 16 positions, the last 3 repeat the first 3 of the order.
    expect([...padded[1]!.indices(0)]).toEqual([order[1], order[5], order[9], order[0]]);
    expect(new Set(padded.flatMap((s) => [...s.indices(0)])).size).toBe(N);
    const dropped = [0, 1, 2, 3].map(
      (rank) => new DistributedSampler(N, { rank, worldSize: 4, seed: 5, dropLast: true }),
    );
    expect(dropped.map((s) => s.indices(0).length)).toEqual([3, 3, 3, 3]);
    expect(new Set(dropped.flatMap((s) => [...s.indices(0)])).size).toBe(12);
  });

  it('orders by seed and epoch alone, and matches a shuffling DataLoader with that seed', () => {
    const a = new DistributedSampler(N, { rank: 0, worldSize: 1, seed: 7 });
    const b = new DistributedSampler(N, { rank: 0, worldSize: 1, seed: 7 });
    expect([...a.indices(3)]).toEqual([...b.indices(3)]);
    expect([...a.indices(0)]).not.toEqual([...a.indices(1)]);
    const loader = new DataLoader(dataset, { batchSize: 4, shuffle: true, seed: 7 });
    expect([...a.indices(2)]).toEqual([...loader.order(2)]);
    expect([...new DistributedSampler(5, { rank: 1, worldSize: 2, shuffle: false }).indices(0)]).toEqual([1, 3, 0]);
  });

  it('2 ranks x batch B together visit the batches of 1 rank x batch 2B', async () => {
    const one = new DataLoader(dataset, {
      batchSize: 4,
      sampler: new DistributedSampler(12, { rank: 0, worldSize: 1, seed: 9 }),
    });
    const ranks = [0, 1].map(
      (rank) =>
        new DataLoader(dataset, { batchSize: 2, sampler: new DistributedSampler(12, { rank, worldSize: 2, seed: 9 }) }),
    );
    expect(ranks.map((l) => l.length)).toEqual([3, 3]);
    expect(ranks[0]!.seed).toBe(9);
    for (const epoch of [0, 1]) {
      const global = await labelsOf(one.epoch(epoch));
      const [r0, r1] = await Promise.all(ranks.map((l) => labelsOf(l.epoch(epoch))));
      global.forEach((batch, k) =>
        expect([...r0![k]!, ...r1![k]!].sort((x, y) => x - y)).toEqual([...batch].sort((x, y) => x - y)),
      );
    }
  });

  it('refuses bad ranks, shuffle together with a sampler, and too few samples with dropLast', () => {
    expect(() => new DistributedSampler(N, { rank: 2, worldSize: 2 })).toThrow(DataError);
    expect(() => new DistributedSampler(N, { rank: 0, worldSize: 0 })).toThrow(/worldSize an integer/);
    expect(() => new DistributedSampler(3, { rank: 0, worldSize: 4, dropLast: true })).toThrow(/at least 4 samples/);
    const sampler = new DistributedSampler(N, { rank: 0, worldSize: 2, seed: 1 });
    expect(() => new DataLoader(dataset, { sampler, shuffle: true })).toThrow(/either shuffle or a sampler/);
  });
});
