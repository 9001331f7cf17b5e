import { ArgumentError } from '../errors.js';
import { noGrad } from '../autograd/grad-mode.js';
import { div } from '../ops/elementwise.js';
import { scalar } from '../tensor/creation.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

/** PyTorch's epsilon in clip_coef = maxNorm / (totalNorm + 1e-6). */
const CLIP_EPSILON = 1e-6;

function gradients(params: Tensor | readonly Tensor[]): Tensor[] {
  const list = Array.isArray(params) ? params : [params as Tensor];
  return list.map((p) => p.grad).filter((g): g is Tensor => g !== null);
}

/**
 * Scales all gradients together so that their global `normType`-norm is at most `maxNorm`
 * (torch.nn.utils.clip_grad_norm_): every gradient is multiplied by
 * min(maxNorm / (totalNorm + 1e-6), 1), computed as a tensor, so nothing is read to the host.
 * Returns the total norm before clipping, a scalar tensor the caller owns.
 */
export function clipGradNorm_(params: Tensor | readonly Tensor[], maxNorm: number, normType = 2): Tensor {
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0))
    throw new ArgumentError(`clipGradNorm_: maxNorm must be a number >= 0, got ${maxNorm}`);
  if (typeof normType !== 'number' || !(normType > 0))
    throw new ArgumentError(`clipGradNorm_: normType must be a number > 0 or Infinity, got ${normType}`);
  const grads = gradients(params);
  const first = Array.isArray(params) ? (params as readonly Tensor[])[0] : (params as Tensor);
  if (grads.length === 0) return scalar(0, first === undefined ? {} : { backend: first.backend, dtype: first.dtype });
  return tidy(() =>
    noGrad(() => {
      const total = globalNorm(grads, normType);
      const coefficient = div(maxNorm, total.add(CLIP_EPSILON)).minimum(1);
      for (const grad of grads) grad.assign(grad.mul(coefficient));
      return total;
    }),
  );
}

/** (sum over every element of every gradient of |g|^p)^(1/p); the largest |g| for Infinity. */
function globalNorm(grads: readonly Tensor[], normType: number): Tensor {
  if (normType === Infinity) {
    const maxima = grads.filter((g) => g.size > 0).map((g) => g.abs().max());
    if (maxima.length === 0) return scalar(0, { backend: grads[0]!.backend, dtype: grads[0]!.dtype });
    return maxima.reduce((a, b) => a.maximum(b));
  }
  const powered = (g: Tensor): Tensor =>
    normType === 1 ? g.abs() : normType === 2 ? g.square() : g.abs().pow(normType);
  const sum = grads.map((g) => powered(g).sum()).reduce((a, b) => a.add(b));
  return normType === 1 ? sum : normType === 2 ? sum.sqrt() : sum.pow(1 / normType);
}

/** Clamps every gradient elementwise to [-clipValue, clipValue] in place (torch.nn.utils.clip_grad_value_). */
export function clipGradValue_(params: Tensor | readonly Tensor[], clipValue: number): void {
  if (typeof clipValue !== 'number' || !(clipValue >= 0))
    throw new ArgumentError(`clipGradValue_: clipValue must be a number >= 0, got ${clipValue}`);
  const grads = gradients(params);
  tidy(() =>
    noGrad(() => {
      for (const grad of grads) grad.assign(grad.clamp(-clipValue, clipValue));
    }),
  );
}
