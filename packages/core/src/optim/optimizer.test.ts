import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ASGD,
  Adadelta,
  Adagrad,
  Adam,
  AdamW,
  Adamax,
  Generator,
  LBFGS,
  NAdam,
  RAdam,
  RMSprop,
  Rprop,
  SGD,
  deserializeCheckpoint,
  dispose,
  disposeCheckpoint,
  getBackend,
  randn,
  serializeCheckpoint,
  tidy,
  type Backend,
  type Optimizer,
  type OptimizerState,
  type Tensor,
} from '@myelin/core';
import { countingBackend, fakeFusedBackend, param, quadraticGrad, setGrad, values } from './test-helpers.js';

type Make = (params: Tensor[]) => Optimizer;
const makers: [string, Make][] = [
  ['SGD momentum nesterov wd', (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
  ['SGD momentum dampening', (ps) => new SGD(ps, { lr: 0.05, momentum: 0.8, dampening: 0.3 })],
  ['Adam', (ps) => new Adam(ps, { lr: 0.05, weightDecay: 0.01 })],
  ['AdamW', (ps) => new AdamW(ps, { lr: 0.05 })],
  ['RMSprop', (ps) => new RMSprop(ps, { lr: 0.01 })],
  [
    'RMSprop centered momentum wd',
    (ps) => new RMSprop(ps, { lr: 0.01, centered: true, momentum: 0.9, weightDecay: 0.01 }),
  ],
  [
    'Adagrad lrDecay wd',
    (ps) => new Adagrad(ps, { lr: 0.1, lrDecay: 0.1, initialAccumulatorValue: 0.1, weightDecay: 0.01 }),
  ],
  ['Adadelta wd', (ps) => new Adadelta(ps, { weightDecay: 0.01 })],
  ['Adamax wd', (ps) => new Adamax(ps, { lr: 0.05, weightDecay: 0.01 })],
  ['NAdam wd', (ps) => new NAdam(ps, { lr: 0.05, weightDecay: 0.01, momentumDecay: 0.05 })],
  // betas[1] 0.8 reaches the rectified branch at step 8; 0.5 would never.
  ['RAdam wd', (ps) => new RAdam(ps, { lr: 0.05, betas: [0.9, 0.8], weightDecay: 0.01 })],
  ['Rprop', (ps) => new Rprop(ps, { lr: 0.05, etas: [0.4, 1.3], stepSizes: [0.01, 0.2] })],
  ['ASGD wd t0', (ps) => new ASGD(ps, { lr: 0.05, lambd: 0.01, t0: 2, weightDecay: 0.01 })],
];

function twoParams(backend?: Backend): Tensor[] {
  return [param([0.5, -1, 2], backend), param([3, -0.25], backend)];
}

function train(opt: Optimizer, params: Tensor[], steps: number): void {
  for (let i = 0; i < steps; i++) {
    params.forEach((p, k) => quadraticGrad(p, k - 0.5));
    opt.step();
  }
}

describe('param groups', () => {
  it('groups override the defaults, option by option', () => {
    const [a, b] = [param([1]), param([1])];
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.01, momentum: 0.9 }], { lr: 0.1 });
    expect(opt.paramGroups.map((g) => [g.lr, g.momentum, g.nesterov])).toEqual([
      [0.1, 0, false],
      [0.01, 0.9, false],
    ]);
    setGrad(a, [1]);
    setGrad(b, [1]);
    opt.step();
    expect(values(a)[0]).toBeCloseTo(0.9, 6);
    expect(values(b)[0]).toBeCloseTo(0.99, 6);
  });
  it('validates each group and names it', () => {
    const [a, b] = [param([1]), param([1])];
    expect(() => new SGD([{ params: [a] }, { params: [b], lr: -1 }], { lr: 0.1 })).toThrow(
      'SGD parameter group 1: invalid lr -1',
    );
    expect(() => new Adam([{ params: [a] }, { params: [a] }])).toThrow(
      /parameter group 1: params\[0\] .* appears more than once/,
    );
    const opt = new SGD([a], { lr: 0.1 });
    opt.addParamGroup({ params: [b], lr: 0.5 });
    expect(opt.paramGroups[1]!.lr).toBe(0.5);
  });

  it("refuses options it does not have, naming PyTorch's snake_case spelling", () => {
    const a = param([1]);
    expect(() => new SGD([a], { lr: 0.1, weight_decay: 0.1 } as never)).toThrow(
      "SGD: unknown option 'weight_decay' (allowed: lr, momentum, dampening, nesterov, weightDecay; 'weight_decay' is 'weightDecay' here)",
    );
    expect(() => new Adam([a], { amsgrad: true } as never)).toThrow(
      "Adam: unknown option 'amsgrad' (allowed: lr, betas, eps, weightDecay, fused)",
    );
    expect(() => new AdamW([a], { lr: 0.1, weight_decay: 0 } as never)).toThrow(
      /^AdamW: unknown option 'weight_decay'/,
    );
    // Parameter groups may carry keys of their own, as in PyTorch.
    expect(new SGD([{ params: [a], name: 'head' }], { lr: 0.1 }).paramGroups[0]!.name).toBe('head');
  });
});

