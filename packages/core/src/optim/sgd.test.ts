import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { ArgumentError, SGD, dispose, tensor, type Tensor } from '@myelin/core';
import { param, setGrad, values } from './test-helpers.js';

/** Runs SGD on one scalar parameter starting at 1 with gradients 1 then 2; returns p after each step. */
function trajectory(options: ConstructorParameters<typeof SGD>[1]): number[] {
  const p = param([1]);
  const opt = new SGD([p], options);
  return [1, 2].map((g) => {
    setGrad(p, [g]);
    opt.step();
    return values(p)[0]!;
  });
}

describe('SGD: hand-checked steps (torch.optim.SGD formulas)', () => {
  it('plain: p - lr * g', () => {
    const p = param([1, 2]);
    const opt = new SGD([p], { lr: 0.1 });
    setGrad(p, [0.5, -1]);
    opt.step();
    expect(values(p)[0]).toBeCloseTo(0.95, 6);
    expect(values(p)[1]).toBeCloseTo(2.1, 6);
  });

  it('momentum: the first buffer is g itself, then buf = m * buf + g', () => {
    // step 1: buf = 1, p = 0.9; step 2: buf = 0.9 + 2 = 2.9, p = 0.9 - 0.29 = 0.61
    const [a, b] = trajectory({ lr: 0.1, momentum: 0.9 });
    expect(a).toBeCloseTo(0.9, 6);
    expect(b).toBeCloseTo(0.61, 6);
  });

  it('dampening scales g from the second step on (not the first buffer)', () => {
    // step 1: buf = 1, p = 0.9; step 2: buf = 0.9 * 1 + 0.5 * 2 = 1.9, p = 0.9 - 0.19 = 0.71
    const [a, b] = trajectory({ lr: 0.1, momentum: 0.9, dampening: 0.5 });
    expect(a).toBeCloseTo(0.9, 6);
    expect(b).toBeCloseTo(0.71, 6);
  });

  it('nesterov: the step is g + m * buf', () => {
    // step 1: buf = 1, d = 1 + 0.9 = 1.9, p = 0.81; step 2: buf = 2.9, d = 2 + 2.61 = 4.61, p = 0.349
    const [a, b] = trajectory({ lr: 0.1, momentum: 0.9, nesterov: true });
    expect(a).toBeCloseTo(0.81, 6);
    expect(b).toBeCloseTo(0.349, 6);
  });

  it('weight decay adds wd * p to the gradient (before momentum)', () => {
    // step 1: d = 1 + 0.1 * 1 = 1.1, buf = 1.1, p = 0.89
    // step 2: d = 2 + 0.1 * 0.89 = 2.089, buf = 0.99 + 2.089 = 3.079, p = 0.89 - 0.3079 = 0.5821
    const [a, b] = trajectory({ lr: 0.1, momentum: 0.9, weightDecay: 0.1 });
    expect(a).toBeCloseTo(0.89, 6);
    expect(b).toBeCloseTo(0.5821, 6);
    expect(trajectory({ lr: 0.1, weightDecay: 0.1 })[0]).toBeCloseTo(0.89, 6);
  });

  it('skips parameters whose grad is null and creates no state for them', () => {
    const p = param([1]);
    const q = param([5]);
    const opt = new SGD([p, q], { lr: 0.1, momentum: 0.9 });
    setGrad(p, [1]);
    opt.step();
    expect(values(q)).toEqual([5]);
    const state = opt.stateDict();
    expect(Object.keys(state.state)).toEqual(['0']);
    expect(values(state.state[0]!.momentumBuffer as Tensor)).toEqual([1]);
    dispose(state.state);
  });

  it('zeroGrad sets every grad to null', () => {
    const p = param([1]);
    const opt = new SGD([p], { lr: 0.1 });
    setGrad(p, [1]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
  });
});

describe('SGD: validation (PyTorch rules, errors that name the value)', () => {
  const p = param([1]);
  it('rejects a negative or missing lr, negative momentum and weight decay', () => {
    expect(() => new SGD([p], { lr: -0.1 })).toThrow(
      'SGD parameter group 0: invalid lr -0.1 (must be a finite number >= 0)',
    );
    expect(() => new SGD([p], {} as { lr: number })).toThrow(/invalid lr undefined/);
    expect(() => new SGD([p], { lr: 0.1, momentum: -1 })).toThrow(/invalid momentum -1/);
    expect(() => new SGD([p], { lr: 0.1, weightDecay: -1 })).toThrow(ArgumentError);
  });
  it('nesterov needs momentum > 0 and zero dampening', () => {
    expect(() => new SGD([p], { lr: 0.1, nesterov: true })).toThrow(
      'nesterov momentum requires momentum > 0 and dampening = 0, got momentum 0 and dampening 0',
    );
    expect(() => new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(
      /got momentum 0.9 and dampening 0.1/,
    );
  });
  it('rejects empty, duplicate and non-float parameters', () => {
    expect(() => new SGD([], { lr: 0.1 })).toThrow('SGD: got an empty parameter list');
    expect(() => new SGD([p, p], { lr: 0.1 })).toThrow(/params\[1\] .* appears more than once/);
    expect(() => new SGD([tensor([1], { dtype: 'int32' })], { lr: 0.1 })).toThrow(/dtype int32; only float tensors/);
  });
});
