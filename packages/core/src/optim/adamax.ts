import type { Tensor } from '../tensor/tensor.js';
import type { OptimizerOptions, ParamGroup, StateKind } from './optimizer.js';
import { SpecOptimizer, type OptimizerSpec } from './spec-optimizer.js';
import { stateTensor, updateAverage, withWeightDecay } from './update-terms.js';
import { requireBetasOption, requireNonNegative } from './validate.js';

export interface AdamaxOptions extends OptimizerOptions {
  betas: readonly [number, number];
  /** Added to |g| before the running maximum (so the divisor is never 0). */
  eps: number;
  /** L2 penalty added to the gradient: g + weightDecay * param. */
  weightDecay: number;
}

/**
 * Adamax (Adam with the infinity norm) with PyTorch's exact update (torch.optim.Adamax),
 * defaults lr 2e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0:
 *   g = grad + weightDecay * param
 *   expAvg = beta1 * expAvg + (1 - beta1) * g
 *   expInf = max(beta2 * expInf, |g| + eps)
 *   param -= (lr / (1 - beta1^step)) * expAvg / expInf
 * State per parameter: step, expAvg, expInf.
 */
export class Adamax extends SpecOptimizer<AdamaxOptions> {
  /** @internal Its options, their defaults and their checks, which SpecOptimizer applies. */
  static readonly spec: OptimizerSpec<AdamaxOptions> = {
    label: 'Adamax',
    defaults: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 },
    rules: { betas: requireBetasOption, eps: requireNonNegative, weightDecay: requireNonNegative },
  };

  protected override stateKinds(): Record<string, StateKind> {
    return { step: 'number', expAvg: 'tensor', expInf: 'tensor' };
  }

  protected override update(param: Tensor, grad: Tensor, group: ParamGroup & AdamaxOptions): void {
    const [beta1, beta2] = group.betas;
    const state = this.stateFor(param, () => ({ step: 0, expAvg: stateTensor(param), expInf: stateTensor(param) }));
    const step = (state.step as number) + 1;
    state.step = step;
    const g = withWeightDecay(grad, param, group.weightDecay);
    const expAvg = state.expAvg as Tensor;
    const expInf = state.expInf as Tensor;
    updateAverage(expAvg, g, beta1);
    expInf.assign(expInf.mul(beta2).maximum(g.abs().add(group.eps)));
    const clr = group.lr / (1 - beta1 ** step);
    param.assign(param.sub(expAvg.mul(clr).div(expInf)));
  }
}
