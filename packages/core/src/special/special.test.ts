import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { ArgumentError, DTypeError, getBackend, lgamma, mvlgamma, special, tensor, type Tensor } from '@myelin/core';
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
  lgammaNearZeros: special.gammaln,
  polygamma2Negative: (x) => special.polygamma(2, x),
  polygamma3Negative: (x) => special.polygamma(3, x),
  polygamma4: (x) => special.polygamma(4, x),
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
  // relative only: near the zeros 1 and 2 an absolute tolerance would pass any small value
  lgammaNearZeros: { float64: { abs: 0, rel: 1e-13 }, float32: { abs: 0, rel: 2e-5 } },
  polygamma2Negative: { float64: { abs: 0, rel: 1e-9 }, float32: TOLERANCE.float32 },
  polygamma3Negative: { float64: { abs: 0, rel: 1e-9 }, float32: TOLERANCE.float32 },
  polygamma4: { float64: { abs: 0, rel: 1e-9 }, float32: TOLERANCE.float32 },
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
    const pole =
      nonFiniteMatches !== Object.is &&
      Math.abs(want) > POLE &&
      (Number.isNaN(value) || value === Math.sign(want) * Infinity);
    if (!(error <= tol.abs + tol.rel * Math.abs(want)) && !pole)
      expect.fail(`${what} at x = ${points[i]}: got ${value}, PyTorch ${want} (error ${error})`);
  }
}

// At the poles PyTorch's derivative is +-Infinity or NaN, or a huge finite number where its sin(pi x)
// is not exactly 0; ours is the infinity itself there (or NaN where PyTorch's is).
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

describe('erfinv near +-1', () => {
  it('keeps its relative precision against mpmath where 1 - |x| is 1e-12 .. 1e-16', () => {
    const { points, values } = PYTORCH_SPECIAL.erfinvTail;
    const y = special.erfinv(tensor(points, { dtype: 'float64' }));
    expectNear(y.dataSync(), values, points, { abs: 0, rel: 1e-13 }, 'erfinv');
  });
});

describe('torch.special edges', () => {
  it('an infinite derivative gives an infinite gradient, as PyTorch (not NaN)', () => {
    const cases: [(x: Tensor) => Tensor, number, number][] = [
      [special.i0, -710, -Infinity],
      [special.lgamma, 0, -Infinity],
      [special.digamma, 0, Infinity],
      [special.entr, 0, Infinity],
      [(x) => special.logit(x), 0, Infinity],
      [(x) => special.logit(x), 1, Infinity],
      [special.erfinv, 1, Infinity],
    ];
    for (const [fn, at, gradient] of cases) {
      const x = tensor([at], { dtype: 'float64', requiresGrad: true });
      fn(x).sum().backward();
      expect(x.grad!.dataSync()[0], `${fn.name} at ${at}`).toBe(gradient);
    }
  });

  it("digamma at -0, trigamma at the infinities, ndtri(1/2) and xlog1py(Infinity, number) are PyTorch's", () => {
    const values = (y: Tensor) => Array.from(y.dataSync());
    expect(values(special.digamma(tensor([-0, 0], { dtype: 'float64' })))).toEqual([Infinity, -Infinity]);
    const infinities = tensor([Infinity, -Infinity], { dtype: 'float64' });
    expect(values(special.polygamma(1, infinities))).toEqual([0, NaN]);
    expect(values(special.polygamma(3, infinities))).toEqual([NaN, Infinity]);
    expect(values(special.polygamma(4, infinities))).toEqual([NaN, -Infinity]);
    expect(values(special.ndtri(tensor([0.5], { dtype: 'float64' })))).toEqual([0]);
    // a number y where x is infinite (PyTorch: inf * log1p(y))
    const x = tensor([Infinity, -Infinity, 0], { dtype: 'float64' });
    expect(values(special.xlog1py(x, 1))).toEqual([Infinity, -Infinity, 0]);
    expect(values(special.xlog1py(x, -1))).toEqual([-Infinity, Infinity, 0]);
    expect(values(special.xlog1py(x, 0))).toEqual([NaN, NaN, 0]);
  });

  it('leaks nothing: disposing the result frees everything it made, with and without a tape', () => {
    const backend = getBackend();
    const x = tensor([0.3, 0.5], { dtype: 'float64', requiresGrad: true });
    const constant = x.detach();
    for (const fn of [special.lgamma, special.erfinv, special.i1, (t: Tensor) => special.polygamma(2, t)]) {
      const before = backend.liveHandles();
      const y = fn(x);
      const total = y.sum();
      total.backward();
      total.dispose();
      y.dispose();
      x.grad!.dispose();
      x.grad = null;
      expect(backend.liveHandles(), fn.name).toBe(before);
      const plain = fn(constant);
      expect(backend.liveHandles(), fn.name).toBe(before + 1);
      plain.dispose();
    }
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
