import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { fromHost } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import { normalizeAxes, normalizeAxis } from '../tensor/shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { isFloat } from './dispatch.js';
import { abs, cast, div, equal, logicalNot, mul, notEqual, pow, sqrt, sub, where } from './elementwise.js';
import { matmul } from './linalg.js';
import { expand, gather, pad, reshape, slice, stack, transpose } from './movement.js';
import { max, mean, min, sum } from './reduce.js';

/*
 * The tensor utilities PyTorch users reach for in custom models — split, chunk, repeat, tile,
 * flip, maskedFill, var, std, norm, cumsum, any, all — composed from primitives, so every
 * backend runs them and autograd differentiates them.
 */

const describe = (value: unknown): string => (Array.isArray(value) ? `[${value.join(', ')}]` : String(value));

/**
 * torch.split: pieces of `splitSize` along `axis` (the last one smaller if it does not divide),
 * or pieces of the given sizes, which must add up to the axis' length.
 */
export function split(x: Tensor, splitSizeOrSections: number | readonly number[], axis = 0): Tensor[] {
  const at = normalizeAxis('split', axis, x.rank);
  const length = x.shape[at]!;
  let sizes: number[];
  if (typeof splitSizeOrSections === 'number') {
    const size = splitSizeOrSections;
    if (!Number.isInteger(size) || size < 1)
      throw new ArgumentError(`split: splitSize must be a positive integer, got ${describe(size)}`);
    sizes = [];
    for (let start = 0; start < length; start += size) sizes.push(Math.min(size, length - start));
    if (length === 0) sizes.push(0);
  } else {
    if (!Array.isArray(splitSizeOrSections) || splitSizeOrSections.some((s) => !Number.isInteger(s) || s < 0))
      throw new ArgumentError(`split: sections must be non-negative integers, got ${describe(splitSizeOrSections)}`);
    sizes = [...splitSizeOrSections];
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== length)
      throw new ShapeError(
        `split: sections ${describe(sizes)} add up to ${total}, but axis ${at} of ${formatShape(x.shape)} has ${length}`,
      );
  }
  let offset = 0;
  return sizes.map((n) => {
    const begin = x.shape.map(() => 0);
    const size = x.shape.map(() => -1);
    begin[at] = offset;
    size[at] = n;
    offset += n;
    return slice(x, begin, size);
  });
}

/** torch.chunk: `chunks` pieces of ceil(length / chunks) along `axis` (fewer when they run out). */
export function chunk(x: Tensor, chunks: number, axis = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks < 1)
    throw new ArgumentError(`chunk: chunks must be a positive integer, got ${describe(chunks)}`);
  const at = normalizeAxis('chunk', axis, x.rank);
  return split(x, Math.max(1, Math.ceil(x.shape[at]! / chunks)), at);
}

/**
 * torch.Tensor.repeat: tiles x `repeats[i]` times along each axis; with more repeats than axes,
 * x gains leading axes of size 1 first. [2, 3].repeat([2, 1, 2]) is [2, 2, 6].
 */
export function repeat(x: Tensor, repeats: readonly number[]): Tensor {
  if (!Array.isArray(repeats) || repeats.some((r) => !Number.isInteger(r) || r < 0))
    throw new ArgumentError(`repeat: repeats must be non-negative integers, got ${describe(repeats)}`);
  if (repeats.length < x.rank)
    throw new ShapeError(
      `repeat: ${repeats.length} repeats for a tensor of rank ${x.rank} (${formatShape(x.shape)}); give at least one per axis`,
    );
  const dims = [...new Array<number>(repeats.length - x.rank).fill(1), ...x.shape];
  return composite(() => {
    // [d0, d1] -> [1, d0, 1, d1] -> expanded [r0, d0, r1, d1] -> [r0 d0, r1 d1].
    const interleaved = reshape(
      x,
      dims.flatMap((d) => [1, d]),
    );
    const expanded = expand(
      interleaved,
      dims.flatMap((d, i) => [repeats[i]!, d]),
    );
    return reshape(
      expanded,
      dims.map((d, i) => d * repeats[i]!),
    );
  });
}

