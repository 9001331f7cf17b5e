import { ShapeError, formatShape } from '../errors.js';
import { matmul } from '../ops/linalg.js';
import { reshape, transpose } from '../ops/movement.js';
import { full, zeros } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import { broadcastShapes } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkMatrices, checkSameDtype, isVectorRhs } from './checks.js';
import { qr, solveTriangular } from './factor.js';

export interface LstsqResult {
  /** The least-squares solution X minimising |A X - B| ([..., n, k]); the minimum-norm one for wide A. */
  solution: Tensor;
  /** Empty ([0]), as torch's default driver 'gelsy' returns. */
  residuals: Tensor;
  /** min(m, n) per matrix (int32): A is taken to have full rank. */
  rank: Tensor;
  /** Empty ([0]), as for torch's 'gelsy'. */
  singularValues: Tensor;
}

/**
 * torch.linalg.lstsq for full-rank A [..., m, n]: by QR, X = R⁻¹ Qᵀ B for m >= n, and the
 * minimum-norm X = Q R⁻ᵀ B from Aᵀ = Q R for m < n; differentiable in A and B through qr and
 * solveTriangular. B is [..., m, k] or a batch of vectors [..., m]; batch axes broadcast.
 * Unlike 'gelsy' there is no column pivoting: a rank-deficient A gives Inf or NaN.
 */
export function lstsq(a: Tensor, b: Tensor): LstsqResult {
  checkMatrices('lstsq', 'A', a);
  checkSameDtype('lstsq', a, b);
  const [m, n] = a.shape.slice(-2) as [number, number];
  const vector = isVectorRhs(a, b);
  if (!vector) checkMatrices('lstsq', 'B', b);
  if (b.rank < 1 || b.shape[b.rank - (vector ? 1 : 2)] !== m)
    throw new ShapeError(
      `linalg.lstsq: B ${formatShape(b.shape)} must have A's ${m} rows (A ${formatShape(a.shape)}), as [..., ${m}, k] or [..., ${m}]`,
    );
  const batch = broadcastShapes('linalg.lstsq', a.shape.slice(0, -2), b.shape.slice(0, vector ? -1 : -2));
  const solution = composite(() => {
    const rhs = vector ? reshape(b, [...b.shape, 1]) : b;
    let x: Tensor;
    if (m >= n) {
      const { Q, R } = qr(a);
      x = solveTriangular(R, matmul(Q, rhs, { transposeA: true }), { upper: true });
    } else {
      const { Q, R } = qr(transpose(a, -2, -1));
      x = matmul(Q, solveTriangular(transpose(R, -2, -1), rhs, { upper: false }));
    }
    return vector ? reshape(x, x.shape.slice(0, -1)) : x;
  });
  const options = { dtype: a.dtype, backend: a.backend } as const;
  return {
    solution,
    residuals: zeros([0], options),
    rank: full(batch, Math.min(m, n), { dtype: 'int32', backend: a.backend }),
    singularValues: zeros([0], options),
  };
}
