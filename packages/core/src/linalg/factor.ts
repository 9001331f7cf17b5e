import { customGrad } from '../autograd/custom-grad.js';
import { unbroadcast } from '../autograd/gradients.js';
import { checkBoolean, checkOptions } from '../nn/checks.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { eye, zeros } from '../tensor/creation.js';
import { composite, compositeResults } from '../tensor/scope.js';
import { broadcastShapes } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, mul, neg, sub } from '../ops/elementwise.js';
import { matmul } from '../ops/linalg.js';
import { concat, expand, reshape, slice, transpose } from '../ops/movement.js';
import { diagEmbed, diagonal, tril, triu } from '../ops/matrix-utils.js';
import { batchSize, checkMatrices, checkSameDtype, toBatch } from './checks.js';
import {
  choleskyKernel,
  householderKernel,
  luKernel,
  permutationFromPivots,
  triangularSolveKernel,
} from './kernels.js';

/*
 * torch.linalg's factorizations (cholesky, lu_factor, lu, qr) and the solves built on them
 * (solve_triangular, lu_solve). Gradients are PyTorch's (FunctionsManual.cpp).
 */

const mT = (x: Tensor): Tensor => transpose(x, -2, -1);

/** X with T X = B for triangular T, batched [..., n, n] x [..., n, k] (broadcast). */
function triangularSolve(t: Tensor, b: Tensor, upper: boolean, unitriangular: boolean): Tensor {
  const n = t.shape[t.rank - 1]!;
  const columns = b.shape[b.rank - 1]!;
  const batch = broadcastShapes('linalg.solveTriangular', t.shape.slice(0, -2), b.shape.slice(0, -2));
  const t3 = toBatch(expand(t, [...batch, n, n]));
  const b3 = toBatch(expand(b, [...batch, n, columns]));
  const x3 = triangularSolveKernel(t3, b3, { upper, unitriangular });
  t3.dispose();
  b3.dispose();
  return reshape(x3, [...batch, n, columns]);
}

/** The customGrad op of one triangle kind: gB = T⁻ᵀ gX, gT = -gB Xᵀ on T's triangle. */
function makeTriangularSolve(upper: boolean, unitriangular: boolean): (t: Tensor, b: Tensor) => Tensor {
  return customGrad(function solveTriangular(t: Tensor, b: Tensor) {
    const x = triangularSolve(t, b, upper, unitriangular);
    return {
      value: x,
      gradFunc: (gx: Tensor) => {
        const gb = triangularSolve(mT(t), gx, !upper, unitriangular);
        const full = neg(matmul(gb, x, { transposeB: true }));
        const shift = unitriangular ? 1 : 0;
        const gt = upper ? triu(full, shift) : tril(full, -shift);
        return [unbroadcast(gt, t.shape), unbroadcast(gb, b.shape)];
      },
    };
  });
}

const triangularSolves = [false, true].map((upper) => [false, true].map((unit) => makeTriangularSolve(upper, unit)));
const leftTriangularSolve = (t: Tensor, b: Tensor, upper: boolean, unitriangular: boolean): Tensor =>
  triangularSolves[upper ? 1 : 0]![unitriangular ? 1 : 0]!(t, b);

export interface SolveTriangularOptions {
  /** Whether A is upper (true) or lower (false) triangular; required, as in torch. */
  upper: boolean;
  /** Solve A X = B (default true) or X A = B. */
  left?: boolean;
  /** Take A's diagonal as ones (default false). */
  unitriangular?: boolean;
}

/**
 * torch.linalg.solve_triangular: X with A X = B (or X A = B with left: false) for triangular A;
 * only A's `upper` or lower triangle is read. Batched over leading axes, which broadcast.
 */
export function solveTriangular(a: Tensor, b: Tensor, options: SolveTriangularOptions): Tensor {
  checkOptions('linalg.solveTriangular', options, ['upper', 'left', 'unitriangular']);
  const upper = checkBoolean('linalg.solveTriangular: upper', options.upper);
  const left = checkBoolean('linalg.solveTriangular: left', options.left ?? true);
  const unitriangular = checkBoolean('linalg.solveTriangular: unitriangular', options.unitriangular ?? false);
  checkMatrices('solveTriangular', 'A', a, true);
  checkMatrices('solveTriangular', 'B', b);
  checkSameDtype('solveTriangular', a, b);
  const n = a.shape[a.rank - 1]!;
  const along = b.shape[b.rank - (left ? 2 : 1)]!;
  if (along !== n)
    throw new ShapeError(
      `linalg.solveTriangular: A ${formatShape(a.shape)} and B ${formatShape(b.shape)} do not fit ${left ? 'A X = B' : 'X A = B'} (${n} vs ${along})`,
    );
  if (left) return leftTriangularSolve(a, b, upper, unitriangular);
  return composite(() => mT(leftTriangularSolve(mT(a), mT(b), !upper, unitriangular)));
}