/** torch.tile: repeat, where fewer reps than axes are padded with leading 1s. */
export function tile(x: Tensor, reps: readonly number[]): Tensor {
  if (!Array.isArray(reps)) throw new ArgumentError(`tile: reps must be an array of integers, got ${describe(reps)}`);
  return repeat(x, [...new Array<number>(Math.max(0, x.rank - reps.length)).fill(1), ...reps]);
}

/** torch.flip: the order of the elements along each of `axes` reversed. */
export function flip(x: Tensor, axes: number | readonly number[]): Tensor {
  const normalized = normalizeAxes('flip', typeof axes === 'number' ? [axes] : axes, x.rank);
  return composite(() => {
    let out = x;
    for (const axis of normalized) {
      const n = x.shape[axis]!;
      const reversed = Int32Array.from({ length: n }, (_, i) => n - 1 - i);
      out = gather(out, fromHost(reversed, [n], { dtype: 'int32', backend: x.backend }), axis);
    }
    return out;
  });
}

/** torch.Tensor.masked_fill: `value` where `mask` (bool, broadcasting against x) is true, x elsewhere. */
export function maskedFill(x: Tensor, mask: Tensor, value: TensorLike): Tensor {
  if (mask.dtype !== 'bool') throw new DTypeError(`maskedFill: mask must be bool, got dtype ${mask.dtype}`);
  return composite(() => {
    const out = where(mask, value, x);
    if (out.rank !== x.rank || out.shape.some((d, i) => d !== x.shape[i]))
      throw new ShapeError(
        `maskedFill: mask ${formatShape(mask.shape)} must broadcast to the tensor's shape ${formatShape(x.shape)}`,
      );
    return out.dtype === x.dtype ? out : cast(out, x.dtype);
  });
}

export interface VarianceOptions {
  /** Subtracted from the count in the denominator: 1 (default) is Bessel's correction, 0 the biased variance. */
  correction?: number;
  keepDims?: boolean;
}

function checkFloatInput(op: string, x: Tensor): void {
  if (!isFloat(x.dtype)) throw new DTypeError(`${op}: expected a float tensor, got dtype ${x.dtype}`);
}

/** torch.var: the mean squared deviation over `axes` (all by default), times n / (n - correction). */
export function variance(x: Tensor, axes?: number | number[], options: VarianceOptions = {}): Tensor {
  checkFloatInput('var', x);
  const correction = options.correction ?? 1;
  if (typeof correction !== 'number' || !Number.isFinite(correction) || correction < 0)
    throw new ArgumentError(`var: correction must be a non-negative number, got ${describe(correction)}`);
  const normalized = normalizeAxes('var', axes, x.rank);
  const count = normalized.reduce((n, axis) => n * x.shape[axis]!, 1);
  return composite(() => {
    const centered = sub(x, mean(x, normalized, true));
    return div(sum(mul(centered, centered), normalized, options.keepDims ?? false), Math.max(0, count - correction));
  });
}

/** torch.std: the square root of `variance`. */
export function std(x: Tensor, axes?: number | number[], options: VarianceOptions = {}): Tensor {
  checkFloatInput('std', x);
  return composite(() => sqrt(variance(x, axes, options)));
}

/**
 * torch.linalg.vector_norm: (sum |x|^ord)^(1/ord) over `axes` (all by default); ord 2 by
 * default, Infinity the largest |x|, -Infinity the smallest, 0 the count of non-zeros. Like
 * PyTorch, the 2-norm's gradient at a zero vector is 0, not NaN.
 */
export function norm(x: Tensor, ord = 2, axes?: number | number[], keepDims = false): Tensor {
  checkFloatInput('norm', x);
  if (typeof ord !== 'number' || Number.isNaN(ord))
    throw new ArgumentError(`norm: ord must be a number (2, 1, Infinity, -Infinity, 0, ...), got ${describe(ord)}`);
  const normalized = normalizeAxes('norm', axes, x.rank);
  return composite(() => {
    if (ord === Infinity) return max(abs(x), normalized, keepDims);
    if (ord === -Infinity) return min(abs(x), normalized, keepDims);
    if (ord === 0) return cast(sum(notEqual(x, 0), normalized, keepDims), x.dtype);
    if (ord === 1) return sum(abs(x), normalized, keepDims);
    if (ord === 2) {
      const squares = sum(mul(x, x), normalized, keepDims);
      // sqrt'(0) is infinite; select it away so a zero vector gets gradient 0 (PyTorch's rule).
      const zero = equal(squares, 0);
      return where(zero, 0, sqrt(where(zero, 1, squares)));
    }
    return pow(sum(pow(abs(x), ord), normalized, keepDims), 1 / ord);
  });
}

