import { ArgumentError } from '../errors.js';
import { softplus as softplusThreshold } from '../ops/activation.js';
import { noGrad } from '../autograd/grad-mode.js';
import { checkOptions } from '../nn/checks.js';
import { full } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import { sizeOf } from '../tensor/shape.js';
import { where } from '../ops/elementwise.js';
import type { Tensor } from '../tensor/tensor.js';
import { bernoulli, multinomial, poisson } from '../tensor/sampling.js';
import { lgamma } from '../special/functions.js';
import {
  type DistributionOptions,
  Distribution,
  type Parameter,
  type SampleOptions,
  broadcastParameters,
  checkConstraint,
} from './distribution.js';

/** log(1 + e^x), exact for every x (no threshold: binary_cross_entropy_with_logits' form); kl.ts shares it. */
export const softplus = (x: Tensor): Tensor => softplusThreshold(x, 1, Infinity);

/** Exactly one of probs and logits, as torch's Bernoulli(probs=..., logits=...). */
export interface ProbsOrLogits extends DistributionOptions {
  probs?: Parameter;
  logits?: Parameter;
}

/** The machine epsilon of the dtype: PyTorch clamps probabilities to [eps, 1 - eps] before taking logs. */
function epsilonOf(x: Tensor): number {
  return x.dtype === 'float64' ? 2.220446049250313e-16 : 1.1920928955078125e-7;
}

function oneOf(owner: string, options: ProbsOrLogits): { name: 'probs' | 'logits'; value: Parameter } {
  checkOptions(owner, options, ['probs', 'logits', 'validateArgs']);
  const hasProbs = options.probs !== undefined;
  const hasLogits = options.logits !== undefined;
  if (hasProbs === hasLogits)
    throw new ArgumentError(`${owner}: pass exactly one of probs and logits, got ${hasProbs ? 'both' : 'neither'}`);
  return hasProbs ? { name: 'probs', value: options.probs! } : { name: 'logits', value: options.logits! };
}

const isProbability = (v: number) => v >= 0 && v <= 1;
const notNaN = (v: number) => !Number.isNaN(v);

/** torch.distributions.Bernoulli({ probs } or { logits }): 0/1 outcomes. */
export class Bernoulli extends Distribution {
  readonly probs: Tensor;
  readonly logits: Tensor;

  constructor(parameters: ProbsOrLogits) {
    const { name, value } = oneOf('Bernoulli', parameters);
    const [given] = broadcastParameters('Bernoulli', { [name]: value });
    super(given!.shape, [], { validateArgs: parameters.validateArgs });
    if (name === 'probs') {
      if (this.validateArgs) checkConstraint('Bernoulli', 'probs', given!, isProbability, 'in [0, 1]');
      this.probs = given!;
      const eps = epsilonOf(given!);
      this.logits = composite(() => {
        const clamped = given!.clamp(eps, 1 - eps);
        return clamped.log().sub(clamped.neg().log1p());
      });
    } else {
      if (this.validateArgs) checkConstraint('Bernoulli', 'logits', given!, notNaN, 'real numbers');
      this.logits = given!;
      this.probs = given!.sigmoid();
    }
  }

  get mean(): Tensor {
    return this.probs;
  }

  get variance(): Tensor {
    return composite(() => this.probs.mul(this.probs.neg().add(1)));
  }

  override sample(sampleShape: readonly number[] = [], options: SampleOptions = {}): Tensor {
    return noGrad(() => composite(() => bernoulli(this.probs.expand(this.extendedShape(sampleShape)), options)));
  }

  logProb(value: Tensor): Tensor {
    this.checkSupport(value, (v) => v === 0 || v === 1, '0 or 1');
    // -binary_cross_entropy_with_logits(logits, value)
    return composite(() => this.logits.mul(value).sub(softplus(this.logits)));
  }

  override entropy(): Tensor {
    return composite(() => softplus(this.logits).sub(this.logits.mul(this.probs)));
  }
}

/** torch.distributions.Categorical({ probs } or { logits }) over the last axis; samples are int32 indices. */
export class Categorical extends Distribution {
  readonly probs: Tensor;
  /** Normalized: logsumexp over the last axis is 0. */
  readonly logits: Tensor;
  readonly numCategories: number;

