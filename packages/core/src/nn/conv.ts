import type { Backend } from '../backend/contract.js';
import { checkOutputPadding, conv2d, convTranspose2d, type PaddingMode } from '../ops/conv.js';
import {
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  avgPool2d,
  checkDivisorOverride,
  maxPool2d,
  type AdaptiveSize2d,
} from '../ops/pool.js';
import type { Size2d } from '../ops/unfold.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { maxPool2dWithIndices } from '../ops/unpool.js';
import { checkBoolean, type FloatDType } from './checks.js';
import { AdaptivePool, ConvLayer, PoolLayer, avgPoolConfig, compact } from './conv-layer.js';
import type { ModuleConfig } from './module.js';

export interface Conv2dOptions {
  stride?: Size2d;
  /** Zeros on each side, or 'valid' (none) or 'same' (stride 1; the output keeps the input's size). */
  padding?: Size2d | 'same' | 'valid';
  dilation?: Size2d;
  groups?: number;
  /** What the padding holds: 'zeros' (default), 'reflect', 'replicate' or 'circular' (PyTorch's padding_mode). */
  paddingMode?: PaddingMode;
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  generator?: Generator;
  dtype?: FloatDType;
  backend?: Backend | string;
}

/**
 * 2-D convolution over [N, C, H, W] (or unbatched [C, H, W]) input with weight
 * [out, in/groups, kh, kw], like torch.nn.Conv2d.
 */
export class Conv2d extends ConvLayer<[number, number]> {
  readonly padding: [number, number] | 'same' | 'valid';
  readonly paddingMode: PaddingMode;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2d, options: Conv2dOptions = {}) {
    super(2, inChannels, outChannels, kernelSize, options, ['padding', 'paddingMode'], false);
    this.padding = this.convPadding(options.padding ?? 0);
    this.paddingMode = this.paddingModeOf(options.paddingMode ?? 'zeros');
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
      paddingMode: this.paddingMode,
    });
  }

  override config(): ModuleConfig {
    return this.convConfig({
      padding: typeof this.padding === 'string' ? this.padding : compact(this.padding),
      ...(this.paddingMode === 'zeros' ? {} : { paddingMode: this.paddingMode }),
    });
  }

  protected override extraRepr(): string {
    const padding = typeof this.padding === 'string' ? this.padding : this.padding.join('x');
    return `${this.convRepr()}, padding=${padding}${this.paddingMode === 'zeros' ? '' : `, paddingMode=${this.paddingMode}`}`;
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
export class ConvTranspose2d extends ConvLayer<[number, number]> {
  readonly padding: [number, number];
  readonly outputPadding: [number, number];

  constructor(inChannels: number, outChannels: number, kernelSize: Size2d, options: ConvTranspose2dOptions = {}) {
    super(2, inChannels, outChannels, kernelSize, options, ['padding', 'outputPadding'], true);
    this.padding = this.sizes('padding', options.padding ?? 0, 0);
    this.outputPadding = this.sizes('outputPadding', options.outputPadding ?? 0, 0);
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
  /** Round the window count up (default false), as PyTorch's ceil_mode. */
  ceilMode?: boolean;
}

/** Max over each window of [N, C, H, W] or [C, H, W], like torch.nn.MaxPool2d. */
export class MaxPool2d extends PoolLayer<[number, number]> {
  readonly dilation: [number, number];

  constructor(kernelSize: Size2d, options: MaxPool2dOptions = {}) {
    super(2, kernelSize, options, ['dilation']);
    this.dilation = this.sizes('dilation', options.dilation ?? 1, 1);
  }

  override get typeName(): string {
    return 'MaxPool2d';
  }

  forward(input: Tensor): Tensor {
    return maxPool2d(input, this.kernelSize, this.windowArgs());
  }

  /** The maxima and their flat indices in each input plane (int32), for MaxUnpool2d: PyTorch's return_indices. */
  forwardWithIndices(input: Tensor): [Tensor, Tensor] {
    return maxPool2dWithIndices(input, this.kernelSize, this.windowArgs());
  }

  private windowArgs() {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode };
  }

  override config(): ModuleConfig {
    return this.poolConfig({ dilation: compact(this.dilation) });
  }
}

export interface AvgPool2dOptions {
  /** Default: the kernel size. */
  stride?: Size2d;
  padding?: Size2d;
  /** Count padding zeros in each mean (default true). */
  countIncludePad?: boolean;
  /** Divide each window's sum by this non-zero integer instead (default null: the window's count), as PyTorch's divisor_override. */
  divisorOverride?: number | null;
  /** Round the window count up (default false), as PyTorch's ceil_mode. */
  ceilMode?: boolean;
}

/** Mean over each window of [N, C, H, W] or [C, H, W], like torch.nn.AvgPool2d. */
export class AvgPool2d extends PoolLayer<[number, number]> {
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(kernelSize: Size2d, options: AvgPool2dOptions = {}) {
    super(2, kernelSize, options, ['countIncludePad', 'divisorOverride']);
    this.countIncludePad = checkBoolean('AvgPool2d: countIncludePad', options.countIncludePad ?? true);
    this.divisorOverride = checkDivisorOverride('AvgPool2d', options.divisorOverride);
  }

  override get typeName(): string {
    return 'AvgPool2d';
  }

  forward(input: Tensor): Tensor {
    return avgPool2d(input, this.kernelSize, {
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

/** The 2-D adaptive poolings' base: AdaptivePool at spatial rank 2. */
abstract class AdaptivePool2d extends AdaptivePool<[number, number]> {
  constructor(outputSize: Size2d) {
    super(2, outputSize);
  }
}

/** Averages [N, C, H, W] or [C, H, W] into a fixed output size whatever the input size, like torch.nn.AdaptiveAvgPool2d. */
export class AdaptiveAvgPool2d extends AdaptivePool2d {
  override get typeName(): string {
    return 'AdaptiveAvgPool2d';
  }

  protected pool(input: Tensor, outputSize: AdaptiveSize2d): Tensor {
    return adaptiveAvgPool2d(input, outputSize);
  }
}

/**
 * Maxima of [N, C, H, W] or [C, H, W] over a fixed output grid of PyTorch's adaptive bins
 * whatever the input size, like torch.nn.AdaptiveMaxPool2d (without returnIndices).
 */
export class AdaptiveMaxPool2d extends AdaptivePool2d {
  override get typeName(): string {
    return 'AdaptiveMaxPool2d';
  }

  protected pool(input: Tensor, outputSize: AdaptiveSize2d): Tensor {
    return adaptiveMaxPool2d(input, outputSize);
  }
}
