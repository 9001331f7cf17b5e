import { fullLike } from '../tensor/creation.js';
import { keep } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ParamState } from './optimizer.js';

// Pieces of PyTorch's single-tensor update rules that several optimizers share, written with the
// same operation order as torch's in-place ops (so float64 trajectories match to the last bits).
// All run inside Optimizer.step's tidy and noGrad.

/** The L2 term of torch's `grad.add(param, alpha=weightDecay)`: grad + weightDecay * param. */
export function withWeightDecay(grad: Tensor, param: Tensor, weightDecay: number): Tensor {
  return weightDecay !== 0 ? grad.add(param.mul(weightDecay)) : grad;
}

/** average = beta * average + (1 - beta) * g, in place (torch's `mul_(beta).add_(g, alpha=1 - beta)`). */
export function updateAverage(average: Tensor, g: Tensor, beta: number): void {
  average.assign(average.mul(beta).add(g.mul(1 - beta)));
}

/**
 * average = beta * average + (1 - beta) * g * g, in place (torch's `mul_(beta).addcmul_(g, g,
 * value=1 - beta)`, which multiplies the value into the first factor).
 */
export function updateSquareAverage(average: Tensor, g: Tensor, beta: number): void {
  average.assign(average.mul(beta).add(g.mul(1 - beta).mul(g)));
}

/** A kept tensor of `like`'s shape, dtype and backend filled with `value`, for a state entry. */
export function stateTensor(like: Tensor, value = 0): Tensor {
  return keep(fullLike(like, value));
}

/**
 * The state tensor `name`, created as zeros when missing: buffers that only some options use
 * (RMSprop's momentum buffer) start when a group turns the option on, as they would on a first step.
 */
export function optionalStateTensor(state: ParamState, name: string, like: Tensor): Tensor {
  let value = state[name] as Tensor | undefined;
  if (value === undefined) {
    value = stateTensor(like);
    state[name] = value;
  }
  return value;
}
