import { isGradEnabled } from '../autograd/grad-mode.js';
import { stableSoftplus } from '../ops/activation.js';
import { binaryCrossEntropyFused } from '../ops/fused.js';
import { add, greater, log, mul, neg, sub, where } from '../ops/elementwise.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkProbabilities, requireBroadcastWeight, requireFloat, requireSameShape } from './checks.js';
import { checkReduction, reduce, type Reduction, type ReductionOptions } from './reduction.js';

export interface BinaryCrossEntropyOptions extends ReductionOptions {
  /** Rescales each element's loss; broadcasts to the input's shape. */
  weight?: Tensor;
}

export interface BinaryCrossEntropyWithLogitsOptions extends BinaryCrossEntropyOptions {
  /** Weight of the positive term (y log sigmoid(x)), e.g. one per class; broadcasts to the input's shape. */
  posWeight?: Tensor;
}

const FLOAT_TARGET_HINT = " (binary targets are 0/1 floats: cast them with .cast('float32'))";

/**
 * Binary cross-entropy on probabilities: -weight * (y log p + (1 - y) log(1 - p)), each log
 * clamped at -100 like PyTorch, so p = 0 or 1 gives a finite loss.
 *
 * Probabilities outside [0, 1] (or NaN) throw, like PyTorch, on backends that read
 * synchronously (cpu-reference, tfjs-cpu). On the others they are not checked, because reading
 * them would stall the device: a log of a non-positive argument counts as -100, so the loss
 * stays finite but means nothing.
 *
 * The gradient is the exact derivative of the clamped loss, weight * (p - y) / (p (1 - p)).
 * PyTorch divides by max(p (1 - p), 1e-12) instead, so the two differ only within 1e-12 of 0
 * or 1; in float32 ours overflows to Infinity for subnormal p (< 1.2e-38) of the opposite
 * label. On raw scores, binaryCrossEntropyWithLogits is stable everywhere.
 */
export function binaryCrossEntropy(
  probabilities: Tensor,
  target: Tensor,
  options: BinaryCrossEntropyOptions = {},
): Tensor {
  const owner = 'binaryCrossEntropy';
  const reduction = checkBinary(owner, 'probabilities', probabilities, target, options);
  checkProbabilities(owner, probabilities);
  // Forward and gradient in one kernel where the backend has it (no weight, a constant target).
  if (
    options.weight === undefined &&
    probabilities.backend.fused?.binaryCrossEntropy &&
    target.backend === probabilities.backend &&
    target.dtype === probabilities.dtype &&
    !(target.requiresGrad && isGradEnabled())
  ) {
    return binaryCrossEntropyFused(probabilities, target, reduction);
  }
  return composite(() => {
    const positive = mul(target, clampedLog(probabilities));
    const negative = mul(sub(1, target), clampedLog(sub(1, probabilities)));
    const losses = neg(add(positive, negative));
    return reduce(options.weight ? mul(losses, options.weight) : losses, reduction);
  });
}

/**
 * Binary cross-entropy on logits, i.e. on sigmoid(x), in PyTorch's stable form:
 * (1 - y) x + l * log(1 + exp(-x)) with l = 1 + (posWeight - 1) y; without posWeight this is
 * max(x, 0) - x y + log(1 + exp(-|x|)). Finite in value and gradient (sigmoid(x) - y when
 * unweighted) at any finite x.
 */
export function binaryCrossEntropyWithLogits(
  logits: Tensor,
  target: Tensor,
  options: BinaryCrossEntropyWithLogitsOptions = {},
): Tensor {
  const owner = 'binaryCrossEntropyWithLogits';
  const reduction = checkBinary(owner, 'logits', logits, target, options);
  const posWeight = options.posWeight;
  if (posWeight) requireBroadcastWeight(owner, 'posWeight', posWeight, logits);
  return composite(() => {
    const softplusOfNegative = stableSoftplus(neg(logits));
    const logWeight = posWeight ? add(mul(sub(posWeight, 1), target), 1) : null;
    const positive = logWeight ? mul(logWeight, softplusOfNegative) : softplusOfNegative;
    const losses = add(mul(sub(1, target), logits), positive);
    return reduce(options.weight ? mul(losses, options.weight) : losses, reduction);
  });
}

function checkBinary(
  owner: string,
  inputRole: string,
  input: Tensor,
  target: Tensor,
  options: BinaryCrossEntropyOptions,
): Reduction {
  const reduction = checkReduction(owner, options.reduction);
  requireFloat(owner, inputRole, input);
  requireFloat(owner, 'target', target, FLOAT_TARGET_HINT);
  requireSameShape(owner, input, target, inputRole);
  if (options.weight) requireBroadcastWeight(owner, 'weight', options.weight, input);
  return reduction;
}

/** log(x) clamped below at -100 (PyTorch's BCE); x <= 0 gives -100 with a zero gradient, not NaN. */
function clampedLog(x: Tensor): Tensor {
  const positive = greater(x, 0);
  // log only sees positive values: log(0)'s gradient 1/0 times the unused branch's 0 is NaN.
  const logs = log(where(positive, x, 1));
  return where(positive, where(greater(logs, -100), logs, -100), -100);
}
