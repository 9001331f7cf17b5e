// RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam, Rprop and ASGD: defaults, option checks, skipped parameters,
// parameter groups and optional state. Their numbers against PyTorch are in torch-parity.test.ts;
// memory, host reads and the stateDict round trip in optimizer.test.ts.
import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ASGD,
  Adadelta,
  Adagrad,
  Adamax,
  ArgumentError,
  NAdam,
  RAdam,
  RMSprop,
  Rprop,
  dispose,
  optimizerFromConfig,
  type Optimizer,
  type Tensor,
} from '@myelin/core';
import { param, quadraticGrad, setGrad, values } from './test-helpers.js';

describe('defaults (PyTorch’s, option names camelCased)', () => {
  it('each optimizer starts from torch.optim’s defaults', () => {
    const p = param([1]);
    expect(new RMSprop([p]).defaults).toEqual({
      lr: 1e-2,
      alpha: 0.99,
      eps: 1e-8,
      weightDecay: 0,
      momentum: 0,
      centered: false,
    });
    expect(new Adagrad([p]).defaults).toEqual({
      lr: 1e-2,
      lrDecay: 0,
      weightDecay: 0,
      initialAccumulatorValue: 0,
      eps: 1e-10,
    });
    expect(new Adadelta([p]).defaults).toEqual({ lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0 });
    expect(new Adamax([p]).defaults).toEqual({ lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
    expect(new NAdam([p]).defaults).toEqual({
      lr: 2e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      momentumDecay: 4e-3,
    });
    expect(new RAdam([p]).defaults).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
    expect(new Rprop([p]).defaults).toEqual({ lr: 1e-2, etas: [0.5, 1.2], stepSizes: [1e-6, 50] });
    expect(new ASGD([p]).defaults).toEqual({ lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6, weightDecay: 0 });
  });

  it('the first step of each, worked by hand (g = 0.5 on p = 1)', () => {
    const first = (make: (p: Tensor) => Optimizer): number => {
      const p = param([1]);
      setGrad(p, [0.5]);
      make(p).step();
      return values(p)[0]!;
    };
    // RMSprop: squareAvg = 0.01 * 0.25, p = 1 - 0.01 * 0.5 / (0.05 + 1e-8)
    expect(first((p) => new RMSprop([p]))).toBeCloseTo(1 - 0.005 / (0.05 + 1e-8), 7);
    // Adagrad: sum = 0.25, p = 1 - 0.01 * 0.5 / 0.5
    expect(first((p) => new Adagrad([p]))).toBeCloseTo(0.99, 7);
    // Adadelta: squareAvg = 0.025, delta = sqrt(1e-6) / sqrt(0.025 + 1e-6) * 0.5
    expect(first((p) => new Adadelta([p]))).toBeCloseTo(1 - (1e-3 / Math.sqrt(0.025001)) * 0.5, 7);
    // Adamax: expAvg = 0.05, expInf = 0.5 + 1e-8, p = 1 - (2e-3 / 0.1) * 0.05 / expInf
    expect(first((p) => new Adamax([p]))).toBeCloseTo(1 - 0.02 * (0.05 / (0.5 + 1e-8)), 7);
    // NAdam: the two terms of the Nesterov step sum to lr * (about 1) at step 1
    const mu = 0.9 * (1 - 0.5 * 0.96 ** 4e-3);
    const muNext = 0.9 * (1 - 0.5 * 0.96 ** 8e-3);
    const denom = 0.5 + 1e-8;
    const nadam =
      1 - ((2e-3 * (1 - mu)) / (1 - mu)) * (0.5 / denom) - ((2e-3 * muNext) / (1 - mu * muNext)) * (0.05 / denom);
    expect(first((p) => new NAdam([p]))).toBeCloseTo(nadam, 7);
    // RAdam at step 1 is unrectified: p = 1 - (0.05 / 0.1) * lr
    expect(first((p) => new RAdam([p]))).toBeCloseTo(1 - 0.5 * 1e-3, 7);
    // Rprop: prev = 0, so the step size stays lr and p moves by lr against the sign
    expect(first((p) => new Rprop([p]))).toBeCloseTo(0.99, 7);
    // ASGD: p = 1 * (1 - 1e-4 * 0.01) - 0.01 * 0.5
    expect(first((p) => new ASGD([p]))).toBeCloseTo(1 - 1e-6 - 0.005, 7);
  });
});

describe('validation: an ArgumentError naming the optimizer, group, option, value and range', () => {
  const p = param([1]);
  it('RMSprop', () => {
    expect(() => new RMSprop([p], { alpha: 1.5 })).toThrow(
      'RMSprop parameter group 0: invalid alpha 1.5 (must be in [0, 1])',
    );
    expect(() => new RMSprop([p], { momentum: -0.1 })).toThrow(
      'RMSprop parameter group 0: invalid momentum -0.1 (must be a finite number >= 0)',
    );
    expect(() => new RMSprop([p], { eps: -1 })).toThrow(/RMSprop parameter group 0: invalid eps -1/);
    expect(() => new RMSprop([p], { weightDecay: Number.NaN })).toThrow(/invalid weightDecay NaN/);
    expect(() => new RMSprop([p], { centered: 1 as never })).toThrow(
      'RMSprop parameter group 0: invalid centered 1 (must be true or false)',
    );
    expect(() => new RMSprop([p], { lr: -1 })).toThrow('RMSprop parameter group 0: invalid lr -1');
  });
  it('Adagrad', () => {
    expect(() => new Adagrad([p], { lrDecay: -0.5 })).toThrow(
      'Adagrad parameter group 0: invalid lrDecay -0.5 (must be a finite number >= 0)',
    );
    expect(() => new Adagrad([p], { initialAccumulatorValue: -1 })).toThrow(/invalid initialAccumulatorValue -1/);
    expect(() => new Adagrad([p], { eps: Infinity })).toThrow(/invalid eps Infinity/);
    expect(() => new Adagrad([p], { weightDecay: -1 })).toThrow(ArgumentError);
  });
  it('Adadelta', () => {
    expect(() => new Adadelta([p], { rho: 1.1 })).toThrow(
      'Adadelta parameter group 0: invalid rho 1.1 (must be in [0, 1])',
    );
    expect(() => new Adadelta([p], { rho: -0.1 })).toThrow(/invalid rho -0.1/);
    expect(() => new Adadelta([p], { eps: -1e-6 })).toThrow(/Adadelta parameter group 0: invalid eps -0.000001/);
    expect(new Adadelta([p], { rho: 1 }).defaults.rho).toBe(1);
  });
  it('Adamax and NAdam', () => {
    expect(() => new Adamax([p], { betas: [0.9, 1] })).toThrow(
      'Adamax parameter group 0: invalid beta2 (betas[1]) 1 (must be in [0, 1))',
    );
    expect(() => new Adamax([p], { betas: [0.9] as never })).toThrow(/Adamax parameter group 0: invalid betas \[0.9\]/);
    expect(() => new NAdam([p], { momentumDecay: -4e-3 })).toThrow(
      'NAdam parameter group 0: invalid momentumDecay -0.004 (must be a finite number >= 0)',
    );
    expect(() => new NAdam([p], { betas: [-0.1, 0.999] })).toThrow(/NAdam parameter group 0: invalid beta1/);
  });
  it('RAdam, Rprop and ASGD', () => {
    expect(() => new RAdam([p], { betas: [0.9, 1.2] })).toThrow(
      'RAdam parameter group 0: invalid beta2 (betas[1]) 1.2 (must be in [0, 1))',
    );
    expect(() => new RAdam([p], { eps: -1 })).toThrow(/RAdam parameter group 0: invalid eps -1/);
    expect(() => new Rprop([p], { etas: [1.2, 0.5] })).toThrow(
      'Rprop parameter group 0: invalid etas [1.2, 0.5] (must be a pair [etaminus, etaplus] with 0 < etaminus < 1 < etaplus)',
    );
    expect(() => new Rprop([p], { etas: [0, 1.2] })).toThrow(/Rprop parameter group 0: invalid etas \[0, 1.2\]/);
    expect(() => new Rprop([p], { stepSizes: [1, 0.5] })).toThrow(
      'Rprop parameter group 0: invalid stepSizes [1, 0.5] (must be a pair [min, max] of finite numbers with 0 <= min <= max)',
    );
    expect(() => new Rprop([p], { stepSizes: 0.1 as never })).toThrow(/invalid stepSizes 0.1/);
    expect(() => new ASGD([p], { lambd: -1 })).toThrow(
      'ASGD parameter group 0: invalid lambd -1 (must be a finite number >= 0)',
    );
    expect(() => new ASGD([p], { alpha: Number.NaN })).toThrow(/ASGD parameter group 0: invalid alpha NaN/);
    expect(() => new ASGD([p], { t0: -5 })).toThrow(/ASGD parameter group 0: invalid t0 -5/);
    expect(() => new ASGD([p], { weight_decay: 0.1 } as never)).toThrow(/'weight_decay' is 'weightDecay' here/);
  });
  it('unknown options, naming the camelCase spelling of PyTorch’s snake_case ones', () => {
    expect(() => new Adagrad([p], { lr_decay: 0.1 } as never)).toThrow(
      "Adagrad: unknown option 'lr_decay' (allowed: lr, lrDecay, weightDecay, initialAccumulatorValue, eps; 'lr_decay' is 'lrDecay' here)",
    );
    expect(() => new RMSprop([p], { beta: 0.9 } as never)).toThrow(
      "RMSprop: unknown option 'beta' (allowed: lr, alpha, eps, weightDecay, momentum, centered)",
    );
    expect(() => new NAdam([p], { momentum_decay: 0 } as never)).toThrow(/'momentum_decay' is 'momentumDecay' here/);
    expect(() => new Adadelta([p], { amsgrad: true } as never)).toThrow(/Adadelta: unknown option 'amsgrad'/);
    expect(() => new Adamax([p], { fused: true } as never)).toThrow(/Adamax: unknown option 'fused'/);
  });
  it('a parameter group’s own options are checked and the group named', () => {
    const q = param([2]);
    expect(() => new RMSprop([{ params: [p] }, { params: [q], alpha: 2 }])).toThrow(
      'RMSprop parameter group 1: invalid alpha 2 (must be in [0, 1])',
    );
  });
});

const everyOptimizer: [string, (params: Tensor[] | { params: Tensor[]; lr: number }[]) => Optimizer][] = [
  ['RMSprop', (ps) => new RMSprop(ps as Tensor[], { momentum: 0.5, centered: true })],
  ['Adagrad', (ps) => new Adagrad(ps as Tensor[], { initialAccumulatorValue: 0.1 })],
  ['Adadelta', (ps) => new Adadelta(ps as Tensor[])],
  ['Adamax', (ps) => new Adamax(ps as Tensor[])],
  ['NAdam', (ps) => new NAdam(ps as Tensor[])],
  ['RAdam', (ps) => new RAdam(ps as Tensor[])],
  // stepSizes' minimum would lift lr 0's step sizes to 1e-6 (as in PyTorch): 0 lets lr 0 stand still.
  ['Rprop', (ps) => new Rprop(ps as Tensor[], { stepSizes: [0, 50] })],
  ['ASGD', (ps) => new ASGD(ps as Tensor[])],
];

describe('parameters without a gradient, and parameter groups', () => {
  for (const [name, make] of everyOptimizer) {
    it(`${name}: a parameter whose grad is null is left alone and gets no state`, () => {
      const p = param([1, -1]);
      const q = param([5]);
      const opt = make([p, q]);
      for (let i = 0; i < 3; i++) {
        quadraticGrad(p, 0.5);
        opt.step();
      }
      expect(values(q)).toEqual([5]);
      expect(values(p)).not.toEqual([1, -1]);
      const { state } = opt.stateDict();
      expect(Object.keys(state)).toEqual(['0']);
      expect(state[0]!.step).toBe(3);
      dispose(state);
      opt.dispose();
    });

    it(`${name}: groups with different lr move by their own lr (lr 0 stands still)`, () => {
      const [a, b, c] = [param([1, -1]), param([1, -1]), param([1, -1])];
      const opt = make([
        { params: [a], lr: 0.1 },
        { params: [b], lr: 0 },
        { params: [c], lr: 0.05 },
      ]);
      const lone = param([1, -1]);
      const alone = make([{ params: [lone], lr: 0.05 }]);
      for (let i = 0; i < 3; i++) {
        for (const t of [a, b, c, lone]) quadraticGrad(t, 0.25);
        opt.step();
        alone.step();
      }
      expect(values(b)).toEqual([1, -1]);
      expect(values(c), 'a group steps exactly as an optimizer of its own').toEqual(values(lone));
      expect(values(a)).not.toEqual(values(c));
      expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.1, 0, 0.05]);
    });
  }
});

