import { isFloat, type FloatDType } from '../backend/dtypes.js';
import { customGrad } from '../autograd/custom-grad.js';
import { isGradEnabled, noGrad } from '../autograd/grad-mode.js';
import { composite, tidy } from '../tensor/scope.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { checkBoolean, checkNumber, checkOptions } from '../nn/checks.js';
import { arange, eye, zeros } from '../tensor/creation.js';
import { normalizeAxis } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { cast, equal, where } from '../ops/elementwise.js';
import { diagEmbed, sliceAlong, tril, triu } from '../ops/matrix-utils.js';
import { argsort } from '../ops/sort.js';
import { identities, jacobiEigh, jacobiOrthogonalRows } from './jacobi.js';
import { machineEpsilon } from '../ops/normalization.js';

export interface EighOptions {
  /** Which triangle of the input is read: 'L' (default, lower) or 'U' (upper), as torch.linalg.eigh. */
  UPLO?: 'L' | 'U';
}

export interface SvdOptions {
  /** U is [m, m] and Vh [n, n] (default true); false: the reduced [m, k] and [k, n], k = min(m, n). */
  fullMatrices?: boolean;
}

export interface RankOptions {
  /** Absolute tolerance: singular values (eigenvalue magnitudes) at most max(atol, rtol * largest) count as zero. */
  atol?: number;
  /** Relative tolerance; default eps * max(m, n) when atol is absent or 0, else 0 (as PyTorch). */
  rtol?: number;
  /** The input is symmetric (its lower triangle is read): use an eigen- rather than a singular value decomposition. */
  hermitian?: boolean;
}

// ---- checks and batch handling -----------------------------------------------------------

function checkMatrices(op: string, a: unknown, square: boolean): Tensor {
  if (!(a instanceof Tensor)) throw new ArgumentError(`${op}: A must be a Tensor, got ${String(a)}`);
  if (!isFloat(a.dtype)) throw new DTypeError(`${op}: A must be float32 or float64, got ${a.dtype}`);
  if (a.rank < 2)
    throw new ShapeError(`${op}: A must have at least 2 dimensions [..., m, n], got shape ${formatShape(a.shape)}`);
  const [m, n] = a.shape.slice(-2) as [number, number];
  if (square && m !== n)
    throw new ShapeError(`${op}: A must be batches of square matrices, but they are ${m} by ${n} matrices`);
  return a;
}

/** The leading dims of [..., m, n] flattened to one: [B, m, n]. */
function asBatch(a: Tensor): Tensor {
  const [m, n] = a.shape.slice(-2) as [number, number];
  return a.reshape([a.shape.slice(0, -2).reduce((x, y) => x * y, 1), m, n]);
}

/** Zeros [B, ...shape] like x. */
const zerosFor = (shape: number[], like: Tensor): Tensor => zeros(shape, { dtype: like.dtype, backend: like.backend });

function unbatch(x: Tensor, lead: readonly number[]): Tensor {
  return x.reshape([...lead, ...x.shape.slice(1)]);
}

/** The permutation matrices [B, k, k] whose product with x picks x's entries at `order` ([B, k] int32). */
function permutationMatrices(order: Tensor, size: number, dtype: FloatDType): Tensor {
  return cast(equal(order.unsqueeze(-1), arange(size, { dtype: 'int32', backend: order.backend })), dtype);
}

/** Sorts values ([B, k]) and, by the same order, the rows of each rows tensor ([B, k, *]). */
function sortWithRows(values: Tensor, rows: Tensor[], descending: boolean): Tensor[] {
  const size = values.shape[1]!;
  const select = permutationMatrices(argsort(values, { dim: 1, descending }), size, values.dtype as FloatDType);
  return [select.matmul(values.unsqueeze(2)).squeeze(2), ...rows.map((r) => select.matmul(r))];
}

/** The symmetric matrix read from one triangle of a ([B, n, n]), as LAPACK's syevd reads it. */
function symmetricFrom(a: Tensor, uplo: 'L' | 'U'): Tensor {
  return uplo === 'L' ? tril(a).add(tril(a, -1).transpose(1, 2)) : triu(a).add(triu(a, 1).transpose(1, 2));
}

