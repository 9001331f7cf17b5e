import { ArgumentError } from '../errors.js';
import { checkBoolean, checkOptions } from '../nn/checks.js';
import { abs, cast, equal, mul, notEqual, pow, sqrt, where } from '../ops/elementwise.js';
import { squeeze } from '../ops/movement.js';
import { max, min, sum } from '../ops/reduce.js';
import { composite } from '../tensor/scope.js';
import { normalizeAxes } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkFloat } from './checks.js';
import { spectralMatrixNorm } from './spectral.js';

/*
 * torch.linalg's norms: vector_norm, matrix_norm and norm, composed from reductions so their
 * gradients come from autograd (a zero vector's 2-norm has PyTorch's subgradient 0).
 */

export interface NormOptions {
  /** The axes reduced (vectorNorm: all by default; matrixNorm: [-2, -1]). */
  dim?: number | number[];
  /** Keep the reduced axes with size 1 (default false). */
  keepdim?: boolean;
}

/** A matrix norm's order: 'fro', 'nuc' or ±1, ±2, ±Infinity. */
export type MatrixNormOrder = 'fro' | 'nuc' | number;

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

/**
 * (sum |x|^ord)^(1/ord) over `axes`; Infinity the largest |x|, -Infinity the smallest, 0 the
 * number of non-zeros. The norm's zero is selected away before the root, so its gradient is 0.
 */
function vectorNormOver(x: Tensor, ord: number, axes: number[], keepdim: boolean): Tensor {
  if (ord === Infinity) return max(abs(x), axes, keepdim);
  if (ord === -Infinity) return min(abs(x), axes, keepdim);
  if (ord === 0) return cast(sum(notEqual(x, 0), axes, keepdim), x.dtype);
  if (ord === 1) return sum(abs(x), axes, keepdim);
  const total = sum(ord === 2 ? mul(x, x) : pow(abs(x), ord), axes, keepdim);
  const zero = equal(total, 0);
  const safe = where(zero, 1, total);
  return where(zero, 0, ord === 2 ? sqrt(safe) : pow(safe, 1 / ord));
}

/** torch.linalg.vector_norm: the ord-norm of x over `dim` (all axes by default) as one vector. */
export function vectorNorm(x: Tensor, ord = 2, options: NormOptions = {}): Tensor {
  checkOptions('linalg.vectorNorm', options, ['dim', 'keepdim']);
  checkFloat('vectorNorm', 'x', x);
  if (typeof ord !== 'number' || Number.isNaN(ord))
    throw new ArgumentError(
      `linalg.vectorNorm: ord must be a number (2, 1, Infinity, -Infinity, 0, ...), got ${describe(ord)}`,
    );
  const keepdim = checkBoolean('linalg.vectorNorm: keepdim', options.keepdim ?? false);
  const axes = normalizeAxes('linalg.vectorNorm', options.dim, x.rank);
  return composite(() => vectorNormOver(x, ord, axes, keepdim));
}

/** The two matrix axes of a matrix norm, checked. */
function matrixAxes(op: string, x: Tensor, dim: unknown): [number, number] {
  if (!Array.isArray(dim) || dim.length !== 2)
    throw new ArgumentError(`linalg.${op}: dim must be a pair of axes like [-2, -1], got ${describe(dim)}`);
  if (x.rank < 2) throw new ArgumentError(`linalg.${op}: x must have 2 or more dimensions, got rank ${x.rank}`);
  const [first, second] = dim.map((axis: number) => normalizeAxes(`linalg.${op}`, axis, x.rank)[0]!) as [
    number,
    number,
  ];
  if (first === second) throw new ArgumentError(`linalg.${op}: dim must name two different axes, got ${describe(dim)}`);
  return [first, second];
}

/**
 * torch.linalg.matrix_norm over the axes `dim` (default the last two): ord 'fro' (default), 1 / -1
 * (largest / smallest column sum of |x|), Infinity / -Infinity (row sums), 2 / -2 (largest /
 * smallest singular value) and 'nuc' (their sum), through linalg.svdvals.
 */
export function matrixNorm(x: Tensor, ord: MatrixNormOrder = 'fro', options: NormOptions = {}): Tensor {
  checkOptions('linalg.matrixNorm', options, ['dim', 'keepdim']);
  checkFloat('matrixNorm', 'x', x);
  const keepdim = checkBoolean('linalg.matrixNorm: keepdim', options.keepdim ?? false);
  const [rows, columns] = matrixAxes('matrixNorm', x, options.dim ?? [-2, -1]);
  if (ord === 'nuc' || ord === 2 || ord === -2) return spectralMatrixNorm(x, ord, [rows, columns], keepdim);
  if (ord === 'fro') return composite(() => vectorNormOver(x, 2, [rows, columns].sort(), keepdim));
  if (ord !== 1 && ord !== -1 && ord !== Infinity && ord !== -Infinity)
    throw new ArgumentError(
      `linalg.matrixNorm: ord must be 'fro', 'nuc', 1, -1, 2, -2, Infinity or -Infinity, got ${describe(ord)}`,
    );
  // ord ±1 sums over the rows (column sums), ±Infinity over the columns (row sums).
  const [summed, selected] = ord === 1 || ord === -1 ? [rows, columns] : [columns, rows];
  const pick = ord > 0 ? max : min;
  return composite(() => {
    const result = pick(sum(abs(x), summed, true), selected, true);
    return keepdim ? result : squeeze(result, [rows, columns]);
  });
}

/**
 * torch.linalg.norm: a vector norm over one axis (or all, without ord), a matrix norm over two;
 * without dim, ord picks by x's rank (1-D: vector, 2-D: matrix).
 */
export function norm(x: Tensor, ord?: MatrixNormOrder, options: NormOptions = {}): Tensor {
  checkOptions('linalg.norm', options, ['dim', 'keepdim']);
  checkFloat('norm', 'x', x);
  const { dim, keepdim } = options;
  if (dim === undefined) {
    if (ord === undefined) return vectorNorm(x, 2, { keepdim: keepdim ?? false });
    if (x.rank === 1 && typeof ord === 'number') return vectorNorm(x, ord, { keepdim: keepdim ?? false });
    if (x.rank === 2) return matrixNorm(x, ord, { keepdim: keepdim ?? false });
    throw new ArgumentError(
      `linalg.norm: without dim, an ord needs a 1-D (vector) or 2-D (matrix) input, got rank ${x.rank}${x.rank === 1 ? ` and ord ${describe(ord)}` : ''}`,
    );
  }
  const axes = typeof dim === 'number' ? [dim] : dim;
  if (axes.length === 1) {
    if (typeof ord === 'string')
      throw new ArgumentError(
        `linalg.norm: ord ${describe(ord)} is a matrix norm; dim must then name two axes, got [${axes.join(', ')}]`,
      );
    return vectorNorm(x, ord ?? 2, { dim: axes, keepdim: keepdim ?? false });
  }
  if (axes.length === 2) return matrixNorm(x, ord ?? 'fro', { dim: axes, keepdim: keepdim ?? false });
  throw new ArgumentError(`linalg.norm: dim must name one or two axes, got [${axes.join(', ')}]`);
}
