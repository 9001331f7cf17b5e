import type { Backend } from '../backend/contract.js';
import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { batchNorm, groupNorm, instanceNorm, layerNorm, localResponseNorm, rmsNorm } from '../ops/normalization.js';
import { full, zeros } from '../tensor/creation.js';
import { reshape } from '../ops/movement.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  checkBoolean,
  checkFloatDtype,
  checkNumber,
  checkOptions,
  checkPositiveInteger,
  type FloatDType,
} from './checks.js';
import { Module, type ModuleConfig } from './module.js';

export interface BatchNormOptions {
  eps?: number;
  /** running = (1 - momentum) * running + momentum * batch statistic (default 0.1). */
  momentum?: number;
  /** Learn a per-channel scale and shift (default true). */
  affine?: boolean;
  /** Keep running statistics for eval mode (default true); without them eval uses batch statistics. */
  trackRunningStats?: boolean;
  dtype?: FloatDType;
  backend?: Backend | string;
}

/**
 * Batch normalisation over channel axis 1, like torch.nn.BatchNorm1d/2d/3d: batch statistics in
 * train mode (updating the running ones), running statistics in eval mode. The running mean
 * and variance are buffers named as in PyTorch (`running_mean`, `running_var`,
 * `num_batches_tracked`), so they are saved in checkpoints and load into PyTorch.
 */
