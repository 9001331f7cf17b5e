import { describe, expect, it, type TestContext } from 'vitest';
import {
  AveragedModel,
  Generator,
  LBFGS,
  Linear,
  clipGradNorm_,
  ema,
  fromHost,
  noGrad,
  optimizerFromConfig,
  tidy,
  type Backend,
  type OptimizerConfig,
  type Tensor,
} from '@myelin/core';
import { expectClose, type Tolerance } from '../compare.js';

/** One optimizer configuration run for a few steps on every backend. */
export interface OptimizerCase {
  name: string;
  config: OptimizerConfig;
  /** Clip the global gradient norm before each step (exercises clipGradNorm_ too). */
  clipNorm?: number;
}

export const optimizerCases: readonly OptimizerCase[] = [
  { name: 'adam (L2 weight decay)', config: { type: 'adam', lr: 0.05, weightDecay: 0.01 } },
  { name: 'adamw (decoupled weight decay)', config: { type: 'adamw', lr: 0.05, weightDecay: 0.1, betas: [0.8, 0.99] } },
  {
    name: 'sgd momentum nesterov + clipGradNorm_',
    config: { type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 },
    clipNorm: 0.5,
  },
  {
    name: 'rmsprop centered momentum (weight decay)',
    config: { type: 'rmsprop', lr: 0.01, momentum: 0.9, centered: true, weightDecay: 0.01 },
  },
  { name: 'adagrad (lr decay)', config: { type: 'adagrad', lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 } },
  { name: 'adadelta (weight decay)', config: { type: 'adadelta', lr: 1, rho: 0.9, weightDecay: 0.01 } },
  { name: 'adamax', config: { type: 'adamax', lr: 0.05, betas: [0.8, 0.99] } },
  { name: 'nadam (weight decay)', config: { type: 'nadam', lr: 0.05, weightDecay: 0.01, momentumDecay: 4e-3 } },
  // betas[1] 0.5 keeps RAdam unrectified for 4 steps; 0.7 rectifies from step 4.
  {
    name: 'radam (weight decay, rectified from step 4)',
    config: { type: 'radam', lr: 0.05, betas: [0.9, 0.7], weightDecay: 0.01 },
  },
  { name: 'rprop', config: { type: 'rprop', lr: 0.05, etas: [0.4, 1.3], stepSizes: [1e-3, 0.2] } },
  { name: 'asgd (averaging from step 2)', config: { type: 'asgd', lr: 0.05, lambd: 0.01, t0: 1, weightDecay: 0.01 } },
];

/**
 * LBFGS (fixed step, or `strongWolfe`) for `steps` steps of the least-squares problem of
 * runOptimizerSteps: the closure re-evaluates the loss and gradients, the optimizer reads
 * scalars back between its iterations. liveHandles: before the run and after everything it made
 * was disposed.
 */
export async function runLbfgsSteps(backend: Backend, strongWolfe: boolean, steps: number): Promise<OptimizerRun> {
  const before = backend.liveHandles();
  const generator = new Generator(2024);
  const make = (shape: number[], requiresGrad = false) =>
    fromHost(generator.normal(shape.reduce((a, b) => a * b, 1)), shape, { backend, dtype: 'float32', requiresGrad });
  const x = make([6, 4]);
  const y = make([6, 3]);
  const parameters = [make([4, 3], true), make([3], true)];
  const [w, b] = parameters as [Tensor, Tensor];
  const optimizer = new LBFGS(parameters, {
    maxIter: 3,
    historySize: 2,
    lineSearchFn: strongWolfe ? 'strong_wolfe' : null,
    lr: strongWolfe ? 1 : 0.2,
  });
  const liveHandles: number[] = [];
  try {
    for (let step = 0; step < steps; step++) {
      await optimizer.step(() => {
        optimizer.zeroGrad();
        return tidy(() => {
          const loss = x.matmul(w).add(b).sub(y).square().mean();
          loss.backward();
          return loss;
        });
      });
      optimizer.zeroGrad();
    }
    const values = await Promise.all(parameters.map((p) => p.data()));
    return { parameters: values.map((v) => Float32Array.from(v)), liveHandles };
  } finally {
    optimizer.dispose();
    for (const t of [x, y, ...parameters]) t.dispose();
    liveHandles.push(before, backend.liveHandles());
  }
}

/** AveragedModel over a Linear whose weights change between updates: the equal average, then an EMA. */
export async function runAveragedModel(backend: Backend, withEma: boolean): Promise<Float32Array[]> {
  const generator = new Generator(7);
  const model = new Linear(4, 3, { backend });
  const swa = new AveragedModel(
    model,
    withEma
      ? { avgFn: ema(0.8), copy: () => new Linear(4, 3, { backend }) }
      : { copy: () => new Linear(4, 3, { backend }) },
  );
  try {
    for (let k = 0; k < 4; k++) {
      noGrad(() =>
        tidy(() => {
          for (const p of model.parameters())
            p.assign(fromHost(generator.normal(p.size), [...p.shape], { backend, dtype: 'float32' }));
        }),
      );
      swa.updateParameters(model);
    }
    const values = await Promise.all(swa.module.parameters().map((p) => p.data()));
    return values.map((v) => Float32Array.from(v));
  } finally {
    swa.dispose();
    model.dispose();
  }
}

/** The cases whose optimizer has a fused kernel to check against its composed ops (Adam's adamUpdate). */
const hasFusedAdam = (c: OptimizerCase): boolean => c.config.type === 'adam' || c.config.type === 'adamw';

