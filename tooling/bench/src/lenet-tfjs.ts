// `pnpm bench:tfjs-cnn`: LeNet-5 on Fashion-MNIST trained by Myelin on its wasm and webgpu
// backends against the same model in tfjs-layers on the same tfjs backend, in one process (issue
// 16's target: >= 1.0x on each). Myelin's convolutions run through backend-tfjs's fused kernels
// (tfjs's own conv and pool ops), its autograd and Adam; tfjs-layers uses tfjs's gradients.
// Epochs of a fixed number of batches are taken in turn after a warm-up epoch each; medians.
//
// tfjs-backend-wasm 4.22 registers no Conv2DBackpropFilter, so tfjs-layers cannot train a
// convolution on wasm at all ("Kernel 'Conv2DBackpropFilter' not registered"). For the anchor
// this script registers one, computed as backend-tfjs computes it there: the weight gradient as
// a convolution on wasm's XNNPACK Conv2D (see packages/backend-tfjs/src/conv.ts; Myelin's kernel
// runs its own copy of it, not this registered one).
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import {
  Adam,
  Conv2d,
  CrossEntropyLoss,
  Flatten,
  Generator,
  Linear,
  MaxPool2d,
  ReLU,
  Sequential,
  fit,
  fromHost,
  type Backend,
  type Batch,
  type Tensor,
} from '@myelin/core';
import { FASHION_MNIST_DIRECTORY, loadFashionMnist } from '@myelin/data/node';
import { interleavedSamplesPerSecond, type Trainer } from './backend-mlp.js';

const quick = process.argv.includes('--quick');
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const RUNS = quick ? 3 : 5;
const BATCH = 64;

interface Target {
  label: string;
  /** Batches per timed epoch and epochs per side: fewer on a software WebGPU adapter (seconds a step). */
  batches: number;
  runs: number;
  setUp: () => Promise<Backend>;
}

const targets: Target[] = [
  {
    label: 'wasm',
    batches: quick ? 20 : 40,
    runs: RUNS,
    setUp: async () => {
      const { createWasmBackend } = await import('@myelin/backend-wasm');
      const backend = await createWasmBackend();
      registerWasmFilterGradient();
      console.log(`  wasm: ${JSON.stringify(backend.details)}`);
      return backend;
    },
  },
  {
    label: 'webgpu',
    batches: quick ? 2 : 4,
    runs: quick ? 3 : RUNS,
    setUp: async () => {
      const { createWebGpuBackend } = await import('@myelin/backend-webgpu');
      const backend = await createWebGpuBackend();
      console.log(`  adapter: ${JSON.stringify(backend.adapter)}`);
      return backend;
    },
  },
];

/** The first `samples` training images scaled to [0, 1] and their labels. */
async function fashionMnist(samples: number): Promise<{ x: Float32Array; y: Int32Array }> {
  if (!existsSync(`${FASHION_MNIST_DIRECTORY}/train-images-idx3-ubyte.gz`))
    throw new Error(`bench:tfjs-cnn needs Fashion-MNIST in ${FASHION_MNIST_DIRECTORY}: run ./setup`);
  const train = await loadFashionMnist();
  const pixels = (train.x.data as Uint8Array).subarray(0, samples * 784);
  return { x: Float32Array.from(pixels, (p) => p / 255), y: Int32Array.from(train.y.data.subarray(0, samples)) };
}

/** Myelin's fit on `backend`: LeNet-5 (NCHW) + CrossEntropyLoss + Adam(1e-3), loss read every 10 steps. */
function myelinTrainer(backend: Backend, data: { x: Float32Array; y: Int32Array }, samples: number): Trainer {
  const generator = new Generator(7);
  const options = { backend, generator };
  const model = new Sequential(
    new Conv2d(1, 6, 5, { padding: 2, ...options }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(6, 16, 5, options),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(400, 120, options),
    new ReLU(),
    new Linear(120, 84, options),
    new ReLU(),
    new Linear(84, 10, options),
  );
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  const loss = new CrossEntropyLoss();
  const x = fromHost(data.x, [samples, 1, 28, 28], { backend, dtype: 'float32' });
  const y = fromHost(data.y, [samples], { backend, dtype: 'int32' });
  const steps = samples / BATCH;
  function* batches(): Iterable<Batch> {
    for (let i = 0; i < steps; i++)
      yield { x: x.slice([i * BATCH, 0, 0, 0], [BATCH, 1, 28, 28]), y: y.slice([i * BATCH], [BATCH]) };
  }
  return {
    samplesPerEpoch: samples,
    epoch: () =>
      fit(model, { train: () => batches(), loss, optimizer, epochs: 1, readLossEvery: 10, disposeBatches: true }),
    dispose: () => {
      optimizer.dispose();
      model.dispose();
      for (const t of [x, y] as Tensor[]) t.dispose();
    },
  };
}

/** tfjs-layers' model.fit of the same model (NHWC, softmax + categorical cross-entropy) on the active tfjs backend. */
function tfjsLayersTrainer(data: { x: Float32Array; y: Int32Array }, samples: number): Trainer {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 120, activation: 'relu' }),
      tf.layers.dense({ units: 84, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const xs = tf.tensor4d(data.x, [samples, 28, 28, 1]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(data.y, 'int32'), 10));
  return {
    samplesPerEpoch: samples,
    epoch: () => model.fit(xs, ys, { batchSize: BATCH, epochs: 1, shuffle: false, verbose: 0 }),
    dispose: () => {
      xs.dispose();
      ys.dispose();
      model.dispose();
    },
  };
}

