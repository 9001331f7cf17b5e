import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { matrixExp } from '../linalg/matrix-exp.js';
import { qr } from '../linalg/factor.js';
import { solve } from '../linalg/solve.js';
import { add, mul, sign, sub, trunc } from '../ops/elementwise.js';
import { allclose } from '../ops/elementwise-extra.js';
import { matmul } from '../ops/linalg.js';
import { diagonal, sliceAlong, tril } from '../ops/matrix-utils.js';
import { concat, transpose, unsqueeze } from '../ops/movement.js';
import { dot, mv } from '../ops/products.js';
import { normalize } from '../ops/distance.js';
import { sum } from '../ops/reduce.js';
import { eye, randn, zeros } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import { composite, keep, tidy } from '../tensor/scope.js';
import { shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { isTensor } from '../tensor/is-tensor.js';
import { checkInteger, checkNumber, checkOptions, describeValue } from './checks.js';
import { Module } from './module.js';
import { registerParametrization } from './parametrize.js';
import { defaultSpectralDim, initialSingularVectors, powerIterations, weightMatrix } from './weight-norm.js';

/** torch.nn.utils.parametrizations: ready-made parametrizations registered through parametrize. */

export type OrthogonalMap = 'matrix_exp' | 'cayley' | 'householder';
const ORTHOGONAL_MAPS: readonly OrthogonalMap[] = ['matrix_exp', 'cayley', 'householder'];

export interface OrthogonalOptions {
  /** The parameter or buffer (default 'weight'). */
  name?: string;
  /** 'matrix_exp' or 'cayley' (of a skew-symmetric matrix) or 'householder'; default as torch: 'matrix_exp' for square matrices, 'householder' otherwise. */
  orthogonalMap?: OrthogonalMap;
  /** Draws the columns that complete a non-square matrix to the square base. */
  generator?: Generator;
}

/**
 * torch.nn.utils.parametrizations.orthogonal (with torch's default use_trivialization): the
 * matrix (or each matrix of a batch, the last two dimensions) `name` stays orthogonal (orthonormal
 * columns or rows): `base @ map(original)`, where `base` (a buffer) is the orthogonalized initial
 * weight and `original` starts as -I, where the map gives I. Returns the module.
 */
export function orthogonal<M extends Module>(module: M, options: OrthogonalOptions = {}): M {
  const owner = 'parametrizations.orthogonal';
  checkOptions(owner, options, ['name', 'orthogonalMap', 'generator']);
  const name = options.name ?? 'weight';
  const weight = tensorOf(owner, module, name);
  if (weight.rank < 2)
    throw new ShapeError(
      `${owner}: expected a matrix or a batch of matrices, got '${name}' of shape ${formatShape(weight.shape)}`,
    );
  const square = weight.shape[weight.rank - 2] === weight.shape[weight.rank - 1];
  const map = options.orthogonalMap ?? (square ? 'matrix_exp' : 'householder');
  if (!ORTHOGONAL_MAPS.includes(map))
    throw new ArgumentError(
      `${owner}: orthogonalMap must be one of ${ORTHOGONAL_MAPS.map((m) => `'${m}'`).join(', ')}, got ${describeValue(map)}`,
    );
  return registerParametrization(module, name, new Orthogonal(weight.shape, map, options.generator), { unsafe: true });
}

/** torch's _Orthogonal: maps any matrix to one with orthonormal columns (rows, for a wide one). */
class Orthogonal extends Module {
  readonly orthogonalMap: OrthogonalMap;
  readonly #shape: readonly number[];
  readonly #generator: Generator | undefined;
  #base: Tensor | null = null;

  constructor(shape: readonly number[], orthogonalMap: OrthogonalMap, generator: Generator | undefined) {
    super();
    this.#shape = [...shape];
    this.orthogonalMap = orthogonalMap;
    this.#generator = generator;
  }

  override get typeName(): string {
    return '_Orthogonal';
  }

  forward(x: Tensor): Tensor {
    return composite(() => {
      const transposed = x.shape[x.rank - 2]! < x.shape[x.rank - 1]!;
      const tall = transposed ? transpose(x, -2, -1) : x; // n >= k from here
      const [n, k] = tall.shape.slice(-2) as [number, number];
      let q: Tensor;
      if (this.orthogonalMap === 'householder') {
        const a = tril(tall, -1);
        const tau = sum(mul(a, a), -2).add(1).pow(-1).mul(2);
        // The diagonal of the original holds ±1 (-1 from the start): the signs of the columns, without gradient.
        q = mul(householderProduct(a, tau), unsqueeze(trunc(diagonal(tall, 0, -2, -1)), -2));
      } else {
        let lower = tril(tall);
        if (n !== k) lower = concat([lower, zeros([...lower.shape.slice(0, -2), n, n - k], like(x))], -1);
        const skew = sub(lower, transpose(lower, -2, -1));
        const identity = eye(n, like(x));
        // Cayley: (I + A/2)(I - A/2)^-1, solved as torch does.
        const full =
          this.orthogonalMap === 'matrix_exp'
            ? matrixExp(skew)
            : solve(add(identity, mul(skew, -0.5)), add(identity, mul(skew, 0.5)));
        q = n === k ? full : sliceAlong(full, full.rank - 1, 0, k);
      }
      if (this.#base !== null) q = matmul(this.#base, q);
      return transposed ? transpose(q, -2, -1) : q;
    });
  }

  /**
   * torch's right_inverse with trivialization: `base` becomes `value` orthogonalized (completed by
   * random columns when not square); the returned original, -I, maps to I, so the weight is base.
   */
  rightInverse(value: Tensor): Tensor {
    if (!shapesEqual(value.shape, this.#shape))
      throw new ShapeError(
        `parametrizations.orthogonal: expected a value of shape ${formatShape(this.#shape)}, got ${formatShape(value.shape)}`,
      );
    return noGrad(() =>
      tidy(() => {
        const transposed = value.shape[value.rank - 2]! < value.shape[value.rank - 1]!;
        const q = transposed ? transpose(value, -2, -1) : value;
        const [n, k] = q.shape.slice(-2) as [number, number];
        let base: Tensor;
        // torch keeps an orthogonal Q as it is (the QR would round it); a backend that reads only asynchronously cannot check.
        if (n === k) base = q.backend.readSync !== undefined && isOrthogonal(q) ? q.detach() : makeOrthogonal(q);
        else {
          const filler = randn([...q.shape.slice(0, -2), n, n - k], { ...like(q), generator: this.#generator });
          base = makeOrthogonal(concat([q, filler], -1));
        }
        if (this.#base === null) this.#base = this.registerBuffer('base', keep(base));
        else this.#base.assign(base);
        const rows = value.shape[value.rank - 2]!;
        const columns = value.shape[value.rank - 1]!;
        return add(zeros(value.shape, like(value)), mul(eye(rows, columns, like(value)), -1));
      }),
    );
  }

  /** What the module's config records: the call that redoes this parametrization. */
  reparametrizationConfig(name: string): Record<string, unknown> {
    return { type: 'orthogonal', name, orthogonalMap: this.orthogonalMap };
  }

  protected override extraRepr(): string {
    return `orthogonalMap='${this.orthogonalMap}'`;
  }
}

/** torch.linalg.householder_product: the first k columns of H_1 ... H_k, H_i = I - tau_i v_i v_iᵀ, v_i the i-th column of `a` below a 1. */
function householderProduct(a: Tensor, tau: Tensor): Tensor {
  const [n, k] = a.shape.slice(-2) as [number, number];
  const vectors = add(a, eye(n, k, like(a)));
  let q = eye(n, k, like(a));
  for (let i = k - 1; i >= 0; i--) {
    const v = sliceAlong(vectors, vectors.rank - 1, i, 1);
    const scale = unsqueeze(sliceAlong(tau, tau.rank - 1, i, 1), -1);
    q = sub(q, mul(scale, matmul(v, matmul(transpose(v, -2, -1), q))));
  }
  return q;
}

/** The Q of A = QR with R's diagonal made positive (torch's _make_orthogonal). */
function makeOrthogonal(a: Tensor): Tensor {
  const { Q, R } = qr(a);
  return mul(Q, unsqueeze(sign(diagonal(R, 0, -2, -1)), -2));
}

/** Whether QᵀQ is I to within 10 n eps (torch's _is_orthogonal; read on the host). */
function isOrthogonal(q: Tensor): boolean {
  const [n, k] = q.shape.slice(-2) as [number, number];
  const eps = q.dtype === 'float64' ? 2 ** -52 : 2 ** -23;
  return allclose(matmul(transpose(q, -2, -1), q), eye(k, like(q)), { atol: 10 * n * eps });
}

export interface SpectralNormParametrizationOptions {
  name?: string;
  /** Power-iteration steps per read in training mode (default 1; at least 1). */
  nPowerIterations?: number;
  eps?: number;
  /** The dimension of the outputs (default 0; 1 for ConvTranspose1d/2d/3d, as torch). */
  dim?: number;
  /** Draws the initial u and v (then refined by 15 power-iteration steps, as torch). */
  generator?: Generator;
}

/**
 * torch.nn.utils.parametrizations.spectral_norm: `name` divided by its largest singular value,
 * estimated by power iteration; the vectors are the parametrization's buffers `_u` and `_v`
 * (`parametrizations.weight.0._u`), updated at each read in training mode. A 1-D tensor is
 * divided by its norm. Returns the module.
 */
export function spectralNorm<M extends Module>(module: M, options: SpectralNormParametrizationOptions = {}): M {
  const owner = 'parametrizations.spectralNorm';
  checkOptions(owner, options, ['name', 'nPowerIterations', 'eps', 'dim', 'generator']);
  const name = options.name ?? 'weight';
  const weight = tensorOf(owner, module, name);
  const steps = checkInteger(`${owner}: nPowerIterations`, options.nPowerIterations ?? 1);
  if (steps < 1) throw new ArgumentError(`${owner}: nPowerIterations must be a positive integer, got ${steps}`);
  const eps = checkNumber(`${owner}: eps`, options.eps ?? 1e-12, { min: 0 });
  const dim = checkInteger(`${owner}: dim`, options.dim ?? defaultSpectralDim(module));
  if (dim < -weight.rank || dim >= weight.rank)
    throw new ArgumentError(
      `${owner}: dim must be in [${-weight.rank}, ${weight.rank}) for '${name}' of shape ${formatShape(weight.shape)}, got ${dim}`,
    );
  const parametrization = new SpectralNorm(weight, steps, dim < 0 ? dim + weight.rank : dim, eps, options.generator);
  return registerParametrization(module, name, parametrization);
}

/** torch's _SpectralNorm. */
class SpectralNorm extends Module {
  readonly #steps: number;
  readonly #dim: number;
  readonly #eps: number;
  readonly #u: Tensor | null = null;
  readonly #v: Tensor | null = null;

  constructor(weight: Tensor, steps: number, dim: number, eps: number, generator: Generator | undefined) {
    super();
    [this.#steps, this.#dim, this.#eps] = [steps, dim, eps];
    if (weight.rank > 1) {
      const [u, v] = initialSingularVectors(weight, dim, eps, generator);
      this.#u = this.registerBuffer('_u', u);
      this.#v = this.registerBuffer('_v', v);
      tidy(() => powerIterations(weightMatrix(weight, dim), u, v, 15, eps, 'u first'));
    }
  }

  override get typeName(): string {
    return '_SpectralNorm';
  }

  forward(weight: Tensor): Tensor {
    if (this.#u === null || this.#v === null) return normalize(weight, { dim: 0, eps: this.#eps });
    const [u, v] = [this.#u, this.#v];
    return composite(() => {
      const matrix = weightMatrix(weight, this.#dim);
      if (this.training) powerIterations(matrix, u, v, this.#steps, this.#eps, 'u first');
      return weight.div(dot(u.detach(), mv(matrix, v.detach())));
    });
  }

  rightInverse(value: Tensor): Tensor {
    return value;
  }

  /** What the module's config records: the call that redoes this parametrization. */
  reparametrizationConfig(name: string): Record<string, unknown> {
    const [nPowerIterations, eps, dim] = [this.#steps, this.#eps, this.#dim];
    return { type: 'parametrizations.spectralNorm', name, nPowerIterations, eps, dim };
  }
}

function tensorOf(owner: string, module: Module, name: unknown): Tensor {
  if (!(module instanceof Module)) throw new ArgumentError(`${owner}: expected a Module, got ${describeValue(module)}`);
  const value: unknown = typeof name === 'string' ? (module as unknown as Record<string, unknown>)[name] : undefined;
  if (!isTensor(value))
    throw new ArgumentError(`${owner}: ${module.typeName} has no parameter or buffer named '${String(name)}'`);
  return value;
}

const like = (t: Tensor) => ({ dtype: t.dtype, backend: t.backend });
