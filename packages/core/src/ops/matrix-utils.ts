import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { fromHost } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import { broadcastShapes, normalizeAxis } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { mul, notEqual, sub, where } from './elementwise.js';
import { concat, expand, gather, pad, permute, reshape, slice, stack } from './movement.js';
import { sum } from './reduce.js';
import { isTensor } from '../tensor/is-tensor.js';

/*
 * Matrix and shape utilities of torch (tril, triu, diag, diagonal, diag_embed, trace, outer,
 * kron, roll, unbind, meshgrid, diff, linalg.cross, cartesian_prod), composed from movement
 * ops, where and mul, so they run and differentiate on every backend.
 */

/** The elements start..start+length-1 of x along axis `at` (every element of the other axes). */
export function sliceAlong(x: Tensor, at: number, start: number, length: number): Tensor {
  return slice(
    x,
    x.shape.map((_, axis) => (axis === at ? start : 0)),
    x.shape.map((_, axis) => (axis === at ? length : -1)),
  );
}

function checkInteger(op: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new ArgumentError(`${op}: ${name} must be an integer, got ${String(value)}`);
  return value;
}

/** x with the elements where keep(row, column) is false set to 0, over the last two axes. */
function triangle(op: string, x: Tensor, diagonal: number, keep: (offset: number) => boolean): Tensor {
  checkInteger(op, 'diagonal', diagonal);
  if (x.rank < 2) throw new ShapeError(`${op}: expected a tensor of rank 2 or more, got shape ${formatShape(x.shape)}`);
  const [rows, columns] = x.shape.slice(-2) as [number, number];
  return composite(() => {
    const mask = new Uint8Array(rows * columns);
    for (let i = 0; i < rows; i++) for (let j = 0; j < columns; j++) mask[i * columns + j] = keep(j - i) ? 1 : 0;
    return where(fromHost(mask, [rows, columns], { dtype: 'bool', backend: x.backend }), x, 0);
  });
}

/** torch.tril: the lower triangle of the last two axes (on and below the `diagonal`-th diagonal), 0 above. */
export const tril = (x: Tensor, diagonal = 0): Tensor => triangle('tril', x, diagonal, (k) => k <= diagonal);
/** torch.triu: the upper triangle of the last two axes (on and above the `diagonal`-th diagonal), 0 below. */
export const triu = (x: Tensor, diagonal = 0): Tensor => triangle('triu', x, diagonal, (k) => k >= diagonal);

/**
 * torch.diagonal: the `offset`-th diagonal of the matrices in axes dim1 and dim2 (above the main
 * one for offset > 0), as a new last axis; the other axes keep their order.
 */
export function diagonal(x: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  checkInteger('diagonal', 'offset', offset);
  const a = normalizeAxis('diagonal', dim1, x.rank);
  const b = normalizeAxis('diagonal', dim2, x.rank);
  if (a === b) throw new ArgumentError(`diagonal: dim1 and dim2 must differ, both are axis ${a}`);
  const rows = x.shape[a]!;
  const columns = x.shape[b]!;
  const length = Math.max(0, offset >= 0 ? Math.min(rows, columns - offset) : Math.min(rows + offset, columns));
  const rest = x.shape.map((_, i) => i).filter((i) => i !== a && i !== b);
  return composite(() => {
    const matrices = reshape(permute(x, [...rest, a, b]), [...rest.map((i) => x.shape[i]!), rows * columns]);
    if (length === 0)
      return slice(
        matrices,
        matrices.shape.map(() => 0),
        [...rest.map((i) => x.shape[i]!), 0],
      );
    const at = Int32Array.from({ length }, (_, i) =>
      offset >= 0 ? i * columns + i + offset : (i - offset) * columns + i,
    );
    return gather(matrices, fromHost(at, [length], { dtype: 'int32', backend: x.backend }), -1);
  });
}

/**
 * torch.diag_embed: the last axis of x laid on the `offset`-th diagonal of new matrices in the
 * output axes dim1 and dim2 (the last two by default), zeros elsewhere.
 */
export function diagEmbed(x: Tensor, offset = 0, dim1 = -2, dim2 = -1): Tensor {
  checkInteger('diagEmbed', 'offset', offset);
  if (x.rank < 1) throw new ShapeError(`diagEmbed: expected a tensor of rank 1 or more, got a scalar`);
  const rank = x.rank + 1;
  const a = normalizeAxis('diagEmbed', dim1, rank);
  const b = normalizeAxis('diagEmbed', dim2, rank);
  if (a === b) throw new ArgumentError(`diagEmbed: dim1 and dim2 must differ, both are axis ${a}`);
  const n = x.shape[x.rank - 1]!;
  const shift = Math.abs(offset);
  return composite(() => {
    const identity = new Uint8Array(n * n);
    for (let i = 0; i < n; i++) identity[i * n + i] = 1;
    const mask = fromHost(identity, [n, n], { dtype: 'bool', backend: x.backend });
    const columns = expand(reshape(x, [...x.shape, 1]), [...x.shape, n]);
    const square = where(mask, columns, 0);
    const zeros = x.shape.slice(0, -1).map((): [number, number] => [0, 0]);
    const placed = pad(square, [
      ...zeros,
      offset >= 0 ? [0, shift] : [shift, 0],
      offset >= 0 ? [shift, 0] : [0, shift],
    ]);
    // Batch axes fill the output axes other than dim1 and dim2, in order.
    const perm: number[] = [];
    let batch = 0;
    for (let axis = 0; axis < rank; axis++) perm.push(axis === a ? rank - 2 : axis === b ? rank - 1 : batch++);
    return permute(placed, perm);
  });
}

