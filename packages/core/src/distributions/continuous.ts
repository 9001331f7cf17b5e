import { ArgumentError } from '../errors.js';
import { broadcastShapes } from '../tensor/shape.js';
import { noGrad } from '../autograd/grad-mode.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { sampleDirichlet, standardGamma } from '../tensor/sampling.js';
import { stack } from '../ops/movement.js';
import { digamma, erfinv, lgamma } from '../special/functions.js';
import {
  type DistributionOptions,
  Distribution,
  type Parameter,
  type SampleOptions,
  broadcastParameters,
  checkConstraint,
  normalNoise,
  uniformNoise,
} from './distribution.js';

const HALF_LOG_2PI = 0.9189385332046728;

const positive = (v: number) => v > 0;
// torch's `real` constraint: anything but NaN (the infinities pass)
const notNaN = (v: number) => !Number.isNaN(v);

/** A family with a location and a positive scale (Normal, Laplace). */
abstract class LocationScale extends Distribution {
  readonly loc: Tensor;
  readonly scale: Tensor;

  protected constructor(loc: Parameter, scale: Parameter, options: DistributionOptions) {
    const [l, s] = broadcastParameters(new.target.name, { loc, scale });
    super(l!.shape, [], options);
    this.loc = l!;
    this.scale = s!;
    if (this.validateArgs) {
      checkConstraint(new.target.name, 'loc', this.loc, notNaN, 'a real number (not NaN)');
      checkConstraint(new.target.name, 'scale', this.scale, positive, '> 0');
    }
  }

  override get hasRsample(): boolean {
    return true;
  }

  get mean(): Tensor {
    return this.loc;
  }

  protected checkReal(value: Tensor): void {
    this.checkSupport(value, (v) => !Number.isNaN(v), 'real numbers');
  }
}

/** torch.distributions.Normal(loc, scale). */
export class Normal extends LocationScale {
  constructor(loc: Parameter, scale: Parameter, options: DistributionOptions = {}) {
    super(loc, scale, options);
  }

  get variance(): Tensor {
    return this.scale.square();
  }

  override get stddev(): Tensor {
    return this.scale;
  }

  override rsample(sampleShape: readonly number[] = [], options: SampleOptions = {}): Tensor {
    const shape = this.extendedShape(sampleShape);
    return composite(() => normalNoise(shape, this.loc, options).mul(this.scale).add(this.loc));
  }

  logProb(value: Tensor): Tensor {
    this.checkReal(value);
    return composite(() =>
      value.sub(this.loc).square().div(this.scale.square().mul(-2)).sub(this.scale.log()).sub(HALF_LOG_2PI),
    );
  }

  override entropy(): Tensor {
    return composite(() => this.scale.log().add(0.5 + HALF_LOG_2PI));
  }

  override cdf(value: Tensor): Tensor {
    return composite(() => value.sub(this.loc).div(this.scale.mul(Math.SQRT2)).erf().add(1).mul(0.5));
  }

  override icdf(value: Tensor): Tensor {
    return composite(() => erfinv(value.mul(2).sub(1)).mul(this.scale.mul(Math.SQRT2)).add(this.loc));
  }
}

/** torch.distributions.Laplace(loc, scale). */
export class Laplace extends LocationScale {
  constructor(loc: Parameter, scale: Parameter, options: DistributionOptions = {}) {
    super(loc, scale, options);
  }

  get variance(): Tensor {
    return this.scale.square().mul(2);
  }

  override rsample(sampleShape: readonly number[] = [], options: SampleOptions = {}): Tensor {
    // u uniform in (-1, 1): loc - scale sign(u) log1p(-|u|)
    const shape = this.extendedShape(sampleShape);
    return composite(() => {
      const u = noGrad(() => composite(() => uniformNoise(shape, this.loc, options).mul(2).sub(1)));
      return u.sign().mul(u.abs().neg().log1p()).mul(this.scale).neg().add(this.loc);
    });
  }

  logProb(value: Tensor): Tensor {
    this.checkReal(value);
    return composite(() => value.sub(this.loc).abs().div(this.scale).neg().sub(this.scale.mul(2).log()));
  }

  override entropy(): Tensor {
    return composite(() => this.scale.mul(2).log().add(1));
  }

  override cdf(value: Tensor): Tensor {
    return composite(() => {
      const z = value.sub(this.loc);
      return z.sign().mul(z.abs().neg().div(this.scale).expm1()).mul(-0.5).add(0.5);
    });
  }

  override icdf(value: Tensor): Tensor {
    return composite(() => {
      const term = value.sub(0.5);
      return term.sign().mul(term.abs().mul(-2).log1p()).mul(this.scale).neg().add(this.loc);
    });
  }
}

/** torch.distributions.Uniform(low, high): the half-open interval [low, high). */
export class Uniform extends Distribution {
  readonly low: Tensor;
  readonly high: Tensor;
  override get hasRsample(): boolean {
    return true;
  }

