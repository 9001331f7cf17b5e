import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { stableSoftplus } from '../ops/activation.js';
import {
  add,
  cast,
  clamp,
  equal,
  greater,
  less,
  lessEqual,
  logicalAnd,
  logicalNot,
  mul,
  neg,
  notEqual,
  sub,
  where,
} from '../ops/elementwise.js';
import { reshape, unsqueeze } from '../ops/movement.js';
import { mean, sum } from '../ops/reduce.js';
import { arange } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import { shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkClassIndices, requireBroadcastWeight, requireFloat, requireSameShape } from './checks.js';
import { checkReduction, reduce, type Reduction, type ReductionOptions } from './reduction.js';

const SIGN_TARGET_HINT = " (targets are -1 or 1: make them with .cast('float32'))";

export interface HingeEmbeddingLossOptions extends ReductionOptions {
  /** The margin a dissimilar pair's input (a distance) should reach (default 1). */
  margin?: number;
}

/**
 * Hinge embedding loss (torch.nn.functional.hinge_embedding_loss) of an input, usually a
 * distance, against targets of -1 and 1: the input where the target is 1, max(0, margin - input)
 * where it is -1. As in PyTorch a target that is neither counts as both (the sum of the two) and
 * the clamp's gradient at input = margin is -1. Unlike PyTorch (which broadcasts), the input and
 * target need the same shape.
 */
export function hingeEmbeddingLoss(input: Tensor, target: Tensor, options: HingeEmbeddingLossOptions = {}): Tensor {
  const owner = 'hingeEmbeddingLoss';
  const reduction = checkPair(owner, input, target, options);
  const margin = finiteNumber(owner, 'margin', options.margin ?? 1);
  return composite(() => {
    const dissimilar = where(notEqual(target, 1), clamp(sub(margin, input), 0, null), 0);
    const similar = where(notEqual(target, -1), input, 0);
    return reduce(add(dissimilar, similar), reduction);
  });
}

/**
 * Soft margin loss (torch.nn.functional.soft_margin_loss): log(1 + exp(-target * input)) with
 * targets -1 or 1, the logistic loss of a two-class score; computed stably for any input.
 * Unlike PyTorch (which broadcasts), the input and target need the same shape.
 */
export function softMarginLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const reduction = checkPair('softMarginLoss', input, target, options);
  return composite(() => reduce(stableSoftplus(neg(mul(input, target))), reduction));
}

export interface MultiLabelSoftMarginLossOptions extends ReductionOptions {
  /** One weight per class ([C], or anything that broadcasts to the input's shape). */
  weight?: Tensor;
}

/**
 * Multi-label soft margin loss (torch.nn.functional.multilabel_soft_margin_loss): per sample, the
 * mean over its C classes (the last axis) of the logistic loss -(y log sigmoid(x) + (1 - y)
 * log sigmoid(-x)), times the class weight; input [N,C] (or [C]) of scores, target of the same
 * shape holding 0/1 per class. 'none' gives one loss per sample.
 */
export function multiLabelSoftMarginLoss(
  input: Tensor,
  target: Tensor,
  options: MultiLabelSoftMarginLossOptions = {},
): Tensor {
  const owner = 'multiLabelSoftMarginLoss';
  const reduction = checkReduction(owner, options.reduction);
  requireFloat(owner, 'input', input);
  requireFloat(owner, 'target', target, " (multi-label targets are 0/1 floats: cast them with .cast('float32'))");
  if (input.rank === 0)
    throw new ShapeError(`${owner}: input must have shape [N,C] or [C] (classes on the last axis), got a scalar`);
  requireSameShape(owner, input, target);
  const weight = options.weight;
  if (weight) requireBroadcastWeight(owner, 'weight', weight, input);
  const classes = input.shape[input.rank - 1]!;
  return composite(() => {
    // -log sigmoid(x) = softplus(-x); -log sigmoid(-x) = softplus(x).
    const terms = add(mul(target, stableSoftplus(neg(input))), mul(sub(1, target), stableSoftplus(input)));
    const perSample = mul(sum(weight ? mul(terms, weight) : terms, input.rank - 1), 1 / classes);
    return reduce(perSample, reduction);
  });
}

export interface MultiMarginLossOptions extends ReductionOptions {
  /** 1 (default: the hinge) or 2 (its square). */
  p?: 1 | 2;
  /** How far the target's score should lead every other class's (default 1). */
  margin?: number;
  /** One weight per class, [C]: a sample's terms are scaled by its target class's weight. */
  weight?: Tensor;
}

/**
 * Multi-class margin loss (torch.nn.functional.multi_margin_loss): for scores x of C classes
 * and a target class y, sum over j != y of max(0, margin - x[y] + x[j])^p, times weight[y],
 * divided by C. Input [N,C] with int32 class indices [N], or [C] with a scalar (or [1]) target;
 * 'none' gives the target's shape. Class indices outside 0..C-1 throw where the target is read
 * without stalling a device (as PyTorch); elsewhere such a row has no target score (x[y] = 0).
 * As in PyTorch's kernel, a term at exactly 0 has gradient 0.
 */
