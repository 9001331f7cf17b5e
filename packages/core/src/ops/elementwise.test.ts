import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { logicalAnd, logicalNot, logicalOr, reciprocal, tensor } from '@myelin/core';

// The logical ops take bool tensors and give bool tensors, like torch.logical_and/or/not.
describe('logical ops', () => {
  const a = () => tensor([true, true, false, false], { dtype: 'bool' });
  const b = () => tensor([true, false, true, false], { dtype: 'bool' });

  it('logicalAnd, logicalOr and logicalNot follow the truth tables', async () => {
    expect(await logicalAnd(a(), b()).array()).toEqual([true, false, false, false]);
    expect(await logicalOr(a(), b()).array()).toEqual([true, true, true, false]);
    expect(await logicalNot(a()).array()).toEqual([false, false, true, true]);
    expect(logicalOr(a(), b()).dtype).toBe('bool');
    expect(logicalNot(a()).dtype).toBe('bool');
  });

  it('logicalOr broadcasts', async () => {
    const column = tensor([[true], [false]], { dtype: 'bool' });
    const row = tensor([[false, true]], { dtype: 'bool' });
    expect(logicalOr(column, row).shape).toEqual([2, 2]);
    expect(await logicalOr(column, row).array()).toEqual([
      [true, true],
      [false, true],
    ]);
  });
});

describe('reciprocal', () => {
  it('is 1 / x with the gradient -1 / x^2, and Infinity at 0 as in PyTorch', async () => {
    const x = tensor([2, -0.5, 4], { requiresGrad: true });
    const y = reciprocal(x);
    expect(Array.from(await y.data())).toEqual([0.5, -2, 0.25]);
    y.sum().backward();
    expect(Array.from(await x.grad!.data())).toEqual([-0.25, -4, -0.0625]);
    expect(Array.from(await reciprocal(tensor([0, -0])).data())).toEqual([Infinity, -Infinity]);
  });
});
