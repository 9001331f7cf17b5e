import { describe, expect, it, type TestContext } from 'vitest';
import {
  Adam,
  AdamW,
  batchNorm,
  CrossEntropyLoss,
  FUSED_KERNELS,
  Generator,
  Linear,
  ReLU,
  SGD,
  Sequential,
  ShapeError,
  binaryCrossEntropy,
  conv2d,
  maxPool2d,
  Sigmoid,
  Tanh,
  crossEntropy,
  fromHost,
  linear,
  tidy,
  type Backend,
  type DType,
  type FusedKernelName,
  type Optimizer,
  type Tensor,
} from '@myelin/core';
import { expectClose, type Tolerance } from '../compare.js';
import { RECURRENT_KERNEL_CASE, recurrentKernelTests } from './fused-recurrent.js';
import { ROW_KERNEL_CASES, rowKernelTests } from './fused-rows.js';

/**
 * The same backend with its fused kernels hidden: core composes primitives for everything it
 * would otherwise fuse. Tensors made on it are its own (a different Backend object), so a test
 * builds each path's inputs on its path's backend.
 */
export function composedOnly(backend: Backend): Backend {
  return new Proxy(backend, { get: (target, key) => (key === 'fused' ? undefined : Reflect.get(target, key)) });
}

const LINEAR_GELU_CASE = 'linear + gelu / silu: forward and gradients in float32 and float64, fused vs composed';

/** Which tests below cover each fused kernel (the meta-test checks every kernel has one). */
export const FUSED_KERNEL_CASES: Record<FusedKernelName, string[]> = {
  matmulBiasActivation: ['linear + activation: forward and gradients, fused vs composed', LINEAR_GELU_CASE],
  biasActivationBackward: ['linear + activation: forward and gradients, fused vs composed', LINEAR_GELU_CASE],
  matmulBiasActivationWithPreactivation: [LINEAR_GELU_CASE],
  softmaxCrossEntropy: [
    'cross-entropy on class indices: loss and gradient, fused vs composed',
    'cross-entropy with ignored targets (ignoreIndex, the default -100): fused vs composed',
  ],
  binaryCrossEntropy: ['binary cross-entropy on probabilities: loss and gradient, fused vs composed'],
  adamUpdate: ['optimizers: steps against cpu-reference, fused against composed'],
  adamUpdateMany: ['training: an MLP trained with fused kernels follows the composed trajectory'],
  sgdUpdateMany: ['training: an MLP trained with fused kernels follows the composed trajectory'],
  conv2d: ['conv2d: forward and gradients, fused vs composed'],
  conv2dBackward: ['conv2d: forward and gradients, fused vs composed'],
  maxPool2d: ['maxPool2d: forward and gradient, fused vs composed'],
  maxPool2dBackward: ['maxPool2d: forward and gradient, fused vs composed'],
  batchNorm: ['batchNorm: forward, gradients and running statistics, fused vs composed'],
  batchNormBackward: ['batchNorm: forward, gradients and running statistics, fused vs composed'],
  accumulate: ['running sums: accumulate, fused vs composed'],
  softmax: [ROW_KERNEL_CASES.softmax],
  softmaxBackward: [ROW_KERNEL_CASES.softmax],
  layerNorm: [ROW_KERNEL_CASES.layerNorm],
  layerNormBackward: [ROW_KERNEL_CASES.layerNorm],
  lstmCell: [RECURRENT_KERNEL_CASE],
  lstmCellBackward: [RECURRENT_KERNEL_CASE],
  gruCell: [RECURRENT_KERNEL_CASE],
  gruCellBackward: [RECURRENT_KERNEL_CASE],
};

interface FusedOptions {
  backend: () => Promise<Backend>;
  tolerance: { forward: Tolerance; gradient: Tolerance; training: Tolerance };
  skip: Record<string, string>;
  /** Each test's time limit in ms. */
  timeout: number;
}