// ---- forward computations (no recording) -------------------------------------------------

function eighForward(a: Tensor, uplo: 'L' | 'U'): [Tensor, Tensor] {
  const [batch, n] = a.shape as [number, number, number];
  if (a.size === 0) return [zerosFor([batch, n], a), identities(batch, n, a)];
  const { values, vectorsT } = jacobiEigh(symmetricFrom(a, uplo));
  const [sorted, sortedRows] = sortWithRows(values, [vectorsT], false);
  return [sorted!, sortedRows!.transpose(1, 2)];
}

/**
 * Orthonormal rows: `rows` ([B, k, l]) where `kept` ([B, k], 1 or 0; the kept rows come first,
 * as S is sorted) and, in place of the rest and for the rows k..count-1, an orthonormal basis of
 * what the kept rows leave uncovered: the matching columns of Q from a Householder QR of rowsᵀ
 * (O(l k count), not an l x l eigenproblem). Q's first columns are ± the kept rows themselves.
 */
function completeRows(rows: Tensor, kept: Tensor, count: number): Tensor {
  const [batch, k, l] = rows.shape as [number, number, number];
  const dtype = rows.dtype as FloatDType;
  const positions = arange(l, { dtype: 'int32', backend: rows.backend });
  let columns = rows.transpose(1, 2); // [B, l, k], reduced to R column by column
  const reflectors: Tensor[] = [];
  for (let j = 0; j < k; j++) {
    // x: column j from row j down; v = x - α e_j, α = -sign(x_j) |x|, normalised (0 where x = 0)
    const x = sliceAlong(columns, 2, j, 1).mul(cast(positions.greaterEqual(j), dtype).reshape([1, l, 1]));
    const head = sliceAlong(x, 1, j, 1);
    const sign = cast(head.greaterEqual(0), dtype).mul(2).sub(1);
    const alpha = x.square().sum(1, true).sqrt().mul(sign).neg();
    const v = x.sub(cast(positions.equal(j), dtype).reshape([1, l, 1]).mul(alpha));
    const length = v.square().sum(1, true).sqrt();
    const unit = v.div(where(length.equal(0), 1, length));
    reflectors.push(unit);
    columns = columns.sub(unit.mul(2).matmul(unit.matmul(columns, { transposeA: true })));
  }
  // Q[:, :count] = H_0 H_1 ... H_{k-1} I[:, :count], applied right to left
  let basis = identities(batch, l, rows, count);
  for (let j = k - 1; j >= 0; j--) {
    const unit = reflectors[j]!;
    basis = basis.sub(unit.mul(2).matmul(unit.matmul(basis, { transposeA: true })));
  }
  const missing = kept
    .neg()
    .add(1)
    .pad(
      [
        [0, 0],
        [0, count - k],
      ],
      1,
    );
  return where(
    missing.unsqueeze(2).greater(0),
    basis.transpose(1, 2),
    rows.pad([
      [0, 0],
      [0, count - k],
      [0, 0],
    ]),
  );
}

/**
 * The singular values ([B, k], descending) and, when `vectors`, U and Vh (full or reduced; U
 * completed to orthonormal columns where the rank is short). Without `vectors` U and Vh are
 * those of the rows Jacobi orthogonalised: reduced, with zero vectors for zero singular values
 * (enough for pinv), or null.
 */
