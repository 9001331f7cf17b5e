import { ArgumentError, DTypeError, ShapeError, describeValue, formatShape } from '../errors.js';
import { checkBoolean, checkInteger, checkOptions } from '../nn/checks.js';
import { fullLike } from '../tensor/creation.js';
import { composite, compositeResults } from '../tensor/scope.js';
import { broadcastShapes, normalizeAxis, sizeOf, stridesOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { isFloat } from './dispatch.js';
import {
  add,
  cast,
  div,
  equal,
  floor,
  greater,
  greaterEqual,
  lessEqual,
  logicalAnd,
  logicalNot,
  mul,
  sub,
  where,
} from './elementwise.js';
import { readOnHost, takeAlongDim } from './indexing.js';
import { int32s } from './scatter.js';
import { expand, gather, reshape, scatterAdd, slice } from './movement.js';
import { max, min, sum } from './reduce.js';

/*
 * torch's functions whose output size depends on the values (nonzero, argwhere, masked_select,
 * unique, unique_consecutive, bincount): they read the values on the host, as PyTorch syncs. Each
 * has an async twin (nonzeroAsync, ...) for backends that only read asynchronously (WebGPU in a
 * browser), where the sync one throws an error naming it (readOnHost). histc, bucketize and searchsorted have
 * a fixed output size and run on the device.
 */

type Values = ArrayLike<number>;

function nonzeroOf(x: Tensor, values: Values): Tensor {
  const strides = stridesOf(x.shape);
  const out: number[] = [];
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] === 0) continue;
    count++;
    let rest = i;
    for (const stride of strides) {
      out.push(Math.floor(rest / stride));
      rest %= stride;
    }
  }
  return int32s(out, [count, x.rank], x);
}

export interface NonzeroOptions {
  /** One 1-D index tensor per axis instead of one [n, rank] matrix (default false). */
  asTuple?: boolean;
}

function nonzeroResult(x: Tensor, values: Values, options: NonzeroOptions): Tensor | Tensor[] {
  checkOptions('nonzero', options, ['asTuple']);
  const asTuple = checkBoolean('nonzero: asTuple', options.asTuple ?? false);
  const indices = nonzeroOf(x, values);
  if (!asTuple) return indices;
  const columns = compositeResults(() =>
    Array.from({ length: x.rank }, (_, axis) => reshape(slice(indices, [0, axis], [-1, 1]), [-1])),
  );
  indices.dispose();
  return columns;
}

/** torch.nonzero: the int32 indices [n, rank] of x's non-zero entries, row-major (asTuple: one vector per axis). */
export function nonzero(x: Tensor, options?: { asTuple?: false }): Tensor;
export function nonzero(x: Tensor, options: { asTuple: true }): Tensor[];
export function nonzero(x: Tensor, options: NonzeroOptions = {}): Tensor | Tensor[] {
  return nonzeroResult(x, readOnHost('nonzero', x), options);
}

/** nonzero for backends that read asynchronously. */
export async function nonzeroAsync(x: Tensor, options: NonzeroOptions = {}): Promise<Tensor | Tensor[]> {
  return nonzeroResult(x, await x.data(), options);
}

/** torch.argwhere: the int32 indices [n, rank] of x's non-zero entries. */
export const argwhere = (x: Tensor): Tensor => nonzeroOf(x, readOnHost('argwhere', x));
/** argwhere for backends that read asynchronously. */
export const argwhereAsync = async (x: Tensor): Promise<Tensor> => nonzeroOf(x, await x.data());

function maskedSelectOf(x: Tensor, mask: Tensor, bits: Values, shape: readonly number[]): Tensor {
  const positions: number[] = [];
  for (let i = 0; i < bits.length; i++) if (bits[i]) positions.push(i);
  return composite(() => gather(reshape(expand(x, shape), [-1]), int32s(positions, [positions.length], x), 0));
}

function maskedSelectShape(x: Tensor, mask: Tensor): number[] {
  if (mask.dtype !== 'bool') throw new DTypeError(`maskedSelect: mask must be bool, got dtype ${mask.dtype}`);
  return broadcastShapes('maskedSelect', x.shape, mask.shape);
}

/** torch.masked_select: x's entries where mask (broadcasting) is true, as a vector; differentiable in x. */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  const shape = maskedSelectShape(x, mask);
  const full = expand(mask, shape);
  try {
    return maskedSelectOf(x, mask, readOnHost('maskedSelect', full), shape);
  } finally {
    if (full !== mask) full.dispose();
  }
}

