import type { Backend } from '../backend/contract.js';
import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { checkPaddingMode, type PaddingMode } from '../ops/conv.js';
import { pair, single, triple, type Size1d, type Size2d, type Size3d } from '../ops/unfold.js';
import { zeros } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkBoolean, checkFloatDtype, checkOptions, checkPositiveInteger, type FloatDType } from './checks.js';
import { fanInAndFanOut, kaimingUniform_, uniform_ } from './init.js';
import { Module, type ModuleConfig } from './module.js';

/** Sizes per spatial axis: [length] for the 1-D layers, [height, width] for the 2-D ones, [depth, height, width] for the 3-D ones. */
export type SpatialSizes = [number] | [number, number] | [number, number, number];

/** A size argument read for a layer of `rank` spatial axes: `n` or `[n]`, `n` or `[h, w]`, or `n` or `[d, h, w]`. */
export function spatialSizes<S extends SpatialSizes>(
  rank: S['length'],
  what: string,
  value: Size1d | Size2d | Size3d,
  min: number,
): S {
  if (rank === 1) return [single(what, value as Size1d, min)] as S;
  return (rank === 2 ? pair(what, value as Size2d, min) : triple(what, value as Size3d, min)) as S;
}

/** Sizes as written in configs: one number when every axis agrees. */
export const compact = (sizes: readonly number[]): number | number[] =>
  sizes.every((v) => v === sizes[0]) ? sizes[0]! : [...sizes];

/** The options that every convolution layer shares. */
export interface ConvLayerOptions {
  stride?: Size1d | Size2d | Size3d;
  dilation?: Size1d | Size2d | Size3d;
  groups?: number;
  bias?: boolean;
  generator?: Generator;
  dtype?: FloatDType;
  backend?: Backend | string;
}

/**
 * What Conv1d/2d/3d, ConvTranspose1d and ConvTranspose2d share: the channels and window
 * arguments (one size per spatial axis) and their checks, the weight (laid out [out, in/groups,
 * ...kernel], or [in, out/groups, ...kernel] when transposed) and optional bias with PyTorch's
 * init, the input check and the common part of the config.
 */
