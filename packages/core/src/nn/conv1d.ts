import type { Backend } from '../backend/contract.js';
import { checkOutputPadding, type PaddingMode } from '../ops/conv.js';
import { adaptiveAvgPool1d, avgPool1d, conv1d, convTranspose1d, maxPool1d } from '../ops/conv1d.js';
import { checkDivisorOverride } from '../ops/pool.js';
import { single, type Size1d } from '../ops/unfold.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { maxPool1dWithIndices } from '../ops/unpool.js';
import { checkBoolean, type FloatDType } from './checks.js';
import { ConvLayer, PoolLayer, avgPoolConfig } from './conv-layer.js';
import { Module, type ModuleConfig } from './module.js';

// The 1-D layers over [N, C, L] (or unbatched [C, L]): the 2-D layers' bases at spatial rank 1,
// sizes kept as 1-tuples like PyTorch's (kernelSize [3]) and written to configs as numbers.

export interface Conv1dOptions {
  stride?: Size1d;
  /** Zeros on each side, or 'valid' (none) or 'same' (stride 1; the output keeps the input's length). */
  padding?: Size1d | 'same' | 'valid';
  dilation?: Size1d;
  groups?: number;
  /** What the padding holds: 'zeros' (default), 'reflect', 'replicate' or 'circular' (PyTorch's padding_mode). */
  paddingMode?: PaddingMode;
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  generator?: Generator;
  dtype?: FloatDType;
  backend?: Backend | string;
}

/** 1-D convolution over [N, C, L] input with weight [out, in/groups, k], like torch.nn.Conv1d. */
export class Conv1d extends ConvLayer<[number]> {
  readonly padding: [number] | 'same' | 'valid';
  readonly paddingMode: PaddingMode;

  constructor(inChannels: number, outChannels: number, kernelSize: Size1d, options: Conv1dOptions = {}) {
    super(1, inChannels, outChannels, kernelSize, options, ['padding', 'paddingMode'], false);
    this.padding = this.convPadding(options.padding ?? 0);
    this.paddingMode = this.paddingModeOf(options.paddingMode ?? 'zeros');
  }

  override get typeName(): string {
    return 'Conv1d';
  }

  forward(input: Tensor): Tensor {
    this.checkInput(input);
    return conv1d(input, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
      paddingMode: this.paddingMode,
    });
  }

  override config(): ModuleConfig {
    return this.convConfig({
      padding: typeof this.padding === 'string' ? this.padding : this.padding[0],
      ...(this.paddingMode === 'zeros' ? {} : { paddingMode: this.paddingMode }),
    });
  }

  protected override extraRepr(): string {
    const padding = typeof this.padding === 'string' ? this.padding : this.padding[0];
    return `${this.convRepr()}, padding=${padding}${this.paddingMode === 'zeros' ? '' : `, paddingMode=${this.paddingMode}`}`;
  }
}

export interface ConvTranspose1dOptions {
  stride?: Size1d;
  /** Positions cropped from each end of the output (default 0). */
  padding?: Size1d;
  /** Positions added at the end (default 0; less than the stride or the dilation). */
  outputPadding?: Size1d;
  dilation?: Size1d;
  groups?: number;
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  generator?: Generator;
  dtype?: FloatDType;
  backend?: Backend | string;
}

/**
 * Transposed 1-D convolution over [N, C, L] input with weight [in, out/groups, k], like
 * torch.nn.ConvTranspose1d: the gradient of Conv1d with respect to its input, used to upsample.
 */
export class ConvTranspose1d extends ConvLayer<[number]> {
  readonly padding: [number];
  readonly outputPadding: [number];

  constructor(inChannels: number, outChannels: number, kernelSize: Size1d, options: ConvTranspose1dOptions = {}) {
    super(1, inChannels, outChannels, kernelSize, options, ['padding', 'outputPadding'], true);
    this.padding = this.sizes('padding', options.padding ?? 0, 0);
    this.outputPadding = this.sizes('outputPadding', options.outputPadding ?? 0, 0);
    checkOutputPadding('ConvTranspose1d', this.outputPadding, this.stride, this.dilation);
  }