/** maskedSelect for backends that read asynchronously. */
export async function maskedSelectAsync(x: Tensor, mask: Tensor): Promise<Tensor> {
  const shape = maskedSelectShape(x, mask);
  const full = expand(mask, shape);
  const bits = await full.data();
  full.dispose();
  return maskedSelectOf(x, mask, bits, shape);
}

export interface UniqueOptions {
  /** Sorted ascending (default true; torch leaves the order of sorted=false unspecified: Myelin sorts). */
  sorted?: boolean;
  /** Also return, for every element (slice), the index of its unique value. */
  returnInverse?: boolean;
  /** Also return how often each unique value occurs. */
  returnCounts?: boolean;
  /** Unique slices along dim instead of unique elements of the flattened tensor. */
  dim?: number;
}

/** unique's result: the values, and the inverse indices and counts (int32) when asked for. */
export interface UniqueResult {
  values: Tensor;
  inverse?: Tensor;
  counts?: Tensor;
}

/** The slices of x along `at` as rows of numbers (x flattened: one number each). */
function slicesOf(x: Tensor, values: Values, at: number | undefined): number[][] {
  if (at === undefined) return Array.from(values, (v) => [v]);
  const n = x.shape[at]!;
  const inner = sizeOf(x.shape.slice(at + 1));
  const outer = sizeOf(x.shape.slice(0, at));
  return Array.from({ length: n }, (_, i) => {
    const row: number[] = [];
    for (let o = 0; o < outer; o++) for (let k = 0; k < inner; k++) row.push(values[(o * n + i) * inner + k]!);
    return row;
  });
}

/** Lexicographic order of rows; NaN sorts after every number (a total order for Array.sort). */
const compareRows = (a: number[], b: number[]): number => {
  for (let i = 0; i < a.length; i++) {
    const [p, q] = [a[i]!, b[i]!];
    if (p === q || (p !== p && q !== q)) continue;
    return p !== p ? 1 : q !== q ? -1 : p < q ? -1 : 1;
  }
  return 0;
};

/** Rows that unique merges: equal numbers; a NaN equals nothing, so each NaN is its own value (as NumPy's and torch's sorted values). */
const sameRow = (a: number[], b: number[]): boolean => a.every((v, i) => v === b[i]);

function uniqueOf(op: string, x: Tensor, values: Values, options: UniqueOptions, consecutive: boolean): UniqueResult {
  checkOptions(
    op,
    options,
    consecutive ? ['returnInverse', 'returnCounts', 'dim'] : ['sorted', 'returnInverse', 'returnCounts', 'dim'],
  );
  if (options.sorted !== undefined) checkBoolean(`${op}: sorted`, options.sorted);
  const returnInverse = checkBoolean(`${op}: returnInverse`, options.returnInverse ?? false);
  const returnCounts = checkBoolean(`${op}: returnCounts`, options.returnCounts ?? false);
  const at = options.dim === undefined ? undefined : normalizeAxis(op, options.dim, x.rank);
  const rows = slicesOf(x, values, at);
  const order = rows.map((_, i) => i);
  if (!consecutive) order.sort((a, b) => compareRows(rows[a]!, rows[b]!) || a - b);
  const firsts: number[] = [];
  const counts: number[] = [];
  const inverse = new Array<number>(rows.length);
  for (const i of order) {
    const previous = firsts.at(-1);
    if (previous === undefined || !sameRow(rows[previous]!, rows[i]!)) {
      firsts.push(i);
      counts.push(0);
    }
    counts[counts.length - 1]!++;
    inverse[i] = firsts.length - 1;
  }
  const picked = int32s(firsts, [firsts.length], x);
  const result: UniqueResult = {
    values: composite(() => gather(at === undefined ? reshape(x, [-1]) : x, picked, at ?? 0)),
  };
  picked.dispose();
  if (returnInverse) result.inverse = int32s(inverse, at === undefined ? x.shape : [rows.length], x);
  if (returnCounts) result.counts = int32s(counts, [counts.length], x);
  return result;
}

/** torch.unique: the distinct elements (or slices along dim), sorted, with inverse indices and counts on request. */
export const unique = (x: Tensor, options: UniqueOptions = {}): UniqueResult =>
  uniqueOf('unique', x, readOnHost('unique', x), options, false);
