import { ArgumentError, ShapeError, describeValue, formatShape } from '../errors.js';
import { checkInteger, checkOptions } from '../nn/checks.js';
import { fromHost, onesLike } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import { broadcastShapes, normalizeAxes, normalizeAxis } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { diag, sliceAlong } from './matrix-utils.js';
import { concat, expand, pad, permute, reshape, transpose, unsqueeze } from './movement.js';
import { flip } from './tensor-utils.js';
import { cumprod } from './scan.js';

/*
 * torch's shape functions (movedim, atleast_nd, broadcast_tensors, the *stack and *split
 * families, tensor_split, fliplr/flipud, rot90, block_diag, diagflat, tril/triu_indices, vander),
 * composed from movement ops, so they run and differentiate on every backend.
 */

const asList = (axes: number | readonly number[]): readonly number[] => (typeof axes === 'number' ? [axes] : axes);

/** torch.movedim: the axes `source` moved to the positions `destination`, the others keeping their order. */
export function movedim(
  x: Tensor,
  source: number | readonly number[],
  destination: number | readonly number[],
): Tensor {
  const from = asList(source).map((axis) => normalizeAxis('movedim', axis, x.rank));
  const to = asList(destination).map((axis) => normalizeAxis('movedim', axis, x.rank));
  if (from.length !== to.length)
    throw new ArgumentError(
      `movedim: source and destination must name as many axes, got ${from.length} and ${to.length}`,
    );
  if (new Set(from).size !== from.length || new Set(to).size !== to.length)
    throw new ArgumentError(
      `movedim: an axis repeats in source [${from.join(', ')}] or destination [${to.join(', ')}]`,
    );
  const perm = new Array<number>(x.rank).fill(-1);
  from.forEach((axis, i) => (perm[to[i]!] = axis));
  const rest = x.shape.map((_, i) => i).filter((i) => !from.includes(i));
  for (let i = 0, next = 0; i < x.rank; i++) if (perm[i] === -1) perm[i] = rest[next++]!;
  return permute(x, perm);
}

/** torch.moveaxis: NumPy's name for movedim. */
export const moveaxis = (
  x: Tensor,
  source: number | readonly number[],
  destination: number | readonly number[],
): Tensor => movedim(x, source, destination);

function atLeast(x: Tensor, rank: 1 | 2 | 3): Tensor {
  if (x.rank >= rank) return x;
  // torch: a scalar is [1], [1, 1], [1, 1, 1]; a vector [1, n], [1, n, 1]; a matrix [m, n, 1].
  const shapes: Record<number, number[][]> = {
    0: [[1], [1, 1], [1, 1, 1]],
    1: [[], [1, x.shape[0]!], [1, x.shape[0]!, 1]],
    2: [[], [], [x.shape[0]!, x.shape[1]!, 1]],
  };
  return reshape(x, shapes[x.rank]![rank - 1]!);
}

/** torch.atleast_1d: x viewed with at least one dimension (a list of tensors gives a list). */
export function atleast1d(x: Tensor): Tensor;
export function atleast1d(xs: readonly Tensor[]): Tensor[];
export function atleast1d(x: Tensor | readonly Tensor[]): Tensor | Tensor[] {
  return Array.isArray(x) ? x.map((t: Tensor) => atLeast(t, 1)) : atLeast(x as Tensor, 1);
}

/** torch.atleast_2d: a vector [n] becomes [1, n], a scalar [1, 1] (a list of tensors gives a list). */
export function atleast2d(x: Tensor): Tensor;
export function atleast2d(xs: readonly Tensor[]): Tensor[];
export function atleast2d(x: Tensor | readonly Tensor[]): Tensor | Tensor[] {
  return Array.isArray(x) ? x.map((t: Tensor) => atLeast(t, 2)) : atLeast(x as Tensor, 2);
}

/** torch.atleast_3d: [n] becomes [1, n, 1], [m, n] becomes [m, n, 1] (a list of tensors gives a list). */
export function atleast3d(x: Tensor): Tensor;
export function atleast3d(xs: readonly Tensor[]): Tensor[];
export function atleast3d(x: Tensor | readonly Tensor[]): Tensor | Tensor[] {
  return Array.isArray(x) ? x.map((t: Tensor) => atLeast(t, 3)) : atLeast(x as Tensor, 3);
}

/** torch.broadcast_tensors: every tensor expanded to their common broadcast shape. */
export function broadcastTensors(...xs: Tensor[]): Tensor[] {
  const shape = xs.map((t) => t.shape).reduce((a, b) => broadcastShapes('broadcastTensors', a, b), []);
  return xs.map((t) => expand(t, shape));
}

function checkList(op: string, xs: readonly Tensor[]): void {
  if (!Array.isArray(xs) || xs.length === 0)
    throw new ArgumentError(`${op}: expected a non-empty list of tensors, got ${describeValue(xs)}`);
}