export function multiMarginLoss(input: Tensor, target: Tensor, options: MultiMarginLossOptions = {}): Tensor {
  const owner = 'multiMarginLoss';
  const reduction = checkReduction(owner, options.reduction);
  requireFloat(owner, 'input', input);
  const p = options.p ?? 1;
  if (p !== 1 && p !== 2) throw new ArgumentError(`${owner}: p must be 1 or 2, got ${String(p)}`);
  const margin = finiteNumber(owner, 'margin', options.margin ?? 1);
  if (input.rank !== 1 && input.rank !== 2)
    throw new ShapeError(`${owner}: input must have shape [N,C] or [C], got ${formatShape(input.shape)}`);
  const classes = input.shape[input.rank - 1]!;
  const rows = input.rank === 2 ? input.shape[0]! : 1;
  requireIndexTarget(owner, target);
  const expected = input.rank === 2 ? [rows] : [];
  if (!shapesEqual(target.shape, expected) && !(input.rank === 1 && shapesEqual(target.shape, [1]))) {
    throw new ShapeError(
      `${owner}: class-index target must have shape ${formatShape(expected)}${input.rank === 1 ? ' or [1]' : ''} for input ${formatShape(input.shape)}, got ${formatShape(target.shape)}`,
    );
  }
  const weight = options.weight;
  if (weight) {
    requireFloat(owner, 'weight', weight);
    if (!shapesEqual(weight.shape, [classes]))
      throw new ShapeError(
        `${owner}: weight must have shape [${classes}] (one per class of input ${formatShape(input.shape)}), got ${formatShape(weight.shape)}`,
      );
  }
  checkClassIndices(owner, target, classes);
  return composite(() => {
    const scores = reshape(input, [rows, classes]);
    const indices = reshape(target, [rows, 1]);
    const selected = equal(indices, arange(classes, { dtype: 'int32', backend: target.backend }));
    const targetScore = sum(where(selected, scores, 0), 1, true);
    // The target's own column is left out (it would add the margin); where, not clamp: 0 at a tie, like the kernel.
    const z = where(selected, 0, add(sub(margin, targetScore), scores));
    let terms = where(greater(z, 0), z, 0);
    if (p === 2) terms = mul(terms, terms);
    if (weight) terms = mul(terms, sum(where(selected, weight, 0), 1, true));
    const losses = mul(sum(terms, 1), 1 / classes);
    if (reduction === 'none') return reshape(losses, target.shape);
    return reduction === 'sum' ? sum(losses) : mean(losses);
  });
}

/**
 * Multi-label margin loss (torch.nn.functional.multilabel_margin_loss): each sample's target
 * row lists its classes, int32, ending at the first -1 (the rest of the row is padding); the
 * loss is the sum over its target classes j and the classes k not among them of
 * max(0, 1 - (x[j] - x[k])), divided by C. Input [N,C] (or [C]) with a target of the same shape;
 * 'none' gives one loss per sample. Values outside -1..C-1 (anywhere in the row, as PyTorch
 * checks) throw where the target is read without stalling a device; a class listed twice counts
 * twice, as in PyTorch's kernel.
 */
export function multiLabelMarginLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const owner = 'multiLabelMarginLoss';
  const reduction = checkReduction(owner, options.reduction);
  requireFloat(owner, 'input', input);
  if (input.rank !== 1 && input.rank !== 2)
    throw new ShapeError(`${owner}: input must have shape [N,C] or [C], got ${formatShape(input.shape)}`);
  requireIndexTarget(owner, target);
  if (!shapesEqual(input.shape, target.shape))
    throw new ShapeError(
      `${owner}: target ${formatShape(target.shape)} must have the input's shape ${formatShape(input.shape)} (each row: class indices, padded with -1)`,
    );
  const classes = input.shape[input.rank - 1]!;
  const rows = input.rank === 2 ? input.shape[0]! : 1;
  checkClassIndices(owner, target, classes, -1, 'the padding');
  return composite(() => {
    const scores = reshape(input, [rows, classes]);
    const labels = reshape(target, [rows, classes]);
    const positions = arange(classes, { dtype: 'int32', backend: target.backend });
    // Counted in the input's float dtype, not int32: tfjs-webgpu 4.22 sums int32 over a non-last
    // axis wrongly (its transpose shader expects f32). Small integers are exact in float32.
    const dtype = input.dtype;
    // A position counts while no -1 came at or before it: padding[i, e] and e <= d, summed over e.
    const padding = cast(unsqueeze(less(labels, 0), 2), dtype);
    const atOrBefore = cast(lessEqual(unsqueeze(positions, 1), positions), dtype);
    const listed = equal(sum(mul(padding, atOrBefore), 1), 0);
    // How often each class is listed: [rows, position, class] matches, summed over positions.
    const matches = logicalAnd(equal(unsqueeze(labels, 2), positions), unsqueeze(listed, 2));
    const counts = sum(cast(matches, dtype), 1);
    const others = cast(logicalNot(greater(counts, 0)), dtype);
    // z[i, j, k] = 1 - x[j] + x[k]; the kernel adds it where z > 0 (gradient 0 at a tie).
    const z = add(sub(1, unsqueeze(scores, 2)), unsqueeze(scores, 1));
    const pairs = mul(unsqueeze(counts, 2), unsqueeze(others, 1));
    const losses = mul(sum(mul(where(greater(z, 0), z, 0), pairs), [1, 2]), 1 / classes);
    if (reduction === 'none') return input.rank === 2 ? losses : reshape(losses, []);
    return reduction === 'sum' ? sum(losses) : mean(losses);
  });
}

function checkPair(owner: string, input: Tensor, target: Tensor, options: ReductionOptions): Reduction {
  const reduction = checkReduction(owner, options.reduction);
  requireFloat(owner, 'input', input);
  requireFloat(owner, 'target', target, SIGN_TARGET_HINT);
  requireSameShape(owner, input, target);
  return reduction;
}

function requireIndexTarget(owner: string, target: Tensor): void {
  if (target.dtype !== 'int32')
    throw new DTypeError(`${owner}: target must be int32 class indices, got dtype ${target.dtype}`);
}

/** A loss option that must be a finite number (a margin). */
export function finiteNumber(owner: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ArgumentError(`${owner}: ${name} must be a finite number, got ${String(value)}`);
  return value;
}
