// The checks backend-cpu's addon takes from the N-API glue it shares with backend-cuda
// (tooling/native-build), where they are stricter than backend-cpu's own were.
import { ArgumentError, DisposedTensorError, NATIVE_CODES, ShapeError } from '@myelin/core/backend';
import { describe, expect, it } from 'vitest';
import { loadAddon } from './native.js';

const addon = loadAddon().addon;
const F32 = NATIVE_CODES.dtype.float32;
const I32 = NATIVE_CODES.dtype.int32;

describe.skipIf(addon === undefined)('shared glue', () => {
  const native = addon!;

  it('releases the tensors an entry point made before it failed', () => {
    const logits = native.fromData(new Float32Array([1, 2, 3, 4]), [2, 2], F32);
    const labels = native.fromData(new Int32Array([0, 1]), [2], I32);
    const live = native.stats().liveTensors;
    // The reduction code is read after the losses are made: the failing call must not keep them.
    expect(() => native.softmaxCrossEntropy(logits, labels, true, 1, 7)).toThrow(ArgumentError);
    expect(() => native.softmaxCrossEntropy(logits, labels, true, 1, 7)).toThrow(
      'softmaxCrossEntropy: unknown reduction code 7',
    );
    expect(native.stats().liveTensors).toBe(live);
    native.release(logits);
    native.release(labels);
  });

  it('checks a matmulBiasActivation bias before making the product', () => {
    const x = native.fromData(new Float32Array(6), [1, 2, 3], F32);
    const y = native.fromData(new Float32Array(12), [1, 3, 4], F32);
    const bias = native.fromData(new Float32Array(3), [3], F32);
    const live = native.stats().liveTensors;
    expect(() => native.matmulBiasActivation(x, y, bias, 0, false, false)).toThrow(ShapeError);
    expect(() => native.matmulBiasActivation(x, y, bias, 0, false, false)).toThrow(
      'matmulBiasActivation: bias [3] does not broadcast to [1,2,4]',
    );
    expect(native.stats().liveTensors).toBe(live);
    for (const id of [x, y, bias]) native.release(id);
  });

  it('names the handle of a concat input that is not live', () => {
    const x = native.fromData(new Float32Array(2), [2], F32);
    expect(() => native.concat([x, 9999], 0)).toThrow(DisposedTensorError);
    expect(() => native.concat([x, 9999], 0)).toThrow("backend 'cpu': handle 9999 is not live");
    native.release(x);
  });
});
