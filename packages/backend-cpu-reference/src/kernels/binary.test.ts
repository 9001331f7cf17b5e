import { type BinaryOp, type Shape, UnsupportedOpError } from '@myelin/core';
import { afterEach, describe, expect, it } from 'vitest';
import { arrayType, backend, releaseInputs, seeded, stridesOf, take, tensor } from '../test-utils.js';

afterEach(releaseInputs);

function run(
  op: BinaryOp,
  a: number[],
  aShape: Shape,
  b: number[],
  bShape: Shape,
  outShape: Shape,
  dtype: 'float32' | 'float64' | 'int32' | 'bool' = 'float64',
) {
  return take(backend.binary(op, tensor(a, aShape, dtype), tensor(b, bShape, dtype), outShape));
}

/** Naive broadcast: the input index of each output index, by explicit coordinates. */
function broadcastIndex(outIndex: number, outShape: Shape, shape: Shape): number {
  const outStrides = stridesOf(outShape);
  const strides = stridesOf(shape);
  const lead = outShape.length - shape.length;
  let index = 0;
  for (let axis = 0; axis < outShape.length; axis++) {
    const coordinate = Math.floor(outIndex / outStrides[axis]!) % outShape[axis]!;
    if (axis >= lead && shape[axis - lead] !== 1) index += coordinate * strides[axis - lead]!;
  }
  return index;
}

describe('binary arithmetic', () => {
  it('same shape', () => {
    expect(run('add', [1, 2, 3], [3], [10, 20, 30], [3], [3])).toEqual([11, 22, 33]);
    expect(run('sub', [1, 2], [2], [5, 5], [2], [2])).toEqual([-4, -3]);
    expect(run('mul', [2, 3], [2], [4, -1], [2], [2])).toEqual([8, -3]);
    expect(run('div', [1, -1, 0], [3], [0, 0, 0], [3], [3])).toEqual([Infinity, -Infinity, NaN]);
    expect(run('pow', [2, 9, -8], [3], [10, 0.5, 1 / 3], [3], [3])).toEqual([1024, 3, NaN]);
    expect(run('maximum', [1, 5, NaN], [3], [3, 2, 0], [3], [3])).toEqual([3, 5, NaN]);
    expect(run('minimum', [1, 5, 0], [3], [3, 2, NaN], [3], [3])).toEqual([1, 2, NaN]);
  });

  it('scalar operands on either side, and scalar with scalar', () => {
    expect(run('sub', [10], [], [1, 2, 3], [3], [3])).toEqual([9, 8, 7]);
    expect(run('div', [2, 4], [2, 1], [2], [], [2, 1])).toEqual([1, 2]);
    expect(run('mul', [3], [], [4], [], [])).toEqual([12]);
  });

  it('broadcasts a row against a column, and across ranks', () => {
    expect(run('add', [1, 2, 3], [3, 1], [10, 20], [1, 2], [3, 2])).toEqual([11, 21, 12, 22, 13, 23]);
    expect(run('add', [1, 2, 3, 4, 5, 6], [2, 3], [100, 200, 300], [3], [2, 3])).toEqual([
      101, 202, 303, 104, 205, 306,
    ]);
  });

  it('matches a naive broadcast on mixed rank-4 shapes', () => {
    const cases: [Shape, Shape, Shape][] = [
      [
        [2, 1, 3, 1],
        [4, 1, 5],
        [2, 4, 3, 5],
      ],
      [
        [1, 3, 1, 4],
        [2, 1, 6, 1],
        [2, 3, 6, 4],
      ],
      [
        [5, 1, 1],
        [1, 1, 7, 1, 1],
        [1, 1, 7, 5, 1],
      ],
      [
        [3, 4],
        [3, 4],
        [3, 4],
      ],
    ];
    for (const [aShape, bShape, outShape] of cases) {
      const a = seeded(
        aShape.reduce((x, y) => x * y, 1),
        3,
      );
      const b = seeded(
        bShape.reduce((x, y) => x * y, 1),
        4,
      );
      const got = run('sub', a, aShape, b, bShape, outShape);
      const want = got.map((_, i) => a[broadcastIndex(i, outShape, aShape)]! - b[broadcastIndex(i, outShape, bShape)]!);
      expect(got).toEqual(want);
    }
  });

  it('size-0 dimensions give an empty result', () => {
    expect(run('add', [], [0, 3], [1, 2, 3], [3], [0, 3])).toEqual([]);
    expect(run('add', [], [2, 0], [1], [1, 1], [2, 0])).toEqual([]);
  });

  it('float32 rounds each result once', () => {
    const ha = tensor([0.1], [1], 'float32');
    const out = backend.binary('add', ha, ha, [1]);
    expect(arrayType(out)).toBe('Float32Array');
    expect(take(out)).toEqual([Math.fround(Math.fround(0.1) * 2)]);
  });

  it('int32 wraps like Int32Array storage and multiplies exactly', () => {
    expect(run('add', [2147483647], [1], [1], [1], [1], 'int32')).toEqual([-2147483648]);
    expect(run('mul', [123456789], [1], [987654321], [1], [1], 'int32')).toEqual([Math.imul(123456789, 987654321)]);
    expect(run('div', [7, -7, 1], [3], [2, 2, 0], [3], [3], 'int32')).toEqual([3, -3, 0]);
    expect(run('maximum', [1, -4], [2], [-2], [1], [2], 'int32')).toEqual([1, -2]);
  });

  it('bool supports mul, maximum and minimum as logic, and rejects add', () => {
    expect(run('maximum', [0, 0, 1, 1], [4], [0, 1, 0, 1], [4], [4], 'bool')).toEqual([0, 1, 1, 1]);
    expect(run('minimum', [0, 0, 1, 1], [4], [0, 1, 0, 1], [4], [4], 'bool')).toEqual([0, 0, 0, 1]);
    expect(run('mul', [0, 1], [2], [1], [1], [2], 'bool')).toEqual([0, 1]);
    const x = tensor([1], [1], 'bool');
    expect(() => backend.binary('add', x, x, [1])).toThrow(UnsupportedOpError);
  });
});

