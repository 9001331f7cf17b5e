import { ArgumentError, DTypeError, ShapeError, describeValue, formatShape } from '../errors.js';
import { checkBoolean, checkInteger, checkNumber, checkOptions } from '../nn/checks.js';
import { fullLike } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import { broadcastShapes, normalizeAxis, sizeOf, stridesOf } from '../tensor/shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { add, cast, greater, less, mul, where } from './elementwise.js';
import { sliceAlong } from './matrix-utils.js';
import { expand, gather, reshape, scatterAdd, slice } from './movement.js';
import { gatherElements, int32s, requireInt32 } from './scatter.js';

/*
 * torch's indexing functions (index_add/copy/fill, index_put, scatter, scatter_reduce,
 * masked_scatter, take_along_dim, take, narrow, select, repeat_interleave), composed from
 * gather and scatterAdd (each other's adjoint), so every backend runs and differentiates them.
 */

function requireVector(op: string, index: Tensor): void {
  requireInt32(op, index);
  if (index.rank !== 1) throw new ShapeError(`${op}: index must be 1-D, got shape ${formatShape(index.shape)}`);
}

/** True along `at` where the 1-D index names a position, shaped to broadcast against x. */
function indexedAlong(x: Tensor, at: number, index: Tensor): Tensor {
  const hits = scatterAdd(fullLike(index, 1, { dtype: 'float32' }), index, 0, x.shape[at]!);
  return reshape(
    greater(hits, 0),
    x.shape.map((d, i) => (i === at ? d : 1)),
  );
}

/** The index_* source's shape: x's, with the index's length along `at`. */
function checkSource(op: string, x: Tensor, at: number, index: Tensor, source: Tensor): void {
  const want = x.shape.map((d, i) => (i === at ? index.shape[0]! : d));
  if (source.rank !== want.length || source.shape.some((d, i) => d !== want[i]))
    throw new ShapeError(
      `${op}: source must have shape ${formatShape(want)} (input ${formatShape(x.shape)} with the index's length along dim ${at}), got ${formatShape(source.shape)}`,
    );
}

/** Index entries must name distinct positions where torch leaves repeats undefined (checked where readable). */
function checkDistinct(op: string, index: Tensor): void {
  if (!index.backend.readSync) return;
  const seen = new Set<number>();
  for (const value of index.dataSync()) {
    if (seen.has(value))
      throw new ArgumentError(
        `${op}: index ${value} repeats; torch's result is undefined there, so the indices must differ`,
      );
    seen.add(value);
  }
}

export interface IndexAddOptions {
  /** The factor of source (default 1). */
  alpha?: number;
}

/** torch.index_add: x with alpha * source's slices added at the 1-D index along dim (repeats add up). */
export function indexAdd(x: Tensor, dim: number, index: Tensor, source: Tensor, options: IndexAddOptions = {}): Tensor {
  checkOptions('indexAdd', options, ['alpha']);
  const alpha = checkNumber('indexAdd: alpha', options.alpha ?? 1);
  requireVector('indexAdd', index);
  const at = normalizeAxis('indexAdd', dim, x.rank);
  checkSource('indexAdd', x, at, index, source);
  return composite(() => add(x, scatterAdd(alpha === 1 ? source : mul(source, alpha), index, at, x.shape[at]!)));
}

/** torch.index_copy: x with source's slices written at the 1-D index along dim (indices distinct). */
export function indexCopy(x: Tensor, dim: number, index: Tensor, source: Tensor): Tensor {
  requireVector('indexCopy', index);
  const at = normalizeAxis('indexCopy', dim, x.rank);
  checkSource('indexCopy', x, at, index, source);
  checkDistinct('indexCopy', index);
  return composite(() => where(indexedAlong(x, at, index), scatterAdd(source, index, at, x.shape[at]!), x));
}