export abstract class ConvLayer<S extends SpatialSizes> extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: S;
  readonly stride: S;
  readonly dilation: S;
  readonly groups: number;
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  /** 1 for layers over [N, C, L], 2 over [N, C, H, W], 3 over [N, C, D, H, W]. */
  protected readonly spatialRank: S['length'];

  protected constructor(
    spatialRank: S['length'],
    inChannels: number,
    outChannels: number,
    kernelSize: Size1d | Size2d | Size3d,
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
    this.spatialRank = spatialRank;
    this.inChannels = checkPositiveInteger(`${name}: inChannels`, inChannels);
    this.outChannels = checkPositiveInteger(`${name}: outChannels`, outChannels);
    this.kernelSize = this.sizes('kernelSize', kernelSize, 1);
    this.stride = this.sizes('stride', options.stride ?? 1, 1);
    this.dilation = this.sizes('dilation', options.dilation ?? 1, 1);
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
   * U(-1/sqrt(fanIn), 1/sqrt(fanIn)), fanIn = weight.size(1) * the kernel's taps (for a transposed
   * weight that is (outChannels/groups) * taps, as in PyTorch).
   */
  resetParameters(generator?: Generator): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5), generator });
    if (this.bias !== null) {
      const { fanIn } = fanInAndFanOut(this.weight);
      uniform_(this.bias, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), { generator });
    }
  }

  /** A size option of this layer's rank, checked (`n` or `[n]` for 1-D; `n` or `[h, w]` for 2-D). */
  protected sizes(option: string, value: Size1d | Size2d | Size3d, min: number): S {
    return spatialSizes<S>(this.spatialRank, `${this.typeName}: ${option}`, value, min);
  }

  /** A convolution's padding: sizes, 'valid' (none) or 'same' (stride 1 only, as in PyTorch). */
  protected convPadding(padding: Size1d | Size2d | Size3d | 'same' | 'valid'): S | 'same' | 'valid' {
    if (padding === 'valid') return padding;
    if (padding !== 'same') return this.sizes('padding', padding, 0);
    if (this.stride.some((s) => s !== 1))
      throw new ArgumentError(`${this.typeName}: padding 'same' needs stride 1, got ${this.stride.join('x')}`);
    return padding;
  }

  /**
   * Throws unless the input is [N, inChannels, H, W] or unbatched [inChannels, H, W] (2-D), or
   * [N, inChannels, L] or unbatched [inChannels, L] (1-D), as PyTorch takes them.
   */
  protected checkInput(input: Tensor): void {
    const c = this.inChannels;
    const batched = input.rank === this.spatialRank + 2 && input.shape[1] === c;
    const unbatched = input.rank === this.spatialRank + 1 && input.shape[0] === c;
    if (!batched && !unbatched) {
      const expected = [
        `[N, ${c}, L] or [${c}, L]`,
        `[N, ${c}, H, W] or [${c}, H, W]`,
        `[N, ${c}, D, H, W] or [${c}, D, H, W]`,
      ][this.spatialRank - 1];
      throw new ShapeError(
        `${this.typeName}(${c} -> ${this.outChannels}) got input of shape ${formatShape(input.shape)}: expected ${expected}`,
      );
    }
  }

  /** A convolution's padding mode (PyTorch's padding_mode). */
  protected paddingModeOf(mode: unknown): PaddingMode {
    return checkPaddingMode(`${this.typeName}: paddingMode`, mode);
  }

  /** The config, with the subclass's padding entries after the stride. */
  protected convConfig(padding: Record<string, number | number[] | string>): ModuleConfig {
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

/** An AvgPool layer's own config entries: countIncludePad, and divisorOverride when set. */
export const avgPoolConfig = (countIncludePad: boolean, divisorOverride: number | null) => ({
  countIncludePad,
  ...(divisorOverride === null ? {} : { divisorOverride }),
});

/** The options that every windowed pooling layer shares. */
export interface PoolLayerOptions {
  stride?: Size1d | Size2d | Size3d;
  padding?: Size1d | Size2d | Size3d;
  ceilMode?: boolean;
}

/**
 * What MaxPool1d/2d/3d and AvgPool1d/2d/3d share: the window's kernel, stride (default: the kernel) and
 * padding, one size per spatial axis, with their checks, config entries and repr.
 */
export abstract class PoolLayer<S extends SpatialSizes> extends Module {
  readonly kernelSize: S;
  readonly stride: S;
  readonly padding: S;
  /** Round the window count up (PyTorch's ceil_mode). */
  readonly ceilMode: boolean;
  /** 1 for layers over [N, C, L], 2 over [N, C, H, W], 3 over [N, C, D, H, W]. */
  protected readonly spatialRank: S['length'];

  protected constructor(
    spatialRank: S['length'],
    kernelSize: Size1d | Size2d | Size3d,
    options: PoolLayerOptions,
    ownOptions: readonly string[],
  ) {
    super();
    checkOptions(this.typeName, options, ['stride', 'padding', ...ownOptions, 'ceilMode']);
    this.spatialRank = spatialRank;
    this.kernelSize = this.sizes('kernelSize', kernelSize, 1);
    this.stride = this.sizes('stride', options.stride ?? this.kernelSize, 1);
    this.padding = this.sizes('padding', options.padding ?? 0, 0);
    this.ceilMode = checkBoolean(`${this.typeName}: ceilMode`, options.ceilMode ?? false);
  }

  /** A size option of this layer's rank, checked. */
  protected sizes(option: string, value: Size1d | Size2d | Size3d, min: number): S {
    return spatialSizes<S>(this.spatialRank, `${this.typeName}: ${option}`, value, min);
  }

  /** The config: the window, then the subclass's own entries (and ceilMode when set). */
  protected poolConfig(own: Record<string, number | number[] | boolean>): ModuleConfig {
    return {
      type: this.typeName,
      kernelSize: compact(this.kernelSize),
      stride: compact(this.stride),
      padding: compact(this.padding),
      ...own,
      ...(this.ceilMode ? { ceilMode: true } : {}),
    };
  }

  protected override extraRepr(): string {
    return `kernelSize=${this.kernelSize.join('x')}, stride=${this.stride.join('x')}${this.ceilMode ? ', ceilMode=true' : ''}`;
  }
}

/**
 * What the adaptive poolings of one spatial rank share (AdaptiveAvgPool2d/3d,
 * AdaptiveMaxPool2d/3d): the output size per spatial axis, its config and repr; `pool` is the op.
 */
export abstract class AdaptivePool<S extends SpatialSizes> extends Module {
  readonly outputSize: S;

  constructor(rank: S['length'], outputSize: Size1d | Size2d | Size3d) {
    super();
    this.outputSize = spatialSizes<S>(rank, `${this.typeName}: outputSize`, outputSize, 1);
  }

  /** The functional form. */
  protected abstract pool(input: Tensor, outputSize: S): Tensor;

  forward(input: Tensor): Tensor {
    return this.pool(input, this.outputSize);
  }

  override config(): ModuleConfig {
    return { type: this.typeName, outputSize: compact(this.outputSize) };
  }

  protected override extraRepr(): string {
    return `outputSize=${this.outputSize.join('x')}`;
  }
}