describe('binary comparisons', () => {
  it('return bool; NaN compares false except notEqual', () => {
    const a = [1, 2, 3, NaN];
    const b = [2, 2, 2, NaN];
    const ha = tensor(a, [4]);
    const hb = tensor(b, [4]);
    const out = backend.binary('less', ha, hb, [4]);
    expect(arrayType(out)).toBe('Uint8Array');
    expect(take(out)).toEqual([1, 0, 0, 0]);
    expect(take(backend.binary('lessEqual', ha, hb, [4]))).toEqual([1, 1, 0, 0]);
    expect(take(backend.binary('greater', ha, hb, [4]))).toEqual([0, 0, 1, 0]);
    expect(take(backend.binary('greaterEqual', ha, hb, [4]))).toEqual([0, 1, 1, 0]);
    expect(take(backend.binary('equal', ha, hb, [4]))).toEqual([0, 1, 0, 0]);
    expect(take(backend.binary('notEqual', ha, hb, [4]))).toEqual([1, 0, 1, 1]);
  });

  it('broadcast and run on int32 and bool', () => {
    expect(run('equal', [1, 2, 3], [3, 1], [2], [], [3, 1], 'int32')).toEqual([0, 1, 0]);
    expect(run('greater', [1, 0], [2, 1], [0, 1], [1, 2], [2, 2], 'bool')).toEqual([1, 0, 0, 0]);
  });
});

describe('where', () => {
  it('selects elementwise', () => {
    const c = tensor([1, 0, 1], [3], 'bool');
    const a = tensor([1, 2, 3], [3]);
    const b = tensor([-1, -2, -3], [3]);
    expect(take(backend.where(c, a, b, [3]))).toEqual([1, -2, 3]);
  });

  it('broadcasts all three operands', () => {
    const c = tensor([1, 0], [2, 1], 'bool');
    const a = tensor([1, 2, 3], [3]);
    const b = tensor([0], [], 'float64');
    expect(take(backend.where(c, a, b, [2, 3]))).toEqual([1, 2, 3, 0, 0, 0]);
    const c2 = tensor([0, 1, 1], [3], 'bool');
    const a2 = tensor([5], [1, 1], 'int32');
    const b2 = tensor([7, 8], [2, 1], 'int32');
    const out = backend.where(c2, a2, b2, [2, 3]);
    expect(arrayType(out)).toBe('Int32Array');
    expect(take(out)).toEqual([7, 5, 5, 8, 5, 5]);
  });

  it('handles size-0 outputs', () => {
    const c = tensor([], [0], 'bool');
    const a = tensor([1], [1]);
    expect(take(backend.where(c, a, a, [0]))).toEqual([]);
  });

  it('leaves no handle behind', () => {
    expect(backend.liveHandles()).toBe(0);
  });
});
