import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  CosineAnnealingLR,
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

  it('rejects unknown types and options', () => {
    expect(() => schedulerFromConfig(optimizer(), { type: 'SWALR' })).toThrow(
      "schedulerFromConfig: unknown schedule type 'SWALR' (known: StepLR, MultiStepLR",
    );
    expect(() => schedulerFromConfig(optimizer(), { type: 'StepLR', stepSize: 2, gamm: 0.1 })).toThrow(
      "StepLR: unknown option 'gamm' (allowed: stepSize, gamma)",
    );
    expect(() => schedulerFromConfig(optimizer(), {} as never)).toThrow(
      /expected a config object with a string 'type'/,
    );
  });
});
