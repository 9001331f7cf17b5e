import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { logSoftmax } from '../ops/activation.js';
import { softmaxCrossEntropyFused } from '../ops/fused.js';
import { add, cast, div, equal, mul, neg, notEqual, where } from '../ops/elementwise.js';
import { reshape, unsqueeze } from '../ops/movement.js';
import { sum } from '../ops/reduce.js';
import { arange } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import { shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkClassIndices, requireFloat } from './checks.js';
import { checkReduction, type Reduction, type ReductionOptions } from './reduction.js';

export interface NllLossOptions extends ReductionOptions {
  /** One rescaling weight per class, shape [C]; 'mean' then divides by the sum of the targets' weights. */
  weight?: Tensor;
  /**
   * A class-index target equal to it adds no loss and no gradient, and 'mean' divides by the
   * (weighted) count of the others (NaN when all are ignored): PyTorch's ignore_index, default
   * -100, on every backend (the fused softmax cross-entropy kernels take it too).
   */
  ignoreIndex?: number;
}

/** PyTorch's default ignore_index. */
const DEFAULT_IGNORE_INDEX = -100;

/** The ignoreIndex option: an integer, -100 when absent. */
export function checkIgnoreIndex(owner: string, value: unknown): number {
  if (value === undefined) return DEFAULT_IGNORE_INDEX;
  // An int32, as the targets are (the native kernels read it as one).
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31)
    throw new ArgumentError(`${owner}: ignoreIndex must be an int32 integer, got ${String(value)}`);
  return value;
}

export interface CrossEntropyOptions extends NllLossOptions {
  /** In [0, 1): the target becomes (1 - labelSmoothing) * target + labelSmoothing / C, as in PyTorch. */
  labelSmoothing?: number;
}

/**
 * Cross-entropy of logits [N,C] (or [C]) against int32 class indices [N] (or a scalar), or
 * against float probabilities / one-hot rows of the logits' shape. PyTorch semantics: class
 * weights, label smoothing, and for index targets a weighted 'mean' that divides by the sum of
 * the targets' weights (probability targets divide by N), and `ignoreIndex` for index targets.
 * Built on logSoftmax, so value and gradient stay finite at logits of +-1e4.
 */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const owner = 'crossEntropy';
  const { reduction, weight, numClasses } = checkClassification(owner, 'logits', logits, options);
  const smoothing = options.labelSmoothing ?? 0;
  if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing < 1)) {
    throw new ArgumentError(`${owner}: labelSmoothing must be a number in [0, 1), got ${String(smoothing)}`);
  }
  const ignoreIndex = checkIgnoreIndex(owner, options.ignoreIndex);
  if (target.dtype === 'int32') {
    checkIndexTarget(owner, 'logits', logits, target);
    // Unread targets (an asynchronous backend) may hold ignoreIndex: the composed path masks them.
    const ignoring = checkClassIndices(owner, target, numClasses, ignoreIndex) ?? true;
    // The common case in one kernel (forward and gradient together, ignoreIndex honoured) where the backend has it.
    if (
      weight === undefined &&
      smoothing === 0 &&
      logits.rank === 2 &&
      logits.backend.fused?.softmaxCrossEntropy &&
      target.backend === logits.backend
    ) {
      return softmaxCrossEntropyFused(logits, target, reduction, ignoreIndex);
    }
    return composite(() =>
      asRows(logits, target, reduction, (rows, indices) =>
        indexTargetLoss(logSoftmax(rows, 1), indices, weight, reduction, smoothing, ignoring ? ignoreIndex : undefined),
      ),
    );
  }
  if (target.dtype === 'bool') {
    throw new DTypeError(
      `${owner}: target must be int32 class indices or float probabilities, got dtype bool (cast it)`,
    );
  }
  if (!shapesEqual(target.shape, logits.shape)) {
    if (logits.rank === 2 && target.rank === 2) checkBatch(owner, 'logits', logits, target);
    throw new ShapeError(
      `${owner}: probability target ${formatShape(target.shape)} must have the logits' shape ${formatShape(logits.shape)} (or be int32 class indices of shape ${formatShape(logits.shape.slice(0, -1))})`,
    );
  }
  if (ignoreIndex >= 0) {
    // PyTorch's rule: a negative ignore_index (the default -100) is allowed and does nothing here.
    throw new ArgumentError(
      `${owner}: ignoreIndex ${ignoreIndex} applies to class-index targets, not to probability targets; allowed here: a negative ignoreIndex (the default -100), as in PyTorch`,
    );
  }
  return composite(() =>
    asRows(logits, target, reduction, (rows, probabilities) => {
      const smoothed = smoothing > 0 ? add(mul(probabilities, 1 - smoothing), smoothing / numClasses) : probabilities;
      const products = mul(logSoftmax(rows, 1), smoothed);
      const losses = neg(sum(weight ? mul(products, weight) : products, 1));
      // PyTorch divides by N here even with class weights.
      return reduction === 'none' ? losses : reduction === 'sum' ? sum(losses) : div(sum(losses), rows.shape[0]!);
    }),
  );
}

/**
 * Negative log-likelihood of log-probabilities [N,C] (or [C]) at int32 class indices [N] (or
 * a scalar): -weight[y] * logProbabilities[i, y], reduced like PyTorch.
 */
