// The Node path: adapter choice and report, one WebGPU device per process, the init error, and
// regressions for the tfjs-backend-webgpu quirks worked around in webgpu-quirks.ts.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { expectFusedMatchesComposed } from '@myelin/conformance';
import {
  Adam,
  AdamW,
  Generator,
  conv2d,
  crossEntropy,
  fromHost,
  linear,
  maxPool2d,
  noGrad,
  pad,
  tidy,
  where,
  type Tensor,
} from '@myelin/core';
import { acquireNodeAdapter, adapterChoiceFromEnv } from './dawn.js';
import { WebGpuUnavailableError, createWebGpuBackend, descriptor, probe } from './index.js';
import { isSoftwareAdapter } from './webgpu-backend.js';
import { mergedBroadcast, mergedPad } from './webgpu-kernels.js';

describe('backend-webgpu in Node (Dawn)', () => {
  it('picks an adapter automatically and reports it', async () => {
    const backend = await createWebGpuBackend();
    console.info(`WebGPU adapter: ${JSON.stringify(backend.adapter)}; tried ${JSON.stringify(backend.attempts)}`);
    expect(['vulkan', 'opengles', 'swiftshader']).toContain(backend.adapter.source);
    expect(backend.adapter.device || backend.adapter.description).toBeTruthy();
    expect(backend.attempts.some((a) => a.ok && a.source === backend.adapter.source)).toBe(true);
    expect(backend.name).toBe('webgpu');
    // dataSync breaks WebGPU: reads are async only.
    expect(backend.readSync).toBeUndefined();
  });

  it('probe() reports the adapter in use', async () => {
    const backend = await createWebGpuBackend();
    const result = await probe();
    expect(result.usable).toBe(true);
    expect(result.details?.source).toBe(backend.adapter.source);
  });

  it('probe() says auto: false on a software adapter, and the descriptor describes the backend', async () => {
    const backend = await createWebGpuBackend();
    const result = await descriptor.probe();
    expect(result.usable).toBe(true);
    if (isSoftwareAdapter(backend.adapter)) {
      expect(result.auto).toBe(false);
      expect(result.reason).toMatch(/^software adapter \(/);
    } else {
      expect(result.auto).toBeUndefined();
    }
    expect(descriptor).toMatchObject({ name: 'webgpu', priority: 15, packageName: '@myelin/backend-webgpu' });
    expect((await descriptor.create()).adapter.source).toBe(backend.adapter.source);
  });

  it('forcing the adapter already in use is fine; forcing another names the one in use', async () => {
    const backend = await createWebGpuBackend();
    const inUse = backend.adapter.source as 'vulkan' | 'opengles' | 'swiftshader';
    await expect(createWebGpuBackend({ adapter: inUse })).resolves.toBeDefined();
    const other = inUse === 'opengles' ? 'vulkan' : 'opengles';
    await expect(createWebGpuBackend({ adapter: other })).rejects.toThrow(/one WebGPU device per process/);
  });

  it('a Dawn path that cannot start fails with what was tried and what to install', async () => {
    // Vulkan works only with a GPU driver or Mesa >= 25 lavapipe; elsewhere this is the error path.
    const outcome = await acquireNodeAdapter('vulkan').catch((error: unknown) => error);
    if (outcome instanceof Error) {
      expect(outcome).toBeInstanceOf(WebGpuUnavailableError);
      expect(outcome.message).toMatch(/Tried:\n {2}- vulkan: /);
      expect(outcome.message).toMatch(/To fix:[\s\S]*libvulkan1/);
    } else {
      expect((outcome as { source: string }).source).toBe('vulkan');
    }
  });

  it('rejects an unknown MYELIN_WEBGPU_ADAPTER value, listing the valid ones', () => {
    const before = process.env.MYELIN_WEBGPU_ADAPTER;
    process.env.MYELIN_WEBGPU_ADAPTER = 'metal';
    try {
      expect(() => adapterChoiceFromEnv()).toThrow(/'metal' is not one of auto, vulkan, opengles, swiftshader/);
    } finally {
      if (before === undefined) delete process.env.MYELIN_WEBGPU_ADAPTER;
      else process.env.MYELIN_WEBGPU_ADAPTER = before;
    }
  });
});

describe('tfjs-backend-webgpu quirks', () => {
  it('matmul with K = 0 gives zeros and leaves later matmuls right', async () => {
    const backend = await createWebGpuBackend();
    const empty = backend.matmul(
      backend.fill([1, 2, 0], 1, 'float32'),
      backend.fill([1, 0, 3], 1, 'float32'),
      false,
      false,
    );
    expect(Array.from(await backend.read(empty))).toEqual([0, 0, 0, 0, 0, 0]);
    const a = fromHost(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), [4, 3], { backend });
    const b = fromHost(new Float32Array([1, 0, 0, 1, 1, 1, 2, 2]), [2, 4], { backend });
    const product = noGrad(() => tidy(() => a.transpose().matmul(b.transpose())));
    expect(Array.from(await product.data())).toEqual([11, 39, 13, 45, 15, 51]);
    for (const t of [a, b, product]) t.dispose();
  });

  it('the fused matmul with K = 0 still adds the bias and applies the activation', async () => {
    const backend = await createWebGpuBackend();
    const x = fromHost(new Float32Array(0), [2, 0], { backend });
    const w = fromHost(new Float32Array(0), [3, 0], { backend });
    const bias = fromHost(new Float32Array([-1, 0.5, 2]), [3], { backend });
    const out = noGrad(() => linear(x, w, bias, 'relu'));
    expect(Array.from(await out.data())).toEqual([0, 0.5, 2, 0, 0.5, 2]);
    for (const t of [x, w, bias, out]) t.dispose();
  });

  it('int32 and bool tensors on the GPU transpose, and sum / max / argmax over any axes, correctly', async () => {
    // tfjs's own TransposeProgram does not compile for them (and its reductions use it), so these
    // were zeros or stale memory; over 1000 elements, so tfjs does not run them on the CPU instead.
    const backend = await createWebGpuBackend();
    // Any integer program tfjs runs through its TransposeProgram is a failure (it logs a WGSL error only).
    const runner = tf.backend() as unknown as { runWebGPUProgram: (program: object, ...rest: unknown[]) => unknown };
    const run = runner.runWebGPUProgram.bind(runner);
    const failing: string[] = [];
    runner.runWebGPUProgram = (program, ...rest) => {
      if (program.constructor.name === 'TransposeProgram' && rest[1] !== 'float32') failing.push(String(rest[1]));
      return run(program, ...rest);
    };
    const host = (values: ArrayLike<number>, shape: number[]) =>
      fromHost(Float32Array.from(values), shape, { backend });
    for (const shape of [
      [2, 30, 40],
      [2, 3, 20, 20],
    ]) {
      const size = shape.reduce((a, b) => a * b, 1);
      const values = Int32Array.from({ length: size }, (_, i) => ((i * 37) % 1001) - 500);
      const zero = fromHost(new Int32Array([0]), [1], { backend, dtype: 'int32' });
      const ints = fromHost(values, shape, { backend, dtype: 'int32' }).add(zero); // computed on the GPU
      const bools = ints.greater(100);
      // The same in float32 (exact for these values), which tfjs handles correctly: the reference.
      const floats = host(values, shape);
      const floatBools = floats.greater(100).cast('float32');
      const orders = [shape.map((_, i) => shape.length - 1 - i), [1, 0, ...shape.slice(2).map((_, i) => i + 2)]];
      for (const [x, reference] of [
        [ints, floats],
        [bools, floatBools],
      ] as const) {
        const label = `${x.dtype} [${shape.join(', ')}]`;
        for (const order of orders) {
          const got = await x.permute(order).cast('float32').data();
          expect(Array.from(got), `${label} permute [${order.join(', ')}]`).toEqual(
            Array.from(await reference.permute(order).data()),
          );
        }
        for (let axis = 0; axis < shape.length; axis++) {
          const sum = await x.sum(axis).cast('float32').data();
          expect(Array.from(sum), `${label} sum over ${axis}`).toEqual(Array.from(await reference.sum(axis).data()));
          if (x.dtype === 'int32') {
            const max = await x.max(axis, true).cast('float32').data();
            expect(Array.from(max), `${label} max over ${axis}`).toEqual(
              Array.from(await reference.max(axis, true).data()),
            );
            const argmax = await x.argmax(axis).data();
            expect(Array.from(argmax), `${label} argmax over ${axis}`).toEqual(
              Array.from(await reference.argmax(axis).data()),
            );
          }
        }
        const both = await x.sum([0, 2], true).cast('float32').data();
        expect(Array.from(both), `${label} sum over [0, 2]`).toEqual(
          Array.from(await reference.sum([0, 2], true).data()),
        );
      }
    }
    runner.runWebGPUProgram = run;
    expect(failing, 'integer transposes left to tfjs').toEqual([]);
  });
});