/** torch.hstack: concatenated along axis 1, or along axis 0 for vectors. */
export function hstack(xs: readonly Tensor[]): Tensor {
  checkList('hstack', xs);
  return composite(() => {
    const ts = atleast1d(xs);
    return concat(ts, ts[0]!.rank === 1 ? 0 : 1);
  });
}

/** torch.vstack: rows stacked (vectors become rows first). */
export function vstack(xs: readonly Tensor[]): Tensor {
  checkList('vstack', xs);
  return composite(() => concat(atleast2d(xs), 0));
}

/** torch.dstack: stacked along the third axis (after atleast3d). */
export function dstack(xs: readonly Tensor[]): Tensor {
  checkList('dstack', xs);
  return composite(() => concat(atleast3d(xs), 2));
}

/** torch.column_stack: vectors (and scalars) as columns, matrices as they are, joined along axis 1. */
export function columnStack(xs: readonly Tensor[]): Tensor {
  checkList('columnStack', xs);
  return composite(() =>
    concat(
      xs.map((t) => (t.rank <= 1 ? reshape(t, [-1, 1]) : t)),
      1,
    ),
  );
}

/**
 * torch.tensor_split: x split along dim into `sections` nearly equal pieces (the first
 * length % sections one longer), or at the given indices.
 */
export function tensorSplit(x: Tensor, sectionsOrIndices: number | readonly number[], dim = 0): Tensor[] {
  const at = normalizeAxis('tensorSplit', dim, x.rank);
  const length = x.shape[at]!;
  let bounds: number[];
  if (typeof sectionsOrIndices === 'number') {
    const sections = checkInteger('tensorSplit: sections', sectionsOrIndices);
    if (sections < 1) throw new ArgumentError(`tensorSplit: sections must be at least 1, got ${sections}`);
    const base = Math.floor(length / sections);
    const extra = length % sections;
    bounds = [0];
    for (let i = 0; i < sections; i++) bounds.push(bounds[i]! + base + (i < extra ? 1 : 0));
  } else {
    if (!Array.isArray(sectionsOrIndices) || sectionsOrIndices.some((i) => !Number.isInteger(i)))
      throw new ArgumentError(`tensorSplit: indices must be integers, got ${describeValue(sectionsOrIndices)}`);
    // As Python slicing: negative indices count from the end, all clamped to 0..length.
    const clamp = (i: number): number => Math.min(length, Math.max(0, i < 0 ? i + length : i));
    bounds = [0, ...sectionsOrIndices.map(clamp), length];
  }
  return bounds.slice(0, -1).map((start, i) => {
    const end = Math.max(start, bounds[i + 1]!);
    return sliceAlong(x, at, start, end - start);
  });
}

function namedSplit(
  op: string,
  x: Tensor,
  minRank: number,
  dim: number,
  sections: number | readonly number[],
): Tensor[] {
  if (x.rank < minRank)
    throw new ShapeError(`${op}: expected a tensor of rank ${minRank} or more, got shape ${formatShape(x.shape)}`);
  if (typeof sections === 'number' && x.shape[dim]! % sections !== 0)
    throw new ShapeError(
      `${op}: ${sections} sections do not divide dim ${dim} of shape ${formatShape(x.shape)} evenly`,
    );
  return tensorSplit(x, sections, dim);
}

/** torch.hsplit: tensorSplit along axis 1 (axis 0 for vectors); a count must divide it evenly. */
export const hsplit = (x: Tensor, sections: number | readonly number[]): Tensor[] =>
  namedSplit('hsplit', x, 1, x.rank === 1 ? 0 : 1, sections);
/** torch.vsplit: tensorSplit along axis 0 of a tensor of rank 2 or more. */
export const vsplit = (x: Tensor, sections: number | readonly number[]): Tensor[] =>
  namedSplit('vsplit', x, 2, 0, sections);
/** torch.dsplit: tensorSplit along axis 2 of a tensor of rank 3 or more. */
export const dsplit = (x: Tensor, sections: number | readonly number[]): Tensor[] =>
  namedSplit('dsplit', x, 3, 2, sections);

function flipAxis(op: string, x: Tensor, axis: number, minRank: number): Tensor {
  if (x.rank < minRank)
    throw new ShapeError(`${op}: expected a tensor of rank ${minRank} or more, got shape ${formatShape(x.shape)}`);
  return flip(x, axis);
}

/** torch.fliplr: the columns (axis 1) reversed. */
export const fliplr = (x: Tensor): Tensor => flipAxis('fliplr', x, 1, 2);
/** torch.flipud: the rows (axis 0) reversed. */
export const flipud = (x: Tensor): Tensor => flipAxis('flipud', x, 0, 1);

