// Sorting and the order statistics built on it: sort, argsort, msort, topk, kthvalue, median,
// nanmedian, quantile. One backend primitive, `sort` along the last axis (stable, NaN above
// +Infinity, -0 equal to +0); everything else picks entries of its result. Values are never
// differentiated through the primitive: where x needs a gradient they are gathered from x at the
// picked indices, so the gradient flows to the picked positions through gather's scatterAdd
// adjoint (as PyTorch's sort, topk, median and quantile do).
import { isGradEnabled, noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, ShapeError, describeValue, formatShape } from '../errors.js';
import { checkBoolean, checkInteger, checkOptions } from '../nn/checks.js';
import { fromHost } from '../tensor/creation.js';
import { composite, compositeResults } from '../tensor/scope.js';
import { normalizeAxis } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { runPrimitive } from './dispatch.js';
import {
  add,
  cast,
  div,
  equal,
  greater,
  less,
  logicalAnd,
  logicalOr,
  mul,
  notEqual,
  sub,
  where,
} from './elementwise.js';
import { sliceAlong } from './matrix-utils.js';
import { concat, permute, reshape, slice, squeeze } from './movement.js';
import { sum } from './reduce.js';

/** A sort's or a selection's result: the values and their int32 indices along the axis. */
export interface SortResult {
  values: Tensor;
  indices: Tensor;
}

export interface SortOptions {
  /** The axis to sort along (default -1, the last). */
  dim?: number;
  /** Largest first (default false). */
  descending?: boolean;
  /** Accepted for PyTorch's signature: every sort is stable (equal values keep their order). */
  stable?: boolean;
}

export interface TopkOptions {
  /** The axis to select along (default -1). */
  dim?: number;
  /** The k largest (default true) or the k smallest. */
  largest?: boolean;
  /** Accepted for PyTorch's signature: the result is always sorted. */
  sorted?: boolean;
}

export interface SelectOptions {
  /** The axis to reduce (default -1 for kthvalue; median without one reduces every element). */
  dim?: number;
  /** Keep the reduced axis as size 1 (default false). */
  keepdim?: boolean;
}

export const QUANTILE_INTERPOLATIONS = ['linear', 'lower', 'higher', 'nearest', 'midpoint'] as const;
export type QuantileInterpolation = (typeof QUANTILE_INTERPOLATIONS)[number];

export interface QuantileOptions {
  /** The axis to reduce (default: every element, flattened). */
  dim?: number;
  keepdim?: boolean;
  /** How a quantile between two entries is read (default 'linear'). */
  interpolation?: QuantileInterpolation;
}

/** The backend's sort of x along its last axis (float32, float64 or int32): values and indices, off the tape. */
function sortLastPrimitive(x: Tensor, descending: boolean): [Tensor, Tensor] {
  const [values, indices] = x.backend.sort(x.handle, descending);
  return [new Tensor(values, x.shape, x.dtype, x.backend), new Tensor(indices, x.shape, 'int32', x.backend)];
}

/**
 * The entries of x [..., n] at int32 `index` [..., k] along the last axis (torch.take_along_dim):
 * one flat `gather`, so the gradient reaches the picked entries of x.
 */
function takeAlongLast(x: Tensor, index: Tensor): Tensor {
  const n = x.shape[x.rank - 1]!;
  const k = index.shape[index.rank - 1]!;
  const rows = index.size / Math.max(k, 1);
  if (index.size === 0 || n === 0)
    return composite(() =>
      reshape(
        slice(
          x,
          x.shape.map(() => 0),
          index.shape,
        ),
        index.shape,
      ),
    );
  return composite(() => {
    const starts = new Int32Array(rows);
    for (let r = 0; r < rows; r++) starts[r] = r * n;
    const offsets = fromHost(starts, [rows, 1], { dtype: 'int32', backend: x.backend });
    const flatIndex = reshape(add(reshape(index, [rows, k]), offsets), [rows * k]);
    const flat = reshape(x, [x.size]);
    const picked = runPrimitive('gather', [flat, flatIndex], { axis: 0 }, [rows * k], x.dtype, (h, i) =>
      x.backend.gather(h!, i!, 0),
    );
    return reshape(picked, index.shape);
  });
}