describe('rank 5 and 6 on tfjs-backend-webgpu', () => {
  it('merges neighbouring axes that broadcast alike', () => {
    expect(mergedBroadcast([2, 4, 1, 1, 1], [2, 4, 3, 5, 6])).toEqual({ from: [8, 1], to: [8, 90] });
    expect(mergedBroadcast([4, 1, 5, 1], [2, 3, 4, 7, 5, 6])).toEqual({ from: [1, 4, 1, 5, 1], to: [6, 4, 7, 5, 6] });
    expect(mergedBroadcast([1, 1], [1, 1, 1])).toEqual({ from: [1], to: [1] });
    expect(mergedBroadcast([3, 1, 1, 2], [3, 1, 4, 2])).toEqual({ from: [3, 1, 2], to: [3, 4, 2] });
  });

  it('merges each padded axis with the unpadded axes after it', () => {
    expect(
      mergedPad(
        [2, 3, 4, 5, 6],
        [
          [0, 0],
          [0, 0],
          [1, 1],
          [0, 2],
          [0, 0],
        ],
      ),
    ).toEqual({
      shape: [6, 4, 30],
      paddings: [
        [0, 0],
        [1, 1],
        [0, 12],
      ],
    });
  });

  it('pads tensors of rank 5 on the GPU (merged axes, or one axis at a time), as on the host', async () => {
    const backend = await createWebGpuBackend();
    const shape = [2, 3, 4, 5, 6];
    const values = Array.from({ length: 720 }, (_, i) => i + 1);
    const x = fromHost(Float32Array.from(values), shape, { backend }).add(
      fromHost(new Float32Array([0]), [1], { backend }),
    );
    const host = fromHost(Float32Array.from(values), shape);
    for (const paddings of [
      [
        [0, 0],
        [0, 0],
        [1, 1],
        [1, 0],
        [2, 1],
      ],
      [
        [1, 0],
        [0, 1],
        [1, 1],
        [0, 2],
        [1, 1],
      ],
    ] as [number, number][][]) {
      const got = await pad(x, paddings, 0.5).data();
      expect(Array.from(got), JSON.stringify(paddings)).toEqual(Array.from(await pad(host, paddings, 0.5).data()));
    }
    x.dispose();
    host.dispose();
  });

  it('broadcastTo, where and a bool sum of tensors on the GPU, as on the host', async () => {
    // Tile stops at rank 4 (then reads the input back synchronously: an OffscreenCanvas in Node)
    // and Select throws above it. Over 1000 elements, so tfjs does not run them on the CPU.
    const backend = await createWebGpuBackend();
    const onGpu = (values: number[], shape: number[]) =>
      fromHost(Float32Array.from(values), shape, { backend }).add(fromHost(new Float32Array([0]), [1], { backend }));
    const big = [2, 3, 4, 5, 6];
    const x = onGpu(
      Array.from({ length: 720 }, (_, i) => (i % 11) - 5),
      big,
    );
    const mask = onGpu([1, 0, 1, 1, 0, 1], [2, 3, 1, 1, 1]);
    const expanded = await mask.expand(big).data();
    expect(Array.from(expanded)).toEqual(
      Array.from({ length: 720 }, (_, i) => [1, 0, 1, 1, 0, 1][Math.floor(i / 120)]),
    );
    // Alternating broadcast and copied axes (the add-of-zeros path): [1, 3, 1, 5, 1, 2] -> [2, 3, 4, 5, 2, 2].
    const alternating = onGpu(
      Array.from({ length: 30 }, (_, i) => i),
      [1, 3, 1, 5, 1, 2],
    );
    const wide = Array.from(await alternating.expand([2, 3, 4, 5, 2, 2]).data());
    expect(wide.length).toBe(480);
    expect(wide.slice(0, 4)).toEqual([0, 1, 0, 1]);
    expect(wide[479]).toBe(29);
    const positive = x.greater(0);
    const picked = await noGrad(() => where(positive, x, mask)).data();
    expect(Array.from(picked)).toEqual(
      Array.from({ length: 720 }, (_, i) =>
        (i % 11) - 5 > 0 ? (i % 11) - 5 : [1, 0, 1, 1, 0, 1][Math.floor(i / 120)],
      ),
    );
    const counts = await positive.sum([2, 3, 4]).data();
    expect(Array.from(counts)).toEqual(
      Array.from(
        { length: 6 },
        (_, r) => Array.from({ length: 120 }, (_, j) => ((r * 120 + j) % 11) - 5 > 0).filter(Boolean).length,
      ),
    );
    for (const t of [x, mask, alternating, positive]) t.dispose();
  });
});

