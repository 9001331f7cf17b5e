import {
  Adam,
  CrossEntropyLoss,
  Generator,
  LSTM,
  Linear,
  SelectTimeStep,
  Sequential,
  crossEntropy,
  fit,
  fromHost,
  noGrad,
  packPaddedSequence,
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
  /** Each wave's steps; the rest of its row is zeros (padding). */
  lengths: number[];
}

/** The shortest wave with variable lengths. */
export const SHORTEST = 8;

/**
 * Noisy waves: each a sine or a square wave of random period (6 to 16 steps), phase and
 * amplitude (0.5 to 1.5), plus N(0, 0.25^2) noise per step; the label says which shape it is.
 * With `variableLengths` each wave has SHORTEST to SEQUENCE_LENGTH steps, padded with zeros.
 */
export function makeWaves(count: number, generator: Generator, variableLengths = false): WaveData {
  const x = new Float32Array(count * SEQUENCE_LENGTH);
  const labels = new Int32Array(count);
  const lengths: number[] = [];
  for (let i = 0; i < count; i++) {
    const [kind, period, phase, amplitude] = generator.uniform(4);
    labels[i] = kind! < 0.5 ? 0 : 1;
    const length = variableLengths
      ? SHORTEST + Math.floor(generator.uniform(1)[0]! * (SEQUENCE_LENGTH - SHORTEST + 1))
      : SEQUENCE_LENGTH;
    lengths.push(length);
    const noise = generator.normal(SEQUENCE_LENGTH, 0, 0.25);
    for (let t = 0; t < length; t++) {
      const angle = (2 * Math.PI * t) / (6 + 10 * period!) + 2 * Math.PI * phase!;
      const wave = labels[i] === 0 ? Math.sin(angle) : Math.sign(Math.sin(angle));
      x[i * SEQUENCE_LENGTH + t] = (0.5 + amplitude!) * wave + noise[t]!;
    }
  }
  return { x, labels, lengths };
}

function batches(data: WaveData, batchSize: number): { x: Tensor; y: Tensor; lengths: number[] }[] {
  const out: { x: Tensor; y: Tensor; lengths: number[] }[] = [];
  for (let start = 0; start < data.labels.length; start += batchSize) {
    const n = Math.min(batchSize, data.labels.length - start);
    out.push({
      x: fromHost(data.x.subarray(start * SEQUENCE_LENGTH, (start + n) * SEQUENCE_LENGTH), [n, SEQUENCE_LENGTH, 1]),
      y: fromHost(data.labels.subarray(start, start + n), [n], { dtype: 'int32' }),
      lengths: data.lengths.slice(start, start + n),
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

/** A batch-first padded batch of waves packed: the LSTM runs each wave over its own steps only. */
const packed = (x: Tensor, lengths: number[]) =>
  packPaddedSequence(x, lengths, { batchFirst: true, enforceSorted: false });

/**
 * LSTM(1, 16) -> last step -> Linear(16, 2), cross-entropy, Adam lr 0.01, batches of 32,
 * trained with fit on `train` waves; reports accuracy on 500 fresh ones. With
 * `variableLengths` the waves have 8 to 24 steps and run packed (a plain loop, since fit's
 * batches carry no lengths): SelectTimeStep(-1) then takes each wave's own last step.
 */
export async function classifyWaves(options: {
  epochs: number;
  train: number;
  seed: number;
  variableLengths?: boolean;
}): Promise<SequenceResult> {
  const generator = new Generator(options.seed);
  const variable = options.variableLengths ?? false;
  const model = new Sequential(
    new LSTM(1, 16, { batchFirst: true, generator }),
    new SelectTimeStep(-1, { batchFirst: true }),
    new Linear(16, 2, { generator }),
  );
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  const train = batches(makeWaves(options.train, generator, variable), 32);
  let losses: number[];
  if (!variable) {
    const history = await fit(model, { train, loss: new CrossEntropyLoss(), optimizer, epochs: options.epochs });
    losses = history.series('loss');
  } else {
    losses = [];
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      let total = 0;
      for (const { x, y, lengths } of train) {
        const loss = tidy(() => {
          optimizer.zeroGrad();
          const value = crossEntropy(model.forward(packed(x, lengths)), y);
          value.backward();
          optimizer.step();
          return value;
        });
        total += (await loss.item()) * lengths.length;
        loss.dispose();
      }
      losses.push(total / options.train);
    }
  }
  const test = makeWaves(500, generator, variable);
  const predicted = noGrad(() =>
    tidy(() => {
      const x = fromHost(test.x, [500, SEQUENCE_LENGTH, 1]);
      return model
        .eval()
        .forward(variable ? packed(x, test.lengths) : x)
        .argmax(1);
    }),
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
  return { losses, testAccuracy };
}