/** The same tensor with axes `axis` and the last swapped (its own inverse); x itself when axis is last. */
function swapLast(x: Tensor, axis: number): Tensor {
  const last = x.rank - 1;
  if (axis === last) return x;
  const perm = x.shape.map((_, i) => (i === axis ? last : i === last ? axis : i));
  return permute(x, perm);
}

/** The int32 indices that sort each row of x (its last axis); bool sorts as 0 < 1. */
function orderOf(last: Tensor, descending: boolean): Tensor {
  const [values, order] = sortLastPrimitive(last.dtype === 'bool' ? cast(last, 'int32') : last, descending);
  values.dispose();
  return order;
}

/** Sorted values (on the tape where x needs a gradient) and indices of x along its last axis. */
function sortLast(x: Tensor, descending: boolean): [Tensor, Tensor] {
  const keyed = x.dtype === 'bool' ? cast(x, 'int32') : x;
  const [values, indices] = sortLastPrimitive(keyed, descending);
  if (x.dtype === 'bool') return [cast(values, 'bool'), indices];
  if (!(x.requiresGrad && isGradEnabled())) return [values, indices];
  values.dispose();
  return [takeAlongLast(x, indices), indices];
}

/**
 * Runs `body` on x with `dim` moved last (a scalar as one entry) and moves its results' last
 * axes back to `dim`; `reduce` squeezes that axis away (the results then have one entry there).
 */
function onLastAxis(op: string, x: Tensor, dim: number, reduce: boolean, body: (last: Tensor) => Tensor[]): Tensor[] {
  // A scalar is one row of one entry (PyTorch takes dim 0 or -1 for it).
  const axis = normalizeAxis(op, dim, Math.max(x.rank, 1));
  if (x.rank === 0) return compositeResults(() => body(reshape(x, [1])).map((t) => reshape(t, [])));
  return compositeResults(() =>
    body(swapLast(x, axis)).map((t) => {
      const back = swapLast(t, axis);
      return reduce ? squeeze(back, axis) : back;
    }),
  );
}

function checkDim(op: string, dim: unknown): number {
  return checkInteger(`${op}: dim`, dim);
}

/**
 * Sorts x along `dim` (PyTorch's torch.sort): `{ values, indices }`, indices int32. The sort is
 * stable in both directions (equal values keep their index order, as torch.sort(stable=True)),
 * NaN sorts above +Infinity (last ascending, first descending) and -0 equals +0.
 */
export function sort(x: Tensor, options: SortOptions = {}): SortResult {
  checkOptions('sort', options, ['dim', 'descending', 'stable']);
  const dim = checkDim('sort', options.dim ?? -1);
  const descending = checkBoolean('sort: descending', options.descending ?? false);
  if (options.stable !== undefined) checkBoolean('sort: stable', options.stable);
  const [values, indices] = onLastAxis('sort', x, dim, false, (last) => sortLast(last, descending));
  return { values: values!, indices: indices! };
}

/** The indices that sort x along `dim` (torch.argsort): int32, stable (see `sort`). */
export function argsort(x: Tensor, options: SortOptions = {}): Tensor {
  checkOptions('argsort', options, ['dim', 'descending', 'stable']);
  const dim = checkDim('argsort', options.dim ?? -1);
  const descending = checkBoolean('argsort: descending', options.descending ?? false);
  if (options.stable !== undefined) checkBoolean('argsort: stable', options.stable);
  const [indices] = onLastAxis('argsort', x, dim, false, (last) => [orderOf(last, descending)]);
  return indices!;
}

/** x sorted along its first axis (torch.msort): the values of `sort(x, { dim: 0 })`. */
export function msort(x: Tensor): Tensor {
  if (x.rank === 0) throw new ShapeError('msort: x must have at least one dimension, got a scalar');
  const { values, indices } = sort(x, { dim: 0 });
  indices.dispose();
  return values;
}

