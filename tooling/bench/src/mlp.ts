import { Generator, fromHost, noGrad, tidy, type Tensor } from '@myelin/core';
import type * as Tf from '@tensorflow/tfjs';
import { medianSeconds } from './timing.js';

import { CLASSES, HIDDEN, INPUT } from './backend-mlp.js';

const BATCH = 64;

export interface MlpResult {
  myelinStepsPerSecond: number;
  tfjsStepsPerSecond: number;
}

/**
 * Training steps per second of a 784-128-10 ReLU MLP, softmax cross-entropy, batch 64, SGD:
 * Myelin core ops on cpu-reference vs the same model as tfjs-layers model.fit on tfjs-backend-cpu.
 */
export async function benchMlp(tf: typeof Tf, steps: number, runs: number): Promise<MlpResult> {
  const generator = new Generator(42);
  const samples = steps * BATCH;
  const inputs = generator.uniform(samples * INPUT);
  const labels = generator.integers(samples, 0, CLASSES);

  // Myelin: the step a user writes before nn/optim exist; parameters use PyTorch's Linear init.
  const init = (fanIn: number, shape: number[]): Tensor => {
    const bound = 1 / Math.sqrt(fanIn);
    const size = shape.reduce((a, b) => a * b, 1);
    return fromHost(generator.uniform(size, -bound, bound), shape, { dtype: 'float32', requiresGrad: true });
  };
  const parameters = [
    init(INPUT, [HIDDEN, INPUT]),
    init(INPUT, [HIDDEN]),
    init(HIDDEN, [CLASSES, HIDDEN]),
    init(HIDDEN, [CLASSES]),
  ];
  const batches = Array.from({ length: steps }, (_, i) => ({
    x: fromHost(inputs.subarray(i * BATCH * INPUT, (i + 1) * BATCH * INPUT), [BATCH, INPUT], { dtype: 'float32' }),
    y: fromHost(labels.subarray(i * BATCH, (i + 1) * BATCH), [BATCH], { dtype: 'int32' }),
  }));
  const myelinSeconds = await medianSeconds(async () => {
    let last: Tensor | null = null;
    for (const { x, y } of batches) {
      last?.dispose();
      last = tidy(() => {
        const [w1, b1, w2, b2] = parameters as [Tensor, Tensor, Tensor, Tensor];
        const logits = x.matmul(w1, { transposeB: true }).add(b1).relu().matmul(w2, { transposeB: true }).add(b2);
        const loss = logits.logSoftmax(1).mul(y.oneHot(CLASSES)).sum(1).mean().neg();
        loss.backward();
        noGrad(() => {
          for (const p of parameters) {
            p.assign(p.sub(p.grad!.mul(0.01)));
            p.grad = null;
          }
        });
        return loss.detach();
      });
    }
    await last!.data();
    last!.dispose();
  }, runs);
  for (const t of [...parameters, ...batches.flatMap((b) => [b.x, b.y])]) t.dispose();

  // TensorFlow.js: the same model, loss and optimizer through tfjs-layers' model.fit.
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [INPUT], units: HIDDEN, activation: 'relu' }),
      tf.layers.dense({ units: CLASSES, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy' });
  const xs = tf.tensor2d(Float32Array.from(inputs), [samples, INPUT]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES));
  const tfjsSeconds = await medianSeconds(async () => {
    await model.fit(xs, ys, { batchSize: BATCH, epochs: 1, shuffle: false, verbose: 0 });
  }, runs);
  xs.dispose();
  ys.dispose();
  model.dispose();

  return { myelinStepsPerSecond: steps / myelinSeconds, tfjsStepsPerSecond: steps / tfjsSeconds };
}
