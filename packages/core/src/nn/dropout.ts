import { DTypeError } from '../errors.js';
import { isFloat } from '../ops/dispatch.js';
import { mul } from '../ops/elementwise.js';
import { fromHost } from '../tensor/creation.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkNumber, checkOptions } from './checks.js';
import { Module, type ModuleConfig } from './module.js';

export interface DropoutOptions {
  /** Draws the masks; the default generator otherwise (whose state checkpoints save). */
  generator?: Generator;
}

/**
 * In train mode zeroes each element with probability p and scales the rest by 1 / (1 - p), so
 * the expected value is unchanged; in eval mode it is the identity. The mask comes from the
 * seeded host generator, so a seed gives the same masks on every backend. p = 1 zeroes all.
 */
export class Dropout extends Module {
  readonly p: number;
  readonly generator: Generator | undefined;

  constructor(p = 0.5, options: DropoutOptions = {}) {
    super();
    checkOptions('Dropout', options, ['generator']);
    this.p = checkNumber('Dropout: p', p, { min: 0, max: 1 });
    this.generator = options.generator;
  }

  override get typeName(): string {
    return 'Dropout';
  }

  forward(input: Tensor): Tensor {
    if (!this.training || this.p === 0) return input;
    if (!isFloat(input.dtype)) throw new DTypeError(`Dropout: expected a float input, got dtype ${input.dtype}`);
    const mask = (this.generator ?? defaultGenerator).uniform(input.size);
    // The scale is folded into the mask on the host, as PyTorch does: one upload, one multiply.
    const scale = this.p === 1 ? 0 : 1 / (1 - this.p);
    for (let i = 0; i < mask.length; i++) mask[i] = mask[i]! >= this.p ? scale : 0;
    return composite(() => mul(input, fromHost(mask, input.shape, { dtype: input.dtype, backend: input.backend })));
  }

  override config(): ModuleConfig {
    return { type: 'Dropout', p: this.p };
  }

  protected override extraRepr(): string {
    return `p=${this.p}`;
  }
}
