import { customGrad } from '../autograd/custom-grad.js';
import { unbroadcast } from '../autograd/gradients.js';
import { checkBoolean, checkOptions } from '../nn/checks.js';
import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { arange, eye } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import { broadcastShapes } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { abs, add, cast, div, equal, floor, log, mul, neg, notEqual, sign, sub } from '../ops/elementwise.js';
import { matmul } from '../ops/linalg.js';
import { expand, reshape, transpose } from '../ops/movement.js';
import { prod } from '../ops/scan.js';
import { sum } from '../ops/reduce.js';
import { diagEmbed, diagonal } from '../ops/matrix-utils.js';
import { checkMatrices, checkSameDtype, isVectorRhs, toBatch } from './checks.js';
import { luKernel, triangularSolveKernel, type LuKernelResult } from './kernels.js';

/*
 * torch.linalg's LU-based functions: solve, inv, det, slogdet, logdet, lu_factor, lu, lu_solve
 * and solve_triangular. Forward passes run the kernels without recording; gradients are
 * PyTorch's formulas (FunctionsManual.cpp), attached with customGrad.
 */

/** The first singular matrix of a factorization (a zero on U's diagonal), read back where the backend can. */
function checkSingular(op: string, lu: Tensor): void {
  if (!lu.backend.readSync) return;
  const n = lu.shape[2]!;
  const pivots = diagonal(lu, 0, 1, 2);
  const values = pivots.dataSync();
  pivots.dispose();
  for (let b = 0; b < lu.shape[0]!; b++)
    for (let i = 0; i < n; i++)
      if (values[b * n + i] === 0) {
        const at = lu.shape[0]! > 1 ? `(Batch element ${b}): ` : '';
        throw new ArgumentError(
          op === 'solve'
            ? `linalg.solve: ${at}The solver failed because the input matrix is singular (U's diagonal element ${i + 1} is zero).`
            : `linalg.inv: ${at}The diagonal element ${i + 1} is zero, the inversion could not be completed because the input matrix is singular.`,
        );
      }
}

/** X = A⁻¹ B from A's LU (B [B, n, k]), or Aᵀ X = B when `adjoint`. */
function luSolveKernel(factor: LuKernelResult, b: Tensor, adjoint: boolean): Tensor {
  const { lu, permutation } = factor;
  if (!adjoint) {
    const permuted = matmul(permutation, b);
    const y = triangularSolveKernel(lu, permuted, { upper: false, unitriangular: true });
    permuted.dispose();
    const x = triangularSolveKernel(lu, y, { upper: true, unitriangular: false });
    y.dispose();
    return x;
  }
  const luT = transpose(lu, -2, -1);
  const y = triangularSolveKernel(luT, b, { upper: false, unitriangular: false });
  const z = triangularSolveKernel(luT, y, { upper: true, unitriangular: true });
  luT.dispose();
  y.dispose();
  const x = matmul(permutation, z, { transposeA: true });
  z.dispose();
  return x;
}

export interface SolveOptions {
  /** Solve A X = B (default true) or X A = B. */
  left?: boolean;
}

/** A X = B (square a, both broadcast over the batch) as a customGrad op reporting singular inputs as `op`. */
function makeSolve(op: 'solve' | 'inv' | 'cond'): (a: Tensor, b: Tensor) => Tensor {
  return customGrad(function solve(a: Tensor, b: Tensor) {
    const n = a.shape[a.rank - 1]!;
    const batch = broadcastShapes(`linalg.${op}`, a.shape.slice(0, -2), b.shape.slice(0, -2));
    const columns = b.shape[b.rank - 1]!;
    const a3 = toBatch(expand(a, [...batch, n, n]));
    const b3 = toBatch(expand(b, [...batch, n, columns]));
    const factor = luKernel(a3);
    a3.dispose();
    // cond wants Inf/NaN for a singular matrix, as torch's cond, not an error
    if (op !== 'cond') checkSingular(op, factor.lu);
    const x = reshape(luSolveKernel(factor, b3, false), [...batch, n, columns]);
    b3.dispose();
    return {
      value: x,
      gradFunc: (gx: Tensor) => {
        // gB = A⁻ᵀ gX, gA = -gB Xᵀ
        const gb = reshape(luSolveKernel(factor, toBatch(gx), true), [...batch, n, columns]);
        const ga = neg(matmul(gb, x, { transposeB: true }));
        return [unbroadcast(ga, a.shape), unbroadcast(gb, b.shape)];
      },
    };
  });
}

const solveMatrices = makeSolve('solve');
const invert = makeSolve('inv');
const invertQuietly = makeSolve('cond');

/** torch.linalg.solve: X with A X = B (or X A = B with left: false); B a vector or matrix as torch reads it. */
export function solve(a: Tensor, b: Tensor, options: SolveOptions = {}): Tensor {
  checkOptions('linalg.solve', options, ['left']);
  const left = checkBoolean('linalg.solve: left', options.left ?? true);
  checkMatrices('solve', 'A', a, true);
  checkSameDtype('solve', a, b);
  const n = a.shape[a.rank - 1]!;
  if (isVectorRhs(a, b)) {
    if (b.shape[b.rank - 1] !== n)
      throw new ShapeError(
        `linalg.solve: A ${formatShape(a.shape)} and b ${formatShape(b.shape)} differ in size (${n} vs ${b.shape[b.rank - 1]})`,
      );
    // torch reads a vector b as a column [n, 1], which X A = B cannot take (n > 1)
    if (!left && n !== 1)
      throw new ShapeError(
        `linalg.solve: with left: false, b ${formatShape(b.shape)} is read as a column [${n}, 1], which X A = B with A ${formatShape(a.shape)} cannot take; pass B as a matrix [..., k, ${n}]`,
      );
    const x = solveMatrices(a, reshape(b, [...b.shape, 1]));
    return reshape(x, x.shape.slice(0, -1));
  }
  checkMatrices('solve', 'B', b);
  const along = left ? b.shape[b.rank - 2]! : b.shape[b.rank - 1]!;
  if (along !== n)
    throw new ShapeError(
      `linalg.solve: A ${formatShape(a.shape)} and B ${formatShape(b.shape)} do not fit ${left ? 'A X = B' : 'X A = B'} (${n} vs ${along})`,
    );
  if (left) return solveMatrices(a, b);
  return transpose(solveMatrices(transpose(a, -2, -1), transpose(b, -2, -1)), -2, -1);
}

