import { ArgumentError, formatShape } from '../errors.js';
import { adaptiveMaxPool1d, checkNormType, fractionalMaxPool2d, lpPool1d, lpPool2d } from '../ops/nn-extras.js';
import type { Generator } from '../tensor/random.js';
import { pair, single, type Size1d, type Size2d } from '../ops/unfold.js';
import { isTensor } from '../tensor/is-tensor.js';
import { keep } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkBoolean, checkOptions, describeValue } from './checks.js';
import { AdaptivePool, compact } from './conv-layer.js';
import { Module, type ModuleConfig } from './module.js';

export interface LPPoolOptions<S> {
  /** The window step (default: the kernel size). */
  stride?: S;
  ceilMode?: boolean;
}

/** What LPPool1d and LPPool2d share: normType, window, stride and ceilMode, their config and repr. */
abstract class LPPool<S extends number | [number, number]> extends Module {
  readonly normType: number;
  readonly kernelSize: S;
  readonly stride: S;
  readonly ceilMode: boolean;

  protected constructor(
    normType: number,
    kernelSize: S,
    options: LPPoolOptions<unknown>,
    sizes: (what: string, value: unknown) => S,
  ) {
    super();
    checkOptions(this.typeName, options, ['stride', 'ceilMode']);
    this.normType = checkNormType(this.typeName, normType);
    this.kernelSize = sizes(`${this.typeName}: kernelSize`, kernelSize);
    this.stride = sizes(`${this.typeName}: stride`, options.stride ?? kernelSize);
    this.ceilMode = checkBoolean(`${this.typeName}: ceilMode`, options.ceilMode ?? false);
  }

  override config(): ModuleConfig {
    return {
      type: this.typeName,
      normType: this.normType,
      kernelSize: compact([this.kernelSize].flat()),
      stride: compact([this.stride].flat()),
      ceilMode: this.ceilMode,
    };
  }

  protected override extraRepr(): string {
    const size = (s: S) => [s].flat().join('x');
    return `normType=${this.normType}, kernelSize=${size(this.kernelSize)}, stride=${size(this.stride)}, ceilMode=${this.ceilMode}`;
  }
}

/** The p-norm of each window of [N, C, L], like torch.nn.LPPool1d. */
export class LPPool1d extends LPPool<number> {
  constructor(normType: number, kernelSize: Size1d, options: LPPoolOptions<Size1d> = {}) {
    super(normType, single('LPPool1d: kernelSize', kernelSize, 1), options, (what, v) => single(what, v as Size1d, 1));
  }

  override get typeName(): string {
    return 'LPPool1d';
  }

  forward(input: Tensor): Tensor {
    return lpPool1d(input, this.normType, this.kernelSize, { stride: this.stride, ceilMode: this.ceilMode });
  }
}

/** The p-norm of each window of [N, C, H, W], like torch.nn.LPPool2d. */
export class LPPool2d extends LPPool<[number, number]> {
  constructor(normType: number, kernelSize: Size2d, options: LPPoolOptions<Size2d> = {}) {
    super(normType, pair('LPPool2d: kernelSize', kernelSize, 1), options, (what, v) => pair(what, v as Size2d, 1));
  }

  override get typeName(): string {
    return 'LPPool2d';
  }

  forward(input: Tensor): Tensor {
    return lpPool2d(input, this.normType, this.kernelSize, { stride: this.stride, ceilMode: this.ceilMode });
  }
}

/** Maxima of [N, C, L] or [C, L] into a fixed length, like torch.nn.AdaptiveMaxPool1d (the indices: adaptiveMaxPool1dWithIndices). */
export class AdaptiveMaxPool1d extends AdaptivePool<[number]> {
  constructor(outputSize: Size1d) {
    super(1, outputSize);
  }

  override get typeName(): string {
    return 'AdaptiveMaxPool1d';
  }

  protected pool(input: Tensor, [size]: [number]): Tensor {
    return adaptiveMaxPool1d(input, size);
  }
}

