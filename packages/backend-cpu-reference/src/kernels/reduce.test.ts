import { UnsupportedOpError } from '@myelin/core';
import { afterEach, describe, expect, it } from 'vitest';
import { arrayType, backend, releaseInputs, seeded, stridesOf, take, tensor } from '../test-utils.js';

afterEach(releaseInputs);

// [[[0, 1, 2], [3, 4, 5]], [[6, 7, 8], [9, 10, 11]]]
const cube = () => tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [2, 2, 3]);

describe('reduce', () => {
  it('sums over one axis, every pair of axes and all axes', () => {
    expect(take(backend.reduce('sum', cube(), [0], false))).toEqual([6, 8, 10, 12, 14, 16]);
    expect(take(backend.reduce('sum', cube(), [1], false))).toEqual([3, 5, 7, 15, 17, 19]);
    expect(take(backend.reduce('sum', cube(), [2], false))).toEqual([3, 12, 21, 30]);
    expect(take(backend.reduce('sum', cube(), [0, 2], false))).toEqual([24, 42]);
    expect(take(backend.reduce('sum', cube(), [0, 1], false))).toEqual([18, 22, 26]);
    expect(take(backend.reduce('sum', cube(), [1, 2], false))).toEqual([15, 51]);
    expect(take(backend.reduce('sum', cube(), [0, 1, 2], false))).toEqual([66]);
  });

  it('max over axes, keeping float32 storage', () => {
    const out = backend.reduce('max', tensor([3, -1, 7, 2, 9, -4], [2, 3]), [1], false);
    expect(arrayType(out)).toBe('Float32Array');
    expect(take(out)).toEqual([7, 9]);
    expect(take(backend.reduce('max', tensor([3, -1, 7, 2, 9, -4], [2, 3]), [0], false))).toEqual([3, 9, 7]);
  });

  it('keepDims keeps reduced axes as size 1 (checked through a reshape-free broadcast)', () => {
    const kept = backend.reduce('sum', cube(), [1], true);
    const back = backend.broadcastTo(kept, [2, 2, 3]);
    expect(take(back)).toEqual([3, 5, 7, 3, 5, 7, 15, 17, 19, 15, 17, 19]);
    backend.dispose(kept);
  });

  it('matches a naive sum for random axis sets on a rank-4 tensor', () => {
    const shape = [3, 4, 2, 5];
    const values = seeded(120, 9);
    const strides = stridesOf(shape);
    for (const axes of [[0], [3], [1, 2], [0, 3], [0, 2], [1, 3], [0, 1, 2, 3]]) {
      const keptShape = shape.map((d, a) => (axes.includes(a) ? 1 : d));
      const keptStrides = stridesOf(keptShape);
      const want = new Array<number>(keptShape.reduce((x, y) => x * y, 1)).fill(0);
      values.forEach((v, i) => {
        let o = 0;
        shape.forEach((d, a) => {
          if (!axes.includes(a)) o += (Math.floor(i / strides[a]!) % d) * keptStrides[a]!;
        });
        want[o] = want[o]! + v;
      });
      const got = take(backend.reduce('sum', tensor(values, shape, 'float64'), axes, false));
      got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 12));
    }
  });

  it('empty axes return a copy; scalars reduce to scalars', () => {
    const x = tensor([1, 2], [2]);
    const copy = backend.reduce('sum', x, [], false);
    expect(copy).not.toBe(x);
    expect(take(copy)).toEqual([1, 2]);
    expect(take(backend.reduce('sum', tensor([5], []), [], true))).toEqual([5]);
  });

  it('sum of nothing is 0, max of nothing is -Infinity', () => {
    expect(take(backend.reduce('sum', tensor([], [2, 0]), [1], false))).toEqual([0, 0]);
    expect(take(backend.reduce('max', tensor([], [2, 0]), [1], false))).toEqual([-Infinity, -Infinity]);
    expect(take(backend.reduce('sum', tensor([], [0, 3]), [1], false))).toEqual([]);
  });

  it('max propagates NaN wherever it is', () => {
    expect(take(backend.reduce('max', tensor([NaN, 1, 2, 3, NaN, 1], [2, 3]), [1], false))).toEqual([NaN, NaN]);
    expect(take(backend.reduce('max', tensor([NaN, 1, 2, 3], [2, 2]), [0], false))).toEqual([NaN, 3]);
  });

  it('float32 sums accumulate in double', () => {
    const values = new Array<number>(1000).fill(0.1);
    const [sum] = take(backend.reduce('sum', tensor(values, [1000]), [0], false));
    expect(sum).toBe(Math.fround(1000 * Math.fround(0.1)));
  });

  it('int32 sums wrap; int32 and bool max work; bool sum is unsupported', () => {
    expect(take(backend.reduce('sum', tensor([2147483647, 1, 5], [3], 'int32'), [0], false))).toEqual([-2147483643]);
    expect(take(backend.reduce('sum', tensor([2147483647, 1], [2, 1], 'int32'), [0], false))).toEqual([-2147483648]);
    expect(take(backend.reduce('max', tensor([-5, -3], [2], 'int32'), [0], false))).toEqual([-3]);
    expect(take(backend.reduce('max', tensor([0, 1, 0, 0], [2, 2], 'bool'), [1], false))).toEqual([1, 0]);
    expect(() => backend.reduce('sum', tensor([1], [1], 'bool'), [0], false)).toThrow(UnsupportedOpError);
  });
});

describe('argmax', () => {
  it('finds the first maximum along the last axis and along an inner axis', () => {
    expect(take(backend.argmax(tensor([1, 3, 3, 0, 9, 2], [2, 3]), 1))).toEqual([1, 1]);
    const out = backend.argmax(tensor([1, 3, 3, 0, 9, 2], [2, 3]), 0);
    expect(arrayType(out)).toBe('Int32Array');
    expect(take(out)).toEqual([0, 1, 0]);
    expect(take(backend.argmax(cube(), 1))).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('ties go to the first index; NaN counts as the maximum', () => {
    expect(take(backend.argmax(tensor([2, 2, 2], [3]), 0))).toEqual([0]);
    expect(take(backend.argmax(tensor([1, NaN, 5, NaN], [4]), 0))).toEqual([1]);
    expect(take(backend.argmax(tensor([1, 5, NaN, 0, NaN, 7], [3, 2]), 0))).toEqual([1, 2]);
    expect(take(backend.argmax(tensor([-Infinity, -Infinity], [2]), 0))).toEqual([0]);
  });

  it('runs on int32 and bool, and handles size-1 and size-0 outer dims', () => {
    expect(take(backend.argmax(tensor([4, 8, 6], [3], 'int32'), 0))).toEqual([1]);
    expect(take(backend.argmax(tensor([0, 0, 1], [1, 3], 'bool'), 1))).toEqual([2]);
    expect(take(backend.argmax(tensor([], [0, 3]), 1))).toEqual([]);
  });

  it('leaves no handle behind', () => {
    expect(backend.liveHandles()).toBe(0);
  });
});