function svdForward(
  a: Tensor,
  fullMatrices: boolean,
  vectors: 'none' | 'reduced' | 'complete',
): [Tensor | null, Tensor, Tensor | null] {
  const [batch, m, n] = a.shape as [number, number, number];
  const [k, l] = [Math.min(m, n), Math.max(m, n)];
  if (a.size === 0) {
    const S = zerosFor([batch, k], a);
    if (vectors === 'none') return [null, S, null];
    const full = fullMatrices && vectors === 'complete';
    return [identities(batch, m, a, full ? m : k), S, identities(batch, full ? n : k, a, n)];
  }
  const tall = m >= n;
  const { rows, lengths, rotationsT } = jacobiOrthogonalRows(tall ? a.transpose(1, 2) : a);
  if (vectors === 'none') return [null, sortWithRows(lengths, [], true)[0]!, null];
  const [sorted, longRows, shortRows] = sortWithRows(lengths, [rows, rotationsT], true) as [Tensor, Tensor, Tensor];
  const tolerance = sorted.slice([0, 0], [-1, 1]).mul(l * machineEpsilon(a.dtype));
  const kept = cast(sorted.greater(tolerance), a.dtype);
  // the rows are at the input's scale over its largest |entry|: normalise them at that scale
  const rowLengths = longRows.square().sum(2, true).sqrt();
  let long = longRows.div(where(kept.unsqueeze(2).greater(0), rowLengths, 1)).mul(kept.unsqueeze(2));
  const count = fullMatrices ? l : k;
  const readable = a.backend.readSync !== undefined;
  if (vectors === 'complete' && (count > k || !readable || kept.min().dataSync()[0] === 0))
    long = completeRows(long, kept, count);
  return tall ? [long.transpose(1, 2), sorted, shortRows] : [shortRows.transpose(1, 2), sorted, long];
}

const identity = (size: number, like: Tensor): Tensor => eye(size, { dtype: like.dtype, backend: like.backend });

// ---- backward formulas (PyTorch's FunctionsManual.cpp, real case) ------------------------

/**
 * numerator / E with 0 where the numerator is 0: an unused output's zero gradient over a repeated
 * value's E_ij = 0 contributes nothing (PyTorch skips the term), not 0/0; a nonzero numerator
 * there stays infinite, as in PyTorch. The numerators' diagonals are 0 (E's diagonal is 1).
 */
function quotient(numerator: Tensor, E: Tensor): Tensor {
  return where(numerator.equal(0), 0, numerator.div(E));
}

/** linalg_eig_backward for Hermitian input: gA = V (skew(VᵀgV)/2 / E + diag(gL)) Vᵀ, E_ij = λj - λi. */
function eighBackward(gL: Tensor, gV: Tensor, L: Tensor, V: Tensor): Tensor {
  const n = L.shape[L.rank - 1]!;
  const eye = identity(n, L);
  const VhgV = V.matmul(gV, { transposeA: true });
  const skew = VhgV.sub(VhgV.transpose(-2, -1)).mul(0.5);
  const E = L.unsqueeze(-2).sub(L.unsqueeze(-1)).add(eye);
  const inner = quotient(skew, E).add(diagEmbed(gL));
  return V.matmul(inner).matmul(V, { transposeB: true });
}

/** svd_backward on the reduced factors (U [.., m, k], S, Vh [.., k, n]). */
function svdBackward(gU: Tensor, gS: Tensor, gVh: Tensor, U: Tensor, S: Tensor, Vh: Tensor): Tensor {
  const m = U.shape[U.rank - 2]!;
  const n = Vh.shape[Vh.rank - 1]!;
  const k = S.shape[S.rank - 1]!;
  const eye = identity(k, S);
  const UhgU = U.matmul(gU, { transposeA: true });
  const VhgV = Vh.matmul(gVh, { transposeB: true });
  const skewU = UhgU.sub(UhgU.transpose(-2, -1));
  const skewV = VhgV.sub(VhgV.transpose(-2, -1));
  const S2 = S.square();
  const E = S2.unsqueeze(-2).sub(S2.unsqueeze(-1)).add(eye);
  let gA = quotient(skewU.mul(S.unsqueeze(-2)).add(S.unsqueeze(-1).mul(skewV)), E).add(diagEmbed(gS));
  // gU / S where S = 0 only meets the zeros customGrad passes for an unused U
  const safeS = where(S.equal(0), 1, S);
  if (m > n) {
    const gUSinv = gU.div(safeS.unsqueeze(-2));
    gA = U.matmul(gA)
      .add(gUSinv)
      .sub(U.matmul(U.matmul(gUSinv, { transposeA: true })));
    return gA.matmul(Vh);
  }
  if (m < n) {
    const SinvgVh = gVh.div(safeS.unsqueeze(-1));
    gA = gA
      .matmul(Vh)
      .add(SinvgVh)
      .sub(SinvgVh.matmul(Vh, { transposeB: true }).matmul(Vh));
    return U.matmul(gA);
  }
  return U.matmul(gA).matmul(Vh);
}