export function nllLoss(logProbabilities: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  const owner = 'nllLoss';
  const { reduction, weight, numClasses } = checkClassification(owner, 'logProbabilities', logProbabilities, options);
  if (target.dtype !== 'int32') {
    throw new DTypeError(
      `${owner}: target must be int32 class indices, got dtype ${target.dtype} (for probability targets use crossEntropy on logits)`,
    );
  }
  const ignoreIndex = checkIgnoreIndex(owner, options.ignoreIndex);
  checkIndexTarget(owner, 'logProbabilities', logProbabilities, target);
  const ignoring = checkClassIndices(owner, target, numClasses, ignoreIndex) ?? true;
  return composite(() =>
    asRows(logProbabilities, target, reduction, (rows, indices) =>
      indexTargetLoss(rows, indices, weight, reduction, 0, ignoring ? ignoreIndex : undefined),
    ),
  );
}

/**
 * The index-target loss on log-probabilities [N,C]: (1 - s) * nll + s / C * smooth per row, where
 * nll = -w[y] logp[y] and smooth = -sum_c w[c] logp[c]; PyTorch's weighted mean divides both by
 * sum_i w[y_i]. Rows whose target is `ignoreIndex` (when given: where the targets were read and
 * hold none, it is not) count for nothing, as in PyTorch.
 */
function indexTargetLoss(
  logProbabilities: Tensor,
  target: Tensor,
  weight: Tensor | undefined,
  reduction: Reduction,
  smoothing: number,
  ignoreIndex: number | undefined,
): Tensor {
  const numClasses = logProbabilities.shape[1]!;
  // An ignored target becomes -1, which selects no class: no loss term, no weight, no gradient.
  const kept = ignoreIndex === undefined ? undefined : notEqual(target, ignoreIndex);
  const indices = kept ? where(kept, target, -1) : target;
  // One-hot by comparison: an index out of range (unchecked on async backends) selects nothing.
  const classes = arange(numClasses, { dtype: 'int32', backend: target.backend });
  const selected = equal(unsqueeze(indices, 1), classes);
  const weighted = weight ? mul(logProbabilities, weight) : logProbabilities;
  // The target's term is picked with a select, not a product with the one-hot: another class
  // with logit -Infinity has log-probability -Infinity, and -Infinity * 0 is NaN (PyTorch picks).
  let losses = neg(sum(where(selected, weighted, 0), 1));
  if (smoothing > 0) {
    const smooth = neg(sum(weighted, 1));
    // Selected away, not multiplied by 0: an all-ignored 'mean' has gradient 0 * Infinity otherwise.
    losses = add(mul(losses, 1 - smoothing), mul(kept ? where(kept, smooth, 0) : smooth, smoothing / numClasses));
  }
  if (reduction === 'none') return losses;
  if (reduction === 'sum') return sum(losses);
  const count = weight
    ? sum(mul(cast(selected, weight.dtype), weight))
    : kept
      ? sum(cast(kept, logProbabilities.dtype))
      : logProbabilities.shape[0]!;
  return div(sum(losses), count);
}

/** Runs `body` on [N,C] rows; [C] inputs become one row and, unreduced, a scalar again. */
function asRows(
  input: Tensor,
  target: Tensor,
  reduction: Reduction,
  body: (rows: Tensor, target: Tensor) => Tensor,
): Tensor {
  if (input.rank === 2) return body(input, target);
  const result = body(unsqueeze(input, 0), unsqueeze(target, 0));
  return reduction === 'none' ? reshape(result, []) : result;
}

interface Checked {
  reduction: Reduction;
  weight: Tensor | undefined;
  numClasses: number;
}

function checkClassification(owner: string, role: string, input: Tensor, options: NllLossOptions): Checked {
  const reduction = checkReduction(owner, options.reduction);
  requireFloat(owner, role, input);
  if (input.rank !== 1 && input.rank !== 2) {
    throw new ShapeError(`${owner}: ${role} must have shape [N,C] or [C], got ${formatShape(input.shape)}`);
  }
  const numClasses = input.shape[input.rank - 1]!;
  const weight = options.weight;
  if (weight) {
    requireFloat(owner, 'weight', weight);
    if (!shapesEqual(weight.shape, [numClasses])) {
      throw new ShapeError(
        `${owner}: weight must have shape [${numClasses}] (one per class of ${role} ${formatShape(input.shape)}), got ${formatShape(weight.shape)}`,
      );
    }
  }
  return { reduction, weight, numClasses };
}

function checkIndexTarget(owner: string, role: string, input: Tensor, target: Tensor): void {
  if (input.rank === 2 && target.rank === 1) checkBatch(owner, role, input, target);
  const expected = input.shape.slice(0, -1);
  if (!shapesEqual(target.shape, expected)) {
    throw new ShapeError(
      `${owner}: class-index target must have shape ${formatShape(expected)} for ${role} ${formatShape(input.shape)}, got ${formatShape(target.shape)}`,
    );
  }
}

function checkBatch(owner: string, role: string, input: Tensor, target: Tensor): void {
  if (input.shape[0] !== target.shape[0]) {
    throw new ShapeError(
      `${owner}: ${role} ${formatShape(input.shape)} and target ${formatShape(target.shape)} disagree on the batch size`,
    );
  }
}
