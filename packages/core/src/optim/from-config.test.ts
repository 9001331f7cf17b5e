import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { ASGD, Adam, AdamW, RAdam, Rprop, SGD, optimizerFromConfig } from '@myelin/core';
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

  it('builds RAdam, Rprop and ASGD with torch 1.13 defaults', () => {
    const p = param([1]);
    const radam = optimizerFromConfig([p], { type: 'radam', weightDecay: 0.1 });
    expect(radam).toBeInstanceOf(RAdam);
    expect(radam.paramGroups[0]).toMatchObject({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.1 });
    const rprop = optimizerFromConfig([p], { type: 'Rprop', etas: [0.4, 1.5] });
    expect(rprop).toBeInstanceOf(Rprop);
    expect(rprop.paramGroups[0]).toMatchObject({ lr: 1e-2, etas: [0.4, 1.5], stepSizes: [1e-6, 50] });
    const asgd = optimizerFromConfig([p], { type: 'asgd', t0: 10 });
    expect(asgd).toBeInstanceOf(ASGD);
    expect(asgd.paramGroups[0]).toMatchObject({ lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 10, weightDecay: 0 });
    expect(() => optimizerFromConfig([p], { type: 'rprop', step_sizes: [0, 1] })).toThrow(
      "optimizerFromConfig(rprop): unknown option 'step_sizes' (allowed: lr, etas, stepSizes; 'step_sizes' is 'stepSizes' here)",
    );
  });

  it('rejects unknown types and options, and passes values to the optimizer to check', () => {
    const p = param([1]);
    expect(() => optimizerFromConfig([p], { type: 'sparseadam' })).toThrow(
      "optimizerFromConfig: unknown optimizer type 'sparseadam' (known: sgd, adam, adamw, rmsprop, adagrad, adadelta, adamax, nadam, radam, rprop, asgd)",
    );
    // LBFGS exists but needs a closure per step: the error says how to build it in code.
    expect(() => optimizerFromConfig([p], { type: 'LBFGS' })).toThrow(
      /LBFGS's step takes a closure.*new LBFGS\(params/,
    );
    expect(() => optimizerFromConfig([p], { type: 'sgd', lr: 0.1, beta: 0.9 })).toThrow(
      "optimizerFromConfig(sgd): unknown option 'beta' (allowed: lr, momentum, dampening, nesterov, weightDecay)",
    );
    expect(() => optimizerFromConfig([p], { type: 'adam', lr: -1 })).toThrow('Adam parameter group 0: invalid lr -1');
    expect(() => optimizerFromConfig([p], null as never)).toThrow(/expected a config object with a string 'type'/);
  });
});