  constructor(low: Parameter, high: Parameter, options: DistributionOptions = {}) {
    const [l, h] = broadcastParameters('Uniform', { low, high });
    super(l!.shape, [], options);
    this.low = l!;
    this.high = h!;
    if (this.validateArgs) {
      const gaps = noGrad(() => this.high.sub(this.low));
      checkConstraint('Uniform', 'high - low', gaps, positive, '> 0 (low < high)');
      gaps.dispose();
    }
  }

  get mean(): Tensor {
    return composite(() => this.high.add(this.low).div(2));
  }

  get variance(): Tensor {
    return composite(() => this.high.sub(this.low).square().div(12));
  }

  override rsample(sampleShape: readonly number[] = [], options: SampleOptions = {}): Tensor {
    const shape = this.extendedShape(sampleShape);
    return composite(() => uniformNoise(shape, this.low, options).mul(this.high.sub(this.low)).add(this.low));
  }

  logProb(value: Tensor): Tensor {
    if (this.validateArgs && value.backend.readSync) {
      // torch's interval(low, high) support: low <= value <= high (high itself has density 0)
      const shape = broadcastShapes('Uniform', value.shape, this.low.shape);
      const [v, low, high] = [value, this.low, this.high].map((t) => {
        const copy = noGrad(() => composite(() => t.expand(shape).add(0)));
        const host = copy.dataSync();
        copy.dispose();
        return host;
      });
      for (let i = 0; i < v!.length; i++)
        if (!(low![i]! <= v![i]! && v![i]! <= high![i]!))
          throw new ArgumentError(
            `Uniform: logProb value must be in the support [low, high] = [${low![i]}, ${high![i]}], got ${v![i]}`,
          );
    }
    return composite(() => {
      // log(1) inside [low, high), log(0) = -Infinity at high
      const inside = value.greaterEqual(this.low).cast(value.dtype).mul(value.less(this.high).cast(value.dtype));
      return inside.log().sub(this.high.sub(this.low).log());
    });
  }

  override entropy(): Tensor {
    return composite(() => this.high.sub(this.low).log());
  }

  override cdf(value: Tensor): Tensor {
    return composite(() => value.sub(this.low).div(this.high.sub(this.low)).clamp(0, 1));
  }

  override icdf(value: Tensor): Tensor {
    return composite(() => value.mul(this.high.sub(this.low)).add(this.low));
  }
}

/** torch.distributions.Exponential(rate). */
export class Exponential extends Distribution {
  readonly rate: Tensor;
  override get hasRsample(): boolean {
    return true;
  }

  constructor(rate: Parameter, options: DistributionOptions = {}) {
    const [r] = broadcastParameters('Exponential', { rate });
    super(r!.shape, [], options);
    this.rate = r!;
    if (this.validateArgs) checkConstraint('Exponential', 'rate', this.rate, positive, '> 0');
  }

  get mean(): Tensor {
    return this.rate.reciprocal();
  }

  get variance(): Tensor {
    return composite(() => this.rate.square().reciprocal());
  }

  override get stddev(): Tensor {
    return this.rate.reciprocal();
  }

  override rsample(sampleShape: readonly number[] = [], options: SampleOptions = {}): Tensor {
    const shape = this.extendedShape(sampleShape);
    return composite(() => uniformNoise(shape, this.rate, options).neg().log1p().neg().div(this.rate));
  }

  logProb(value: Tensor): Tensor {
    this.checkSupport(value, (v) => v >= 0, 'x >= 0');
    return composite(() => this.rate.log().sub(this.rate.mul(value)));
  }

  override entropy(): Tensor {
    return composite(() => this.rate.log().neg().add(1));
  }

  override cdf(value: Tensor): Tensor {
    return composite(() => this.rate.mul(value).neg().exp().neg().add(1));
  }

  override icdf(value: Tensor): Tensor {
    return composite(() => value.neg().log1p().neg().div(this.rate));
  }
}

/** torch.distributions.Gamma(concentration, rate). sample only: PyTorch's rsample needs the gamma's implicit gradient. */
export class Gamma extends Distribution {
  readonly concentration: Tensor;
  readonly rate: Tensor;

  constructor(concentration: Parameter, rate: Parameter, options: DistributionOptions = {}) {
    const [c, r] = broadcastParameters('Gamma', { concentration, rate });
    super(c!.shape, [], options);
    this.concentration = c!;
    this.rate = r!;
    if (this.validateArgs) {
      checkConstraint('Gamma', 'concentration', this.concentration, positive, '> 0');
      checkConstraint('Gamma', 'rate', this.rate, positive, '> 0');
    }
  }

  get mean(): Tensor {
    return composite(() => this.concentration.div(this.rate));
  }

  get variance(): Tensor {
    return composite(() => this.concentration.div(this.rate.square()));
  }

  override sample(sampleShape: readonly number[] = [], options: SampleOptions = {}): Tensor {
    return noGrad(() =>
      composite(() =>
        standardGamma(this.concentration.expand(this.extendedShape(sampleShape)), options).div(this.rate),
      ),
    );
  }