/** torch.diag: a vector to the matrix with it on the `diagonal`-th diagonal, a matrix to that diagonal. */
export function diag(x: Tensor, diagonalOffset = 0): Tensor {
  if (x.rank === 1) return diagEmbed(x, diagonalOffset);
  if (x.rank === 2) return diagonal(x, diagonalOffset);
  throw new ShapeError(`diag: expected a vector or a matrix, got shape ${formatShape(x.shape)}`);
}

/** torch.trace: the sum of a matrix's main diagonal. */
export function trace(x: Tensor): Tensor {
  if (x.rank !== 2) throw new ShapeError(`trace: expected a matrix, got shape ${formatShape(x.shape)}`);
  return composite(() => sum(diagonal(x)));
}

function checkVector(op: string, role: string, x: Tensor): void {
  if (x.rank !== 1) throw new ShapeError(`${op}: ${role} must be a vector, got shape ${formatShape(x.shape)}`);
}

/** torch.outer: the matrix a[i] * b[j]. */
export function outer(a: Tensor, b: Tensor): Tensor {
  checkVector('outer', 'a', a);
  checkVector('outer', 'b', b);
  return composite(() => mul(reshape(a, [a.shape[0]!, 1]), reshape(b, [1, b.shape[0]!])));
}

/** torch.kron: the Kronecker product; the lower-rank operand gains leading axes of size 1. */
export function kron(a: Tensor, b: Tensor): Tensor {
  const rank = Math.max(a.rank, b.rank);
  const lead = (t: Tensor): number[] => [...new Array<number>(rank - t.rank).fill(1), ...t.shape];
  const [sa, sb] = [lead(a), lead(b)];
  return composite(() => {
    // [a0, a1] and [b0, b1] -> [a0, 1, a1, 1] * [1, b0, 1, b1] -> [a0 b0, a1 b1].
    const product = mul(
      reshape(
        a,
        sa.flatMap((d) => [d, 1]),
      ),
      reshape(
        b,
        sb.flatMap((d) => [1, d]),
      ),
    );
    return reshape(
      product,
      sa.map((d, i) => d * sb[i]!),
    );
  });
}

/**
 * torch.roll: elements shifted by `shifts` along `dims` (wrapping around); with no dims, the
 * flattened tensor is rolled and reshaped back.
 */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
  const shiftList = typeof shifts === 'number' ? [shifts] : [...shifts];
  shiftList.forEach((s) => checkInteger('roll', 'shifts', s));
  if (dims === undefined) {
    if (shiftList.length !== 1)
      throw new ArgumentError(`roll: without dims, shifts must be one number, got [${shiftList.join(', ')}]`);
    return composite(() => reshape(roll(reshape(x, [-1]), shiftList[0]!, 0), x.shape));
  }
  const dimList = typeof dims === 'number' ? [dims] : [...dims];
  if (dimList.length !== shiftList.length)
    throw new ArgumentError(
      `roll: shifts [${shiftList.join(', ')}] and dims [${dimList.join(', ')}] must have the same length`,
    );
  const axes = dimList.map((d) => normalizeAxis('roll', d, x.rank));
  return composite(() => {
    let out = x;
    axes.forEach((at, i) => {
      const n = x.shape[at]!;
      const s = n === 0 ? 0 : ((shiftList[i]! % n) + n) % n;
      if (s === 0) return;
      out = concat([sliceAlong(out, at, n - s, s), sliceAlong(out, at, 0, n - s)], at);
    });
    return out === x ? reshape(x, x.shape) : out;
  });
}

/** torch.unbind: the slices along `dim`, each without that axis. */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  const at = normalizeAxis('unbind', dim, x.rank);
  const shape = x.shape.filter((_, i) => i !== at);
  return Array.from({ length: x.shape[at]! }, (_, i) => composite(() => reshape(sliceAlong(x, at, i, 1), shape)));
}

export interface MeshgridOptions {
  /** 'ij' (default; matrix indexing, PyTorch's) or 'xy' (Cartesian: the first two output axes swapped). */
  indexing?: 'ij' | 'xy';
}

/**
 * torch.meshgrid: for N vectors (or scalars), N tensors of shape [n0, n1, ...] (swapping the first
 * two for indexing 'xy'), the i-th holding vector i's value along its own axis.
 */
