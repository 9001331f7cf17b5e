import { noGrad } from '../autograd/grad-mode.js';
import { composite } from '../tensor/scope.js';
import { normalizeAxis } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { isFloat } from '../backend/dtypes.js';
import {
  div,
  exp,
  greater,
  lessEqual,
  log,
  minimum,
  mul,
  reluPrimitive,
  sigmoidPrimitive,
  sub,
  tanhPrimitive,
  where,
} from './elementwise.js';
import { max, sum } from './reduce.js';

/**
 * max(x, 0) as one kernel on floats; NaN stays NaN and the gradient at 0 is 0, as in PyTorch.
 * Integer tensors (which the kernel does not take) use the composed form, NaN-free anyway.
 */
export const relu = (x: Tensor): Tensor =>
  isFloat(x.dtype) ? reluPrimitive(x) : composite(() => where(lessEqual(x, 0), 0, x));

/** x for x > 0, negativeSlope * x otherwise (NaN stays NaN); no scalar branch for `where` to broadcast. */
export const leakyRelu = (x: Tensor, negativeSlope = 0.01): Tensor =>
  composite(() => where(greater(x, 0), x, mul(x, negativeSlope)));

/** x for x > 0, alpha * (exp(x) - 1) otherwise. */
export const elu = (x: Tensor, alpha = 1): Tensor =>
  // exp only sees min(x, 0): exp(x) of a large positive x would be Infinity, and the unused
  // branch's zero gradient times Infinity is NaN.
  composite(() => where(greater(x, 0), x, mul(sub(exp(minimum(x, 0)), 1), alpha)));

export const sigmoid = (x: Tensor): Tensor => sigmoidPrimitive(x);
export const tanh = (x: Tensor): Tensor => tanhPrimitive(x);

/** exp(x) / sum(exp(x)) along `axis`, shifted by the (detached) max for stability. */
export function softmax(x: Tensor, axis = -1): Tensor {
  const at = normalizeAxis('softmax', axis, x.rank);
  return composite(() => {
    const shift = noGrad(() => max(x, at, true));
    const e = exp(sub(x, shift));
    return div(e, sum(e, at, true));
  });
}

/** x - logsumexp(x) along `axis`, stable for extreme logits. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const at = normalizeAxis('logSoftmax', axis, x.rank);
  return composite(() => {
    const shifted = sub(
      x,
      noGrad(() => max(x, at, true)),
    );
    return sub(shifted, log(sum(exp(shifted), at, true)));
  });
}
