import type { Backend } from '../backend/contract.js';
import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { adaptiveAvgPool2d, avgPool2d, checkOutputPadding, conv2d, convTranspose2d, maxPool2d } from '../ops/conv.js';
import { pair, type Size2d } from '../ops/unfold.js';
import { zeros } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkBoolean, checkFloatDtype, checkOptions, checkPositiveInteger, type FloatDType } from './checks.js';
import { fanInAndFanOut, kaimingUniform_, uniform_ } from './init.js';
import { Module, type ModuleConfig } from './module.js';

export interface Conv2dOptions {
  stride?: Size2d;
  /** Zeros on each side, or 'valid' (none) or 'same' (stride 1; the output keeps the input's size). */
  padding?: Size2d | 'same' | 'valid';
  dilation?: Size2d;
  groups?: number;
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  generator?: Generator;
  dtype?: FloatDType;
  backend?: Backend | string;
}

/** A pair as written in configs: one number when both sides agree. */
const compact = ([a, b]: readonly [number, number]): Size2d => (a === b ? a : [a, b]);

/** The options that Conv2d and ConvTranspose2d share. */
interface ConvLayerOptions {
  stride?: Size2d;
  dilation?: Size2d;
  groups?: number;
  bias?: boolean;
  generator?: Generator;
  dtype?: FloatDType;
  backend?: Backend | string;
}

/**
 * What Conv2d and ConvTranspose2d share: the channels and window arguments and their checks, the
 * weight (laid out [out, in/groups, kh, kw], or [in, out/groups, kh, kw] when transposed) and
 * optional bias with PyTorch's init, the input check and the common part of the config.
 */