export interface LuFactorOptions {
  /** Partial pivoting (default true); false factors without row swaps (fails on a zero pivot). */
  pivot?: boolean;
}

export interface LuFactorResult {
  /** L below the diagonal (its unit diagonal implied) and U on and above it, [..., m, n]. */
  LU: Tensor;
  /** 1-based pivot rows as LAPACK's (row i was swapped with row pivots[i]), int32 [..., min(m, n)]. */
  pivots: Tensor;
}

/** The leading rows x columns block of x [B, m, n]. */
const block = (x: Tensor, rows: number, columns: number): Tensor => slice(x, [0, 0, 0], [-1, rows, columns]);

/**
 * The gradient of A = P L U (L [B, m, k] unit lower, U [B, k, n] upper, k = min(m, n)) from the
 * gradient g of the packed factor, as PyTorch's linalg_lu_backward: square, wide (the extra
 * columns of U pass straight through) and tall (the extra rows of L).
 */
function luBackward(g: Tensor, lower: Tensor, upperPart: Tensor): Tensor {
  const [, m, k] = lower.shape as [number, number, number];
  const n = upperPart.shape[2]!;
  const gL = tril(block(g, m, k), -1);
  const gU = triu(block(g, k, n));
  const lowerTGL = matmul(lower, gL, { transposeA: true });
  const gUUpperT = matmul(gU, upperPart, { transposeB: true });
  if (m === n) {
    // L⁻ᵀ (tril(Lᵀ gL, -1) + triu(gU Uᵀ)) U⁻ᵀ
    const phi = add(tril(lowerTGL, -1), triu(gUUpperT));
    const y = triangularSolveKernel(mT(lower), phi, { upper: true, unitriangular: true });
    return mT(triangularSolveKernel(upperPart, mT(y), { upper: true, unitriangular: false }));
  }
  if (m < n) {
    // L⁻ᵀ [tril(Lᵀ gL - gU Uᵀ, -1) U₁⁻ᵀ + gU₁, gU₂]
    const inner = tril(sub(lowerTGL, gUUpperT), -1);
    const right = mT(triangularSolveKernel(block(upperPart, k, k), mT(inner), { upper: true, unitriangular: false }));
    const top = concat([add(right, block(gU, k, k)), slice(gU, [0, 0, k], [-1, k, n - k])], 2);
    return triangularSolveKernel(mT(lower), top, { upper: true, unitriangular: true });
  }
  // [L₁⁻ᵀ triu(gU Uᵀ - Lᵀ gL) + gL₁; gL₂] U⁻ᵀ
  const inner = triu(sub(gUUpperT, lowerTGL));
  const top = triangularSolveKernel(mT(block(lower, k, k)), inner, { upper: true, unitriangular: true });
  const stacked = concat([add(top, block(gL, k, k)), slice(gL, [0, k, 0], [-1, m - k, k])], 1);
  return mT(triangularSolveKernel(upperPart, mT(stacked), { upper: true, unitriangular: false }));
}

/** L [B, m, k] (unit diagonal) and U [B, k, n] from a packed factor [B, m, n]. */
function unpack(packed: Tensor): [Tensor, Tensor] {
  const [, m, n] = packed.shape as [number, number, number];
  const k = Math.min(m, n);
  const identity = eye(m, k, { dtype: packed.dtype, backend: packed.backend });
  return [add(tril(block(packed, m, k), -1), identity), triu(block(packed, k, n))];
}

function makeLuFactor(pivot: boolean): (a: Tensor) => Tensor[] {
  return customGrad(function luFactor(a: Tensor) {
    const [m, n] = a.shape.slice(-2) as [number, number];
    const factor = luKernel(toBatch(a), pivot);
    const lu = reshape(factor.lu, a.shape);
    const pivots = reshape(add(factor.pivots, 1), [...a.shape.slice(0, -2), Math.min(m, n)]);
    return {
      value: [lu, pivots],
      gradFunc: ([gLU]: Tensor[]) => {
        const [lower, upperPart] = unpack(factor.lu);
        const ga = luBackward(toBatch(gLU!), lower, upperPart);
        return [reshape(matmul(factor.permutation, ga, { transposeA: true }), a.shape)];
      },
    };
  });
}