describe('step: memory, backend and host reads', () => {
  for (const [name, make] of [
    ...makers,
    ['Adam (fused kernel)', (ps: Tensor[]) => new Adam(ps, { lr: 0.01 })] as [string, Make],
  ]) {
    it(`${name}: live handles after step 20 equal those after step 1; no host reads`, () => {
      // The fake fused kernel reads on the host by design, so reads are counted on the composed paths only.
      const fused = name.includes('fused') ? fakeFusedBackend() : null;
      const counting = countingBackend();
      const backend = fused?.backend ?? counting.backend;
      const generator = new Generator(7);
      const x = randn([8, 3], { backend, generator });
      const w = randn([3, 2], { backend, generator, requiresGrad: true });
      const bias = randn([2], { backend, generator, requiresGrad: true });
      const opt = make([w, bias]);
      const live: number[] = [];
      for (let step = 0; step < 20; step++) {
        tidy(() => x.matmul(w).add(bias).square().mean().backward());
        opt.step();
        opt.zeroGrad();
        live.push(backend.liveHandles());
      }
      expect(live[19], 'live handles after step 20 vs step 1').toBe(live[0]);
      if (fused) expect(fused.calls()).toBe(40);
      else expect(counting.reads(), 'host reads during training').toBe(0);
      opt.dispose();
      expect(backend.liveHandles(), 'dispose frees the optimizer state').toBe(3);
      dispose([x, w, bias]);
    });
  }
});

describe('stateDict / loadStateDict', () => {
  for (const [name, make] of makers) {
    it(`${name}: 3 steps, save, load into a fresh optimizer, 3 more == 6 uninterrupted (bit-identical)`, () => {
      const straight = twoParams();
      train(make(straight), straight, 6);

      const resumed = twoParams();
      const first = make(resumed);
      train(first, resumed, 3);
      const saved = first.stateDict();
      first.dispose();
      // The JSON half goes through JSON, as a checkpoint would store it.
      const restored: OptimizerState = {
        state: saved.state,
        paramGroups: JSON.parse(JSON.stringify(saved.paramGroups)),
      };
      const second = make(resumed);
      second.loadStateDict(restored);
      dispose(saved.state);
      train(second, resumed, 3);
      resumed.forEach((p, i) => expect(values(p), `parameter ${i}`).toEqual(values(straight[i]!)));
    });
  }

  it('returns copies with step counts and group options as JSON', () => {
    const ps = twoParams();
    const opt = new Adam([{ params: [ps[0]!] }, { params: [ps[1]!], lr: 0.5 }], { lr: 0.1 });
    train(opt, ps, 2);
    const saved = opt.stateDict();
    expect(saved.paramGroups).toEqual([
      { params: [0], lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 },
      { params: [1], lr: 0.5, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 },
    ]);
    expect(saved.state[1]!.step).toBe(2);
    const copy = values(saved.state[0]!.expAvg as Tensor);
    train(opt, ps, 1);
    expect(values(saved.state[0]!.expAvg as Tensor), 'the copy does not follow later steps').toEqual(copy);
    dispose(saved.state);
  });

  it('restores group options (e.g. an lr changed by a schedule)', () => {
    const p = param([1]);
    const first = new SGD([p], { lr: 0.1 });
    first.paramGroups[0]!.lr = 0.025;
    first.paramGroups[0]!.initialLr = 0.1;
    const second = new SGD([p], { lr: 0.1 });
    second.loadStateDict(first.stateDict());
    expect(second.paramGroups[0]).toMatchObject({ lr: 0.025, initialLr: 0.1, params: [p] });
  });

  it('validates group count, parameter counts, shapes and state names before changing anything', () => {
    const ps = twoParams();
    const opt = new Adam(ps, { lr: 0.1 });
    train(opt, ps, 1);
    const saved = opt.stateDict();
    const other = new Adam([{ params: [ps[0]!] }, { params: [ps[1]!] }]);
    expect(() => other.loadStateDict(saved)).toThrow(
      'Adam.loadStateDict: the saved state has 1 parameter groups, this optimizer has 2',
    );
    expect(() => new Adam([ps[0]!]).loadStateDict(saved)).toThrow(
      'Adam.loadStateDict: parameter group 0 has 2 parameters in the saved state, 1 in this optimizer',
    );
    const swapped = new Adam([ps[1]!, ps[0]!]);
    expect(() => swapped.loadStateDict(saved)).toThrow(
      "Adam.loadStateDict: parameter 0: state 'expAvg' has shape [3], expected the parameter's shape [2]",
    );
    const missing = { ...saved, state: { 0: { step: 1, expAvg: saved.state[0]!.expAvg! } } };
    expect(() => new Adam(ps).loadStateDict(missing)).toThrow(
      "state 'expAvgSq' is missing (expected step, expAvg, expAvgSq)",
    );
    const sgdGroups = new SGD(ps, { lr: 0.1 }).stateDict().paramGroups;
    expect(() => new SGD(ps, { lr: 0.1 }).loadStateDict({ state: saved.state, paramGroups: sgdGroups })).toThrow(
      "SGD.loadStateDict: parameter 0: unknown state 'step' (expected momentumBuffer)",
    );
    expect(() => new Adam(ps).loadStateDict({ ...saved, state: { 9: saved.state[0]! } })).toThrow(
      'state for parameter index 9, which no saved parameter group lists',
    );
    expect(() => new Adam(ps).loadStateDict({ ...saved, paramGroups: [{ ...saved.paramGroups[0]!, lr: -2 }] })).toThrow(
      'Adam.loadStateDict: parameter group 0: invalid lr -2',
    );
    // The failed loads left `swapped` untouched and usable.
    expect(swapped.stateDict().state).toEqual({});
    dispose(saved.state);
  });

  it("copies loaded tensors onto the parameters' backend", () => {
    const { backend } = countingBackend();
    const p = param([1, 2], backend);
    const source = new SGD([param([1, 2])], { lr: 0.1, momentum: 0.9 });
    setGrad(source.paramGroups[0]!.params[0]!, [1, 1]);
    source.step();
    const target = new SGD([p], { lr: 0.1, momentum: 0.9 });
    const saved = source.stateDict();
    target.loadStateDict(saved);
    const copy = target.stateDict();
    expect((copy.state[0]!.momentumBuffer as Tensor).backend).toBe(backend);
    expect(getBackend()).not.toBe(backend);
    dispose([saved.state, copy.state]);
  });
});

