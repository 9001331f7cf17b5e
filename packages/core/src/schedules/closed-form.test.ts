import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  CosineAnnealingLR,
  ExponentialLR,
  LinearWarmup,
  MultiStepLR,
  SGD,
  StepLR,
  tensor,
  type LRScheduler,
} from '@myelin/core';

const optimizer = (lr: number, ...more: number[]) =>
  new SGD([{ params: [tensor([1])], lr }, ...more.map((l) => ({ params: [tensor([1])], lr: l }))], { lr });

/** The first group's lr for epochs 0..epochs-1: getLastLr after construction, then after each step(). */
function lrs(scheduler: LRScheduler, epochs: number): number[] {
  const out = [scheduler.getLastLr()[0]!];
  for (let epoch = 1; epoch < epochs; epoch++) {
    scheduler.step();
    out.push(scheduler.getLastLr()[0]!);
  }
  return out;
}

const expectSequence = (got: number[], want: number[]) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i], `epoch ${i}`).toBeCloseTo(w, 12));
};

describe("closed-form schedules against PyTorch's documented values", () => {
  it('MultiStepLR milestones [3, 7], gamma 0.1 from 0.01: 0.01 for 0-2, 0.001 for 3-6, 0.0001 after', () => {
    expectSequence(
      lrs(new MultiStepLR(optimizer(0.01), { milestones: [7, 3] }), 10),
      [0.01, 0.01, 0.01, 0.001, 0.001, 0.001, 0.001, 0.0001, 0.0001, 0.0001],
    );
  });

  it('StepLR stepSize 30, gamma 0.1 from 0.05: 0.05 below 30, 0.005 below 60, 0.0005 below 90', () => {
    const got = lrs(new StepLR(optimizer(0.05), { stepSize: 30 }), 90);
    for (const [epoch, want] of [
      [0, 0.05],
      [29, 0.05],
      [30, 0.005],
      [59, 0.005],
      [60, 0.0005],
      [89, 0.0005],
    ] as const) {
      expect(got[epoch], `epoch ${epoch}`).toBeCloseTo(want, 12);
    }
  });

  it('ExponentialLR: lr * gamma^epoch', () => {
    expectSequence(lrs(new ExponentialLR(optimizer(1), { gamma: 0.5 }), 4), [1, 0.5, 0.25, 0.125]);
  });

  it('CosineAnnealingLR (closed form): etaMin + (lr - etaMin)(1 + cos(pi t / tMax)) / 2', () => {
    const got = lrs(new CosineAnnealingLR(optimizer(0.1), { tMax: 10, etaMin: 0.001 }), 21);
    expect(got[0]).toBeCloseTo(0.1, 12);
    expect(got[5]).toBeCloseTo(0.0505, 12);
    expect(got[10]).toBeCloseTo(0.001, 12);
    expect(got[20], "past tMax it rises again, like torch's closed form").toBeCloseTo(0.1, 12);
    expect(got[3]).toBeCloseTo(0.001 + (0.099 * (1 + Math.cos((Math.PI * 3) / 10))) / 2, 12);
  });

  it('LinearWarmup = torch LinearLR(startFactor 0.5, end 1, totalIters 4) from 0.05: 0.025, 0.03125, 0.0375, 0.04375, 0.05...', () => {
    expectSequence(
      lrs(new LinearWarmup(optimizer(0.05), { warmupEpochs: 4, startFactor: 0.5 }), 7),
      [0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05, 0.05],
    );
    expect(new LinearWarmup(optimizer(1), { warmupEpochs: 2 }).getLastLr()).toEqual([0.1]);
  });

  it('schedules each group from its own initial lr, sets group.lr and records initialLr', () => {
    const opt = optimizer(0.1, 1);
    const scheduler = new StepLR(opt, { stepSize: 1, gamma: 0.5 });
    scheduler.step();
    expect(scheduler.getLastLr()).toEqual([0.05, 0.5]);
    expect(opt.paramGroups.map((g) => [g.lr, g.initialLr])).toEqual([
      [0.05, 0.1],
      [0.5, 1],
    ]);
    expect(scheduler.lastEpoch).toBe(1);
  });

  it("keeps an initialLr already in the group, like torch's setdefault; epoch 0 keeps the group's lr, as torch's get_lr does", () => {
    const opt = optimizer(0.025);
    opt.paramGroups[0]!.initialLr = 0.1;
    const scheduler = new StepLR(opt, { stepSize: 2, gamma: 0.5 });
    expect(scheduler.getLastLr()).toEqual([0.025]);
    expect(scheduler.stateDict()).toMatchObject({ baseLrs: [0.1] });
    scheduler.step();
    scheduler.step();
    expect(scheduler.getLastLr()).toEqual([0.0125]);
    scheduler.stepToEpoch(2);
    expect(scheduler.getLastLr(), 'stepToEpoch uses the closed form, from initialLr').toEqual([0.05]);
  });

  it('validates options with errors that name the value', () => {
    expect(() => new StepLR(optimizer(1), { stepSize: 0 })).toThrow(
      'StepLR: invalid stepSize 0 (must be an integer >= 1)',
    );
    expect(() => new MultiStepLR(optimizer(1), { milestones: [2, -1] })).toThrow(
      'MultiStepLR: invalid milestones [2,-1] (must be an array of integers >= 0)',
    );
    expect(() => new ExponentialLR(optimizer(1), {} as never)).toThrow(
      'ExponentialLR: invalid gamma undefined (must be a finite number >= 0)',
    );
    expect(() => new CosineAnnealingLR(optimizer(1), { tMax: 1.5 })).toThrow(/invalid tMax 1.5/);
    expect(() => new LinearWarmup(optimizer(1), { warmupEpochs: 3, startFactor: 0 })).toThrow(
      'LinearWarmup: invalid startFactor 0 (must be in (0, 1])',
    );
    expect(() => new StepLR(optimizer(1), { stepSize: 2, gama: 0.5 } as never)).toThrow(
      "StepLR: unknown option 'gama' (allowed: stepSize, gamma)",
    );
  });
});

