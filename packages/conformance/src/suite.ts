import { describe, expect, it } from 'vitest';
import {
  PRIMITIVE_OPS,
  fromHost,
  linear,
  noGrad,
  nonDifferentiableOps,
  tidy,
  type Backend,
  type DType,
  type PrimitiveOp,
} from '@myelin/core';
import { createCpuReferenceBackend } from '@myelin/backend-cpu-reference';
import { allCases } from './cases/index.js';
import { describeOptimizerConformance } from './cases/optimizers.js';
import type { OpCase } from './cases/types.js';
import { expectClose, type Tolerance } from './compare.js';
import { finiteDifferenceGradients, runForward, runGradients } from './evaluate.js';
import { hostInputs } from './inputs.js';
import { trainMlp } from './training.js';

export interface ConformanceOptions {
  /** Shown in the suite's name. */
  name: string;
  /** Makes the backend under test (called once, before the tests). */
  createBackend: () => Backend | Promise<Backend>;
  /** Per-tier tolerances against cpu-reference; float32 rounding by default. */
  tolerance?: { forward?: Tolerance; gradient?: Tolerance; training?: Tolerance };
  /** Test names (case names, or tier test names) to skip, each with the reason. */
  skip?: Record<string, string>;
  /** Check analytic gradients against central finite differences in float64 (needs float64 and readSync). */
  finiteDifferences?: boolean;
}

const FLOAT32_TOLERANCE: Tolerance = { atol: 1e-5, rtol: 1e-5 };
const GRADIENT_TOLERANCE: Tolerance = { atol: 1e-4, rtol: 1e-4 };
const TRAINING_TOLERANCE: Tolerance = { atol: 1e-4, rtol: 1e-4 };
const FINITE_DIFFERENCE_TOLERANCE: Tolerance = { atol: 1e-6, rtol: 1e-6 };

/**
 * The one conformance suite: a backend package calls this from its own test file. Tiers:
 * 1 forward values, 2 gradients (and finite differences where float64 runs), 3 end-to-end
 * training, 4 flat memory; plus the fused kernels and a meta-test that every primitive is covered.
 */
