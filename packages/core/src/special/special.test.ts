import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { ArgumentError, DTypeError, lgamma, mvlgamma, special, tensor, type Tensor } from '@myelin/core';
import { PYTORCH_SPECIAL } from './special-fixture.js';

const FUNCTIONS: Record<keyof typeof PYTORCH_SPECIAL.unary, (x: Tensor) => Tensor> = {
  lgamma: special.gammaln,
  digamma: special.digamma,
  polygamma1: (x) => special.polygamma(1, x),
  polygamma2: (x) => special.polygamma(2, x),
  polygamma3: (x) => special.polygamma(3, x),
  multigammaln3: (x) => special.multigammaln(x, 3),
  erfc: special.erfc,
  erfcx: special.erfcx,
  erfinv: special.erfinv,
  ndtr: special.ndtr,
  logNdtr: special.logNdtr,
  ndtri: special.ndtri,
  i0: special.i0,
  i0e: special.i0e,
  i1: special.i1,
  i1e: special.i1e,
  entr: special.entr,
  logit: (x) => special.logit(x),
  logitEps: (x) => special.logit(x, 1e-3),
  expit: special.expit,
  sinc: special.sinc,
};

/**
 * float64: the series and continued fractions are within a few ulp of PyTorch's cephes/glibc
 * code; the abs part covers lgamma and digamma near their zeros (lgamma(1.001) composes two
 * values of about 10). float32: a few float32 roundings through the same formulas.
 */
const TOLERANCE = { float64: { abs: 1e-14, rel: 1e-12 }, float32: { abs: 2e-6, rel: 2e-5 } } as const;
/**
 * PyTorch's zeta (cephes) is good to about 1e-10 relative: trigamma(0.3) is 12.24536454610773
 * (mpmath; ours 12.245364546107728), PyTorch's 12.245364544940365. Its erfinv is 2e-12 off at
 * -0.999999 (mpmath -3.4589107372754988, ours -3.458910737274883), and the derivative exp(y^2)
 * there amplifies that (and in float32 the rounding of x itself) 7-fold.
 */
const LOOSER: Partial<
  Record<string, { float64: { abs: number; rel: number }; float32: { abs: number; rel: number } }>
> = {
  digamma: { float64: { abs: 1e-14, rel: 1e-9 }, float32: TOLERANCE.float32 },
  polygamma1: { float64: { abs: 1e-14, rel: 1e-9 }, float32: TOLERANCE.float32 },
  polygamma2: { float64: { abs: 1e-14, rel: 1e-9 }, float32: TOLERANCE.float32 },
  polygamma3: { float64: { abs: 1e-14, rel: 1e-9 }, float32: TOLERANCE.float32 },
  erfinv: { float64: { abs: 1e-14, rel: 1e-10 }, float32: { abs: 2e-6, rel: 2e-4 } },
};

/** Points where PyTorch's own float32 kernels differ from its float64 ones by more than float32 rounding. */
function expectNear(
  actual: ArrayLike<number>,
  expected: readonly number[],
  points: readonly number[],
  tol: { abs: number; rel: number },
  what: string,
  nonFiniteMatches: (value: number, want: number) => boolean = Object.is,
) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const value = actual[i]!;
    const want = expected[i]!;
    if (!Number.isFinite(want)) {
      if (!nonFiniteMatches(value, want)) expect.fail(`${what} at x = ${points[i]}: got ${value}, PyTorch ${want}`);
      continue;
    }
    const error = Math.abs(value - want);
    const pole = nonFiniteMatches !== Object.is && Math.abs(want) > POLE && Number.isNaN(value);
    if (!(error <= tol.abs + tol.rel * Math.abs(want)) && !pole)
      expect.fail(`${what} at x = ${points[i]}: got ${value}, PyTorch ${want} (error ${error})`);
  }
}

// At the poles PyTorch's derivative is +-Infinity or NaN (or, in float32, a huge finite number);
// ours is NaN there (the slope is not finite).
const POLE = 1e15;
const poleDerivative = (value: number, want: number) => Object.is(value, want) || Number.isNaN(value);

describe('torch.special matches PyTorch', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    for (const [name, fn] of Object.entries(FUNCTIONS)) {
      it(`${name} in ${dtype}: values and derivatives`, () => {
        const fixture = PYTORCH_SPECIAL.unary[name as keyof typeof PYTORCH_SPECIAL.unary];
        const x = tensor(fixture.points, { dtype, requiresGrad: true });
        const y = fn(x);
        expect(y.dtype).toBe(dtype);
        y.sum().backward();
        const expected = fixture[dtype];
        const tol = (LOOSER[name] ?? TOLERANCE)[dtype];
        expectNear(y.dataSync(), expected.values, fixture.points, tol, `${name} value`);
        expectNear(x.grad!.dataSync(), expected.derivatives, fixture.points, tol, `${name} derivative`, poleDerivative);
        x.dispose();
      });
    }
  }

  it('xlog1py: values and both gradients, 0 where x is 0 unless y is NaN', () => {
    const fixture = PYTORCH_SPECIAL.xlog1py;
    const x = tensor(fixture.x, { dtype: 'float64', requiresGrad: true });
    const y = tensor(fixture.y, { dtype: 'float64', requiresGrad: true });
    const z = special.xlog1py(x, y);
    z.sum().backward();
    const tol = TOLERANCE.float64;
    expectNear(z.dataSync(), fixture.values, fixture.x, tol, 'xlog1py value');
    expectNear(x.grad!.dataSync(), fixture.gradX, fixture.x, tol, 'xlog1py d/dx');
    expectNear(y.grad!.dataSync(), fixture.gradY, fixture.x, tol, 'xlog1py d/dy');
  });
});

describe('torch.special arguments', () => {
  it('the top-level names are the same functions', () => {
    expect(lgamma).toBe(special.lgamma);
    expect(special.gammaln).toBe(special.lgamma);
    expect(special.psi).toBe(special.digamma);
    const x = tensor([2.5, 4], { dtype: 'float64' });
    expect(Array.from(mvlgamma(x, 2).dataSync())).toEqual(Array.from(special.multigammaln(x, 2).dataSync()));
  });

  it('rejects integer tensors, a bad polygamma order, a bad p and eps, and x <= (p - 1) / 2', () => {
    const ints = tensor([1, 2], { dtype: 'int32' });
    expect(() => special.lgamma(ints)).toThrow(DTypeError);
    expect(() => special.erfinv(ints)).toThrow(/erfinv: expected a float tensor, got dtype int32/);
    const x = tensor([1.5, 2]);
    expect(() => special.polygamma(-1, x)).toThrow(ArgumentError);
    expect(() => special.polygamma(1.5, x)).toThrow(/polygamma: n must be a non-negative integer, got 1.5/);
    expect(() => special.multigammaln(x, 0)).toThrow(/p must be a positive integer, got 0/);
    expect(() => special.multigammaln(x, 4)).toThrow(/greater than \(p - 1\) \/ 2 = 1.5, got 1.5/);
    expect(() => special.logit(x, 0.7)).toThrow(/logit: eps must be in \[0, 0.5\], got 0.7/);
  });

  it('values without a tape record no gradient node', () => {
    const y = special.lgamma(tensor([3.5]));
    expect(y.gradNode).toBeNull();
  });
});
