// Training speed of the digits MLP (64-32-16-10, the reference model) on this worker's backend,
// in samples per second: one warm-up epoch (shader compilation, wasm tier-up), then timed epochs.
import { CrossEntropyLoss, fit, manualSeed } from '@myelin/core';
import { DataLoader, transformFromConfig } from '@myelin/data';
import { loadDigits } from './digits-data.js';
import { buildMlp, buildOptimizer } from './network.js';
import { DIGITS_TRANSFORMS } from './preprocessing.js';
import type { AssetUrls } from './protocol.js';

export async function benchmark(
  assets: () => AssetUrls | null,
  batchSize: number,
  epochs: number,
): Promise<{ samplesPerSecond: number; stepsPerSecond: number }> {
  const urls = assets();
  if (!urls) throw new Error('benchmark: the worker has not been started');
  const splits = await loadDigits(urls.digits);
  manualSeed(0);
  const model = buildMlp(64, 10, { hidden: [32, 16], activation: 'relu', dropout: 0 }, { seed: 0 });
  const optimizer = buildOptimizer(model, { optimizer: 'adam', lr: 1e-3 });
  const train = new DataLoader(splits.train.map(transformFromConfig(DIGITS_TRANSFORMS)), {
    batchSize,
    shuffle: true,
    seed: 0,
  });
  const options = { train, loss: new CrossEntropyLoss(), optimizer, readLossEvery: 1_000_000 };
  try {
    await fit(model, { ...options, epochs: 1 });
    const started = performance.now();
    await fit(model, { ...options, epochs: 1 + epochs, initialEpoch: 1 });
    const seconds = (performance.now() - started) / 1000;
    return {
      samplesPerSecond: (splits.train.length * epochs) / seconds,
      stepsPerSecond: (train.length * epochs) / seconds,
    };
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}