describe('reads', () => {
  it('a read started inside a tf.tidy holds its data through the tidy and a dispose', async () => {
    const b = await createWebGpuBackend();
    const before = b.liveHandles();
    const pending: Promise<ArrayLike<number>>[] = [];
    const two = b.fill([], 2, 'float32');
    let sum = b.fill([], 0, 'float32');
    for (let step = 1; step <= 3; step++) {
      const next = b.binary('add', sum, two, []);
      tf.tidy(() => void pending.push(b.read(next)));
      // More work queued before the copy arrives, then the handle goes.
      const other = b.binary('mul', next, next, []);
      b.dispose(other);
      b.dispose(sum);
      sum = next;
    }
    expect((await Promise.all(pending)).map((values) => values[0])).toEqual([2, 4, 6]);
    b.dispose(sum);
    b.dispose(two);
    expect(b.liveHandles()).toBe(before);
  });
});

describe('the WGSL fused Adam step', () => {
  for (const [label, Optimizer, weightDecay] of [
    ['Adam', Adam, 0],
    ['Adam with L2 weight decay', Adam, 0.1],
    ['AdamW', AdamW, 0.1],
  ] as const) {
    it(`${label}: matches the composed step over 3 steps`, async () => {
      const backend = await createWebGpuBackend();
      expect(backend.fused?.adamUpdate).toBeDefined();
      const run = async (fused: boolean) => {
        const generator = new Generator(3);
        const p = fromHost(Float32Array.from(generator.normal(12 * 7)), [12, 7], { backend, requiresGrad: true });
        const c = fromHost(Float32Array.from(generator.normal(12 * 7)), [12, 7], { backend });
        const optimizer = new Optimizer([p], { lr: 0.05, weightDecay, fused });
        for (let step = 0; step < 3; step++) {
          tidy(() => {
            p.mul(p).mul(c).add(p.mul(c)).sum().backward();
            optimizer.step();
            optimizer.zeroGrad();
          });
        }
        const values = await p.data();
        p.dispose();
        c.dispose();
        return values;
      };
      const before = backend.liveHandles();
      const [fused, composed] = [await run(true), await run(false)];
      fused.forEach((value, i) => expect(value).toBeCloseTo(composed[i]!, 5));
      expect(Math.max(...fused.map((value, i) => Math.abs(value - composed[i]!)))).toBeLessThan(1e-5);
      // Optimizer state (m, v) outlives the parameter here; everything else is freed.
      expect(backend.liveHandles()).toBeLessThanOrEqual(before + 4);
    });
  }
});

