import type { Tensor } from '../tensor/tensor.js';
import type { OptimizerOptions, ParamGroup, StateKind } from './optimizer.js';
import { SpecOptimizer, type OptimizerSpec } from './spec-optimizer.js';
import { stateTensor, updateAverage, updateSquareAverage, withWeightDecay } from './update-terms.js';
import { requireBetasOption, requireNonNegative } from './validate.js';

export interface NAdamOptions extends OptimizerOptions {
  betas: readonly [number, number];
  /** Added to the root of the bias-corrected second moment. */
  eps: number;
  /** L2 penalty added to the gradient: g + weightDecay * param. */
  weightDecay: number;
  /** psi of the momentum schedule mu_t = beta1 * (1 - 0.5 * 0.96^(t * psi)). */
  momentumDecay: number;
}

/**
 * NAdam (Adam with Nesterov momentum, Dozat 2016) with PyTorch's exact update (torch.optim.NAdam
 * as of PyTorch 2, L2 weight decay), defaults lr 2e-3, betas [0.9, 0.999], eps 1e-8,
 * weightDecay 0, momentumDecay 4e-3:
 *   g = grad + weightDecay * param
 *   mu = beta1 * (1 - 0.5 * 0.96^(step * momentumDecay)), muNext the same at step + 1
 *   muProduct = muProduct * mu   (the product of every mu so far, starting at 1)
 *   expAvg = beta1 * expAvg + (1 - beta1) * g;  expAvgSq = beta2 * expAvgSq + (1 - beta2) * g^2
 *   denom = sqrt(expAvgSq / (1 - beta2^step)) + eps
 *   param -= lr * (1 - mu) / (1 - muProduct) * g / denom
 *          + lr * muNext / (1 - muProduct * muNext) * expAvg / denom
 * State per parameter: step, muProduct (numbers), expAvg, expAvgSq.
 */
export class NAdam extends SpecOptimizer<NAdamOptions> {
  /** @internal Its options, their defaults and their checks, which SpecOptimizer applies. */
  static readonly spec: OptimizerSpec<NAdamOptions> = {
    label: 'NAdam',
    defaults: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3 },
    rules: {
      betas: requireBetasOption,
      eps: requireNonNegative,
      weightDecay: requireNonNegative,
      momentumDecay: requireNonNegative,
    },
  };

  protected override stateKinds(): Record<string, StateKind> {
    return { step: 'number', muProduct: 'number', expAvg: 'tensor', expAvgSq: 'tensor' };
  }

  protected override update(param: Tensor, grad: Tensor, group: ParamGroup & NAdamOptions): void {
    const { lr, eps, momentumDecay } = group;
    const [beta1, beta2] = group.betas;
    const state = this.stateFor(param, () => ({
      step: 0,
      muProduct: 1,
      expAvg: stateTensor(param),
      expAvgSq: stateTensor(param),
    }));
    const step = (state.step as number) + 1;
    state.step = step;
    const g = withWeightDecay(grad, param, group.weightDecay);
    const mu = beta1 * (1 - 0.5 * 0.96 ** (step * momentumDecay));
    const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentumDecay));
    const muProduct = (state.muProduct as number) * mu;
    state.muProduct = muProduct;
    const muProductNext = muProduct * muNext;
    const expAvg = state.expAvg as Tensor;
    const expAvgSq = state.expAvgSq as Tensor;
    updateAverage(expAvg, g, beta1);
    updateSquareAverage(expAvgSq, g, beta2);
    const denom = expAvgSq
      .div(1 - beta2 ** step)
      .sqrt()
      .add(eps);
    const gradStep = g.mul((lr * (1 - mu)) / (1 - muProduct)).div(denom);
    const momentumStep = expAvg.mul((lr * muNext) / (1 - muProductNext)).div(denom);
    param.assign(param.sub(gradStep).sub(momentumStep));
  }
}