const luFactorOps = [makeLuFactor(false), makeLuFactor(true)];

/** torch.linalg.lu_factor: the packed LU factorization of [..., m, n] matrices, with 1-based int32 pivots. */
export function luFactor(a: Tensor, options: LuFactorOptions = {}): LuFactorResult {
  checkOptions('linalg.luFactor', options, ['pivot']);
  const pivot = checkBoolean('linalg.luFactor: pivot', options.pivot ?? true);
  checkMatrices('luFactor', 'A', a);
  const [LU, pivots] = luFactorOps[pivot ? 1 : 0]!(a);
  return { LU: LU!, pivots: pivots! };
}

export interface LuResult {
  /** The permutation matrix. */
  P: Tensor;
  /** Unit lower triangular. */
  L: Tensor;
  /** Upper triangular. */
  U: Tensor;
}

/**
 * torch.linalg.lu: A = P L U for [..., m, n] matrices, P [..., m, m], L [..., m, k] unit lower and
 * U [..., k, n] upper with k = min(m, n) (gradients flow to A through L and U).
 */
export function lu(a: Tensor, options: LuFactorOptions = {}): LuResult {
  checkOptions('linalg.lu', options, ['pivot']);
  const pivot = checkBoolean('linalg.lu: pivot', options.pivot ?? true);
  checkMatrices('lu', 'A', a);
  const [m, n] = a.shape.slice(-2) as [number, number];
  const k = Math.min(m, n);
  const batch = a.shape.slice(0, -2);
  // L first: compositeResults ties the shared intermediates to the first result, which must be recorded.
  const [L, U, P] = compositeResults(() => {
    const [packed, pivots] = luFactorOps[pivot ? 1 : 0]!(a);
    const permutation = permutationFromPivots(reshape(sub(pivots!, 1), [batchSize(a.shape), k]), m, a.dtype);
    const [lower, upperPart] = unpack(toBatch(packed!));
    return [
      reshape(lower, [...batch, m, k]),
      reshape(upperPart, [...batch, k, n]),
      reshape(mT(permutation), [...batch, m, m]),
    ];
  });
  return { P: P!, L: L!, U: U! };
}

export interface LuSolveOptions {
  /** Solve A X = B (default true) or X A = B. */
  left?: boolean;
  /** Solve with Aᵀ instead of A (default false). */
  adjoint?: boolean;
}

/**
 * torch.linalg.lu_solve: X with A X = B from luFactor's (LU, pivots); differentiable in LU and B
 * (composed from solveTriangular and a permutation).
 */
export function luSolve(LU: Tensor, pivots: Tensor, b: Tensor, options: LuSolveOptions = {}): Tensor {
  checkOptions('linalg.luSolve', options, ['left', 'adjoint']);
  const left = checkBoolean('linalg.luSolve: left', options.left ?? true);
  const adjoint = checkBoolean('linalg.luSolve: adjoint', options.adjoint ?? false);
  checkMatrices('luSolve', 'LU', LU, true);
  checkMatrices('luSolve', 'B', b);
  checkSameDtype('luSolve', LU, b);
  if (pivots.dtype !== 'int32')
    throw new DTypeError(`linalg.luSolve: pivots must be int32 (as luFactor returns), got ${pivots.dtype}`);
  const n = LU.shape[LU.rank - 1]!;
  if (pivots.rank !== LU.rank - 1 || pivots.shape.some((d, i) => d !== LU.shape[i]))
    throw new ShapeError(
      `linalg.luSolve: pivots ${formatShape(pivots.shape)} do not match LU ${formatShape(LU.shape)}; expected ${formatShape(LU.shape.slice(0, -1))}`,
    );
  const along = b.shape[b.rank - (left ? 2 : 1)]!;
  if (along !== n)
    throw new ShapeError(
      `linalg.luSolve: LU ${formatShape(LU.shape)} and B ${formatShape(b.shape)} do not fit ${left ? 'A X = B' : 'X A = B'} (${n} vs ${along})`,
    );
  return composite(() => {
    // X A = B is Aᵀ Xᵀ = Bᵀ: the other adjoint, on the transposes.
    const rhs = left ? b : mT(b);
    const transposed = left ? adjoint : !adjoint;
    const pm = reshape(permutationFromPivots(reshape(sub(pivots, 1), [batchSize(LU.shape), n]), n, LU.dtype), [
      ...LU.shape,
    ]);
    let x: Tensor;
    if (!transposed) {
      // A = Pmᵀ L U: X = U⁻¹ L⁻¹ Pm B
      const y = leftTriangularSolve(LU, matmul(pm, rhs), false, true);
      x = leftTriangularSolve(LU, y, true, false);
    } else {
      // Aᵀ = Uᵀ Lᵀ Pm: X = Pmᵀ L⁻ᵀ U⁻ᵀ B
      const y = leftTriangularSolve(mT(LU), rhs, false, false);
      x = matmul(pm, leftTriangularSolve(mT(LU), y, true, true), { transposeA: true });
    }
    return left ? x : mT(x);
  });
}