describe('through a checkpoint file (serializeCheckpoint / deserializeCheckpoint)', () => {
  const cases: [string, (ps: Tensor[]) => Optimizer][] = [
    ['RAdam', (ps) => new RAdam(ps, { lr: 0.05, betas: [0.9, 0.8], weightDecay: 0.01 })],
    ['Rprop', (ps) => new Rprop(ps, { lr: 0.05 })],
    ['ASGD', (ps) => new ASGD(ps, { lr: 0.05, t0: 1 })],
  ];
  for (const [name, make] of cases) {
    it(`${name}: 4 steps, save, load, 4 more == 8 uninterrupted`, async () => {
      const straight = twoParams();
      train(make(straight), straight, 8);
      const resumed = twoParams();
      const first = make(resumed);
      train(first, resumed, 4);
      const saved = first.stateDict();
      const files = await serializeCheckpoint({
        modelConfig: {},
        modelState: { a: resumed[0]!, b: resumed[1]! },
        optimizerState: saved,
        epoch: 4,
      });
      dispose(saved.state);
      first.dispose();
      const loaded = deserializeCheckpoint(files);
      const second = make(resumed);
      second.loadStateDict(loaded.optimizerState!);
      disposeCheckpoint(loaded);
      train(second, resumed, 4);
      resumed.forEach((p, i) => expect(values(p), `parameter ${i}`).toEqual(values(straight[i]!)));
    });
  }

  it('LBFGS: its flat history goes through the optimizer file and resumes bit-identically', async () => {
    const problem = (): { params: Tensor[]; closure: (o: LBFGS) => () => Tensor } => {
      const params = twoParams();
      return {
        params,
        closure: (o) => () => {
          o.zeroGrad();
          return tidy(() => {
            const loss = params[0]!.sub(0.5).square().sum().add(params[1]!.mul(params[1]!).sub(1).square().sum());
            loss.backward();
            return loss;
          });
        },
      };
    };
    const options = { maxIter: 3, historySize: 2, lineSearchFn: 'strong_wolfe' as const };
    const straight = problem();
    const a = new LBFGS(straight.params, options);
    for (let i = 0; i < 4; i++) await a.step(straight.closure(a));
    const resumed = problem();
    const first = new LBFGS(resumed.params, options);
    for (let i = 0; i < 2; i++) await first.step(resumed.closure(first));
    const saved = first.stateDict();
    expect(Object.keys(saved.state[0]!)).toEqual(
      expect.arrayContaining(['funcEvals', 'nIter', 'd', 'prevFlatGrad', 'oldDirs.0', 'oldStps.1', 'ro.1']),
    );
    const files = await serializeCheckpoint({
      modelConfig: {},
      modelState: { a: resumed.params[0]! },
      optimizerState: saved,
      epoch: 2,
    });
    dispose(saved.state);
    first.dispose();
    const loaded = deserializeCheckpoint(files);
    const second = new LBFGS(resumed.params, options);
    second.loadStateDict(loaded.optimizerState!);
    disposeCheckpoint(loaded);
    for (let i = 0; i < 2; i++) await second.step(resumed.closure(second));
    resumed.params.forEach((p, i) => expect(values(p), `parameter ${i}`).toEqual(values(straight.params[i]!)));
    a.dispose();
    second.dispose();
  });
});
