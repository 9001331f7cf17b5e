import type * as tfjs from '@tensorflow/tfjs-core';
import { UnsupportedOpError, type DType, type Shape } from '@myelin/core/backend';

/** The tfjs-core module instance the caller set up (we never import tfjs-core at runtime). */
export type Tf = typeof tfjs;
export type Tensor = tfjs.Tensor;

/** What every kernel needs: the tfjs instance and the Myelin backend name (for errors). */
export interface KernelContext {
  readonly tf: Tf;
  readonly name: string;
  /**
   * Whether the tfjs backend keeps tensors in host memory (cpu, wasm), so that reading one
   * element with dataSync is cheap and never stalls a device pipeline.
   */
  readonly hostMemory?: boolean;
}

/** tfjs backends whose tensors live in host memory. */
export const HOST_MEMORY_TFJS_BACKENDS: ReadonlySet<string> = new Set(['cpu', 'wasm']);

/** The dtypes tfjs stores; tfjs has no float64. */
export const TFJS_DTYPES = ['float32', 'int32', 'bool'] as const satisfies readonly DType[];
export type TfjsDType = (typeof TFJS_DTYPES)[number];

/** Narrows a Myelin dtype to one tfjs stores, or throws UnsupportedOpError naming op and backend. */
export function tfjsDType(ctx: KernelContext, op: string, dtype: DType): TfjsDType {
  if (dtype === 'float32' || dtype === 'int32' || dtype === 'bool') return dtype;
  throw new UnsupportedOpError(op, dtype, ctx.name, 'TensorFlow.js has no float64');
}

/** Rejects a tensor dtype a kernel does not run on. */
export function requireDType(ctx: KernelContext, op: string, t: Tensor, allowed: readonly TfjsDType[]): void {
  const dtype = t.dtype as TfjsDType;
  if (!allowed.includes(dtype)) throw new UnsupportedOpError(op, dtype, ctx.name);
}

/**
 * A scalar value as the dtype stores it: int32 wraps like Int32Array (truncating), bool is
 * 0/1 (tfjs would otherwise keep e.g. a fill value of 3 in a bool tensor).
 */
export function normaliseValue(value: number, dtype: TfjsDType): number {
  if (dtype === 'int32') return value | 0;
  if (dtype === 'bool') return value !== 0 ? 1 : 0;
  return value;
}

/** The identity of `max` for a dtype: -Infinity, the most negative int32, or false. */
export function maxIdentity(dtype: TfjsDType): number {
  if (dtype === 'float32') return -Infinity;
  return dtype === 'int32' ? -2147483648 : 0;
}

/** A fresh tensor of `shape` filled with `value`; tfjs ops mis-shape some size-0 results. */
export function filled(tf: Tf, shape: Shape, value: number, dtype: TfjsDType): Tensor {
  return tf.fill([...shape], normaliseValue(value, dtype), dtype);
}
