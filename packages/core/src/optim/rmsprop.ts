import type { Tensor } from '../tensor/tensor.js';
import type { OptimizerOptions, ParamGroup, StateKind } from './optimizer.js';
import { SpecOptimizer, type OptimizerSpec } from './spec-optimizer.js';
import {
  optionalStateTensor,
  stateTensor,
  updateAverage,
  updateSquareAverage,
  withWeightDecay,
} from './update-terms.js';
import { requireBoolean, requireFraction, requireNonNegative } from './validate.js';

export interface RMSpropOptions extends OptimizerOptions {
  /** Smoothing constant of the squared-gradient average. */
  alpha: number;
  /** Added to the root of the average, outside the square root. */
  eps: number;
  /** L2 penalty added to the gradient: g + weightDecay * param. */
  weightDecay: number;
  momentum: number;
  /** Divide by the estimated variance (squareAvg - gradAvg^2) instead of the raw second moment. */
  centered: boolean;
}

/**
 * RMSprop with PyTorch's exact update (torch.optim.RMSprop), defaults lr 1e-2, alpha 0.99,
 * eps 1e-8, weightDecay 0, momentum 0, centered false:
 *   g = grad + weightDecay * param
 *   squareAvg = alpha * squareAvg + (1 - alpha) * g^2
 *   avg = sqrt(squareAvg) + eps, or centered: gradAvg = alpha * gradAvg + (1 - alpha) * g,
 *         avg = sqrt(squareAvg - gradAvg^2) + eps
 *   momentum > 0: buf = momentum * buf + g / avg; param -= lr * buf
 *   otherwise:    param -= lr * g / avg
 * State per parameter: step, squareAvg, and momentumBuffer (momentum > 0) and gradAvg (centered).
 */
export class RMSprop extends SpecOptimizer<RMSpropOptions> {
  /** @internal Its options, their defaults and their checks, which SpecOptimizer applies. */
  static readonly spec: OptimizerSpec<RMSpropOptions> = {
    label: 'RMSprop',
    defaults: { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false },
    rules: {
      alpha: requireFraction,
      eps: requireNonNegative,
      weightDecay: requireNonNegative,
      momentum: requireNonNegative,
      centered: requireBoolean,
    },
  };

  protected override stateKinds(group: ParamGroup & RMSpropOptions): Record<string, StateKind> {
    return {
      step: 'number',
      squareAvg: 'tensor',
      momentumBuffer: group.momentum > 0 ? 'tensor' : 'optional tensor',
      gradAvg: group.centered ? 'tensor' : 'optional tensor',
    };
  }

  protected override update(param: Tensor, grad: Tensor, group: ParamGroup & RMSpropOptions): void {
    const { lr, alpha, eps, momentum } = group;
    const state = this.stateFor(param, () => ({ step: 0, squareAvg: stateTensor(param) }));
    state.step = (state.step as number) + 1;
    const g = withWeightDecay(grad, param, group.weightDecay);
    const squareAvg = state.squareAvg as Tensor;
    updateSquareAverage(squareAvg, g, alpha);
    let avg: Tensor;
    if (group.centered) {
      const gradAvg = optionalStateTensor(state, 'gradAvg', param);
      updateAverage(gradAvg, g, alpha);
      avg = squareAvg.sub(gradAvg.mul(gradAvg)).sqrt();
    } else {
      avg = squareAvg.sqrt();
    }
    avg = avg.add(eps);
    if (momentum > 0) {
      const buffer = optionalStateTensor(state, 'momentumBuffer', param);
      buffer.assign(buffer.mul(momentum).add(g.div(avg)));
      param.assign(param.sub(buffer.mul(lr)));
    } else {
      param.assign(param.sub(g.mul(lr).div(avg)));
    }
  }
}