describe('RMSprop’s optional state (momentumBuffer with momentum > 0, gradAvg when centered)', () => {
  it('is created only by the options that use it, and a saved state must have what its options need', () => {
    const p = param([1, 2]);
    const plain = new RMSprop([p]);
    setGrad(p, [0.5, -1]);
    plain.step();
    const saved = plain.stateDict();
    expect(Object.keys(saved.state[0]!).sort()).toEqual(['squareAvg', 'step']);
    // A state without the buffers loads into the same options, but not into momentum or centered.
    const q = param([1, 2]);
    new RMSprop([q]).loadStateDict(saved);
    const withMomentum = { ...saved, paramGroups: [{ ...saved.paramGroups[0]!, momentum: 0.9 }] };
    expect(() => new RMSprop([q]).loadStateDict(withMomentum)).toThrow(
      "RMSprop.loadStateDict: parameter 0: state 'momentumBuffer' is missing (expected step, squareAvg, momentumBuffer, gradAvg)",
    );
    const centered = { ...saved, paramGroups: [{ ...saved.paramGroups[0]!, centered: true }] };
    expect(() => new RMSprop([q]).loadStateDict(centered)).toThrow(/state 'gradAvg' is missing/);
    dispose(saved.state);
  });

  it('turning momentum on later starts the buffer from zeros (PyTorch raises a KeyError there)', () => {
    const p = param([1]);
    const opt = new RMSprop([p], { lr: 0.1 });
    setGrad(p, [0.5]);
    opt.step();
    opt.paramGroups[0]!.momentum = 0.9;
    const before = values(p)[0]!;
    setGrad(p, [0.5]);
    opt.step();
    const { state } = opt.stateDict();
    // buf = 0.9 * 0 + g / avg, so this step equals the plain one.
    const squareAvg = 0.99 * 0.0025 + 0.01 * 0.25;
    expect(values(state[0]!.momentumBuffer as Tensor)[0]).toBeCloseTo(0.5 / (Math.sqrt(squareAvg) + 1e-8), 4);
    expect(values(p)[0]).toBeCloseTo(before - (0.1 * 0.5) / (Math.sqrt(squareAvg) + 1e-8), 5);
    dispose(state);
  });
});