/** unique for backends that read asynchronously. */
export const uniqueAsync = async (x: Tensor, options: UniqueOptions = {}): Promise<UniqueResult> =>
  uniqueOf('unique', x, await x.data(), options, false);

/** torch.unique_consecutive: each run of equal consecutive elements (slices along dim) kept once. */
export const uniqueConsecutive = (x: Tensor, options: Omit<UniqueOptions, 'sorted'> = {}): UniqueResult =>
  uniqueOf('uniqueConsecutive', x, readOnHost('uniqueConsecutive', x), options, true);
/** uniqueConsecutive for backends that read asynchronously. */
export const uniqueConsecutiveAsync = async (
  x: Tensor,
  options: Omit<UniqueOptions, 'sorted'> = {},
): Promise<UniqueResult> => uniqueOf('uniqueConsecutive', x, await x.data(), options, true);

export interface BincountOptions {
  /** A weight per element of x, summed per bin instead of counting (the output takes its dtype). */
  weights?: Tensor;
  /** The least number of bins (default 0). */
  minlength?: number;
}

function bincountOf(x: Tensor, values: Values, options: BincountOptions): Tensor {
  checkOptions('bincount', options, ['weights', 'minlength']);
  const minlength = checkInteger('bincount: minlength', options.minlength ?? 0);
  if (minlength < 0) throw new ArgumentError(`bincount: minlength must be >= 0, got ${minlength}`);
  let largest = -1;
  for (let i = 0; i < values.length; i++) {
    if (values[i]! < 0) throw new ArgumentError(`bincount: x must be non-negative, got ${values[i]} at position ${i}`);
    largest = Math.max(largest, values[i]!);
  }
  const { weights } = options;
  if (weights !== undefined && (weights.rank !== 1 || weights.size !== x.size))
    throw new ShapeError(
      `bincount: weights must be a vector of x's length ${x.size}, got shape ${formatShape(weights.shape)}`,
    );
  const bins = Math.max(largest + 1, minlength);
  return composite(() => scatterAdd(weights ?? fullLike(x, 1), x, 0, bins));
}

function checkBincountInput(x: Tensor): void {
  if (x.dtype !== 'int32') throw new DTypeError(`bincount: x must be int32, got dtype ${x.dtype}`);
  if (x.rank !== 1) throw new ShapeError(`bincount: x must be 1-D, got shape ${formatShape(x.shape)}`);
}

/** torch.bincount: how often each value 0..max(x) occurs in the non-negative int32 vector x (or the sum of its weights). */
export function bincount(x: Tensor, options: BincountOptions = {}): Tensor {
  checkBincountInput(x);
  return bincountOf(x, readOnHost('bincount', x), options);
}

/** bincount for backends that read asynchronously. */
export async function bincountAsync(x: Tensor, options: BincountOptions = {}): Promise<Tensor> {
  checkBincountInput(x);
  return bincountOf(x, await x.data(), options);
}

export interface HistcOptions {
  /** The number of equal-width bins (default 100). */
  bins?: number;
  /** The lower edge; with max, 0 and 0 (the default) take x's own minimum and maximum. */
  min?: number;
  /** The upper edge (inclusive). */
  max?: number;
}

/** torch.histc: counts of x's elements in `bins` equal bins over [min, max] (outside ignored), in x's float dtype. */
export function histc(x: Tensor, options: HistcOptions = {}): Tensor {
  checkOptions('histc', options, ['bins', 'min', 'max']);
  const bins = checkInteger('histc: bins', options.bins ?? 100);
  if (bins < 1) throw new ArgumentError(`histc: bins must be at least 1, got ${bins}`);
  const low = options.min ?? 0;
  const high = options.max ?? 0;
  if (typeof low !== 'number' || typeof high !== 'number' || low > high)
    throw new ArgumentError(
      `histc: min must be a number no larger than max, got ${describeValue(low)} and ${describeValue(high)}`,
    );
  if (!isFloat(x.dtype)) throw new DTypeError(`histc: expected a float tensor, got dtype ${x.dtype}`);
  return composite(() => {
    const flat = reshape(x, [-1]);
    // torch: min = max = 0 takes the data's range; an empty range grows by 1 on each side.
    let lower: Tensor | number = low === high ? low - 1 : low;
    let upper: Tensor | number = low === high ? high + 1 : high;
    if (low === 0 && high === 0 && x.size > 0) {
      const smallest = min(flat);
      const largest = max(flat);
      const empty = equal(smallest, largest);
      lower = where(empty, sub(smallest, 1), smallest);
      upper = where(empty, add(largest, 1), largest);
    }
    const inside = logicalAnd(greaterEqual(flat, lower), lessEqual(flat, upper));
    const width = typeof upper === 'number' && typeof lower === 'number' ? upper - lower : sub(upper, lower);
    const position = floor(div(mul(sub(flat, lower), bins), width));
    // The upper edge belongs to the last bin; outside values go to a dropped extra bin.
    const bin = where(inside, where(greaterEqual(position, bins), bins - 1, position), bins);
    const counts = scatterAdd(fullLike(flat, 1), cast(bin, 'int32'), 0, bins + 1);
    return slice(counts, [0], [bins]);
  });
}

