import type { TypedArray } from '@myelin/core';

export interface Tolerance {
  /** Absolute tolerance. */
  atol: number;
  /** Relative tolerance, scaled by the expected value. */
  rtol: number;
}

/**
 * Compares two arrays elementwise: |actual - expected| <= atol + rtol * |expected|, NaN only
 * where NaN is expected, infinities exactly. Returns null when they agree, else a message that
 * names the worst element with both values.
 */
export function compareArrays(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: Tolerance,
): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} differs from the expected ${expected.length}`;
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (Number.isNaN(e) !== Number.isNaN(a)) return `element ${i}: got ${a}, expected ${e}`;
      continue;
    }
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      if (a !== e) return `element ${i}: got ${a}, expected ${e}`;
      continue;
    }
    const excess = Math.abs(a - e) - (tolerance.atol + tolerance.rtol * Math.abs(e));
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
  }
  if (worst === -1) return null;
  return `element ${worst}: got ${actual[worst]}, expected ${expected[worst]} (difference ${Math.abs(actual[worst]! - expected[worst]!)} exceeds atol ${tolerance.atol} + rtol ${tolerance.rtol} * |expected|)`;
}

/** Throws with `context` when the arrays differ beyond the tolerance. */
export function expectClose(
  actual: TypedArray | ArrayLike<number>,
  expected: TypedArray | ArrayLike<number>,
  tolerance: Tolerance,
  context: string,
): void {
  const problem = compareArrays(actual, expected, tolerance);
  if (problem !== null) throw new Error(`${context}: ${problem}`);
}