/** torch.index_fill: x with `value` at the 1-D index's positions along dim. */
export function indexFill(x: Tensor, dim: number, index: Tensor, value: TensorLike): Tensor {
  requireVector('indexFill', index);
  const at = normalizeAxis('indexFill', dim, x.rank);
  if (typeof value !== 'number' && value.rank !== 0)
    throw new ShapeError(`indexFill: value must be a number or a 0-D tensor, got shape ${formatShape(value.shape)}`);
  return composite(() => {
    const out = where(indexedAlong(x, at, index), value, x);
    return out.dtype === x.dtype ? out : cast(out, x.dtype);
  });
}

export interface IndexPutOptions {
  /** Add values at repeated positions instead of writing them (default false). */
  accumulate?: boolean;
}

/**
 * torch.index_put: x with `values` written (or added, with accumulate) at x[indices[0], indices[1], ...],
 * one int32 index tensor per leading axis (negative counts from the end), broadcast together;
 * values broadcast to the picked shape.
 */
export function indexPut(x: Tensor, indices: readonly Tensor[], values: Tensor, options: IndexPutOptions = {}): Tensor {
  checkOptions('indexPut', options, ['accumulate']);
  const accumulate = checkBoolean('indexPut: accumulate', options.accumulate ?? false);
  if (indices.length === 0 || indices.length > x.rank)
    throw new ArgumentError(
      `indexPut: expected 1 to ${x.rank} index tensors for shape ${formatShape(x.shape)}, got ${indices.length}`,
    );
  indices.forEach((index) => requireInt32('indexPut', index));
  const k = indices.length;
  const lead = x.shape.slice(0, k);
  const rest = x.shape.slice(k);
  const picked = indices.map((t) => t.shape).reduce((a, b) => broadcastShapes('indexPut', a, b));
  indices.forEach((index, i) => checkWrapping('indexPut', index, lead[i]!));
  const strides = stridesOf(lead);
  return composite(() => {
    const wrapped = indices.map((index, i) => wrap(index, lead[i]!));
    let linear = mul(expand(wrapped[0]!, picked), strides[0]!);
    for (let i = 1; i < k; i++) linear = add(linear, mul(wrapped[i]!, strides[i]!));
    const flatIndex = reshape(linear, [-1]);
    if (!accumulate) checkDistinct('indexPut', flatIndex);
    const updates = reshape(expand(values, [...picked, ...rest]), [sizeOf(picked), ...rest]);
    const written = scatterAdd(updates, flatIndex, 0, sizeOf(lead));
    const base = reshape(x, [sizeOf(lead), ...rest]);
    const out = accumulate
      ? add(base, written)
      : where(reshape(indexedAlong(base, 0, flatIndex), [-1, ...rest.map(() => 1)]), written, base);
    return reshape(out, x.shape);
  });
}

/**
 * A tensor's values on the host, for the ops whose result depends on them (as torch, which
 * syncs); a backend that only reads asynchronously gets an error naming the op's async twin.
 */
export function readOnHost(op: string, t: Tensor): ArrayLike<number> {
  if (!t.backend.readSync)
    throw new ArgumentError(
      `${op}: backend '${t.backend.name}' only reads asynchronously and ${op} needs the values on the host: use await ${op}Async(...)`,
    );
  return t.dataSync();
}

function checkMask(x: Tensor, mask: Tensor): void {
  if (mask.dtype !== 'bool') throw new DTypeError(`maskedScatter: mask must be bool, got dtype ${mask.dtype}`);
  const shape = broadcastShapes('maskedScatter', x.shape, mask.shape);
  if (shape.length !== x.rank || shape.some((d, i) => d !== x.shape[i]))
    throw new ShapeError(
      `maskedScatter: mask ${formatShape(mask.shape)} must broadcast to x's shape ${formatShape(x.shape)}`,
    );
}

