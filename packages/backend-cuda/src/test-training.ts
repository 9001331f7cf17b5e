// A small MLP trained with `fit` and Adam on a given backend, for the tests that watch what
// training asks of the engine (the allocator's reuse, the launches of a step).
import type { Backend, Callback } from '@myelin/core';

export async function fitSmallMlp(
  backend: Backend,
  options: { features: number; classes: number; batches: number; epochs: number; callbacks: Callback[] },
): Promise<void> {
  const { Adam, CrossEntropyLoss, Linear, ReLU, Sequential, fit, fromHost, manualSeed, registerBackend, setBackend } =
    await import('@myelin/core');
  const { features, classes } = options;
  registerBackend(backend.name, () => backend);
  setBackend(backend.name);
  manualSeed(0);
  const model = new Sequential(new Linear(features, 16), new ReLU(), new Linear(16, classes));
  const batches = Array.from({ length: options.batches }, (_, b) => ({
    x: fromHost(
      Float32Array.from({ length: 8 * features }, (_, i) => Math.sin(i + 13 * b)),
      [8, features],
    ),
    y: fromHost(
      Int32Array.from({ length: 8 }, (_, i) => (i + b) % classes),
      [8],
    ),
  }));
  await fit(model, {
    train: batches,
    loss: new CrossEntropyLoss(),
    optimizer: new Adam(model.parameters(), { lr: 1e-2 }),
    epochs: options.epochs,
    disposeBatches: false,
    callbacks: options.callbacks,
  });
  for (const batch of batches) {
    batch.x.dispose();
    batch.y.dispose();
  }
}
