import {
  Adam,
  CrossEntropyLoss,
  Generator,
  LSTM,
  Linear,
  SelectTimeStep,
  Sequential,
  fit,
  fromHost,
  noGrad,
  tidy,
  type Tensor,
} from '@myelin/core';
import '@myelin/backend-cpu-reference';

/** Steps per sequence. */
export const SEQUENCE_LENGTH = 24;

export interface WaveData {
  /** [count, SEQUENCE_LENGTH, 1] (batch first). */
  x: Float32Array;
  /** 0: sine, 1: square. */
  labels: Int32Array;
}

/**
 * Noisy waves: each a sine or a square wave of random period (6 to 16 steps), phase and
 * amplitude (0.5 to 1.5), plus N(0, 0.25^2) noise per step; the label says which shape it is.
 */
export function makeWaves(count: number, generator: Generator): WaveData {
  const x = new Float32Array(count * SEQUENCE_LENGTH);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const [kind, period, phase, amplitude] = generator.uniform(4);
    labels[i] = kind! < 0.5 ? 0 : 1;
    const noise = generator.normal(SEQUENCE_LENGTH, 0, 0.25);
    for (let t = 0; t < SEQUENCE_LENGTH; t++) {
      const angle = (2 * Math.PI * t) / (6 + 10 * period!) + 2 * Math.PI * phase!;
      const wave = labels[i] === 0 ? Math.sin(angle) : Math.sign(Math.sin(angle));
      x[i * SEQUENCE_LENGTH + t] = (0.5 + amplitude!) * wave + noise[t]!;
    }
  }
  return { x, labels };
}

function batches(data: WaveData, batchSize: number): { x: Tensor; y: Tensor }[] {
  const out: { x: Tensor; y: Tensor }[] = [];
  for (let start = 0; start < data.labels.length; start += batchSize) {
    const n = Math.min(batchSize, data.labels.length - start);
    out.push({
      x: fromHost(data.x.subarray(start * SEQUENCE_LENGTH, (start + n) * SEQUENCE_LENGTH), [n, SEQUENCE_LENGTH, 1]),
      y: fromHost(data.labels.subarray(start, start + n), [n], { dtype: 'int32' }),
    });
  }
  return out;
}

export interface SequenceResult {
  /** Training loss per epoch. */
  losses: number[];
  /** Accuracy on held-out waves the model never saw. */
  testAccuracy: number;
}

/**
 * LSTM(1, 16) -> last step -> Linear(16, 2), cross-entropy, Adam lr 0.01, batches of 32,
 * trained with fit on `train` waves; reports accuracy on 500 fresh ones.
 */
export async function classifyWaves(options: { epochs: number; train: number; seed: number }): Promise<SequenceResult> {
  const generator = new Generator(options.seed);
  const model = new Sequential(
    new LSTM(1, 16, { batchFirst: true, generator }),
    new SelectTimeStep(-1, { batchFirst: true }),
    new Linear(16, 2, { generator }),
  );
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  const train = batches(makeWaves(options.train, generator), 32);
  const history = await fit(model, { train, loss: new CrossEntropyLoss(), optimizer, epochs: options.epochs });
  const test = makeWaves(500, generator);
  const predicted = noGrad(() =>
    tidy(() =>
      model
        .eval()
        .forward(fromHost(test.x, [500, SEQUENCE_LENGTH, 1]))
        .argmax(1),
    ),
  );
  const classes = Array.from(await predicted.data());
  const testAccuracy = classes.reduce((n, c, i) => n + (c === test.labels[i] ? 1 : 0), 0) / 500;
  predicted.dispose();
  for (const batch of train) {
    batch.x.dispose();
    batch.y.dispose();
  }
  optimizer.dispose();
  model.dispose();
  return { losses: history.series('loss'), testAccuracy };
}
