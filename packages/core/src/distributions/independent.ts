import { ArgumentError } from '../errors.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { type DistributionOptions, Distribution, type SampleOptions } from './distribution.js';

/**
 * torch.distributions.Independent(base, reinterpretedBatchNdims): the last n batch axes of
 * `base` become event axes, so logProb and entropy sum over them.
 */
export class Independent extends Distribution {
  readonly base: Distribution;
  readonly reinterpretedBatchNdims: number;

  constructor(base: Distribution, reinterpretedBatchNdims: number, options: DistributionOptions = {}) {
    const n = reinterpretedBatchNdims;
    if (!Number.isInteger(n) || n < 0 || n > base.batchShape.length)
      throw new ArgumentError(
        `Independent: reinterpretedBatchNdims must be an integer in [0, ${base.batchShape.length}] (the base's batch rank), got ${n}`,
      );
    const split = base.batchShape.length - n;
    super(base.batchShape.slice(0, split), [...base.batchShape.slice(split), ...base.eventShape], options);
    this.base = base;
    this.reinterpretedBatchNdims = n;
  }

  override get hasRsample(): boolean {
    return this.base.hasRsample;
  }

  get mean(): Tensor {
    return this.base.mean;
  }

  get variance(): Tensor {
    return this.base.variance;
  }

  override sample(sampleShape: readonly number[] = [], options: SampleOptions = {}): Tensor {
    return this.base.sample(sampleShape, options);
  }

  override rsample(sampleShape: readonly number[] = [], options: SampleOptions = {}): Tensor {
    return this.base.rsample(sampleShape, options);
  }

  logProb(value: Tensor): Tensor {
    return this.sumRightmost(this.base.logProb(value));
  }

  override entropy(): Tensor {
    return this.sumRightmost(this.base.entropy());
  }

  private sumRightmost(x: Tensor): Tensor {
    const n = this.reinterpretedBatchNdims;
    if (n === 0) return x;
    return composite(() => x.sum(Array.from({ length: n }, (_, i) => x.rank - n + i)));
  }
}
