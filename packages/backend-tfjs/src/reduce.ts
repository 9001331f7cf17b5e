// Reductions and argmax. Each runs inside the caller's tf.tidy.
import { reducedShape, type ReduceOp, isFloat, sizeOf, type DType } from '@myelin/core/backend';
import { filled, maxIdentity, type KernelContext, type Tensor, type TfjsDType } from './context.js';

export function reduce(
  ctx: KernelContext,
  op: ReduceOp,
  x: Tensor,
  axes: readonly number[],
  keepDims: boolean,
): Tensor {
  const { tf } = ctx;
  const dtype = x.dtype as TfjsDType;
  if (axes.length === 0) return tf.clone(x);
  const outShape = reducedShape(x.shape, axes, keepDims);
  // Over an empty set tfjs max gives NaN (0 in int32); the contract wants the identity.
  if (axes.some((a) => x.shape[a] === 0)) {
    return filled(tf, outShape, op === 'sum' ? 0 : maxIdentity(dtype), dtype);
  }
  if (op === 'max') return tf.max(x, [...axes], keepDims);
  const s = tf.sum(x, [...axes], keepDims);
  // tfjs sums bool into int32; keep the input dtype (a bool sum is "any").
  return dtype === 'bool' ? tf.notEqual(s, tf.scalar(0, 'int32')) : s;
}

/**
 * Index of the first maximum along `axis`, NaN counting as the maximum. tf.argMax ignores a
 * NaN that is not first ([1,NaN,3] -> 2) and its tie-breaking is per backend, so build it
 * from exact ops: the smallest index whose value hits the max (or is NaN, if any is).
 */
export function argmax(ctx: KernelContext, x: Tensor, axis: number): Tensor {
  const { tf } = ctx;
  const n = x.shape[axis] ?? 0;
  const outShape = x.shape.filter((_, i) => i !== axis);
  if (n === 0 || sizeOf(outShape) === 0) return filled(tf, outShape, 0, 'int32');
  let hit: Tensor = tf.equal(x, tf.max(x, axis, true));
  if (isFloat(x.dtype as DType)) {
    const nan = tf.isNaN(x);
    hit = tf.where(tf.any(nan, axis, true), nan, hit);
  }
  const iotaShape = x.shape.map((d, i) => (i === axis ? d : 1));
  const iota = tf.reshape(tf.range(0, n, 1, 'int32'), iotaShape);
  return tf.min(tf.where(hit, iota, tf.scalar(n, 'int32')), axis);
}
