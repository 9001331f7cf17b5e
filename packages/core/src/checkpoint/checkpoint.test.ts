import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  CheckpointError,
  Generator,
  decodeSafetensors,
  deserializeCheckpoint,
  disposeCheckpoint,
  getBackend,
  scalar,
  serializeCheckpoint,
  zeros,
  type Checkpoint,
  type SerializedCheckpoint,
} from '@myelin/core';
import { expectSameCheckpoint, sampleCheckpoint } from './test-fixtures.js';

/** Edits the meta JSON of a serialized checkpoint. */
function editMeta(serialized: SerializedCheckpoint, edit: (meta: Record<string, any>) => void): SerializedCheckpoint {
  const meta = JSON.parse(serialized.meta);
  edit(meta);
  return { ...serialized, meta: JSON.stringify(meta) };
}

function expectRefused(serialized: SerializedCheckpoint, pattern: RegExp): void {
  const backend = getBackend();
  const before = backend.liveHandles();
  expect(() => deserializeCheckpoint(serialized)).toThrow(CheckpointError);
  expect(() => deserializeCheckpoint(serialized)).toThrow(pattern);
  expect(backend.liveHandles(), 'a refused load frees what it had made').toBe(before);
}

describe('serializeCheckpoint / deserializeCheckpoint', () => {
  it('round-trips every part of a checkpoint, NaN and Infinity included', async () => {
    const original = sampleCheckpoint();
    const loaded = deserializeCheckpoint(await serializeCheckpoint(original));
    expect(loaded.format).toBe('myelin-checkpoint');
    expect(loaded.version).toBe(1);
    await expectSameCheckpoint(loaded, original);
    expect(loaded.metrics!.undefinedAtStart).toBeNaN();
    expect(loaded.schedulerState!.best).toBe(Infinity);
    const generator = new Generator(0).setState(loaded.rngState!);
    expect(generator.getState()).toEqual({ seed: 42, offset: 17 });
    disposeCheckpoint(loaded);
    disposeCheckpoint(original);
  });

  it('puts only the model tensors, by stateDict name, in the weights file; optimizer tensors in their own', async () => {
    const original = sampleCheckpoint();
    const { weights, optimizer, meta } = await serializeCheckpoint(original);
    const model = decodeSafetensors(weights);
    expect(Object.keys(model.tensors).sort()).toEqual(Object.keys(original.modelState).sort());
    expect(model.metadata).toEqual({ format: 'pt' });
    expect(Object.keys(decodeSafetensors(optimizer!).tensors).sort()).toEqual([
      'state.0.exp_avg',
      'state.0.exp_avg_sq',
      'state.1.exp_avg',
      'state.1.exp_avg_sq',
    ]);
    const parsed = JSON.parse(meta);
    expect(parsed.model.tensors.map((e: { name: string }) => e.name)).toEqual(Object.keys(original.modelState));
    expect(parsed.model.tensors[0]).toEqual({ name: '0.weight', dtype: 'float32', shape: [3, 2] });
    expect(parsed.model.file).toEqual({ bytes: weights.length, crc32: expect.stringMatching(/^[0-9a-f]{8}$/) });
    expect(parsed.optimizer.state['0']).toEqual({
      step: 3,
      exp_avg: { tensor: 'state.0.exp_avg' },
      exp_avg_sq: { tensor: 'state.0.exp_avg_sq' },
    });
    expect(parsed.schedulerState.best).toEqual({ $number: 'Infinity' });
    disposeCheckpoint(original);
  });

  it('keeps stateDict order on load, and handles a checkpoint with nothing optional', async () => {
    const w = zeros([2]);
    const minimal: Checkpoint = {
      modelConfig: undefined,
      modelState: { z: w, a: scalar(1), '10': scalar(2) },
      epoch: 0,
    };
    const serialized = await serializeCheckpoint(minimal);
    expect(serialized.optimizer).toBeUndefined();
    const loaded = deserializeCheckpoint(serialized);
    expect(loaded.modelConfig).toBeNull();
    expect(Object.keys(JSON.parse(serialized.meta)).sort()).toEqual([
      'epoch',
      'format',
      'model',
      'modelConfig',
      'version',
    ]);
    expect(loaded.optimizerState).toBeUndefined();
    expect(loaded.rngState).toBeUndefined();
    disposeCheckpoint(loaded);
    disposeCheckpoint(minimal);
  });

  it('writes readable meta: number arrays on one line, strings untouched', async () => {
    const w = zeros([2, 3]);
    const { meta } = await serializeCheckpoint({
      modelConfig: { sizes: [1e-8, -2, 3] },
      modelState: { w },
      epoch: 0,
      extra: { text: '[\n  1,\n  2\n]', list: [1, 2] },
    });
    expect(meta).toContain('"shape": [2, 3]');
    expect(meta).toContain('"sizes": [1e-8, -2, 3]');
    expect(meta).toContain('"list": [1, 2]');
    expect(JSON.parse(meta).extra.text).toBe('[\n  1,\n  2\n]');
    w.dispose();
  });

  it('is deterministic: the same checkpoint gives the same bytes', async () => {
    const a = sampleCheckpoint();
    const [first, second] = [await serializeCheckpoint(a), await serializeCheckpoint(a)];
    expect(first).toEqual(second);
    disposeCheckpoint(a);
  });

  it('refuses values the format cannot carry, naming where they are', async () => {
    const t = zeros([1]);
    const base: Checkpoint = { modelConfig: null, modelState: { w: t }, epoch: 1 };
    await expect(serializeCheckpoint({ ...base, metrics: { confusion: t } })).rejects.toThrow(
      /checkpoint\.metrics\.confusion is a Tensor/,
    );
    await expect(serializeCheckpoint({ ...base, extra: { data: new Float32Array(2) } })).rejects.toThrow(
      /checkpoint\.extra\.data is a Float32Array/,
    );
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    await expect(serializeCheckpoint({ ...base, extra: cycle })).rejects.toThrow(
      /checkpoint\.extra\.self refers back to itself/,
    );
    await expect(serializeCheckpoint({ ...base, epoch: NaN })).rejects.toThrow(/epoch must be a finite number/);
    await expect(serializeCheckpoint({ ...base, modelState: { w: 3 as never } })).rejects.toThrow(
      /modelState\['w'\] is number 3, expected a Tensor/,
    );
    await expect(
      serializeCheckpoint({ ...base, optimizerState: { state: {}, paramGroups: [{ params: [t] as never }] } }),
    ).rejects.toThrow(/paramGroups\[0\]\.params must be parameter indices .* use optimizer\.stateDict\(\)/);
    await expect(
      serializeCheckpoint({ ...base, optimizerState: { state: { 0: { buf: 'x' as never } }, paramGroups: [] } }),
    ).rejects.toThrow(/state\[0\]\.buf is the string "x", expected a Tensor/);
    t.dispose();
    await expect(serializeCheckpoint(base)).rejects.toThrow(/modelState\['w'\] \(shape \[1\]\) was disposed/);
  });
});