abstract class NormWithRunningStats extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;

  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super();
    const name = this.typeName;
    checkOptions(name, options, ['eps', 'momentum', 'affine', 'trackRunningStats', 'dtype', 'backend']);
    this.numFeatures = checkPositiveInteger(`${name}: numFeatures`, numFeatures);
    this.eps = checkNumber(`${name}: eps`, options.eps ?? 1e-5, { min: 0 });
    this.momentum = checkNumber(`${name}: momentum`, options.momentum ?? 0.1, { min: 0, max: 1 });
    const affine = checkBoolean(`${name}: affine`, options.affine ?? this.affineAndTrackingByDefault);
    const track = checkBoolean(
      `${name}: trackRunningStats`,
      options.trackRunningStats ?? this.affineAndTrackingByDefault,
    );
    const creation = { dtype: checkFloatDtype(`${name}: dtype`, options.dtype ?? 'float32'), backend: options.backend };
    this.weight = this.registerParameter('weight', affine ? full([numFeatures], 1, creation) : null);
    this.bias = this.registerParameter('bias', affine ? zeros([numFeatures], creation) : null);
    this.runningMean = track ? this.registerBuffer('running_mean', zeros([numFeatures], creation)) : null;
    this.runningVar = track ? this.registerBuffer('running_var', full([numFeatures], 1, creation)) : null;
    this.numBatchesTracked = track
      ? this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'int32', backend: options.backend }))
      : null;
  }

  /** The input ranks this layer takes. */
  protected abstract readonly ranks: readonly number[];

  /** PyTorch's defaults of affine and trackRunningStats: true for BatchNorm, false for InstanceNorm. */
  protected get affineAndTrackingByDefault(): boolean {
    return true;
  }

  forward(input: Tensor): Tensor {
    if (!this.ranks.includes(input.rank) || input.shape[1] !== this.numFeatures) {
      const expected =
        this.ranks.length === 2 ? '[N, C] or [N, C, L]' : this.ranks[0] === 4 ? '[N, C, H, W]' : '[N, C, D, H, W]';
      throw new ShapeError(
        `${this.typeName}(${this.numFeatures}) got input of shape ${formatShape(input.shape)}: expected ${expected} with C = ${this.numFeatures}`,
      );
    }
    const useBatch = this.training || this.runningMean === null;
    if (this.training && this.numBatchesTracked !== null) {
      const count = this.numBatchesTracked;
      count.assign(composite(() => count.add(1)));
    }
    return batchNorm(input, {
      runningMean: this.training ? this.runningMean : (this.runningMean ?? null),
      runningVar: this.training ? this.runningVar : (this.runningVar ?? null),
      weight: this.weight,
      bias: this.bias,
      training: useBatch,
      momentum: this.momentum,
      eps: this.eps,
    });
  }

  override config(): ModuleConfig {
    const config: ModuleConfig = {
      type: this.typeName,
      numFeatures: this.numFeatures,
      eps: this.eps,
      momentum: this.momentum,
      affine: this.weight !== null,
      trackRunningStats: this.runningMean !== null,
    };
    const dtype = (this.weight ?? this.runningMean)?.dtype;
    if (dtype !== undefined && dtype !== 'float32') config['dtype'] = dtype;
    return config;
  }

  protected override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}`;
  }
}

/** BatchNorm over [N, C] or [N, C, L] input. */
export class BatchNorm1d extends NormWithRunningStats {
  protected readonly ranks = [2, 3] as const;
  override get typeName(): string {
    return 'BatchNorm1d';
  }
}

/** BatchNorm over [N, C, H, W] input. */
export class BatchNorm2d extends NormWithRunningStats {
  protected readonly ranks = [4] as const;
  override get typeName(): string {
    return 'BatchNorm2d';
  }
}

/** BatchNorm over [N, C, D, H, W] input (volumes, video). */
export class BatchNorm3d extends NormWithRunningStats {
  protected readonly ranks = [5] as const;
  override get typeName(): string {
    return 'BatchNorm3d';
  }
}

export interface InstanceNormOptions {
  eps?: number;
  /** running = (1 - momentum) * running + momentum * batch statistic (default 0.1). */
  momentum?: number;
  /** Learn a per-channel scale and shift (default false). */
  affine?: boolean;
  /** Keep running statistics for eval mode (default false); without them eval uses each input's own. */
  trackRunningStats?: boolean;
  dtype?: FloatDType;
  backend?: Backend | string;
}

/**
 * Instance normalisation, like torch.nn.InstanceNorm1d/2d/3d: each sample's channels normalised by
 * their own statistics over the spatial axes. PyTorch's defaults: no affine weight and no running
 * statistics; with trackRunningStats, eval mode normalises by the running ones (buffers named as
 * in PyTorch; num_batches_tracked stays 0, as PyTorch's InstanceNorm never counts).
 */
abstract class InstanceNormBase extends NormWithRunningStats {
  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    super(numFeatures, options);
  }

  protected override get affineAndTrackingByDefault(): boolean {
    return false;
  }

  override forward(input: Tensor): Tensor {
    const spatial = this.ranks[0]! - 2;
    const unbatched = input.rank === spatial + 1;
    const channels = input.shape[unbatched ? 0 : 1];
    // Like PyTorch, other channel counts pass when nothing per channel is kept (it only warns).
    const perChannel = this.weight !== null || this.runningMean !== null;
    if (!this.ranks.includes(input.rank) || (perChannel && channels !== this.numFeatures)) {
      const c = perChannel ? String(this.numFeatures) : 'C';
      const axes = ['L', 'H, W', 'D, H, W'][spatial - 1]!;
      const expected = `[N, ${c}, ${axes}] or [${c}, ${axes}]`;
      throw new ShapeError(
        `${this.typeName}(${this.numFeatures}) got input of shape ${formatShape(input.shape)}: expected ${expected}`,
      );
    }
    return composite(() => {
      const batched = unbatched ? reshape(input, [1, ...input.shape]) : input;
      const out = instanceNorm(batched, {
        runningMean: this.runningMean,
        runningVar: this.runningVar,
        weight: this.weight,
        bias: this.bias,
        useInputStats: this.training || this.runningMean === null,
        momentum: this.momentum,
        eps: this.eps,
      });
      return unbatched ? reshape(out, input.shape) : out;
    });
  }

  protected override extraRepr(): string {
    return `${super.extraRepr()}, affine=${this.weight !== null}, trackRunningStats=${this.runningMean !== null}`;
  }
}

/** InstanceNorm over [N, C, L] or unbatched [C, L] input. */
export class InstanceNorm1d extends InstanceNormBase {
  protected readonly ranks = [3, 2] as const;
  override get typeName(): string {
    return 'InstanceNorm1d';
  }
}

/** InstanceNorm over [N, C, H, W] or unbatched [C, H, W] input (style transfer, GAN generators). */
export class InstanceNorm2d extends InstanceNormBase {
  protected readonly ranks = [4, 3] as const;
  override get typeName(): string {
    return 'InstanceNorm2d';
  }
}

/** InstanceNorm over [N, C, D, H, W] or unbatched [C, D, H, W] input. */
export class InstanceNorm3d extends InstanceNormBase {
  protected readonly ranks = [5, 4] as const;
  override get typeName(): string {
    return 'InstanceNorm3d';
  }
}

export interface LayerNormOptions {
  eps?: number;
  /** Learn an elementwise weight and bias of normalizedShape (default true). */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, learn the bias too (default true); false keeps only the weight, as PyTorch's bias=False. */
  bias?: boolean;
  dtype?: FloatDType;
  backend?: Backend | string;
}

/** Normalises over the last axes (`normalizedShape`), like torch.nn.LayerNorm. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    checkOptions('LayerNorm', options, ['eps', 'elementwiseAffine', 'bias', 'dtype', 'backend']);
    const dims = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.normalizedShape = dims.map((d, i) => checkPositiveInteger(`LayerNorm: normalizedShape[${i}]`, d));
    this.eps = checkNumber('LayerNorm: eps', options.eps ?? 1e-5, { min: 0 });
    const affine = checkBoolean('LayerNorm: elementwiseAffine', options.elementwiseAffine ?? true);
    const bias = checkBoolean('LayerNorm: bias', options.bias ?? true);
    const creation = {
      dtype: checkFloatDtype('LayerNorm: dtype', options.dtype ?? 'float32'),
      backend: options.backend,
    };
    this.weight = this.registerParameter('weight', affine ? full(this.normalizedShape, 1, creation) : null);
    this.bias = this.registerParameter('bias', affine && bias ? zeros(this.normalizedShape, creation) : null);
  }

  override get typeName(): string {
    return 'LayerNorm';
  }

  forward(input: Tensor): Tensor {
    return layerNorm(input, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override config(): ModuleConfig {
    const config: ModuleConfig = {
      type: 'LayerNorm',
      normalizedShape: this.normalizedShape,
      eps: this.eps,
      elementwiseAffine: this.weight !== null,
    };
    if (this.weight !== null && this.bias === null) config['bias'] = false;
    if (this.weight !== null && this.weight.dtype !== 'float32') config['dtype'] = this.weight.dtype;
    return config;
  }

  protected override extraRepr(): string {
    return `[${this.normalizedShape.join(', ')}], eps=${this.eps}`;
  }
}

export interface GroupNormOptions {
  eps?: number;
  /** Learn a per-channel scale (ones) and shift (zeros) (default true). */
  affine?: boolean;
  dtype?: FloatDType;
  backend?: Backend | string;
}

/**
 * Normalises each sample's groups of numChannels/numGroups consecutive channels over those
 * channels and every spatial position, like torch.nn.GroupNorm; the same in train and eval mode.
 */
export class GroupNorm extends Module {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(numGroups: number, numChannels: number, options: GroupNormOptions = {}) {
    super();
    checkOptions('GroupNorm', options, ['eps', 'affine', 'dtype', 'backend']);
    this.numGroups = checkPositiveInteger('GroupNorm: numGroups', numGroups);
    this.numChannels = checkPositiveInteger('GroupNorm: numChannels', numChannels);
    if (numChannels % numGroups !== 0)
      throw new ArgumentError(`GroupNorm: numChannels ${numChannels} must be divisible by numGroups ${numGroups}`);
    this.eps = checkNumber('GroupNorm: eps', options.eps ?? 1e-5, { min: 0 });
    const affine = checkBoolean('GroupNorm: affine', options.affine ?? true);
    const creation = {
      dtype: checkFloatDtype('GroupNorm: dtype', options.dtype ?? 'float32'),
      backend: options.backend,
    };
    this.weight = this.registerParameter('weight', affine ? full([numChannels], 1, creation) : null);
    this.bias = this.registerParameter('bias', affine ? zeros([numChannels], creation) : null);
  }

  override get typeName(): string {
    return 'GroupNorm';
  }

  forward(input: Tensor): Tensor {
    if (input.rank < 2 || input.shape[1] !== this.numChannels) {
      throw new ShapeError(
        `GroupNorm(${this.numGroups}, ${this.numChannels}) got input of shape ${formatShape(input.shape)}: expected [N, ${this.numChannels}, *]`,
      );
    }
    return groupNorm(input, this.numGroups, this.weight, this.bias, this.eps);
  }

  override config(): ModuleConfig {
    const config: ModuleConfig = {
      type: 'GroupNorm',
      numGroups: this.numGroups,
      numChannels: this.numChannels,
      eps: this.eps,
      affine: this.weight !== null,
    };
    if (this.weight !== null && this.weight.dtype !== 'float32') config['dtype'] = this.weight.dtype;
    return config;
  }

  protected override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.weight !== null}`;
  }
}

