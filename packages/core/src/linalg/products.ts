import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { checkOptions } from '../nn/checks.js';
import { mul } from '../ops/elementwise.js';
import { matmul } from '../ops/linalg.js';
import { expand, reshape } from '../ops/movement.js';
import { sum } from '../ops/reduce.js';
import { eye } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import { broadcastShapes, normalizeAxis } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkMatrices, checkSameDtype } from './checks.js';
import { inv } from './solve.js';

/* torch.linalg's products: matrix_power, multi_dot and vecdot, composed from matmul (and inv). */

/** torch.linalg.matrix_power: A^n by repeated squaring; n = 0 gives the identity, n < 0 powers of inv(A). */
export function matrixPower(a: Tensor, n: number): Tensor {
  if (!Number.isInteger(n)) throw new ArgumentError(`linalg.matrixPower: n must be an integer, got ${String(n)}`);
  checkMatrices('matrixPower', 'A', a, true);
  const size = a.shape[a.rank - 1]!;
  return composite(() => {
    if (n === 0) return expand(eye(size, { dtype: a.dtype, backend: a.backend }), a.shape);
    let base = n < 0 ? inv(a) : a;
    let result: Tensor | null = null;
    for (let remaining = Math.abs(n); ;) {
      if (remaining % 2 === 1) result = result === null ? base : matmul(result, base);
      remaining = Math.floor(remaining / 2);
      if (remaining === 0) break;
      base = matmul(base, base);
    }
    return result === a ? mul(a, 1) : result!;
  });
}

/** The cheapest parenthesisation of a chain of matrices with these dimensions (classic dynamic programming). */
function chainOrder(dims: readonly number[]): number[][] {
  const count = dims.length - 1;
  const cost = Array.from({ length: count }, () => new Array<number>(count).fill(0));
  const split = Array.from({ length: count }, () => new Array<number>(count).fill(0));
  for (let length = 1; length < count; length++)
    for (let i = 0; i + length < count; i++) {
      const j = i + length;
      cost[i]![j] = Infinity;
      for (let k = i; k < j; k++) {
        const c = cost[i]![k]! + cost[k + 1]![j]! + dims[i]! * dims[k + 1]! * dims[j + 1]!;
        if (c < cost[i]![j]!) {
          cost[i]![j] = c;
          split[i]![j] = k;
        }
      }
    }
  return split;
}

/**
 * torch.linalg.multi_dot: the product of a chain of matrices, multiplied in the order with the
 * fewest flops. The first may be a vector (a row) and the last a vector (a column); the result
 * drops those axes as torch's does.
 */
export function multiDot(tensors: readonly Tensor[]): Tensor {
  if (!Array.isArray(tensors) || tensors.length < 2)
    throw new ArgumentError(
      `linalg.multiDot: expected an array of at least 2 tensors, got ${Array.isArray(tensors) ? tensors.length : String(tensors)}`,
    );
  const last = tensors.length - 1;
  tensors.forEach((t, i) => {
    const vectorAllowed = i === 0 || i === last;
    if (!(t.rank === 2 || (vectorAllowed && t.rank === 1)))
      throw new ShapeError(
        `linalg.multiDot: tensor ${i} must be ${vectorAllowed ? '1-D or 2-D' : '2-D'}, got shape ${formatShape(t.shape)}`,
      );
    if (i > 0) checkSameDtype('multiDot', tensors[0]!, t);
  });
  return composite(() => {
    const matrices = tensors.map((t, i) =>
      t.rank === 2 ? t : reshape(t, i === 0 ? [1, t.shape[0]!] : [t.shape[0]!, 1]),
    );
    matrices.forEach((m, i) => {
      checkMatrices('multiDot', `tensor ${i}`, m);
      if (i > 0 && matrices[i - 1]!.shape[1] !== m.shape[0])
        throw new ShapeError(
          `linalg.multiDot: tensors ${i - 1} and ${i} cannot be multiplied: ${formatShape(tensors[i - 1]!.shape)} and ${formatShape(tensors[i]!.shape)}`,
        );
    });
    const dims = [matrices[0]!.shape[0]!, ...matrices.map((m) => m.shape[1]!)];
    const split = chainOrder(dims);
    const product = (i: number, j: number): Tensor =>
      i === j ? matrices[i]! : matmul(product(i, split[i]![j]!), product(split[i]![j]! + 1, j));
    const result = product(0, last);
    const shape = [
      ...(tensors[0]!.rank === 2 ? [dims[0]!] : []),
      ...(tensors[last]!.rank === 2 ? [dims[dims.length - 1]!] : []),
    ];
    return reshape(result, shape);
  });
}

export interface VecdotOptions {
  /** The axis of the dot products (default -1). */
  dim?: number;
}

/** torch.linalg.vecdot: sum(x * y) along `dim`, the other axes broadcast. */
export function vecdot(x: Tensor, y: Tensor, options: VecdotOptions = {}): Tensor {
  checkOptions('linalg.vecdot', options, ['dim']);
  checkSameDtype('vecdot', x, y);
  const shape = broadcastShapes('linalg.vecdot', x.shape, y.shape);
  const axis = normalizeAxis('linalg.vecdot', options.dim ?? -1, shape.length);
  return composite(() => sum(mul(x, y), axis));
}
