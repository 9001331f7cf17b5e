// LBFGS: float64 trajectories against torch.optim.LBFGS (test-torch-lbfgs-swa.ts, made by
// scripts/make-torch-lbfgs-swa-fixture.py), with and without the strong Wolfe line search, the
// state it keeps, its round trip through stateDict, memory, and its option checks.
import { describe, expect, it } from 'vitest';
import { createCpuReferenceBackend } from '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  LBFGS,
  dispose,
  fromHost,
  optimizerFromConfig,
  tidy,
  type LBFGSOptions,
  type OptimizerState,
  type Tensor,
} from '@myelin/core';
import { TORCH_LBFGS_SWA } from './test-torch-lbfgs-swa.js';
import { closeTo } from './test-helpers.js';

const backend = createCpuReferenceBackend();
const { problems } = TORCH_LBFGS_SWA;

const f64 = (data: number[], shape: number[], requiresGrad = false): Tensor =>
  fromHost(data, shape, { backend, dtype: 'float64', requiresGrad });

const expectCloseTo = closeTo(1e-8, 1e-12);

interface Problem {
  params: Tensor[];
  loss: () => Tensor;
  constants: Tensor[];
}

function makeProblem(name: string): Problem {
  if (name === 'rosenbrock') {
    const { a, b } = problems.rosenbrock;
    const params = [f64(a, [4], true), f64(b.flat(), [2, 2], true)];
    const [pa, pb] = params as [Tensor, Tensor];
    // sum(100 * (b - a^2)^2 + (1 - a)^2), with torch's operation order.
    const loss = () => pb.reshape([4]).sub(pa.mul(pa)).square().mul(100).add(pa.neg().add(1).square()).sum();
    return { params, loss, constants: [] };
  }
  const { x, y, w, bias } = problems['least squares'];
  const params = [f64(w.flat(), [3, 2], true), f64(bias, [2], true)];
  const xs = f64(x.flat(), [8, 3]);
  const ys = f64(y.flat(), [8, 2]);
  const [pw, pb] = params as [Tensor, Tensor];
  return { params, loss: () => xs.matmul(pw).add(pb).sub(ys).square().mean(), constants: [xs, ys] };
}

/** The closure PyTorch's docs show: zero the gradients, evaluate, backward, return the loss. */
function closureFor(optimizer: LBFGS, problem: Problem): () => Tensor {
  return () => {
    optimizer.zeroGrad();
    return tidy(() => {
      const loss = problem.loss();
      loss.backward();
      return loss;
    });
  };
}

describe('LBFGS: float64 trajectories match torch.optim.LBFGS', () => {
  it('the fixture covers both problems with and without strong_wolfe', () => {
    const kinds = TORCH_LBFGS_SWA.lbfgs.map((c) => `${c.problem} ${'lineSearchFn' in c.options ? 'wolfe' : 'fixed'}`);
    expect(new Set(kinds)).toEqual(
      new Set(['rosenbrock fixed', 'rosenbrock wolfe', 'least squares fixed', 'least squares wolfe']),
    );
  });

  for (const testCase of TORCH_LBFGS_SWA.lbfgs) {
    it(`${testCase.name}: ${testCase.trajectory.length} steps, evaluation counts and the final state`, async () => {
      const problem = makeProblem(testCase.problem);
      const optimizer = new LBFGS(problem.params, testCase.options as Partial<LBFGSOptions>);
      const before = backend.liveHandles();
      try {
        for (const [k, want] of testCase.trajectory.entries()) {
          const loss = await optimizer.step(closureFor(optimizer, problem));
          expectCloseTo([loss], [want.loss], `step ${k + 1}: the loss step returned`);
          problem.params.forEach((p, i) =>
            expectCloseTo(p.dataSync(), want.params[i]!, `step ${k + 1}, parameter ${i}`),
          );
          const { state } = optimizer.stateDict();
          expect([state[0]!.funcEvals, state[0]!.nIter], `step ${k + 1}: funcEvals, nIter`).toEqual([
            want.funcEvals,
            want.nIter,
          ]);
          dispose(state);
        }
        optimizer.zeroGrad();
        const { state } = optimizer.stateDict();
        const saved = state[0]!;
        const want = testCase.state;
        expectCloseTo([saved.t as number, saved.hDiag as number], [want.t, want.hDiag], 't, hDiag');
        expectCloseTo([saved.prevLoss as number], [want.prevLoss], 'prevLoss');
        expectCloseTo((saved.d as Tensor).dataSync(), want.d, 'd');
        expectCloseTo((saved.prevFlatGrad as Tensor).dataSync(), want.prevFlatGrad, 'prevFlatGrad');
        const ro = Object.keys(saved)
          .filter((k) => k.startsWith('ro.'))
          .map((k) => saved[k] as number);
        expect(ro.length, 'history length').toBe(want.history);
        expectCloseTo(ro, want.ro, 'ro');
        dispose(state);
        // What a step keeps: d, prevFlatGrad and the history pairs (the gradients were zeroed).
        expect(backend.liveHandles() - before).toBe(2 + 2 * want.history);
      } finally {
        optimizer.dispose();
        dispose([...problem.params, ...problem.constants]);
      }
    });
  }
});

