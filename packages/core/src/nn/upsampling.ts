import { ArgumentError, describeValue } from '../errors.js';
import { CORNER_MODES, INTERPOLATE_MODES, interpolate, type InterpolateMode } from '../ops/interpolate.js';
import { pixelShuffle, pixelUnshuffle } from '../ops/pixel-shuffle.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkBoolean, checkOptions, checkPositiveInteger } from './checks.js';
import { Module, type ModuleConfig } from './module.js';

/** A size or scale factor as given: one number for every spatial axis, or one per axis. */
export type SpatialScale = number | readonly number[];

export interface UpsampleOptions {
  /** The output's spatial size (one number, or one per axis). Give this or scaleFactor. */
  size?: SpatialScale;
  /** Output size = floor(input size x scaleFactor) (one number, or one per axis). Give this or size. */
  scaleFactor?: SpatialScale;
  /** Default 'nearest'. */
  mode?: InterpolateMode;
  /** 'linear' and 'bilinear' only (default false): see `interpolate`. */
  alignCorners?: boolean;
}

/** A size or scale factor checked: a positive number (integer for sizes) or a non-empty list of them. */
export function checkSpatialScale(what: string, value: unknown, integer: boolean): number | number[] {
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  const fine = (v: unknown) =>
    typeof v === 'number' && Number.isFinite(v) && v > 0 && (!integer || Number.isSafeInteger(v));
  if (list.length === 0 || !list.every(fine))
    throw new ArgumentError(
      `${what} must be a positive ${integer ? 'integer' : 'number'} or a list of them, got ${describeValue(value)}`,
    );
  return Array.isArray(value) ? (list as number[]) : (value as number);
}

const text = (v: number | number[]) => (typeof v === 'number' ? String(v) : `[${v.join(', ')}]`);

/**
 * Resizes [N, C, L] or [N, C, H, W] input by `interpolate`, like torch.nn.Upsample: to a fixed
 * size or by a scale factor, 'nearest' (default), 'linear', 'bilinear' or 'area'. No parameters.
 */
export class Upsample extends Module {
  readonly size: number | number[] | null;
  readonly scaleFactor: number | number[] | null;
  readonly mode: InterpolateMode;
  /** null for the modes without corners ('nearest', 'nearest-exact', 'area'). */
  readonly alignCorners: boolean | null;

  constructor(options: UpsampleOptions = {}) {
    super();
    const name = this.typeName;
    checkOptions(name, options, ['size', 'scaleFactor', 'mode', 'alignCorners']);
    const { size, scaleFactor } = options;
    if ((size === undefined) === (scaleFactor === undefined))
      throw new ArgumentError(`${name}: give exactly one of size and scaleFactor`);
    this.size = size === undefined ? null : checkSpatialScale(`${name}: size`, size, true);
    this.scaleFactor = scaleFactor === undefined ? null : checkSpatialScale(`${name}: scaleFactor`, scaleFactor, false);
    const mode = options.mode ?? 'nearest';
    if (!INTERPOLATE_MODES.includes(mode))
      throw new ArgumentError(
        `${name}: mode must be ${INTERPOLATE_MODES.map((m) => `'${m}'`).join(', ')}, got ${describeValue(mode)}`,
      );
    this.mode = mode;
    const linear = CORNER_MODES[mode] !== undefined;
    if (!linear && options.alignCorners !== undefined)
      throw new ArgumentError(
        `${name}: alignCorners applies to modes 'linear', 'bilinear', 'bicubic' and 'trilinear' only, got it with mode '${mode}'`,
      );
    this.alignCorners = linear ? checkBoolean(`${name}: alignCorners`, options.alignCorners ?? false) : null;
  }

  override get typeName(): string {
    return 'Upsample';
  }

  forward(input: Tensor): Tensor {
    return interpolate(input, {
      ...(this.size === null ? { scaleFactor: this.scaleFactor! } : { size: this.size }),
      mode: this.mode,
      ...(this.alignCorners === null ? {} : { alignCorners: this.alignCorners }),
    });
  }

