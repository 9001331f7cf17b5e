import { DTypeError } from '../errors.js';
import { isFloat } from '../ops/dispatch.js';
import { alphaDropout, dropout, featureAlphaDropout, featureDropout, type DropoutArgs } from '../ops/dropout.js';
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

/**
 * The dropout layers beyond Dropout: p, the generator, config and repr; `drop` is the op. Not
 * exported: each is its own class, so `instanceof` and the registry work.
 */
abstract class DropoutVariant extends Module {
  readonly p: number;
  readonly generator: Generator | undefined;

  constructor(p = 0.5, options: DropoutOptions = {}) {
    super();
    checkOptions(this.typeName, options, ['generator']);
    this.p = checkNumber(`${this.typeName}: p`, p, { min: 0, max: 1 });
    this.generator = options.generator;
  }

  protected abstract drop(input: Tensor, args: DropoutArgs): Tensor;

  forward(input: Tensor): Tensor {
    return this.drop(input, { training: this.training, generator: this.generator });
  }

  override config(): ModuleConfig {
    return { type: this.typeName, p: this.p };
  }

  protected override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/** Zeroes whole channels of [N, C, L] (or [C, L]) with probability p in train mode, scaling the rest by 1 / (1 - p) (torch.nn.Dropout1d). */
export class Dropout1d extends DropoutVariant {
  override get typeName(): string {
    return 'Dropout1d';
  }
  protected drop(input: Tensor, args: DropoutArgs): Tensor {
    return featureDropout(input, this.p, 1, args);
  }
}

/**
 * Zeroes whole channels of [N, C, H, W] (or [C, H, W]) input with probability p in train mode and
 * scales the rest by 1 / (1 - p), like torch.nn.Dropout2d; the identity in eval mode. (A 3-D
 * input is unbatched [C, H, W], the meaning PyTorch has announced, not 1.13's [N, C, L].)
 */
export class Dropout2d extends DropoutVariant {
  override get typeName(): string {
    return 'Dropout2d';
  }
  protected drop(input: Tensor, args: DropoutArgs): Tensor {
    return featureDropout(input, this.p, 2, args);
  }
}

/** Zeroes whole channels of [N, C, D, H, W] (or [C, D, H, W]) with probability p in train mode (torch.nn.Dropout3d). */
export class Dropout3d extends DropoutVariant {
  override get typeName(): string {
    return 'Dropout3d';
  }
  protected drop(input: Tensor, args: DropoutArgs): Tensor {
    return featureDropout(input, this.p, 3, args);
  }
}

/**
 * Alpha dropout for SELU networks (torch.nn.AlphaDropout): in train mode each element is dropped
 * with probability p to SELU's saturation value and an affine map keeps zero mean and unit
 * variance; the identity in eval mode.
 */
export class AlphaDropout extends DropoutVariant {
  override get typeName(): string {
    return 'AlphaDropout';
  }
  protected drop(input: Tensor, args: DropoutArgs): Tensor {
    return alphaDropout(input, this.p, args);
  }
}

/** Alpha dropout of whole channels of [N, C, *] (torch.nn.FeatureAlphaDropout). */
export class FeatureAlphaDropout extends DropoutVariant {
  override get typeName(): string {
    return 'FeatureAlphaDropout';
  }
  protected drop(input: Tensor, args: DropoutArgs): Tensor {
    return featureAlphaDropout(input, this.p, args);
  }
}

/** Dropout2d's options: Dropout's. */
export type Dropout2dOptions = DropoutOptions;
