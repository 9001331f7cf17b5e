import { UnsupportedOpError } from '@myelin/core';
import { afterEach, describe, expect, it } from 'vitest';
import { backend, releaseInputs, seeded, take, tensor } from '../test-utils.js';

afterEach(releaseInputs);

const iota = (n: number) => Array.from({ length: n }, (_, i) => i);
// [[0,1,2],[3,4,5],[6,7,8],[9,10,11]]
const matrix = () => tensor(iota(12), [4, 3]);
const ints = (values: number[], shape: number[]) => tensor(values, shape, 'int32');

describe('gather', () => {
  it('selects rows (axis 0) and columns (axis 1), with repeats', () => {
    expect(take(backend.gather(matrix(), ints([3, 0, 3], [3]), 0))).toEqual([9, 10, 11, 0, 1, 2, 9, 10, 11]);
    expect(take(backend.gather(matrix(), ints([2, 0], [2]), 1))).toEqual([2, 0, 5, 3, 8, 6, 11, 9]);
  });

  it('accepts indices of any shape, including scalars and empty', () => {
    expect(take(backend.gather(matrix(), ints([1, 2, 0, 1], [2, 2]), 0))).toEqual([3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4, 5]);
    expect(take(backend.gather(matrix(), ints([2], []), 0))).toEqual([6, 7, 8]);
    expect(take(backend.gather(matrix(), ints([], [0]), 1))).toEqual([]);
  });

  it('copies long rows and runs on every dtype', () => {
    const wide = seeded(2 * 40, 2);
    expect(take(backend.gather(tensor(wide, [2, 40], 'float64'), ints([1], [1]), 0))).toEqual(wide.slice(40));
    expect(take(backend.gather(tensor([1, 0, 1], [3], 'bool'), ints([1, 2], [2]), 0))).toEqual([0, 1]);
  });
});

describe('scatterAdd', () => {
  it('is the adjoint of gather: rows add up at repeated indices', () => {
    const updates = tensor([1, 1, 1, 2, 2, 2, 3, 3, 3], [3, 3]);
    expect(take(backend.scatterAdd(updates, ints([3, 0, 3], [3]), 0, 4))).toEqual([2, 2, 2, 0, 0, 0, 0, 0, 0, 4, 4, 4]);
  });

  it('works on an inner axis with multi-dimensional indices', () => {
    // updates [2, 2, 2] = x.shape[:1] + indices.shape [2, 2] + x.shape[2:] ([]) for x of shape [2, 3].
    const updates = tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
    expect(take(backend.scatterAdd(updates, ints([0, 2, 2, 2], [2, 2]), 1, 3))).toEqual([1, 0, 9, 5, 0, 21]);
  });

  it('satisfies <gather(x), u> = <x, scatterAdd(u)>', () => {
    const x = seeded(5 * 3 * 2, 7);
    const u = seeded(5 * 4 * 2, 8);
    const indices = [2, 0, 2, 1];
    const gathered = take(backend.gather(tensor(x, [5, 3, 2], 'float64'), ints(indices, [4]), 1));
    const scattered = take(backend.scatterAdd(tensor(u, [5, 4, 2], 'float64'), ints(indices, [4]), 1, 3));
    const left = gathered.reduce((s, v, i) => s + v * u[i]!, 0);
    const right = scattered.reduce((s, v, i) => s + v * x[i]!, 0);
    expect(left).toBeCloseTo(right, 12);
  });

  it('int32 accumulates and wraps; dimSize may exceed the indices used; bool is unsupported', () => {
    expect(take(backend.scatterAdd(ints([2147483647, 1], [2]), ints([0, 0], [2]), 0, 2))).toEqual([-2147483648, 0]);
    expect(take(backend.scatterAdd(tensor([], [0, 2]), ints([], [0]), 0, 2))).toEqual([0, 0, 0, 0]);
    expect(() => backend.scatterAdd(tensor([1], [1], 'bool'), ints([0], [1]), 0, 1)).toThrow(UnsupportedOpError);
  });

  it('leaves no handle behind', () => {
    expect(backend.liveHandles()).toBe(0);
  });
});