/** The length of `dim` of x, 1 for a scalar. */
function axisLength(op: string, x: Tensor, dim: number): number {
  const axis = normalizeAxis(op, dim, Math.max(x.rank, 1));
  return x.rank === 0 ? 1 : x.shape[axis]!;
}

/**
 * The k largest (or smallest) entries along `dim` (torch.topk), sorted, with their indices.
 * Equal values come in index order; NaN counts as the largest.
 */
export function topk(x: Tensor, k: number, options: TopkOptions = {}): SortResult {
  checkOptions('topk', options, ['dim', 'largest', 'sorted']);
  const dim = checkDim('topk', options.dim ?? -1);
  const largest = checkBoolean('topk: largest', options.largest ?? true);
  if (options.sorted !== undefined) checkBoolean('topk: sorted', options.sorted);
  const n = axisLength('topk', x, dim);
  if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 0 || k > n)
    throw new ArgumentError(
      `topk: k must be an integer in [0, ${n}] (the size of dim ${dim}), got ${describeValue(k)}`,
    );
  const [values, indices] = onLastAxis('topk', x, dim, false, (last) =>
    sortLast(last, largest).map((t) => sliceAlong(t, t.rank - 1, 0, k)),
  );
  return { values: values!, indices: indices! };
}

/**
 * The k-th smallest entry along `dim` (torch.kthvalue, k from 1) and its index: the entry at
 * position k - 1 of the stable ascending sort (NaN above every number).
 */
export function kthvalue(x: Tensor, k: number, options: SelectOptions = {}): SortResult {
  checkOptions('kthvalue', options, ['dim', 'keepdim']);
  const dim = checkDim('kthvalue', options.dim ?? -1);
  const keepdim = checkBoolean('kthvalue: keepdim', options.keepdim ?? false);
  const n = axisLength('kthvalue', x, dim);
  if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 1 || k > n)
    throw new ArgumentError(
      `kthvalue: k must be an integer in [1, ${n}] (the size of dim ${dim}), got ${describeValue(k)}`,
    );
  const [values, indices] = onLastAxis('kthvalue', x, dim, !keepdim && x.rank > 0, (last) => {
    const position = fromHost([k - 1], [1], { dtype: 'int32', backend: x.backend });
    return pickSorted(last, position);
  });
  return { values: values!, indices: indices! };
}

/**
 * Of x's rows (the last axis), the entries at ascending-sort `position` (int32 [..., k] or [k]):
 * their values gathered from x (on the tape where x is) and their indices.
 */
function pickSorted(last: Tensor, position: Tensor): [Tensor, Tensor] {
  const order = orderOf(last, false);
  const rowShape = [...last.shape.slice(0, -1), 1];
  // positions shared by every row are broadcast to the rows
  const at =
    position.rank === rowShape.length
      ? position
      : add(
          position,
          fromHost(new Int32Array(sizeOfShape(rowShape)), rowShape, { dtype: 'int32', backend: last.backend }),
        );
  const indices = takeAlongLast(order, at);
  return [takeAlongLast(last, indices), indices];
}

