import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { full, fullLike } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import { normalizeAxes } from '../tensor/shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { isFloat } from './dispatch.js';
import {
  abs,
  add,
  cast,
  div,
  equal,
  greater,
  isFinite,
  lessEqual,
  log,
  logicalAnd,
  logicalNot,
  logicalOr,
  maximum,
  mul,
  notEqual,
  sqrt,
  sub,
  where,
} from './elementwise.js';
import { checkNormOrder, vectorNorm } from './distance.js';
import { reshape } from './movement.js';
import { max, sum } from './reduce.js';

/*
 * Elementwise and NaN-aware utilities of torch (isnan, isinf, nan_to_num, nansum, nanmean,
 * lerp, hypot, xlogy) and torch.cdist, composed from primitives.
 */

function requireFloat(op: string, role: string, x: TensorLike): void {
  if (typeof x !== 'number' && !isFloat(x.dtype))
    throw new DTypeError(`${op}: ${role} must be a float tensor, got dtype ${x.dtype}`);
}

/** An int32 or bool tensor holds no NaN or infinity: all false, like x's shape. */
const noneOf = (x: Tensor): Tensor => fullLike(x, 0, { dtype: 'bool' });

/** torch.isnan: true where x is NaN (the one value unequal to itself). */
export const isNaN = (x: Tensor): Tensor => (isFloat(x.dtype) ? notEqual(x, x) : noneOf(x));
/** torch.isposinf: true where x is +Infinity. */
export const isPosInf = (x: Tensor): Tensor => (isFloat(x.dtype) ? equal(x, Infinity) : noneOf(x));
/** torch.isneginf: true where x is -Infinity. */
export const isNegInf = (x: Tensor): Tensor => (isFloat(x.dtype) ? equal(x, -Infinity) : noneOf(x));
/** torch.isinf: true where x is +Infinity or -Infinity. */
export const isInf = (x: Tensor): Tensor => (isFloat(x.dtype) ? composite(() => equal(abs(x), Infinity)) : noneOf(x));

export interface NanToNumOptions {
  /** What NaN becomes (default 0). */
  nan?: number;
  /** What +Infinity becomes (default the dtype's largest finite value). */
  posinf?: number;
  /** What -Infinity becomes (default the dtype's lowest finite value). */
  neginf?: number;
}

/** The largest finite value of a float dtype. */
const largestFinite = (x: Tensor): number => (x.dtype === 'float32' ? 3.4028234663852886e38 : Number.MAX_VALUE);

/**
 * torch.nan_to_num: NaN, +inf and -inf replaced by finite numbers; the gradient is 0 at the
 * replaced elements. int32 and bool tensors come back as they are (copied).
 */
export function nanToNum(x: Tensor, options: NanToNumOptions = {}): Tensor {
  for (const key of ['nan', 'posinf', 'neginf'] as const) {
    const value = options[key];
    if (value !== undefined && (typeof value !== 'number' || Number.isNaN(value)))
      throw new ArgumentError(`nanToNum: ${key} must be a number, got ${String(value)}`);
  }
  if (!isFloat(x.dtype)) return reshape(x, x.shape);
  const top = largestFinite(x);
  return composite(() => {
    const out = where(isNaN(x), options.nan ?? 0, x);
    return where(equal(x, Infinity), options.posinf ?? top, where(equal(x, -Infinity), options.neginf ?? -top, out));
  });
}

export interface NanReduceOptions {
  /** The axes to reduce (may be negative); all by default. */
  dim?: number | number[];
  /** Keep the reduced axes with size 1 (default false). */
  keepdim?: boolean;
}

/** torch.nansum: the sum over `dim` counting NaN as 0 (its gradient there is 0). */
export function nansum(x: Tensor, options: NanReduceOptions = {}): Tensor {
  const axes = normalizeAxes('nansum', options.dim, x.rank);
  if (!isFloat(x.dtype)) return sum(x, axes, options.keepdim ?? false);
  return composite(() => sum(where(isNaN(x), 0, x), axes, options.keepdim ?? false));
}

/** torch.nanmean: the mean over `dim` of the elements that are not NaN (NaN where all are). */
export function nanmean(x: Tensor, options: NanReduceOptions = {}): Tensor {
  requireFloat('nanmean', 'x', x);
  const axes = normalizeAxes('nanmean', options.dim, x.rank);
  const keepdim = options.keepdim ?? false;
  return composite(() => {
    const present = logicalNot(isNaN(x));
    return div(sum(where(present, x, 0), axes, keepdim), cast(sum(present, axes, keepdim), x.dtype));
  });
}

/**
 * torch.lerp: start + weight * (end - start), by PyTorch's formula: from `end` backwards when
 * |weight| >= 0.5, so a weight of 1 gives `end` exactly.
 */
