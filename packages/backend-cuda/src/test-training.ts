// A small MLP trained with `fit` and Adam on a given backend, for the tests that watch what
// training asks of the engine (the allocator's reuse, the launches of a step); and what the
// emulated conformance runs leave out on the race check build.
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

/**
 * The conformance cases the race check build (ThreadSanitizer, ~10x slower) leaves out: they only
 * run kernels the suite's other cases already ran, for many more steps.
 */
export const RACE_CHECK_SKIPS: Readonly<Record<string, string>> = {
  'live handles stay flat across 50 training steps and return to the start':
    'the race check: 50 steps of the kernels the 5-step training tier already ran; the plain emulator run checks the memory',
  'training: an MLP trained with fused kernels follows the composed trajectory':
    'the race check: the fused optimizer and loss kernels already ran in their own cases; the plain emulator run checks the trajectory',
};