/** Forward values and gradients of one function on the fused path and on the composed one. */
async function bothPaths(
  backend: Backend,
  inputs: { values: Float32Array | Int32Array; shape: number[]; grad: boolean }[],
  fn: (...xs: Tensor[]) => Tensor,
): Promise<{ fused: Float32Array[]; composed: Float32Array[] }> {
  const run = async (b: Backend): Promise<Float32Array[]> => {
    const xs = inputs.map(({ values, shape, grad }) =>
      fromHost(values, shape, {
        backend: b,
        dtype: values instanceof Int32Array ? 'int32' : 'float32',
        requiresGrad: grad,
      }),
    );
    const before = b.liveHandles();
    const out = tidy(() => {
      const y = fn(...xs);
      const seed = fromHost(
        Float32Array.from({ length: y.size }, (_, i) => 0.5 + ((i * 7) % 5) / 4),
        [...y.shape],
        { backend: b },
      );
      y.mul(seed).sum().backward();
      return y.detach();
    });
    const results = [Float32Array.from(await out.data())];
    for (const x of xs) if (x.grad !== null) results.push(Float32Array.from(await x.grad.data()));
    out.dispose();
    expect(b.liveHandles(), 'only the inputs, their gradients and the output survive').toBe(
      before + xs.filter((x) => x.grad !== null).length,
    );
    for (const x of xs) x.dispose();
    return results;
  };
  return { fused: await run(backend), composed: await run(composedOnly(backend)) };
}