export interface RMSNormOptions {
  /** Added to the mean square; the machine epsilon of the input's dtype when omitted or null (PyTorch's eps=None). */
  eps?: number | null;
  /** Learn an elementwise scale of normalizedShape, ones at init (default true). */
  elementwiseAffine?: boolean;
  dtype?: FloatDType;
  backend?: Backend | string;
}

/**
 * Root-mean-square normalisation over the last axes, like torch.nn.RMSNorm (torch 2.4):
 * x / sqrt(mean(x^2) + eps) * weight, with no centring and no bias.
 */
export class RMSNorm extends Module {
  readonly normalizedShape: number[];
  /** null: the machine epsilon of the input's dtype (torch.finfo(dtype).eps). */
  readonly eps: number | null;
  readonly weight: Tensor | null;

  constructor(normalizedShape: number | readonly number[], options: RMSNormOptions = {}) {
    super();
    checkOptions('RMSNorm', options, ['eps', 'elementwiseAffine', 'dtype', 'backend']);
    const dims = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.normalizedShape = dims.map((d, i) => checkPositiveInteger(`RMSNorm: normalizedShape[${i}]`, d));
    this.eps =
      options.eps === undefined || options.eps === null ? null : checkNumber('RMSNorm: eps', options.eps, { min: 0 });
    const affine = checkBoolean('RMSNorm: elementwiseAffine', options.elementwiseAffine ?? true);
    const creation = { dtype: checkFloatDtype('RMSNorm: dtype', options.dtype ?? 'float32'), backend: options.backend };
    this.weight = this.registerParameter('weight', affine ? full(this.normalizedShape, 1, creation) : null);
  }

