import { DTypeError } from '../errors.js';
import { isFloat } from '../ops/dispatch.js';
import { dropout } from '../ops/dropout.js';
import type { Generator } from '../tensor/random.js';
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
    if (this.training && this.p > 0 && !isFloat(input.dtype))
      throw new DTypeError(`Dropout: expected a float input, got dtype ${input.dtype}`);
    return dropout(input, this.p, { training: this.training, generator: this.generator });
  }

  override config(): ModuleConfig {
    return { type: 'Dropout', p: this.p };
  }

  protected override extraRepr(): string {
    return `p=${this.p}`;
  }
}
