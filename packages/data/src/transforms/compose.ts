import type { Transform, TransformContext } from '../dataset.js';
import { DataError } from '../errors.js';
import { drawSeed } from '../random-split.js';
import { Draws, STREAMS, checkProbability, checkSeed } from './augment.js';
import { fuseSteps } from './basic.js';

/**
 * Applies transforms left to right, like torchvision.transforms.Compose. A toFloat followed by a
 * normalize runs as one pass over the values (the same results).
 */
export function compose<T>(...transforms: readonly Transform<T, T>[]): Transform<T, T> {
  const steps = fuseSteps(transforms);
  return (value: T, context: TransformContext): T => {
    let result = value;
    for (const transform of steps) result = transform(result, context);
    return result;
  };
}

export interface RandomApplyOptions {
  /** Probability of applying the transforms (default 0.5). */
  p?: number;
  /** Default: drawn from core's default generator. */
  seed?: number;
}

/** Applies the transforms, in order, with probability p, else none of them (torchvision's RandomApply). */
export function randomApply<T>(
  transforms: readonly Transform<T, T>[],
  options: RandomApplyOptions = {},
): Transform<T, T> {
  checkTransforms(transforms, 'randomApply');
  const p = checkProbability(options.p, 0.5, 'randomApply');
  const draws = new Draws(checkSeed(options.seed ?? drawSeed(), 'randomApply'), STREAMS.apply);
  const all = compose(...transforms);
  return (value, context) => (draws.at(context).uniform() < p ? all(value, context) : value);
}

export interface RandomChoiceOptions {
  /** Relative weights of the transforms (default equal); non-negative, finite, not all zero. */
  p?: readonly number[];
  /** Default: drawn from core's default generator. */
  seed?: number;
}

/** Applies one of the transforms, picked per sample with probabilities proportional to `p` (torchvision's RandomChoice). */
export function randomChoice<T>(
  transforms: readonly Transform<T, T>[],
  options: RandomChoiceOptions = {},
): Transform<T, T> {
  checkTransforms(transforms, 'randomChoice');
  const weights = options.p ?? transforms.map(() => 1);
  const total = Array.isArray(weights) ? weights.reduce((a, b) => a + b, 0) : NaN;
  if (weights.length !== transforms.length || !weights.every((w) => Number.isFinite(w) && w >= 0) || !(total > 0))
    throw new DataError({
      source: 'randomChoice',
      expected: `p: ${transforms.length} finite non-negative weights, not all zero`,
      found: JSON.stringify(weights),
    });
  const draws = new Draws(checkSeed(options.seed ?? drawSeed(), 'randomChoice'), STREAMS.choice);
  return (value, context) => {
    let target = draws.at(context).uniform() * total;
    let pick = 0;
    // The first transform whose cumulative weight exceeds the draw; zero weights are never picked.
    while (pick < transforms.length - 1 && (target >= weights[pick]! || weights[pick] === 0))
      target -= weights[pick++]!;
    return transforms[pick]!(value, context);
  };
}

function checkTransforms(transforms: readonly unknown[], name: string): void {
  if (!Array.isArray(transforms) || transforms.length === 0 || !transforms.every((t) => typeof t === 'function'))
    throw new DataError({ source: name, expected: 'a non-empty list of transforms', found: String(transforms) });
}
