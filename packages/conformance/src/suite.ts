import { describe, expect, it, type TestContext } from 'vitest';
import {
  PRIMITIVE_OPS,
  fromHost,
  nonDifferentiableOps,
  tidy,
  type Backend,
  type DType,
  type PrimitiveOp,
} from '@myelin/core';
import { createCpuReferenceBackend } from '@myelin/backend-cpu-reference';
import { allCases } from './cases/index.js';
import { describeOptimizerConformance } from './cases/optimizers.js';
import { describeFusedConformance } from './cases/fused.js';
import type { OpCase } from './cases/types.js';
import { expectClose, type Tolerance } from './compare.js';
import { finiteDifferenceGradients, runForward, runGradients } from './evaluate.js';
import { hostInputs } from './inputs.js';
import { PYTORCH_GRADIENTS } from './cases/pytorch-gradients.js';
import { trainMlp } from './training.js';
import { describePytorchCnn } from './pytorch-cnn.js';

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
  /**
   * The backend under test is cpu-reference itself. Comparing it with a second instance shows
   * only that it is deterministic, so tiers 1-3 each run as ONE determinism test over every case
   * instead of one test per case, and the totals count independent checks.
   */
  oracle?: boolean;
  /**
   * Multiplies the time limit of the slow tests (the fused kernels' 60 s), for an instrumented
   * build that runs many times slower (backend-cuda's ThreadSanitizer race check). Default 1.
   */
  slowdown?: number;
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
  const test = (name: string, fn: (context: TestContext) => Promise<void>, timeout?: number): void => {
    const reason = skip[name];
    if (reason !== undefined) it.skip(`${name} (skipped: ${reason})`, fn);
    else it(name, fn, timeout);
  };

  describe(`conformance: ${options.name}`, () => {
    if (options.oracle) describeDeterminism(backend, oracle);
    else {
      describe('tier 1: forward values against cpu-reference', () => {
        for (const testCase of allCases) {
          test(testCase.name, async () => {
            const values = hostInputs(testCase);
            const expected = await runForward(testCase, values, oracle, 'float32');
            const actual = await runForward(testCase, values, await backend(), 'float32');
            expect(actual.shape, `${testCase.name}: shape`).toEqual(expected.shape);
            expect(actual.dtype, `${testCase.name}: dtype`).toBe(expected.dtype);
            const exact = expected.dtype === 'int32' || expected.dtype === 'bool';
            expectClose(
              actual.values,
              expected.values,
              exact ? { atol: 0, rtol: 0 } : tolerance.forward,
              testCase.name,
            );
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
    }

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

    // The cases finite differences skip: their gradients against PyTorch's, as literals.
    if (options.finiteDifferences)
      describe("tier 2: gradients against PyTorch's (literals) where finite differences skip", () => {
        for (const testCase of gradientCases().filter((c) => c.noFiniteDifferences !== undefined)) {
          test(testCase.name, async () => {
            const expected = PYTORCH_GRADIENTS[testCase.name];
            expect(expected, `${testCase.name}: no entry in cases/pytorch-gradients.ts`).toBeDefined();
            const { grads } = await runGradients(testCase, hostInputs(testCase), await backend(), 'float32');
            expected!.forEach((want, i) => {
              const got = grads[i] ?? null;
              const label = `${testCase.name}: gradient of input ${i} vs PyTorch`;
              if (want === null || got === null)
                return void expect(got === null, `${label}: presence`).toBe(want === null);
              const at = Array.isArray(want) ? want.map((_, j) => j) : Object.keys(want).map(Number);
              const values = Array.isArray(want) ? want : at.map((j) => (want as Record<number, number>)[j]!);
              if (!Array.isArray(want)) expect(got.length, `${label}: size`).toBeGreaterThan(Math.max(...at));
              else expect(got.length, `${label}: size`).toBe(want.length);
              expectClose(
                Float64Array.from(at, (j) => got[j]!),
                Float64Array.from(values),
                tolerance.gradient,
                label,
              );
            });
          });
        }
      });

    if (!options.oracle)
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
      test('read takes the values when called: disposing the handle right after changes nothing', async () => {
        // fit relies on this to keep training while a loss read is in flight.
        const b = await backend();
        const before = b.liveHandles();
        const x = b.fromData(Float32Array.from([1.5, -2, 3]), [3], 'float32');
        const doubled = b.binary('add', x, x, [3]);
        const pending = [b.read(x), b.read(doubled)];
        b.dispose(x);
        b.dispose(doubled);
        // Their storage may be handed out again at once: make and fill new handles of that size.
        const others = [b.fill([3], 7, 'float32'), b.fill([3], -7, 'float32')];
        const [first, second] = await Promise.all(pending);
        expect(Array.from(first!)).toEqual([1.5, -2, 3]);
        expect(Array.from(second!)).toEqual([3, -4, 6]);
        for (const h of others) b.dispose(h);
        // As fit does: a running sum replaced every step, read every 10th step and checked one
        // read later, with other work queued meanwhile.
        const ones = b.fill([1, 32, 32], 1, 'float32');
        let sum = b.fill([], 0, 'float32');
        const reads: Promise<ArrayLike<number>>[] = [];
        const checked: number[] = [];
        for (let step = 1; step <= 30; step++) {
          const product = b.matmul(ones, ones, false, false);
          const total = b.reduce('sum', product, [0, 1, 2], false); // 32^3
          const next = b.binary('add', sum, total, []);
          for (const h of [product, total, sum]) b.dispose(h);
          sum = next;
          if (step % 10 === 0) {
            reads.push(b.read(sum));
            if (reads.length > 1) checked.push((await reads.at(-2)!)[0]!);
          }
        }
        checked.push((await reads.at(-1)!)[0]!);
        expect(checked).toEqual([10, 20, 30].map((steps) => steps * 32 ** 3));
        b.dispose(sum);
        b.dispose(ones);
        expect(b.liveHandles()).toBe(before);
      });
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

    describeFusedConformance({ backend, tolerance, skip, timeout: 60_000 * (options.slowdown ?? 1) });

    describeOptimizerConformance({ backend, oracle, tolerance: tolerance.training, skip });

    describePytorchCnn(backend, tolerance.gradient, skip);

    it('meta: every primitive has a forward case, and every differentiable one a gradient case', () => {
      const forward = new Set<PrimitiveOp>(allCases.flatMap((c) => c.covers));
      const gradient = new Set<PrimitiveOp>(gradientCases().flatMap((c) => c.covers));
      const missingForward = PRIMITIVE_OPS.filter((op) => !forward.has(op));
      const missingGradient = PRIMITIVE_OPS.filter((op) => !nonDifferentiableOps.has(op) && !gradient.has(op));
      expect(missingForward, 'primitives without a forward case').toEqual([]);
      expect(missingGradient, 'differentiable primitives without a gradient case').toEqual([]);
      const skipping = gradientCases()
        .filter((c) => c.noFiniteDifferences !== undefined)
        .map((c) => c.name);
      expect(
        skipping.filter((name) => PYTORCH_GRADIENTS[name] === undefined),
        'cases without finite differences and without PyTorch gradients',
      ).toEqual([]);
      expect(
        Object.keys(PYTORCH_GRADIENTS).filter((name) => !skipping.includes(name)),
        'PyTorch gradients of no such case',
      ).toEqual([]);
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

/**
 * The oracle's own run: a second cpu-reference instance must give bit-identical forward values,
 * gradients and training runs. One test per tier, so these do not count as independent checks.
 */
function describeDeterminism(backend: () => Promise<Backend>, oracle: Backend): void {
  const exact: Tolerance = { atol: 0, rtol: 0 };
  describe('determinism: cpu-reference against a second instance of itself (not independent checks)', () => {
    it(`tier 1: forward values of all ${allCases.length} cases are bit-identical`, async () => {
      const b = await backend();
      for (const testCase of allCases) {
        const values = hostInputs(testCase);
        const [first, second] = [
          await runForward(testCase, values, oracle, 'float32'),
          await runForward(testCase, values, b, 'float32'),
        ];
        expect(second.shape, `${testCase.name}: shape`).toEqual(first.shape);
        expectClose(second.values, first.values, exact, testCase.name);
      }
    });
    it(`tier 2: gradients of all ${gradientCases().length} gradient cases are bit-identical`, async () => {
      const b = await backend();
      for (const testCase of gradientCases()) {
        const values = hostInputs(testCase);
        const first = await runGradients(testCase, values, oracle, 'float32');
        const second = await runGradients(testCase, values, b, 'float32');
        first.grads.forEach((grad, i) => {
          const got = second.grads[i] ?? null;
          if (grad === null || got === null) return void expect(got, `${testCase.name}: input ${i}`).toEqual(grad);
          expectClose(got, grad, exact, `${testCase.name}: gradient of input ${i}`);
        });
      }
    });
    it('tier 3: the fixed-seed MLP trains bit-identically with SGD and Adam, and its loss decreases', async () => {
      const b = await backend();
      for (const optimizer of ['sgd', 'adam'] as const) {
        const [first, second] = [
          await trainMlp(oracle, { steps: 5, optimizer }),
          await trainMlp(b, { steps: 5, optimizer }),
        ];
        expectClose(second.losses, first.losses, exact, `${optimizer} loss trajectory`);
        expect(second.losses[4]!, `${optimizer}: the loss decreases`).toBeLessThan(second.losses[0]!);
        first.parameters.forEach((p, i) => expectClose(second.parameters[i]!, p, exact, `${optimizer} parameter ${i}`));
      }
    });
  });
}
