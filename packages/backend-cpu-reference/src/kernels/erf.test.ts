import { describe, expect, it } from 'vitest';
import { erf } from './erf.js';

// CPython's math.erf (correctly rounded or within 1 ulp) at points on both sides of the
// series / continued-fraction switch at 2.5 and the +-1 cut at 6, and in both tails.
const CPYTHON: readonly (readonly [number, number])[] = [
  [-7, -1.0],
  [-6, -1.0],
  [-5.999, -1.0],
  [-4, -0.9999999845827421],
  [-3, -0.9999779095030014],
  [-2.5, -0.999593047982555],
  [-2.4999, -0.9995928300996666],
  [-1.9164, -0.9932757123265981],
  [-1, -0.8427007929497149],
  [-0.5, -0.5204998778130465],
  [-0.001, -0.0011283787909692365],
  [-1e-300, -1.1283791670955126e-300],
  [1e-300, 1.1283791670955126e-300],
  [1e-10, 1.1283791670955126e-10],
  [0.001, 0.0011283787909692365],
  [0.1, 0.1124629160182849],
  [0.25, 0.2763263901682369],
  [0.5, 0.5204998778130465],
  [0.8, 0.7421009647076605],
  [1, 0.8427007929497149],
  [1.25, 0.9229001282564582],
  [1.5, 0.9661051464753108],
  [2, 0.9953222650189527],
  [2.4999, 0.9995928300996666],
  [2.5, 0.999593047982555],
  [2.75, 0.9998993780778803],
  [3, 0.9999779095030014],
  [3.5, 0.9999992569016276],
  [4, 0.9999999845827421],
  [5, 0.9999999999984626],
  [5.9, 0.9999999999999999],
  [6, 1.0],
  [10, 1.0],
  [1e300, 1.0],
];

describe('erf (double precision)', () => {
  it('is within 8 ulp of CPython math.erf across the series, the continued fraction and the tails', () => {
    for (const [x, expected] of CPYTHON) {
      const ulp = Math.abs(expected) * 2 ** -52;
      expect(Math.abs(erf(x) - expected), `erf(${x}) = ${erf(x)}, expected ${expected}`).toBeLessThanOrEqual(8 * ulp);
    }
  });

  it('keeps the sign of zero, NaN, and the limits at +-Infinity', () => {
    expect(Object.is(erf(0), 0)).toBe(true);
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect(erf(NaN)).toBeNaN();
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
  });

  it('is odd and increasing on a fine grid', () => {
    let previous = -1;
    for (let x = -6.5; x <= 6.5; x += 1 / 64) {
      const y = erf(x);
      expect(erf(-x)).toBe(-y);
      expect(y).toBeGreaterThanOrEqual(previous);
      previous = y;
    }
  });
});
