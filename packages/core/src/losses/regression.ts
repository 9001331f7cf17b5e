import { abs, square, sub } from '../ops/elementwise.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { requireFloat, requireSameShape } from './checks.js';
import { checkReduction, reduce, type Reduction, type ReductionOptions } from './reduction.js';

/**
 * Mean squared error: (input - target)^2, reduced. Unlike PyTorch (which warns and
 * broadcasts), differing shapes are an error.
 */
export function mseLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const reduction = checkElementwise('mseLoss', input, target, options);
  return composite(() => reduce(square(sub(input, target)), reduction));
}

/** Mean absolute error: |input - target|, reduced; the gradient at equality is 0, as in PyTorch. */
export function l1Loss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const reduction = checkElementwise('l1Loss', input, target, options);
  return composite(() => reduce(abs(sub(input, target)), reduction));
}

function checkElementwise(owner: string, input: Tensor, target: Tensor, options: ReductionOptions): Reduction {
  const reduction = checkReduction(owner, options.reduction);
  requireFloat(owner, 'input', input);
  requireFloat(owner, 'target', target, " (cast it with .cast('float32'))");
  requireSameShape(owner, input, target);
  return reduction;
}