/** source's leading elements placed where the mask's bits (broadcast to x, row-major) are set. */
function placeMasked(x: Tensor, mask: Tensor, bits: ArrayLike<number>, source: Tensor): Tensor {
  const positions: number[] = [];
  for (let i = 0; i < bits.length; i++) if (bits[i]) positions.push(i);
  if (positions.length > source.size)
    throw new ShapeError(
      `maskedScatter: the mask selects ${positions.length} elements, but source ${formatShape(source.shape)} has only ${source.size}`,
    );
  return composite(() => {
    const taken = slice(reshape(source, [-1]), [0], [positions.length]);
    const placed = scatterAdd(taken, int32s(positions, [positions.length], x), 0, x.size);
    return where(mask, reshape(placed, x.shape), x);
  });
}

/**
 * torch.masked_scatter: x with the positions where mask (bool, broadcast to x) is true filled by
 * source's leading elements in row-major order. The mask is read on the host.
 */
export function maskedScatter(x: Tensor, mask: Tensor, source: Tensor): Tensor {
  checkMask(x, mask);
  const full = expand(mask, x.shape);
  try {
    return placeMasked(x, mask, readOnHost('maskedScatter', full), source);
  } finally {
    full.dispose();
  }
}

/** maskedScatter for backends that read asynchronously. */
export async function maskedScatterAsync(x: Tensor, mask: Tensor, source: Tensor): Promise<Tensor> {
  checkMask(x, mask);
  const full = expand(mask, x.shape);
  try {
    return placeMasked(x, mask, await full.data(), source);
  } finally {
    full.dispose();
  }
}

/**
 * torch.take_along_dim: the entries of x at `indices` along dim (x and indices broadcast in the
 * other dims); without dim, both are flattened.
 */
export function takeAlongDim(x: Tensor, indices: Tensor, dim?: number): Tensor {
  requireInt32('takeAlongDim', indices);
  if (dim === undefined) return composite(() => gather(reshape(x, [-1]), reshape(indices, [-1]), 0));
  const at = normalizeAxis('takeAlongDim', dim, x.rank);
  if (indices.rank !== x.rank)
    throw new ShapeError(
      `takeAlongDim: indices must have x's rank ${x.rank}, got shape ${formatShape(indices.shape)} for x ${formatShape(x.shape)}`,
    );
  const others = broadcastShapes(
    'takeAlongDim',
    x.shape.map((d, i) => (i === at ? 1 : d)),
    indices.shape.map((d, i) => (i === at ? 1 : d)),
  );
  return composite(() => {
    const source = expand(
      x,
      others.map((d, i) => (i === at ? x.shape[at]! : d)),
    );
    const index = expand(
      indices,
      others.map((d, i) => (i === at ? indices.shape[at]! : d)),
    );
    return gatherElements('takeAlongDim', source, at, index);
  });
}

/** Indices in -size..size-1 (negative counting from the end, as torch's), checked where readable. */
function checkWrapping(op: string, index: Tensor, size: number): void {
  if (!index.backend.readSync) return;
  const values = index.dataSync();
  for (let i = 0; i < values.length; i++)
    if (values[i]! < -size || values[i]! >= size)
      throw new ArgumentError(
        `${op}: index ${values[i]} at position ${i} is out of range for a dimension of size ${size} (expected ${-size}..${size - 1})`,
      );
}

/** A negative index counted from the end of a dimension of `size`. */
const wrap = (index: Tensor, size: number): Tensor => where(less(index, 0), add(index, size), index);

/** torch.take: x's elements at the flat `index` (row-major; negative counts from the end), shaped like index. */
export function take(x: Tensor, index: Tensor): Tensor {
  requireInt32('take', index);
  checkWrapping('take', index, x.size);
  return composite(() => reshape(gather(reshape(x, [-1]), reshape(wrap(index, x.size), [-1]), 0), index.shape));
}