describe('deserializeCheckpoint refuses a meta that does not match its files', () => {
  it('a weights file from another save (size or CRC differs from the meta)', async () => {
    const [a, b] = [sampleCheckpoint(1), sampleCheckpoint(2)];
    const [sa, sb] = [await serializeCheckpoint(a), await serializeCheckpoint(b)];
    expectRefused(
      { ...sa, weights: sb.weights },
      /checkpoint weights: CRC-32 is [0-9a-f]{8} but checkpoint meta records [0-9a-f]{8}: the file is corrupt or from another save/,
    );
    expectRefused({ ...sa, optimizer: sb.optimizer! }, /optimizer state: CRC-32/);
    expectRefused(
      { ...sa, weights: sa.weights.subarray(0, 100) },
      /checkpoint weights: is 100 bytes but checkpoint meta records \d+: truncated/,
    );
    const flipped = sa.weights.slice();
    flipped[flipped.length - 1]! ^= 1;
    expectRefused({ ...sa, weights: flipped }, /CRC-32/);
    disposeCheckpoint(a);
    disposeCheckpoint(b);
  });

  it('a key listed in the meta but missing from the weights, an extra key, a different shape', async () => {
    const original = sampleCheckpoint();
    const serialized = editMeta(await serializeCheckpoint(original), (meta) => delete meta.model.file);
    expectRefused(
      editMeta(serialized, (meta) => {
        meta.model.tensors[0].name = '0.weights';
      }),
      /checkpoint meta and checkpoint weights do not match: '0\.weights' is listed in the meta but missing from the weights/,
    );
    expectRefused(
      editMeta(serialized, (meta) => {
        meta.model.tensors.pop();
      }),
      /the weights hold tensors the meta does not list: 'empty'/,
    );
    expectRefused(
      editMeta(serialized, (meta) => {
        meta.model.tensors[0].shape = [2, 3];
      }),
      /'0\.weight' is float32 \[2,3\] in the meta but float32 \[3,2\] in the weights/,
    );
    expectRefused(
      editMeta(serialized, (meta) => {
        meta.model.tensors[0].dtype = 'int32';
      }),
      /is int32 \[3,2\] in the meta but float32/,
    );
    disposeCheckpoint(original);
  });

  it('optimizer state missing, unreferenced or dangling', async () => {
    const original = sampleCheckpoint();
    const serialized = editMeta(await serializeCheckpoint(original), (meta) => delete meta.optimizer.file);
    expectRefused(
      { meta: serialized.meta, weights: serialized.weights },
      /records optimizer state but optimizer state is missing/,
    );
    expectRefused(
      editMeta(serialized, (meta) => {
        meta.optimizer.state['1'].exp_avg = { tensor: 'state.1.momentum' };
      }),
      /'state\.1\.momentum' \(state\[1\]\.exp_avg\) is missing from the optimizer file/,
    );
    expectRefused(
      editMeta(serialized, (meta) => {
        delete meta.optimizer.state['1'];
      }),
      /holds tensors the meta does not reference: state\.1\.exp_avg, state\.1\.exp_avg_sq/,
    );
    disposeCheckpoint(original);
  });

  it('a meta that is not a Myelin checkpoint, is newer, or is malformed', async () => {
    const original = sampleCheckpoint();
    const serialized = await serializeCheckpoint(original);
    expectRefused(
      { ...serialized, meta: serialized.meta.slice(0, 200) },
      /checkpoint meta: not valid JSON .* may be truncated/,
    );
    expectRefused(
      editMeta(serialized, (meta) => {
        meta.format = 'keras';
      }),
      /not a Myelin checkpoint: format is "keras"/,
    );
    expectRefused(
      editMeta(serialized, (meta) => {
        meta.version = 2;
      }),
      /format version 2 was written by a newer Myelin; this one reads version 1/,
    );
    expectRefused(
      editMeta(serialized, (meta) => {
        meta.epoch = '3';
      }),
      /epoch must be a number, got the string "3"/,
    );
    expectRefused(
      editMeta(serialized, (meta) => {
        meta.model.tensors[1].dtype = 'float16';
      }),
      /model\.tensors\[1\] must be \{name, dtype/,
    );
    expectRefused(
      editMeta(serialized, (meta) => {
        meta.model.tensors[1].name = '0.weight';
      }),
      /lists '0\.weight' twice/,
    );
    expectRefused(
      editMeta(serialized, (meta) => {
        meta.model.file.crc32 = 'xyz';
      }),
      /model\.file must be \{bytes, crc32/,
    );
    expectRefused(
      editMeta(serialized, (meta) => {
        meta.optimizer.state['0'].step = 'three';
      }),
      /optimizer\.state\['0'\]\.step must be a number or \{tensor: key\}/,
    );
    expectRefused(
      editMeta(serialized, (meta) => {
        meta.rngState = { seed: 1 };
      }),
      /rngState must be \{seed, offset\}/,
    );
    expectRefused({ ...serialized, meta: '[]' }, /expected a JSON object, got an array/);
    disposeCheckpoint(original);
  });
});
