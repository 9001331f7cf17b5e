import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { clampedStraightThrough } from '../ops/distance.js';
import { unsqueeze } from '../ops/movement.js';
import { shapesEqual } from '../tensor/shape.js';
import { checkBoolean } from '../nn/checks.js';
import { abs, equal, exp, greater, less, log, mul, square, sub, where, add, div } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { requireFloat, requireSameShape } from './checks.js';
import { checkReduction, reduce, type Reduction, type ReductionOptions } from './reduction.js';

/**
 * Mean squared error: (input - target)^2, reduced. Unlike PyTorch (which warns and
 * broadcasts), differing shapes are an error.
 */
export function mseLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const reduction = checkElementwise('mseLoss', input, target, options);
  return composite(() => reduce(square(sub(input, target)), reduction));
}

/** Mean absolute error: |input - target|, reduced; the gradient at equality is 0, as in PyTorch. */
export function l1Loss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const reduction = checkElementwise('l1Loss', input, target, options);
  return composite(() => reduce(abs(sub(input, target)), reduction));
}

export interface HuberLossOptions extends ReductionOptions {
  /** Where the loss turns from quadratic to linear (default 1; must be positive). */
  delta?: number;
}

/**
 * Huber loss (torch.nn.functional.huber_loss): 0.5 u^2 where |u| < delta, else
 * delta (|u| - 0.5 delta), with u = input - target. Less sensitive to outliers than MSE.
 */
export function huberLoss(input: Tensor, target: Tensor, options: HuberLossOptions = {}): Tensor {
  const reduction = checkElementwise('huberLoss', input, target, options);
  const delta = positive('huberLoss', 'delta', options.delta ?? 1);
  return composite(() => {
    const u = sub(input, target);
    const size = abs(u);
    return reduce(where(less(size, delta), mul(mul(u, u), 0.5), mul(sub(size, 0.5 * delta), delta)), reduction);
  });
}

export interface SmoothL1LossOptions extends ReductionOptions {
  /** Where the loss turns from quadratic to linear (default 1; 0 is the L1 loss). */
  beta?: number;
}

/**
 * Smooth L1 loss (torch.nn.functional.smooth_l1_loss): 0.5 u^2 / beta where |u| < beta, else
 * |u| - 0.5 beta, with u = input - target; Huber loss divided by beta, the L1 loss at beta 0.
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: SmoothL1LossOptions = {}): Tensor {
  const reduction = checkElementwise('smoothL1Loss', input, target, options);
  const beta = checkBeta('smoothL1Loss', options.beta ?? 1);
  if (beta === 0) return l1Loss(input, target, { reduction });
  return composite(() => {
    const u = sub(input, target);
    const size = abs(u);
    return reduce(where(less(size, beta), mul(mul(u, u), 0.5 / beta), sub(size, 0.5 * beta)), reduction);
  });
}

/** Smooth L1's beta: a finite number >= 0. */
export function checkBeta(owner: string, beta: unknown): number {
  if (typeof beta !== 'number' || !(beta >= 0) || !Number.isFinite(beta))
    throw new ArgumentError(`${owner}: beta must be a finite number >= 0, got ${String(beta)}`);
  return beta;
}

/** KLDivLoss's reductions: PyTorch's, with 'batchmean' (the sum over a sample, averaged over the batch). */
export type KLDivReduction = Reduction | 'batchmean';

export interface KLDivLossOptions {
  /** 'mean' (default, as PyTorch, which recommends 'batchmean': the true KL divergence), 'batchmean', 'sum', 'none'. */
  reduction?: KLDivReduction;
  /** The target is log-probabilities too (default false: probabilities). */
  logTarget?: boolean;
}

/**
 * Kullback-Leibler divergence (torch.nn.functional.kl_div) of the target distribution from the
 * input, which holds log-probabilities: target (log target - input) per element, 0 where the
 * target is 0 (with `logTarget`: exp(target) (target - input)).
 */
export function klDivLoss(input: Tensor, target: Tensor, options: KLDivLossOptions = {}): Tensor {
  const reduction = checkReduction('klDivLoss', options.reduction, KL_DIV_REDUCTIONS);
  const batchMean = reduction === 'batchmean';
  checkElementwise('klDivLoss', input, target, { reduction: batchMean ? 'sum' : reduction });
  const logTarget = checkBoolean('klDivLoss: logTarget', options.logTarget ?? false);
  return composite(() => {
    let pointwise: Tensor;
    if (logTarget) pointwise = mul(exp(target), sub(target, input));
    else {
      // target log target is 0 at target 0 (torch.xlogy); log only sees the other values.
      const zero = equal(target, 0);
      const safeLog = log(where(zero, 1, target));
      pointwise = where(zero, 0, mul(target, sub(safeLog, input)));
    }
    if (!batchMean) return reduce(pointwise, reduction as Reduction);
    // The sum divided by the batch size (the first axis; a scalar input is one sample).
    return mul(sum(pointwise), 1 / (input.rank === 0 ? 1 : input.shape[0]!));
  });
}