  constructor(parameters: ProbsOrLogits) {
    const { name, value } = oneOf('Categorical', parameters);
    const [given] = broadcastParameters('Categorical', { [name]: value });
    if (given!.rank < 1) throw new ArgumentError(`Categorical: ${name} must have at least one axis, got a scalar`);
    super(given!.shape.slice(0, -1), [], { validateArgs: parameters.validateArgs });
    this.numCategories = given!.shape[given!.rank - 1]!;
    if (name === 'probs') {
      if (this.validateArgs)
        checkConstraint('Categorical', 'probs', given!, (v) => v >= 0 && Number.isFinite(v), 'finite and >= 0');
      this.probs = composite(() => given!.div(given!.sum(-1, true)));
      const eps = epsilonOf(given!);
      this.logits = composite(() => this.probs.clamp(eps, 1 - eps).log());
    } else {
      if (this.validateArgs) checkConstraint('Categorical', 'logits', given!, notNaN, 'real numbers');
      this.logits = composite(() => given!.sub(given!.logsumexp(-1, true)));
      this.probs = this.logits.softmax(-1);
    }
  }

  /** PyTorch's is NaN: a category index has no mean. */
  get mean(): Tensor {
    return full(this.batchShape, NaN, { dtype: this.probs.dtype, backend: this.probs.backend });
  }

  get variance(): Tensor {
    return this.mean;
  }

  override sample(sampleShape: readonly number[] = [], options: SampleOptions = {}): Tensor {
    const shape = this.extendedShape(sampleShape);
    const count = sizeOf(sampleShape);
    if (count === 0) return full(shape, 0, { dtype: 'int32', backend: this.probs.backend });
    return noGrad(() =>
      composite(() => {
        const rows = this.probs.reshape([-1, this.numCategories]);
        const draws = multinomial(rows, count, { replacement: true, ...options });
        return draws.transpose(0, 1).reshape(shape);
      }),
    );
  }

  logProb(value: Tensor): Tensor {
    if (value.dtype !== 'int32')
      throw new ArgumentError(
        `Categorical.logProb: value must be an int32 tensor of category indices, got dtype ${value.dtype}`,
      );
    const k = this.numCategories;
    this.checkSupport(value, (v) => v >= 0 && v < k, `integers in [0, ${k})`);
    // the logit at each index, picked by a one-hot mask (value broadcasts with the batch shape)
    return composite(() => where(value.oneHot(k).equal(1), this.logits, 0).sum(-1));
  }

  override entropy(): Tensor {
    return composite(() => {
      // logits clamped to the dtype's lowest so 0 * -Infinity does not make NaN
      const lowest = this.logits.dtype === 'float64' ? -Number.MAX_VALUE : -3.4028234663852886e38;
      return this.logits.clamp(lowest, null).mul(this.probs).sum(-1).neg();
    });
  }
}

/** torch.distributions.OneHotCategorical: Categorical with one-hot float events of [numCategories]. */
export class OneHotCategorical extends Distribution {
  readonly categorical: Categorical;

  constructor(parameters: ProbsOrLogits) {
    const categorical = new Categorical(parameters);
    super(categorical.batchShape, [categorical.numCategories], { validateArgs: parameters.validateArgs });
    this.categorical = categorical;
  }

  get probs(): Tensor {
    return this.categorical.probs;
  }

  get logits(): Tensor {
    return this.categorical.logits;
  }

  get mean(): Tensor {
    return this.probs;
  }

  get variance(): Tensor {
    return composite(() => this.probs.mul(this.probs.neg().add(1)));
  }

  override sample(sampleShape: readonly number[] = [], options: SampleOptions = {}): Tensor {
    return noGrad(() =>
      composite(() =>
        this.categorical.sample(sampleShape, options).oneHot(this.categorical.numCategories).cast(this.probs.dtype),
      ),
    );
  }

  logProb(value: Tensor): Tensor {
    this.checkSupport(value, (v) => v === 0 || v === 1, 'one-hot vectors');
    this.checkEventSums(value, 0, 'one-hot vectors: a single 1 per event');
    return composite(() => this.categorical.logProb(value.argmax(-1)));
  }

  override entropy(): Tensor {
    return this.categorical.entropy();
  }
}

/** torch.distributions.Poisson(rate): counts. */
export class Poisson extends Distribution {
  readonly rate: Tensor;

  constructor(rate: Parameter, options: DistributionOptions = {}) {
    const [r] = broadcastParameters('Poisson', { rate });
    super(r!.shape, [], options);
    this.rate = r!;
    if (this.validateArgs) checkConstraint('Poisson', 'rate', this.rate, (v) => v >= 0, '>= 0'); // torch's nonnegative: Infinity passes
  }

  get mean(): Tensor {
    return this.rate;
  }

  get variance(): Tensor {
    return this.rate;
  }

  override sample(sampleShape: readonly number[] = [], options: SampleOptions = {}): Tensor {
    return noGrad(() => composite(() => poisson(this.rate.expand(this.extendedShape(sampleShape)), options)));
  }

  logProb(value: Tensor): Tensor {
    this.checkSupport(value, (v) => v >= 0 && Number.isInteger(v), 'non-negative integers');
    return composite(() =>
      value
        .xlogy(this.rate)
        .sub(this.rate)
        .sub(lgamma(value.add(1))),
    );
  }
}
