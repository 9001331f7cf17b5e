// float32 exp, sigmoid and tanh run 8 at a time in our own code (Cephes' single-precision
// algorithms) instead of libm's scalar functions: exp and tanh within 2 ulp of the exact value
// (float64 Math functions), sigmoid within 3 (e / (1 + e) carries exp's error), the IEEE special values as libm gives them, the
// same bits in every position of a tensor (vector or tail) and in the fused bias + activation.
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from './index.js';

const backend = createCpuBackend({ threads: 1 });

function unary(op: 'exp' | 'sigmoid' | 'tanh' | 'erf', values: Float32Array | Float64Array): Float32Array {
  const x = backend.fromData(values, [values.length], values instanceof Float64Array ? 'float64' : 'float32');
  const y = backend.unary(op, x);
  const out = Float32Array.from(backend.readSync!(y));
  backend.dispose(x);
  backend.dispose(y);
  return out;
}

/** The distance in units in the last place of float32 between a float32 result and the exact value. */
function ulps(actual: number, exact: number): number {
  if (actual === exact) return 0;
  const rounded = Math.fround(exact);
  // One ulp of float32 at the exact value's magnitude (denormals: 2^-149).
  const exponent = rounded === 0 ? -149 : Math.max(-149, Math.floor(Math.log2(Math.abs(rounded))) - 23);
  return Math.abs(actual - exact) / 2 ** exponent;
}

const exact = {
  exp: Math.exp,
  sigmoid: (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))),
  tanh: Math.tanh,
};

/** float32 values densely over [lo, hi], plus tiny magnitudes around 0. */
function sweep(lo: number, hi: number, count: number): Float32Array {
  const out = Float32Array.from({ length: count }, (_, i) => lo + ((hi - lo) * i) / (count - 1));
  const tiny = [1e-30, 1e-20, 1e-10, 1e-7, 1e-5, 1e-3, 0.01, 0.3, 0.6249, 0.625, 0.6251];
  return Float32Array.from([...out, ...tiny, ...tiny.map((v) => -v)]);
}

describe('float32 exp, sigmoid and tanh (8 at a time)', () => {
  it('exp is within 2 ulp of the exact value from -103 to 88.7 (results below FLT_MIN flush to 0 by default)', () => {
    const x = sweep(-87, 88.72, 200_003);
    const y = unary('exp', x);
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, ulps(y[i]!, Math.exp(x[i]!)));
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('sigmoid within 3 ulp and tanh within 2 over [-30, 30]', () => {
    for (const [op, bound] of [
      ['sigmoid', 3],
      ['tanh', 2],
    ] as const) {
      const x = sweep(-30, 30, 200_003);
      const y = unary(op, x);
      let worst = 0;
      for (let i = 0; i < x.length; i++) {
        // Sigmoid's results below FLT_MIN (x < -87.3) do not occur in this range.
        worst = Math.max(worst, ulps(y[i]!, exact[op](x[i]!)));
      }
      expect(worst, op).toBeLessThanOrEqual(bound);
    }
  });

  it('erf (our own polynomials, scripts/fit-erf.py) is within 2 ulp of the float64 libm erf over [-6, 6]', () => {
    const x = sweep(-6, 6, 200_003);
    const y = unary('erf', x);
    // The float64 path is libm's erf (within 1 ulp of double): exact for float32's purposes.
    const x64 = Float64Array.from(x);
    const xf = backend.fromData(x64, [x64.length], 'float64');
    const yf = backend.unary('erf', xf);
    const exactValues = Float64Array.from(backend.readSync!(yf));
    backend.dispose(xf);
    backend.dispose(yf);
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, ulps(y[i]!, exactValues[i]!));
    expect(worst).toBeLessThanOrEqual(2);
    // Both sides of the polynomial switch at |x| = 1 and the cut to +-1 at 4, and the sign of zero.
    const edges = Float32Array.from([1, Math.fround(1 + 2 ** -23), 3.999, 4, 10, -0, 0, NaN, Infinity, -Infinity]);
    const got = unary('erf', edges);
    expect(Array.from(got.subarray(4))).toEqual([1, -0, 0, NaN, 1, -1]);
    expect(Object.is(got[5], -0)).toBe(true);
    expect(got[0]).toBeCloseTo(0.8427007929497149, 7);
    expect(got[1]).toBeGreaterThan(got[0]!);
  });

  it('special values as libm gives them', () => {
    const x = Float32Array.from([NaN, Infinity, -Infinity, 0, -0, 88.8, 89, 200, -104, -200, 3.4e38, -3.4e38]);
    expect(Array.from(unary('exp', x))).toEqual([
      NaN,
      Infinity,
      0,
      1,
      1,
      Infinity,
      Infinity,
      Infinity,
      0,
      0,
      Infinity,
      0,
    ]);
    expect(Array.from(unary('sigmoid', x))).toEqual([NaN, 1, 0, 0.5, 0.5, 1, 1, 1, 0, 0, 1, 0]);
    expect(Array.from(unary('tanh', x))).toEqual([NaN, 1, -1, 0, -0, 1, 1, 1, -1, -1, 1, -1]);
  });

  it('the same bits at every position (vector body or tail) and in matmulBiasActivation', () => {
    const values = Float32Array.from({ length: 37 }, (_, i) => Math.sin(i * 1.7) * 6);
    for (const op of ['exp', 'sigmoid', 'tanh', 'erf'] as const) {
      const whole = unary(op, values);
      for (let start = 0; start < 9; start++) {
        expect(unary(op, values.subarray(start)), `${op} from ${start}`).toEqual(whole.subarray(start));
      }
    }
    // x [1, 1, 37] @ I [1, 37, 37] + 0 then the activation: the same values as unary.
    const identity = Float32Array.from({ length: 37 * 37 }, (_, i) => (i % 38 === 0 ? 1 : 0));
    for (const activation of ['sigmoid', 'tanh'] as const) {
      const x = backend.fromData(values, [1, 1, 37], 'float32');
      const w = backend.fromData(identity, [1, 37, 37], 'float32');
      const bias = backend.fill([37], 0, 'float32');
      const y = backend.fused!.matmulBiasActivation!(x, w, bias, activation, false, false);
      expect(Float32Array.from(backend.readSync!(y)), activation).toEqual(unary(activation, values));
      for (const h of [x, w, bias, y]) backend.dispose(h);
    }
  });
});
