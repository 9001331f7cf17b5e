// Export and import on the CPU reference: a round trip restores the model exactly, the files
// `myelin train` writes load too, and every bad upload is refused without touching the model.
import '@myelin/backend-cpu-reference';
import {
  Adam,
  Linear,
  ReLU,
  SGD,
  Sequential,
  Sigmoid,
  Tanh,
  captureCheckpoint,
  serializeCheckpoint,
  tensor,
} from '@myelin/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { makeToyData } from '../data/toy-datasets.js';
import { exportModel, importModel, readCheckpointFiles } from './checkpoint-io.js';
import { ImportError } from './demo-task.js';
import { PlaygroundTask } from './playground-task.js';
import type { PlaygroundConfig } from './protocol.js';

const CONFIG: PlaygroundConfig = {
  hidden: [4],
  activation: 'tanh',
  dropout: 0,
  loss: 'bce',
  optimizer: 'adam',
  lr: 0.05,
  batchSize: 0,
  seed: 1,
};
const DATA = makeToyData({ dataset: 'xor', samples: 80, noise: 0, trainFraction: 0.5, seed: 1 });

async function trainedPlayground(): Promise<PlaygroundTask> {
  const task = new PlaygroundTask(() => undefined);
  await task.setup(CONFIG, { ...DATA }, 8);
  await task.session!.run(5);
  return task;
}

/** A digits-shaped model as myelin train saves it: meta + weights (+ optimizer) files. */
async function cliFiles(withOptimizer: boolean): Promise<{ name: string; bytes: Uint8Array }[]> {
  const model = new Sequential([new Linear(64, 8), new ReLU(), new Linear(8, 10)]);
  const optimizer = new Adam(model.parameters(), { lr: 0.002 });
  const extra = {
    myelin: {
      config: {
        data: { source: 'digits', transforms: [{ type: 'toFloat', scale: 0.0625 }] },
        optimizer: { type: 'adam', lr: 0.002 },
      },
    },
  };
  const files = await serializeCheckpoint(captureCheckpoint({ model, optimizer }, 3, { extra }));
  return [
    { name: 'best.json', bytes: new TextEncoder().encode(files.meta) },
    { name: 'best.safetensors', bytes: files.weights },
    ...(withOptimizer && files.optimizer ? [{ name: 'best.optimizer.safetensors', bytes: files.optimizer }] : []),
  ];
}

