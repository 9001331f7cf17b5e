import { DTypeError, ShapeError, formatShape } from '../errors.js';
import { isFloat } from '../ops/dispatch.js';
import { reshape } from '../ops/movement.js';
import type { Tensor } from '../tensor/tensor.js';

/** A float32 or float64 tensor. */
export function checkFloat(op: string, name: string, x: Tensor): void {
  if (!isFloat(x.dtype)) throw new DTypeError(`linalg.${op}: ${name} must be float32 or float64, got dtype ${x.dtype}`);
}

/** A float32 or float64 tensor of rank 2 or more (a batch of matrices); square when asked. */
export function checkMatrices(op: string, name: string, x: Tensor, square = false): void {
  checkFloat(op, name, x);
  if (x.rank < 2)
    throw new ShapeError(
      `linalg.${op}: ${name} must be a matrix or a batch of matrices [..., m, n], got shape ${formatShape(x.shape)}`,
    );
  const [rows, columns] = x.shape.slice(-2) as [number, number];
  if (square && rows !== columns)
    throw new ShapeError(
      `linalg.${op}: ${name} must be a batch of square matrices, got shape ${formatShape(x.shape)} (${rows} x ${columns})`,
    );
}

/** Both operands of one float dtype. */
export function checkSameDtype(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype)
    throw new DTypeError(`linalg.${op}: expected operands of one dtype, got ${a.dtype} and ${b.dtype}`);
}

/**
 * Whether torch reads `b` as a vector (a batch of vectors) rather than a batch of matrices, for
 * A [..., m, n]: b is 1-D, or has A's shape less its last axis (linalg.solve's and lstsq's rule).
 */
export const isVectorRhs = (a: Tensor, b: Tensor): boolean =>
  b.rank === 1 || (b.rank === a.rank - 1 && b.shape.every((d, i) => d === a.shape[i]));

/** The number of matrices in a [..., m, n] batch. */
export const batchSize = (shape: readonly number[]): number => shape.slice(0, -2).reduce((a, b) => a * b, 1);

/** [..., m, n] as [B, m, n]: the kernels work on one batch axis. */
export function toBatch(x: Tensor): Tensor {
  const [rows, columns] = x.shape.slice(-2) as [number, number];
  return reshape(x, [batchSize(x.shape), rows, columns]);
}
