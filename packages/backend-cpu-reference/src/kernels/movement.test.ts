import { afterEach, describe, expect, it } from 'vitest';
import { arrayType, backend, releaseInputs, seeded, stridesOf, take, tensor } from '../test-utils.js';

afterEach(releaseInputs);

const iota = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('reshape', () => {
  it('keeps row-major order under a new shape, including to and from scalars', () => {
    const x = tensor(iota(6), [2, 3], 'int32');
    const r = backend.reshape(x, [3, 2]);
    expect(arrayType(r)).toBe('Int32Array');
    expect(take(r)).toEqual(iota(6));
    expect(take(backend.reshape(tensor([4], []), [1, 1]))).toEqual([4]);
    expect(take(backend.reshape(tensor([4], [1]), []))).toEqual([4]);
    expect(take(backend.reshape(tensor([], [0, 2]), [2, 0]))).toEqual([]);
  });
});

describe('transpose', () => {
  it('swaps a matrix', () => {
    expect(take(backend.transpose(tensor(iota(6), [2, 3]), [1, 0]))).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it('matches naive index arithmetic for every permutation of rank-3 tensors (small and tiled)', () => {
    const perms = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    for (const [shape, perm] of [
      [2, 3, 4],
      [33, 2, 34],
    ].flatMap((s) => perms.map((p) => [s, p] as const))) {
      const values = iota(shape.reduce((x, y) => x * y, 1));
      const inStrides = stridesOf(shape);
      const outShape = perm.map((a) => shape[a]!);
      const outStrides = stridesOf(outShape);
      const want = values.map((_, o) => {
        let i = 0;
        perm.forEach((a, axis) => (i += (Math.floor(o / outStrides[axis]!) % outShape[axis]!) * inStrides[a]!));
        return values[i]!;
      });
      expect(take(backend.transpose(tensor(values, shape), perm))).toEqual(want);
    }
  });

  it('tiles large transposes correctly, with ragged edges and a batch axis', () => {
    const [batch, rows, cols] = [2, 37, 70];
    const values = seeded(batch * rows * cols, 5);
    const got = take(backend.transpose(tensor(values, [batch, rows, cols], 'float64'), [0, 2, 1]));
    for (let b = 0; b < batch; b++) {
      for (let c = 0; c < cols; c++) {
        for (let r = 0; r < rows; r++) expect(got[(b * cols + c) * rows + r]).toBe(values[(b * rows + r) * cols + c]);
      }
    }
    const swapped = take(backend.transpose(tensor(values, [batch, rows, cols], 'float64'), [2, 1, 0]));
    expect(swapped[(5 * rows + 3) * batch + 1]).toBe(values[(1 * rows + 3) * cols + 5]);
  });

  it('handles scalars, size-1 and size-0 axes and bool', () => {
    expect(take(backend.transpose(tensor([3], []), []))).toEqual([3]);
    expect(take(backend.transpose(tensor([1, 0, 1], [1, 3, 1], 'bool'), [2, 1, 0]))).toEqual([1, 0, 1]);
    expect(take(backend.transpose(tensor([], [0, 3]), [1, 0]))).toEqual([]);
  });
});

describe('broadcastTo', () => {
  it('repeats size-1 axes', () => {
    expect(take(backend.broadcastTo(tensor([1, 2], [2, 1]), [2, 3]))).toEqual([1, 1, 1, 2, 2, 2]);
    expect(take(backend.broadcastTo(tensor([1, 2, 3], [1, 3]), [2, 3]))).toEqual([1, 2, 3, 1, 2, 3]);
    expect(take(backend.broadcastTo(tensor([7], [1, 1]), [2, 2]))).toEqual([7, 7, 7, 7]);
    expect(take(backend.broadcastTo(tensor([7], [1]), [0]))).toEqual([]);
    expect(take(backend.broadcastTo(tensor([1, 2], [2]), [2]))).toEqual([1, 2]);
  });
});

describe('slice', () => {
  it('takes a box', () => {
    // [[0,1,2,3],[4,5,6,7],[8,9,10,11]]
    expect(take(backend.slice(tensor(iota(12), [3, 4]), [1, 1], [2, 2]))).toEqual([5, 6, 9, 10]);
    expect(take(backend.slice(tensor(iota(12), [3, 4]), [0, 3], [3, 1]))).toEqual([3, 7, 11]);
    expect(take(backend.slice(tensor(iota(12), [3, 4]), [2, 0], [1, 4]))).toEqual([8, 9, 10, 11]);
  });

  it('handles empty boxes, scalars and long contiguous rows', () => {
    expect(take(backend.slice(tensor(iota(12), [3, 4]), [1, 2], [0, 2]))).toEqual([]);
    expect(take(backend.slice(tensor([9], []), [], []))).toEqual([9]);
    const long = iota(200);
    expect(take(backend.slice(tensor(long, [2, 100], 'int32'), [1, 10], [1, 80]))).toEqual(long.slice(110, 190));
  });
});

describe('pad', () => {
  it('pads each axis before and after with a value', () => {
    expect(
      take(
        backend.pad(
          tensor([1, 2, 3, 4], [2, 2]),
          [
            [1, 0],
            [0, 2],
          ],
          9,
        ),
      ),
    ).toEqual([9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9]);
    expect(take(backend.pad(tensor([5], [1]), [[2, 1]], 0))).toEqual([0, 0, 5, 0]);
  });

  it('pads empty inputs, scalars and bool', () => {
    expect(take(backend.pad(tensor([], [0]), [[1, 1]], -1))).toEqual([-1, -1]);
    expect(take(backend.pad(tensor([3], []), [], 0))).toEqual([3]);
    expect(take(backend.pad(tensor([0], [1], 'bool'), [[1, 0]], 2))).toEqual([1, 0]);
    expect(take(backend.pad(tensor([1], [1], 'int32'), [[0, 1]], 2.7))).toEqual([1, 2]);
  });
});

describe('concat', () => {
  it('joins along the first, a middle and the last axis', () => {
    const a = () => tensor([1, 2, 3, 4], [2, 2]);
    const b = () => tensor([5, 6], [1, 2]);
    expect(take(backend.concat([a(), b()], 0))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(take(backend.concat([a(), tensor([7, 8], [2, 1])], 1))).toEqual([1, 2, 7, 3, 4, 8]);
    const x = tensor(iota(8), [2, 2, 2]);
    const y = tensor([100, 101, 102, 103], [2, 1, 2]);
    expect(take(backend.concat([x, y], 1))).toEqual([0, 1, 2, 3, 100, 101, 4, 5, 6, 7, 102, 103]);
  });

  it('skips empty inputs and accepts a single input', () => {
    const a = tensor([1, 2], [1, 2], 'int32');
    const empty = tensor([], [1, 0], 'int32');
    expect(take(backend.concat([empty, a, empty], 1))).toEqual([1, 2]);
    expect(take(backend.concat([a], 0))).toEqual([1, 2]);
    expect(take(backend.concat([tensor(iota(64), [64]), tensor([64], [1])], 0))).toEqual(iota(65));
  });

  it('leaves no handle behind', () => {
    expect(backend.liveHandles()).toBe(0);
  });
});