describe('LBFGS: state, closures and checks', () => {
  it('stateDict / loadStateDict: 2 steps, save, load into a fresh optimizer, 2 more == 4 uninterrupted', async () => {
    const options: Partial<LBFGSOptions> = { maxIter: 4, historySize: 3, lineSearchFn: 'strong_wolfe' };
    const straight = makeProblem('rosenbrock');
    const a = new LBFGS(straight.params, options);
    for (let i = 0; i < 4; i++) await a.step(closureFor(a, straight));

    const resumed = makeProblem('rosenbrock');
    const first = new LBFGS(resumed.params, options);
    for (let i = 0; i < 2; i++) await first.step(closureFor(first, resumed));
    const saved = first.stateDict();
    first.dispose();
    const second = new LBFGS(resumed.params, options);
    second.loadStateDict({ state: saved.state, paramGroups: JSON.parse(JSON.stringify(saved.paramGroups)) });
    dispose(saved.state);
    for (let i = 0; i < 2; i++) await second.step(closureFor(second, resumed));
    resumed.params.forEach((p, i) =>
      expect(Array.from(p.dataSync()), `parameter ${i}`).toEqual(Array.from(straight.params[i]!.dataSync())),
    );
    for (const o of [a, second]) o.dispose();
    dispose([...straight.params, ...resumed.params]);
  });

  it('loadStateDict checks names, flat lengths and complete history before changing anything', async () => {
    const problem = makeProblem('least squares');
    const optimizer = new LBFGS(problem.params, { maxIter: 3 });
    await optimizer.step(closureFor(optimizer, problem));
    const saved = optimizer.stateDict();
    const entry = saved.state[0]!;
    const bad = (change: Record<string, unknown>): OptimizerState => ({
      ...saved,
      state: { 0: { ...entry, ...change } as Record<string, Tensor | number> },
    });
    const short = f64([1, 2], [2]);
    expect(() => optimizer.loadStateDict(bad({ d: short }))).toThrow(
      "LBFGS.loadStateDict: state 'd' has shape [2], expected [8] (all parameters flattened)",
    );
    expect(() => optimizer.loadStateDict(bad({ momentum: 1 }))).toThrow(
      /LBFGS.loadStateDict: unknown state 'momentum'/,
    );
    expect(() => optimizer.loadStateDict(bad({ 'ro.0': undefined }))).toThrow(/state 'ro.0' must be a finite number/);
    expect(() => optimizer.loadStateDict(bad({ nIter: 1.5 }))).toThrow(
      /state 'nIter' must be an integer >= 0, got 1.5/,
    );
    expect(() => optimizer.loadStateDict({ ...saved, state: { 1: entry } })).toThrow(
      'LBFGS.loadStateDict: LBFGS keeps its state under parameter 0, got state for 1',
    );
    const { state } = optimizer.stateDict();
    expect(state[0]!.nIter).toBe(entry.nIter);
    dispose([short, state, saved.state]);
    optimizer.dispose();
    dispose(problem.params);
  });

  it('an async closure and a number as the loss work; no closure, or a bad loss, is an error naming it', async () => {
    const problem = makeProblem('least squares');
    const optimizer = new LBFGS(problem.params, { maxIter: 2 });
    const closure = closureFor(optimizer, problem);
    const loss = await optimizer.step(async () => {
      const t = closure();
      const value = await t.item();
      t.dispose();
      return value;
    });
    expectCloseTo(
      [loss],
      [TORCH_LBFGS_SWA.lbfgs.find((c) => c.problem === 'least squares')!.trajectory[0]!.loss],
      'loss',
    );
    expect(() => (optimizer.step as () => Promise<number>)()).toThrow(/LBFGS.step: needs a closure/);
    await expect(optimizer.step(() => problem.params[0]!.detach())).rejects.toThrow(
      'LBFGS.step: the closure must return a one-element loss, got shape [3,2]',
    );
    await expect(optimizer.step(() => 'x' as never)).rejects.toThrow(/the closure must return the loss/);
    optimizer.dispose();
    dispose(problem.params);
  });

  it('option checks name the option, the value and what is allowed; one parameter group only', () => {
    const p = f64([1], [1], true);
    const q = f64([1], [1], true);
    expect(new LBFGS([p]).defaults).toEqual({
      lr: 1,
      maxIter: 20,
      maxEval: 25,
      toleranceGrad: 1e-7,
      toleranceChange: 1e-9,
      historySize: 100,
      lineSearchFn: null,
    });
    expect(new LBFGS([p], { maxIter: 7 }).defaults.maxEval).toBe(8);
    expect(() => new LBFGS([p], { maxIter: 0 })).toThrow(
      'LBFGS parameter group 0: invalid maxIter 0 (must be an integer >= 1)',
    );
    expect(() => new LBFGS([p], { historySize: 2.5 })).toThrow(/invalid historySize 2.5 \(must be an integer >= 1\)/);
    expect(() => new LBFGS([p], { toleranceGrad: -1 })).toThrow(
      /invalid toleranceGrad -1 \(must be a finite number >= 0\)/,
    );
    expect(() => new LBFGS([p], { lineSearchFn: 'wolfe' as never })).toThrow(
      `LBFGS parameter group 0: invalid lineSearchFn "wolfe" (must be null or 'strong_wolfe')`,
    );
    expect(() => new LBFGS([p], { line_search_fn: 'strong_wolfe' } as never)).toThrow(
      /'line_search_fn' is 'lineSearchFn' here/,
    );
    expect(() => new LBFGS([{ params: [p] }, { params: [q] }])).toThrow(ArgumentError);
    expect(() => new LBFGS([{ params: [p] }, { params: [q] }])).toThrow(/LBFGS: takes one parameter group/);
    expect(() => optimizerFromConfig([p], { type: 'lbfgs' })).toThrow(/build it in code/);
    dispose([p, q]);
  });

  it('stops at once when the gradient is already below toleranceGrad', async () => {
    const problem = makeProblem('least squares');
    const optimizer = new LBFGS(problem.params, { toleranceGrad: 1e6 });
    const before = problem.params.map((p) => Array.from(p.dataSync()));
    await optimizer.step(closureFor(optimizer, problem));
    expect(problem.params.map((p) => Array.from(p.dataSync()))).toEqual(before);
    const { state } = optimizer.stateDict();
    expect(state[0]).toEqual({ funcEvals: 1, nIter: 0 });
    optimizer.dispose();
    dispose(problem.params);
  });
});
