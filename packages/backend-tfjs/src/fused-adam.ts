// The fused Adam/AdamW step: param, m and v computed in one tf.tidy, in the same operation
// order as core's composed path, so both paths give the same float32 numbers.
import type { AdamUpdateOptions } from '@myelin/core/backend';
import { requireDType, type KernelContext, type Tensor } from './context.js';

export interface AdamUpdateResult {
  param: Tensor;
  m: Tensor;
  v: Tensor;
}

/**
 * One Adam step (see FusedKernels.adamUpdate in core's contract). The inputs are left as they
 * are; the three results are new tensors that survive the tidy (the caller keeps and tracks them).
 */
export function adamUpdate(
  ctx: KernelContext,
  param: Tensor,
  grad: Tensor,
  m: Tensor,
  v: Tensor,
  options: AdamUpdateOptions,
): AdamUpdateResult {
  for (const t of [param, grad, m, v]) requireDType(ctx, 'adamUpdate', t, ['float32']);
  const { tf } = ctx;
  const { lr, beta1, beta2, eps, weightDecay, step } = options;
  return tf.tidy(() => {
    const scalar = (value: number) => tf.scalar(value, 'float32');
    let p = param;
    let g = grad;
    if (weightDecay !== 0) {
      if (options.decoupledWeightDecay) p = tf.mul(param, scalar(1 - lr * weightDecay));
      else g = tf.add(grad, tf.mul(param, scalar(weightDecay)));
    }
    const nextM = tf.add(tf.mul(m, scalar(beta1)), tf.mul(g, scalar(1 - beta1)));
    const nextV = tf.add(tf.mul(v, scalar(beta2)), tf.mul(tf.mul(g, g), scalar(1 - beta2)));
    // Host scalars as in core: lr / (1 - beta1^t) and sqrt(1 - beta2^t).
    const stepSize = lr / (1 - beta1 ** step);
    const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** step);
    const denominator = tf.add(tf.div(tf.sqrt(nextV), scalar(biasCorrection2Sqrt)), scalar(eps));
    const nextParam = tf.sub(p, tf.mul(tf.div(nextM, denominator), scalar(stepSize)));
    return { param: nextParam, m: nextM, v: nextV };
  });
}