describe('model export and import', () => {
  let task: PlaygroundTask;
  beforeEach(async () => {
    task = await trainedPlayground();
  });

  it('an exported model imports back and predicts exactly the same', async () => {
    const before = await task.grid();
    const { bytes, summary } = await exportModel(task, { dataset: 'xor' });
    expect(summary.layers).toBe('Linear(2->4) Tanh Linear(4->1) Sigmoid');
    await task.setup(CONFIG, { ...DATA }, 8); // fresh weights
    expect(await task.grid()).not.toEqual(before);
    const imported = await importModel(task, [{ name: 'myelin-playground.safetensors', bytes }], {
      type: 'adam',
      lr: 0.05,
    });
    expect(imported).toMatchObject({
      epoch: 5,
      optimizerRestored: true,
      fromCli: false,
      network: { hidden: [4], activation: 'tanh', dropout: 0 },
      ui: { dataset: 'xor' },
    });
    expect(await task.grid()).toEqual(before);
  });

  it('an import keeps every option of the saved optimizer config, and an export writes them back', async () => {
    const model = new Sequential([new Linear(2, 4), new Tanh(), new Linear(4, 1), new Sigmoid()]);
    const sgd = { type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4 };
    const { type: _, ...options } = sgd;
    const optimizer = new SGD(model.parameters(), options);
    model
      .forward(tensor([[0.5, -1]]))
      .sum()
      .backward(); // a step, so there is momentum state to restore
    optimizer.step();
    const extra = { myelin: { config: { optimizer: sgd } } };
    const files = await serializeCheckpoint(captureCheckpoint({ model, optimizer }, 2, { extra }));
    model.dispose();
    optimizer.dispose();
    const uploaded = [
      { name: 'last.json', bytes: new TextEncoder().encode(files.meta) },
      { name: 'last.safetensors', bytes: files.weights },
      { name: 'last.optimizer.safetensors', bytes: files.optimizer! },
    ];
    const fallback = { type: 'adam', lr: 0.05 };
    expect(await importModel(task, uploaded, fallback)).toMatchObject({ optimizerRestored: true, fromCli: true });
    expect(task.current!.optimizerConfig).toEqual(sgd);
    expect(task.current!.optimizer.paramGroups[0]).toMatchObject({ momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
    // Exported and imported again, the options survive.
    const { bytes } = await exportModel(task, {});
    await importModel(task, [{ name: 'again.safetensors', bytes }], fallback);
    expect(task.current!.optimizerConfig).toEqual(sgd);
    // Without the optimizer file nothing is restored: the demo's own optimizer settings apply.
    await importModel(task, uploaded.slice(0, 2), fallback);
    expect(task.current!.optimizerConfig).toEqual(fallback);
    // A saved config that core's optimizerFromConfig refuses is not kept either.
    const refused = files.meta.replace(/"nesterov": ?true/, '"nesterov": "yes"');
    expect(refused).not.toBe(files.meta);
    const bad = [{ name: 'last.json', bytes: new TextEncoder().encode(refused) }, ...uploaded.slice(1)];
    expect(await importModel(task, bad, fallback)).toMatchObject({ optimizerRestored: false });
    expect(task.current!.optimizerConfig).toEqual(fallback);
  });

  it.each([
    ['a corrupt file', (b: Uint8Array) => Object.assign(b.slice(), { 9: b[9]! ^ 0xff }), 'corrupt.safetensors'],
    ['a truncated file', (b: Uint8Array) => b.slice(0, b.length - 40), 'short.safetensors'],
    ['not a checkpoint', () => new TextEncoder().encode('hello'), 'notes.txt'],
  ])('%s is refused and the model is unchanged', async (_, damage, name) => {
    const before = await task.grid();
    const { bytes } = await exportModel(task, {});
    await expect(importModel(task, [{ name, bytes: damage(bytes) }], { type: 'adam', lr: 0.05 })).rejects.toThrow(
      ImportError,
    );
    expect(await task.grid()).toEqual(before);
    expect(task.session?.epoch).toBe(5);
  });

  it('a model of the wrong shape is refused with the sizes in the message', async () => {
    const before = await task.grid();
    await expect(importModel(task, await cliFiles(true), { type: 'adam', lr: 0.05 })).rejects.toThrow(
      'This model takes 64 inputs and gives 10 outputs; the playground needs 2 inputs and 1 output.',
    );
    expect(await task.grid()).toEqual(before);
  });
});

describe('readCheckpointFiles', () => {
  it('reads the files myelin train writes, with or without the optimizer file', async () => {
    for (const withOptimizer of [true, false]) {
      const { checkpoint, source } = readCheckpointFiles(await cliFiles(withOptimizer));
      expect(source).toBe(
        withOptimizer ? 'best.json + best.safetensors + best.optimizer.safetensors' : 'best.json + best.safetensors',
      );
      expect(checkpoint.epoch).toBe(3);
      expect(checkpoint.optimizerState === undefined).toBe(!withOptimizer);
    }
  });

  it('names what is missing or wrong', async () => {
    const [meta, weights] = await cliFiles(false);
    expect(() => readCheckpointFiles([meta!])).toThrow(
      "best.json needs best.safetensors (the model's tensors) chosen with it.",
    );
    expect(() => readCheckpointFiles([weights!])).toThrow(/a plain weights file: choose it together with its \.json/);
    expect(() => readCheckpointFiles([meta!, { ...meta!, name: 'last.json' }])).toThrow(
      /Choose the files of one checkpoint/,
    );
    const tampered = weights!.bytes.slice();
    tampered[tampered.length - 1]! ^= 0xff;
    expect(() => readCheckpointFiles([meta!, { name: 'best.safetensors', bytes: tampered }])).toThrow(/CRC-32/);
  });
});
