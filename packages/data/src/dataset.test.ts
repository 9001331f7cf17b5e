import { tensor } from '@myelin/core';
import '@myelin/backend-cpu-reference';
import { describe, expect, it } from 'vitest';
import { ConcatDataset, Subset } from './dataset.js';
import { DataError } from './errors.js';
import type { HostArray, Sample } from './host-array.js';
import { TensorDataset } from './tensor-dataset.js';

const xOf = (sample: Sample): number[] => Array.from(sample.x.data);

describe('TensorDataset', () => {
  it('takes nested arrays: float32 rows and integer targets as class indices', () => {
    const dataset = new TensorDataset(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      [0, 1, 2],
    );
    expect(dataset.length).toBe(3);
    expect(dataset.sampleShape).toEqual([2]);
    const sample = dataset.get(1);
    expect(sample.x.data).toBeInstanceOf(Float32Array);
    expect(xOf(sample)).toEqual([3, 4]);
    expect(sample.y).toBe(1);
    expect(dataset.y.data).toBeInstanceOf(Int32Array);
  });

  it('stores non-integer or float32-requested targets as float views', () => {
    const real = new TensorDataset([[0], [1]], [0.5, 1.5]);
    expect((real.get(1).y as HostArray).data).toEqual(new Float32Array([1.5]));
    const asked = new TensorDataset(
      [
        [0, 0],
        [1, 1],
      ],
      [0, 1],
      { targetDtype: 'float32' },
    );
    expect(asked.get(1).y).toEqual({ data: new Float32Array([1]), shape: [] });
  });

  it('hands out views into one buffer: reading a sample copies nothing', () => {
    const images = new Uint8Array(3 * 2 * 2).map((_, i) => i);
    const dataset = new TensorDataset(
      { data: images, shape: [3, 2, 2] },
      { data: new Int32Array([7, 8, 9]), shape: [3] },
    );
    const sample = dataset.get(2);
    expect(sample.x.shape).toEqual([2, 2]);
    expect(sample.x.data.buffer).toBe(images.buffer);
    expect(xOf(sample)).toEqual([8, 9, 10, 11]);
    expect(sample.y).toBe(9);
  });

  it('keeps multi-dimensional targets as views', () => {
    const dataset = new TensorDataset(
      [[1], [2]],
      [
        [0.1, 0.9],
        [0.8, 0.2],
      ],
    );
    const y = dataset.get(1).y as HostArray;
    expect(y.shape).toEqual([2]);
    expect(Array.from(y.data)).toEqual([Math.fround(0.8), Math.fround(0.2)]);
  });

  it('rejects mismatched counts, ragged rows, bad shapes and out-of-range indices', () => {
    expect(() => new TensorDataset([[1], [2]], [0])).toThrow(/expected as many targets as inputs \(2.*found 1/);
    expect(() => new TensorDataset([[1, 2], [3]], [0, 1])).toThrow(DataError);
    expect(() => new TensorDataset({ data: new Float32Array(5), shape: [2, 2] }, [0, 1])).toThrow(
      /expected 4 values for shape \[2,2\], found 5/,
    );
    expect(() => new TensorDataset([[1]], [0.5], { targetDtype: 'int32' })).toThrow(/integer class indices/);
    const dataset = new TensorDataset([[1], [2]], [0, 1]);
    expect(() => dataset.get(2)).toThrow(/expected an integer index in \[0, 2\), found 2/);
    expect(() => dataset.get(-1)).toThrow(DataError);
  });

  it('refuses tensors (naming fromTensors) and inputs that are neither rows nor { data, shape }', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(() => new TensorDataset(x as never, [0, 1])).toThrow(
      'TensorDataset inputs: expected rows (nested number arrays) or { data: a typed array, shape }, found a Tensor of shape [2,2] (for tensors use await TensorDataset.fromTensors(inputs, targets))',
    );
    expect(() => new TensorDataset([[1], [2]], undefined as never)).toThrow(
      /^TensorDataset targets: expected rows .*, found undefined$/,
    );
    expect(() => new TensorDataset({ data: [1, 2], shape: [2] } as never, [0, 1])).toThrow(/found data of type Array$/);
    expect(() => new TensorDataset({ values: new Float32Array(2) } as never, [0, 1])).toThrow(
      /found an object with keys values$/,
    );
    x.dispose();
  });
});

describe('map, Subset and ConcatDataset', () => {
  const base = new TensorDataset([[0], [10], [20], [30]], [0, 1, 2, 3]);

  it('map transforms lazily and tells the transform the index and epoch', () => {
    const seen: string[] = [];
    const mapped = base.map((sample, context) => {
      seen.push(`${context.index}@${context.epoch}`);
      return sample.x.data[0]! + 1;
    });
    expect(seen).toEqual([]);
    expect(mapped.length).toBe(4);
    expect(mapped.get(2, { epoch: 5 })).toBe(21);
    expect([...mapped]).toEqual([1, 11, 21, 31]);
    expect(seen[0]).toBe('2@5');
  });

  it('Subset reads through its indices', () => {
    const subset = new Subset(base, [3, 1]);
    expect(subset.length).toBe(2);
    expect(subset.get(0).y).toBe(3);
    expect(subset.get(1).y).toBe(1);
    expect(() => new Subset(base, [4])).toThrow(/Subset index 0: expected an integer index in \[0, 4\), found 4/);
  });

  it('ConcatDataset chains datasets, including empty ones', () => {
    const empty = new Subset(base, []);
    const concat = new ConcatDataset([base, empty, new Subset(base, [0])]);
    expect(concat.length).toBe(5);
    expect([...concat].map((s) => s.y)).toEqual([0, 1, 2, 3, 0]);
    expect(() => concat.get(5)).toThrow(DataError);
    expect(() => new ConcatDataset([])).toThrow(/at least one dataset/);
  });
});