/** torch.linalg.inv: A⁻¹ (solve(A, I); its gradient -A⁻ᵀ G A⁻ᵀ). */
export function inv(a: Tensor): Tensor {
  checkMatrices('inv', 'A', a, true);
  return inverseBy(invert, a);
}

/** A⁻¹ with Inf/NaN for a singular matrix instead of an error (linalg.cond, as torch's inv_ex). */
export function inverseOrNonFinite(a: Tensor): Tensor {
  checkMatrices('cond', 'A', a, true);
  return inverseBy(invertQuietly, a);
}

function inverseBy(solver: (a: Tensor, b: Tensor) => Tensor, a: Tensor): Tensor {
  const n = a.shape[a.rank - 1]!;
  const identity = eye(n, { dtype: a.dtype, backend: a.backend });
  try {
    return solver(a, identity);
  } finally {
    identity.dispose();
  }
}

/** (-1)^(number of row swaps) from 0-based pivots [B, k], as [B] of `dtype`. */
function permutationSign(pivots: Tensor, dtype: Tensor['dtype']): Tensor {
  const k = pivots.shape[1]!;
  const swaps = cast(sum(notEqual(pivots, arange(0, k, 1, { dtype: 'int32', backend: pivots.backend })), 1), dtype);
  return sub(1, mul(2, sub(swaps, mul(2, floor(div(swaps, 2))))));
}

/** The determinant's pieces from A [..., n, n]: the LU factor, U's diagonal and the permutation's sign. */
function factorForDet(a: Tensor): { factor: LuKernelResult; diag: Tensor; parity: Tensor; batch: number[] } {
  const batch = a.shape.slice(0, -2);
  const factor = luKernel(toBatch(a));
  return { factor, diag: diagonal(factor.lu, 0, 1, 2), parity: permutationSign(factor.pivots, a.dtype), batch };
}

/** A⁻ᵀ scaled by `scale` [...batch] (the gradient of det and slogdet), from A's factor. */
function scaledInverseTranspose(factor: LuKernelResult, scale: Tensor, a: Tensor): Tensor {
  const n = a.shape[a.rank - 1]!;
  const identity = expand(eye(n, { dtype: a.dtype, backend: a.backend }), factor.lu.shape);
  const inverseT = reshape(luSolveKernel(factor, identity, true), a.shape);
  return mul(reshape(scale, [...scale.shape, 1, 1]), inverseT);
}

/**
 * The factor with U's zero pivots replaced by the dtype's machine epsilon, as torch's
 * linalg_det_backward does (without create_graph) so that det A⁻ᵀ stays finite: 0 where det is 0.
 */
function nudgeZeroPivots(factor: LuKernelResult, diag: Tensor): LuKernelResult {
  const eps = factor.lu.dtype === 'float64' ? 2 ** -52 : 2 ** -23;
  return { ...factor, lu: add(factor.lu, diagEmbed(mul(cast(equal(diag, 0), diag.dtype), eps))) };
}

const determinant = customGrad(function det(a: Tensor) {
  const { factor, diag, parity, batch } = factorForDet(a);
  const value = reshape(mul(parity, prod(diag, { dim: 1 })), batch);
  return {
    value,
    // d det / dA = det A⁻ᵀ, through the nudged factor (0 at a matrix with a zero pivot, as torch's)
    gradFunc: (g: Tensor) => [scaledInverseTranspose(nudgeZeroPivots(factor, diag), mul(g, value), a)],
  };
});

/** torch.linalg.det: the determinant of each square matrix (0 for a singular one, with torch's gradient 0 there). */
export function det(a: Tensor): Tensor {
  checkMatrices('det', 'A', a, true);
  return determinant(a);
}

const signAndLog = customGrad(function slogdet(a: Tensor) {
  const { factor, diag, parity, batch } = factorForDet(a);
  const signs = reshape(mul(parity, prod(sign(diag), { dim: 1 })), batch);
  const logabsdet = reshape(sum(log(abs(diag)), 1), batch);
  return {
    value: [signs, logabsdet],
    // d log|det A| / dA = A⁻ᵀ; the sign is piecewise constant
    gradFunc: ([, g]: Tensor[]) => [scaledInverseTranspose(factor, g!, a)],
  };
});

export interface SlogdetResult {
  /** ±1 (0 for a singular matrix), the sign of the determinant. */
  sign: Tensor;
  /** log |det A| (-Infinity for a singular matrix). */
  logabsdet: Tensor;
}

/** torch.linalg.slogdet: the sign and log |det| of each square matrix. */
export function slogdet(a: Tensor): SlogdetResult {
  checkMatrices('slogdet', 'A', a, true);
  const [signs, logabsdet] = signAndLog(a);
  return { sign: signs!, logabsdet: logabsdet! };
}

/** torch.logdet: log det A (NaN where det < 0, -Infinity where det = 0). */
export function logdet(a: Tensor): Tensor {
  checkMatrices('logdet', 'A', a, true);
  return composite(() => {
    const { sign: signs, logabsdet } = slogdet(a);
    return add(logabsdet, log(signs));
  });
}
