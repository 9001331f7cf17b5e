import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { noGrad } from '../autograd/grad-mode.js';
import { checkOptions } from '../nn/checks.js';
import { full, fromHost } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import { type Generator, defaultGenerator } from '../tensor/random.js';
import { broadcastShapes, sizeOf } from '../tensor/shape.js';
import { checkValues, openUniforms } from '../tensor/sampling.js';
import type { Tensor } from '../tensor/tensor.js';

/** A distribution parameter: a float tensor (gradients flow to it) or a number. */
export type Parameter = Tensor | number;

export interface DistributionOptions {
  /**
   * Check the parameters against their constraints and logProb's values against the support,
   * as PyTorch does by default (validate_args). The check reads on the host and is skipped on
   * backends without synchronous reads.
   */
  validateArgs?: boolean;
}

export interface SampleOptions {
  /** Draw from this generator instead of the default one. */
  generator?: Generator;
}

/** The parameters as tensors of one dtype and backend, broadcast to one shape (torch's broadcast_all). */
export function broadcastParameters(owner: string, named: Record<string, Parameter>): Tensor[] {
  const entries = Object.entries(named);
  const tensors = entries.map(([, v]) => v).filter((v): v is Tensor => typeof v !== 'number');
  for (const [name, v] of entries)
    if (typeof v !== 'number' && v.dtype !== 'float32' && v.dtype !== 'float64')
      throw new ArgumentError(`${owner}: ${name} must be a float tensor or a number, got dtype ${v.dtype}`);
  const first = tensors[0];
  const shape = tensors.map((t) => [...t.shape]).reduce((a, b) => broadcastShapes(owner, a, b), [] as number[]);
  return entries.map(([, v]) => {
    if (typeof v === 'number') return full(shape, v, { dtype: first?.dtype ?? 'float32', backend: first?.backend });
    return expandTo(v, shape);
  });
}

/** x broadcast to `shape`: x itself when it already has that shape, else a new view. */
export function expandTo(x: Tensor, shape: readonly number[]): Tensor {
  return x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i]) ? x : x.expand(shape);
}

/** Throws when some element breaks the constraint; reads on the host, so skipped where the backend cannot. */
export function checkConstraint(
  owner: string,
  what: string,
  x: Tensor,
  ok: (v: number) => boolean,
  rule: string,
): void {
  checkValues(owner, x, ok, `${what} must be ${rule}`);
}

/**
 * The base of torch.distributions' distributions: a batch of independent distributions
 * (batchShape) over events of eventShape. Subclasses give logProb, entropy, mean, variance and
 * sampling; rsample exists where sampling is reparameterizable (its gradient flows to the
 * parameters through the noise, drawn from the seeded generator).
 */
export abstract class Distribution {
  readonly batchShape: readonly number[];
  readonly eventShape: readonly number[];
  readonly validateArgs: boolean;

  protected constructor(batchShape: readonly number[], eventShape: readonly number[], options: DistributionOptions) {
    checkOptions(this.constructor.name, options, ['validateArgs']);
    this.batchShape = [...batchShape];
    this.eventShape = [...eventShape];
    this.validateArgs = options.validateArgs ?? true;
  }

  /** Whether rsample exists (pathwise gradients). */
  get hasRsample(): boolean {
    return false;
  }

  abstract get mean(): Tensor;
  abstract get variance(): Tensor;

  /** The square root of the variance; the variance it is computed from is freed with it (or at once). */
  get stddev(): Tensor {
    return composite(() => this.variance.sqrt());
  }

  /** The log density (or mass) of `value`, over the batch shape. */
  abstract logProb(value: Tensor): Tensor;

  entropy(): Tensor {
    throw new ArgumentError(`${this.constructor.name}: entropy is not defined (PyTorch has none either)`);
  }

  cdf(_value: Tensor): Tensor {
    throw new ArgumentError(`${this.constructor.name}: cdf is not available`);
  }

  icdf(_value: Tensor): Tensor {
    throw new ArgumentError(`${this.constructor.name}: icdf is not available`);
  }

  /** Samples of shape [...sampleShape, ...batchShape, ...eventShape], without gradient. */
  sample(sampleShape: readonly number[] = [], options: SampleOptions = {}): Tensor {
    return noGrad(() => this.rsample(sampleShape, options));
  }

  /** Reparameterized samples: gradients flow to the parameters. */
  rsample(_sampleShape: readonly number[] = [], _options: SampleOptions = {}): Tensor {
    throw new ArgumentError(
      `${this.constructor.name}: rsample is not available (sampling is not reparameterizable here); use sample`,
    );
  }

  /** The full shape of a draw of `sampleShape`. */
  protected extendedShape(sampleShape: readonly number[]): number[] {
    for (const d of sampleShape)
      if (!Number.isInteger(d) || d < 0)
        throw new ShapeError(
          `${this.constructor.name}: sample shape ${formatShape(sampleShape)} must hold non-negative integers`,
        );
    return [...sampleShape, ...this.batchShape, ...this.eventShape];
  }

  /**
   * Checks that each event of logProb's value (its last axis) sums to 1 within `tolerance`, as
   * torch's simplex (1e-6) and one_hot (exactly) constraints, when validateArgs is on.
   */
  protected checkEventSums(value: Tensor, tolerance: number, support: string): void {
    if (!this.validateArgs || !value.backend.readSync || value.rank === 0) return;
    const values = noGrad(() => value.dataSync());
    const k = value.shape[value.rank - 1]!;
    for (let start = 0; start < values.length; start += k) {
      let total = 0;
      for (let i = start; i < start + k; i++) total += values[i]!;
      if (!(Math.abs(total - 1) <= tolerance))
        throw new ArgumentError(
          `${this.constructor.name}: logProb value must be in the support (${support}), got an event summing to ${total}`,
        );
    }
  }

  /** Checks logProb's value against the support when validateArgs is on. */
  protected checkSupport(value: Tensor, ok: (v: number) => boolean, support: string): void {
    if (this.validateArgs)
      checkConstraint(this.constructor.name, 'logProb value', value, ok, `in the support (${support})`);
  }
}

function generatorOf(options: SampleOptions): Generator {
  checkOptions('sample', options, ['generator']);
  return options.generator ?? defaultGenerator;
}

/** Standard-normal noise of `shape` like `like` (dtype, backend), from the host generator. */
export function normalNoise(shape: readonly number[], like: Tensor, options: SampleOptions): Tensor {
  return fromHost(generatorOf(options).normal(sizeOf(shape)), shape, { dtype: like.dtype, backend: like.backend });
}

/** Uniform noise strictly inside (0, 1) of `shape` like `like` (53 random bits in float64, exact in float32). */
export function uniformNoise(shape: readonly number[], like: Tensor, options: SampleOptions): Tensor {
  const values = openUniforms(generatorOf(options), sizeOf(shape), like.dtype);
  return fromHost(values, shape, { dtype: like.dtype, backend: like.backend });
}