function sizeOfShape(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The number of NaNs in each row of a float x (last axis, kept), int32. */
function nanCount(last: Tensor): Tensor {
  return sum(cast(notEqual(last, last), 'int32'), -1, true);
}

function checkNotEmptyAxis(op: string, x: Tensor, dim: number | undefined): void {
  const n = dim === undefined ? x.size : axisLength(op, x, dim);
  if (n === 0)
    throw new ShapeError(
      `${op}: cannot reduce an empty ${dim === undefined ? 'tensor' : `dim ${dim}`} (shape ${formatShape(x.shape)})`,
    );
}

function medianOf(op: 'median' | 'nanmedian', x: Tensor, options: SelectOptions): Tensor | SortResult {
  checkOptions(op, options, ['dim', 'keepdim']);
  const keepdim = checkBoolean(`${op}: keepdim`, options.keepdim ?? false);
  const dim = options.dim === undefined ? undefined : checkDim(op, options.dim);
  checkNotEmptyAxis(op, x, dim);
  const float = x.dtype === 'float32' || x.dtype === 'float64';
  const select = (last: Tensor): Tensor[] => {
    const n = last.shape[last.rank - 1]!;
    const mid = fromHost([(n - 1) >> 1], [1], { dtype: 'int32', backend: last.backend });
    if (!float) return pickSorted(last, mid);
    const nans = nanCount(last);
    // median: a row with NaN gives its first NaN, at n - nans of the ascending sort; nanmedian:
    // the lower median of the row's numbers, (count - 1) / 2 (exact below 2^24 numbers), or the
    // middle NaN of a row of only NaN (PyTorch's index there is unspecified).
    const position =
      op === 'median'
        ? where(greater(nans, 0), sub(n, nans), mid)
        : where(less(nans, n), cast(mul(cast(sub(n - 1, nans), 'float32'), 0.5), 'int32'), mid);
    return pickSorted(last, position);
  };
  if (dim === undefined)
    return composite(() => {
      const flat = reshape(x, [x.size]);
      const pick = (): Tensor => {
        const [values, indices] = onLastAxis(op, flat, 0, true, select);
        indices!.dispose();
        return values!;
      };
      if (!(float && x.requiresGrad && isGradEnabled())) return pick();
      // PyTorch spreads the gradient of an all-element median evenly over the entries equal to
      // it (evenly_distribute_backward; NaN counts as equal to a NaN median): the value is the
      // picked one plus 0, the gradient 1 / count at each such entry.
      const value = noGrad(pick);
      const hit = noGrad(() => logicalOr(equal(flat, value), logicalAnd(notEqual(flat, flat), notEqual(value, value))));
      const offsets = where(
        hit,
        sub(
          flat,
          noGrad(() => flat.detach()),
        ),
        0,
      );
      return add(
        value,
        div(
          sum(offsets),
          noGrad(() => sum(cast(hit, x.dtype))),
        ),
      );
    });
  const [values, indices] = onLastAxis(op, x, dim, !keepdim && x.rank > 0, select);
  return { values: values!, indices: indices! };
}

/**
 * The lower median (torch.median): without `dim` the median of every element (a scalar tensor;
 * its gradient spread evenly over the entries equal to it, as PyTorch's); with `dim`,
 * `{ values, indices }` along it. A row holding NaN has median NaN (its first NaN).
 */
export function median(x: Tensor): Tensor;
export function median(x: Tensor, options: SelectOptions & { dim: number }): SortResult;
export function median(x: Tensor, options: SelectOptions = {}): Tensor | SortResult {
  return medianOf('median', x, options);
}

/**
 * Like `median` with NaNs ignored (torch.nanmedian): a row of only NaN gives NaN (the index
 * returned then is one of its NaNs, the middle one; PyTorch's is unspecified).
 */
export function nanmedian(x: Tensor): Tensor;
export function nanmedian(x: Tensor, options: SelectOptions & { dim: number }): SortResult;
export function nanmedian(x: Tensor, options: SelectOptions = {}): Tensor | SortResult {
  return medianOf('nanmedian', x, options);
}

/** Python's round (half to even), as torch.quantile's 'nearest' rounds. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The q-th quantiles of x (torch.quantile) along `dim` (default: over all elements), q in [0, 1]:
 * a number gives the reduced shape, an array of them a leading axis of that length. Between two
 * entries of the sorted row the `interpolation` decides; a row holding NaN gives NaN.
 */
export function quantile(x: Tensor, q: number | readonly number[], options: QuantileOptions = {}): Tensor {
  checkOptions('quantile', options, ['dim', 'keepdim', 'interpolation']);
  const keepdim = checkBoolean('quantile: keepdim', options.keepdim ?? false);
  const interpolation = options.interpolation ?? 'linear';
  if (!QUANTILE_INTERPOLATIONS.includes(interpolation))
    throw new ArgumentError(
      `quantile: interpolation must be one of ${QUANTILE_INTERPOLATIONS.map((m) => `'${m}'`).join(', ')}, got ${describeValue(interpolation)}`,
    );
  if (x.dtype !== 'float32' && x.dtype !== 'float64')
    throw new ArgumentError(`quantile: x must be float32 or float64, got ${x.dtype}`);
  const qs: readonly number[] | null = typeof q === 'number' ? [q] : Array.isArray(q) ? q : null;
  if (qs === null || qs.length === 0)
    throw new ArgumentError(`quantile: q must be a number or a non-empty array of numbers, got ${describeValue(q)}`);
  for (const value of qs)
    if (typeof value !== 'number' || !(value >= 0 && value <= 1))
      throw new ArgumentError(`quantile: q must be in [0, 1], got ${describeValue(value)}`);
  let dim = options.dim === undefined ? undefined : checkDim('quantile', options.dim);
  // PyTorch refuses any empty input, whatever the dim.
  if (x.size === 0) throw new ShapeError(`quantile: x must not be empty, got shape ${formatShape(x.shape)}`);
  // A scalar has one entry along dim 0 or -1: its quantiles are over all (one) elements.
  if (x.rank === 0 && dim !== undefined) {
    normalizeAxis('quantile', dim, 1);
    dim = undefined;
  }
  // torch computes the rank q (n - 1) in x's dtype.
  const round = x.dtype === 'float32' ? Math.fround : (v: number): number => v;
  const select = (last: Tensor): Tensor[] => {
    const n = last.shape[last.rank - 1]!;
    const lows: number[] = [];
    const highs: number[] = [];
    const weights: number[] = [];
    for (const value of qs) {
      const rank = round(round(value) * (n - 1));
      const lo =
        interpolation === 'nearest'
          ? roundHalfEven(rank)
          : interpolation === 'higher'
            ? Math.ceil(rank)
            : Math.floor(rank);
      lows.push(lo);
      highs.push(Math.ceil(rank));
      weights.push(interpolation === 'midpoint' ? 0.5 : round(rank - Math.floor(rank)));
    }
    const nans = greater(nanCount(last), 0);
    // A row with NaN reads its last entry (a NaN), as torch's quantile does.
    const at = (positions: number[]): Tensor =>
      where(nans, n - 1, fromHost(positions, [positions.length], { dtype: 'int32', backend: last.backend }));
    const [below] = pickSorted(last, at(lows));
    if (interpolation === 'lower' || interpolation === 'higher' || interpolation === 'nearest') return [below];
    const [above] = pickSorted(last, at(highs));
    // torch.lerp: start + w (end - start) below w = 0.5, end - (end - start) (1 - w) from it.
    const parts = weights.map((w, i) => {
      const lo = sliceAlong(below, below.rank - 1, i, 1);
      const hi = sliceAlong(above, above.rank - 1, i, 1);
      const diff = sub(hi, lo);
      return w < 0.5 ? add(lo, mul(diff, w)) : sub(hi, mul(diff, 1 - w));
    });
    return [parts.length === 1 ? parts[0]! : concat(parts, -1)];
  };
  const scalarQ = typeof q === 'number';
  const axis = dim ?? 0;
  return composite(() => {
    const source = dim === undefined ? reshape(x, [x.size]) : x;
    const [picked] = onLastAxis('quantile', source, axis, false, select);
    // picked: x's shape with `axis` holding the quantiles; move them first (an array q) or drop them.
    let out = scalarQ
      ? squeeze(picked!, normalizeAxis('quantile', axis, source.rank))
      : moveToFront(picked!, normalizeAxis('quantile', axis, source.rank));
    if (keepdim) {
      const kept =
        dim === undefined
          ? x.shape.map(() => 1)
          : x.shape.map((d, i) => (i === normalizeAxis('quantile', dim, x.rank) ? 1 : d));
      out = reshape(out, scalarQ ? kept : [qs.length, ...kept]);
    }
    return out;
  });
}

function moveToFront(t: Tensor, axis: number): Tensor {
  if (axis === 0) return t;
  return permute(t, [axis, ...t.shape.map((_, i) => i).filter((i) => i !== axis)]);
}