export const KL_DIV_REDUCTIONS: readonly KLDivReduction[] = ['mean', 'batchmean', 'sum', 'none'];

export interface PoissonNLLLossOptions extends ReductionOptions {
  /** The input is the log of the rate (default true): exp(input) - target input; else input - target log(input + eps). */
  logInput?: boolean;
  /** Add Stirling's approximation of log(target!) for targets above 1 (default false). */
  full?: boolean;
  /** Keeps log(input + eps) finite at input 0 when logInput is false (default 1e-8). */
  eps?: number;
}

/** Negative log-likelihood of a Poisson target (torch.nn.functional.poisson_nll_loss). */
export function poissonNLLLoss(input: Tensor, target: Tensor, options: PoissonNLLLossOptions = {}): Tensor {
  const reduction = checkElementwise('poissonNLLLoss', input, target, options);
  const logInput = checkBoolean('poissonNLLLoss: logInput', options.logInput ?? true);
  const full = checkBoolean('poissonNLLLoss: full', options.full ?? false);
  const eps = positive('poissonNLLLoss', 'eps', options.eps ?? 1e-8);
  return composite(() => {
    let losses = logInput ? sub(exp(input), mul(target, input)) : sub(input, mul(target, log(add(input, eps))));
    if (full) {
      // target log target - target + log(2 pi target) / 2, for targets above 1 only (0 elsewhere).
      const above = greater(target, 1);
      const t = where(above, target, 1);
      const stirling = add(sub(mul(t, log(t)), t), mul(log(mul(t, 2 * Math.PI)), 0.5));
      losses = add(losses, where(above, stirling, 0));
    }
    return reduce(losses, reduction);
  });
}

/** A loss option that must be a finite number > 0 (Huber's delta, Poisson's eps). */
export function positive(owner: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value))
    throw new ArgumentError(`${owner}: ${name} must be a finite number > 0, got ${String(value)}`);
  return value;
}

function checkElementwise(owner: string, input: Tensor, target: Tensor, options: ReductionOptions): Reduction {
  const reduction = checkReduction(owner, options.reduction);
  requireFloat(owner, 'input', input);
  requireFloat(owner, 'target', target, " (cast it with .cast('float32'))");
  requireSameShape(owner, input, target);
  return reduction;
}

export interface GaussianNLLLossOptions extends ReductionOptions {
  /** Add the constant log(2 pi) / 2 (default false). */
  full?: boolean;
  /** The variance is taken as at least eps (default 1e-6), in value only: see gaussianNLLLoss. */
  eps?: number;
}

/**
 * Negative log-likelihood of targets under Gaussians of mean `input` and variance `variance`
 * (torch.nn.functional.gaussian_nll_loss, PyTorch 1.13): (log v + (input - target)^2 / v) / 2
 * with v = max(variance, eps), plus log(2 pi) / 2 with `full`. The variance has the input's shape
 * (heteroscedastic), or one value per sample: the input's shape without its last axis, or with
 * it as 1 (homoscedastic). As in PyTorch the clamp at eps changes the value only (PyTorch clamps
 * in place under no_grad): the variance's gradient is that of the loss at v. A negative variance
 * throws where it is read without stalling a device (as PyTorch); elsewhere it counts as eps.
 * Unlike PyTorch (which broadcasts), the target needs the input's shape.
 */
export function gaussianNLLLoss(
  input: Tensor,
  target: Tensor,
  variance: Tensor,
  options: GaussianNLLLossOptions = {},
): Tensor {
  const owner = 'gaussianNLLLoss';
  const reduction = checkElementwise(owner, input, target, options);
  requireFloat(owner, 'variance', variance);
  const full = checkBoolean(`${owner}: full`, options.full ?? false);
  const eps = positive(owner, 'eps', options.eps ?? 1e-6);
  const leading = input.shape.slice(0, -1);
  const oneShort = input.rank > 0 && shapesEqual(variance.shape, leading);
  const lastIsOne =
    input.rank > 0 &&
    variance.rank === input.rank &&
    shapesEqual(variance.shape.slice(0, -1), leading) &&
    variance.shape[variance.rank - 1] === 1;
  if (!shapesEqual(variance.shape, input.shape) && !oneShort && !lastIsOne) {
    throw new ShapeError(
      `${owner}: variance ${formatShape(variance.shape)} must have the input's shape ${formatShape(input.shape)}, or one value per sample: ${formatShape(leading)} or ${formatShape([...leading, 1])}`,
    );
  }
  if (variance.backend.readSync) {
    const values = variance.dataSync();
    const at = values.findIndex((v) => v < 0);
    if (at >= 0) throw new ArgumentError(`${owner}: variance must be >= 0, got ${values[at]} at position ${at}`);
  }
  return composite(() => {
    const v = clampedStraightThrough(oneShort ? unsqueeze(variance, -1) : variance, eps);
    let losses = mul(add(log(v), div(square(sub(input, target)), v)), 0.5);
    if (full) losses = add(losses, 0.5 * Math.log(2 * Math.PI));
    return reduce(losses, reduction);
  });
}
