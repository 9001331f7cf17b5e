import '@myelin/backend-cpu-reference';
import {
  Adam,
  CrossEntropyLoss,
  Generator,
  Linear,
  ReLU,
  Sequential,
  fit,
  getBackend,
  evaluate,
  accuracy,
} from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { DataLoader } from './data-loader.js';
import { loadDigits } from './node/tables.js';
import { randomSplit } from './random-split.js';

function digitsModel(seed: number): Sequential {
  const generator = new Generator(seed);
  return new Sequential(
    new Linear(64, 32, { generator }),
    new ReLU(),
    new Linear(32, 16, { generator }),
    new ReLU(),
    new Linear(16, 10, { generator }),
  );
}

describe('the data pipeline with the training API', () => {
  it('trains the section 2 digits model with fit to a loss below 0.3 in 100 full-batch Adam epochs', async () => {
    const digits = await loadDigits();
    const loader = new DataLoader(digits, { batchSize: digits.length, shuffle: true, seed: 7 });
    const model = digitsModel(2);
    const history = await fit(model, {
      train: loader,
      loss: new CrossEntropyLoss(),
      optimizer: new Adam(model.parameters(), { lr: 1e-3 }),
      epochs: 100,
    });
    const losses = history.series('loss');
    expect(losses[0]!).toBeGreaterThan(1.5);
    expect(losses[99]!).toBeLessThan(0.3);
    model.dispose();
  });

  it('fit and evaluate dispose the loader batches: live handles stay flat across epochs', async () => {
    const backend = getBackend();
    const digits = await loadDigits();
    const [train, validation] = randomSplit(digits, [0.8, 0.2], { seed: 3 });
    const model = digitsModel(1);
    const optimizer = new Adam(model.parameters(), { lr: 1e-2 });
    const counts: number[] = [];
    const history = await fit(model, {
      train: new DataLoader(train!, { batchSize: 64, shuffle: true, seed: 1 }),
      validation: new DataLoader(validation!, { batchSize: 256 }),
      loss: new CrossEntropyLoss(),
      optimizer,
      epochs: 4,
      metrics: ['accuracy'],
      callbacks: [{ onEpochEnd: () => void counts.push(backend.liveHandles()) }],
    });
    expect(new Set(counts).size).toBe(1);
    expect(history.series('val_accuracy')[3]!).toBeGreaterThan(0.85);
    const result = await evaluate(model, new DataLoader(validation!, { batchSize: 100 }), { metrics: [accuracy()] });
    expect(result.accuracy).toBeCloseTo(history.series('val_accuracy')[3]!, 6);
    expect(backend.liveHandles()).toBe(counts[0]);
  });
});
