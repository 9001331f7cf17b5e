import type { Backend } from '../backend/contract.js';
import { checkOutputPadding, type PaddingMode } from '../ops/conv.js';
import {
  adaptiveAvgPool3d,
  adaptiveMaxPool3d,
  avgPool3d,
  conv3d,
  convTranspose3d,
  maxPool3d,
  type AdaptiveSize3d,
} from '../ops/conv3d.js';
import { checkDivisorOverride } from '../ops/pool.js';
import type { Size3d } from '../ops/unfold.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { maxPool3dWithIndices } from '../ops/unpool.js';
import { checkBoolean, type FloatDType } from './checks.js';
import { AdaptivePool, ConvLayer, PoolLayer, avgPoolConfig, compact } from './conv-layer.js';
import type { ModuleConfig } from './module.js';

// The 3-D layers over [N, C, D, H, W] (or unbatched [C, D, H, W]): the 2-D layers' bases at
// spatial rank 3, sizes written to configs as one number when the three axes agree.

export interface Conv3dOptions {
  stride?: Size3d;
  /** Zeros on each side, or 'valid' (none) or 'same' (stride 1; the output keeps the input's size). */
  padding?: Size3d | 'same' | 'valid';
  dilation?: Size3d;
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
 * 3-D convolution over [N, C, D, H, W] (or unbatched [C, D, H, W]) input with weight
 * [out, in/groups, kd, kh, kw], like torch.nn.Conv3d.
 */
export class Conv3d extends ConvLayer<[number, number, number]> {
  readonly padding: [number, number, number] | 'same' | 'valid';
  readonly paddingMode: PaddingMode;

  constructor(inChannels: number, outChannels: number, kernelSize: Size3d, options: Conv3dOptions = {}) {
    super(3, inChannels, outChannels, kernelSize, options, ['padding', 'paddingMode'], false);
    this.padding = this.convPadding(options.padding ?? 0);
    this.paddingMode = this.paddingModeOf(options.paddingMode ?? 'zeros');
  }

  override get typeName(): string {
    return 'Conv3d';
  }

  forward(input: Tensor): Tensor {
    this.checkInput(input);
    return conv3d(input, this.weight, this.bias, {
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

export interface ConvTranspose3dOptions {
  stride?: Size3d;
  /** Positions cropped from each side of each axis of the output (default 0). */
  padding?: Size3d;
  /** Positions added at the end of each axis (default 0; less than the stride or the dilation). */
  outputPadding?: Size3d;
  dilation?: Size3d;
  groups?: number;
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  generator?: Generator;
  dtype?: FloatDType;
  backend?: Backend | string;
}

/**
 * Transposed 3-D convolution over [N, C, D, H, W] input with weight [in, out/groups, kd, kh, kw],
 * like torch.nn.ConvTranspose3d: the gradient of Conv3d with respect to its input, used to upsample.
 */
export class ConvTranspose3d extends ConvLayer<[number, number, number]> {
  readonly padding: [number, number, number];
  readonly outputPadding: [number, number, number];

  constructor(inChannels: number, outChannels: number, kernelSize: Size3d, options: ConvTranspose3dOptions = {}) {
    super(3, inChannels, outChannels, kernelSize, options, ['padding', 'outputPadding'], true);
    this.padding = this.sizes('padding', options.padding ?? 0, 0);
    this.outputPadding = this.sizes('outputPadding', options.outputPadding ?? 0, 0);
    checkOutputPadding('ConvTranspose3d', this.outputPadding, this.stride, this.dilation);
  }

  override get typeName(): string {
    return 'ConvTranspose3d';
  }

  forward(input: Tensor): Tensor {
    this.checkInput(input);
    return convTranspose3d(input, this.weight, this.bias, {
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

export interface MaxPool3dOptions {
  /** Default: the kernel size. */
  stride?: Size3d;
  padding?: Size3d;
  dilation?: Size3d;
  /** Round the window count up (default false), as PyTorch's ceil_mode. */
  ceilMode?: boolean;
}

/** Max over each window of [N, C, D, H, W] or [C, D, H, W], like torch.nn.MaxPool3d. */
export class MaxPool3d extends PoolLayer<[number, number, number]> {
  readonly dilation: [number, number, number];

  constructor(kernelSize: Size3d, options: MaxPool3dOptions = {}) {
    super(3, kernelSize, options, ['dilation']);
    this.dilation = this.sizes('dilation', options.dilation ?? 1, 1);
  }

  override get typeName(): string {
    return 'MaxPool3d';
  }

  forward(input: Tensor): Tensor {
    return maxPool3d(input, this.kernelSize, this.windowArgs());
  }

  /** The maxima and their flat indices in each input plane (int32), for MaxUnpool3d: PyTorch's return_indices. */
  forwardWithIndices(input: Tensor): [Tensor, Tensor] {
    return maxPool3dWithIndices(input, this.kernelSize, this.windowArgs());
  }

  private windowArgs() {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode };
  }

  override config(): ModuleConfig {
    return this.poolConfig({ dilation: compact(this.dilation) });
  }
}

export interface AvgPool3dOptions {
  /** Default: the kernel size. */
  stride?: Size3d;
  padding?: Size3d;
  /** Count padding zeros in each mean (default true). */
  countIncludePad?: boolean;
  /** Divide each window's sum by this non-zero integer instead (default null: the window's count), as PyTorch's divisor_override. */
  divisorOverride?: number | null;
  /** Round the window count up (default false), as PyTorch's ceil_mode. */
  ceilMode?: boolean;
}

/** Mean over each window of [N, C, D, H, W] or [C, D, H, W], like torch.nn.AvgPool3d. */
export class AvgPool3d extends PoolLayer<[number, number, number]> {
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;

  constructor(kernelSize: Size3d, options: AvgPool3dOptions = {}) {
    super(3, kernelSize, options, ['countIncludePad', 'divisorOverride']);
    this.countIncludePad = checkBoolean('AvgPool3d: countIncludePad', options.countIncludePad ?? true);
    this.divisorOverride = checkDivisorOverride('AvgPool3d', options.divisorOverride);
  }

  override get typeName(): string {
    return 'AvgPool3d';
  }

  forward(input: Tensor): Tensor {
    return avgPool3d(input, this.kernelSize, {
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

/** The 3-D adaptive poolings' base: AdaptivePool at spatial rank 3. */
abstract class AdaptivePool3d extends AdaptivePool<[number, number, number]> {
  constructor(outputSize: Size3d) {
    super(3, outputSize);
  }
}

/** Averages [N, C, D, H, W] or [C, D, H, W] into a fixed output size whatever the input size, like torch.nn.AdaptiveAvgPool3d. */
export class AdaptiveAvgPool3d extends AdaptivePool3d {
  override get typeName(): string {
    return 'AdaptiveAvgPool3d';
  }

  protected pool(input: Tensor, outputSize: AdaptiveSize3d): Tensor {
    return adaptiveAvgPool3d(input, outputSize);
  }
}

/**
 * Maxima of [N, C, D, H, W] or [C, D, H, W] over a fixed output grid of PyTorch's adaptive bins
 * whatever the input size, like torch.nn.AdaptiveMaxPool3d (without returnIndices).
 */
export class AdaptiveMaxPool3d extends AdaptivePool3d {
  override get typeName(): string {
    return 'AdaptiveMaxPool3d';
  }

  protected pool(input: Tensor, outputSize: AdaptiveSize3d): Tensor {
    return adaptiveMaxPool3d(input, outputSize);
  }
}
