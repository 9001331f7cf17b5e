import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { checkOptions } from '../nn/checks.js';
import { cholesky, choleskyInverse, solveTriangular } from '../linalg/factor.js';
import { diagEmbed } from '../ops/matrix-utils.js';
import { eye } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import { broadcastShapes } from '../tensor/shape.js';
import type { DType } from '../backend/contract.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  type DistributionOptions,
  Distribution,
  type SampleOptions,
  checkConstraint,
  expandTo,
  normalNoise,
} from './distribution.js';

/*
 * torch.distributions' Gaussians over vectors: MultivariateNormal (by a covariance, a precision
 * or a Cholesky factor) and LowRankMultivariateNormal (covariance W Wᵀ + diag(D)), with torch's
 * formulas (multivariate_normal.py, lowrank_multivariate_normal.py) on linalg's batched,
 * differentiable cholesky and solveTriangular.
 */

const LOG_2PI = 1.8378770664093453;
const notNaN = (v: number) => !Number.isNaN(v);
const positive = (v: number) => v > 0;

const mT = (x: Tensor): Tensor => x.transpose(-2, -1);

/** M v for batches of matrices and vectors whose batch axes broadcast (torch's _batch_mv). */
function batchMv(matrices: Tensor, vectors: Tensor): Tensor {
  return matrices.matmul(vectors.unsqueeze(-1)).squeeze(-1);
}

/**
 * xᵀ (L Lᵀ)⁻¹ x = |L⁻¹ x|² for lower-triangular L [..., n, n] and x [..., n], batches broadcasting
 * (torch's _batch_mahalanobis). As torch, x's rows are regrouped so that each of L's b matrices
 * solves one [n, c] right-hand side: L is never copied per row of x.
 */
function batchMahalanobis(bL: Tensor, bx: Tensor): Tensor {
  const n = bL.shape[bL.rank - 1]!;
  const lBatch = bL.shape.slice(0, -2);
  const xBatch = broadcastShapes('batchMahalanobis', lBatch, bx.shape.slice(0, -1));
  const x = expandTo(bx, [...xBatch, n]);
  if (x.size === 0 || bL.size === 0)
    return solveTriangular(bL, x.unsqueeze(-1), { upper: false }).square().sum([-2, -1]);
  const outer = xBatch.length - lBatch.length;
  const dims = lBatch.length;
  // x as [...outer, (x_i / L_i, L_i) for each of L's batch axes, n], then [...outer, ...x_i / L_i, ...L_i, n]
  const split = [...xBatch.slice(0, outer), ...lBatch.flatMap((sL, i) => [xBatch[outer + i]! / sL, sL]), n];
  const range = (start: number, end: number, step = 1) =>
    Array.from({ length: Math.max(0, Math.ceil((end - start) / step)) }, (_, i) => start + i * step);
  const grouped = x
    .reshape(split)
    .permute([
      ...range(0, outer),
      ...range(outer, outer + 2 * dims, 2),
      ...range(outer + 1, outer + 2 * dims, 2),
      outer + 2 * dims,
    ]);
  const flatL = bL.reshape([-1, n, n]); // [b, n, n]
  const b = flatL.shape[0]!;
  const columns = grouped.reshape([-1, b, n]).permute([1, 2, 0]); // [b, n, c]
  const m = solveTriangular(flatL, columns, { upper: false }).square().sum(-2).transpose(0, 1); // [c, b]
  const inverse = [...range(0, outer), ...range(0, dims).flatMap((i) => [outer + i, outer + dims + i])];
  return m.reshape(grouped.shape.slice(0, -1)).permute(inverse).reshape(xBatch);
}

/** log |det L| of a lower-triangular L with a positive diagonal: half the log-determinant of L Lᵀ. */
function halfLogDet(scaleTril: Tensor): Tensor {
  return scaleTril.diagonal(0, -2, -1).log().sum(-1);
}

/** tr(X Xᵀ): the squared Frobenius norm of each matrix (torch's _batch_trace_XXT). */
function traceXXT(x: Tensor): Tensor {
  return x.square().sum([-2, -1]);
}

function identityLike(x: Tensor): Tensor {
  return eye(x.shape[x.rank - 1]!, { dtype: x.dtype, backend: x.backend });
}