  /** The size or scale factor, as given. */
  protected scaleConfig(): { size: number | number[] } | { scaleFactor: number | number[] } {
    return this.size === null ? { scaleFactor: this.scaleFactor! } : { size: this.size };
  }

  override config(): ModuleConfig {
    const config: ModuleConfig = { type: this.typeName, ...this.scaleConfig(), mode: this.mode };
    if (this.alignCorners !== null) config['alignCorners'] = this.alignCorners;
    return config;
  }

  protected override extraRepr(): string {
    const scale = this.size === null ? `scaleFactor=${text(this.scaleFactor!)}` : `size=${text(this.size)}`;
    return `${scale}, mode=${this.mode}${this.alignCorners === null ? '' : `, alignCorners=${this.alignCorners}`}`;
  }
}

/** The size or scale factor of the fixed-mode upsampling layers. */
export interface UpsamplingOptions {
  size?: SpatialScale;
  scaleFactor?: SpatialScale;
}

/** Nearest-neighbour upsampling of [N, C, H, W], like torch.nn.UpsamplingNearest2d (Upsample with mode 'nearest'). */
export class UpsamplingNearest2d extends Upsample {
  constructor(options: UpsamplingOptions = {}) {
    checkOptions('UpsamplingNearest2d', options, ['size', 'scaleFactor']);
    super({ ...options, mode: 'nearest' });
  }

  override get typeName(): string {
    return 'UpsamplingNearest2d';
  }

  override config(): ModuleConfig {
    return { type: this.typeName, ...this.scaleConfig() };
  }
}

/**
 * Bilinear upsampling of [N, C, H, W] with alignCorners true, like torch.nn.UpsamplingBilinear2d
 * (Upsample with mode 'bilinear', alignCorners true).
 */
export class UpsamplingBilinear2d extends Upsample {
  constructor(options: UpsamplingOptions = {}) {
    checkOptions('UpsamplingBilinear2d', options, ['size', 'scaleFactor']);
    super({ ...options, mode: 'bilinear', alignCorners: true });
  }

  override get typeName(): string {
    return 'UpsamplingBilinear2d';
  }

  override config(): ModuleConfig {
    return { type: this.typeName, ...this.scaleConfig() };
  }
}

/** [*, C*r*r, H, W] to [*, C, H*r, W*r], like torch.nn.PixelShuffle (sub-pixel convolution's upsampling). */
export class PixelShuffle extends Module {
  readonly upscaleFactor: number;

  constructor(upscaleFactor: number) {
    super();
    this.upscaleFactor = checkPositiveInteger('PixelShuffle: upscaleFactor', upscaleFactor);
  }

  override get typeName(): string {
    return 'PixelShuffle';
  }

  forward(input: Tensor): Tensor {
    return pixelShuffle(input, this.upscaleFactor);
  }

  override config(): ModuleConfig {
    return { type: 'PixelShuffle', upscaleFactor: this.upscaleFactor };
  }

  protected override extraRepr(): string {
    return `upscaleFactor=${this.upscaleFactor}`;
  }
}

/** [*, C, H*r, W*r] to [*, C*r*r, H, W], the inverse of PixelShuffle, like torch.nn.PixelUnshuffle. */
export class PixelUnshuffle extends Module {
  readonly downscaleFactor: number;

  constructor(downscaleFactor: number) {
    super();
    this.downscaleFactor = checkPositiveInteger('PixelUnshuffle: downscaleFactor', downscaleFactor);
  }

  override get typeName(): string {
    return 'PixelUnshuffle';
  }

  forward(input: Tensor): Tensor {
    return pixelUnshuffle(input, this.downscaleFactor);
  }

  override config(): ModuleConfig {
    return { type: 'PixelUnshuffle', downscaleFactor: this.downscaleFactor };
  }

  protected override extraRepr(): string {
    return `downscaleFactor=${this.downscaleFactor}`;
  }
}
