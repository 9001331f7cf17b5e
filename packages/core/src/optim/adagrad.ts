import type { Tensor } from '../tensor/tensor.js';
import type { OptimizerOptions, ParamGroup, StateKind } from './optimizer.js';
import { SpecOptimizer, type OptimizerSpec } from './spec-optimizer.js';
import { stateTensor, withWeightDecay } from './update-terms.js';
import { requireNonNegative } from './validate.js';

export interface AdagradOptions extends OptimizerOptions {
  /** The step size at step t is lr / (1 + (t - 1) * lrDecay). */
  lrDecay: number;
  /** L2 penalty added to the gradient: g + weightDecay * param. */
  weightDecay: number;
  /** The value the sum of squared gradients starts from. */
  initialAccumulatorValue: number;
  /** Added to the root of the sum, outside the square root. */
  eps: number;
}

/**
 * Adagrad with PyTorch's exact update (torch.optim.Adagrad, dense gradients), defaults lr 1e-2,
 * lrDecay 0, weightDecay 0, initialAccumulatorValue 0, eps 1e-10:
 *   g = grad + weightDecay * param
 *   clr = lr / (1 + (step - 1) * lrDecay)
 *   sum = sum + g^2
 *   param -= clr * g / (sqrt(sum) + eps)
 * State per parameter: step, sum (created at the parameter's first gradient; PyTorch creates it
 * in the constructor, which differs only in that a parameter never stepped has state there).
 */
export class Adagrad extends SpecOptimizer<AdagradOptions> {
  /** @internal Its options, their defaults and their checks, which SpecOptimizer applies. */
  static readonly spec: OptimizerSpec<AdagradOptions> = {
    label: 'Adagrad',
    defaults: { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 },
    rules: {
      lrDecay: requireNonNegative,
      weightDecay: requireNonNegative,
      initialAccumulatorValue: requireNonNegative,
      eps: requireNonNegative,
    },
  };

  protected override stateKinds(): Record<string, StateKind> {
    return { step: 'number', sum: 'tensor' };
  }

  protected override update(param: Tensor, grad: Tensor, group: ParamGroup & AdagradOptions): void {
    const state = this.stateFor(param, () => ({ step: 0, sum: stateTensor(param, group.initialAccumulatorValue) }));
    const step = (state.step as number) + 1;
    state.step = step;
    const g = withWeightDecay(grad, param, group.weightDecay);
    const clr = group.lr / (1 + (step - 1) * group.lrDecay);
    const sum = state.sum as Tensor;
    sum.assign(sum.add(g.mul(g)));
    param.assign(param.sub(g.mul(clr).div(sum.sqrt().add(group.eps))));
  }
}