export interface BucketizeOptions {
  /** Use boundaries[i-1] <= v < boundaries[i] instead of boundaries[i-1] < v <= boundaries[i] (default false). */
  right?: boolean;
}

/**
 * The count along the last axis of sequence entries that are not >= v (not > v, `right`), as
 * int32: torch's binary-search tests, so a NaN value goes after every entry, as in torch.
 */
function countBelow(sequence: Tensor, values: Tensor, right: boolean): Tensor {
  return sum(cast(logicalNot((right ? greater : greaterEqual)(sequence, values)), 'int32'), -1);
}

/** torch.bucketize: for each value, the index of its bucket among the sorted 1-D boundaries (int32; memory n x buckets). */
export function bucketize(input: Tensor, boundaries: Tensor, options: BucketizeOptions = {}): Tensor {
  checkOptions('bucketize', options, ['right']);
  const right = checkBoolean('bucketize: right', options.right ?? false);
  if (boundaries.rank !== 1)
    throw new ShapeError(`bucketize: boundaries must be 1-D, got shape ${formatShape(boundaries.shape)}`);
  return composite(() => countBelow(boundaries, reshape(input, [...input.shape, 1]), right));
}

export interface SearchsortedOptions {
  /** Insert after equal entries (default false: before them). */
  right?: boolean;
  /** torch's spelling of right: 'left' or 'right'. */
  side?: 'left' | 'right';
  /** Indices (int32) that sort sortedSequence along its last axis, when it is not sorted itself. */
  sorter?: Tensor;
}

/**
 * torch.searchsorted: for each value, where it would be inserted into sortedSequence's last axis
 * to keep it sorted (a 1-D sequence serves every value; otherwise its leading axes match values').
 */
export function searchsorted(sortedSequence: Tensor, values: Tensor, options: SearchsortedOptions = {}): Tensor {
  checkOptions('searchsorted', options, ['right', 'side', 'sorter']);
  const rightFlag = checkBoolean('searchsorted: right', options.right ?? false);
  const { side, sorter } = options;
  if (side !== undefined && side !== 'left' && side !== 'right')
    throw new ArgumentError(`searchsorted: side must be 'left' or 'right', got ${describeValue(side)}`);
  if (side === 'left' && rightFlag) throw new ArgumentError(`searchsorted: side 'left' contradicts right: true`);
  const right = rightFlag || side === 'right';
  if (sortedSequence.rank > 1 && !sortedSequence.shape.slice(0, -1).every((d, i) => d === values.shape[i]))
    throw new ShapeError(
      `searchsorted: the leading axes of sortedSequence ${formatShape(sortedSequence.shape)} must match those of values ${formatShape(values.shape)}`,
    );
  if (sortedSequence.rank > 1 && sortedSequence.rank !== values.rank)
    throw new ShapeError(
      `searchsorted: sortedSequence ${formatShape(sortedSequence.shape)} and values ${formatShape(values.shape)} must have one rank`,
    );
  if (
    sorter !== undefined &&
    (sorter.dtype !== 'int32' ||
      sorter.rank !== sortedSequence.rank ||
      sorter.shape.some((d, i) => d !== sortedSequence.shape[i]))
  )
    throw new ShapeError(
      `searchsorted: sorter must be int32 of sortedSequence's shape ${formatShape(sortedSequence.shape)}, got ${sorter.dtype} ${formatShape(sorter.shape)}`,
    );
  return composite(() => {
    const sequence = sorter ? takeAlongDim(sortedSequence, sorter, -1) : sortedSequence;
    const aligned =
      sequence.rank === 1 ? sequence : reshape(sequence, [...sequence.shape.slice(0, -1), 1, sequence.shape.at(-1)!]);
    return countBelow(aligned, reshape(values, [...values.shape, 1]), right);
  });
}
