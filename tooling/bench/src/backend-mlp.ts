// One training workload, two implementations on the same tfjs backend: Myelin's nn/optim/fit on
// a Myelin backend, and the same model as tfjs-layers' model.fit. 784-128-10 MLP, ReLU, softmax
// cross-entropy, Adam(1e-3), one epoch over device-resident data sliced per batch on both sides.
import {
  Adam,
  CrossEntropyLoss,
  Generator,
  Linear,
  ReLU,
  Sequential,
  fit,
  fromHost,
  type Backend,
  type Batch,
  type Tensor,
} from '@myelin/core';
import type * as Tf from '@tensorflow/tfjs';
import { median } from './timing.js';

export const INPUT = 784;
export const HIDDEN = 128;
export const CLASSES = 10;

/** The same seeded samples for every implementation. */
export interface Workload {
  samples: number;
  inputs: Float32Array;
  labels: Int32Array;
}

export function makeWorkload(samples: number): Workload {
  const generator = new Generator(42);
  return {
    samples,
    inputs: Float32Array.from(generator.uniform(samples * INPUT)),
    labels: Int32Array.from(generator.integers(samples, 0, CLASSES)),
  };
}

/** One epoch of training, timed by the caller; `dispose` frees what the trainer holds. */
export interface Trainer {
  samplesPerEpoch: number;
  epoch(): Promise<unknown>;
  dispose(): void;
}

/** Myelin's fit on `backend`: Sequential + CrossEntropyLoss + Adam, loss read every 10 steps. */
export function myelinTrainer(backend: Backend, workload: Workload, batchSize: number): Trainer {
  const generator = new Generator(7);
  const model = new Sequential(
    new Linear(INPUT, HIDDEN, { backend, generator }),
    new ReLU(),
    new Linear(HIDDEN, CLASSES, { backend, generator }),
  );
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  const loss = new CrossEntropyLoss();
  const x = fromHost(workload.inputs, [workload.samples, INPUT], { backend, dtype: 'float32' });
  const y = fromHost(workload.labels, [workload.samples], { backend, dtype: 'int32' });
  const steps = Math.floor(workload.samples / batchSize);
  function* batches(): Iterable<Batch> {
    for (let i = 0; i < steps; i++)
      yield { x: x.slice([i * batchSize, 0], [batchSize, INPUT]), y: y.slice([i * batchSize], [batchSize]) };
  }
  return {
    samplesPerEpoch: steps * batchSize,
    epoch: () =>
      fit(model, { train: () => batches(), loss, optimizer, epochs: 1, readLossEvery: 10, disposeBatches: true }),
    dispose: () => {
      optimizer.dispose();
      model.dispose();
      for (const t of [x, y] as Tensor[]) t.dispose();
    },
  };
}

/** tfjs-layers' model.fit of the same model on the active tfjs backend (softmax + categorical cross-entropy). */
export function tfjsLayersTrainer(tf: typeof Tf, workload: Workload, batchSize: number): Trainer {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [INPUT], units: HIDDEN, activation: 'relu' }),
      tf.layers.dense({ units: CLASSES, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const xs = tf.tensor2d(workload.inputs, [workload.samples, INPUT]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(workload.labels, 'int32'), CLASSES));
  const steps = Math.floor(workload.samples / batchSize);
  return {
    samplesPerEpoch: steps * batchSize,
    epoch: () => model.fit(xs, ys, { batchSize, epochs: 1, shuffle: false, verbose: 0 }),
    dispose: () => {
      xs.dispose();
      ys.dispose();
      model.dispose();
    },
  };
}

/**
 * Samples per second of each trainer: one warm-up epoch each, then `runs` epochs taken in turn
 * (A, B, A, B, ...) so that load from elsewhere on the machine hits both alike; medians.
 */
export async function interleavedSamplesPerSecond(trainers: readonly Trainer[], runs: number): Promise<number[]> {
  for (const trainer of trainers) await trainer.epoch();
  const seconds: number[][] = trainers.map(() => []);
  for (let run = 0; run < runs; run++) {
    for (const [i, trainer] of trainers.entries()) {
      const start = process.hrtime.bigint();
      await trainer.epoch();
      seconds[i]!.push(Number(process.hrtime.bigint() - start) / 1e9);
    }
  }
  return trainers.map((trainer, i) => trainer.samplesPerEpoch / median(seconds[i]!));
}
