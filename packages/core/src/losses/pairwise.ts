import { ShapeError, formatShape } from '../errors.js';
import { checkBoolean } from '../nn/checks.js';
import { checkNormOrder, pairwiseDistance } from '../ops/distance.js';
import { add, clamp, div, equal, minimum, mul, neg, sqrt, sub, where } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { composite } from '../tensor/scope.js';
import { shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { requireFloat } from './checks.js';
import { finiteNumber } from './margin.js';
import { checkReduction, reduce, type ReductionOptions } from './reduction.js';

// The losses on three tensors: two inputs and a -1/1 target, or an anchor with a positive and a
// negative example. They do not fit a training loop's (input, target) loss slot; see the classes.

/** PyTorch's EPSILON of cosine_embedding_loss: 1e-12 as a float (9.99999996e-13), also in float64. */
const EPSILON = Math.fround(1e-12);

const SIGN_TARGET_HINT = " (targets are -1 or 1: make them with .cast('float32'))";

export interface MarginOptions extends ReductionOptions {
  /** The margin (default 0). */
  margin?: number;
}

/**
 * Cosine embedding loss (torch.nn.functional.cosine_embedding_loss): with c the cosine of
 * x1 and x2 along their last axis, 1 - c where the target is 1 and max(0, c - margin) where it
 * is -1 (0 for any other target value, as in PyTorch). x1 and x2 are [N,D] with a target [N], or
 * [D] with a scalar target. The cosine is PyTorch's: sum(x1 x2) / sqrt((|x1|^2 + 1e-12)
 * (|x2|^2 + 1e-12)), its 1e-12 rounded to float32 as in PyTorch. Unlike PyTorch (which broadcasts), x1 and x2 need the same shape.
 */
export function cosineEmbeddingLoss(x1: Tensor, x2: Tensor, target: Tensor, options: MarginOptions = {}): Tensor {
  const owner = 'cosineEmbeddingLoss';
  const reduction = checkReduction(owner, options.reduction);
  const margin = finiteNumber(owner, 'margin', options.margin ?? 0);
  requireFloat(owner, 'x1', x1);
  requireFloat(owner, 'x2', x2);
  requireFloat(owner, 'target', target, SIGN_TARGET_HINT);
  if (target.rank > 1)
    throw new ShapeError(`${owner}: target must be [N] or a scalar, got ${formatShape(target.shape)}`);
  const rank = target.rank + 1;
  const expected = target.rank === 1 ? `[${target.shape[0]},D]` : '[D]';
  if (x1.rank !== rank || !shapesEqual(x1.shape, x2.shape) || (rank === 2 && x1.shape[0] !== target.shape[0])) {
    throw new ShapeError(
      `${owner}: x1 ${formatShape(x1.shape)} and x2 ${formatShape(x2.shape)} must both be ${expected} for target ${formatShape(target.shape)}`,
    );
  }
  return composite(() => {
    const axis = rank - 1;
    const product = sum(mul(x1, x2), axis);
    const squared1 = add(sum(mul(x1, x1), axis), EPSILON);
    const squared2 = add(sum(mul(x2, x2), axis), EPSILON);
    const cosine = div(product, sqrt(mul(squared1, squared2)));
    const similar = where(equal(target, 1), sub(1, cosine), 0);
    const dissimilar = where(equal(target, -1), clamp(sub(cosine, margin), 0, null), 0);
    return reduce(add(similar, dissimilar), reduction);
  });
}

/**
 * Margin ranking loss (torch.nn.functional.margin_ranking_loss): max(0, -target (x1 - x2) +
 * margin) with targets -1 or 1 (1: x1 should rank higher). Unlike PyTorch (which broadcasts
 * tensors of one rank), x1, x2 and the target need the same shape.
 */
export function marginRankingLoss(x1: Tensor, x2: Tensor, target: Tensor, options: MarginOptions = {}): Tensor {
  const owner = 'marginRankingLoss';
  const reduction = checkReduction(owner, options.reduction);
  const margin = finiteNumber(owner, 'margin', options.margin ?? 0);
  requireFloat(owner, 'x1', x1);
  requireFloat(owner, 'x2', x2);
  requireFloat(owner, 'target', target, SIGN_TARGET_HINT);
  if (!shapesEqual(x1.shape, x2.shape) || !shapesEqual(x1.shape, target.shape)) {
    throw new ShapeError(
      `${owner}: x1 ${formatShape(x1.shape)}, x2 ${formatShape(x2.shape)} and target ${formatShape(target.shape)} must have the same shape`,
    );
  }
  return composite(() => reduce(clamp(add(mul(neg(target), sub(x1, x2)), margin), 0, null), reduction));
}

export interface TripletMarginLossOptions extends ReductionOptions {
  /** How much farther the negative should be than the positive (default 1). */
  margin?: number;
  /** The distance's norm order (default 2): see pairwiseDistance. */
  p?: number;
  /** Added to each difference before the norm (default 1e-6): see pairwiseDistance. */
  eps?: number;
  /** Use the smaller of d(anchor, negative) and d(positive, negative) (default false): the distance swap. */
  swap?: boolean;
}

/**
 * Triplet margin loss (torch.nn.functional.triplet_margin_loss): max(0, margin + d(anchor,
 * positive) - d(anchor, negative)) with d the pairwiseDistance (p, eps) along the last axis,
 * [N,D] rows (or [D]). The three need the same rank and shapes that broadcast, as in PyTorch.
 */
export function tripletMarginLoss(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options: TripletMarginLossOptions = {},
): Tensor {
  const owner = 'tripletMarginLoss';
  const reduction = checkReduction(owner, options.reduction);
  const margin = finiteNumber(owner, 'margin', options.margin ?? 1);
  const p = checkNormOrder(owner, options.p ?? 2);
  const eps = finiteNumber(owner, 'eps', options.eps ?? 1e-6);
  const swap = checkBoolean(`${owner}: swap`, options.swap ?? false);
  requireFloat(owner, 'anchor', anchor);
  requireFloat(owner, 'positive', positive);
  requireFloat(owner, 'negative', negative);
  if (anchor.rank !== positive.rank || anchor.rank !== negative.rank)
    throw new ShapeError(
      `${owner}: anchor ${formatShape(anchor.shape)}, positive ${formatShape(positive.shape)} and negative ${formatShape(negative.shape)} must have the same rank`,
    );
  return composite(() => {
    const distance = (a: Tensor, b: Tensor): Tensor => pairwiseDistance(a, b, { p, eps });
    const toPositive = distance(anchor, positive);
    let toNegative = distance(anchor, negative);
    if (swap) toNegative = minimum(toNegative, distance(positive, negative));
    return reduce(clamp(sub(add(toPositive, margin), toNegative), 0, null), reduction);
  });
}
