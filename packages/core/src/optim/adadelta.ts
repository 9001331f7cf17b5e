import type { Tensor } from '../tensor/tensor.js';
import type { OptimizerOptions, ParamGroup, StateKind } from './optimizer.js';
import { SpecOptimizer, type OptimizerSpec } from './spec-optimizer.js';
import { stateTensor, updateSquareAverage, withWeightDecay } from './update-terms.js';
import { requireFraction, requireNonNegative } from './validate.js';

export interface AdadeltaOptions extends OptimizerOptions {
  /** Decay rate of both running averages. */
  rho: number;
  /** Added inside both square roots. */
  eps: number;
  /** L2 penalty added to the gradient: g + weightDecay * param. */
  weightDecay: number;
}

/**
 * Adadelta with PyTorch's exact update (torch.optim.Adadelta), defaults lr 1.0, rho 0.9,
 * eps 1e-6, weightDecay 0:
 *   g = grad + weightDecay * param
 *   squareAvg = rho * squareAvg + (1 - rho) * g^2
 *   delta = sqrt(accDelta + eps) / sqrt(squareAvg + eps) * g
 *   accDelta = rho * accDelta + (1 - rho) * delta^2
 *   param -= lr * delta
 * State per parameter: step, squareAvg, accDelta.
 */
export class Adadelta extends SpecOptimizer<AdadeltaOptions> {
  /** @internal Its options, their defaults and their checks, which SpecOptimizer applies. */
  static readonly spec: OptimizerSpec<AdadeltaOptions> = {
    label: 'Adadelta',
    defaults: { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0 },
    rules: { rho: requireFraction, eps: requireNonNegative, weightDecay: requireNonNegative },
  };

  protected override stateKinds(): Record<string, StateKind> {
    return { step: 'number', squareAvg: 'tensor', accDelta: 'tensor' };
  }

  protected override update(param: Tensor, grad: Tensor, group: ParamGroup & AdadeltaOptions): void {
    const { lr, rho, eps } = group;
    const state = this.stateFor(param, () => ({
      step: 0,
      squareAvg: stateTensor(param),
      accDelta: stateTensor(param),
    }));
    state.step = (state.step as number) + 1;
    const g = withWeightDecay(grad, param, group.weightDecay);
    const squareAvg = state.squareAvg as Tensor;
    const accDelta = state.accDelta as Tensor;
    updateSquareAverage(squareAvg, g, rho);
    const std = squareAvg.add(eps).sqrt();
    const delta = accDelta.add(eps).sqrt().div(std).mul(g);
    updateSquareAverage(accDelta, delta, rho);
    param.assign(param.sub(delta.mul(lr)));
  }
}
