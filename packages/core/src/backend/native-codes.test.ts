import { describe, expect, it } from 'vitest';
import { NATIVE_CODES } from './native-codes.js';

describe('NATIVE_CODES', () => {
  it("numbers dtypes and kernels by their place in the contract's lists, as the addons' C++ enums do", () => {
    expect(NATIVE_CODES.dtype).toEqual({ float32: 0, float64: 1, int32: 2, bool: 3 });
    expect(NATIVE_CODES.unary.neg).toBe(0);
    expect(NATIVE_CODES.unary.relu).toBe(8);
    expect(NATIVE_CODES.unary.erf).toBe(9);
    expect(NATIVE_CODES.unary.sin).toBe(10);
    expect(NATIVE_CODES.unary.trunc).toBe(26);
    // Arithmetic first (add .. minimum), then the comparisons (equal .. greaterEqual).
    expect(NATIVE_CODES.binary.minimum).toBe(6);
    expect(NATIVE_CODES.binary.equal).toBe(7);
    expect(NATIVE_CODES.binary.greaterEqual).toBe(12);
    expect(NATIVE_CODES.reduce).toEqual({ sum: 0, max: 1 });
    expect(NATIVE_CODES.activation).toEqual({
      linear: 0,
      relu: 1,
      sigmoid: 2,
      tanh: 3,
      gelu: 4,
      gelu_tanh: 5,
      silu: 6,
    });
    expect(NATIVE_CODES.reduction).toEqual({ none: 0, sum: 1, mean: 2 });
    expect(Object.isFrozen(NATIVE_CODES.binary)).toBe(true);
  });
});
