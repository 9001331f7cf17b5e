import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, DTypeError } from '../errors.js';
import { composite } from '../tensor/scope.js';
import { broadcastShapes, normalizeAxis, shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { isFloat } from './dispatch.js';
import { abs, add, div, equal, maximum, mul, pow, sqrt, sub, where } from './elementwise.js';
import { expand, reshape } from './movement.js';
import { sum } from './reduce.js';

export interface CosineSimilarityOptions {
  /** The axis the vectors lie along (default 1, as PyTorch; negative counts from the end of the broadcast shape). */
  dim?: number;
  /** Each norm is taken as at least eps (default 1e-8). */
  eps?: number;
}

/**
 * Cosine similarity along `dim` (torch.nn.functional.cosine_similarity, PyTorch 1.13):
 * sum(x1 / max(|x1|, eps) * x2 / max(|x2|, eps)) over `dim`, after broadcasting x1 and x2
 * together; the result has the broadcast shape without `dim`. The gradient is PyTorch's at the
 * clamp too: PyTorch clamps each norm in place under no_grad, so the norm's own backward sees
 * the clamped value, and d max(|x|, eps) / dx counts as x / max(|x|, eps) (0 at x = 0).
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, options: CosineSimilarityOptions = {}): Tensor {
  const owner = 'cosineSimilarity';
  requireFloatPair(owner, x1, x2);
  const eps = nonNegative(owner, 'eps', options.eps ?? 1e-8);
  const shape = broadcastShapes(owner, x1.shape, x2.shape);
  const dim = options.dim ?? 1;
  if (typeof dim !== 'number' || !Number.isInteger(dim))
    throw new ArgumentError(`${owner}: dim must be an integer, got ${String(dim)}`);
  const axis = normalizeAxis(owner, dim, shape.length);
  if (shape.length === 0)
    throw new ArgumentError(`${owner}: x1 and x2 are scalars; cosine similarity needs vectors along dim ${dim}`);
  return composite(() => {
    const a = shapesEqual(x1.shape, shape) ? x1 : expand(x1, shape);
    const b = shapesEqual(x2.shape, shape) ? x2 : expand(x2, shape);
    const unitA = div(a, clampedNorm(a, axis, eps));
    const unitB = div(b, clampedNorm(b, axis, eps));
    return sum(mul(unitA, unitB), axis);
  });
}

export interface PairwiseDistanceOptions {
  /** The norm's order (default 2); any finite p > 0 (1 is the Manhattan, 2 the Euclidean distance). */
  p?: number;
  /** Added to every difference before the norm (default 1e-6), as in PyTorch. */
  eps?: number;
  /** Keep the last axis, with size 1 (default false). */
  keepdim?: boolean;
}

/**
 * The p-norm distance between rows (torch.nn.functional.pairwise_distance, PyTorch 1.13):
 * ||x1 - x2 + eps||_p over the last axis of the broadcast shape. Note where eps goes: it is
 * added to each difference (not a clamp of the norm), so equal inputs are sqrt(D) * eps apart
 * for p = 2. The gradient of a zero norm is 0, as in PyTorch.
 */
export function pairwiseDistance(x1: Tensor, x2: Tensor, options: PairwiseDistanceOptions = {}): Tensor {
  const owner = 'pairwiseDistance';
  requireFloatPair(owner, x1, x2);
  const p = checkNormOrder(owner, options.p ?? 2);
  const eps = finite(owner, 'eps', options.eps ?? 1e-6);
  const keepdim = options.keepdim ?? false;
  if (typeof keepdim !== 'boolean')
    throw new ArgumentError(`${owner}: keepdim must be true or false, got ${String(keepdim)}`);
  const shape = broadcastShapes(owner, x1.shape, x2.shape);
  return composite(() => {
    const difference = add(sub(x1, x2), eps);
    // A scalar pair is a vector of one (PyTorch reduces a 0-d tensor over axis -1).
    if (shape.length === 0) return reshape(vectorNorm(reshape(difference, [1]), 0, p, false), []);
    return vectorNorm(difference, shape.length - 1, p, keepdim);
  });
}

