import { BACKEND_CONTRACT_VERSION, BackendMismatchError, DisposedTensorError, ShapeError } from '@myelin/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createCpuReferenceBackend } from './backend.js';
import { arrayType, backend, releaseInputs, take, tensor } from './test-utils.js';

afterEach(releaseInputs);

describe('cpu-reference storage', () => {
  it('states its name, contract version and dtypes', () => {
    expect(backend.name).toBe('cpu-reference');
    expect(backend.contractVersion).toBe(BACKEND_CONTRACT_VERSION);
    expect(backend.dtypes).toEqual(['float32', 'float64', 'int32', 'bool']);
  });

  it('fromData copies its input', () => {
    const source = new Float32Array([1, 2, 3]);
    const handle = backend.fromData(source, [3], 'float32');
    source[0] = 99;
    expect(take(handle)).toEqual([1, 2, 3]);
  });

  it('fromData converts to the storage of the dtype', () => {
    const ints = backend.fromData(new Float64Array([1.7, -1.7]), [2], 'int32');
    expect(arrayType(ints)).toBe('Int32Array');
    expect(take(ints)).toEqual([1, -1]);
    const bools = backend.fromData(new Float32Array([0, 2, -0.5, NaN]), [2, 2], 'bool');
    expect(arrayType(bools)).toBe('Uint8Array');
    expect(take(bools)).toEqual([0, 1, 1, 1]);
    const doubles = backend.fromData(new Float64Array([0.1]), [], 'float64');
    expect(take(doubles)).toEqual([0.1]);
  });

  it('fromData refuses a value count that does not match the shape', () => {
    expect(() => backend.fromData(new Float32Array(5), [2, 3], 'float32')).toThrow(ShapeError);
  });

  it('fill covers scalars, empty shapes and every dtype', () => {
    expect(take(backend.fill([], 7, 'float32'))).toEqual([7]);
    expect(take(backend.fill([2, 0], 7, 'float32'))).toEqual([]);
    expect(take(backend.fill([2], 2.9, 'int32'))).toEqual([2, 2]);
    expect(take(backend.fill([2], 5, 'bool'))).toEqual([1, 1]);
    expect(take(backend.fill([1], 1 / 3, 'float64'))).toEqual([1 / 3]);
  });

  it('read and readSync return copies the caller may change', async () => {
    const handle = tensor([1, 2], [2]);
    const first = await backend.read(handle);
    first[0] = 50;
    const second = backend.readSync!(handle);
    second[1] = 60;
    expect(Array.from(await backend.read(handle))).toEqual([1, 2]);
    backend.dispose(handle);
  });

  it('counts live handles; dispose is idempotent', () => {
    const fresh = createCpuReferenceBackend();
    const a = fresh.fill([2], 1, 'float32');
    const b = fresh.unary('neg', a);
    const c = fresh.reshape(b, [1, 2]);
    expect(fresh.liveHandles()).toBe(3);
    fresh.dispose(b);
    fresh.dispose(b);
    expect(fresh.liveHandles()).toBe(2);
    // The reshape shares b's array but stays readable after b is disposed.
    expect(Array.from(fresh.readSync!(c))).toEqual([-1, -1]);
    fresh.dispose(a);
    fresh.dispose(c);
    expect(fresh.liveHandles()).toBe(0);
  });

  it('every kernel returns a new handle, even when the result equals its input', () => {
    const fresh = createCpuReferenceBackend();
    const x = fresh.fill([2, 2], 1, 'float32');
    const results = [
      fresh.reshape(x, [2, 2]),
      fresh.transpose(x, [0, 1]),
      fresh.broadcastTo(x, [2, 2]),
      fresh.reduce('sum', x, [], false),
      fresh.cast(x, 'float32'),
    ];
    expect(new Set([x, ...results]).size).toBe(6);
    expect(fresh.liveHandles()).toBe(6);
    for (const handle of [x, ...results]) fresh.dispose(handle);
    expect(fresh.liveHandles()).toBe(0);
  });

  it('rejects disposed handles and handles of another instance', () => {
    const handle = tensor([1], [1]);
    backend.dispose(handle);
    expect(() => backend.unary('neg', handle)).toThrow(DisposedTensorError);
    const other = createCpuReferenceBackend();
    const foreign = other.fill([1], 1, 'float32');
    expect(() => backend.unary('neg', foreign)).toThrow(BackendMismatchError);
    backend.dispose(foreign);
    expect(other.liveHandles()).toBe(1);
  });

  it('leaves no handle behind in these tests', () => {
    expect(backend.liveHandles()).toBe(0);
  });
});