/** pinv_backward: the derivative of the pseudo-inverse, valid where the rank does not change. */
function pinvBackward(grad: Tensor, pinvA: Tensor, A: Tensor): Tensor {
  const m = A.shape[A.rank - 2]!;
  const n = A.shape[A.rank - 1]!;
  const pinvAh = pinvA.transpose(-2, -1);
  const gradh = grad.transpose(-2, -1);
  if (m <= n) {
    const K = gradh.matmul(pinvA);
    const KpinvAh = K.matmul(pinvAh);
    return pinvA
      .matmul(K)
      .transpose(-2, -1)
      .neg()
      .add(KpinvAh)
      .sub(A.matmul(pinvA).matmul(KpinvAh))
      .add(pinvAh.matmul(pinvA).matmul(gradh.sub(K.matmul(A))));
  }
  const K = pinvA.matmul(gradh);
  const pinvAhK = pinvAh.matmul(K);
  return K.matmul(pinvA)
    .transpose(-2, -1)
    .neg()
    .add(gradh.sub(A.matmul(K)).matmul(pinvA).matmul(pinvAh))
    .add(pinvAhK)
    .sub(pinvAhK.matmul(pinvA).matmul(A));
}

// ---- differentiable ops ------------------------------------------------------------------

// Each forward runs in tidy, so a recorded output's graph keeps only what its gradFunc reads.

const eighOp = (uplo: 'L' | 'U'): ((a: Tensor) => Tensor[]) =>
  customGrad((a: Tensor) => {
    const lead = a.shape.slice(0, -2);
    const [L, V] = tidy(() => eighForward(asBatch(a), uplo).map((t) => unbatch(t, lead))) as [Tensor, Tensor];
    return { value: [L, V], gradFunc: ([gL, gV]: Tensor[]) => [eighBackward(gL!, gV!, L, V)] };
  }) as (a: Tensor) => Tensor[];

const eigvalshOp = (uplo: 'L' | 'U'): ((a: Tensor) => Tensor) =>
  customGrad((a: Tensor) => {
    const lead = a.shape.slice(0, -2);
    const [L, V] = tidy(() => eighForward(asBatch(a), uplo).map((t) => unbatch(t, lead))) as [Tensor, Tensor];
    return { value: L, gradFunc: (gL: Tensor) => [V.mul(gL.unsqueeze(-2)).matmul(V, { transposeB: true })] };
  }) as (a: Tensor) => Tensor;

const svdOp = (fullMatrices: boolean): ((a: Tensor) => Tensor[]) =>
  customGrad((a: Tensor) => {
    const lead = a.shape.slice(0, -2);
    const k = Math.min(...(a.shape.slice(-2) as [number, number]));
    const narrowU = (x: Tensor): Tensor => (fullMatrices ? sliceAlong(x, x.rank - 1, 0, k) : x);
    const narrowVh = (x: Tensor): Tensor => (fullMatrices ? sliceAlong(x, x.rank - 2, 0, k) : x);
    const [U, S, Vh, Ur, Vhr] = tidy(() => {
      const factors = svdForward(asBatch(a), fullMatrices, 'complete').map((t) => unbatch(t!, lead));
      return [...factors, narrowU(factors[0]!), narrowVh(factors[2]!)];
    }) as [Tensor, Tensor, Tensor, Tensor, Tensor];
    return {
      value: [U, S, Vh],
      gradFunc: ([gU, gS, gVh]: Tensor[]) => [svdBackward(narrowU(gU!), gS!, narrowVh(gVh!), Ur, S, Vhr)],
    };
  }) as (a: Tensor) => Tensor[];

/** svdvals; U and Vh (for the gradient) only when `recording`. */
const svdvalsOp = (recording: boolean): ((a: Tensor) => Tensor) =>
  customGrad((a: Tensor) => {
    const lead = a.shape.slice(0, -2);
    const [U, S, Vh] = tidy(() =>
      svdForward(asBatch(a), false, recording ? 'complete' : 'none').map((t) => (t ? unbatch(t, lead) : null)),
    );
    return { value: S!, gradFunc: (gS: Tensor) => [U!.mul(gS.unsqueeze(-2)).matmul(Vh!)] };
  }) as (a: Tensor) => Tensor;