export interface OptimizerRun {
  parameters: Float32Array[];
  /** backend.liveHandles() after each step. */
  liveHandles: number[];
}

/**
 * A fixed-seed linear least-squares problem, mean((x W + b - y)^2), optimized for `steps`
 * steps. A third parameter never gets a gradient: every optimizer must skip it.
 */
export async function runOptimizerSteps(
  backend: Backend,
  testCase: OptimizerCase,
  steps: number,
  extra: Record<string, unknown> = {},
): Promise<OptimizerRun> {
  const generator = new Generator(2024);
  const make = (shape: number[], requiresGrad = false) =>
    fromHost(generator.normal(shape.reduce((a, b) => a * b, 1)), shape, { backend, dtype: 'float32', requiresGrad });
  const x = make([6, 4]);
  const y = make([6, 3]);
  const parameters = [make([4, 3], true), make([3], true), make([2], true)];
  const [w, b] = parameters as [typeof x, typeof x];
  const optimizer = optimizerFromConfig(parameters, { ...testCase.config, ...extra } as OptimizerConfig);
  const liveHandles: number[] = [];
  try {
    for (let step = 0; step < steps; step++) {
      tidy(() => x.matmul(w).add(b).sub(y).square().mean().backward());
      if (testCase.clipNorm !== undefined) clipGradNorm_(parameters, testCase.clipNorm).dispose();
      optimizer.step();
      optimizer.zeroGrad();
      liveHandles.push(backend.liveHandles());
    }
    const values = await Promise.all(parameters.map((p) => p.data()));
    return { parameters: values.map((v) => Float32Array.from(v)), liveHandles };
  } finally {
    optimizer.dispose();
    for (const t of [x, y, ...parameters]) t.dispose();
  }
}

/**
 * The optimizer tier: a few steps of each case on the backend under test against cpu-reference,
 * and Adam's fused `adamUpdate` kernel against core's composed ops on the same backend.
 */
export function describeOptimizerConformance(options: {
  backend: () => Promise<Backend>;
  oracle: Backend;
  tolerance: Tolerance;
  skip: Record<string, string>;
}): void {
  const { backend, oracle, tolerance, skip } = options;
  const test = (name: string, fn: (context: TestContext) => Promise<void>): void => {
    const reason = skip[name];
    if (reason !== undefined) it.skip(`${name} (skipped: ${reason})`, fn);
    else it(name, fn);
  };

  describe('optimizers: steps against cpu-reference, fused against composed', () => {
    for (const testCase of optimizerCases) {
      test(`${testCase.name}: 4 steps match cpu-reference, flat live handles`, async () => {
        const expected = await runOptimizerSteps(oracle, testCase, 4);
        const actual = await runOptimizerSteps(await backend(), testCase, 4);
        expected.parameters.forEach((p, i) =>
          expectClose(actual.parameters[i]!, p, tolerance, `${testCase.name}: parameter ${i}`),
        );
        expect(actual.liveHandles[3], 'live handles after step 4 vs step 1').toBe(actual.liveHandles[0]);
      });
    }

    for (const strongWolfe of [false, true]) {
      const name = `lbfgs${strongWolfe ? ' (strong_wolfe)' : ''}: 2 closure steps match cpu-reference, nothing left behind`;
      test(name, async () => {
        const expected = await runLbfgsSteps(oracle, strongWolfe, 2);
        const actual = await runLbfgsSteps(await backend(), strongWolfe, 2);
        expected.parameters.forEach((p, i) =>
          expectClose(actual.parameters[i]!, p, tolerance, `${name}: parameter ${i}`),
        );
        expect(actual.liveHandles[1], 'live handles after the run vs before it').toBe(actual.liveHandles[0]);
      });
    }

    for (const withEma of [false, true]) {
      const name = `AveragedModel (${withEma ? 'ema' : 'equal average'}): 4 updates match cpu-reference`;
      test(name, async () => {
        const expected = await runAveragedModel(oracle, withEma);
        const actual = await runAveragedModel(await backend(), withEma);
        expected.forEach((p, i) => expectClose(actual[i]!, p, tolerance, `${name}: parameter ${i}`));
      });
    }

    for (const testCase of optimizerCases.filter(hasFusedAdam)) {
      test(`${testCase.name}: fused adamUpdate kernel equals composed ops (composed only where the backend has no kernel)`, async (context) => {
        const b = await backend();
        const composed = await runOptimizerSteps(b, testCase, 4, { fused: false });
        if (b.fused?.adamUpdate) {
          const fused = await runOptimizerSteps(b, testCase, 4, { fused: true });
          composed.parameters.forEach((p, i) =>
            expectClose(fused.parameters[i]!, p, tolerance, `${testCase.name}: fused vs composed, parameter ${i}`),
          );
          expect(fused.liveHandles[3], 'fused path: live handles after step 4 vs step 1').toBe(fused.liveHandles[0]);
          return;
        }
        // No kernel: nothing fused to compare. Check the default falls back to composed ops and
        // that asking for the kernel says it is missing, and report what ran.
        const fallback = await runOptimizerSteps(b, testCase, 4);
        composed.parameters.forEach((p, i) =>
          expectClose(
            fallback.parameters[i]!,
            p,
            { atol: 0, rtol: 0 },
            `${testCase.name}: default vs fused: false, parameter ${i}`,
          ),
        );
        await expect(runOptimizerSteps(b, testCase, 1, { fused: true })).rejects.toThrow(
          `backend '${b.name}' has no fused adamUpdate kernel`,
        );
        await context.annotate(`backend '${b.name}' has no fused.adamUpdate kernel: only the composed path ran`);
      });
    }
  });
}