export interface FractionalMaxPool2dOptions {
  /** The output's [height, width] (or one size for both). Give this or outputRatio. */
  outputSize?: Size2d;
  /** The output size as a fraction of the input's, in (0, 1). Give this or outputSize. */
  outputRatio?: number | readonly [number, number];
  /** Draws each forward's window starts; the default generator otherwise. */
  generator?: Generator;
  /**
   * torch's _random_samples ([N, C, 2]): used at every forward instead of draws. The layer keeps
   * the tensor and disposes it with itself; such a layer has no config (a tensor is not one).
   */
  randomSamples?: Tensor;
}

/** Fractional max pooling of [N, C, H, W] or [C, H, W], like torch.nn.FractionalMaxPool2d (new window starts each forward). */
export class FractionalMaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly outputSize: [number, number] | null;
  readonly outputRatio: [number, number] | null;
  readonly #generator: Generator | undefined;
  readonly #randomSamples: Tensor | undefined;

  constructor(kernelSize: Size2d, options: FractionalMaxPool2dOptions = {}) {
    super();
    checkOptions('FractionalMaxPool2d', options, ['outputSize', 'outputRatio', 'generator', 'randomSamples']);
    this.kernelSize = pair('FractionalMaxPool2d: kernelSize', kernelSize, 1);
    if ((options.outputSize === undefined) === (options.outputRatio === undefined))
      throw new ArgumentError('FractionalMaxPool2d: give exactly one of outputSize and outputRatio');
    this.outputSize =
      options.outputSize === undefined ? null : pair('FractionalMaxPool2d: outputSize', options.outputSize, 1);
    const ratio = options.outputRatio;
    this.outputRatio = ratio === undefined ? null : typeof ratio === 'number' ? [ratio, ratio] : [ratio[0], ratio[1]];
    if (this.outputRatio !== null && !this.outputRatio.every((r) => typeof r === 'number' && r > 0 && r < 1))
      throw new ArgumentError(`FractionalMaxPool2d: outputRatio must be in (0, 1), got ${describeValue(ratio)}`);
    this.#generator = options.generator;
    const samples = options.randomSamples;
    if (samples !== undefined && !(isTensor(samples) && samples.rank === 3 && samples.shape[2] === 2))
      throw new ArgumentError(
        `FractionalMaxPool2d: randomSamples must be a Tensor [N, C, 2], got ${isTensor(samples) ? `shape ${formatShape(samples.shape)}` : describeValue(samples)}`,
      );
    this.#randomSamples = samples === undefined ? undefined : keep(samples);
  }

  override dispose(): void {
    super.dispose();
    this.#randomSamples?.dispose();
  }

  override get typeName(): string {
    return 'FractionalMaxPool2d';
  }

  forward(input: Tensor): Tensor {
    return fractionalMaxPool2d(input, this.kernelSize, {
      ...(this.outputSize === null ? { outputRatio: this.outputRatio! } : { outputSize: this.outputSize }),
      generator: this.#generator,
      ...(this.#randomSamples === undefined ? {} : { randomSamples: this.#randomSamples }),
    });
  }

  override config(): ModuleConfig {
    if (this.#randomSamples !== undefined)
      throw new ArgumentError(
        'FractionalMaxPool2d.config: a layer built with randomSamples has no config (the samples are a tensor, and without them it would draw random windows); build it with a generator to save it',
      );
    const size =
      this.outputSize === null
        ? { outputRatio: compactRatio(this.outputRatio!) }
        : { outputSize: compact(this.outputSize) };
    return { type: 'FractionalMaxPool2d', kernelSize: compact(this.kernelSize), ...size };
  }

  protected override extraRepr(): string {
    const size =
      this.outputSize === null
        ? `outputRatio=${this.outputRatio!.join('x')}`
        : `outputSize=${this.outputSize.join('x')}`;
    return `kernelSize=${this.kernelSize.join('x')}, ${size}`;
  }
}

const compactRatio = ([h, w]: [number, number]): number | [number, number] => (h === w ? h : [h, w]);