export function lerp(start: Tensor, end: Tensor, weight: TensorLike): Tensor {
  requireFloat('lerp', 'start', start);
  requireFloat('lerp', 'end', end);
  requireFloat('lerp', 'weight', weight);
  if (start.dtype !== end.dtype)
    throw new DTypeError(`lerp: start and end must have one dtype, got ${start.dtype} and ${end.dtype}`);
  return composite(() => {
    const span = sub(end, start);
    const fromStart = add(start, mul(weight, span));
    const fromEnd = sub(end, mul(span, typeof weight === 'number' ? 1 - weight : sub(1, weight)));
    if (typeof weight === 'number') return Math.abs(weight) < 0.5 ? fromStart : fromEnd;
    return where(abs(weight).less(0.5), fromStart, fromEnd);
  });
}

/**
 * torch.hypot: sqrt(a^2 + b^2) elementwise, scaled by the larger magnitude as std::hypot is, so
 * huge values do not overflow; its gradient at a = b = 0 is NaN, as PyTorch's.
 */
export function hypot(a: Tensor, b: TensorLike): Tensor {
  requireFloat('hypot', 'a', a);
  requireFloat('hypot', 'b', b);
  return composite(() => {
    // The scale cancels out mathematically, so it needs no gradient; 0 and infinity scale by 1.
    const scale = noGrad(() => {
      const larger = maximum(abs(a), typeof b === 'number' ? Math.abs(b) : abs(b));
      return where(logicalAnd(greater(larger, 0), isFinite(larger)), larger, 1);
    });
    const x = div(a, scale);
    const y = div(b, scale);
    const scaled = mul(sqrt(add(mul(x, x), mul(y, y))), scale);
    // An infinite side makes the hypotenuse infinite even beside a NaN, as std::hypot and PyTorch.
    const other = typeof b === 'number' ? full([], b, { dtype: a.dtype, backend: a.backend }) : b;
    const infinite = noGrad(() => logicalOr(isInf(a), isInf(other)));
    return where(infinite, Infinity, scaled);
  });
}

/**
 * torch.xlogy: x * log(y), and 0 where x is 0 (NaN where y is); the gradients are PyTorch's:
 * log(y) for x, except 0 where x = 0 and y <= 0, and x / y for y.
 */
export function xlogy(x: Tensor, y: TensorLike): Tensor {
  requireFloat('xlogy', 'x', x);
  requireFloat('xlogy', 'y', y);
  return composite(() => {
    const other = typeof y === 'number' ? full([], y, { dtype: x.dtype, backend: x.backend }) : y;
    // Where x is 0 the log is not taken for y <= 0 or y = Infinity (0 * Infinity would be NaN);
    // adding 0 turns 0 * (negative log) = -0 into PyTorch's +0. NaN in y stays NaN.
    const noLog = logicalAnd(equal(x, 0), logicalOr(lessEqual(other, 0), equal(other, Infinity)));
    return add(mul(x, where(noLog, 0, log(other))), 0);
  });
}

/**
 * torch.cdist: the p-norm distances between the rows of x1 [..., P, M] and x2 [..., R, M], as
 * [..., P, R] (leading axes broadcast). p = 0 counts differing coordinates, Infinity takes the
 * largest; the gradient at a zero distance is 0, as PyTorch's.
 */
export function cdist(x1: Tensor, x2: Tensor, p = 2): Tensor {
  requireFloat('cdist', 'x1', x1);
  requireFloat('cdist', 'x2', x2);
  if (x1.dtype !== x2.dtype)
    throw new DTypeError(`cdist: x1 and x2 must have one dtype, got ${x1.dtype} and ${x2.dtype}`);
  if (x1.rank < 2 || x2.rank < 2 || x1.shape[x1.rank - 1] !== x2.shape[x2.rank - 1])
    throw new ShapeError(
      `cdist: expected x1 [..., P, M] and x2 [..., R, M] with one M, got ${formatShape(x1.shape)} and ${formatShape(x2.shape)}`,
    );
  if (p !== 0 && p !== Infinity) checkNormOrder('cdist', p);
  return composite(() => {
    // [..., P, 1, M] - [..., 1, R, M] -> [..., P, R, M]
    const difference = sub(
      reshape(x1, [...x1.shape.slice(0, -1), 1, x1.shape[x1.rank - 1]!]),
      reshape(x2, [...x2.shape.slice(0, -2), 1, ...x2.shape.slice(-2)]),
    );
    const last = difference.rank - 1;
    if (p === 0) return cast(sum(notEqual(difference, 0), last), x1.dtype);
    if (p === Infinity) return max(abs(difference), last);
    return vectorNorm(difference, last, p, false);
  });
}