/** The lower Cholesky factor of P⁻¹, from the Cholesky factor of P with its axes reversed (torch's _precision_to_scale_tril). */
function precisionToScaleTril(precision: Tensor): Tensor {
  const flipped = cholesky(precision.flip([-2, -1]));
  const inverse = mT(flipped.flip([-2, -1]));
  return solveTriangular(inverse, identityLike(precision), { upper: false });
}

/** x in `dtype`: logProb promotes a value of another float dtype, as Normal's does. */
function castTo(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : x.cast(dtype);
}

/**
 * The batch shape the named parameters broadcast to ([name, tensor, number of event axes]), or an
 * error naming each with its shape and batch shape (torch's "Incompatible batch shapes").
 */
function batchShapeOf(owner: string, named: [string, Tensor, number][]): number[] {
  const batches = named.map(([, t, eventAxes]) => t.shape.slice(0, t.rank - eventAxes));
  try {
    return batches.reduce((a, b) => broadcastShapes(owner, a, b), [] as number[]);
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    const described = named.map(
      ([name, t], i) => `${name} ${formatShape(t.shape)} (batch shape ${formatShape(batches[i]!)})`,
    );
    throw new ShapeError(`${owner}: incompatible batch shapes: ${described.join(', ')} do not broadcast`);
  }
}

/** torch's real_vector constraint on loc. */
function checkLoc(owner: string, loc: Tensor): void {
  checkConstraint(owner, 'loc', loc, notNaN, 'a real vector (not NaN)');
}

function checkFloatTensor(owner: string, name: string, x: unknown, minRank: number, like?: Tensor): Tensor {
  if (typeof x !== 'object' || x === null || !('dtype' in x))
    throw new ArgumentError(`${owner}: ${name} must be a tensor, got ${typeof x}`);
  const t = x as Tensor;
  if (t.dtype !== 'float32' && t.dtype !== 'float64')
    throw new DTypeError(`${owner}: ${name} must be a float tensor, got dtype ${t.dtype}`);
  if (like !== undefined && t.dtype !== like.dtype)
    throw new DTypeError(`${owner}: ${name} must have loc's dtype ${like.dtype}, got ${t.dtype}`);
  if (t.rank < minRank)
    throw new ShapeError(
      `${owner}: ${name} must have at least ${minRank} dimension${minRank > 1 ? 's' : ''} (${minRank > 1 ? '[..., k, k]' : '[..., k]'}), got shape ${formatShape(t.shape)}`,
    );
  return t;
}

/** The host's matrices of x ([..., k, k]), one Float64Array of k² each; none on backends without synchronous reads. */
function hostMatrices(x: Tensor): Float64Array[] {
  if (!x.backend.readSync) return [];
  const values = noGrad(() => x.dataSync());
  const size = x.shape[x.rank - 1]! ** 2;
  return Array.from({ length: size === 0 ? 0 : values.length / size }, (_, i) =>
    Float64Array.from(values.subarray(i * size, (i + 1) * size)),
  );
}

/** torch.isclose(a, b, atol=1e-6) and isclose(b, a): |a - b| <= 1e-6 + 1e-5 min(|a|, |b|). */
const isClose = (a: number, b: number) => Math.abs(a - b) <= 1e-6 + 1e-5 * Math.min(Math.abs(a), Math.abs(b));

/** torch's positive_definite constraint: symmetric (isclose to its transpose both ways, atol 1e-6, rtol 1e-5) with a Cholesky factor. */
function checkPositiveDefinite(owner: string, name: string, x: Tensor): void {
  const k = x.shape[x.rank - 1]!;
  hostMatrices(x).forEach((a, index) => {
    for (let i = 0; i < k; i++)
      for (let j = 0; j < i; j++)
        if (!isClose(a[i * k + j]!, a[j * k + i]!))
          throw new ArgumentError(
            `${owner}: ${name} must be positive-definite (symmetric), got matrix ${index} with [${i}, ${j}] = ${a[i * k + j]} but [${j}, ${i}] = ${a[j * k + i]}`,
          );
    const factor = new Float64Array(k * k);
    for (let j = 0; j < k; j++)
      for (let i = j; i < k; i++) {
        let s = a[i * k + j]!;
        for (let m = 0; m < j; m++) s -= factor[i * k + m]! * factor[j * k + m]!;
        if (i === j && !(s > 0))
          throw new ArgumentError(
            `${owner}: ${name} must be positive-definite, got matrix ${index} whose leading ${j + 1}x${j + 1} minor is not (Cholesky pivot ${s})`,
          );
        factor[i * k + j] = i === j ? Math.sqrt(s) : s / factor[j * k + j]!;
      }
  });
}

