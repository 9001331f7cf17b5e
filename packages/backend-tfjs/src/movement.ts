// Movement kernels: reshape, transpose, broadcastTo, slice, pad, concat, gather, scatterAdd.
// Each runs inside the caller's tf.tidy. Size-0 results are built with fill: several tfjs
// ops throw or return a wrong shape on them (see the notes at each kernel).
import { type Shape, sizeOf } from '@myelin/core/backend';
import { filled, normaliseValue, type KernelContext, type Tensor, type TfjsDType } from './context.js';

const dtypeOf = (t: Tensor): TfjsDType => t.dtype as TfjsDType;

export function reshape(ctx: KernelContext, x: Tensor, shape: Shape): Tensor {
  return ctx.tf.reshape(x, [...shape]);
}

export function transpose(ctx: KernelContext, x: Tensor, perm: readonly number[]): Tensor {
  return ctx.tf.transpose(x, [...perm]);
}

export function broadcastTo(ctx: KernelContext, x: Tensor, shape: Shape): Tensor {
  // tf.broadcastTo([1,2] -> [0,2]) returns shape [1,2].
  const size = sizeOf(shape);
  if (size === 0) return filled(ctx.tf, shape, 0, dtypeOf(x));
  // A size-1 input (the gradient of a sum or mean) is filled, not tiled: tfjs's Tile computes
  // an index per element. Only where reading one element is cheap (host memory, see where).
  if (ctx.hostMemory && x.size === 1 && size > 1) return filled(ctx.tf, shape, x.dataSync()[0]!, dtypeOf(x));
  return ctx.tf.broadcastTo(x, [...shape]);
}

export function slice(ctx: KernelContext, x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  const { tf } = ctx;
  if (x.rank === 0) return tf.clone(x); // tf.slice throws "Slicing scalar is not possible".
  if (sizeOf(size) === 0) return filled(tf, size, 0, dtypeOf(x));
  return tf.slice(x, [...begin], [...size]);
}

export function pad(
  ctx: KernelContext,
  x: Tensor,
  paddings: readonly (readonly [number, number])[],
  value: number,
): Tensor {
  const { tf } = ctx;
  const dtype = dtypeOf(x);
  if (x.rank === 0) return tf.clone(x); // tf.pad throws "pad(scalar) is not defined".
  const outShape = x.shape.map((d, i) => d + (paddings[i]?.[0] ?? 0) + (paddings[i]?.[1] ?? 0));
  const v = normaliseValue(value, dtype);
  if (sizeOf(outShape) === 0) return filled(tf, outShape, 0, dtype);
  if (x.size === 0) return filled(tf, outShape, v, dtype);
  return tf.pad(
    x,
    paddings.map(([a, b]) => [a, b] as [number, number]),
    v,
  );
}

export function concat(ctx: KernelContext, xs: readonly Tensor[], axis: number): Tensor {
  const { tf } = ctx;
  const first = xs[0];
  if (first === undefined) throw new Error('concat of no tensors');
  const outShape = [...first.shape];
  outShape[axis] = xs.reduce((n, t) => n + (t.shape[axis] ?? 0), 0);
  // Drop empty pieces; an all-empty tf.concat yields a plain Array as its data.
  const pieces = xs.filter((t) => t.size > 0);
  if (sizeOf(outShape) === 0 || pieces.length === 0) return filled(tf, outShape, 0, dtypeOf(first));
  if (pieces.length === 1) return tf.clone(pieces[0] as Tensor);
  return tf.concat([...pieces], axis);
}

export function gather(ctx: KernelContext, x: Tensor, indices: Tensor, axis: number): Tensor {
  const { tf } = ctx;
  const outShape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  if (sizeOf(outShape) === 0) return filled(tf, outShape, 0, dtypeOf(x));
  return tf.gather(x, indices, axis);
}

/**
 * The adjoint of gather, with tf.scatterND (which sums repeated indices in order, keeping
 * the dtype). The indexed axes are moved to the front and flattened into N rows:
 * updates [pre, idx, post] -> [N, pre, post], scattered into [dimSize, pre, post], then
 * the new axis is moved back. Not tf.unsortedSegmentSum: in tfjs-cpu it is O(segments x N),
 * returns float32 for int32 input, and multiplies by a 0/1 mask, so an Inf update turns
 * every other segment into NaN.
 */
export function scatterAdd(
  ctx: KernelContext,
  updates: Tensor,
  indices: Tensor,
  axis: number,
  dimSize: number,
): Tensor {
  const { tf } = ctx;
  const dtype = dtypeOf(updates);
  const r = indices.rank;
  const pre = updates.shape.slice(0, axis);
  const post = updates.shape.slice(axis + r);
  const outShape = [...pre, dimSize, ...post];
  const n = indices.size;
  if (n === 0 || sizeOf(outShape) === 0) return filled(tf, outShape, 0, dtype);
  const rank = updates.rank;
  const idxAxes = Array.from({ length: r }, (_, i) => axis + i);
  const restAxes = Array.from({ length: rank }, (_, i) => i).filter((i) => i < axis || i >= axis + r);
  let u = tf.transpose(updates, [...idxAxes, ...restAxes]);
  u = tf.reshape(u, [n, ...pre, ...post]);
  // scatterND adds bools into 2s; sum as int32 and map nonzero back to true.
  if (dtype === 'bool') u = tf.cast(u, 'int32');
  let out = tf.scatterND(tf.reshape(indices, [n, 1]), u, [dimSize, ...pre, ...post]);
  if (dtype === 'bool') out = tf.notEqual(out, tf.scalar(0, 'int32'));
  const back = Array.from({ length: rank - r + 1 }, (_, i) => (i < axis ? i + 1 : i === axis ? 0 : i));
  return tf.transpose(out, back);
}
