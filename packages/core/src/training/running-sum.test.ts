import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { getBackend, noGrad, ShapeError, tensor, tidy, type Backend } from '@myelin/core';
import { RunningSum } from './running-sum.js';

/** The default backend, counting the kernels a step of the sum runs; `fused: false` hides its fused kernels. */
function counting(fused: boolean): { backend: Backend; calls: string[] } {
  const base = getBackend();
  const calls: string[] = [];
  const counted = new Set(['fill', 'cast', 'binary']);
  const backend = new Proxy(base, {
    get(target, key) {
      if (key === 'fused') {
        if (!fused) return undefined;
        return {
          ...target.fused,
          accumulate: (...args: Parameters<NonNullable<NonNullable<Backend['fused']>['accumulate']>>) => {
            calls.push('accumulate');
            return target.fused!.accumulate!(...args);
          },
        };
      }
      const value = Reflect.get(target, key) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (counted.has(String(key))) calls.push(String(key));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { backend, calls };
}

/** Adds float32 losses with batch sizes, then int32 counts, and returns the sums and the kernels called per add. */
function run(fused: boolean) {
  const { backend, calls } = counting(fused);
  const before = backend.liveHandles();
  const losses = new RunningSum(backend, 'test loss');
  const counts = new RunningSum(backend, 'test count');
  const perAdd: string[][] = [];
  const add = (sum: RunningSum, value: number, dtype: 'float32' | 'int32', scale?: number) =>
    noGrad(() =>
      tidy(() => {
        const x = tensor(value, { backend, dtype });
        calls.length = 0;
        sum.add(x, scale);
        perAdd.push([...calls]);
      }),
    );
  for (const [loss, size] of [
    [0.1, 64],
    [2.3, 64],
    [0.7, 17],
  ] as const) {
    add(losses, loss, 'float32', size);
    add(counts, size - 3, 'int32');
  }
  const result = {
    loss: Array.from(losses.total.dataSync()),
    count: Array.from(counts.total.dataSync()),
    dtype: losses.total.dtype,
    perAdd,
  };
  losses.dispose();
  counts.dispose();
  expect(backend.liveHandles(), 'disposed sums leave nothing behind').toBe(before);
  return result;
}

describe('RunningSum', () => {
  it('adds x * scale in float64 with one accumulate kernel per add', () => {
    const { loss, count, dtype, perAdd } = run(true);
    expect(dtype).toBe('float64');
    const f = Math.fround;
    expect(loss).toEqual([f(0.1) * 64 + f(2.3) * 64 + f(0.7) * 17]);
    expect(count).toEqual([61 + 61 + 14]);
    expect(perAdd.every((kernels) => kernels.length === 1 && kernels[0] === 'accumulate')).toBe(true);
  });

  it('composes cast, multiply and add to the same bits without the kernel, filling a scale only when it changes', () => {
    const fused = run(true);
    const { loss, count, perAdd } = run(false);
    expect(loss).toEqual(fused.loss);
    expect(count).toEqual(fused.count);
    // Losses: cast, fill of the scale (64), mul, add; then cast, mul, add (64 kept); then 17 is new.
    expect(perAdd.filter((_, i) => i % 2 === 0)).toEqual([
      ['cast', 'fill', 'binary', 'binary'],
      ['cast', 'binary', 'binary'],
      ['cast', 'fill', 'binary', 'binary'],
    ]);
    // Counts (scale 1): cast and add, no multiply.
    expect(perAdd.filter((_, i) => i % 2 === 1)).toEqual([
      ['cast', 'binary'],
      ['cast', 'binary'],
      ['cast', 'binary'],
    ]);
  });

  it('refuses a value that is not one number, naming it and the shape seen', () => {
    const sum = new RunningSum(getBackend(), "fit: metric 'accuracy'");
    const x = tensor([1, 2]);
    expect(() => noGrad(() => sum.add(x))).toThrow(ShapeError);
    expect(() => noGrad(() => sum.add(x))).toThrow(
      /fit: metric 'accuracy' must be a single number per batch, got shape \[2\]/,
    );
    x.dispose();
    sum.dispose();
  });
});
