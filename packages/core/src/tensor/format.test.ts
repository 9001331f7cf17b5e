import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { tensor, zeros } from '@myelin/core';

describe('toString prints like PyTorch', () => {
  it('prints floats with 4 decimals, aligned', () => {
    expect(
      tensor([
        [1.5, -2.25],
        [3, 4.125],
      ]).toString(),
    ).toBe('tensor([[ 1.5000, -2.2500],\n        [ 3.0000,  4.1250]])');
  });
  it('prints integral floats with a trailing dot', () => {
    expect(tensor([1, 2, 3]).toString()).toBe('tensor([1., 2., 3.])');
  });
  it('prints scalars, ints, bools and requires_grad', () => {
    expect(tensor(3.5).toString()).toBe('tensor(3.5000)');
    expect(tensor([1, -2], { dtype: 'int32' }).toString()).toBe('tensor([ 1, -2], dtype=int32)');
    expect(tensor([true, false]).toString()).toBe('tensor([ True, False])');
    expect(tensor([0.5], { requiresGrad: true }).toString()).toBe('tensor([0.5000], requires_grad=True)');
  });
  it('switches to scientific notation for wide ranges', () => {
    expect(tensor([1e-5, 1]).toString()).toBe('tensor([1.0000e-05, 1.0000e+00])');
  });
  it('prints nan and inf', () => {
    expect(tensor([NaN, Infinity, 0.5]).toString()).toBe('tensor([   nan,    inf, 0.5000])');
  });
  it('summarises large tensors and prints empty ones', () => {
    const text = zeros([2000]).toString();
    expect(text).toBe('tensor([0., 0., 0., ..., 0., 0., 0.])');
    expect(zeros([0]).toString()).toBe('tensor([])');
    expect(zeros([0, 3]).toString()).toBe('tensor([], size=(0, 3))');
  });
  it('prints rank-3 tensors with blank lines between blocks', () => {
    expect(tensor([[[1, 2]], [[3, 4]]]).toString()).toBe('tensor([[[1., 2.]],\n\n        [[3., 4.]]])');
  });
});
