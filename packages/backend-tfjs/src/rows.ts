// The contract's kernels over the last axis (softmax and layerNorm, each with its backward) as
// tfjs ops inside the caller's tf.tidy: what core composes from five to a dozen tracked Myelin
// ops each way (attention's scores, a Transformer's LayerNorms), here in one call. tfjs stores
// no float64, so float32 only.
import { ArgumentError, ShapeError, formatShape } from '@myelin/core/backend';
import { requireDType, type KernelContext, type Tensor } from './context.js';

/** rows x n of a tensor whose last axis is the row (n = 0 for a rank-0 one, which is refused). */
function rowsOf(ctx: KernelContext, op: string, what: string, x: Tensor): { rows: number; n: number } {
  requireDType(ctx, op, x, ['float32']);
  if (x.rank < 1) throw new ShapeError(`${op}: ${what} must have at least one axis, got ${formatShape(x.shape)}`);
  const n = x.shape[x.rank - 1]!;
  return { rows: n === 0 ? 0 : x.size / n, n };
}

function requireSame(op: string, what: string, t: Tensor, other: string, x: Tensor): void {
  if (t.rank !== x.rank || t.shape.some((d, i) => d !== x.shape[i]) || t.dtype !== x.dtype) {
    throw new ShapeError(
      `${op}: ${what} ${formatShape(t.shape)} ${t.dtype} differs from ${other} ${formatShape(x.shape)} ${x.dtype}`,
    );
  }
}

/** Checks a per-feature (weight, bias: [n]) or per-row (mean, invStd: [rows]) argument. */
function requireVector(op: string, what: string, t: Tensor | null, length: number, x: Tensor): void {
  if (t === null) return;
  if (t.rank !== 1 || t.shape[0] !== length || t.dtype !== x.dtype) {
    throw new ShapeError(`${op}: ${what} must be [${length}] ${x.dtype}, got ${formatShape(t.shape)} ${t.dtype}`);
  }
}

/** Softmax over the last axis; a row holding NaN or whose max is not finite gives NaN, as composed. */
export function softmaxRows(ctx: KernelContext, x: Tensor): Tensor {
  const { tf } = ctx;
  const { rows, n } = rowsOf(ctx, 'softmax', 'x', x);
  // No element (tfjs-backend-webgpu's ops fail on empty inputs).
  if (rows * n === 0) return tf.zeros(x.shape);
  // tfjs's Softmax kernel (one program on WebGPU and wasm) subtracts the row's max first.
  return tf.softmax(x, -1);
}

/** dx = y * (grad - sum(grad * y)) per row of the last axis. */
export function softmaxBackwardRows(ctx: KernelContext, grad: Tensor, y: Tensor): Tensor {
  const { tf } = ctx;
  const { rows, n } = rowsOf(ctx, 'softmaxBackward', 'y', y);
  requireSame('softmaxBackward', 'grad', grad, 'y', y);
  if (rows * n === 0) return tf.zeros(y.shape);
  const gy = tf.mul(grad, y);
  return tf.sub(gy, tf.mul(y, tf.sum(gy, -1, true)));
}

/** Layer normalisation over the last axis: y, and the [rows] mean and invStd it used. */
export function layerNormRows(
  ctx: KernelContext,
  x: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
): { output: Tensor; mean: Tensor; invStd: Tensor } {
  const { tf } = ctx;
  const { rows, n } = rowsOf(ctx, 'layerNorm', 'x', x);
  requireVector('layerNorm', 'weight', weight, n, x);
  requireVector('layerNorm', 'bias', bias, n, x);
  if (!(eps >= 0) || eps === Infinity) throw new ArgumentError(`layerNorm: eps must be finite and >= 0, got ${eps}`);
  if (rows * n === 0) {
    // A mean of no values is NaN, as composed; no rows give empty statistics.
    return { output: tf.zeros(x.shape), mean: tf.fill([rows], NaN), invStd: tf.fill([rows], NaN) };
  }
  const x2 = tf.reshape(x, [rows, n]);
  const mean = tf.mean(x2, 1, true);
  const centered = tf.sub(x2, mean);
  const invStd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), 1, true), eps));
  let y = tf.mul(centered, invStd);
  if (weight !== null) y = tf.mul(y, weight);
  if (bias !== null) y = tf.add(y, bias);
  return { output: tf.reshape(y, x.shape), mean: tf.reshape(mean, [rows]), invStd: tf.reshape(invStd, [rows]) };
}

/** layerNorm's gradients (see the contract's layerNormBackward); null where not asked for. */
export function layerNormBackwardRows(
  ctx: KernelContext,
  grad: Tensor,
  x: Tensor,
  weight: Tensor | null,
  mean: Tensor,
  invStd: Tensor,
  needs: { input: boolean; weight: boolean; bias: boolean },
): { input: Tensor | null; weight: Tensor | null; bias: Tensor | null } {
  const { tf } = ctx;
  const { rows, n } = rowsOf(ctx, 'layerNormBackward', 'x', x);
  requireSame('layerNormBackward', 'grad', grad, 'x', x);
  requireVector('layerNormBackward', 'weight', weight, n, x);
  requireVector('layerNormBackward', 'mean', mean, rows, x);
  requireVector('layerNormBackward', 'invStd', invStd, rows, x);
  if (rows * n === 0) {
    return {
      input: needs.input ? tf.zeros(x.shape) : null,
      weight: needs.weight ? tf.zeros([n]) : null,
      bias: needs.bias ? tf.zeros([n]) : null,
    };
  }
  const g = tf.reshape(grad, [rows, n]);
  const rstd = tf.reshape(invStd, [rows, 1]);
  const xhat = tf.mul(tf.sub(tf.reshape(x, [rows, n]), tf.reshape(mean, [rows, 1])), rstd);
  let input: Tensor | null = null;
  if (needs.input) {
    const dxhat = weight === null ? g : tf.mul(g, weight);
    const inner = tf.sub(tf.sub(dxhat, tf.mean(dxhat, 1, true)), tf.mul(xhat, tf.mean(tf.mul(dxhat, xhat), 1, true)));
    input = tf.reshape(tf.mul(inner, rstd), x.shape);
  }
  return {
    input,
    weight: needs.weight ? tf.sum(tf.mul(g, xhat), 0) : null,
    bias: needs.bias ? tf.sum(g, 0) : null,
  };
}