  override get typeName(): string {
    return 'RMSNorm';
  }

  forward(input: Tensor): Tensor {
    return rmsNorm(input, this.normalizedShape, this.weight, this.eps);
  }

  override config(): ModuleConfig {
    const config: ModuleConfig = {
      type: 'RMSNorm',
      normalizedShape: this.normalizedShape,
      eps: this.eps,
      elementwiseAffine: this.weight !== null,
    };
    if (this.weight !== null && this.weight.dtype !== 'float32') config['dtype'] = this.weight.dtype;
    return config;
  }

  protected override extraRepr(): string {
    return `[${this.normalizedShape.join(', ')}], eps=${this.eps ?? 'null'}`;
  }
}

export interface LocalResponseNormOptions {
  /** Scale of the window's sum of squares (default 1e-4). */
  alpha?: number;
  /** Exponent (default 0.75). */
  beta?: number;
  /** Additive constant (default 1). */
  k?: number;
}

/**
 * Local response normalisation across channels of [N, C, *], like torch.nn.LocalResponseNorm:
 * x / (k + alpha / size * sum of x^2 over `size` neighbouring channels)^beta.
 */
export class LocalResponseNorm extends Module {
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;

  constructor(size: number, options: LocalResponseNormOptions = {}) {
    super();
    checkOptions('LocalResponseNorm', options, ['alpha', 'beta', 'k']);
    this.size = checkPositiveInteger('LocalResponseNorm: size', size);
    this.alpha = checkNumber('LocalResponseNorm: alpha', options.alpha ?? 1e-4);
    this.beta = checkNumber('LocalResponseNorm: beta', options.beta ?? 0.75);
    this.k = checkNumber('LocalResponseNorm: k', options.k ?? 1);
  }

  override get typeName(): string {
    return 'LocalResponseNorm';
  }

  forward(input: Tensor): Tensor {
    return localResponseNorm(input, this.size, this.alpha, this.beta, this.k);
  }

  override config(): ModuleConfig {
    return { type: 'LocalResponseNorm', size: this.size, alpha: this.alpha, beta: this.beta, k: this.k };
  }

  protected override extraRepr(): string {
    return `${this.size}, alpha=${this.alpha}, beta=${this.beta}, k=${this.k}`;
  }
}