describe('stateDict / loadStateDict', () => {
  it('round-trips through JSON and continues the same lr sequence, restoring group lrs', () => {
    const straight = lrs(new CosineAnnealingLR(optimizer(0.1, 0.2), { tMax: 7 }), 10);
    const first = new CosineAnnealingLR(optimizer(0.1, 0.2), { tMax: 7 });
    for (let i = 0; i < 4; i++) first.step();
    const saved = JSON.parse(JSON.stringify(first.stateDict()));
    expect(saved).toMatchObject({
      type: 'CosineAnnealingLR',
      lastEpoch: 4,
      options: { tMax: 7, etaMin: 0 },
      baseLrs: [0.1, 0.2],
    });
    const opt = optimizer(0.1, 0.2);
    const second = new CosineAnnealingLR(opt, { tMax: 7 });
    second.loadStateDict(saved);
    expect(opt.paramGroups[0]!.lr).toBe(straight[4]);
    const resumed = [second.getLastLr()[0]!];
    for (let i = 5; i < 10; i++) {
      second.step();
      resumed.push(second.getLastLr()[0]!);
    }
    expect(resumed).toEqual(straight.slice(4));
  });

  it('rejects a state from another schedule or for another number of groups', () => {
    const saved = new StepLR(optimizer(1), { stepSize: 2 }).stateDict();
    expect(() => new ExponentialLR(optimizer(1), { gamma: 0.9 }).loadStateDict(saved)).toThrow(
      'ExponentialLR.loadStateDict: the state is from a StepLR, not a ExponentialLR',
    );
    expect(() => new StepLR(optimizer(1, 2), { stepSize: 2 }).loadStateDict(saved)).toThrow(
      'StepLR.loadStateDict: baseLrs has 1 entries, but the optimizer has 2 parameter groups',
    );
    expect(() =>
      new StepLR(optimizer(1), { stepSize: 2 }).loadStateDict({ ...saved, options: { stepSize: -1 } }),
    ).toThrow('StepLR: invalid stepSize -1');
  });
});