  logProb(value: Tensor): Tensor {
    this.checkSupport(value, (v) => v >= 0, 'x >= 0');
    return composite(() =>
      this.concentration
        .xlogy(this.rate)
        .add(this.concentration.sub(1).xlogy(value))
        .sub(this.rate.mul(value))
        .sub(lgamma(this.concentration)),
    );
  }

  override entropy(): Tensor {
    return composite(() => {
      const a = this.concentration;
      return a
        .sub(this.rate.log())
        .add(lgamma(a))
        .add(a.neg().add(1).mul(digamma(a)));
    });
  }
}

/** torch.distributions.Beta(concentration1, concentration0): sample only, like Gamma. */
export class Beta extends Distribution {
  readonly concentration1: Tensor;
  readonly concentration0: Tensor;

  constructor(concentration1: Parameter, concentration0: Parameter, options: DistributionOptions = {}) {
    const [a, b] = broadcastParameters('Beta', { concentration1, concentration0 });
    super(a!.shape, [], options);
    this.concentration1 = a!;
    this.concentration0 = b!;
    if (this.validateArgs) {
      checkConstraint('Beta', 'concentration1', this.concentration1, positive, '> 0');
      checkConstraint('Beta', 'concentration0', this.concentration0, positive, '> 0');
    }
  }

  get mean(): Tensor {
    return composite(() => this.concentration1.div(this.concentration1.add(this.concentration0)));
  }

  get variance(): Tensor {
    return composite(() => {
      const total = this.concentration1.add(this.concentration0);
      return this.concentration1.mul(this.concentration0).div(total.square().mul(total.add(1)));
    });
  }

  override sample(sampleShape: readonly number[] = [], options: SampleOptions = {}): Tensor {
    const shape = this.extendedShape(sampleShape);
    return noGrad(() =>
      composite(() => {
        // as PyTorch: the first component of a two-component Dirichlet draw (ratios in float64, clamped)
        const pair = stack([this.concentration1.expand(shape), this.concentration0.expand(shape)], -1);
        return sampleDirichlet(pair, options).unbind(-1)[0]!;
      }),
    );
  }

  logProb(value: Tensor): Tensor {
    this.checkSupport(value, (v) => v >= 0 && v <= 1, '[0, 1]');
    return composite(() => {
      const a = this.concentration1;
      const b = this.concentration0;
      const logBeta = lgamma(a)
        .add(lgamma(b))
        .sub(lgamma(a.add(b)));
      return a
        .sub(1)
        .xlogy(value)
        .add(b.sub(1).xlogy(value.neg().add(1)))
        .sub(logBeta);
    });
  }

  override entropy(): Tensor {
    return composite(() => {
      const a = this.concentration1;
      const b = this.concentration0;
      const total = a.add(b);
      const logBeta = lgamma(a).add(lgamma(b)).sub(lgamma(total));
      return logBeta
        .sub(a.sub(1).mul(digamma(a)))
        .sub(b.sub(1).mul(digamma(b)))
        .add(total.sub(2).mul(digamma(total)));
    });
  }
}

/** torch.distributions.Dirichlet(concentration): events over the last axis of concentration. Sample only. */
export class Dirichlet extends Distribution {
  readonly concentration: Tensor;

  constructor(concentration: Tensor, options: DistributionOptions = {}) {
    const [c] = broadcastParameters('Dirichlet', { concentration });
    if (c!.rank < 1) throw new ArgumentError(`Dirichlet: concentration must have at least one axis, got a scalar`);
    super(c!.shape.slice(0, -1), c!.shape.slice(-1), options);
    this.concentration = c!;
    if (this.validateArgs) checkConstraint('Dirichlet', 'concentration', this.concentration, positive, '> 0');
  }

  get mean(): Tensor {
    return composite(() => this.concentration.div(this.concentration.sum(-1, true)));
  }

  get variance(): Tensor {
    return composite(() => {
      const total = this.concentration.sum(-1, true);
      return this.concentration.mul(total.sub(this.concentration)).div(total.square().mul(total.add(1)));
    });
  }

  override sample(sampleShape: readonly number[] = [], options: SampleOptions = {}): Tensor {
    return noGrad(() =>
      composite(() => {
        return sampleDirichlet(this.concentration.expand(this.extendedShape(sampleShape)), options);
      }),
    );
  }

  logProb(value: Tensor): Tensor {
    this.checkSupport(value, (v) => v >= 0 && v <= 1, 'the simplex');
    this.checkEventSums(value, 1e-6, 'the simplex: entries >= 0 summing to 1');
    return composite(() => {
      const a = this.concentration;
      return a
        .sub(1)
        .xlogy(value)
        .sum(-1)
        .add(lgamma(a.sum(-1)))
        .sub(lgamma(a).sum(-1));
    });
  }

  override entropy(): Tensor {
    return composite(() => {
      const a = this.concentration;
      const k = a.shape[a.rank - 1]!;
      const total = a.sum(-1);
      const logBeta = lgamma(a).sum(-1).sub(lgamma(total));
      return logBeta.add(total.sub(k).mul(digamma(total))).sub(a.sub(1).mul(digamma(a)).sum(-1));
    });
  }
}
