import type { AdamUpdateOptions } from '../backend/contract.js';
import type { Tensor } from '../tensor/tensor.js';
import { updateAverage, withWeightDecay } from './update-terms.js';

/**
 * One Adam/AdamW step from core ops, for backends without `fused.adamUpdate`. Same formula and
 * operation order as the fused kernel's contract (PyTorch's single-tensor Adam):
 *   g = grad + weightDecay * param | param = param * (1 - lr * weightDecay)   (Adam | AdamW)
 *   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g
 *   param = param - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * Updates param, m and v in place; call it under noGrad inside tidy.
 */
export function composedAdamUpdate(
  param: Tensor,
  grad: Tensor,
  m: Tensor,
  v: Tensor,
  options: AdamUpdateOptions,
): void {
  const { lr, beta1, beta2, eps, weightDecay } = options;
  const decoupled = options.decoupledWeightDecay;
  if (decoupled && weightDecay !== 0) param.assign(param.mul(1 - lr * weightDecay));
  const g = decoupled ? grad : withWeightDecay(grad, param, weightDecay);
  updateAverage(m, g, beta1);
  // v's product order is the fused kernels' contract (g * g first), unlike updateSquareAverage's torch order.
  v.assign(v.mul(beta2).add(g.mul(g).mul(1 - beta2)));
  const { stepSize, biasCorrection2Sqrt } = adamScalars(options);
  const denominator = v.sqrt().div(biasCorrection2Sqrt).add(eps);
  param.assign(param.sub(m.div(denominator).mul(stepSize)));
}

/** The host-side scalars of one step: lr / (1 - beta1^t) and sqrt(1 - beta2^t). */
export function adamScalars(options: AdamUpdateOptions): { stepSize: number; biasCorrection2Sqrt: number } {
  return {
    stepSize: options.lr / (1 - options.beta1 ** options.step),
    biasCorrection2Sqrt: Math.sqrt(1 - options.beta2 ** options.step),
  };
}