/** torch.narrow: `length` elements of x along dim from `start` (negative counts from the end). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const at = normalizeAxis('narrow', dim, x.rank);
  const size = x.shape[at]!;
  checkInteger('narrow: start', start);
  checkInteger('narrow: length', length);
  const from = start < 0 ? start + size : start;
  if (from < 0 || from > size || length < 0 || from + length > size)
    throw new ArgumentError(
      `narrow: start ${start} and length ${length} do not fit in dim ${at} of size ${size} (start in ${-size}..${size}, start + length <= ${size})`,
    );
  return sliceAlong(x, at, from, length);
}

/** torch.select: the slice of x at `index` along dim, with that dim removed (negative index from the end). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const at = normalizeAxis('select', dim, x.rank);
  const size = x.shape[at]!;
  checkInteger('select: index', index);
  if (index < -size || index >= size)
    throw new ArgumentError(
      `select: index ${index} is out of range for dim ${at} of size ${size} (expected ${-size}..${size - 1})`,
    );
  return composite(() =>
    reshape(
      sliceAlong(x, at, index < 0 ? index + size : index, 1),
      x.shape.filter((_, i) => i !== at),
    ),
  );
}

export interface RepeatInterleaveOptions {
  /** The axis to repeat along; without it x is flattened first. */
  dim?: number;
  /** The output's length along dim, when known (checked against the repeats). */
  outputSize?: number;
}

/** Where repeatInterleave reads along, and the count of each slice there (a tensor of counts is checked, not read). */
function repeatPlan(x: Tensor, repeats: number | Tensor, options: RepeatInterleaveOptions) {
  checkOptions('repeatInterleave', options, ['dim', 'outputSize']);
  const source = options.dim === undefined ? reshape(x, [-1]) : x;
  const at = options.dim === undefined ? 0 : normalizeAxis('repeatInterleave', options.dim, x.rank);
  const n = source.shape[at]!;
  if (typeof repeats === 'number') {
    if (!Number.isSafeInteger(repeats) || repeats < 0)
      throw new ArgumentError(
        `repeatInterleave: repeats must be a non-negative integer, got ${describeValue(repeats)}`,
      );
  } else {
    requireInt32('repeatInterleave', repeats);
    if (repeats.rank > 1 || (repeats.size !== n && repeats.size !== 1))
      throw new ShapeError(
        `repeatInterleave: repeats must hold 1 or ${n} counts (the length along dim ${at}), got shape ${formatShape(repeats.shape)}`,
      );
  }
  return { source, at, n };
}

function repeatFromCounts(
  x: Tensor,
  plan: { source: Tensor; at: number; n: number },
  values: ArrayLike<number>,
  options: RepeatInterleaveOptions,
): Tensor {
  const { source, at, n } = plan;
  const counts = values.length === 1 ? new Array<number>(n).fill(values[0]!) : values;
  const picks: number[] = [];
  for (let i = 0; i < n; i++) {
    if (counts[i]! < 0)
      throw new ArgumentError(`repeatInterleave: repeats must be non-negative, got ${counts[i]} at ${i}`);
    for (let r = 0; r < counts[i]!; r++) picks.push(i);
  }
  if (options.outputSize !== undefined && options.outputSize !== picks.length)
    throw new ArgumentError(
      `repeatInterleave: outputSize is ${options.outputSize}, but the repeats make ${picks.length}`,
    );
  return composite(() => gather(source, int32s(picks, [picks.length], x), at));
}

/**
 * torch.repeat_interleave: each element (slice along dim) of x repeated `repeats` times, a number
 * or an int32 tensor with one count per element (read on the host: the output size depends on it).
 */
export function repeatInterleave(x: Tensor, repeats: number | Tensor, options: RepeatInterleaveOptions = {}): Tensor {
  const plan = repeatPlan(x, repeats, options);
  const counts = typeof repeats === 'number' ? [repeats] : readOnHost('repeatInterleave', repeats);
  return repeatFromCounts(x, plan, counts, options);
}

/** repeatInterleave for backends that read asynchronously. */
export async function repeatInterleaveAsync(
  x: Tensor,
  repeats: number | Tensor,
  options: RepeatInterleaveOptions = {},
): Promise<Tensor> {
  const plan = repeatPlan(x, repeats, options);
  const counts = typeof repeats === 'number' ? [repeats] : await repeats.data();
  return repeatFromCounts(x, plan, counts, options);
}
