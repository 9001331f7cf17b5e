// Sort along the last axis. Runs inside the caller's tf.tidy.
import { sizeOf } from '@myelin/core/backend';
import { filled, type KernelContext, type Tensor } from './context.js';

/**
 * [values, int32 indices] of x sorted along its last axis in the contract's order: NaN above
 * +Infinity, -0 equal to +0, equal keys in ascending index order in both directions.
 *
 * tf.topk with k = n sorts descending and puts equal values in ascending index order on every
 * tfjs backend (cpu and wasm sort stably, webgpu's bitonic network compares indices on ties),
 * but it compares NaN as nothing and negating an int32 can overflow. So: pass 1 topk's a key
 * that orders the numbers (x descending, -x ascending, for int32 -1 - x, which never overflows)
 * with every NaN as 0; pass 2 topk's the NaN flags of that order (1 sorts first: NaN descending,
 * numbers ascending), which moves the NaNs to their end and, ties broken by position, keeps the
 * order of pass 1 within each class. The values are gathered from x, so -0 and NaN survive.
 */
export function sort(ctx: KernelContext, x: Tensor, descending: boolean): [Tensor, Tensor] {
  const { tf } = ctx;
  const shape = x.shape;
  const n = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  const size = sizeOf(shape);
  if (size === 0 || n === 1) return [tf.clone(x), filled(tf, shape, 0, 'int32')];
  const rows = size / n;
  const flat = tf.reshape(x, [rows, n]);
  // Flat element index of each row's start, to gather along rows with a plain 1-D gather.
  const starts = tf.reshape(tf.range(0, size, n, 'int32'), [rows, 1]);
  const alongRows = (t: Tensor, index: Tensor): Tensor =>
    tf.reshape(tf.gather(tf.reshape(t, [size]), tf.reshape(tf.add(index, starts), [size])), [rows, n]);

  let order: Tensor;
  if (x.dtype === 'int32') {
    order = tf.topk(descending ? flat : tf.sub(tf.scalar(-1, 'int32'), flat), n).indices;
  } else {
    const nan = tf.isNaN(flat);
    const numbers = tf.where(nan, tf.zerosLike(flat), flat);
    order = tf.topk(descending ? numbers : tf.neg(numbers), n).indices;
    const firstClass = tf.cast(descending ? nan : tf.logicalNot(nan), 'int32');
    order = alongRows(order, tf.topk(alongRows(firstClass, order), n).indices);
  }
  return [tf.reshape(alongRows(flat, order), shape), tf.reshape(order, shape)];
}
