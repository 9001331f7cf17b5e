import { Generator, fromHost, noGrad, tidy, type Backend, type Tensor } from '@myelin/core';

/**
 * A fixed-seed 6-16-3 MLP (tanh then relu hidden layers, softmax cross-entropy) trained with
 * hand-written SGD or Adam in plain core ops. Everything is drawn from one seed, so the loss
 * trajectory and final parameters must match on every backend.
 */
export interface TrainingRun {
  losses: number[];
  parameters: Float32Array[];
  /** backend.liveHandles() after each step. */
  liveHandles: number[];
}

const BATCH = 24;
const FEATURES = 6;
const HIDDEN = 16;
const CLASSES = 3;

export async function trainMlp(
  backend: Backend,
  options: { steps: number; optimizer: 'sgd' | 'adam'; readEvery?: number },
): Promise<TrainingRun> {
  const generator = new Generator(1234);
  const input = fromHost(generator.normal(BATCH * FEATURES), [BATCH, FEATURES], { backend, dtype: 'float32' });
  const labels = fromHost(generator.integers(BATCH, 0, CLASSES), [BATCH], { backend, dtype: 'int32' });
  const shapes = [[HIDDEN, FEATURES], [HIDDEN], [CLASSES, HIDDEN], [CLASSES]];
  const parameters = shapes.map((shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return fromHost(generator.normal(size, 0, 0.5), shape, { backend, dtype: 'float32', requiresGrad: true });
  });
  const firstMoments = parameters.map((p) => fromHost(new Float32Array(p.size), p.shape, { backend }));
  const secondMoments = parameters.map((p) => fromHost(new Float32Array(p.size), p.shape, { backend }));
  const losses: number[] = [];
  const liveHandles: number[] = [];
  try {
    for (let step = 1; step <= options.steps; step++) {
      const loss = tidy(() => {
        const [w1, b1, w2, b2] = parameters as [Tensor, Tensor, Tensor, Tensor];
        const hidden = input.matmul(w1, { transposeB: true }).add(b1).tanh().relu();
        const logits = hidden.matmul(w2, { transposeB: true }).add(b2);
        const logProbabilities = logits.logSoftmax(1);
        const value = logProbabilities.mul(labels.oneHot(CLASSES)).sum(1).mean().neg();
        value.backward();
        noGrad(() => {
          parameters.forEach((p, i) => {
            const grad = p.grad!;
            if (options.optimizer === 'sgd') {
              p.assign(p.sub(grad.mul(0.5)));
            } else {
              const m = firstMoments[i]!.assign(firstMoments[i]!.mul(0.9).add(grad.mul(0.1)));
              const v = secondMoments[i]!.assign(secondMoments[i]!.mul(0.999).add(grad.square().mul(0.001)));
              const mHat = m.div(1 - 0.9 ** step);
              const vHat = v.div(1 - 0.999 ** step);
              p.assign(p.sub(mHat.div(vHat.sqrt().add(1e-8)).mul(0.01)));
            }
            p.grad = null;
          });
        });
        return value.detach();
      });
      if (options.readEvery === undefined || step % options.readEvery === 0 || step === options.steps) {
        losses.push((await loss.data())[0]!);
      }
      loss.dispose();
      liveHandles.push(backend.liveHandles());
    }
    const values = await Promise.all(parameters.map((p) => p.data()));
    return { losses, parameters: values.map((v) => Float32Array.from(v)), liveHandles };
  } finally {
    for (const t of [input, labels, ...parameters, ...firstMoments, ...secondMoments]) t.dispose();
  }
}