/** torch's lower_cholesky constraint: lower triangular with a positive diagonal. */
function checkLowerCholesky(owner: string, x: Tensor): void {
  const k = x.shape[x.rank - 1]!;
  hostMatrices(x).forEach((a, index) => {
    for (let i = 0; i < k; i++) {
      if (!(a[i * k + i]! > 0))
        throw new ArgumentError(
          `${owner}: scaleTril must be lower triangular with a positive diagonal, got matrix ${index} with [${i}, ${i}] = ${a[i * k + i]}`,
        );
      for (let j = i + 1; j < k; j++)
        if (a[i * k + j] !== 0)
          throw new ArgumentError(
            `${owner}: scaleTril must be lower triangular with a positive diagonal, got matrix ${index} with [${i}, ${j}] = ${a[i * k + j]} above the diagonal`,
          );
    }
  });
}

/**
 * The base of the two: a location vector per batch element, real-vector support. The subclasses
 * check their parameters before calling it, so that a rejected construction makes no tensor.
 */
abstract class Gaussian extends Distribution {
  /** loc broadcast to [...batchShape, k] (the tensor given where no broadcast is needed): the distribution's. */
  readonly loc: Tensor;

  protected constructor(loc: Tensor, batchShape: readonly number[], options: DistributionOptions) {
    const k = loc.shape[loc.rank - 1]!;
    super(batchShape, [k], options);
    this.loc = expandTo(loc, [...batchShape, k]);
  }

  override get hasRsample(): boolean {
    return true;
  }

  /** loc itself (the distribution's, as Normal's mean): not to be disposed. */
  get mean(): Tensor {
    return this.loc;
  }

  /** The most likely value: loc itself, as mean. */
  get mode(): Tensor {
    return this.loc;
  }

  abstract get covarianceMatrix(): Tensor;
  abstract get precisionMatrix(): Tensor;
  abstract get scaleTril(): Tensor;

  /** The event size k. */
  protected get size(): number {
    return this.eventShape[0]!;
  }

  protected matrixShape(): number[] {
    return [...this.batchShape, this.size, this.size];
  }

  /** Checks logProb's value: [..., k] and, with validateArgs, no NaN (torch's real_vector support). */
  protected checkValue(value: Tensor): void {
    if (value.rank < 1 || value.shape[value.rank - 1] !== this.size)
      throw new ShapeError(
        `${this.constructor.name}: logProb value must have the event size ${this.size} as its last dimension, got shape ${formatShape(value.shape)}`,
      );
    this.checkSupport(value, notNaN, 'real vectors');
  }
}

/**
 * Exactly one of the three, as torch's MultivariateNormal(loc, covariance_matrix=,
 * precision_matrix=, scale_tril=); null counts as absent, as torch's None.
 */
export interface MultivariateNormalParameters extends DistributionOptions {
  covarianceMatrix?: Tensor | null;
  precisionMatrix?: Tensor | null;
  scaleTril?: Tensor | null;
}

type MatrixName = 'covarianceMatrix' | 'precisionMatrix' | 'scaleTril';
const MATRIX_NAMES: readonly MatrixName[] = ['covarianceMatrix', 'precisionMatrix', 'scaleTril'];

/**
 * torch.distributions.MultivariateNormal(loc, { covarianceMatrix } or { precisionMatrix } or
 * { scaleTril }): events of size k = loc's last dimension; the matrix is [..., k, k] and its batch
 * axes broadcast with loc's. Everything is computed from the Cholesky factor L (Σ = L Lᵀ).
 *
 * Ownership, as the other families (Normal's loc and scale are its own, its variance is new each
 * call): loc, unbroadcastedScaleTril, mean and mode (loc itself) are the distribution's, not to
 * be disposed while it is in use; covarianceMatrix, precisionMatrix, scaleTril, variance and
 * stddev return a new tensor on every call, broadcast or not (the given matrix as a new view),
 * which the caller may dispose without touching the distribution.
 */
