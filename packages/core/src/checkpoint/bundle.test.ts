import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  CheckpointError,
  decodeSafetensors,
  disposeCheckpoint,
  encodeSafetensors,
  getBackend,
  packCheckpoint,
  unpackCheckpoint,
  zeros,
} from '@myelin/core';
import { expectSameCheckpoint, sampleCheckpoint } from './test-fixtures.js';

describe('packCheckpoint / unpackCheckpoint', () => {
  it('round-trips a whole checkpoint through one safetensors file', async () => {
    const original = sampleCheckpoint();
    const loaded = unpackCheckpoint(await packCheckpoint(original));
    await expectSameCheckpoint(loaded, original);
    disposeCheckpoint(loaded);
    disposeCheckpoint(original);
  });

  it('is a valid safetensors file: model keys as in stateDict, optimizer keys under optimizer/, meta in metadata', async () => {
    const original = sampleCheckpoint();
    const decoded = decodeSafetensors(await packCheckpoint(original));
    const modelKeys = Object.keys(decoded.tensors).filter((key) => !key.startsWith('optimizer/'));
    expect(modelKeys.sort()).toEqual(Object.keys(original.modelState).sort());
    expect(
      Object.keys(decoded.tensors)
        .filter((key) => key.startsWith('optimizer/'))
        .sort(),
    ).toEqual([
      'optimizer/state.0.exp_avg',
      'optimizer/state.0.exp_avg_sq',
      'optimizer/state.1.exp_avg',
      'optimizer/state.1.exp_avg_sq',
    ]);
    expect(decoded.metadata.format).toBe('pt');
    expect(JSON.parse(decoded.metadata['myelin.checkpoint']!)).toMatchObject({
      format: 'myelin-checkpoint',
      version: 1,
      epoch: 4,
    });
    disposeCheckpoint(original);
  });

  it('refuses a plain safetensors file, and a model key that collides with the optimizer prefix', async () => {
    const w = zeros([2]);
    const plain = await encodeSafetensors({ w }, { format: 'pt' });
    expect(() => unpackCheckpoint(plain, { source: 'upload.safetensors' })).toThrow(
      /upload\.safetensors: a safetensors file but not a Myelin checkpoint bundle: its metadata has no 'myelin\.checkpoint' entry \(keys: format\)/,
    );
    await expect(packCheckpoint({ modelConfig: null, modelState: { 'optimizer/x': w }, epoch: 0 })).rejects.toThrow(
      /reserves for optimizer state/,
    );
    w.dispose();
  });

  it('refuses every truncation with a CheckpointError and leaks nothing', async () => {
    const original = sampleCheckpoint();
    const bytes = await packCheckpoint(original);
    const backend = getBackend();
    const before = backend.liveHandles();
    for (let length = 0; length < bytes.length; length += 7) {
      expect(() => unpackCheckpoint(bytes.subarray(0, length))).toThrow(CheckpointError);
    }
    expect(backend.liveHandles()).toBe(before);
    disposeCheckpoint(original);
  });
});