export function meshgrid(...args: (Tensor | MeshgridOptions)[]): Tensor[] {
  const last = args[args.length - 1];
  const hasOptions = last !== undefined && !isTensor(last);
  const options = (hasOptions ? last : {}) as MeshgridOptions;
  const tensors = (hasOptions ? args.slice(0, -1) : args) as Tensor[];
  const indexing = options.indexing ?? 'ij';
  if (indexing !== 'ij' && indexing !== 'xy')
    throw new ArgumentError(`meshgrid: indexing must be 'ij' or 'xy', got ${String(indexing)}`);
  if (tensors.length === 0) throw new ArgumentError('meshgrid: expected at least one tensor');
  tensors.forEach((t, i) => {
    if (!isTensor(t) || t.rank > 1)
      throw new ShapeError(
        `meshgrid: every input must be a scalar or a vector, got ${isTensor(t) ? `shape ${formatShape(t.shape)}` : String(t)} at ${i}`,
      );
  });
  const swap = indexing === 'xy' && tensors.length >= 2;
  const axisOf = (i: number): number => (swap && i < 2 ? 1 - i : i);
  const shape = new Array<number>(tensors.length);
  tensors.forEach((t, i) => (shape[axisOf(i)] = t.size));
  return tensors.map((t, i) =>
    composite(() =>
      expand(
        reshape(
          t,
          shape.map((d, axis) => (axis === axisOf(i) ? d : 1)),
        ),
        shape,
      ),
    ),
  );
}

/** torch.cartesian_prod: every combination of the vectors' elements, as rows [N, k] (one vector: itself). */
export function cartesianProd(...tensors: Tensor[]): Tensor {
  tensors.forEach((t, i) => {
    if (!isTensor(t) || t.rank !== 1)
      throw new ShapeError(
        `cartesianProd: every input must be a vector, got ${isTensor(t) ? formatShape(t.shape) : String(t)} at ${i}`,
      );
  });
  if (tensors.length === 1) return composite(() => reshape(tensors[0]!, tensors[0]!.shape));
  return composite(() =>
    stack(
      meshgrid(...tensors).map((grid) => reshape(grid, [-1])),
      1,
    ),
  );
}

export interface DiffOptions {
  /** How many times to difference (default 1). */
  n?: number;
  /** The axis (default -1). */
  dim?: number;
  /** Joined before x along dim (same shape elsewhere). */
  prepend?: Tensor;
  /** Joined after x along dim. */
  append?: Tensor;
}

/** torch.diff: x[i + 1] - x[i] along `dim`, `n` times (for bool: x[i + 1] != x[i]). */
export function diff(x: Tensor, options: DiffOptions = {}): Tensor {
  const n = options.n ?? 1;
  if (!Number.isInteger(n) || n < 0)
    throw new ArgumentError(`diff: n must be a non-negative integer, got ${String(n)}`);
  if (x.rank === 0) throw new ShapeError('diff: expected a tensor of rank 1 or more, got a scalar');
  const at = normalizeAxis('diff', options.dim ?? -1, x.rank);
  return composite(() => {
    let out = concat(
      [options.prepend, x, options.append].filter((t): t is Tensor => t !== undefined),
      at,
    );
    for (let step = 0; step < n; step++) {
      const length = Math.max(0, out.shape[at]! - 1);
      const later = sliceAlong(out, at, Math.min(1, out.shape[at]!), length);
      const earlier = sliceAlong(out, at, 0, length);
      out = out.dtype === 'bool' ? notEqual(later, earlier) : sub(later, earlier);
    }
    return out === x ? reshape(x, x.shape) : out;
  });
}

/** torch.linalg.cross: the cross product of 3-vectors along `dim` (default -1), broadcasting a and b. */
export function cross(a: Tensor, b: Tensor, dim = -1): Tensor {
  if (a.dtype === 'bool' || b.dtype === 'bool') throw new DTypeError('cross: expected numeric tensors, got dtype bool');
  if (a.rank !== b.rank)
    throw new ShapeError(
      `cross: a and b must have the same rank (their sizes broadcast), got shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}`,
    );
  const shape = broadcastShapes('cross', a.shape, b.shape);
  const at = normalizeAxis('cross', dim, shape.length);
  if (shape[at] !== 3)
    throw new ShapeError(
      `cross: axis ${at} must have size 3, got ${shape[at]} (shapes ${formatShape(a.shape)} and ${formatShape(b.shape)})`,
    );
  return composite(() => {
    const [a0, a1, a2] = unbind(expand(a, shape), at);
    const [b0, b1, b2] = unbind(expand(b, shape), at);
    const term = (p: Tensor, q: Tensor, r: Tensor, s: Tensor): Tensor => sub(mul(p, q), mul(r, s));
    return stack([term(a1!, b2!, a2!, b1!), term(a2!, b0!, a0!, b2!), term(a0!, b1!, a1!, b0!)], at);
  });
}