export function runConformanceSuite(options: ConformanceOptions): void {
  const skip = options.skip ?? {};
  const tolerance = {
    forward: options.tolerance?.forward ?? FLOAT32_TOLERANCE,
    gradient: options.tolerance?.gradient ?? GRADIENT_TOLERANCE,
    training: options.tolerance?.training ?? TRAINING_TOLERANCE,
  };
  const oracle = createCpuReferenceBackend();
  let backendPromise: Promise<Backend> | null = null;
  const backend = (): Promise<Backend> => (backendPromise ??= Promise.resolve(options.createBackend()));
  const test = (name: string, fn: () => Promise<void>, timeout?: number): void => {
    const reason = skip[name];
    if (reason !== undefined) it.skip(`${name} (skipped: ${reason})`, fn);
    else it(name, fn, timeout);
  };

  describe(`conformance: ${options.name}`, () => {
    describe('tier 1: forward values against cpu-reference', () => {
      for (const testCase of allCases) {
        test(testCase.name, async () => {
          const values = hostInputs(testCase);
          const expected = await runForward(testCase, values, oracle, 'float32');
          const actual = await runForward(testCase, values, await backend(), 'float32');
          expect(actual.shape, `${testCase.name}: shape`).toEqual(expected.shape);
          expect(actual.dtype, `${testCase.name}: dtype`).toBe(expected.dtype);
          const exact = expected.dtype === 'int32' || expected.dtype === 'bool';
          expectClose(actual.values, expected.values, exact ? { atol: 0, rtol: 0 } : tolerance.forward, testCase.name);
        });
      }
    });

    describe('tier 2: gradients against cpu-reference', () => {
      for (const testCase of gradientCases()) {
        test(testCase.name, async () => {
          const values = hostInputs(testCase);
          const expected = await runGradients(testCase, values, oracle, 'float32');
          const actual = await runGradients(testCase, values, await backend(), 'float32');
          expected.grads.forEach((grad, i) => {
            const got = actual.grads[i];
            if (grad === null || got === null || got === undefined) {
              expect(got ?? null, `${testCase.name}: input ${i} gradient presence`).toEqual(grad);
              return;
            }
            expectClose(got, grad, tolerance.gradient, `${testCase.name}: gradient of input ${i}`);
          });
        });
      }
    });

    // Only where float64 and synchronous reads exist (cpu-reference): other backends are
    // compared with cpu-reference's gradients in the tier above instead.
    if (options.finiteDifferences)
      describe('tier 2: gradients against central finite differences (float64)', () => {
        for (const testCase of gradientCases()) {
          const reason = testCase.noFiniteDifferences;
          if (reason !== undefined) {
            it.skip(`${testCase.name} (skipped: ${reason})`, () => {});
            continue;
          }
          test(testCase.name, async () => {
            const b = await backend();
            const values = hostInputs(testCase);
            const analytic = await runGradients(testCase, values, b, 'float64');
            const numeric = finiteDifferenceGradients(testCase, values, b, 1e-6);
            numeric.forEach((grad, i) => {
              if (grad === null) return;
              // No graph to the input means a zero gradient: the function is locally constant in it.
              const got = analytic.grads[i] ?? new Float64Array(grad.length);
              expectClose(
                got,
                grad,
                FINITE_DIFFERENCE_TOLERANCE,
                `${testCase.name}: gradient of input ${i} vs finite differences`,
              );
            });
          });
        }
      });

    describe('tier 3: end-to-end fixed-seed MLP', () => {
      for (const optimizer of ['sgd', 'adam'] as const) {
        test(`${optimizer}: 5 steps give the same losses and parameters as cpu-reference`, async () => {
          const expected = await trainMlp(oracle, { steps: 5, optimizer });
          const actual = await trainMlp(await backend(), { steps: 5, optimizer });
          expectClose(actual.losses, expected.losses, tolerance.training, `${optimizer} loss trajectory`);
          expect(actual.losses[4]!, `${optimizer}: the loss decreases`).toBeLessThan(actual.losses[0]!);
          expected.parameters.forEach((p, i) =>
            expectClose(actual.parameters[i]!, p, tolerance.training, `${optimizer} parameter ${i}`),
          );
        });
      }
    });

    describe('tier 4: memory', () => {
      test('live handles stay flat across 50 training steps and return to the start', async () => {
        const b = await backend();
        const before = b.liveHandles();
        const run = await trainMlp(b, { steps: 50, optimizer: 'adam', readEvery: 10 });
        expect(run.liveHandles[49], 'live handles after step 50 vs after step 1').toBe(run.liveHandles[0]);
        expect(b.liveHandles(), 'live handles after disposing the model').toBe(before);
      }, 120_000);
      test('tidy frees intermediates of forward and backward', async () => {
        const b = await backend();
        const x = fromHost(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3], { backend: b, requiresGrad: true });
        const before = b.liveHandles();
        const result = tidy(() => {
          const y = x.mul(x).softmax(1).logsumexp(1).sum();
          y.backward();
          return y.detach();
        });
        expect(b.liveHandles(), 'the result and x.grad survive').toBe(before + 2);
        result.dispose();
        x.dispose();
        expect(b.liveHandles()).toBe(before - 1);
      });
    });

    describe('fused kernels', () => {
      for (const activation of ['linear', 'relu', 'sigmoid', 'tanh'] as const) {
        test(`matmulBiasActivation (${activation}) matches the composed path`, async () => {
          const b = await backend();
          if (!b.fused?.matmulBiasActivation) {
            // Nothing fused to compare: the composed path is what tiers 1-3 already checked.
            expect(b.fused?.matmulBiasActivation).toBeUndefined();
            return;
          }
          const make = (values: number[], shape: number[], requiresGrad = false) =>
            fromHost(Float32Array.from(values), shape, { backend: b, requiresGrad });
          const x = make([0.5, -1, 2, 0.1, -0.3, 0.7], [2, 3]);
          const w = make([0.2, -0.4, 0.6, -0.8, 1.0, 0.3, 0.9, -0.1, 0.05, -0.7, 0.25, 0.4], [4, 3], true);
          const bias = make([0.1, -0.2, 0.3, -0.4], [4]);
          const fused = noGrad(() => linear(x, w, bias, activation));
          const composed = tidy(() => linear(x, w, bias, activation).detach());
          expectClose(await fused.data(), await composed.data(), tolerance.forward, `fused ${activation}`);
          for (const t of [x, w, bias, fused, composed]) t.dispose();
        });
      }
    });

    describeOptimizerConformance({ backend, oracle, tolerance: tolerance.training, skip });

    it('meta: every primitive has a forward case, and every differentiable one a gradient case', () => {
      const forward = new Set<PrimitiveOp>(allCases.flatMap((c) => c.covers));
      const gradient = new Set<PrimitiveOp>(gradientCases().flatMap((c) => c.covers));
      const missingForward = PRIMITIVE_OPS.filter((op) => !forward.has(op));
      const missingGradient = PRIMITIVE_OPS.filter((op) => !nonDifferentiableOps.has(op) && !gradient.has(op));
      expect(missingForward, 'primitives without a forward case').toEqual([]);
      expect(missingGradient, 'differentiable primitives without a gradient case').toEqual([]);
    });
  });
}

/** Cases whose output is float and that have a float input: the ones with gradients to check. */
function gradientCases(): OpCase[] {
  return allCases.filter(
    (c) =>
      c.grad !== false &&
      c.inputs.some((spec) => isFloatSpec(spec.dtype) && spec.grad !== false) &&
      !c.covers.every((op) => nonDifferentiableOps.has(op)),
  );
}

function isFloatSpec(dtype: DType | undefined): boolean {
  return dtype === undefined || dtype === 'float32';
}