  override get typeName(): string {
    return 'ConvTranspose1d';
  }

  forward(input: Tensor): Tensor {
    this.checkInput(input);
    return convTranspose1d(input, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      outputPadding: this.outputPadding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  override config(): ModuleConfig {
    return this.convConfig({ padding: this.padding[0], outputPadding: this.outputPadding[0] });
  }

  protected override extraRepr(): string {
    return `${this.convRepr()}, padding=${this.padding[0]}, outputPadding=${this.outputPadding[0]}`;
  }
}

export interface MaxPool1dOptions {
  /** Default: the kernel size. */
  stride?: Size1d;
  padding?: Size1d;
  dilation?: Size1d;
  /** Round the window count up (default false), as PyTorch's ceil_mode. */
  ceilMode?: boolean;
}

/** Max over each window of [N, C, L] or [C, L], like torch.nn.MaxPool1d. */
export class MaxPool1d extends PoolLayer<[number]> {
  readonly dilation: [number];

  constructor(kernelSize: Size1d, options: MaxPool1dOptions = {}) {
    super(1, kernelSize, options, ['dilation']);
    this.dilation = this.sizes('dilation', options.dilation ?? 1, 1);
  }

  override get typeName(): string {
    return 'MaxPool1d';
  }

  forward(input: Tensor): Tensor {
    return maxPool1d(input, this.kernelSize, this.windowArgs());
  }

  /** The maxima and their flat indices in each input plane (int32), for MaxUnpool1d: PyTorch's return_indices. */
  forwardWithIndices(input: Tensor): [Tensor, Tensor] {
    return maxPool1dWithIndices(input, this.kernelSize, this.windowArgs());
  }

  private windowArgs() {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode };
  }

  override config(): ModuleConfig {
    return this.poolConfig({ dilation: this.dilation[0] });
  }
}

export interface AvgPool1dOptions {
  /** Default: the kernel size. */
  stride?: Size1d;
  padding?: Size1d;
  /** Count padding zeros in each mean (default true). */
  countIncludePad?: boolean;
  /** Divide each window's sum by this non-zero integer instead (default null: the window's count), as PyTorch's divisor_override. */
  divisorOverride?: number | null;
  /** Round the window count up (default false), as PyTorch's ceil_mode. */
  ceilMode?: boolean;
}

/** Mean over each window of [N, C, L] or [C, L], like torch.nn.AvgPool1d. */
export class AvgPool1d extends PoolLayer<[number]> {
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(kernelSize: Size1d, options: AvgPool1dOptions = {}) {
    super(1, kernelSize, options, ['countIncludePad', 'divisorOverride']);
    this.countIncludePad = checkBoolean('AvgPool1d: countIncludePad', options.countIncludePad ?? true);
    this.divisorOverride = checkDivisorOverride('AvgPool1d', options.divisorOverride);
  }

  override get typeName(): string {
    return 'AvgPool1d';
  }

  forward(input: Tensor): Tensor {
    return avgPool1d(input, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
      ceilMode: this.ceilMode,
    });
  }

  override config(): ModuleConfig {
    return this.poolConfig(avgPoolConfig(this.countIncludePad, this.divisorOverride));
  }
}

/** Averages [N, C, L] or [C, L] into a fixed length whatever the input's, like torch.nn.AdaptiveAvgPool1d. */
export class AdaptiveAvgPool1d extends Module {
  readonly outputSize: number;

  constructor(outputSize: Size1d) {
    super();
    this.outputSize = single('AdaptiveAvgPool1d: outputSize', outputSize, 1);
  }

  override get typeName(): string {
    return 'AdaptiveAvgPool1d';
  }

  forward(input: Tensor): Tensor {
    return adaptiveAvgPool1d(input, this.outputSize);
  }

  override config(): ModuleConfig {
    return { type: 'AdaptiveAvgPool1d', outputSize: this.outputSize };
  }

  protected override extraRepr(): string {
    return `outputSize=${this.outputSize}`;
  }
}
