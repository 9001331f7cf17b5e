import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { Adam, AdamW, SGD, optimizerFromConfig } from '@myelin/core';
import { param } from './test-helpers.js';

describe('optimizerFromConfig', () => {
  it('builds SGD, Adam and AdamW with their options (type is case-insensitive)', () => {
    const p = param([1]);
    const sgd = optimizerFromConfig([p], { type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true });
    expect(sgd).toBeInstanceOf(SGD);
    expect(sgd.paramGroups[0]).toMatchObject({ lr: 0.1, momentum: 0.9, nesterov: true, dampening: 0 });
    expect(optimizerFromConfig([p], { type: 'Adam', betas: [0.8, 0.9] }).paramGroups[0]).toMatchObject({
      lr: 1e-3,
      betas: [0.8, 0.9],
    });
    const adamW = optimizerFromConfig([p], { type: 'adamw', lr: 3e-4 });
    expect(adamW).toBeInstanceOf(AdamW);
    expect(adamW).toBeInstanceOf(Adam);
    expect(adamW.paramGroups[0]!.weightDecay).toBe(1e-2);
  });

  it('rejects unknown types and options, and passes values to the optimizer to check', () => {
    const p = param([1]);
    expect(() => optimizerFromConfig([p], { type: 'lbfgs' })).toThrow(
      "optimizerFromConfig: unknown optimizer type 'lbfgs' (known: sgd, adam, adamw, rmsprop, adagrad, adadelta, adamax, nadam)",
    );
    expect(() => optimizerFromConfig([p], { type: 'sgd', lr: 0.1, beta: 0.9 })).toThrow(
      "optimizerFromConfig(sgd): unknown option 'beta' (allowed: lr, momentum, dampening, nesterov, weightDecay)",
    );
    expect(() => optimizerFromConfig([p], { type: 'adam', lr: -1 })).toThrow('Adam parameter group 0: invalid lr -1');
    expect(() => optimizerFromConfig([p], null as never)).toThrow(/expected a config object with a string 'type'/);
  });
});
