import type { Tensor } from '../tensor/tensor.js';
import type { OptimizerOptions, ParamGroup, StateKind } from './optimizer.js';
import { SpecOptimizer, type OptimizerSpec } from './spec-optimizer.js';
import { stateTensor, updateAverage, updateSquareAverage, withWeightDecay } from './update-terms.js';
import { requireBetasOption, requireNonNegative } from './validate.js';

export interface RAdamOptions extends OptimizerOptions {
  betas: readonly [number, number];
  /** Added to sqrt(expAvgSq) in the adaptive term. */
  eps: number;
  /** L2 penalty added to the gradient: g + weightDecay * param. */
  weightDecay: number;
}

/**
 * RAdam (rectified Adam, Liu et al. 2019) with PyTorch's exact update (torch.optim.RAdam, torch
 * 1.13, L2 weight decay), defaults lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0:
 *   g = grad + weightDecay * param
 *   expAvg = beta1 * expAvg + (1 - beta1) * g;  expAvgSq = beta2 * expAvgSq + (1 - beta2) * g^2
 *   rhoInf = 2 / (1 - beta2) - 1;  rho = rhoInf - 2 * step * beta2^step / (1 - beta2^step)
 *   rho > 5:  rect = sqrt((rho - 4)(rho - 2) rhoInf / ((rhoInf - 4)(rhoInf - 2) rho))
 *             param -= expAvg / (1 - beta1^step) * lr * sqrt(1 - beta2^step) / (sqrt(expAvgSq) + eps) * rect
 *   else:     param -= expAvg / (1 - beta1^step) * lr   (SGD with momentum while the variance is unreliable)
 * State per parameter: step, expAvg, expAvgSq.
 */
export class RAdam extends SpecOptimizer<RAdamOptions> {
  /** @internal Its options, their defaults and their checks, which SpecOptimizer applies. */
  static readonly spec: OptimizerSpec<RAdamOptions> = {
    label: 'RAdam',
    defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 },
    rules: { betas: requireBetasOption, eps: requireNonNegative, weightDecay: requireNonNegative },
  };

  protected override stateKinds(): Record<string, StateKind> {
    return { step: 'number', expAvg: 'tensor', expAvgSq: 'tensor' };
  }

  protected override update(param: Tensor, grad: Tensor, group: ParamGroup & RAdamOptions): void {
    const { lr, eps } = group;
    const [beta1, beta2] = group.betas;
    const state = this.stateFor(param, () => ({ step: 0, expAvg: stateTensor(param), expAvgSq: stateTensor(param) }));
    const step = (state.step as number) + 1;
    state.step = step;
    const biasCorrection1 = 1 - beta1 ** step;
    const biasCorrection2 = 1 - beta2 ** step;
    const g = withWeightDecay(grad, param, group.weightDecay);
    const expAvg = state.expAvg as Tensor;
    const expAvgSq = state.expAvgSq as Tensor;
    updateAverage(expAvg, g, beta1);
    updateSquareAverage(expAvgSq, g, beta2);
    const corrected = expAvg.div(biasCorrection1);
    const rhoInf = 2 / (1 - beta2) - 1;
    const rho = rhoInf - (2 * step * beta2 ** step) / biasCorrection2;
    if (rho > 5) {
      const rect = Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho));
      // torch's `float / tensor` is tensor.reciprocal() * float.
      const adaptiveLr = expAvgSq.sqrt().add(eps).reciprocal().mul(Math.sqrt(biasCorrection2));
      param.assign(param.sub(corrected.mul(lr).mul(adaptiveLr).mul(rect)));
    } else {
      param.assign(param.sub(corrected.mul(lr)));
    }
  }
}