abstract class ConvLayer extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  protected constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: Size2d,
    options: ConvLayerOptions,
    ownOptions: readonly string[],
    transposed: boolean,
  ) {
    super();
    const name = this.typeName;
    checkOptions(name, options, [
      'stride',
      ...ownOptions,
      'dilation',
      'groups',
      'bias',
      'generator',
      'dtype',
      'backend',
    ]);
    this.inChannels = checkPositiveInteger(`${name}: inChannels`, inChannels);
    this.outChannels = checkPositiveInteger(`${name}: outChannels`, outChannels);
    this.kernelSize = pair(`${name}: kernelSize`, kernelSize, 1);
    this.stride = pair(`${name}: stride`, options.stride ?? 1, 1);
    this.dilation = pair(`${name}: dilation`, options.dilation ?? 1, 1);
    this.groups = checkPositiveInteger(`${name}: groups`, options.groups ?? 1);
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0)
      throw new ArgumentError(
        `${name}: inChannels ${inChannels} and outChannels ${outChannels} must both be divisible by groups ${this.groups}`,
      );
    const creation = {
      dtype: checkFloatDtype(`${name}: options.dtype`, options.dtype ?? 'float32'),
      backend: options.backend,
    };
    const shape = transposed
      ? [inChannels, outChannels / this.groups, ...this.kernelSize]
      : [outChannels, inChannels / this.groups, ...this.kernelSize];
    this.weight = this.registerParameter('weight', zeros(shape, creation));
    const withBias = checkBoolean(`${name}: options.bias`, options.bias ?? true);
    this.bias = this.registerParameter('bias', withBias ? zeros([outChannels], creation) : null);
    this.resetParameters(options.generator);
  }

  /**
   * PyTorch's default: kaiming_uniform_(a = sqrt(5)) on the weight and the bias
   * U(-1/sqrt(fanIn), 1/sqrt(fanIn)), fanIn = weight.size(1) * kh * kw (for a transposed
   * weight that is (outChannels/groups) * kh * kw, as in PyTorch).
   */
  resetParameters(generator?: Generator): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5), generator });
    if (this.bias !== null) {
      const { fanIn } = fanInAndFanOut(this.weight);
      uniform_(this.bias, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), { generator });
    }
  }

  /** Throws unless the input is [N, inChannels, H, W]. */
  protected checkInput(input: Tensor): void {
    if (input.rank !== 4 || input.shape[1] !== this.inChannels) {
      throw new ShapeError(
        `${this.typeName}(${this.inChannels} -> ${this.outChannels}) got input of shape ${formatShape(input.shape)}: expected [N, ${this.inChannels}, H, W]`,
      );
    }
  }

  /** The config, with the subclass's padding entries after the stride. */
  protected convConfig(padding: Record<string, Size2d | string>): ModuleConfig {
    const config: ModuleConfig = {
      type: this.typeName,
      inChannels: this.inChannels,
      outChannels: this.outChannels,
      kernelSize: compact(this.kernelSize),
      stride: compact(this.stride),
      ...padding,
      dilation: compact(this.dilation),
      groups: this.groups,
      bias: this.bias !== null,
    };
    if (this.weight.dtype !== 'float32') config['dtype'] = this.weight.dtype;
    return config;
  }

  /** The repr's start: channels, kernel and stride. */
  protected convRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${this.kernelSize.join('x')}, stride=${this.stride.join('x')}`;
  }
}

/** 2-D convolution over NCHW input with weight [out, in/groups, kh, kw], like torch.nn.Conv2d. */
export class Conv2d extends ConvLayer {
  readonly padding: [number, number] | 'same' | 'valid';

  constructor(inChannels: number, outChannels: number, kernelSize: Size2d, options: Conv2dOptions = {}) {
    super(inChannels, outChannels, kernelSize, options, ['padding'], false);
    const padding = options.padding ?? 0;
    this.padding = padding === 'same' || padding === 'valid' ? padding : pair('Conv2d: padding', padding, 0);
    if (this.padding === 'same' && (this.stride[0] !== 1 || this.stride[1] !== 1))
      throw new ArgumentError(`Conv2d: padding 'same' needs stride 1, got ${this.stride.join('x')}`);
  }

  override get typeName(): string {
    return 'Conv2d';
  }

  forward(input: Tensor): Tensor {
    this.checkInput(input);
    return conv2d(input, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  override config(): ModuleConfig {
    return this.convConfig({ padding: typeof this.padding === 'string' ? this.padding : compact(this.padding) });
  }

  protected override extraRepr(): string {
    return `${this.convRepr()}, padding=${typeof this.padding === 'string' ? this.padding : this.padding.join('x')}`;
  }
}

export interface ConvTranspose2dOptions {
  stride?: Size2d;
  /** Rows and columns cropped from each side of the output (default 0). */
  padding?: Size2d;
  /** Rows and columns added at the bottom and right (default 0; less than the stride or the dilation). */
  outputPadding?: Size2d;
  dilation?: Size2d;
  groups?: number;
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  generator?: Generator;
  dtype?: FloatDType;
  backend?: Backend | string;
}

/**
 * Transposed 2-D convolution over NCHW input with weight [in, out/groups, kh, kw], like
 * torch.nn.ConvTranspose2d: the gradient of Conv2d with respect to its input, used to upsample.
 */
export class ConvTranspose2d extends ConvLayer {
  readonly padding: [number, number];
  readonly outputPadding: [number, number];

  constructor(inChannels: number, outChannels: number, kernelSize: Size2d, options: ConvTranspose2dOptions = {}) {
    super(inChannels, outChannels, kernelSize, options, ['padding', 'outputPadding'], true);
    this.padding = pair('ConvTranspose2d: padding', options.padding ?? 0, 0);
    this.outputPadding = pair('ConvTranspose2d: outputPadding', options.outputPadding ?? 0, 0);
    checkOutputPadding('ConvTranspose2d', this.outputPadding, this.stride, this.dilation);
  }

  override get typeName(): string {
    return 'ConvTranspose2d';
  }

  forward(input: Tensor): Tensor {
    this.checkInput(input);
    return convTranspose2d(input, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      outputPadding: this.outputPadding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  override config(): ModuleConfig {
    return this.convConfig({ padding: compact(this.padding), outputPadding: compact(this.outputPadding) });
  }

  protected override extraRepr(): string {
    return `${this.convRepr()}, padding=${this.padding.join('x')}, outputPadding=${this.outputPadding.join('x')}`;
  }
}

export interface MaxPool2dOptions {
  /** Default: the kernel size. */
  stride?: Size2d;
  padding?: Size2d;
  dilation?: Size2d;
}

/** Max over each window, like torch.nn.MaxPool2d (floor mode). */
export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];

  constructor(kernelSize: Size2d, options: MaxPool2dOptions = {}) {
    super();
    checkOptions('MaxPool2d', options, ['stride', 'padding', 'dilation']);
    this.kernelSize = pair('MaxPool2d: kernelSize', kernelSize, 1);
    this.stride = pair('MaxPool2d: stride', options.stride ?? this.kernelSize, 1);
    this.padding = pair('MaxPool2d: padding', options.padding ?? 0, 0);
    this.dilation = pair('MaxPool2d: dilation', options.dilation ?? 1, 1);
  }

  override get typeName(): string {
    return 'MaxPool2d';
  }

  forward(input: Tensor): Tensor {
    return maxPool2d(input, this.kernelSize, { stride: this.stride, padding: this.padding, dilation: this.dilation });
  }

  override config(): ModuleConfig {
    return {
      type: 'MaxPool2d',
      kernelSize: compact(this.kernelSize),
      stride: compact(this.stride),
      padding: compact(this.padding),
      dilation: compact(this.dilation),
    };
  }

  protected override extraRepr(): string {
    return `kernelSize=${this.kernelSize.join('x')}, stride=${this.stride.join('x')}`;
  }
}

export interface AvgPool2dOptions {
  /** Default: the kernel size. */
  stride?: Size2d;
  padding?: Size2d;
  /** Count padding zeros in each mean (default true). */
  countIncludePad?: boolean;
}

/** Mean over each window, like torch.nn.AvgPool2d (floor mode). */
export class AvgPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly countIncludePad: boolean;

  constructor(kernelSize: Size2d, options: AvgPool2dOptions = {}) {
    super();
    checkOptions('AvgPool2d', options, ['stride', 'padding', 'countIncludePad']);
    this.kernelSize = pair('AvgPool2d: kernelSize', kernelSize, 1);
    this.stride = pair('AvgPool2d: stride', options.stride ?? this.kernelSize, 1);
    this.padding = pair('AvgPool2d: padding', options.padding ?? 0, 0);
    this.countIncludePad = checkBoolean('AvgPool2d: countIncludePad', options.countIncludePad ?? true);
  }

  override get typeName(): string {
    return 'AvgPool2d';
  }

  forward(input: Tensor): Tensor {
    return avgPool2d(input, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      countIncludePad: this.countIncludePad,
    });
  }

  override config(): ModuleConfig {
    return {
      type: 'AvgPool2d',
      kernelSize: compact(this.kernelSize),
      stride: compact(this.stride),
      padding: compact(this.padding),
      countIncludePad: this.countIncludePad,
    };
  }

  protected override extraRepr(): string {
    return `kernelSize=${this.kernelSize.join('x')}, stride=${this.stride.join('x')}`;
  }
}

/** Averages into a fixed output size whatever the input size, like torch.nn.AdaptiveAvgPool2d. */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: [number, number];

  constructor(outputSize: Size2d) {
    super();
    this.outputSize = pair('AdaptiveAvgPool2d: outputSize', outputSize, 1);
  }

  override get typeName(): string {
    return 'AdaptiveAvgPool2d';
  }

  forward(input: Tensor): Tensor {
    return adaptiveAvgPool2d(input, this.outputSize);
  }

  override config(): ModuleConfig {
    return { type: 'AdaptiveAvgPool2d', outputSize: compact(this.outputSize) };
  }

  protected override extraRepr(): string {
    return `outputSize=${this.outputSize.join('x')}`;
  }
}
