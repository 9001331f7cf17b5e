import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ChainedScheduler,
  ConstantLR,
  CosineAnnealingLR,
  CyclicLR,
  ExponentialLR,
  LinearLR,
  OneCycleLR,
  ReduceLROnPlateau,
  SGD,
  SequentialLR,
  StepLR,
  tensor,
} from '@myelin/core';

const sgd = (...lrs: number[]) =>
  new SGD(
    lrs.map((lr) => ({ params: [tensor([1])], lr })),
    { lr: lrs[0]!, momentum: 0.9 },
  );

describe('SequentialLR', () => {
  it('warms up with LinearLR, then restarts CosineAnnealingLR from the full lr at the milestone (torch step(0))', () => {
    const optimizer = sgd(1);
    const warmup = new LinearLR(optimizer, { startFactor: 0.25, totalIters: 3 });
    const cosine = new CosineAnnealingLR(optimizer, { tMax: 4 });
    const schedule = new SequentialLR(optimizer, { schedulers: [warmup, cosine], milestones: [3] });
    const lrs = [schedule.getLastLr()[0]];
    for (let i = 0; i < 5; i++) {
      schedule.step();
      lrs.push(schedule.getLastLr()[0]);
    }
    expect(lrs.slice(0, 4)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(lrs[4]).toBeCloseTo((1 + Math.cos(Math.PI / 4)) / 2, 15);
    expect(cosine.lastEpoch).toBe(2);
  });

  it('refuses schedules it cannot restart, of another optimizer, of mixed intervals, and wrong milestones', () => {
    const optimizer = sgd(1);
    const step = new StepLR(optimizer, { stepSize: 2 });
    expect(
      () =>
        new SequentialLR(optimizer, { schedulers: [step, new ReduceLROnPlateau(optimizer)] as never, milestones: [2] }),
    ).toThrow(
      "SequentialLR: schedulers[1] is a ReduceLROnPlateau, which SequentialLR cannot step (it needs the epoch's metric",
    );
    expect(
      () =>
        new SequentialLR(optimizer, {
          schedulers: [step, new OneCycleLR(optimizer, { totalSteps: 10 })] as never,
          milestones: [2],
        }),
    ).toThrow('SequentialLR: schedulers[1] is a OneCycleLR, which cannot restart at a milestone; allowed: StepLR');
    expect(
      () => new SequentialLR(optimizer, { schedulers: [step, new StepLR(sgd(1), { stepSize: 2 })], milestones: [2] }),
    ).toThrow('SequentialLR: schedulers[1] (StepLR) belongs to another optimizer');
    expect(
      () =>
        new SequentialLR(optimizer, {
          schedulers: [step, new CyclicLR(optimizer, { baseLr: 0.1, maxLr: 1 })],
          milestones: [2],
        }),
    ).toThrow(
      'SequentialLR: schedulers[0] (StepLR) is stepped every epoch but schedulers[1] (CyclicLR) every batch; allowed: schedules with one interval',
    );
    expect(() => new SequentialLR(optimizer, { schedulers: [step, step], milestones: [2, 4] })).toThrow(
      'SequentialLR: 2 milestones for 2 schedules (must be one fewer than the schedules: 1)',
    );
    expect(() => new SequentialLR(optimizer, { schedulers: [step, step, step], milestones: [4, 2] })).toThrow(
      'SequentialLR: invalid milestones [4,2] (must be increasing integers >= 1',
    );
    expect(() => new SequentialLR(optimizer, { schedulers: [], milestones: [] })).toThrow(
      'SequentialLR: invalid schedulers  (must be a non-empty array of schedules made on one optimizer)',
    );
  });

  it('loads all schedules or none: a bad one leaves every schedule and lr as it was', () => {
    const make = () => {
      const optimizer = sgd(0.1, 0.2);
      const schedulers = [
        new ConstantLR(optimizer, { factor: 0.5, totalIters: 2 }),
        new ExponentialLR(optimizer, { gamma: 0.9 }),
      ];
      return { optimizer, schedule: new SequentialLR(optimizer, { schedulers, milestones: [3] }) };
    };
    const first = make();
    for (let i = 0; i < 5; i++) first.schedule.step();
    const saved = JSON.parse(JSON.stringify(first.schedule.stateDict())) as Record<string, unknown>;
    expect(saved).toMatchObject({ type: 'SequentialLR', lastEpoch: 5, options: { milestones: [3] } });
    const second = make();
    const before = JSON.stringify(second.schedule.stateDict());
    const children = saved.schedulers as Record<string, unknown>[];
    const broken = { ...saved, schedulers: [children[0], { ...children[1], options: { gamma: -1 } }] };
    expect(() => second.schedule.loadStateDict(broken)).toThrow(
      'SequentialLR.loadStateDict: schedulers[1]: ExponentialLR: invalid gamma -1',
    );
    expect(JSON.stringify(second.schedule.stateDict())).toBe(before);
    expect(second.optimizer.paramGroups.map((g) => g.lr)).toEqual([0.05, 0.1]);
    second.schedule.loadStateDict(saved);
    expect(second.optimizer.paramGroups.map((g) => g.lr)).toEqual(first.optimizer.paramGroups.map((g) => g.lr));
  });
});

describe('ChainedScheduler', () => {
  it("multiplies each schedule's factor in (PyTorch's example: ConstantLR 0.1 for 2 epochs with ExponentialLR 0.9)", () => {
    const optimizer = sgd(1);
    const schedule = new ChainedScheduler([
      new ConstantLR(optimizer, { factor: 0.1, totalIters: 2 }),
      new ExponentialLR(optimizer, { gamma: 0.9 }),
    ]);
    const lrs = [schedule.getLastLr()[0]!];
    for (let i = 0; i < 3; i++) {
      schedule.step();
      lrs.push(schedule.getLastLr()[0]!);
    }
    [0.1, 0.09, 0.81, 0.729].forEach((want, i) => expect(lrs[i]).toBeCloseTo(want, 15));
    expect(schedule.interval).toBe('epoch');
  });

  it('takes per-batch schedules (its interval is theirs) and refuses ReduceLROnPlateau or another optimizer', () => {
    const optimizer = sgd(1);
    const cyclic = new ChainedScheduler([new CyclicLR(optimizer, { baseLr: 0.1, maxLr: 1, stepSizeUp: 2 })]);
    expect(cyclic.interval).toBe('batch');
    expect(() => new ChainedScheduler([new ReduceLROnPlateau(optimizer)])).toThrow(
      'ChainedScheduler: schedulers[0] is a ReduceLROnPlateau, which ChainedScheduler cannot step',
    );
    expect(() => new ChainedScheduler([new StepLR(optimizer, { stepSize: 1 })], sgd(1))).toThrow(
      'ChainedScheduler: schedulers[0] (StepLR) belongs to another optimizer',
    );
    expect(() => new ChainedScheduler([])).toThrow('ChainedScheduler: invalid schedulers');
  });
});