/** torch.cumsum for float tensors: running sums along `axis` (one matmul with a triangle of ones). */
export function cumsum(x: Tensor, axis: number): Tensor {
  if (!isFloat(x.dtype))
    throw new DTypeError(
      `cumsum: expected a float tensor, got dtype ${x.dtype} (cast first, e.g. x.cast('float32'): exact up to 2^24)`,
    );
  const at = normalizeAxis('cumsum', axis, x.rank);
  const n = x.shape[at]!;
  return composite(() => {
    const upper = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) upper[i * n + j] = 1;
    const triangle = fromHost(upper, [n, n], { dtype: x.dtype, backend: x.backend });
    const last = at === x.rank - 1 ? x : transpose(x, at, x.rank - 1);
    const sums = matmul(last, triangle);
    return at === x.rank - 1 ? sums : transpose(sums, at, x.rank - 1);
  });
}

/** x != 0 as bool (a bool tensor as it is). */
const nonZero = (x: Tensor): Tensor => (x.dtype === 'bool' ? x : notEqual(x, 0));

/** torch.any: true where some element over `axes` (all by default) is non-zero / true. */
export function any(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  const normalized = normalizeAxes('any', axes, x.rank);
  return composite(() => notEqual(sum(cast(nonZero(x), 'int32'), normalized, keepDims), 0));
}

/** torch.all: true where every element over `axes` (all by default) is non-zero / true. */
export function all(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  const normalized = normalizeAxes('all', axes, x.rank);
  return composite(() => equal(sum(cast(logicalNot(nonZero(x)), 'int32'), normalized, keepDims), 0));
}

export interface PadSequenceOptions {
  /** [batch, longest, ...] (default false: [longest, batch, ...]). */
  batchFirst?: boolean;
  /** The value of the padded positions (default 0). */
  paddingValue?: number;
  /** Pad after each sequence (default 'right') or before it. */
  paddingSide?: 'right' | 'left';
}

/**
 * torch.nn.utils.rnn.pad_sequence: sequences [L_i, ...] of one trailing shape and dtype, padded
 * to the longest and stacked along a new batch axis.
 */
export function padSequence(sequences: readonly Tensor[], options: PadSequenceOptions = {}): Tensor {
  if (!Array.isArray(sequences) || sequences.length === 0)
    throw new ArgumentError(`padSequence: expected a non-empty array of tensors, got ${describe(sequences)}`);
  const side = options.paddingSide ?? 'right';
  if (side !== 'right' && side !== 'left')
    throw new ArgumentError(`padSequence: paddingSide must be 'right' or 'left', got ${describe(side)}`);
  const first = sequences[0]!;
  sequences.forEach((s: Tensor, i: number) => {
    const fits =
      s.rank >= 1 &&
      s.rank === first.rank &&
      s.dtype === first.dtype &&
      s.shape.every((d: number, a: number) => a === 0 || d === first.shape[a]);
    if (!fits)
      throw new ShapeError(
        `padSequence: sequence ${i} is ${s.dtype} ${formatShape(s.shape)}, but sequence 0 is ${first.dtype} ${formatShape(first.shape)}: every sequence needs a length axis first and the same trailing shape and dtype`,
      );
  });
  const longest = Math.max(...sequences.map((s) => s.shape[0]!));
  return composite(() => {
    const padded = sequences.map((s) => {
      const missing = longest - s.shape[0]!;
      const lengthPadding: [number, number] = side === 'right' ? [0, missing] : [missing, 0];
      return missing === 0 ? s : pad(s, [lengthPadding], options.paddingValue ?? 0);
    });
    return stack(padded, options.batchFirst ? 0 : 1);
  });
}
