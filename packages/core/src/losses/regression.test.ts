import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { ArgumentError, DTypeError, ShapeError, tensor } from '@myelin/core';
import { l1Loss, mseLoss } from './regression.js';
import { expectValues } from './test-helpers.js';

// Fixed inputs; every expected number below was computed in float64 with numpy from the
// textbook formulas ((x - t)^2, |x - t|, their means and sums), independently of this code.
const input = () =>
  tensor(
    [
      [0.5, -1.2, 2.0],
      [0.3, 0.0, -0.7],
    ],
    { requiresGrad: true },
  );
const target = () =>
  tensor([
    [1.0, -1.0, 1.5],
    [0.3, 0.4, 0.2],
  ]);

describe('mseLoss', () => {
  it('reduces by mean (default), sum and none', async () => {
    await expectValues(mseLoss(input(), target(), { reduction: 'none' }), [2, 3], [0.25, 0.04, 0.25, 0, 0.16, 0.81]);
    await expectValues(mseLoss(input(), target()), [], [0.25166666666666665]);
    await expectValues(mseLoss(input(), target(), { reduction: 'sum' }), [], [1.5099999999999998]);
  });
  it('has the gradient 2 (x - t) / n for the mean', async () => {
    const x = input();
    mseLoss(x, target()).backward();
    await expectValues(x.grad!, [2, 3], [-1 / 6, -0.2 / 3, 1 / 6, 0, -0.4 / 3, -0.3]);
  });
  it('rejects differing shapes, int targets and unknown reductions', () => {
    expect(() => mseLoss(tensor([[1], [2]]), tensor([1, 2]))).toThrow(
      'mseLoss: input [2,1] and target [2] must have the same shape',
    );
    expect(() => mseLoss(tensor([[1], [2]]), tensor([1, 2]))).toThrow(ShapeError);
    expect(() => mseLoss(tensor([1, 2]), tensor([1, 2], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(() => mseLoss(tensor([1, 2]), tensor([1, 2], { dtype: 'int32' }))).toThrow(
      /target must be a float tensor, got dtype int32/,
    );
    expect(() => mseLoss(tensor([1]), tensor([1]), { reduction: 'avg' as never })).toThrow(
      `mseLoss: reduction must be 'mean', 'sum' or 'none', got "avg"`,
    );
    expect(() => mseLoss(tensor([1]), tensor([1]), { reduction: 'avg' as never })).toThrow(ArgumentError);
  });
});

describe('l1Loss', () => {
  it('reduces by mean (default), sum and none', async () => {
    await expectValues(l1Loss(input(), target(), { reduction: 'none' }), [2, 3], [0.5, 0.2, 0.5, 0, 0.4, 0.9]);
    await expectValues(l1Loss(input(), target()), [], [0.4166666666666667]);
    await expectValues(l1Loss(input(), target(), { reduction: 'sum' }), [], [2.5]);
  });
  it('has the gradient sign(x - t) / n, 0 where they are equal (like PyTorch)', async () => {
    const x = input();
    l1Loss(x, target()).backward();
    await expectValues(x.grad!, [2, 3], [-1 / 6, -1 / 6, 1 / 6, 0, -1 / 6, -1 / 6]);
  });
  it('rejects an int input', () => {
    expect(() => l1Loss(tensor([1], { dtype: 'int32' }), tensor([1]))).toThrow(
      'l1Loss: input must be a float tensor, got dtype int32',
    );
  });
});
