import type { Tensor } from '../tensor/tensor.js';
import {
  Optimizer,
  constructorOptions,
  type OptimizerOptions,
  type ParamGroup,
  type ParamGroupInput,
  type StateKind,
} from './optimizer.js';
import { stateTensor, updateSquareAverage, withWeightDecay } from './update-terms.js';
import { requireFraction, requireNonNegativeOptions } from './validate.js';

/** The options Adadelta takes (an unknown one is an error). */
export const ADADELTA_OPTIONS: readonly string[] = ['lr', 'rho', 'eps', 'weightDecay'];

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
export class Adadelta extends Optimizer<AdadeltaOptions> {
  constructor(params: Tensor[] | ParamGroupInput<AdadeltaOptions>[], options: Partial<AdadeltaOptions> = {}) {
    super(
      params,
      constructorOptions<AdadeltaOptions>('Adadelta', options, ADADELTA_OPTIONS, {
        lr: 1.0,
        rho: 0.9,
        eps: 1e-6,
        weightDecay: 0,
      }),
    );
  }

  protected override get label(): string {
    return 'Adadelta';
  }

  protected override checkOptions(group: ParamGroup & AdadeltaOptions, where: string): void {
    super.checkOptions(group, where);
    requireFraction(where, 'rho', group.rho);
    requireNonNegativeOptions(where, group, ['eps', 'weightDecay']);
  }

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
