import { UnsupportedOpError } from '@myelin/core';
import { afterEach, describe, expect, it } from 'vitest';
import { arrayType, backend, releaseInputs, take, tensor } from '../test-utils.js';

afterEach(releaseInputs);

const unaryOf = (
  op: Parameters<typeof backend.unary>[0],
  values: number[],
  dtype: 'float32' | 'float64' | 'int32' = 'float64',
) => take(backend.unary(op, tensor(values, [values.length], dtype)));

describe('unary', () => {
  it('computes each op in float64 exactly as Math does', () => {
    const xs = [-2, -0.5, 0, 0.5, 3];
    expect(unaryOf('neg', xs)).toEqual([2, 0.5, -0, -0.5, -3]);
    expect(unaryOf('exp', xs)).toEqual(xs.map(Math.exp));
    expect(unaryOf('abs', xs)).toEqual([2, 0.5, 0, 0.5, 3]);
    expect(unaryOf('tanh', xs)).toEqual(xs.map(Math.tanh));
    expect(unaryOf('sqrt', [0, 4, 2])).toEqual([0, 2, Math.SQRT2]);
  });

  it("the math functions are Math's, with NaN outside their domains and infinities at their poles", () => {
    const xs = [-0.75, -0.25, 0, 0.3, 0.9];
    for (const op of ['sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'asinh', 'atanh'] as const)
      expect(unaryOf(op, xs)).toEqual(xs.map(Math[op]));
    expect(unaryOf('log1p', [-1, -2, 1e-20])).toEqual([-Infinity, NaN, 1e-20]);
    expect(unaryOf('expm1', [1e-20, -Infinity])).toEqual([1e-20, -1]);
    expect(unaryOf('asin', [2])).toEqual([NaN]);
    expect(unaryOf('acosh', [1, 0.5])).toEqual([0, NaN]);
    expect(unaryOf('atanh', [1, -1])).toEqual([Infinity, -Infinity]);
  });

  it('floor, ceil, trunc; round breaks ties to even, in float64 and float32', () => {
    const xs = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999999999999994, -1.7, 2.3, 4503599627370497];
    expect(unaryOf('round', xs)).toEqual([-2, -2, -0, 0, 2, 2, 0, -2, 2, 4503599627370497]);
    expect(Object.is(unaryOf('round', [-0.5])[0], -0)).toBe(true);
    expect(unaryOf('round', [-2.5, 0.5, 1.5, 2.5, 3.5], 'float32')).toEqual([-2, 0, 2, 2, 4]);
    expect(unaryOf('floor', [-1.5, 1.5, -0])).toEqual([-2, 1, -0]);
    expect(unaryOf('ceil', [-1.5, 1.5])).toEqual([-1, 2]);
    expect(unaryOf('trunc', [-1.5, 1.5])).toEqual([-1, 1]);
    expect(() => unaryOf('floor', [1], 'int32')).toThrow(UnsupportedOpError);
  });

  it('log and sqrt of negative numbers are NaN; log(0) is -Infinity', () => {
    expect(unaryOf('log', [-1, 0, Math.E])).toEqual([NaN, -Infinity, 1]);
    expect(unaryOf('sqrt', [-4])).toEqual([NaN]);
  });

  it('sign: 0 for zeros, NaN for NaN', () => {
    expect(unaryOf('sign', [-3, -0, 0, 2, NaN])).toEqual([-1, 0, 0, 1, NaN]);
    expect(Object.is(unaryOf('sign', [-0])[0], 0)).toBe(true);
  });

  it('relu: max(x, 0), NaN stays NaN, -0 becomes 0, float32 too', () => {
    expect(unaryOf('relu', [-2, -0.5, 0, 0.5, 3, NaN, -Infinity, Infinity])).toEqual([
      0,
      0,
      0,
      0.5,
      3,
      NaN,
      0,
      Infinity,
    ]);
    expect(Object.is(unaryOf('relu', [-0])[0], 0)).toBe(true);
    expect(unaryOf('relu', [-1, 2.5, NaN], 'float32')).toEqual([0, 2.5, NaN]);
    expect(() => unaryOf('relu', [1], 'int32')).toThrow(UnsupportedOpError);
  });

  it('sigmoid is stable for large |x|', () => {
    const [low, mid, high, tiny, nan] = unaryOf('sigmoid', [-1000, 0, 1000, -40, NaN]);
    expect(low).toBe(0);
    expect(mid).toBe(0.5);
    expect(high).toBe(1);
    expect(tiny).toBeCloseTo(Math.exp(-40), 30);
    expect(tiny).toBeGreaterThan(0);
    expect(nan).toBeNaN();
    expect(unaryOf('sigmoid', [2])[0]).toBeCloseTo(1 / (1 + Math.exp(-2)), 15);
  });

  it('float32 results are rounded to float32 and stored as Float32Array', () => {
    const handle = backend.unary('exp', tensor([1], [1], 'float32'));
    expect(arrayType(handle)).toBe('Float32Array');
    expect(take(handle)).toEqual([Math.fround(Math.E)]);
  });

  it('neg, abs and sign run on int32 and wrap like its storage', () => {
    expect(unaryOf('neg', [3, -2147483648], 'int32')).toEqual([-3, -2147483648]);
    expect(unaryOf('abs', [-5, -2147483648], 'int32')).toEqual([5, -2147483648]);
    expect(unaryOf('sign', [-5, 0, 9], 'int32')).toEqual([-1, 0, 1]);
  });

  it('keeps the shape, including scalars and size-0 shapes', () => {
    expect(take(backend.unary('neg', tensor([4], [])))).toEqual([-4]);
    expect(take(backend.unary('exp', tensor([], [0, 3])))).toEqual([]);
  });

  it('throws UnsupportedOpError for int32 float-only ops and for bool', () => {
    const ints = tensor([1], [1], 'int32');
    const bools = tensor([1], [1], 'bool');
    expect(() => backend.unary('exp', ints)).toThrow(UnsupportedOpError);
    expect(() => backend.unary('sigmoid', ints)).toThrow(/does not support op 'sigmoid' for dtype int32/);
    expect(() => backend.unary('neg', bools)).toThrow(UnsupportedOpError);
  });
});

describe('cast', () => {
  it('float -> int32 truncates toward zero; NaN and Infinity become 0', () => {
    const handle = backend.cast(tensor([1.9, -1.9, 0.5, NaN, Infinity], [5]), 'int32');
    expect(arrayType(handle)).toBe('Int32Array');
    expect(take(handle)).toEqual([1, -1, 0, 0, 0]);
  });

  it('nonzero (and NaN) -> true; bool -> numbers as 0/1', () => {
    expect(take(backend.cast(tensor([0, -2, 0.1, NaN], [4]), 'bool'))).toEqual([0, 1, 1, 1]);
    expect(take(backend.cast(tensor([1, 0], [2], 'bool'), 'float32'))).toEqual([1, 0]);
    expect(take(backend.cast(tensor([7, 0], [2], 'int32'), 'bool'))).toEqual([1, 0]);
  });

  it('float64 -> float32 rounds; same dtype copies', () => {
    expect(take(backend.cast(tensor([0.1], [1], 'float64'), 'float32'))).toEqual([Math.fround(0.1)]);
    const x = tensor([1, 2], [2], 'int32');
    const copy = backend.cast(x, 'int32');
    expect(copy).not.toBe(x);
    expect(take(copy)).toEqual([1, 2]);
    expect(take(x)).toEqual([1, 2]);
  });

  it('leaves no handle behind', () => {
    expect(backend.liveHandles()).toBe(0);
  });
});
