import { DTypeError, ShapeError, formatShape } from '../errors.js';
import { checkBoolean, checkNumber, checkOptions } from '../nn/checks.js';
import { fromHost } from '../tensor/creation.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { isFloat } from './dispatch.js';
import { add, mul } from './elementwise.js';

export interface DropoutArgs {
  /** Apply it (default true); false returns the input, as PyTorch's `training=False`. */
  training?: boolean;
  /** Draws the mask; the default generator otherwise (whose state checkpoints save). */
  generator?: Generator;
}

/**
 * torch.nn.functional.dropout: zeroes each element with probability p and scales the rest by
 * 1 / (1 - p), so the expected value is unchanged. The mask comes from the seeded host generator,
 * so a seed gives the same mask on every backend. p = 1 zeroes all.
 */
export function dropout(x: Tensor, p = 0.5, args: DropoutArgs = {}): Tensor {
  checkOptions('dropout', args, ['training', 'generator']);
  checkNumber('dropout: p', p, { min: 0, max: 1 });
  if (!checkBoolean('dropout: training', args.training ?? true) || p === 0) return x;
  if (!isFloat(x.dtype)) throw new DTypeError(`dropout: expected a float input, got dtype ${x.dtype}`);
  const mask = (args.generator ?? defaultGenerator).uniform(x.size);
  // The scale is folded into the mask on the host, as PyTorch does: one upload, one multiply.
  const scale = p === 1 ? 0 : 1 / (1 - p);
  for (let i = 0; i < mask.length; i++) mask[i] = mask[i]! >= p ? scale : 0;
  return composite(() => mul(x, fromHost(mask, x.shape, { dtype: x.dtype, backend: x.backend })));
}

/**
 * The shape of a feature (channel) mask of x: [N, C, 1, ...] for batched input of rank
 * `batchedRank`, [C, 1, ...] for unbatched input of one less (PyTorch's make_feature_noise).
 * `batchedRank` null takes any rank >= 2 as batched (FeatureAlphaDropout).
 */
function featureMaskShape(op: string, x: Tensor, batchedRank: number | null): number[] {
  const ok = batchedRank === null ? x.rank >= 2 : x.rank === batchedRank || x.rank === batchedRank - 1;
  if (!ok) {
    const expected =
      batchedRank === null
        ? 'input of rank >= 2 ([N, C, *])'
        : `[N, C, ${batchedRank - 2}-D features] or unbatched [C, ...] input (rank ${batchedRank} or ${batchedRank - 1})`;
    throw new ShapeError(`${op}: expected ${expected}, got shape ${formatShape(x.shape)}`);
  }
  const leading = batchedRank === null || x.rank === batchedRank ? 2 : 1;
  return x.shape.map((d, i) => (i < leading ? d : 1));
}

/** Uniform draws for a mask of `shape`: true (kept) where the draw is >= p, as `dropout`. */
function keepMask(shape: readonly number[], p: number, generator: Generator | undefined): boolean[] {
  const draws = (generator ?? defaultGenerator).uniform(shape.reduce((a, d) => a * d, 1));
  return Array.from(draws, (u) => u >= p);
}

function checkDropout(op: string, x: Tensor, p: number, args: DropoutArgs): boolean {
  checkOptions(op, args, ['training', 'generator']);
  checkNumber(`${op}: p`, p, { min: 0, max: 1 });
  if (!checkBoolean(`${op}: training`, args.training ?? true) || p === 0) return false;
  if (!isFloat(x.dtype)) throw new DTypeError(`${op}: expected a float input, got dtype ${x.dtype}`);
  return true;
}

/**
 * Dropout of whole channels (feature maps) with probability p, the rest scaled by 1 / (1 - p):
 * PyTorch's dropout1d / dropout2d / dropout3d for `features` 1, 2 or 3 spatial axes, on
 * [N, C, ...] or unbatched [C, ...] input. The identity when not training.
 */
export function featureDropout(x: Tensor, p: number, features: 1 | 2 | 3, args: DropoutArgs = {}): Tensor {
  const op = `dropout${features}d`;
  const shape = featureMaskShape(op, x, features + 2);
  if (!checkDropout(op, x, p, args)) return x;
  const scale = p === 1 ? 0 : 1 / (1 - p);
  const mask = Float64Array.from(keepMask(shape, p, args.generator), (keep) => (keep ? scale : 0));
  return composite(() => mul(x, fromHost(mask, shape, { dtype: x.dtype, backend: x.backend })));
}

/** torch.nn.functional.dropout1d: whole channels of [N, C, L] or [C, L]. */
export const dropout1d = (x: Tensor, p = 0.5, args: DropoutArgs = {}): Tensor => featureDropout(x, p, 1, args);
/** torch.nn.functional.dropout2d: whole channels of [N, C, H, W] or [C, H, W]. */
export const dropout2d = (x: Tensor, p = 0.5, args: DropoutArgs = {}): Tensor => featureDropout(x, p, 2, args);
/** torch.nn.functional.dropout3d: whole channels of [N, C, D, H, W] or [C, D, H, W]. */
export const dropout3d = (x: Tensor, p = 0.5, args: DropoutArgs = {}): Tensor => featureDropout(x, p, 3, args);

/** SELU's alpha * scale: the value SELU tends to for very negative inputs, negated. */
const ALPHA_PRIME = 1.7580993408473766;

/**
 * Alpha dropout with a mask of `shape` (x's own, or a feature mask), as ATen's: dropped entries
 * take SELU's negative saturation -alpha', and an affine map a x + b keeps a zero-mean,
 * unit-variance input so: a = 1 / sqrt((alpha'^2 p + 1)(1 - p)), b = a alpha' p on kept ones
 * and a alpha' (p - 1) on dropped ones. p = 1 gives zeros.
 */
function alphaDropoutWith(x: Tensor, p: number, shape: readonly number[], generator: Generator | undefined): Tensor {
  if (p === 1) return composite(() => mul(x, 0));
  const a = 1 / Math.sqrt((ALPHA_PRIME * ALPHA_PRIME * p + 1) * (1 - p));
  const keep = keepMask(shape, p, generator);
  const scale = Float64Array.from(keep, (k) => (k ? a : 0));
  const shift = Float64Array.from(keep, (k) => (k ? a * ALPHA_PRIME * p : a * ALPHA_PRIME * (p - 1)));
  const creation = { dtype: x.dtype, backend: x.backend };
  return composite(() => add(mul(x, fromHost(scale, shape, creation)), fromHost(shift, shape, creation)));
}

/**
 * torch.nn.functional.alpha_dropout (for SELU networks): keeps the input's mean and variance
 * instead of scaling by 1 / (1 - p); each element dropped with probability p. The identity
 * when not training.
 */
export function alphaDropout(x: Tensor, p = 0.5, args: DropoutArgs = {}): Tensor {
  if (!checkDropout('alphaDropout', x, p, args)) return x;
  return alphaDropoutWith(x, p, x.shape, args.generator);
}

/** torch.nn.functional.feature_alpha_dropout: alpha dropout of whole channels of [N, C, *]. */
export function featureAlphaDropout(x: Tensor, p = 0.5, args: DropoutArgs = {}): Tensor {
  const shape = featureMaskShape('featureAlphaDropout', x, null);
  if (!checkDropout('featureAlphaDropout', x, p, args)) return x;
  return alphaDropoutWith(x, p, shape, args.generator);
}