/** torch.rot90: x rotated by k quarter turns in the plane of dims, from the first axis towards the second. */
export function rot90(x: Tensor, k = 1, dims: readonly [number, number] = [0, 1]): Tensor {
  checkInteger('rot90: k', k);
  if (!Array.isArray(dims) || dims.length !== 2)
    throw new ArgumentError(`rot90: dims must be two axes, got ${describeValue(dims)}`);
  const [a, b] = dims.map((axis) => normalizeAxis('rot90', axis, x.rank)) as [number, number];
  if (a === b) throw new ArgumentError(`rot90: the two dims must differ, both are axis ${a}`);
  const turns = ((k % 4) + 4) % 4;
  return composite(() => {
    if (turns === 0) return reshape(x, x.shape);
    if (turns === 2) return flip(x, normalizeAxes('rot90', [a, b], x.rank));
    return turns === 1 ? transpose(flip(x, b), a, b) : flip(transpose(x, a, b), b);
  });
}

/** torch.block_diag: the matrices (vectors as rows, scalars as 1x1) on the diagonal of one matrix, 0 elsewhere. */
export function blockDiag(...xs: Tensor[]): Tensor {
  const matrices = xs.map((t) => {
    if (t.rank > 2)
      throw new ShapeError(`blockDiag: expected tensors of rank 2 or less, got shape ${formatShape(t.shape)}`);
    return t;
  });
  const columns = matrices.reduce((n, t) => n + (t.rank === 2 ? t.shape[1]! : t.rank === 1 ? t.shape[0]! : 1), 0);
  return composite(() => {
    let before = 0;
    const rows = matrices.map((t) => {
      const m = atLeast(t, 2);
      const width = m.shape[1]!;
      const row = pad(m, [
        [0, 0],
        [before, columns - before - width],
      ]);
      before += width;
      return row;
    });
    return concat(rows, 0);
  });
}

/** torch.diagflat: x flattened onto the `offset`-th diagonal of a square matrix. */
export function diagflat(x: Tensor, offset = 0): Tensor {
  return composite(() => diag(reshape(x, [-1]), offset));
}

export interface TriangleIndicesOptions {
  /** The diagonal relative to the main one (default 0). */
  offset?: number;
}

function triangleIndices(
  op: string,
  rows: number,
  columns: number,
  options: TriangleIndicesOptions,
  lower: boolean,
): Tensor {
  checkOptions(op, options, ['offset']);
  const offset = checkInteger(`${op}: offset`, options.offset ?? 0);
  for (const [name, value] of [
    ['row', rows],
    ['col', columns],
  ] as const)
    if (checkInteger(`${op}: ${name}`, value) < 0) throw new ArgumentError(`${op}: ${name} must be >= 0, got ${value}`);
  const picked: number[][] = [[], []];
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < columns; j++)
      if (lower ? j - i <= offset : j - i >= offset) {
        picked[0]!.push(i);
        picked[1]!.push(j);
      }
  return fromHost(Int32Array.from([...picked[0]!, ...picked[1]!]), [2, picked[0]!.length], { dtype: 'int32' });
}

/** torch.tril_indices: the [2, N] int32 row and column indices of the lower triangle of a row x col matrix. */
export const trilIndices = (row: number, col: number, options: TriangleIndicesOptions = {}): Tensor =>
  triangleIndices('trilIndices', row, col, options, true);
/** torch.triu_indices: the [2, N] int32 row and column indices of the upper triangle of a row x col matrix. */
export const triuIndices = (row: number, col: number, options: TriangleIndicesOptions = {}): Tensor =>
  triangleIndices('triuIndices', row, col, options, false);

export interface VanderOptions {
  /** The number of columns (default x's length). */
  n?: number;
  /** Powers 0, 1, ... left to right instead of decreasing (default false). */
  increasing?: boolean;
}

/** torch.vander: the Vandermonde matrix of the vector x, columns x^(N-1) .. x^0 (or increasing). */
export function vander(x: Tensor, options: VanderOptions = {}): Tensor {
  checkOptions('vander', options, ['n', 'increasing']);
  if (x.rank !== 1) throw new ShapeError(`vander: x must be 1-D, got shape ${formatShape(x.shape)}`);
  const n = checkInteger('vander: n', options.n ?? x.shape[0]!);
  if (n < 0) throw new ArgumentError(`vander: n must be >= 0, got ${n}`);
  const increasing = options.increasing ?? false;
  return composite(() => {
    // Running products of [1, x, x, ...] (as torch: exact gradients, also at 0).
    const column = unsqueeze(x, 1);
    if (n === 0) return sliceAlong(column, 1, 0, 0);
    const ones = onesLike(column);
    const powers = cumprod(n === 1 ? ones : concat([ones, expand(column, [x.shape[0]!, n - 1])], 1), 1);
    return increasing ? powers : flip(powers, 1);
  });
}