describe('the WGSL fused softmax cross-entropy', () => {
  const withLabels = (labels: number[], reduction: 'none' | 'sum' | 'mean') => (x: Tensor) =>
    crossEntropy(x, fromHost(Int32Array.from(labels), [labels.length], { backend: x.backend, dtype: 'int32' }), {
      reduction,
    });

  for (const reduction of ['mean', 'sum', 'none'] as const) {
    it(`${reduction}: labels out of range select no class, as on the composed path (loss and gradient 0)`, async () => {
      const b = await createWebGpuBackend();
      expect(b.fused?.softmaxCrossEntropy).toBeDefined();
      await expectFusedMatchesComposed(b, [{ shape: [4, 5] }], withLabels([-1, 5, 2, 4], reduction));
    });
  }

  it('takes the row max first: logits of +-80 and a row of equal logits stay finite', async () => {
    const b = await createWebGpuBackend();
    const values = [80, -80, 0, 1, 3, 3, 3, 3, 3, 3, -80, 80, 79, 0.5, 2];
    await expectFusedMatchesComposed(b, [{ shape: [3, 5], values }], withLabels([0, 3, 1], 'mean'));
  });

  it('refuses labels that are not int32 [rows] (the WGSL would not compile, and tfjs only logs that)', async () => {
    const b = await createWebGpuBackend();
    const logits = b.fromData(new Float32Array(8), [2, 4], 'float32');
    const floatLabels = b.fromData(new Float32Array(2), [2], 'float32');
    const shortLabels = b.fromData(new Int32Array(3), [3], 'int32');
    const before = b.liveHandles();
    expect(() => b.fused!.softmaxCrossEntropy!(logits, floatLabels, 'mean', true, -100)).toThrow(
      /labels must be int32 \[2\] for logits \[2, 4\], got float32 \[2\]/,
    );
    expect(() => b.fused!.softmaxCrossEntropy!(logits, shortLabels, 'mean', true, -100)).toThrow(/got int32 \[3\]/);
    expect(() => b.fused!.biasActivationBackward!(logits, shortLabels, 'relu')).toThrow(
      /the output must be float32 \[2, 4\] like grad, got int32 \[3\]/,
    );
    expect(b.liveHandles()).toBe(before);
    for (const h of [logits, floatLabels, shortLabels]) b.dispose(h);
  });

  it('no rows: an empty loss, a sum of 0 and a mean of NaN (0 / 0), as composed', async () => {
    const b = await createWebGpuBackend();
    const logits = fromHost(new Float32Array(0), [0, 5], { backend: b });
    const labels = fromHost(new Int32Array(0), [0], { backend: b, dtype: 'int32' });
    const losses = await Promise.all(
      (['none', 'sum', 'mean'] as const).map(async (reduction) => {
        const loss = crossEntropy(logits, labels, { reduction });
        const values = Array.from(await loss.data());
        loss.dispose();
        return values;
      }),
    );
    expect(losses).toEqual([[], [0], [NaN]]);
    logits.dispose();
    labels.dispose();
  });
});

