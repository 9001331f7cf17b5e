import { ArgumentError } from '../errors.js';
import { scalar } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

function checkWeight(name: string, weight: number): void {
  if (typeof weight !== 'number' || !(weight >= 0) || !Number.isFinite(weight)) {
    throw new ArgumentError(`${name}: weight must be a finite number >= 0, got ${weight}`);
  }
}

function penalty(name: string, params: readonly Tensor[], weight: number, term: (p: Tensor) => Tensor): Tensor {
  checkWeight(name, weight);
  if (params.length === 0) return scalar(0);
  // composite: the per-parameter terms live exactly as long as the result's graph needs them.
  return composite(() =>
    params
      .map((p) => term(p).sum())
      .reduce((a, b) => a.add(b))
      .mul(weight),
  );
}

/** weight * sum(|w|) over every element of every parameter; add it to the loss (differentiable). */
export function l1Penalty(params: readonly Tensor[], weight: number): Tensor {
  return penalty('l1Penalty', params, weight, (p) => p.abs());
}

/**
 * weight * sum(w^2) over every element of every parameter (lambda * ||w||^2, no 1/2 factor):
 * its gradient is 2 * weight * w, so SGD's weightDecay = 2 * weight gives the same update.
 */
export function l2Penalty(params: readonly Tensor[], weight: number): Tensor {
  return penalty('l2Penalty', params, weight, (p) => p.square());
}