describe('optimizerFromConfig builds the five by name', () => {
  it('rmsprop, Adagrad, ADADELTA, adamax, NAdam with their options', () => {
    const p = param([1]);
    const cases: [string, object, abstract new (...args: never[]) => Optimizer, object][] = [
      ['rmsprop', { momentum: 0.9, centered: true }, RMSprop, { lr: 1e-2, alpha: 0.99, momentum: 0.9, centered: true }],
      ['Adagrad', { lrDecay: 0.01 }, Adagrad, { lr: 1e-2, lrDecay: 0.01, eps: 1e-10 }],
      ['ADADELTA', { rho: 0.95 }, Adadelta, { lr: 1, rho: 0.95, eps: 1e-6 }],
      ['adamax', { betas: [0.8, 0.9] }, Adamax, { lr: 2e-3, betas: [0.8, 0.9] }],
      ['NAdam', { lr: 0.01, momentumDecay: 0.01 }, NAdam, { lr: 0.01, momentumDecay: 0.01, eps: 1e-8 }],
    ];
    for (const [type, options, Class, group] of cases) {
      const optimizer = optimizerFromConfig([p], { type, ...options });
      expect(optimizer, type).toBeInstanceOf(Class);
      expect(optimizer.paramGroups[0], type).toMatchObject(group);
    }
    expect(() => optimizerFromConfig([p], { type: 'adagrad', initial_accumulator_value: 0.1 })).toThrow(
      "optimizerFromConfig(adagrad): unknown option 'initial_accumulator_value' (allowed: lr, lrDecay, weightDecay, initialAccumulatorValue, eps; 'initial_accumulator_value' is 'initialAccumulatorValue' here)",
    );
    expect(() => optimizerFromConfig([p], { type: 'nadam', betas: [1, 0.9] })).toThrow(
      'NAdam parameter group 0: invalid beta1 (betas[0]) 1',
    );
  });
});