// backend-tfjs maps one-input-channel convolutions to tfjs's depthwise convolution on webgpu (see
// its src/conv.ts); the shared suite has no depthwise (groups = channels) case.
describe('fused convolution kernels on tfjs-backend-webgpu', () => {
  it('conv2d: depthwise (groups = channels, two outputs each) with bias and uneven padding', async () => {
    const b = await createWebGpuBackend();
    await expectFusedMatchesComposed(
      b,
      [{ shape: [2, 3, 6, 5] }, { shape: [6, 1, 3, 3] }, { shape: [6] }],
      (x, w, bias) => conv2d(x!, w!, bias!, { groups: 3, padding: [1, 0] }),
    );
  });

  it('maxPool2d: 2x2 windows tiling a 7x5 image, with ties', async () => {
    const b = await createWebGpuBackend();
    const ties = Array.from({ length: 2 * 2 * 7 * 5 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    await expectFusedMatchesComposed(b, [{ shape: [2, 2, 7, 5], values: ties }], (x) => maxPool2d(x!, 2));
    // A window holding a NaN gives NaN and sends NaN back to its taps (tfjs's MaxPool skips NaN).
    const nan = Array.from({ length: 2 * 2 * 7 * 5 }, (_, i) => (i % 17 === 3 ? NaN : Math.cos(i)));
    await expectFusedMatchesComposed(b, [{ shape: [2, 2, 7, 5], values: nan }], (x) => maxPool2d(x!, 2));
    await expectFusedMatchesComposed(b, [{ shape: [2, 2, 7, 5], values: nan }], (x) =>
      maxPool2d(x!, 3, { stride: 2, padding: 1 }),
    );
  });
});
