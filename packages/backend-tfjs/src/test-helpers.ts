// Shared set-up for the tests: tfjs-core on tfjs-backend-cpu, and small host helpers.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { Backend, BackendHandle, DType, Shape } from '@myelin/core';
import { expect } from 'vitest';
import { createTfjsBackend } from './index.js';

export { tf };

export async function cpuBackend(): Promise<Backend> {
  tf.env().set('IS_TEST', true); // silences tfjs-cpu's "install tfjs-node" banner
  await tf.setBackend('cpu');
  return createTfjsBackend(tf);
}

const ARRAYS = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array } as const;

/** A handle from plain numbers. */
export function make(b: Backend, values: readonly number[], shape: Shape, dtype: DType = 'float32'): BackendHandle {
  return b.fromData(ARRAYS[dtype].from(values), shape, dtype);
}

/** Reads a handle as plain numbers and disposes it. */
export async function take(b: Backend, h: BackendHandle): Promise<number[]> {
  const values = Array.from(await b.read(h));
  b.dispose(h);
  return values;
}

/** The tfjs shape and dtype of a handle (tests only: core never asks). */
export function meta(h: BackendHandle): { shape: number[]; dtype: string } {
  const t = h as unknown as tf.Tensor;
  return { shape: t.shape, dtype: t.dtype };
}

/** Checks the handle's shape and dtype, then its values (exactly, or to float32 rounding). */
export async function expectHandle(
  b: Backend,
  h: BackendHandle,
  shape: Shape,
  values: readonly number[],
  dtype: DType = 'float32',
): Promise<void> {
  expect(meta(h)).toEqual({ shape: [...shape], dtype });
  const got = await take(b, h);
  expect(got.length).toBe(values.length);
  got.forEach((v, i) => {
    const want = values[i]!;
    if (dtype === 'float32' && Number.isFinite(want)) expect(v).toBeCloseTo(Math.fround(want), 6);
    else expect(v).toBe(want);
  });
}

/**
 * Runs `body`, which creates `expected` new handles (those it does not dispose), and checks
 * that tfjs holds exactly that many more tensors afterwards: no leaked intermediates.
 */
export function expectNoLeak(expected: number, body: () => void): void {
  const before = tf.memory().numTensors;
  body();
  expect(tf.memory().numTensors - before).toBe(expected);
}
