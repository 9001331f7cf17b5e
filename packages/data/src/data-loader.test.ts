import { getBackend, manualSeed } from '@myelin/core';
import '@myelin/backend-cpu-reference';
import { describe, expect, it } from 'vitest';
import type { Batch } from './collate.js';
import { DataLoader } from './data-loader.js';
import { Dataset } from './dataset.js';
import { DataError } from './errors.js';
import type { Sample } from './host-array.js';
import { TensorDataset } from './tensor-dataset.js';

const N = 10;
const dataset = new TensorDataset(
  { data: new Uint8Array(N * 2 * 3).map((_, i) => i % 251), shape: [N, 2, 3] },
  { data: Int32Array.from({ length: N }, (_, i) => i), shape: [N] },
);

async function labelsOf(batches: AsyncIterable<Batch> | Iterable<Batch>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const { x, y } of batches) {
    out.push(Array.from(await y.data()));
    x.dispose();
    y.dispose();
  }
  return out;
}

describe('DataLoader', () => {
  it('builds contiguous float32 inputs and int32 class indices, the last batch short', async () => {
    const loader = new DataLoader(dataset, { batchSize: 4 });
    expect(loader.length).toBe(3);
    const batches: Batch[] = [];
    for await (const batch of loader) batches.push(batch);
    expect(batches.map((b) => b.x.shape)).toEqual([
      [4, 2, 3],
      [4, 2, 3],
      [2, 2, 3],
    ]);
    expect(batches[0]!.x.dtype).toBe('float32');
    expect(batches[0]!.y.dtype).toBe('int32');
    expect(Array.from(await batches[1]!.x.data()).slice(0, 7)).toEqual([24, 25, 26, 27, 28, 29, 30]);
    expect(Array.from(await batches[2]!.y.data())).toEqual([8, 9]);
    for (const b of batches) {
      b.x.dispose();
      b.y.dispose();
    }
  });

  it('drops the short last batch with dropLast', async () => {
    const loader = new DataLoader(dataset, { batchSize: 4, dropLast: true });
    expect(loader.length).toBe(2);
    expect((await labelsOf(loader)).flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('shuffles into an order that is a function of (seed, epoch) alone', async () => {
    const a = new DataLoader(dataset, { batchSize: 3, shuffle: true, seed: 42 });
    const b = new DataLoader(dataset, { batchSize: 3, shuffle: true, seed: 42 });
    const epoch0 = await labelsOf(a);
    const epoch1 = await labelsOf(a);
    expect(a.nextEpoch).toBe(2);
    expect(epoch0.flat().sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(epoch1.flat()).not.toEqual(epoch0.flat());
    // A resumed run: a fresh loader set to epoch 1 repeats epoch 1, sync or async.
    b.nextEpoch = 1;
    expect(await labelsOf(b)).toEqual(epoch1);
    expect(await labelsOf(b.epoch(0))).toEqual(epoch0);
    expect(await labelsOf([...b.epoch(1)])).toEqual(epoch1);
    expect(Array.from(b.order(1))).toEqual(epoch1.flat());
    expect(await labelsOf(new DataLoader(dataset, { batchSize: 3, shuffle: true, seed: 43 }))).not.toEqual(epoch0);
  });

  it('draws its seed from the default generator when none is given, so manualSeed fixes it', () => {
    manualSeed(5);
    const first = new DataLoader(dataset, { shuffle: true }).seed;
    manualSeed(5);
    expect(new DataLoader(dataset, { shuffle: true }).seed).toBe(first);
  });

  it('batches float targets as float32, and number targets as float32 on request', async () => {
    const real = new TensorDataset([[0], [1], [2]], [0.5, 1.5, 2.5]);
    const [batch] = [...new DataLoader(real, { batchSize: 3 })];
    expect(batch!.y.dtype).toBe('float32');
    expect(batch!.y.shape).toEqual([3]);
    const asFloat = [
      ...new DataLoader(new TensorDataset([[0], [1]], [0, 1]), { batchSize: 2, targetDtype: 'float32' }),
    ][0]!;
    expect(asFloat.y.dtype).toBe('float32');
    for (const b of [batch!, asFloat]) {
      b.x.dispose();
      b.y.dispose();
    }
  });

  it('awaits async samples and builds upcoming batches while the consumer waits', async () => {
    const events: string[] = [];
    class SlowDataset extends Dataset<Promise<Sample>> {
      readonly length = 6;
      get(index: number): Promise<Sample> {
        events.push(`read ${index}`);
        return new Promise((resolve) => setTimeout(() => resolve(dataset.get(index)), 5));
      }
    }
    const loader = new DataLoader(new SlowDataset(), { batchSize: 2, prefetch: 2 });
    for await (const { x, y } of loader) {
      events.push(`train ${(await y.data())[0]}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      x.dispose();
      y.dispose();
    }
    // Batches 1 and 2 are read before batch 0 has finished training.
    expect(events.indexOf('read 5')).toBeLessThan(events.indexOf('train 2'));
    expect(events.filter((e) => e.startsWith('train'))).toEqual(['train 0', 'train 2', 'train 4']);
    expect(() => [...loader]).toThrow(/synchronous samples for a plain for-of loop, found a promise/);
  });

  it('frees prefetched batches when the consumer stops early', async () => {
    const backend = getBackend();
    const before = backend.liveHandles();
    const loader = new DataLoader(dataset, { batchSize: 2, prefetch: 3 });
    for await (const { x, y } of loader) {
      x.dispose();
      y.dispose();
      break;
    }
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(backend.liveHandles()).toBe(before);
  });

  it('passes a dataset error through to the consumer', async () => {
    class Broken extends Dataset<Sample> {
      readonly length = 4;
      get(index: number): Sample {
        if (index === 3) throw new DataError({ source: 'broken', expected: 'a sample', found: 'nothing' });
        return dataset.get(index);
      }
    }
    await expect(labelsOf(new DataLoader(new Broken(), { batchSize: 2 }))).rejects.toThrow(/broken: expected a sample/);
  });

  it('rejects bad options and samples that do not stack', async () => {
    expect(() => new DataLoader(dataset, { batchSize: 0 })).toThrow(/batchSize an integer >= 1, found 0/);
    expect(() => new DataLoader(dataset, { prefetch: -1 })).toThrow(DataError);
    expect(() => new DataLoader(dataset, { batch_size: 4 } as never)).toThrow(
      "DataLoader: expected options among batchSize, shuffle, seed, dropLast, prefetch, collate, sampler, batchSampler, backend, targetDtype, found 'batch_size' ('batch_size' is 'batchSize' here)",
    );
    expect(() => new DataLoader(dataset, { batchSize: 4, num_workers: 2 } as never)).toThrow(/found 'num_workers'$/);
    expect(() => new DataLoader(dataset, { shuffle: 'yes' } as never)).toThrow(
      'DataLoader: expected shuffle true or false, found "yes"',
    );
    const ragged = dataset.map((s, { index }) =>
      index === 1 ? { x: { data: s.x.data.subarray(0, 3), shape: [3] }, y: s.y } : s,
    );
    await expect(labelsOf(new DataLoader(ragged, { batchSize: 2 }))).rejects.toThrow(
      /every x of shape \[2,3\] \(Uint8Array\).*found shape \[3\] \(Uint8Array\) at batch position 1/,
    );
    const fractional = new TensorDataset([[0], [1]], [0.5, 1]).map((s) => ({ x: s.x, y: 0.5 }));
    expect(() => [...new DataLoader(fractional, { batchSize: 2 })]).toThrow(/integer class indices as targets/);
  });
});
