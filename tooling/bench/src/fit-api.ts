import {
  Adam,
  CrossEntropyLoss,
  Generator,
  Linear,
  ReLU,
  Sequential,
  fit,
  fromHost,
  noGrad,
  tidy,
  type Batch,
  type Tensor,
} from '@myelin/core';
import { medianSeconds } from './timing.js';

import { CLASSES, HIDDEN, INPUT } from './backend-mlp.js';

const BATCH = 64;

export interface FitApiResult {
  plainStepsPerSecond: number;
  /** fit with Adam's default: the backend's fused update kernel when it has one. */
  fitStepsPerSecond: number;
  /** fit with Adam({ fused: false }): the same arithmetic as the plain loop, so the ratio is the API's own cost. */
  fitComposedStepsPerSecond: number;
}

/**
 * The cost of the training API: the 784-128-10 ReLU MLP, batch 64, Adam lr 1e-3, trained with
 * Sequential + CrossEntropyLoss + Adam + fit vs the same step written in plain core ops with a
 * hand-written Adam (the foundation benchmark's loop), both on cpu-reference.
 */
export async function benchFitApi(steps: number, runs: number): Promise<FitApiResult> {
  const generator = new Generator(3);
  const batches: Batch[] = Array.from({ length: steps }, () => ({
    x: fromHost(generator.uniform(BATCH * INPUT), [BATCH, INPUT], { dtype: 'float32' }),
    y: fromHost(generator.integers(BATCH, 0, CLASSES), [BATCH], { dtype: 'int32' }),
  }));

  const model = new Sequential(
    new Linear(INPUT, HIDDEN, { generator }),
    new ReLU(),
    new Linear(HIDDEN, CLASSES, { generator }),
  );
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  const composedOptimizer = new Adam(model.parameters(), { lr: 1e-3, fused: false });
  const loss = new CrossEntropyLoss();
  const fitSeconds = await medianSeconds(() => fit(model, { train: batches, loss, optimizer, epochs: 1 }), runs);
  const fitComposedSeconds = await medianSeconds(
    () => fit(model, { train: batches, loss, optimizer: composedOptimizer, epochs: 1 }),
    runs,
  );

  const parameters = model.parameters().map((p) => p.detach().requiresGrad_());
  const moments = parameters.map(
    (p) => [fromHost(new Float32Array(p.size), p.shape), fromHost(new Float32Array(p.size), p.shape)] as const,
  );
  let step = 0;
  const plainSeconds = await medianSeconds(async () => {
    for (const { x, y } of batches) {
      step++;
      const value = tidy(() => {
        const [w1, b1, w2, b2] = parameters as [Tensor, Tensor, Tensor, Tensor];
        const logits = x.matmul(w1, { transposeB: true }).add(b1).relu().matmul(w2, { transposeB: true }).add(b2);
        const lossValue = logits.logSoftmax(1).mul(y.oneHot(CLASSES)).sum(1).mean().neg();
        lossValue.backward();
        noGrad(() =>
          parameters.forEach((p, i) => {
            const [m, v] = moments[i]!;
            m.assign(m.mul(0.9).add(p.grad!.mul(0.1)));
            v.assign(v.mul(0.999).add(p.grad!.square().mul(0.001)));
            const update = m
              .div(1 - 0.9 ** step)
              .div(
                v
                  .div(1 - 0.999 ** step)
                  .sqrt()
                  .add(1e-8),
              )
              .mul(1e-3);
            p.assign(p.sub(update));
            p.grad = null;
          }),
        );
        return lossValue.detach();
      });
      await value.data(); // fit reads the loss every step on cpu-reference too
      value.dispose();
    }
  }, runs);

  for (const t of [...parameters, ...moments.flat(), ...batches.flatMap((b) => [b.x, b.y])]) t.dispose();
  optimizer.dispose();
  composedOptimizer.dispose();
  model.dispose();
  return {
    plainStepsPerSecond: steps / plainSeconds,
    fitStepsPerSecond: steps / fitSeconds,
    fitComposedStepsPerSecond: steps / fitComposedSeconds,
  };
}