/** The order of the first leading minor that is not positive-definite, per matrix (0: none), where readable. */
function checkPositiveDefinite(factor: Tensor): void {
  if (!factor.backend.readSync) return;
  const [batch, n] = factor.shape as [number, number];
  const d = diagonal(factor, 0, 1, 2);
  const values = d.dataSync();
  d.dispose();
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < n; i++)
      if (!(values[b * n + i]! > 0))
        throw new ArgumentError(
          `linalg.cholesky: ${batch > 1 ? `(Batch element ${b}): ` : ''}The factorization could not be completed because the input is not positive-definite (the leading minor of order ${i + 1} is not positive-definite).`,
        );
}

function makeCholesky(upper: boolean): (a: Tensor) => Tensor {
  return customGrad(function cholesky(a: Tensor) {
    // As LAPACK's potrf: the lower factor reads A's lower triangle, the upper one its upper triangle.
    const factor = choleskyKernel(toBatch(upper ? mT(a) : a));
    checkPositiveDefinite(factor);
    const l = reshape(factor, a.shape);
    return {
      value: upper ? mT(l) : l,
      // gA = L⁻ᵀ Φ L⁻¹ with Φ = tril(Lᵀ gL) symmetrised (half its diagonal)
      gradFunc: (g: Tensor) => {
        const gl = toBatch(upper ? mT(g) : g);
        const phi = tril(matmul(factor, gl, { transposeA: true }));
        const sym = mul(add(phi, mT(tril(phi, -1))), 0.5);
        const left = triangularSolveKernel(mT(factor), sym, { upper: true, unitriangular: false });
        const both = mT(triangularSolveKernel(mT(factor), mT(left), { upper: true, unitriangular: false }));
        return [reshape(both, a.shape)];
      },
    };
  });
}

const choleskyOps = [makeCholesky(false), makeCholesky(true)];

export interface CholeskyOptions {
  /** Return the upper factor U = Lᵀ (A = Uᵀ U) instead of L (default false). */
  upper?: boolean;
}

/**
 * torch.linalg.cholesky: L lower triangular with A = L Lᵀ, read from A's lower triangle (U = Lᵀ
 * from its upper triangle with upper: true, as LAPACK's). A matrix
 * that is not positive-definite raises torch's error on backends that read back synchronously;
 * elsewhere its factor holds NaN from the failing column on.
 */
export function cholesky(a: Tensor, options: CholeskyOptions = {}): Tensor {
  checkOptions('linalg.cholesky', options, ['upper']);
  const upper = checkBoolean('linalg.cholesky: upper', options.upper ?? false);
  checkMatrices('cholesky', 'A', a, true);
  return choleskyOps[upper ? 1 : 0]!(a);
}

export type QrMode = 'reduced' | 'complete' | 'r';
const QR_MODES: readonly QrMode[] = ['reduced', 'complete', 'r'];

export interface QrResult {
  /** Orthogonal columns ([..., m, k], k = min(m, n) reduced, m complete); empty for mode 'r'. */
  Q: Tensor;
  /** Upper triangular ([..., k, n]); its diagonal has LAPACK's signs (beta = -sign(a_kk) |x|). */
  R: Tensor;
}

