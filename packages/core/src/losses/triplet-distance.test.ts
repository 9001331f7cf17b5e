import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  MyelinError,
  TripletMarginWithDistanceLoss,
  cosineSimilarity,
  ones,
  tensor,
  threeInputLossFromConfig,
  threeInputLossInfo,
  tripletMarginWithDistanceLoss,
  type Reduction,
  type Tensor,
} from '@myelin/core';
import { PYTORCH_NN_EXTRAS } from '../ops/nn-extras-fixture.js';
import { itMatchesPyTorch } from '../ops/test-helpers.js';

// triplet_margin_with_distance_loss against PyTorch's float64 values and gradients
// (scripts/make-nn-extras-fixture.py): the default distance and a cosine one, swap, reductions.

const cosineDistance = (a: Tensor, b: Tensor) => cosineSimilarity(a, b).neg().add(1);
type Args = { distance: string | null; margin: number; swap: boolean; reduction: Reduction };

describe('tripletMarginWithDistanceLoss', () => {
  describe('matches PyTorch', () => {
    itMatchesPyTorch('function', PYTORCH_NN_EXTRAS.tripletMarginWithDistanceLoss, ([a, p, n], args) => {
      const { distance, margin, swap, reduction } = args as Args;
      return tripletMarginWithDistanceLoss(a!, p!, n!, {
        distanceFunction: distance === null ? null : cosineDistance,
        margin,
        swap,
        reduction,
      });
    });
    itMatchesPyTorch('class', PYTORCH_NN_EXTRAS.tripletMarginWithDistanceLoss, ([a, p, n], args) => {
      const { distance, margin, swap, reduction } = args as Args;
      const loss = new TripletMarginWithDistanceLoss({
        ...(distance === null ? {} : { distanceFunction: cosineDistance }),
        margin,
        swap,
        reduction,
      });
      return loss.forward(a!, p!, n!);
    });
  });

  it('round-trips its config with the default distance and refuses to save a custom one', () => {
    const loss = new TripletMarginWithDistanceLoss({ margin: 0.5, swap: true, reduction: 'sum' });
    const config = loss.config();
    expect(config).toEqual({ type: 'TripletMarginWithDistanceLoss', reduction: 'sum', margin: 0.5, swap: true });
    expect(threeInputLossFromConfig(config).config()).toEqual(config);
    expect(threeInputLossInfo('TripletMarginWithDistanceLoss')).toEqual({
      forward: 'forward(anchor, positive, negative)',
    });
    expect(() => new TripletMarginWithDistanceLoss({ distanceFunction: cosineDistance }).config()).toThrow(MyelinError);
  });

  it('rejects bad options and ranks naming the value', () => {
    const x = ones([2, 3]);
    expect(() => tripletMarginWithDistanceLoss(x, x, x, { margin: 0 })).toThrow(
      'tripletMarginWithDistanceLoss: margin must be a number > 0, got 0',
    );
    expect(() => tripletMarginWithDistanceLoss(x, x, x, { distanceFunction: 2 as never })).toThrow(
      /distanceFunction must be a function \(x1, x2\) => distances, or null for pairwiseDistance, got 2/,
    );
    expect(() => tripletMarginWithDistanceLoss(x, tensor([1, 2, 3]), x)).toThrow(/must have the same rank/);
    expect(() => new TripletMarginWithDistanceLoss({ p: 2 } as never)).toThrow(/p/);
    expect(() => threeInputLossFromConfig({ type: 'TripletMarginWithDistanceLoss', margin: -1 })).toThrow(
      /margin must be a number > 0, got -1/,
    );
  });
});
