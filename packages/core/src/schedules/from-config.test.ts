import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ChainedScheduler,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  CyclicLR,
  LinearLR,
  PolynomialLR,
  SequentialLR,
  LinearWarmup,
  MultiStepLR,
  ReduceLROnPlateau,
  SGD,
  StepLR,
  schedulerFromConfig,
  tensor,
} from '@myelin/core';

const optimizer = () => new SGD([tensor([1])], { lr: 0.1 });

describe('schedulerFromConfig', () => {
  it('builds each schedule from its class name (any case) or short alias', () => {
    expect(schedulerFromConfig(optimizer(), { type: 'StepLR', stepSize: 3 })).toBeInstanceOf(StepLR);
    expect(schedulerFromConfig(optimizer(), { type: 'multistep', milestones: [1] })).toBeInstanceOf(MultiStepLR);
    expect(schedulerFromConfig(optimizer(), { type: 'cosineannealinglr', tMax: 5 })).toBeInstanceOf(CosineAnnealingLR);
    expect(schedulerFromConfig(optimizer(), { type: 'warmup', warmupEpochs: 2 })).toBeInstanceOf(LinearWarmup);
    const plateau = schedulerFromConfig(optimizer(), { type: 'ReduceLROnPlateau', mode: 'max', patience: 3 });
    expect(plateau).toBeInstanceOf(ReduceLROnPlateau);
    expect(plateau.stateDict()).toMatchObject({ options: { mode: 'max', patience: 3 } });
    expect(schedulerFromConfig(optimizer(), { type: 'exponential', gamma: 0.5 }).getLastLr()).toEqual([0.1]);
  });

  it('builds the PyTorch schedules added later, SequentialLR and ChainedScheduler from nested configs', () => {
    expect(schedulerFromConfig(optimizer(), { type: 'linear' })).toBeInstanceOf(LinearLR);
    expect(schedulerFromConfig(optimizer(), { type: 'ConstantLR', factor: 0.5 }).getLastLr()).toEqual([0.05]);
    expect(schedulerFromConfig(optimizer(), { type: 'polynomial', power: 2 })).toBeInstanceOf(PolynomialLR);
    expect(schedulerFromConfig(optimizer(), { type: 'cosinerestarts', t0: 10 })).toBeInstanceOf(
      CosineAnnealingWarmRestarts,
    );
    expect(schedulerFromConfig(optimizer(), { type: 'cyclic', baseLr: 0.01, maxLr: 0.1 })).toBeInstanceOf(CyclicLR);
    const sequential = schedulerFromConfig(optimizer(), {
      type: 'SequentialLR',
      schedulers: [
        { type: 'linear', startFactor: 0.1, totalIters: 5 },
        { type: 'cosine', tMax: 95 },
      ],
      milestones: [5],
    });
    expect(sequential).toBeInstanceOf(SequentialLR);
    expect(sequential.getLastLr()[0]).toBeCloseTo(0.01, 15);
    expect(
      schedulerFromConfig(optimizer(), { type: 'chained', schedulers: [{ type: 'step', stepSize: 2 }] }),
    ).toBeInstanceOf(ChainedScheduler);
  });

  it('refuses LambdaLR and MultiplicativeLR (a function is no config value) and names the nested schedule that failed', () => {
    expect(() => schedulerFromConfig(optimizer(), { type: 'LambdaLR' })).toThrow(
      'schedulerFromConfig: LambdaLR takes a function of the epoch (lrLambda), which a config cannot hold; make it in code',
    );
    expect(() => schedulerFromConfig(optimizer(), { type: 'multiplicative' })).toThrow(
      'or use ExponentialLR ({ "gamma": 0.95 }) for a constant factor',
    );
    expect(() =>
      schedulerFromConfig(optimizer(), {
        type: 'SequentialLR',
        schedulers: [{ type: 'linear' }, { type: 'cosine', tMax: 0 }],
        milestones: [5],
      }),
    ).toThrow('SequentialLR: schedulers[1]: CosineAnnealingLR: invalid tMax 0 (must be an integer >= 1)');
    expect(() =>
      schedulerFromConfig(optimizer(), { type: 'SequentialLR', schedulers: 'cosine', milestones: [] }),
    ).toThrow('SequentialLR: invalid schedulers "cosine" (must be a non-empty array of schedule configs');
    expect(() => schedulerFromConfig(optimizer(), { type: 'chained', schedulers: [], milestones: [2] })).toThrow(
      "ChainedScheduler: unknown option 'milestones' (allowed: schedulers)",
    );
  });

  it('rejects unknown types and options', () => {
    expect(() => schedulerFromConfig(optimizer(), { type: 'CosineLR' })).toThrow(
      "schedulerFromConfig: unknown schedule type 'CosineLR' (known: StepLR, MultiStepLR",
    );
    expect(() => schedulerFromConfig(optimizer(), { type: 'StepLR', stepSize: 2, gamm: 0.1 })).toThrow(
      "StepLR: unknown option 'gamm' (allowed: stepSize, gamma)",
    );
    expect(() => schedulerFromConfig(optimizer(), {} as never)).toThrow(
      /expected a config object with a string 'type'/,
    );
  });
});
