import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { ReLU, relu, tensor } from '@myelin/core';

// relu is one kernel on floats (a primitive since contract version 2), composed on int32.
describe('relu', () => {
  it('keeps NaN, as PyTorch does, so NaN weights are not hidden', async () => {
    const x = tensor([NaN, -1, 0, 2.5, -Infinity, Infinity]);
    expect(await relu(x).array()).toEqual([NaN, 0, 0, 2.5, 0, Infinity]);
    expect(await new ReLU().forward(tensor([[NaN, -3]])).array()).toEqual([[NaN, 0]]);
  });

  it('records one relu node whose gradient is 0 where x <= 0 (the kink too) and 1 elsewhere, NaN included, as torch.relu', async () => {
    const x = tensor([-2, 0, 3, NaN], { requiresGrad: true });
    const y = relu(x);
    expect(y.gradNode?.op).toBe('relu');
    y.mul(tensor([1, 2, 3, 4]))
      .sum()
      .backward();
    expect(await x.grad!.array()).toEqual([0, 0, 3, 4]); // torch: relu(x).backward -> grad 1 at NaN
  });

  it('runs on int32 through the composed form', async () => {
    const y = relu(tensor([-2, 0, 5], { dtype: 'int32' }));
    expect(y.dtype).toBe('int32');
    expect(await y.array()).toEqual([0, 0, 5]);
  });

  it('leakyRelu keeps NaN too', async () => {
    expect(await tensor([NaN, -2, 3]).leakyRelu(0.5).array()).toEqual([NaN, -1, 3]);
  });
});
