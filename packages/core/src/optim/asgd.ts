import type { Tensor } from '../tensor/tensor.js';
import type { OptimizerOptions, ParamGroup, StateKind } from './optimizer.js';
import { SpecOptimizer, type OptimizerSpec } from './spec-optimizer.js';
import { stateTensor, withWeightDecay } from './update-terms.js';
import { requireNonNegative } from './validate.js';

export interface ASGDOptions extends OptimizerOptions {
  /** Decay term: each step scales the parameter by 1 - lambd * eta. */
  lambd: number;
  /** Power of the eta schedule: eta = lr / (1 + lambd * lr * step)^alpha. */
  alpha: number;
  /** The step from which the parameters are averaged (before it, the average is the parameter). */
  t0: number;
  /** L2 penalty added to the gradient: g + weightDecay * param. */
  weightDecay: number;
}

/**
 * Averaged SGD (Polyak and Juditsky 1992) with PyTorch's exact update (torch.optim.ASGD, torch
 * 1.13), defaults lr 1e-2, lambd 1e-4, alpha 0.75, t0 1e6, weightDecay 0:
 *   g = grad + weightDecay * param
 *   param = param * (1 - lambd * eta) - eta * g
 *   ax = mu === 1 ? param : ax + (param - ax) * mu
 *   eta = lr / (1 + lambd * lr * step)^alpha;  mu = 1 / max(1, step - t0)
 * eta starts at lr and mu at 1. The average `ax` is kept in the state (stateDict().state[i].ax);
 * the parameters themselves follow plain SGD with decay, as in PyTorch.
 * State per parameter: step, eta, mu (numbers), ax.
 */
export class ASGD extends SpecOptimizer<ASGDOptions> {
  /** @internal Its options, their defaults and their checks, which SpecOptimizer applies. */
  static readonly spec: OptimizerSpec<ASGDOptions> = {
    label: 'ASGD',
    defaults: { lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6, weightDecay: 0 },
    rules: {
      lambd: requireNonNegative,
      alpha: requireNonNegative,
      t0: requireNonNegative,
      weightDecay: requireNonNegative,
    },
  };

  protected override stateKinds(): Record<string, StateKind> {
    return { step: 'number', eta: 'number', mu: 'number', ax: 'tensor' };
  }

  protected override update(param: Tensor, grad: Tensor, group: ParamGroup & ASGDOptions): void {
    const { lr, lambd, alpha, t0 } = group;
    const state = this.stateFor(param, () => ({ step: 0, eta: lr, mu: 1, ax: stateTensor(param) }));
    const step = (state.step as number) + 1;
    state.step = step;
    const eta = state.eta as number;
    const mu = state.mu as number;
    const g = withWeightDecay(grad, param, group.weightDecay);
    param.assign(param.mul(1 - lambd * eta));
    param.assign(param.add(g.mul(-eta)));
    const ax = state.ax as Tensor;
    if (mu !== 1) ax.assign(ax.add(param.sub(ax).mul(mu)));
    else ax.assign(param.detach());
    state.eta = lr / Math.pow(1 + lambd * lr * step, alpha);
    state.mu = 1 / Math.max(1, step - t0);
  }
}
