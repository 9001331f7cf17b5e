// Batched matmul and the fused matmul + bias + activation kernel, inside the caller's tf.tidy.
import { filled, type KernelContext, type Tensor, type TfjsDType } from './context.js';
import { sizeOf } from '@myelin/core/backend';

export type FusedActivation = 'linear' | 'relu' | 'sigmoid' | 'tanh';

function outShape(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): number[] {
  const [batch = 0, a1 = 0, a2 = 0] = a.shape;
  const [, b1 = 0, b2 = 0] = b.shape;
  return [batch, transposeA ? a2 : a1, transposeB ? b1 : b2];
}

export function matmul(ctx: KernelContext, a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): Tensor {
  const shape = outShape(a, b, transposeA, transposeB);
  // An empty inner dimension sums nothing: zeros. wasm's XNNPACK refuses K = 0 (status 2) and
  // tfjs then returns whatever its output buffer held.
  const inner = a.shape[transposeA ? 1 : 2];
  if (sizeOf(shape) === 0 || inner === 0) return filled(ctx.tf, shape, 0, a.dtype as TfjsDType);
  return ctx.tf.matMul(a, b, transposeA, transposeB);
}

/**
 * `activation(a @ b + bias)` with tf.fused.matMul. tfjs-core 4.22's fused activations are
 * linear, relu, prelu, elu, relu6, leakyrelu and sigmoid: there is no tanh (tfjs-cpu throws
 * "Activation tanh has not been implemented"), so tanh runs as a separate op after.
 */
export function matmulBiasActivation(
  ctx: KernelContext,
  a: Tensor,
  b: Tensor,
  bias: Tensor | null,
  activation: FusedActivation,
  transposeA: boolean,
  transposeB: boolean,
): Tensor {
  const { tf } = ctx;
  const shape = outShape(a, b, transposeA, transposeB);
  if (sizeOf(shape) === 0) return filled(tf, shape, 0, a.dtype as TfjsDType);
  const fused = tf.fused.matMul({
    a,
    b,
    transposeA,
    transposeB,
    ...(bias === null ? {} : { bias }),
    activation: activation === 'tanh' ? 'linear' : activation,
  });
  return activation === 'tanh' ? tf.tanh(fused) : fused;
}