function makeQr(mode: QrMode): (a: Tensor) => Tensor[] {
  return customGrad(function qr(a: Tensor) {
    const [m, n] = a.shape.slice(-2) as [number, number];
    const batch = a.shape.slice(0, -2);
    const { q: q3, r: r3 } = householderKernel(toBatch(a));
    const k = mode === 'complete' ? m : Math.min(m, n);
    const q = reshape(slice(q3, [0, 0, 0], [-1, m, k]), [...batch, m, k]);
    const r = reshape(slice(r3, [0, 0, 0], [-1, k, n]), [...batch, k, n]);
    q3.dispose();
    r3.dispose();
    return {
      value: mode === 'r' ? [r] : [q, r],
      gradFunc: (grads: Tensor[]) => {
        if (mode === 'r')
          throw new ArgumentError(
            "linalg.qr: the derivative of linalg.qr depends on Q, which is not computed when mode='r'. Use mode 'reduced' to differentiate through linalg.qr",
          );
        if (mode === 'complete' && m > n)
          throw new ArgumentError(
            "linalg.qr: the QR decomposition is not differentiable when mode='complete' and nrows > ncols",
          );
        const [gq, gr] = grads as [Tensor, Tensor];
        const base = sub(matmul(gr, r, { transposeB: true }), matmul(q, gq, { transposeA: true }));
        if (m >= n) {
          // gA = (gQ + Q sym(triu(gR Rᵀ - Qᵀ gQ))) R⁻ᵀ, sym(X) = X + Xᵀ with half the diagonal
          const upperPart = triu(base);
          const sym = sub(add(upperPart, mT(upperPart)), diagEmbed(diagonal(upperPart, 0, -2, -1)));
          const rhs = add(gq, matmul(q, sym));
          // Y Rᵀ = rhs  <=>  R Yᵀ = rhsᵀ
          return [mT(triangularSolve(r, mT(rhs), true, false))];
        }
        // Wide: gA = [Q skew(-base) R₁⁻ᵀ, 0] + Q gR with R₁ the leading m x m block
        const x = neg(base);
        const skew = tril(sub(x, mT(x)));
        const r1 = slice(
          r,
          r.shape.map(() => 0),
          [...r.shape.slice(0, -1), m],
        );
        const left = mT(triangularSolve(r1, mT(matmul(q, skew)), true, false));
        const padded = concat(
          [left, zeros([...left.shape.slice(0, -1), n - m], { dtype: a.dtype, backend: a.backend })],
          -1,
        );
        return [add(padded, matmul(q, gr))];
      },
    };
  });
}

const qrOps = new Map(QR_MODES.map((mode) => [mode, makeQr(mode)]));

/**
 * torch.linalg.qr: A = Q R by Householder reflections (LAPACK geqrf's), batched over leading
 * axes. mode 'reduced' (default), 'complete' or 'r' (R only; Q is then an empty tensor).
 */
export function qr(a: Tensor, mode: QrMode = 'reduced'): QrResult {
  if (!QR_MODES.includes(mode))
    throw new ArgumentError(
      `linalg.qr: mode must be one of ${QR_MODES.map((m) => `'${m}'`).join(', ')}, got ${String(mode)}`,
    );
  checkMatrices('qr', 'A', a);
  const results = qrOps.get(mode)!(a);
  if (mode === 'r') return { Q: zeros([0], { dtype: a.dtype, backend: a.backend }), R: results[0]! };
  return { Q: results[0]!, R: results[1]! };
}

function makeCholeskyInverse(upper: boolean): (factor: Tensor) => Tensor {
  return customGrad(function choleskyInverse(factor: Tensor) {
    const n = factor.shape[factor.rank - 1]!;
    const identity = eye(n, { dtype: factor.dtype, backend: factor.backend });
    // A = L Lᵀ: A⁻¹ = L⁻ᵀ L⁻¹; A = Uᵀ U: A⁻¹ = U⁻¹ U⁻ᵀ
    const solved = triangularSolve(factor, identity, upper, false);
    const inverse = upper ? matmul(solved, solved, { transposeB: true }) : matmul(solved, solved, { transposeA: true });
    solved.dispose();
    identity.dispose();
    return {
      value: inverse,
      // torch's: with C = A⁻¹ (G + Gᵀ) A⁻¹, gL = -C L (gU = -U C), on the whole matrix
      gradFunc: (g: Tensor) => {
        const common = matmul(inverse, matmul(add(g, mT(g)), inverse));
        return [neg(upper ? matmul(factor, common) : matmul(common, factor))];
      },
    };
  });
}

const choleskyInverseOps = [makeCholeskyInverse(false), makeCholeskyInverse(true)];

/**
 * torch.cholesky_inverse: A⁻¹ from A's Cholesky factor (lower L, A = L Lᵀ; or upper U, A = Uᵀ U,
 * with upper: true), by two triangular solves. Its gradient is torch's, on the whole factor.
 */
export function choleskyInverse(factor: Tensor, options: CholeskyOptions = {}): Tensor {
  checkOptions('linalg.choleskyInverse', options, ['upper']);
  const upper = checkBoolean('linalg.choleskyInverse: upper', options.upper ?? false);
  checkMatrices('choleskyInverse', 'A', factor, true);
  return choleskyInverseOps[upper ? 1 : 0]!(factor);
}
