import { ArgumentError } from '../errors.js';
import { where } from '../ops/elementwise.js';
import { isNaN as isNaNOf } from '../ops/tensor-math.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { matrixNorm } from './norms.js';
import { inverseOrNonFinite } from './solve.js';
import { spectralCond } from './spectral.js';

const INVERSE_ORDERS: readonly (number | string)[] = [1, -1, Infinity, -Infinity, 'fro', 'nuc'];

/**
 * torch.linalg.cond: the condition number of each matrix. p undefined, 2 or -2 from the
 * singular values (any [..., m, n]); p 1, -1, Infinity, -Infinity, 'fro' or 'nuc' as
 * ‖A‖_p ‖A⁻¹‖_p of square matrices, Infinity for a singular one (as torch). Differentiable.
 */
export function cond(a: Tensor, p?: number | string): Tensor {
  if (p === undefined || p === 2 || p === -2) return spectralCond(a, p);
  if (!INVERSE_ORDERS.includes(p))
    throw new ArgumentError(
      `linalg.cond: p must be undefined, 2, -2, 1, -1, Infinity, -Infinity, 'fro' or 'nuc', got ${typeof p === 'string' ? `'${p}'` : String(p)}`,
    );
  const order = p as 'fro' | 'nuc' | number;
  return composite(() => {
    const value = matrixNorm(a, order).mul(matrixNorm(inverseOrNonFinite(a), order));
    // A singular matrix's inverse holds Inf/NaN: torch reports its condition number as Infinity.
    return where(isNaNOf(value), Infinity, value);
  });
}
