import type { Backend } from '../backend/contract.js';
import { ShapeError, formatShape } from '../errors.js';
import { bilinear } from '../ops/bilinear.js';
import { zeros } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkBoolean, checkFloatDtype, checkOptions, checkPositiveInteger, type FloatDType } from './checks.js';
import { uniform_ } from './init.js';
import { Module, type ModuleConfig } from './module.js';

export interface BilinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Draws the initial weights; the default generator otherwise. */
  generator?: Generator;
  dtype?: FloatDType;
  /** A backend instance or registered name; the active backend by default. */
  backend?: Backend | string;
}

/**
 * y = x1^T A x2 + b with A of shape [outFeatures, in1Features, in2Features], like
 * torch.nn.Bilinear: forward(input1 [..., in1Features], input2 [..., in2Features]).
 */
export class Bilinear extends Module {
  readonly in1Features: number;
  readonly in2Features: number;
  readonly outFeatures: number;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(in1Features: number, in2Features: number, outFeatures: number, options: BilinearOptions = {}) {
    super();
    checkOptions('Bilinear', options, ['bias', 'generator', 'dtype', 'backend']);
    this.in1Features = checkPositiveInteger('Bilinear: in1Features', in1Features);
    this.in2Features = checkPositiveInteger('Bilinear: in2Features', in2Features);
    this.outFeatures = checkPositiveInteger('Bilinear: outFeatures', outFeatures);
    const withBias = checkBoolean('Bilinear: options.bias', options.bias ?? true);
    const creation = {
      dtype: checkFloatDtype('Bilinear: options.dtype', options.dtype ?? 'float32'),
      backend: options.backend,
    };
    this.weight = this.registerParameter('weight', zeros([outFeatures, in1Features, in2Features], creation));
    this.bias = this.registerParameter('bias', withBias ? zeros([outFeatures], creation) : null);
    this.resetParameters(options.generator);
  }

  override get typeName(): string {
    return 'Bilinear';
  }

  /** PyTorch's init: weight and bias U(-1/sqrt(in1Features), 1/sqrt(in1Features)). */
  resetParameters(generator?: Generator): void {
    const bound = 1 / Math.sqrt(this.in1Features);
    uniform_(this.weight, -bound, bound, { generator });
    if (this.bias !== null) uniform_(this.bias, -bound, bound, { generator });
  }

  forward(input1: Tensor, input2?: Tensor): Tensor {
    if (input2 === undefined)
      throw new ShapeError(
        `Bilinear(${this.in1Features}, ${this.in2Features} -> ${this.outFeatures}) takes two inputs, forward(input1, input2); got one of shape ${formatShape(input1.shape)}`,
      );
    return bilinear(input1, input2, this.weight, this.bias);
  }

  override config(): ModuleConfig {
    const config: ModuleConfig = {
      type: 'Bilinear',
      in1Features: this.in1Features,
      in2Features: this.in2Features,
      outFeatures: this.outFeatures,
      bias: this.bias !== null,
    };
    if (this.weight.dtype !== 'float32') config['dtype'] = this.weight.dtype;
    return config;
  }

  protected override extraRepr(): string {
    return `in1Features=${this.in1Features}, in2Features=${this.in2Features}, outFeatures=${this.outFeatures}${this.bias === null ? ', bias=false' : ''}`;
  }
}