function checkUplo(op: string, options: EighOptions): 'L' | 'U' {
  checkOptions(op, options, ['UPLO']);
  const uplo = options.UPLO ?? 'L';
  if (uplo !== 'L' && uplo !== 'U')
    throw new ArgumentError(`${op}: UPLO must be 'L' or 'U', got ${JSON.stringify(uplo)}`);
  return uplo;
}

/**
 * Eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices [..., n, n], reading
 * the UPLO triangle (torch.linalg.eigh). Differentiable (PyTorch's formula: distinct eigenvalues).
 */
export function eigh(a: Tensor, options: EighOptions = {}): { eigenvalues: Tensor; eigenvectors: Tensor } {
  const uplo = checkUplo('linalg.eigh', options);
  const [eigenvalues, eigenvectors] = eighOp(uplo)(checkMatrices('linalg.eigh', a, true)) as [Tensor, Tensor];
  return { eigenvalues, eigenvectors };
}

/** The eigenvalues (ascending) of symmetric matrices [..., n, n] (torch.linalg.eigvalsh). */
export function eigvalsh(a: Tensor, options: EighOptions = {}): Tensor {
  const uplo = checkUplo('linalg.eigvalsh', options);
  return eigvalshOp(uplo)(checkMatrices('linalg.eigvalsh', a, true));
}

/**
 * Singular value decomposition A = U diag(S) Vh of [..., m, n] (torch.linalg.svd): S descending.
 * Differentiable (PyTorch's formula: distinct singular values; with fullMatrices only the first
 * min(m, n) columns of U and rows of Vh carry gradient, as in PyTorch).
 */
export function svd(a: Tensor, options: SvdOptions = {}): { U: Tensor; S: Tensor; Vh: Tensor } {
  checkOptions('linalg.svd', options, ['fullMatrices']);
  const fullMatrices = checkBoolean('linalg.svd: fullMatrices', options.fullMatrices ?? true);
  const [U, S, Vh] = svdOp(fullMatrices)(checkMatrices('linalg.svd', a, false)) as [Tensor, Tensor, Tensor];
  return { U, S, Vh };
}

/** The singular values (descending) of [..., m, n] (torch.linalg.svdvals). */
export function svdvals(a: Tensor): Tensor {
  checkMatrices('linalg.svdvals', a, false);
  return svdvalsOp(isGradEnabled() && a.requiresGrad)(a);
}

function rankOptions(op: string, a: Tensor, options: RankOptions): { atol: number; rtol: number; hermitian: boolean } {
  checkOptions(op, options, ['atol', 'rtol', 'hermitian']);
  const atol = options.atol === undefined ? 0 : checkNumber(`${op}: atol`, options.atol, { min: 0 });
  const [m, n] = a.shape.slice(-2) as [number, number];
  const defaultRtol = atol > 0 ? 0 : machineEpsilon(a.dtype) * Math.max(m, n);
  const rtol = options.rtol === undefined ? defaultRtol : checkNumber(`${op}: rtol`, options.rtol, { min: 0 });
  const hermitian = checkBoolean(`${op}: hermitian`, options.hermitian ?? false);
  if (hermitian && m !== n)
    throw new ShapeError(
      `${op}: A must be batches of square matrices with hermitian: true, but they are ${m} by ${n} matrices`,
    );
  return { atol, rtol, hermitian };
}

/** The values at most max(atol, rtol * largest |value|) along the last dim count as zero. */
function aboveTolerance(values: Tensor, atol: number, rtol: number): Tensor {
  const magnitude = values.abs();
  if (values.shape[values.rank - 1] === 0) return magnitude.greater(0); // no values: empty
  return magnitude.greater(magnitude.max(-1, true).mul(rtol).maximum(atol));
}

