import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { checkBoolean, describeValue } from '../nn/checks.js';
import { pairwiseDistance } from '../ops/distance.js';
import { add, clamp, minimum, sub } from '../ops/elementwise.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { finiteNumber } from './margin.js';
import { checkReduction, reduce, type ReductionOptions } from './reduction.js';

/** A distance between the rows of two tensors (one value per row), as TripletMarginWithDistanceLoss calls it. */
export type DistanceFunction = (x1: Tensor, x2: Tensor) => Tensor;

export interface TripletMarginWithDistanceLossOptions extends ReductionOptions {
  /** d(x1, x2) per row (default: pairwiseDistance, the Euclidean distance). */
  distanceFunction?: DistanceFunction | null;
  /** The margin the negative must be farther than the positive by (default 1; must be > 0). */
  margin?: number;
  /** Use the smaller of d(anchor, negative) and d(positive, negative) (default false). */
  swap?: boolean;
}

/** The options checked once, for the function and the class. */
export function tripletDistanceOptions(owner: string, options: TripletMarginWithDistanceLossOptions) {
  const reduction = checkReduction(owner, options.reduction);
  const margin = finiteNumber(owner, 'margin', options.margin ?? 1);
  if (margin <= 0) throw new ArgumentError(`${owner}: margin must be a number > 0, got ${margin}`);
  const swap = checkBoolean(`${owner}: swap`, options.swap ?? false);
  const given = options.distanceFunction ?? null;
  if (given !== null && typeof given !== 'function')
    throw new ArgumentError(
      `${owner}: distanceFunction must be a function (x1, x2) => distances, or null for pairwiseDistance, got ${describeValue(given)}`,
    );
  return { reduction, margin, swap, distanceFunction: given };
}

/**
 * torch.nn.functional.triplet_margin_with_distance_loss: max(0, margin + d(anchor, positive) -
 * d(anchor, negative)) with any distance d (default pairwiseDistance), reduced. The three need
 * the same rank, as in torch.
 */
export function tripletMarginWithDistanceLoss(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options: TripletMarginWithDistanceLossOptions = {},
): Tensor {
  const owner = 'tripletMarginWithDistanceLoss';
  const { reduction, margin, swap, distanceFunction } = tripletDistanceOptions(owner, options);
  if (anchor.rank !== positive.rank || anchor.rank !== negative.rank)
    throw new ShapeError(
      `${owner}: anchor ${formatShape(anchor.shape)}, positive ${formatShape(positive.shape)} and negative ${formatShape(negative.shape)} must have the same rank`,
    );
  const distance = distanceFunction ?? ((a: Tensor, b: Tensor) => pairwiseDistance(a, b));
  return composite(() => {
    const toPositive = distance(anchor, positive);
    let toNegative = distance(anchor, negative);
    if (swap) toNegative = minimum(toNegative, distance(positive, negative));
    return reduce(clamp(sub(add(toPositive, margin), toNegative), 0, null), reduction);
  });
}
