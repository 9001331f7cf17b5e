import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { Adagrad, Adam, CyclicLR, LambdaLR, MultiplicativeLR, SGD, tensor } from '@myelin/core';

describe('CyclicLR', () => {
  it('is stepped per batch, sets the groups to baseLr and the momentum to maxMomentum at step 0', () => {
    const optimizer = new SGD([tensor([1])], { lr: 0.5 });
    const schedule = new CyclicLR(optimizer, { baseLr: 0.01, maxLr: 0.1 });
    expect(schedule.interval).toBe('batch');
    expect(optimizer.paramGroups[0]).toMatchObject({ lr: 0.01, momentum: 0.9 });
    expect(schedule.stateDict()).toMatchObject({
      baseLrs: [0.01],
      options: { stepSizeUp: 2000, stepSizeDown: 2000, mode: 'triangular', gamma: 1, baseMomentum: [0.8] },
    });
  });

  it("cycles Adam's first beta (PyTorch 2), and refuses an optimizer without momentum unless cycleMomentum is false", () => {
    const adam = new Adam([tensor([1])], { lr: 0.5, betas: [0.7, 0.99] });
    const schedule = new CyclicLR(adam, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 2 });
    schedule.step();
    const [beta1, beta2] = adam.paramGroups[0]!.betas as [number, number];
    expect(beta1).toBeCloseTo(0.85, 15);
    expect(beta2).toBe(0.99);
    expect(() => new CyclicLR(new Adagrad([tensor([1])]), { baseLr: 0.01, maxLr: 0.1 })).toThrow(
      'CyclicLR: cycleMomentum needs an optimizer with momentum or betas',
    );
    expect(
      new CyclicLR(new Adagrad([tensor([1])]), { baseLr: 0.01, maxLr: 0.1, cycleMomentum: false }).getLastLr(),
    ).toEqual([0.01]);
  });

  it('validates options, naming the value', () => {
    const optimizer = () => new SGD([tensor([1])], { lr: 0.5 });
    expect(() => new CyclicLR(optimizer(), { maxLr: 0.1 } as never)).toThrow('CyclicLR: baseLr and maxLr are required');
    expect(() => new CyclicLR(optimizer(), { baseLr: 0.01, maxLr: 0.1, mode: 'exp' as never })).toThrow(
      `CyclicLR: invalid mode "exp" (must be 'triangular', 'triangular2' or 'exp_range')`,
    );
    expect(() => new CyclicLR(optimizer(), { baseLr: [0.01, 0.02], maxLr: 0.1 })).toThrow(
      'CyclicLR: baseLr has 2 entries, but the optimizer has 1 parameter groups',
    );
    expect(() => new CyclicLR(optimizer(), { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 0 })).toThrow(
      'CyclicLR: invalid stepSizeUp 0 (must be a number > 0)',
    );
    expect(() => new CyclicLR(optimizer(), { baseLr: 0.01, maxLr: 0.1, step_size_up: 4 } as never)).toThrow(
      "'step_size_up' is 'stepSizeUp' here",
    );
  });
});

describe('LambdaLR and MultiplicativeLR', () => {
  it('save no function in their state (as PyTorch saves a plain function) and resume with the one given', () => {
    const optimizer = new SGD([tensor([1])], { lr: 1 });
    const schedule = new MultiplicativeLR(optimizer, { lrLambda: () => 0.5 });
    schedule.step();
    schedule.step();
    const saved = JSON.parse(JSON.stringify(schedule.stateDict())) as Record<string, unknown>;
    expect(saved).toEqual({ type: 'MultiplicativeLR', options: {}, lastEpoch: 2, baseLrs: [1], lastLr: [0.25] });
    const resumed = new MultiplicativeLR(new SGD([tensor([1])], { lr: 1 }), { lrLambda: () => 0.5 });
    resumed.loadStateDict(saved);
    resumed.step();
    expect(resumed.getLastLr()).toEqual([0.125]);
  });

  it('name a function that returns no finite number, and a list of the wrong length', () => {
    const optimizer = new SGD([tensor([1])], { lr: 1 });
    const schedule = new LambdaLR(optimizer, { lrLambda: (epoch) => (epoch < 2 ? 1 : NaN) });
    schedule.step();
    expect(() => schedule.step()).toThrow('LambdaLR: lrLambda(2) returned NaN (must be a finite number)');
    expect(() => new LambdaLR(optimizer, { lrLambda: [() => 1, () => 1] })).toThrow(
      'LambdaLR: lrLambda has 2 functions, but the optimizer has 1 parameter groups',
    );
    expect(() => new LambdaLR(optimizer, { lrLambda: 0.9 as never })).toThrow('LambdaLR: invalid lrLambda 0.9');
  });
});