const pinvOp = (atol: number, rtol: number, hermitian: boolean): ((a: Tensor) => Tensor) =>
  customGrad((a: Tensor) => {
    const value = tidy(() => {
      const batch = asBatch(a);
      let pinvA: Tensor;
      if (hermitian) {
        const [L, V] = eighForward(batch, 'L');
        const inverse = where(aboveTolerance(L, atol, rtol), L.reciprocal(), 0);
        pinvA = V.mul(inverse.unsqueeze(1)).matmul(V, { transposeB: true });
      } else {
        const [U, S, Vh] = svdForward(batch, false, 'reduced') as [Tensor, Tensor, Tensor];
        const inverse = where(aboveTolerance(S, atol, rtol), S.reciprocal(), 0);
        pinvA = Vh.transpose(1, 2).mul(inverse.unsqueeze(1)).matmul(U, { transposeB: true });
      }
      return unbatch(pinvA, a.shape.slice(0, -2));
    });
    return { value, gradFunc: (grad: Tensor) => [pinvBackward(grad, value, a)] };
  }) as (a: Tensor) => Tensor;

/** The Moore-Penrose pseudo-inverse of [..., m, n] (torch.linalg.pinv); differentiable. */
export function pinv(a: Tensor, options: RankOptions = {}): Tensor {
  const { atol, rtol, hermitian } = rankOptions('linalg.pinv', checkMatrices('linalg.pinv', a, false), options);
  return pinvOp(atol, rtol, hermitian)(a);
}

/** The numerical rank of [..., m, n] (torch.linalg.matrix_rank), int32. */
export function matrixRank(a: Tensor, options: RankOptions = {}): Tensor {
  const { atol, rtol, hermitian } = rankOptions(
    'linalg.matrixRank',
    checkMatrices('linalg.matrixRank', a, false),
    options,
  );
  return noGrad(() =>
    composite(() => {
      const values = hermitian ? eigvalsh(a) : svdvals(a);
      return cast(cast(aboveTolerance(values, atol, rtol), a.dtype).sum(-1), 'int32');
    }),
  );
}

/** linalg.cond's 2-norm forms (p undefined or 2: largest over smallest singular value, -2: the inverse); linalg/cond.ts dispatches. */
export function spectralCond(a: Tensor, p: 2 | -2 | undefined): Tensor {
  checkMatrices('linalg.cond', a, false);
  if (Math.min(...a.shape.slice(-2)) === 0)
    throw new ShapeError(`linalg.cond: A must have at least one row and one column, got shape ${formatShape(a.shape)}`);
  return composite(() => {
    const S = svdvals(a);
    const k = S.shape[S.rank - 1]!;
    const largest = sliceAlong(S, S.rank - 1, 0, 1).squeeze(-1);
    const smallest = sliceAlong(S, S.rank - 1, k - 1, 1).squeeze(-1);
    return p === -2 ? smallest.div(largest) : largest.div(smallest);
  });
}

/**
 * The matrix norms that need singular values: ord 2 (largest), -2 (smallest), 'nuc' (their sum)
 * over the two dims `dim` of x; for linalg.matrixNorm.
 */
export function spectralMatrixNorm(
  x: Tensor,
  ord: 2 | -2 | 'nuc',
  dim: readonly [number, number],
  keepdim: boolean,
): Tensor {
  checkMatrices('linalg.matrixNorm', x, false);
  const rows = normalizeAxis('linalg.matrixNorm', dim[0], x.rank);
  const cols = normalizeAxis('linalg.matrixNorm', dim[1], x.rank);
  if (rows === cols)
    throw new ArgumentError(`linalg.matrixNorm: dim must name two different dims, got [${dim.join(', ')}]`);
  if (ord !== 'nuc' && Math.min(x.shape[rows]!, x.shape[cols]!) === 0)
    throw new ShapeError(
      `linalg.matrixNorm: ord ${ord} needs at least one row and one column, got shape ${formatShape(x.shape)}`,
    );
  const rest = x.shape.map((_, i) => i).filter((i) => i !== rows && i !== cols);
  return composite(() => {
    const S = svdvals(x.permute([...rest, rows, cols]));
    let norm = ord === 'nuc' ? S.sum(-1) : ord === 2 ? S.max(-1) : S.min(-1);
    if (keepdim) for (const axis of [rows, cols].sort((a, b) => a - b)) norm = norm.unsqueeze(axis);
    return norm;
  });
}
