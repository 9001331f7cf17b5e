import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  DTypeError,
  Generator,
  MAX_TENSOR_ELEMENTS,
  onesLike,
  randint,
  randn,
  tensor,
  zeros,
  zerosLike,
} from '@myelin/core';

describe('onesLike and zerosLike', () => {
  it("take the input's shape and dtype, like torch.ones_like", async () => {
    const x = tensor([[1, 2, 3]], { dtype: 'int32' });
    const ones = onesLike(x);
    expect(ones.shape).toEqual([1, 3]);
    expect(ones.dtype).toBe('int32');
    expect(await ones.array()).toEqual([[1, 1, 1]]);
    expect(await zerosLike(x).array()).toEqual([[0, 0, 0]]);
  });

  it('take a dtype override and never require grad unless asked', async () => {
    const x = tensor([0.5, 1.5], { requiresGrad: true });
    const ones = onesLike(x, { dtype: 'float64' });
    expect(ones.dtype).toBe('float64');
    expect(ones.requiresGrad).toBe(false);
    expect(await ones.array()).toEqual([1, 1]);
  });
});

describe('randint', () => {
  it('draws int32 integers in [low, high) from the given generator, reproducibly', async () => {
    const t = randint(-3, 4, [2, 500], { generator: new Generator(11) });
    expect(t.dtype).toBe('int32');
    expect(t.shape).toEqual([2, 500]);
    const values = Array.from(await t.data());
    expect(Math.min(...values)).toBe(-3);
    expect(Math.max(...values)).toBe(3); // high is exclusive
    expect(values.every(Number.isInteger)).toBe(true);
    const again = randint(-3, 4, [2, 500], { generator: new Generator(11) });
    expect(Array.from(await again.data())).toEqual(values);
    expect(Array.from(await randint(0, 1, [3]).data())).toEqual([0, 0, 0]);
    for (const x of [t, again]) x.dispose();
  });
});

describe('tensor size limit', () => {
  it('refuses a shape over MAX_TENSOR_ELEMENTS with a typed error naming the shape and the limit', () => {
    expect(() => zeros([1e6, 1e6])).toThrow(ArgumentError);
    expect(() => zeros([1e6, 1e6])).toThrow(
      /full: shape \[1000000,1000000\] has 1\.000e\+12 elements, over the limit of 4,294,967,296/,
    );
    expect(() => randn([70000, 70000])).toThrow(/randn: shape \[70000,70000\].*over the limit/);
    expect(MAX_TENSOR_ELEMENTS).toBe(2 ** 32);
  });
});

describe('requiresGrad', () => {
  it('is refused on int32 and bool tensors, as in PyTorch, instead of failing later in backward', () => {
    expect(() => tensor([1, 2], { dtype: 'int32', requiresGrad: true })).toThrow(
      "tensor: only float tensors can require gradients, got dtype int32; create it as float32 or cast it with .cast('float32')",
    );
    expect(() => zeros([2], { dtype: 'bool', requiresGrad: true })).toThrow(DTypeError);
    const indices = tensor([1, 2], { dtype: 'int32' });
    expect(() => indices.requiresGrad_()).toThrow(
      /^requiresGrad_: only float tensors can require gradients, got dtype int32/,
    );
    expect(indices.requiresGrad_(false).requiresGrad).toBe(false);
    indices.dispose();
    const weights = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    expect(weights.requiresGrad).toBe(true);
    weights.dispose();
  });
});
