import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  DTypeError,
  GradcheckError,
  Linear,
  LSTMCell,
  getBackend,
  gradcheck,
  gradientRules,
  mul,
  randn,
  softmax,
  tensor,
  type GradRule,
} from '@myelin/core';

describe('gradcheck (torch.autograd.gradcheck)', () => {
  it('passes for correct gradients: ops, several outputs, a layer with parameters', async () => {
    const x = randn([3, 4], { dtype: 'float64' }).requiresGrad_();
    const y = randn([4, 2], { dtype: 'float64' }).requiresGrad_();
    expect(await gradcheck((a, b) => softmax(a!.matmul(b!), -1), [x, y])).toBe(true);
    expect(await gradcheck((a) => [a!.tanh(), a!.sum(1), a!.argmax(1)], [x])).toBe(true); // int outputs are skipped
    const cell = new LSTMCell(4, 3, { dtype: 'float64' });
    expect(await gradcheck((input) => cell.forward(input!), [x])).toBe(true);
    // The cell's parameters take no gradient from the check (torch's gradcheck leaves them alone too).
    expect(cell.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('catches a wrong gradient rule and names where', async () => {
    const rules = gradientRules as Record<string, GradRule>;
    const right = rules['exp']!;
    rules['exp'] = (grad, node, output, needs) => right(mul(grad, 1.01), node, output, needs);
    try {
      const x = tensor([0.5, -1, 2], { dtype: 'float64', requiresGrad: true });
      await expect(gradcheck((a) => a!.exp(), [x])).rejects.toThrow(GradcheckError);
      await expect(gradcheck((a) => a!.exp(), [x])).rejects.toThrow(
        /^gradcheck: Jacobian mismatch for output 0 with respect to input 0 \(shape \[3\]\) at output element 0, input element 0: numerical 1\.648\d+, analytical 1\.66\d+/,
      );
      expect(await gradcheck((a) => a!.exp(), [x], { raiseException: false })).toBe(false);
    } finally {
      rules['exp'] = right;
    }
  });

  it("keeps the inputs' gradients, checks its arguments and leaks nothing", async () => {
    const x = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    x.mul(3).sum().backward();
    const kept = x.grad;
    const layer = new Linear(2, 2, { dtype: 'float64' });
    layer.weight.mul(2).sum().backward();
    const before = getBackend().liveHandles();
    expect(await gradcheck((a) => layer.forward(a!.square()), [x])).toBe(true);
    expect(getBackend().liveHandles()).toBe(before);
    expect(x.grad).toBe(kept);
    expect(Array.from(await x.grad!.data())).toEqual([3, 3]);
    expect(Array.from(await layer.weight.grad!.data())).toEqual([2, 2, 2, 2]);
    expect(layer.bias!.grad).toBeNull();
    expect(layer.weight.requiresGrad).toBe(true);
    await expect(gradcheck((a) => a!, [tensor([1], { requiresGrad: true })])).rejects.toThrow(DTypeError);
    await expect(gradcheck((a) => a!, [tensor([1], { dtype: 'float64' })])).rejects.toThrow(
      'gradcheck: no input requires gradients; set requiresGrad on the inputs to check',
    );
    await expect(gradcheck((a) => a!, [x], { eps: 0 })).rejects.toThrow(ArgumentError);
  });
});