export interface NormalizeOptions {
  /** The norm's order (default 2); any finite p > 0. */
  p?: number;
  /** The axis normalised (default 1, as PyTorch's; may be negative). */
  dim?: number;
  /** The smallest divisor (default 1e-12): a zero vector stays zero. */
  eps?: number;
}

/**
 * torch.nn.functional.normalize: x divided by its p-norm over `dim`, clamped below at `eps`
 * (x / max(||x||_p, eps)), so rows become unit vectors (embeddings for cosine similarity,
 * contrastive losses). Where the norm is below eps its gradient is 0, as clamp_min's in PyTorch.
 */
export function normalize(x: Tensor, options: NormalizeOptions = {}): Tensor {
  const owner = 'normalize';
  if (!isFloat(x.dtype)) throw new DTypeError(`${owner}: x must be a float tensor, got dtype ${x.dtype}`);
  const p = checkNormOrder(owner, options.p ?? 2);
  const eps = nonNegative(owner, 'eps', options.eps ?? 1e-12);
  const dim = options.dim ?? 1;
  if (typeof dim !== 'number' || !Number.isInteger(dim))
    throw new ArgumentError(`${owner}: dim must be an integer, got ${String(dim)}`);
  if (x.rank === 0) throw new ArgumentError(`${owner}: x is a scalar; normalize needs vectors along dim ${dim}`);
  const axis = normalizeAxis(owner, dim, x.rank);
  return composite(() => div(x, maximum(vectorNorm(x, axis, p, true), eps)));
}

/** A norm order: a finite number > 0. */
export function checkNormOrder(owner: string, p: unknown): number {
  if (typeof p !== 'number' || !(p > 0) || !Number.isFinite(p))
    throw new ArgumentError(`${owner}: p must be a finite number > 0, got ${String(p)}`);
  return p;
}

/**
 * The p-norm over one axis, with PyTorch's gradient: 0 where the norm is 0 (its derivative there
 * is undefined; the square root of 0 would give NaN). Call inside a composite.
 */
export function vectorNorm(x: Tensor, axis: number, p: number, keepdim: boolean): Tensor {
  if (p === 1) return sum(abs(x), axis, keepdim);
  const powers = p === 2 ? mul(x, x) : pow(abs(x), p);
  const total = sum(powers, axis, keepdim);
  const zero = equal(total, 0);
  const safe = where(zero, 1, total);
  return where(zero, 0, p === 2 ? sqrt(safe) : pow(safe, 1 / p));
}

/**
 * The 2-norm of x over `axis` (kept) clamped at eps, with the gradient x / max(|x|, eps): the value
 * of a + (c - a) with c = max(|x|, eps) held constant and a = |x|^2 / 2c, whose gradient is x / c.
 * Call inside a composite.
 */
function clampedNorm(x: Tensor, axis: number, eps: number): Tensor {
  const squares = sum(mul(x, x), axis, true);
  const clamped = noGrad(() => maximum(sqrt(squares), eps));
  // eps 0 and a zero vector: any divisor will do for the gradient, as x is 0 there.
  const divisor = noGrad(() => where(equal(clamped, 0), 1, clamped));
  const half = div(squares, mul(divisor, 2));
  return add(
    half,
    noGrad(() => sub(clamped, half)),
  );
}

/**
 * max(x, min) in value, x in gradient: PyTorch's `clamp_` under no_grad of a norm it then
 * divides by (cosine_similarity, gaussian_nll_loss). Call inside a composite.
 */
export function clampedStraightThrough(x: Tensor, min: number): Tensor {
  return add(
    x,
    noGrad(() => sub(maximum(x, min), x)),
  );
}

function requireFloatPair(owner: string, x1: Tensor, x2: Tensor): void {
  for (const [role, x] of [
    ['x1', x1],
    ['x2', x2],
  ] as const) {
    if (!isFloat(x.dtype)) throw new DTypeError(`${owner}: ${role} must be a float tensor, got dtype ${x.dtype}`);
  }
}

function nonNegative(owner: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value))
    throw new ArgumentError(`${owner}: ${name} must be a finite number >= 0, got ${String(value)}`);
  return value;
}

function finite(owner: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ArgumentError(`${owner}: ${name} must be a finite number, got ${String(value)}`);
  return value;
}