/**
 * Conv2DBackpropFilter for tfjs-backend-wasm (which has none), NHWC: dW[i, j, c, o] = sum over
 * b, oh, ow of xPadded[b, oh s + i, ow s + j, c] dy[b, oh, ow, o], i.e. a convolution of x as
 * [C, H, W, N] with dy as the filter [outH, outW, N, O], stride 1 and dilation s, cut to the
 * filter's size. Square filters only here (LeNet's); backend-tfjs also handles other shapes.
 */
function registerWasmFilterGradient(): void {
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined) return;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs as { x: tf.Tensor4D; dy: tf.Tensor4D };
      const { strides, pad, dimRoundingMode, filterShape } = attrs as unknown as {
        strides: [number, number] | number;
        pad: 'valid' | 'same' | number;
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
        filterShape: [number, number, number, number];
      };
      const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode);
      const { top, bottom, left, right } = info.padInfo;
      return tf.tidy(() => {
        const images = tf.transpose(x, [3, 1, 2, 0]);
        const filters = tf.transpose(dy, [1, 2, 0, 3]);
        const paddings: [[number, number], [number, number], [number, number], [number, number]] = [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ];
        const full = tf.conv2d(images, filters, 1, paddings, 'NHWC', [info.strideHeight, info.strideWidth]);
        const [kh, kw, c, o] = filterShape;
        return tf.transpose(tf.slice(full, [0, 0, 0, 0], [c, kh, kw, o]), [1, 2, 0, 3]);
      });
    },
  });
}

console.log('LeNet-5 on Fashion-MNIST, batch 64, Adam(1e-3): Myelin against tfjs-layers on the same tfjs backend');
console.log('  conv 5x5x6 pad 2, ReLU, max-pool 2, conv 5x5x16, ReLU, max-pool 2, linear 400-120-84-10');
console.log(
  `median of ${RUNS} epochs per side (webgpu: see its line), taken in turn after a warm-up epoch each; node ${process.version}, ${process.arch}`,
);
console.log(
  'Myelin: Sequential + CrossEntropyLoss + Adam + fit (loss read every 10 steps), NCHW, fused conv/pool kernels',
);
console.log('tfjs-layers: model.fit, NHWC, conv2d with fused ReLU, softmax + categorical cross-entropy');
console.log('');

const most = Math.max(...targets.map((t) => t.batches)) * BATCH;
const data = await fashionMnist(most);
const rows: string[] = [];
for (const target of targets) {
  if (only && !only.includes(target.label)) continue;
  console.log(`${target.label}:`);
  let backend: Backend;
  try {
    backend = await target.setUp();
  } catch (error) {
    rows.push(`${target.label.padEnd(7)} unavailable: ${(error as Error).message.split('\n')[0]}`);
    continue;
  }
  const samples = target.batches * BATCH;
  const subset = { x: data.x.subarray(0, samples * 784), y: data.y.subarray(0, samples) };
  const trainers = [myelinTrainer(backend, subset, samples), tfjsLayersTrainer(subset, samples)];
  const [myelin, layers] = (await interleavedSamplesPerSecond(trainers, target.runs)) as [number, number];
  for (const trainer of trainers) trainer.dispose();
  const row = `${target.label.padEnd(7)} ${String(target.batches).padStart(3)} batches/epoch, ${target.runs} epochs  Myelin ${fmt(myelin)}  tfjs-layers ${fmt(layers)}  ratio ${(myelin / layers).toFixed(2)}x`;
  console.log(`  ${row}`);
  rows.push(row);
}
console.log('');
console.log('summary (samples/s, medians; ratio = Myelin / tfjs-layers on the same tfjs backend; target >= 1.0x)');
for (const row of rows) console.log(`  ${row}`);

function fmt(samplesPerSecond: number): string {
  return `${samplesPerSecond.toFixed(0).padStart(6)} samples/s`;
}