export class MultivariateNormal extends Gaussian {
  /** The lower Cholesky factor of the covariance before broadcasting (torch's _unbroadcasted_scale_tril). */
  readonly unbroadcastedScaleTril: Tensor;
  /** The matrix given, before broadcasting. */
  readonly #given: { name: MatrixName; matrix: Tensor };

  constructor(loc: Tensor, parameters: MultivariateNormalParameters) {
    const owner = 'MultivariateNormal';
    checkOptions(owner, parameters, [...MATRIX_NAMES, 'validateArgs']);
    const named = MATRIX_NAMES.filter((n) => parameters[n] != null);
    if (named.length !== 1)
      throw new ArgumentError(
        `${owner}: pass exactly one of covarianceMatrix, precisionMatrix and scaleTril, got ${named.length === 0 ? 'none' : named.join(' and ')}`,
      );
    const name = named[0]!;
    const l = checkFloatTensor(owner, 'loc', loc, 1);
    const matrix = checkFloatTensor(owner, name, parameters[name], 2, l);
    const k = l.shape[l.rank - 1]!;
    const [rows, columns] = matrix.shape.slice(-2) as [number, number];
    if (rows !== k || columns !== k)
      throw new ShapeError(
        `${owner}: ${name} must be [..., ${k}, ${k}] (k = loc's last dimension), got shape ${formatShape(matrix.shape)}`,
      );
    const batchShape = batchShapeOf(owner, [
      ['loc', l, 1],
      [name, matrix, 2],
    ]);
    if (parameters.validateArgs ?? true) {
      checkLoc(owner, l);
      if (name === 'scaleTril') checkLowerCholesky(owner, matrix);
      else checkPositiveDefinite(owner, name, matrix);
    }
    const scaleTril =
      name === 'scaleTril'
        ? matrix
        : name === 'covarianceMatrix'
          ? cholesky(matrix)
          : composite(() => precisionToScaleTril(matrix));
    super(l, batchShape, { validateArgs: parameters.validateArgs });
    this.#given = { name, matrix };
    this.unbroadcastedScaleTril = scaleTril;
  }

  /** L broadcast to [...batchShape, k, k]: a new tensor (view) on each call, the caller's. */
  get scaleTril(): Tensor {
    return this.unbroadcastedScaleTril.expand(this.matrixShape());
  }

