import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { DTypeError, floor, frac, log10, log2, round, sin, tensor, type Tensor } from '@myelin/core';
import { PYTORCH_MATH } from './math-fixture.js';

// The math functions against PyTorch: the unary primitives (sin .. trunc) and the composed
// log2, log10, exp2, rsqrt and frac, values and derivatives in float64 and float32.
const OPS: Record<keyof typeof PYTORCH_MATH, (x: Tensor) => Tensor> = {
  sin: (x) => x.sin(),
  cos: (x) => x.cos(),
  tan: (x) => x.tan(),
  asin: (x) => x.asin(),
  acos: (x) => x.acos(),
  atan: (x) => x.atan(),
  sinh: (x) => x.sinh(),
  cosh: (x) => x.cosh(),
  asinh: (x) => x.asinh(),
  acosh: (x) => x.acosh(),
  atanh: (x) => x.atanh(),
  log1p: (x) => x.log1p(),
  expm1: (x) => x.expm1(),
  floor: (x) => x.floor(),
  ceil: (x) => x.ceil(),
  round: (x) => x.round(),
  trunc: (x) => x.trunc(),
  log2: (x) => x.log2(),
  log10: (x) => x.log10(),
  exp2: (x) => x.exp2(),
  rsqrt: (x) => x.rsqrt(),
  frac: (x) => x.frac(),
};

/**
 * float64: a few ulp (cpu-reference computes with Math, PyTorch with glibc). float32: cpu-reference
 * rounds a double result once, PyTorch's vectorised float32 kernels are within an ulp or two, and
 * the derivatives compose two or three float32 roundings.
 */
const TOLERANCE = { float64: { abs: 1e-15, rel: 4e-15 }, float32: { abs: 1e-7, rel: 6e-7 } } as const;

function expectNear(
  actual: number[],
  expected: readonly number[],
  points: readonly number[],
  tol: { abs: number; rel: number },
  what: string,
) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((value, i) => {
    const want = expected[i]!;
    if (Number.isNaN(want) || !Number.isFinite(want)) {
      if (!Object.is(value, want)) expect.fail(`${what} at x = ${points[i]}: got ${value}, PyTorch ${want}`);
      return;
    }
    const error = Math.abs(value - want);
    if (!(error <= tol.abs + tol.rel * Math.abs(want)))
      expect.fail(`${what} at x = ${points[i]}: got ${value}, PyTorch ${want} (error ${error})`);
  });
}

describe('math functions match PyTorch', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    for (const [name, fn] of Object.entries(OPS)) {
      it(`${name} in ${dtype}: values and derivatives, domain edges and poles included`, async () => {
        const fixture = PYTORCH_MATH[name as keyof typeof PYTORCH_MATH];
        const x = tensor(fixture.points, { dtype, requiresGrad: true });
        const y = fn(x);
        expect(y.dtype).toBe(dtype);
        y.sum().backward();
        const expected = fixture[dtype];
        const tol = TOLERANCE[dtype];
        expectNear((await y.array()) as number[], expected.values, fixture.points, tol, `${name} value`);
        expectNear(
          (await x.grad!.array()) as number[],
          expected.derivatives,
          fixture.points,
          tol,
          `${name} derivative`,
        );
        x.dispose();
      });
    }
  }

  it('round breaks ties to even and keeps the sign of zero', async () => {
    const y = round(tensor([0.5, 1.5, 2.5, -0.5, -2.5, 3.5], { dtype: 'float64' }));
    const values = (await y.array()) as number[];
    expect(values).toEqual([0, 2, 2, -0, -2, 4]);
    expect(Object.is(values[3], -0)).toBe(true);
  });

  it('the step functions record a primitive whose gradient is zeros, even under an infinite upstream gradient', async () => {
    const x = tensor([1.5, -0.5], { requiresGrad: true });
    const y = floor(x);
    expect(y.gradNode?.op).toBe('floor');
    y.mul(tensor([Infinity, 1]))
      .sum()
      .backward();
    expect(await x.grad!.array()).toEqual([0, 0]);
  });
});

describe('log2 and log10 at exact powers', () => {
  it('are exact integers there (log10(1000) is 3, not 2.9999999999999996) with the usual gradient', async () => {
    const x = tensor([1000, 1e-3, 100000, 8, 7], { dtype: 'float64', requiresGrad: true });
    expect(Array.from(await log10(x).data()).slice(0, 3)).toEqual([3, -3, 5]);
    const two = tensor([8192, 0.125, 1024], { dtype: 'float32' });
    expect(Array.from(await log2(two).data())).toEqual([13, -3, 10]);
    log10(x).sum().backward();
    const grad = Array.from(await x.grad!.data());
    grad.forEach((g, i) => expect(g).toBeCloseTo(1 / ([1000, 1e-3, 100000, 8, 7][i]! * Math.LN10), 12));
  });
});

describe('math functions on other dtypes', () => {
  it('floor, ceil, round and trunc of int32 return a copy of it, as torch does', async () => {
    const x = tensor([-3, 0, 7], { dtype: 'int32' });
    for (const f of [(t: Tensor) => t.floor(), (t: Tensor) => t.ceil(), round, (t: Tensor) => t.trunc()]) {
      const y = f(x);
      expect(y.dtype).toBe('int32');
      expect(y).not.toBe(x);
      expect(await y.array()).toEqual([-3, 0, 7]);
      y.dispose();
      expect(await x.array()).toEqual([-3, 0, 7]);
    }
  });

  it('the other functions want a float tensor, like exp', () => {
    const ints = tensor([1, 2], { dtype: 'int32' });
    expect(() => sin(ints)).toThrow(DTypeError);
    expect(() => sin(ints)).toThrow(/sin: expected a float tensor, got dtype int32/);
    expect(() => ints.log2()).toThrow(/log: expected a float tensor, got dtype int32/);
    expect(() => ints.exp2()).toThrow(/exp2: expected a float tensor, got dtype int32/);
    expect(() => frac(ints)).toThrow(/frac: expected a float tensor, got dtype int32/);
    expect(() => floor(tensor([true]))).toThrow(/floor: expected a float tensor, got dtype bool/);
  });
});
