import type { BackendHandle, DType } from '@myelin/core';
import { createCpuReferenceBackend } from './backend.js';

/** One backend per test file (vitest isolates files), so live-handle counts are local. */
export const backend = createCpuReferenceBackend();

const inputs: BackendHandle[] = [];

/** An input handle; `releaseInputs` (run after each test) disposes it. */
export function tensor(values: readonly number[], shape: readonly number[], dtype: DType = 'float32'): BackendHandle {
  const handle = backend.fromData(Float64Array.from(values), shape, dtype);
  inputs.push(handle);
  return handle;
}

export function releaseInputs(): void {
  for (const handle of inputs.splice(0)) backend.dispose(handle);
}

/** A handle's values as a plain array; disposes the handle so tests do not leak. */
export function take(handle: BackendHandle): number[] {
  const values = Array.from(backend.readSync!(handle));
  backend.dispose(handle);
  return values;
}

/** The stored array type of a handle's data (checks the dtype a kernel produced). */
export function arrayType(handle: BackendHandle): string {
  return backend.readSync!(handle).constructor.name;
}

/** Deterministic pseudo-random values in [-1, 1) (a small LCG; tests need no quality). */
export function seeded(count: number, seed = 1): number[] {
  let state = seed >>> 0;
  const values = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = state / 2 ** 31 - 1;
  }
  return values;
}

/** Row-major strides, for naive index arithmetic in tests. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = shape.map(() => 1);
  for (let axis = shape.length - 2; axis >= 0; axis--) strides[axis] = strides[axis + 1]! * shape[axis + 1]!;
  return strides;
}