  /** Σ = L Lᵀ (the matrix given, if it was) broadcast to [...batchShape, k, k]: a new tensor on each call, the caller's. */
  get covarianceMatrix(): Tensor {
    if (this.#given.name === 'covarianceMatrix') return this.#given.matrix.expand(this.matrixShape());
    const l = this.unbroadcastedScaleTril;
    return composite(() => l.matmul(mT(l)).expand(this.matrixShape()));
  }

  /** Σ⁻¹ (the matrix given, if it was) broadcast to [...batchShape, k, k]: a new tensor on each call, the caller's. */
  get precisionMatrix(): Tensor {
    if (this.#given.name === 'precisionMatrix') return this.#given.matrix.expand(this.matrixShape());
    return composite(() => choleskyInverse(this.unbroadcastedScaleTril).expand(this.matrixShape()));
  }

  get variance(): Tensor {
    return composite(() => expandTo(this.unbroadcastedScaleTril.square().sum(-1), this.loc.shape));
  }

  /** loc + L ε, ε standard normal of [...sampleShape, ...batchShape, k] from the generator. */
  override rsample(sampleShape: readonly number[] = [], options: SampleOptions = {}): Tensor {
    const shape = this.extendedShape(sampleShape);
    return composite(() => this.loc.add(batchMv(this.unbroadcastedScaleTril, normalNoise(shape, this.loc, options))));
  }

  /** A value of the other float dtype promotes, as Normal's logProb. */
  logProb(value: Tensor): Tensor {
    this.checkValue(value);
    return composite(() => {
      const diff = value.sub(this.loc);
      const l = castTo(this.unbroadcastedScaleTril, diff.dtype);
      return batchMahalanobis(l, diff)
        .add(this.size * LOG_2PI)
        .mul(-0.5)
        .sub(halfLogDet(l));
    });
  }

  override entropy(): Tensor {
    return composite(() =>
      expandTo(halfLogDet(this.unbroadcastedScaleTril).add(0.5 * this.size * (1 + LOG_2PI)), this.batchShape),
    );
  }
}

/** Cholesky factor of the capacitance I + Wᵀ D⁻¹ W (torch's _batch_capacitance_tril). */
function capacitanceTril(w: Tensor, d: Tensor): Tensor {
  return cholesky(mT(w).div(d.unsqueeze(-2)).matmul(w).add(identityLike(w)));
}

/** A = C⁻¹ Wᵀ D⁻¹ with C = L_C L_Cᵀ's factor: (W Wᵀ + D)⁻¹ = D⁻¹ - Aᵀ A (Woodbury). */
function woodburyFactor(w: Tensor, d: Tensor, capacitance: Tensor): Tensor {
  return solveTriangular(capacitance, mT(w).div(d.unsqueeze(-2)), { upper: false });
}

/**
 * torch.distributions.LowRankMultivariateNormal(loc, covFactor, covDiag): covariance
 * W Wᵀ + diag(D) with W = covFactor [..., k, rank] and D = covDiag [..., k] (positive); logProb
 * and entropy work on the rank x rank capacitance I + Wᵀ D⁻¹ W (Woodbury, determinant lemma).
 *
 * Ownership as MultivariateNormal's: the fields (loc, covFactor, covDiag, their unbroadcasted
 * forms, capacitanceTril), mean and mode are the distribution's; covarianceMatrix,
 * precisionMatrix, scaleTril, variance and stddev return a new tensor on every call, the caller's.
 */
export class LowRankMultivariateNormal extends Gaussian {
  readonly covFactor: Tensor;
  readonly covDiag: Tensor;
  /** W and D as given, before broadcasting. */
  readonly unbroadcastedCovFactor: Tensor;
  readonly unbroadcastedCovDiag: Tensor;
  /** The lower Cholesky factor of the capacitance I + Wᵀ D⁻¹ W. */
  readonly capacitanceTril: Tensor;

  constructor(loc: Tensor, covFactor: Tensor, covDiag: Tensor, options: DistributionOptions = {}) {
    const owner = 'LowRankMultivariateNormal';
    checkOptions(owner, options, ['validateArgs']);
    const l = checkFloatTensor(owner, 'loc', loc, 1);
    const w = checkFloatTensor(owner, 'covFactor', covFactor, 2, l);
    const d = checkFloatTensor(owner, 'covDiag', covDiag, 1, l);
    const k = l.shape[l.rank - 1]!;
    if (w.shape[w.rank - 2] !== k)
      throw new ShapeError(
        `${owner}: covFactor must be [..., ${k}, rank] (k = loc's last dimension), got shape ${formatShape(w.shape)}`,
      );
    if (d.shape[d.rank - 1] !== k)
      throw new ShapeError(
        `${owner}: covDiag must be [..., ${k}] (k = loc's last dimension), got shape ${formatShape(d.shape)}`,
      );
    const rank = w.shape[w.rank - 1]!;
    const batchShape = batchShapeOf(owner, [
      ['loc', l, 1],
      ['covFactor', w, 2],
      ['covDiag', d, 1],
    ]);
    if (options.validateArgs ?? true) {
      checkLoc(owner, l);
      checkConstraint(owner, 'covFactor', w, notNaN, 'real (not NaN)');
      checkConstraint(owner, 'covDiag', d, positive, '> 0');
    }
    const capacitance = composite(() => capacitanceTril(w, d));
    super(l, batchShape, options);
    this.covFactor = expandTo(w, [...batchShape, k, rank]);
    this.covDiag = expandTo(d, [...batchShape, k]);
    this.unbroadcastedCovFactor = w;
    this.unbroadcastedCovDiag = d;
    this.capacitanceTril = capacitance;
  }

  get variance(): Tensor {
    return composite(() =>
      expandTo(this.unbroadcastedCovFactor.square().sum(-1).add(this.unbroadcastedCovDiag), this.loc.shape),
    );
  }

  /** D^½ chol(I + D^-½ W Wᵀ D^-½): a well-conditioned Cholesky (GPML 3.4.3), as torch's. */
  get scaleTril(): Tensor {
    return composite(() => {
      const sqrtD = this.unbroadcastedCovDiag.sqrt().unsqueeze(-1);
      const scaled = this.unbroadcastedCovFactor.div(sqrtD);
      const factor = cholesky(
        scaled.matmul(mT(scaled)).add(eye(this.size, { dtype: scaled.dtype, backend: scaled.backend })),
      );
      return sqrtD.mul(factor).expand(this.matrixShape());
    });
  }

  get covarianceMatrix(): Tensor {
    return composite(() => {
      const w = this.unbroadcastedCovFactor;
      return w.matmul(mT(w)).add(diagEmbed(this.unbroadcastedCovDiag)).expand(this.matrixShape());
    });
  }

  get precisionMatrix(): Tensor {
    return composite(() => {
      const a = woodburyFactor(this.unbroadcastedCovFactor, this.unbroadcastedCovDiag, this.capacitanceTril);
      return diagEmbed(this.unbroadcastedCovDiag.reciprocal()).sub(mT(a).matmul(a)).expand(this.matrixShape());
    });
  }

  /** loc + W ε_W + √D ε_D, ε_W ([...sampleShape, ...batchShape, rank]) drawn first, as torch. */
  override rsample(sampleShape: readonly number[] = [], options: SampleOptions = {}): Tensor {
    const shape = this.extendedShape(sampleShape);
    const rank = this.covFactor.shape[this.covFactor.rank - 1]!;
    return composite(() => {
      const epsW = normalNoise([...shape.slice(0, -1), rank], this.loc, options);
      const epsD = normalNoise(shape, this.loc, options);
      return this.loc.add(batchMv(this.unbroadcastedCovFactor, epsW)).add(this.unbroadcastedCovDiag.sqrt().mul(epsD));
    });
  }

  logProb(value: Tensor): Tensor {
    this.checkValue(value);
    return composite(() =>
      lowRankMahalanobisOf(this, value.sub(this.loc))
        .add(lowRankLogDetOf(this))
        .add(this.size * LOG_2PI)
        .mul(-0.5),
    );
  }

  override entropy(): Tensor {
    return composite(() =>
      expandTo(
        lowRankLogDetOf(this)
          .add(this.size * (1 + LOG_2PI))
          .mul(0.5),
        this.batchShape,
      ),
    );
  }
}

/** log |W Wᵀ + D| = log |C| + log |D| by the matrix determinant lemma (torch's _batch_lowrank_logdet). */
function lowRankLogDetOf(d: LowRankMultivariateNormal): Tensor {
  return halfLogDet(d.capacitanceTril).mul(2).add(d.unbroadcastedCovDiag.log().sum(-1));
}

/** xᵀ (W Wᵀ + D)⁻¹ x by Woodbury (torch's _batch_lowrank_mahalanobis), in x's dtype. */
function lowRankMahalanobisOf(d: LowRankMultivariateNormal, x: Tensor): Tensor {
  const [w, diag, capacitance] = [d.unbroadcastedCovFactor, d.unbroadcastedCovDiag, d.capacitanceTril].map((t) =>
    castTo(t, x.dtype),
  ) as [Tensor, Tensor, Tensor];
  const wtDinvX = batchMv(mT(w).div(diag.unsqueeze(-2)), x);
  return x.square().div(diag).sum(-1).sub(batchMahalanobis(capacitance, wtDinvX));
}

function checkEventShapes(p: Gaussian, q: Gaussian): number {
  if (p.eventShape[0] !== q.eventShape[0])
    throw new ShapeError(
      `klDivergence: ${p.constructor.name} and ${q.constructor.name} must have one event shape, got ${formatShape(p.eventShape)} and ${formatShape(q.eventShape)}`,
    );
  return p.eventShape[0]!;
}

function expandBoth(a: Tensor, b: Tensor): [Tensor, Tensor] {
  const batch = broadcastShapes('klDivergence', a.shape.slice(0, -2), b.shape.slice(0, -2));
  return [expandTo(a, [...batch, ...a.shape.slice(-2)]), expandTo(b, [...batch, ...b.shape.slice(-2)])];
}

/** KL(p || q) of two MultivariateNormals (torch's _kl_multivariatenormal_multivariatenormal). */
export function klMultivariateNormal(p: MultivariateNormal, q: MultivariateNormal): Tensor {
  const n = checkEventShapes(p, q);
  const halfTerm1 = halfLogDet(q.unbroadcastedScaleTril).sub(halfLogDet(p.unbroadcastedScaleTril));
  const [qL, pL] = expandBoth(q.unbroadcastedScaleTril, p.unbroadcastedScaleTril);
  const term2 = traceXXT(solveTriangular(qL, pL, { upper: false }));
  const term3 = batchMahalanobis(q.unbroadcastedScaleTril, q.loc.sub(p.loc));
  return halfTerm1.add(term2.add(term3).sub(n).mul(0.5));
}

/** KL(p || q) of two LowRankMultivariateNormals (torch's formula: Woodbury on q, p's factors kept low-rank). */
export function klLowRank(p: LowRankMultivariateNormal, q: LowRankMultivariateNormal): Tensor {
  const n = checkEventShapes(p, q);
  const term1 = lowRankLogDetOf(q).sub(lowRankLogDetOf(p));
  const term3 = lowRankMahalanobisOf(q, q.loc.sub(p.loc));
  const [qD, pD, pW] = [q.unbroadcastedCovDiag, p.unbroadcastedCovDiag, p.unbroadcastedCovFactor];
  const a = woodburyFactor(q.unbroadcastedCovFactor, qD, q.capacitanceTril);
  const term21 = pD.div(qD).sum(-1);
  const term22 = traceXXT(pW.mul(qD.rsqrt().unsqueeze(-1)));
  const term23 = traceXXT(a.mul(pD.sqrt().unsqueeze(-2)));
  const term24 = traceXXT(a.matmul(pW));
  const term2 = term21.add(term22).sub(term23).sub(term24);
  return term1.add(term2).add(term3).sub(n).mul(0.5);
}

/** KL(p || q) of a MultivariateNormal p and a LowRankMultivariateNormal q. */
export function klMultivariateNormalLowRank(p: MultivariateNormal, q: LowRankMultivariateNormal): Tensor {
  const n = checkEventShapes(p, q);
  const pL = p.unbroadcastedScaleTril;
  const term1 = lowRankLogDetOf(q).sub(halfLogDet(pL).mul(2));
  const term3 = lowRankMahalanobisOf(q, q.loc.sub(p.loc));
  const qD = q.unbroadcastedCovDiag;
  const a = woodburyFactor(q.unbroadcastedCovFactor, qD, q.capacitanceTril);
  const term2 = traceXXT(pL.mul(qD.rsqrt().unsqueeze(-1))).sub(traceXXT(a.matmul(pL)));
  return term1.add(term2).add(term3).sub(n).mul(0.5);
}

/** KL(p || q) of a LowRankMultivariateNormal p and a MultivariateNormal q. */
export function klLowRankMultivariateNormal(p: LowRankMultivariateNormal, q: MultivariateNormal): Tensor {
  const n = checkEventShapes(p, q);
  const term1 = halfLogDet(q.unbroadcastedScaleTril).mul(2).sub(lowRankLogDetOf(p));
  const term3 = batchMahalanobis(q.unbroadcastedScaleTril, q.loc.sub(p.loc));
  const [qL, pW] = expandBoth(q.unbroadcastedScaleTril, p.unbroadcastedCovFactor);
  const [qL2, pSqrtD] = expandBoth(q.unbroadcastedScaleTril, diagEmbed(p.unbroadcastedCovDiag.sqrt()));
  const term21 = traceXXT(solveTriangular(qL, pW, { upper: false }));
  const term22 = traceXXT(solveTriangular(qL2, pSqrtD, { upper: false }));
  return term1.add(term21.add(term22)).add(term3).sub(n).mul(0.5);
}
