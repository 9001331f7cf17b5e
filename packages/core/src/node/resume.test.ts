import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  Adam,
  CrossEntropyLoss,
  Dropout,
  Generator,
  Linear,
  ModelCheckpoint,
  ReLU,
  Sequential,
  StepLR,
  captureCheckpoint,
  defaultGenerator,
  disposeCheckpoint,
  fit,
  releaseCapturedCheckpoint,
  fromHost,
  restoreCheckpoint,
  type Batch,
} from '@myelin/core';
import { loadCheckpoint, saveCheckpoint } from './index.js';

const directory = await mkdtemp(path.join(tmpdir(), 'myelin-resume-'));
afterAll(() => rm(directory, { recursive: true, force: true }));

/** 96 samples of 4 features in 3 classes; each epoch visits the batches in a seeded order. */
function data(): (epoch: number) => Batch[] {
  const g = new Generator(11);
  const x = g.normal(96 * 4);
  const y = g.integers(96, 0, 3);
  const batches = Array.from({ length: 6 }, (_, i) => ({
    x: fromHost(x.subarray(i * 64, (i + 1) * 64), [16, 4], { dtype: 'float32' }),
    y: fromHost(y.subarray(i * 16, (i + 1) * 16), [16], { dtype: 'int32' }),
  }));
  return (epoch) => Array.from(new Generator(1000 + epoch).permutation(batches.length), (i) => batches[i]!);
}

function setUp() {
  defaultGenerator.manualSeed(5);
  const model = new Sequential(new Linear(4, 16), new ReLU(), new Dropout(0.3), new Linear(16, 3));
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  const schedule = new StepLR(optimizer, { stepSize: 1, gamma: 0.5 });
  return { model, optimizer, schedule };
}

describe('resume', () => {
  it('2 epochs + save + resume for 2 gives bit-identical parameters to 4 uninterrupted epochs', async () => {
    const train = data();
    const straight = setUp();
    await fit(straight.model, {
      train,
      loss: new CrossEntropyLoss(),
      optimizer: straight.optimizer,
      schedule: straight.schedule,
      epochs: 4,
    });
    const expected = await Promise.all(straight.model.parameters().map((p) => p.data()));

    const first = setUp();
    await fit(first.model, {
      train,
      loss: new CrossEntropyLoss(),
      optimizer: first.optimizer,
      schedule: first.schedule,
      epochs: 2,
      callbacks: [
        new ModelCheckpoint({
          monitor: 'loss',
          saveBest: false,
          save: async (name, { epoch }) => {
            const checkpoint = captureCheckpoint(first, epoch + 1);
            await saveCheckpoint(directory, name, checkpoint);
            releaseCapturedCheckpoint(checkpoint);
          },
        }),
      ],
    });

    const resumed = setUp();
    defaultGenerator.manualSeed(999); // restoring must bring back the saved RNG state
    const checkpoint = await loadCheckpoint(directory, 'last');
    const initialEpoch = restoreCheckpoint(checkpoint, resumed);
    disposeCheckpoint(checkpoint);
    expect(initialEpoch).toBe(2);
    await fit(resumed.model, {
      train,
      loss: new CrossEntropyLoss(),
      optimizer: resumed.optimizer,
      schedule: resumed.schedule,
      epochs: 4,
      initialEpoch,
    });
    const actual = await Promise.all(resumed.model.parameters().map((p) => p.data()));
    actual.forEach((values, i) => expect(Array.from(values)).toEqual(Array.from(expected[i]!)));
    expect(resumed.optimizer.paramGroups[0]!.lr).toBe(straight.optimizer.paramGroups[0]!.lr);
  });
});
