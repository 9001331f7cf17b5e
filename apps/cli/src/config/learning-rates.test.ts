import '@myelin/backend-cpu-reference';
import { optimizerFromConfig, tensor } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LEARNING_RATES, defaultLearningRate, describeDefaultLearningRates } from './learning-rates.js';

describe('default learning rate per optimizer', () => {
  it("is core's default (PyTorch's) for every type but sgd (none in PyTorch) and adam/adamw (the CLI's 0.002)", () => {
    const parameter = tensor([1, 2], { requiresGrad: true });
    for (const [type, lr] of Object.entries(DEFAULT_LEARNING_RATES)) {
      if (type === 'sgd') {
        expect(() => optimizerFromConfig([parameter], { type })).toThrow(/lr/);
        expect(lr).toBe(0.002);
        continue;
      }
      const optimizer = optimizerFromConfig([parameter], { type });
      const coreDefault = optimizer.paramGroups[0]!.lr;
      if (type === 'adam' || type === 'adamw') expect([type, coreDefault, lr]).toEqual([type, 1e-3, 2e-3]);
      else expect([type, lr]).toEqual([type, coreDefault]);
    }
    parameter.dispose();
  });

  it("matches types in any case and knows none but core's", () => {
    expect(defaultLearningRate('Adadelta')).toBe(1);
    expect(defaultLearningRate('RMSprop')).toBe(0.01);
    expect(defaultLearningRate('lbfgs')).toBeUndefined();
    expect(defaultLearningRate('toString')).toBeUndefined();
    expect(describeDefaultLearningRates()).toBe(
      'sgd, adam, adamw, adamax, nadam 0.002; rmsprop, adagrad, rprop, asgd 0.01; adadelta 1; radam 0.001',
    );
  });
});
