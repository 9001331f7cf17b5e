// Every schedule against torch.optim.lr_scheduler: test-torch-lr-schedules.ts holds PyTorch's
// get_last_lr() after construction and after each of 30 step() calls (see
// packages/core/scripts/make-lr-scheduler-fixture.py); ours must agree to 1e-12 relative, and a
// run stopped after k steps and resumed from its JSON state must equal the uninterrupted one.
import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  Adam,
  type CosineAnnealingWarmRestarts,
  LambdaLR,
  MultiplicativeLR,
  SGD,
  schedulerFromConfig,
  tensor,
  type EpochFunction,
  type LRScheduler,
  type Optimizer,
  type SchedulerConfig,
} from '@myelin/core';
import { TORCH_LR_SCHEDULES } from './test-torch-lr-schedules.js';

const RTOL = 1e-12;
const ATOL = 1e-18; // for lrs PyTorch computes as exactly 0

/** The script's LAMBDAS, the same expressions. */
const LAMBDAS: Record<string, EpochFunction> = {
  '0.95^epoch': (epoch) => 0.95 ** epoch,
  '1/(epoch+1)': (epoch) => 1 / (epoch + 1),
  '0.9': () => 0.9,
  '1-0.01*epoch': (epoch) => 1 - 0.01 * epoch,
};

type Case = (typeof TORCH_LR_SCHEDULES.cases)[number];

function makeOptimizer(testCase: Case): Optimizer {
  const [lr0, lr1] = testCase.lrs0 as [number, number];
  const groups = [
    { params: [tensor([0, 0])], lr: lr0 },
    { params: [tensor([0, 0, 0])], lr: lr1 },
  ];
  return testCase.optimizer === 'adam' ? new Adam(groups, { lr: lr0 }) : new SGD(groups, { lr: lr0, momentum: 0.9 });
}

function makeSchedule(testCase: Case, optimizer: Optimizer): LRScheduler {
  const config = testCase.config as SchedulerConfig & { lrLambda?: string | string[] };
  if (config.type === 'LambdaLR' || config.type === 'MultiplicativeLR') {
    const names = config.lrLambda!;
    const lrLambda = Array.isArray(names) ? names.map((n) => LAMBDAS[n]!) : LAMBDAS[names]!;
    return config.type === 'LambdaLR'
      ? new LambdaLR(optimizer, { lrLambda })
      : new MultiplicativeLR(optimizer, { lrLambda });
  }
  return schedulerFromConfig(optimizer, config);
}

/** Each group's momentum (SGD) or first beta (Adam). */
const momenta = (optimizer: Optimizer): number[] =>
  optimizer.paramGroups.map((g) => (Array.isArray(g.betas) ? (g.betas[0] as number) : (g.momentum as number)));

function trace(testCase: Case, optimizer: Optimizer, schedule: LRScheduler, steps: number) {
  const out = { lrs: [schedule.getLastLr()], momentum: [momenta(optimizer)] };
  for (let i = 0; i < steps; i++) {
    schedule.step();
    out.lrs.push(schedule.getLastLr());
    out.momentum.push(momenta(optimizer));
  }
  expect(
    optimizer.paramGroups.map((g) => g.lr),
    `${testCase.name}: the groups' lrs`,
  ).toEqual(out.lrs.at(-1));
  return out;
}

function relativeError(got: number, want: number): number {
  const error = Math.abs(got - want);
  return error <= ATOL ? 0 : error / Math.abs(want);
}

function expectClose(got: number[][], want: number[][], what: string): void {
  expect(got.length, what).toBe(want.length);
  want.forEach((row, step) =>
    row.forEach((w, group) => {
      const g = got[step]![group]!;
      if (!(relativeError(g, w) <= RTOL))
        expect.fail(
          `${what} at step ${step}, group ${group}: got ${g}, PyTorch ${w} (relative error ${relativeError(g, w)})`,
        );
    }),
  );
}

describe('LR schedules: get_last_lr() after each step() matches torch.optim.lr_scheduler', () => {
  it('the fixture covers every schedule PyTorch has but ReduceLROnPlateau and OneCycleLR (tested beside them)', () => {
    const types = new Set(TORCH_LR_SCHEDULES.cases.map((c) => c.config.type));
    for (const type of [
      'StepLR',
      'MultiStepLR',
      'ExponentialLR',
      'CosineAnnealingLR',
      'LinearLR',
      'ConstantLR',
      'PolynomialLR',
      'CosineAnnealingWarmRestarts',
      'CyclicLR',
      'LambdaLR',
      'MultiplicativeLR',
      'SequentialLR',
      'ChainedScheduler',
    ])
      expect(types.has(type), type).toBe(true);
  });

  for (const testCase of TORCH_LR_SCHEDULES.cases) {
    it(`${testCase.name} (${testCase.optimizer})`, () => {
      const optimizer = makeOptimizer(testCase);
      const got = trace(testCase, optimizer, makeSchedule(testCase, optimizer), TORCH_LR_SCHEDULES.steps);
      expectClose(got.lrs, testCase.lrs, 'lr');
      if ('momentum' in testCase) expectClose(got.momentum, testCase.momentum as number[][], 'momentum');
    });
  }
});

describe('CosineAnnealingWarmRestarts.stepToEpoch: torch step(epoch) at fractional epochs', () => {
  for (const epochCase of TORCH_LR_SCHEDULES.epochCases) {
    it(`tMult ${String(epochCase.config.tMult ?? 1)}: epochs ${epochCase.epochs.join(', ')}`, () => {
      const optimizer = makeOptimizer(TORCH_LR_SCHEDULES.cases[0]!);
      const schedule = schedulerFromConfig(optimizer, epochCase.config) as CosineAnnealingWarmRestarts;
      const got = epochCase.epochs.map((epoch) => {
        schedule.stepToEpoch(epoch);
        return schedule.getLastLr();
      });
      expectClose(got, epochCase.lrs, 'lr');
      expect(schedule.lastEpoch).toBe(epochCase.lastEpoch);
    });
  }
});

describe('LR schedules: a run resumed from stateDict() continues exactly', () => {
  for (const testCase of TORCH_LR_SCHEDULES.cases) {
    it(`${testCase.name} (${testCase.optimizer}): stopped after 7 and after 13 steps`, () => {
      const steps = TORCH_LR_SCHEDULES.steps;
      const reference = makeOptimizer(testCase);
      const straight = trace(testCase, reference, makeSchedule(testCase, reference), steps);
      for (const stop of [7, 13]) {
        const first = makeOptimizer(testCase);
        const firstSchedule = makeSchedule(testCase, first);
        trace(testCase, first, firstSchedule, stop);
        const saved = JSON.parse(JSON.stringify(firstSchedule.stateDict())) as Record<string, unknown>;
        const second = makeOptimizer(testCase);
        const secondSchedule = makeSchedule(testCase, second);
        secondSchedule.loadStateDict(saved);
        const resumed = trace(testCase, second, secondSchedule, steps - stop);
        expect(resumed.lrs, `lrs after a stop at ${stop}`).toEqual(straight.lrs.slice(stop));
        expect(resumed.momentum, `momentum after a stop at ${stop}`).toEqual(straight.momentum.slice(stop));
      }
    });
  }
});
