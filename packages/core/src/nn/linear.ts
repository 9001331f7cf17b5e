import type { Backend } from '../backend/contract.js';
import { ShapeError, formatShape } from '../errors.js';
import { applyLinearActivation, linear, type LinearActivation } from '../ops/linalg.js';
import { composite } from '../tensor/scope.js';
import { zeros } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkBoolean, checkFloatDtype, checkOptions, checkPositiveInteger, type FloatDType } from './checks.js';
import { kaimingUniform_, uniform_ } from './init.js';
import { Module, type ModuleConfig } from './module.js';

export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Draws the initial weights; the default generator otherwise. */
  generator?: Generator;
  dtype?: FloatDType;
  /** A backend instance or registered name; the active backend by default. */
  backend?: Backend | string;
}

/** y = x W^T + b with W of shape [outFeatures, inFeatures], like torch.nn.Linear. */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    checkOptions('Linear', options, ['bias', 'generator', 'dtype', 'backend']);
    this.inFeatures = checkPositiveInteger('Linear: inFeatures', inFeatures);
    this.outFeatures = checkPositiveInteger('Linear: outFeatures', outFeatures);
    const withBias = checkBoolean('Linear: options.bias', options.bias ?? true);
    const creation = {
      dtype: checkFloatDtype('Linear: options.dtype', options.dtype ?? 'float32'),
      backend: options.backend,
    };
    this.weight = this.registerParameter('weight', zeros([outFeatures, inFeatures], creation));
    this.bias = this.registerParameter('bias', withBias ? zeros([outFeatures], creation) : null);
    this.resetParameters(options.generator);
  }

  override get typeName(): string {
    return 'Linear';
  }

  /**
   * PyTorch's default init: kaiming_uniform_(a = sqrt(5)) for the weight, which is
   * U(-1/sqrt(inFeatures), 1/sqrt(inFeatures)), and the same range for the bias.
   */
  resetParameters(generator?: Generator): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5), generator });
    if (this.bias !== null) {
      const bound = 1 / Math.sqrt(this.inFeatures);
      uniform_(this.bias, -bound, bound, { generator });
    }
  }

  forward(input: Tensor): Tensor {
    if (input.rank < 1 || input.shape[input.rank - 1] !== this.inFeatures) {
      throw new ShapeError(
        `Linear(${this.inFeatures} -> ${this.outFeatures}) got input of shape ${formatShape(input.shape)}: last dimension must be ${this.inFeatures}`,
      );
    }
    return linear(input, this.weight, this.bias);
  }

  /** activation(forward(input)) as one op: Sequential calls it for a Linear followed by ReLU, Sigmoid, Tanh, GELU or SiLU. */
  forwardActivation(input: Tensor, activation: LinearActivation): Tensor {
    if (input.rank < 1 || input.shape[input.rank - 1] !== this.inFeatures) return this.forward(input); // its error
    // Hooks see forward's call, as in PyTorch (a Transformer's feed-forward calls this): unfused then.
    if (this.hasForwardHooks) return composite(() => applyLinearActivation(this.forward(input), activation));
    return linear(input, this.weight, this.bias, activation);
  }

  override config(): ModuleConfig {
    const config: ModuleConfig = {
      type: 'Linear',
      inFeatures: this.inFeatures,
      outFeatures: this.outFeatures,
      bias: this.bias !== null,
    };
    if (this.weight.dtype !== 'float32') config['dtype'] = this.weight.dtype;
    return config;
  }

  protected override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