export function describeFusedConformance({ backend, tolerance, skip, timeout }: FusedOptions): void {
  const test = (name: string, fn: (context: TestContext) => Promise<void>): void => {
    const reason = skip[name];
    if (reason !== undefined) it.skip(`${name} (skipped: ${reason})`, fn);
    else it(name, fn, timeout);
  };
  const needs = async (context: TestContext, ...kernels: FusedKernelName[]): Promise<Backend | undefined> => {
    const b = await backend();
    const missing = kernels.filter((k) => b.fused?.[k] === undefined);
    if (missing.length === kernels.length) {
      context.skip(`backend '${b.name}' has no fused ${missing.join(' / ')} kernel: only the composed path runs`);
      return undefined;
    }
    return b;
  };
  const generator = new Generator(77);
  const floats = (n: number, scale = 1) => Float32Array.from(generator.normal(n, 0, scale));

  describe('fused kernels: fused against composed on the same backend', () => {
    test('linear + activation: forward and gradients, fused vs composed', async (context) => {
      const b = await needs(context, 'matmulBiasActivation', 'biasActivationBackward');
      if (b === undefined) return;
      // [rows, in] -> [rows, out]; the second shape has more rows than a kernel's block walks in
      // one pass and more outputs than one block of columns (backend-cuda's backward: 64 and 32).
      for (const [rows, inFeatures, outFeatures] of [
        [5, 4, 3],
        [70, 6, 37],
      ] as const) {
        for (const activation of ['linear', 'relu', 'sigmoid', 'tanh'] as const) {
          for (const withBias of [true, false]) {
            const inputs = [
              { values: floats(rows * inFeatures), shape: [rows, inFeatures], grad: true },
              { values: floats(outFeatures * inFeatures, 0.7), shape: [outFeatures, inFeatures], grad: true },
              ...(withBias ? [{ values: floats(outFeatures, 0.3), shape: [outFeatures], grad: true }] : []),
            ];
            const { fused, composed } = await bothPaths(b, inputs, (x, w, bias) =>
              linear(x!, w!, bias ?? null, activation),
            );
            const label = `linear ${activation}${withBias ? ' + bias' : ''} [${rows}, ${inFeatures}] -> ${outFeatures}`;
            expect(fused.length).toBe(composed.length);
            expectClose(fused[0]!, composed[0]!, tolerance.forward, `${label}: forward`);
            fused
              .slice(1)
              .forEach((g, i) => expectClose(g, composed[i + 1]!, tolerance.gradient, `${label}: gradient ${i}`));
          }
        }
      }
    });

    test(LINEAR_GELU_CASE, async (context) => {
      const b = await needs(context, 'matmulBiasActivation', 'biasActivationBackward');
      if (b === undefined) return;
      // Inputs spread wide enough (scale 2, weights 0.7) that the pre-activations reach the
      // tails: erf's polynomial switch at |z| = 1 and its saturation at 4, sigmoid's large |z|.
      const dtypes: DType[] = b.dtypes.includes('float64') ? ['float32', 'float64'] : ['float32'];
      for (const dtype of dtypes) {
        const close = dtype === 'float64' ? { atol: 1e-12, rtol: 1e-12 } : undefined;
        for (const [rows, inFeatures, outFeatures] of [
          [5, 4, 3],
          [70, 6, 37],
        ] as const) {
          for (const activation of ['gelu', 'gelu_tanh', 'silu'] as const) {
            for (const withBias of [true, false]) {
              const values = [
                floats(rows * inFeatures, 2),
                floats(outFeatures * inFeatures, 0.7),
                ...(withBias ? [floats(outFeatures, 0.3)] : []),
              ];
              const shapes = [[rows, inFeatures], [outFeatures, inFeatures], [outFeatures]];
              const run = async (on: Backend): Promise<Float64Array[]> => {
                const xs = values.map((v, i) =>
                  fromHost(dtype === 'float64' ? Float64Array.from(v) : v, shapes[i]!, {
                    backend: on,
                    dtype,
                    requiresGrad: true,
                  }),
                );
                const out = tidy(() => {
                  const y = linear(xs[0]!, xs[1]!, xs[2] ?? null, activation);
                  const seed = fromHost(
                    Float64Array.from({ length: y.size }, (_, i) => 0.5 + ((i * 7) % 5) / 4),
                    [...y.shape],
                    { backend: on, dtype },
                  );
                  y.mul(seed).sum().backward();
                  return y.detach();
                });
                const results = [Float64Array.from(await out.data())];
                for (const x of xs) results.push(Float64Array.from(await x.grad!.data()));
                out.dispose();
                for (const x of xs) x.dispose();
                return results;
              };
              const before = b.liveHandles();
              const fused = await run(b);
              expect(b.liveHandles(), 'z is freed with its output').toBe(before);
              const composed = await run(composedOnly(b));
              const label = `linear ${activation}${withBias ? ' + bias' : ''} ${dtype} [${rows}, ${inFeatures}] -> ${outFeatures}`;
              expect(fused.length).toBe(composed.length);
              expectClose(fused[0]!, composed[0]!, close ?? tolerance.forward, `${label}: forward`);
              fused
                .slice(1)
                .forEach((g, i) =>
                  expectClose(g, composed[i + 1]!, close ?? tolerance.gradient, `${label}: gradient ${i}`),
                );
            }
          }
        }
      }
    });

    test('cross-entropy on class indices: loss and gradient, fused vs composed', async (context) => {
      const b = await needs(context, 'softmaxCrossEntropy');
      if (b === undefined) return;
      const logits = floats(6 * 5, 3);
      logits[3] = 80; // extreme logits stay finite on both paths
      logits[7] = -80;
      logits[1] = -Infinity; // a masked class off the target: finite loss, zero gradient
      const labels = Int32Array.from([0, 4, 2, 2, 1, 3]);
      // Also more classes than a warp has lanes, over more rows than a block has threads
      // (backend-cuda takes a thread per row up to 32 classes, a warp per row beyond).
      const wide = { rows: 1100, classes: 40 };
      const wideLabels = Int32Array.from({ length: wide.rows }, (_, i) => (i * 7) % wide.classes);
      for (const [rows, classes, values, targets] of [
        [6, 5, logits, labels],
        [wide.rows, wide.classes, floats(wide.rows * wide.classes, 2), wideLabels],
      ] as const) {
        for (const reduction of ['mean', 'sum', 'none'] as const) {
          const { fused, composed } = await bothPaths(
            b,
            [
              { values, shape: [rows, classes], grad: true },
              { values: targets, shape: [rows], grad: false },
            ],
            (x, y) => crossEntropy(x!, y!, { reduction }),
          );
          const label = `cross-entropy ${reduction} [${rows}, ${classes}]`;
          expectClose(fused[0]!, composed[0]!, tolerance.forward, `${label}: loss`);
          expectClose(fused[1]!, composed[1]!, tolerance.gradient, `${label}: gradient`);
        }
      }
    });

    test('cross-entropy with ignored targets (ignoreIndex, the default -100): fused vs composed', async (context) => {
      const b = await needs(context, 'softmaxCrossEntropy');
      if (b === undefined) return;
      // Rows labelled -100 (PyTorch's default ignore_index: padding) or a given ignoreIndex add no
      // loss and no gradient, and a mean divides by the others; nothing kept: a NaN mean and a
      // zero gradient. (backend-cuda's path for batches over 8192 rows, which counts the kept
      // rows in a launch of its own, is checked in its engine test: too slow for the race check.)
      const cases = [
        { rows: 6, classes: 5, labels: [0, -100, 2, -100, 1, 3], options: {} },
        { rows: 6, classes: 5, labels: [0, 4, 2, 2, 1, 2], options: { ignoreIndex: 2 } },
        { rows: 4, classes: 40, labels: [39, -100, 0, 17], options: {} },
        { rows: 3, classes: 5, labels: [-100, -100, -100], options: {} },
      ];
      for (const { rows, classes, labels, options } of cases) {
        for (const reduction of ['mean', 'sum', 'none'] as const) {
          const { fused, composed } = await bothPaths(
            b,
            [
              { values: floats(rows * classes, 2), shape: [rows, classes], grad: true },
              { values: Int32Array.from(labels), shape: [rows], grad: false },
            ],
            (x, y) => crossEntropy(x!, y!, { reduction, ...options }),
          );
          const label = `cross-entropy ${reduction} [${rows}, ${classes}] ${JSON.stringify(options)} labels ${labels.slice(0, 6).join(',')}`;
          expectClose(fused[0]!, composed[0]!, tolerance.forward, `${label}: loss`);
          expectClose(fused[1]!, composed[1]!, tolerance.gradient, `${label}: gradient`);
          const ignored = labels.map((l) => l === ((options as { ignoreIndex?: number }).ignoreIndex ?? -100));
          fused[1]!.forEach((g, i) => {
            if (ignored[Math.floor(i / classes)]) expect(g, `${label}: an ignored row's gradient`).toBe(0);
          });
          if (reduction === 'mean' && ignored.every(Boolean)) expect(fused[0]![0], `${label}: the mean`).toBeNaN();
        }
      }
    });

    test('binary cross-entropy on probabilities: loss and gradient, fused vs composed', async (context) => {
      const b = await needs(context, 'binaryCrossEntropy');
      if (b === undefined) return;
      const probabilities = floats(4 * 3, 2).map((v) => 1 / (1 + Math.exp(-v)));
      // both clamps: log(0) and log(1 - 1) count as -100 with a zero gradient on that side
      probabilities[2] = 0;
      probabilities[7] = 1;
      probabilities[9] = 1e-3;
      const target = Float32Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 1 : i % 3 === 1 ? 0 : 0.25));
      target[2] = 1;
      target[7] = 0;
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        const { fused, composed } = await bothPaths(
          b,
          [
            { values: probabilities, shape: [4, 3], grad: true },
            { values: target, shape: [4, 3], grad: false },
          ],
          (p, y) => binaryCrossEntropy(p!, y!, { reduction }),
        );
        expectClose(fused[0]!, composed[0]!, tolerance.forward, `binary cross-entropy ${reduction}: loss`);
        expectClose(fused[1]!, composed[1]!, tolerance.gradient, `binary cross-entropy ${reduction}: gradient`);
      }
    });

    test('conv2d: forward and gradients, fused vs composed', async (context) => {
      const b = await needs(context, 'conv2d', 'conv2dBackward');
      if (b === undefined) return;
      const configs = [
        { x: [2, 3, 6, 5], w: [4, 3, 3, 3], args: {} },
        { x: [2, 1, 7, 7], w: [3, 1, 5, 5], args: { padding: 2 } },
        { x: [1, 2, 8, 7], w: [4, 2, 3, 2], args: { stride: [2, 1], padding: [1, 0], dilation: [1, 2] } },
        { x: [2, 4, 5, 5], w: [6, 2, 3, 3], args: { groups: 2, padding: 1 } },
      ] as const;
      for (const { x, w, args } of configs) {
        for (const withBias of [true, false]) {
          const size = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);
          const inputs = [
            { values: floats(size(x)), shape: [...x], grad: true },
            { values: floats(size(w), 0.5), shape: [...w], grad: true },
            ...(withBias ? [{ values: floats(w[0], 0.3), shape: [w[0]], grad: true }] : []),
          ];
          const { fused, composed } = await bothPaths(b, inputs, (xs, ws, bias) =>
            conv2d(xs!, ws!, bias ?? null, args),
          );
          const label = `conv2d x [${x.join(', ')}] w [${w.join(', ')}] ${JSON.stringify(args)}${withBias ? ' + bias' : ''}`;
          expect(fused.length).toBe(composed.length);
          expectClose(fused[0]!, composed[0]!, tolerance.forward, `${label}: forward`);
          fused
            .slice(1)
            .forEach((g, i) => expectClose(g, composed[i + 1]!, tolerance.gradient, `${label}: gradient ${i}`));
        }
      }
    });

    test('maxPool2d: forward and gradient, fused vs composed', async (context) => {
      const b = await needs(context, 'maxPool2d', 'maxPool2dBackward');
      if (b === undefined) return;
      const configs = [
        { x: [2, 3, 6, 6], kernel: 2, args: {} },
        { x: [1, 2, 7, 6], kernel: 3, args: { stride: 2, padding: 1 } },
        { x: [2, 1, 9, 8], kernel: [2, 3], args: { stride: 1, dilation: 2 } },
      ] as const;
      for (const { x, kernel, args } of configs) {
        const size = x.reduce((a: number, d: number) => a * d, 1);
        // distinct values (no ties: the composed rule shares a tie's gradient, the fused one too)
        const values = Float32Array.from({ length: size }, (_, i) => Math.sin(i * 1.7) * 3 + i * 1e-3);
        const { fused, composed } = await bothPaths(b, [{ values, shape: [...x], grad: true }], (xs) =>
          maxPool2d(xs!, kernel, args),
        );
        const label = `maxPool2d x [${x.join(', ')}] kernel ${JSON.stringify(kernel)} ${JSON.stringify(args)}`;
        expectClose(fused[0]!, composed[0]!, tolerance.forward, `${label}: forward`);
        expectClose(fused[1]!, composed[1]!, tolerance.gradient, `${label}: gradient`);
      }
      // ties (a ReLU's zeros): the gradient is shared equally on both paths
      const ties = Float32Array.from({ length: 16 }, (_, i) => (i % 3 === 0 ? 1 : 0));
      const { fused, composed } = await bothPaths(b, [{ values: ties, shape: [1, 1, 4, 4], grad: true }], (xs) =>
        maxPool2d(xs!, 2),
      );
      expectClose(fused[1]!, composed[1]!, tolerance.gradient, 'maxPool2d with ties: gradient');
    });

    test('batchNorm: forward, gradients and running statistics, fused vs composed', async (context) => {
      const b = await needs(context, 'batchNorm', 'batchNormBackward');
      if (b === undefined) return;
      for (const shape of [
        [6, 3],
        [4, 3, 5],
        [2, 3, 4, 5],
      ]) {
        const size = shape.reduce((a, d) => a * d, 1);
        const channels = shape[1]!;
        // an offset and a spread per channel, as real activations have
        const x = floats(size, 2).map((v, i) => v + (Math.floor(i / (size / shape[0]! / channels)) % channels) - 1);
        const statistics = { mean: floats(channels, 0.5), variance: floats(channels).map((v) => 0.5 + v * v) };
        for (const affine of [true, false])
          for (const training of [true, false]) {
            const inputs = [
              { values: x, shape, grad: true },
              ...(affine
                ? [
                    { values: floats(channels, 0.5).map((v) => v + 1), shape: [channels], grad: true },
                    { values: floats(channels, 0.3), shape: [channels], grad: true },
                  ]
                : []),
            ];
            const { fused, composed } = await bothPaths(b, inputs, (xs, weight, bias) => {
              const running = (values: Float32Array) => fromHost(values, [channels], { backend: xs!.backend });
              return batchNorm(xs!, {
                weight: weight ?? null,
                bias: bias ?? null,
                training,
                runningMean: running(statistics.mean),
                runningVar: running(statistics.variance),
              });
            });
            const label = `batchNorm x [${shape.join(', ')}]${affine ? ' affine' : ''} ${training ? 'training' : 'eval'}`;
            expect(fused.length).toBe(composed.length);
            expectClose(fused[0]!, composed[0]!, tolerance.forward, `${label}: forward`);
            fused
              .slice(1)
              .forEach((g, i) => expectClose(g, composed[i + 1]!, tolerance.gradient, `${label}: gradient ${i}`));
          }
        // the running statistics after a training step (momentum 0.1, unbiased variance)
        const updated = async (on: Backend): Promise<Float32Array[]> => {
          const runningMean = fromHost(statistics.mean, [channels], { backend: on });
          const runningVar = fromHost(statistics.variance, [channels], { backend: on });
          const input = fromHost(x, shape, { backend: on });
          batchNorm(input, { training: true, runningMean, runningVar }).dispose();
          const values = [Float32Array.from(await runningMean.data()), Float32Array.from(await runningVar.data())];
          for (const t of [runningMean, runningVar, input]) t.dispose();
          return values;
        };
        const [fusedStats, composedStats] = [await updated(b), await updated(composedOnly(b))];
        expectClose(
          fusedStats[0]!,
          composedStats[0]!,
          tolerance.forward,
          `batchNorm [${shape.join(', ')}]: running mean`,
        );
        expectClose(
          fusedStats[1]!,
          composedStats[1]!,
          tolerance.forward,
          `batchNorm [${shape.join(', ')}]: running var`,
        );
      }
    });

    test('running sums: accumulate, fused vs composed', async (context) => {
      const b = await needs(context, 'accumulate');
      if (b === undefined) return;
      const kernel = b.fused!.accumulate!;
      const has = (d: DType) => b.dtypes.includes(d);
      // Large integers round to float32, NaN and infinities pass, tiny and negative scales round.
      const xValues = [0.37, -2.5, Number.NaN, Infinity, -0, 16777217, 1e-3, 3, -1e6];
      const sumValues = [1.25, 1e8, -7, 0, Number.NaN, 2.5e-7, -Infinity, 33, 0.1];
      const sumDtypes = (['float32', 'float64'] as const).filter(has);
      const xDtypes = (['float32', 'float64', 'int32'] as const).filter(has);
      for (const sumDtype of sumDtypes) {
        for (const xDtype of xDtypes) {
          for (const shape of [[], [9]]) {
            const n = shape.length === 0 ? 1 : 9;
            const at = (values: number[], offset: number) =>
              Array.from({ length: n }, (_, i) => values[(i + offset) % values.length]!);
            for (const [k, scale] of [1, 64, 0.1, -3].entries()) {
              const label = `${sumDtype} sum += ${xDtype} x [${shape.join(', ')}] * ${scale}`;
              const make = (values: number[], dtype: DType) =>
                fromHost(
                  dtype === 'int32'
                    ? Int32Array.from(values, (v) => (Number.isFinite(v) ? Math.trunc(v) : 5))
                    : dtype === 'float32'
                      ? Float32Array.from(values)
                      : Float64Array.from(values),
                  shape,
                  { backend: b, dtype },
                );
              const sum = make(at(sumValues, k), sumDtype);
              const x = make(at(xValues, 2 * k), xDtype);
              const before = b.liveHandles();
              const handle = kernel.call(b.fused, sum.handle, x.handle, scale);
              const fused = Array.from(await b.read(handle));
              b.dispose(handle);
              const composed = tidy(() => sum.add(x.cast(sumDtype).mul(scale)));
              const want = Array.from(await composed.data());
              composed.dispose();
              expect(b.liveHandles(), `${label}: no handle left behind`).toBe(before);
              // Exactly equal, NaN included: the kernel is the composed ops' arithmetic.
              expect(
                fused.map((v) => (Number.isNaN(v) ? 'NaN' : v)),
                label,
              ).toEqual(want.map((v) => (Number.isNaN(v) ? 'NaN' : v)));
              sum.dispose();
              x.dispose();
            }
          }
        }
      }
      // A value of another shape is refused, naming the op and both shapes.
      const sum = fromHost(new Float32Array(3), [3], { backend: b });
      const x = fromHost(new Float32Array(2), [2], { backend: b });
      const before = b.liveHandles();
      expect(() => kernel.call(b.fused, sum.handle, x.handle, 1)).toThrow(ShapeError);
      expect(() => kernel.call(b.fused, sum.handle, x.handle, 1)).toThrow(/accumulate.*\[2\].*\[3\]/);
      expect(b.liveHandles(), 'a refused call leaves no handle').toBe(before);
      sum.dispose();
      x.dispose();
    });

    rowKernelTests({ test, needs, composedOnly, tolerance, floats });
    recurrentKernelTests({ test, needs, composedOnly, tolerance, floats });

    test('training: an MLP trained with fused kernels follows the composed trajectory', async (context) => {
      const b = await needs(context, 'adamUpdateMany', 'sgdUpdateMany', 'softmaxCrossEntropy', 'matmulBiasActivation');
      if (b === undefined) return;
      const makers: [string, (params: Tensor[]) => Optimizer][] = [
        ['Adam', (p) => new Adam(p, { lr: 0.01 })],
        ['AdamW', (p) => new AdamW(p, { lr: 0.01, weightDecay: 0.1 })],
        ['SGD', (p) => new SGD(p, { lr: 0.1 })],
        [
          'SGD momentum + Nesterov + decay',
          (p) => new SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
        ],
        ['SGD momentum + dampening', (p) => new SGD(p, { lr: 0.05, momentum: 0.8, dampening: 0.3 })],
      ];
      const x = floats(12 * 6);
      const y = Int32Array.from({ length: 12 }, (_, i) => (i * 5) % 3);
      for (const [name, makeOptimizer] of makers) {
        const train = async (
          on: Backend,
        ): Promise<{ losses: number[]; parameters: Float32Array[]; live: number[] }> => {
          const seed = new Generator(5);
          const model = new Sequential(
            new Linear(6, 8, { generator: seed, backend: on }),
            new Tanh(),
            new Linear(8, 8, { generator: seed, backend: on }),
            new ReLU(),
            new Linear(8, 8, { generator: seed, backend: on }),
            new Sigmoid(),
            new Linear(8, 3, { generator: seed, backend: on }),
          );
          const optimizer = makeOptimizer(model.parameters());
          const input = fromHost(x, [12, 6], { backend: on });
          const target = fromHost(y, [12], { backend: on, dtype: 'int32' });
          const lossFn = new CrossEntropyLoss();
          const losses: number[] = [];
          const live: number[] = [];
          for (let step = 0; step < 6; step++) {
            const loss = tidy(() => {
              optimizer.zeroGrad();
              const value = lossFn.forward(model.forward(input), target);
              value.backward();
              optimizer.step();
              return value.detach();
            });
            losses.push((await loss.data())[0]!);
            loss.dispose();
            live.push(on.liveHandles());
          }
          const parameters = await Promise.all(model.parameters().map(async (p) => Float32Array.from(await p.data())));
          for (const t of [input, target, ...model.parameters()]) t.dispose();
          optimizer.dispose();
          return { losses, parameters, live };
        };
        const fused = await train(b);
        const composed = await train(composedOnly(b));
        expectClose(
          Float32Array.from(fused.losses),
          Float32Array.from(composed.losses),
          tolerance.training,
          `${name}: losses`,
        );
        fused.parameters.forEach((p, i) =>
          expectClose(p, composed.parameters[i]!, tolerance.training, `${name}: parameter ${i}`),
        );
        expect(fused.losses[5]!, `${name}: the loss decreases`).toBeLessThan(fused.losses[0]!);
        expect(fused.live[5], `${name}: live handles flat on the fused path`).toBe(fused.live[0]);
      }
    });

    it('meta: every fused kernel of the contract has a conformance case', () => {
      const covered = Object.keys(FUSED_KERNEL_CASES);
      expect(
        FUSED_KERNELS.filter((k) => !covered.includes(k)),
        'fused kernels without a case',
      ).toEqual([]);
      expect(
        covered.filter((k) => !(FUSED_KERNELS as readonly string[]).includes(k)),
        'cases of no such kernel',
      ).toEqual([]);
    });
  });
}
