import { MyelinError, ShapeError, formatShape } from '../errors.js';
import { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { Conv2d, ConvTranspose2d, type Conv2dOptions, type ConvTranspose2dOptions } from './conv.js';
import { Conv1d, ConvTranspose1d, type Conv1dOptions, type ConvTranspose1dOptions } from './conv1d.js';
import { Conv3d, ConvTranspose3d, type Conv3dOptions, type ConvTranspose3dOptions } from './conv3d.js';
import { Linear, type LinearOptions } from './linear.js';
import { Module, type ModuleConfig } from './module.js';
import {
  BatchNorm1d,
  BatchNorm2d,
  BatchNorm3d,
  InstanceNorm1d,
  InstanceNorm2d,
  InstanceNorm3d,
  type BatchNormOptions,
  type InstanceNormOptions,
} from './normalization.js';
import type { Size1d, Size2d, Size3d } from '../ops/unfold.js';

/** Builds the concrete layer once the input size is known (`generator` draws its initial weights). */
export type MakeLayer<M extends Module> = (inSize: number, generator: Generator | undefined) => M;

/** What every layer a lazy one builds has: its weight and bias (null where the layer has none). */
export interface WeightedLayer extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
}

/**
 * A layer that learns its input size from the first forward, like torch.nn's Lazy* modules (and
 * Keras' Dense(units)): until then it has no parameters, and parameters() refuses with a message,
 * so build the optimizer after a first forward on a sample batch (torch's "dry run"; summary()
 * does one). At that forward it builds the concrete layer (with torch's init, drawn then from the
 * given generator or the default one), runs it from then on, and takes its parameters and buffers
 * under the same names. It stays a LazyModule wrapping that layer (`materialized`): it reports,
 * prints and configures itself as the layer, so a checkpoint of it rebuilds the concrete layer,
 * and it passes the layer's weight and bias (and a norm's running statistics) through, but it is
 * not `instanceof Linear`, ...: code that picks layers by class (an init in `apply`, say) should
 * look at `m instanceof LazyModule ? m.materialized : m`. Before its first forward its config is
 * the lazy one, its state dict is empty, and the pass-through fields throw.
 */
export abstract class LazyModule<M extends WeightedLayer = WeightedLayer> extends Module {
  readonly #lazyName: string;
  readonly #inferred: string;
  readonly #make: MakeLayer<M>;
  readonly #generator: Generator | undefined;
  readonly #template: ModuleConfig;
  #layer: M | null = null;

  protected constructor(
    lazyName: string,
    inferred: string,
    make: MakeLayer<M>,
    generator: Generator | undefined,
    probeSize: number,
  ) {
    super();
    this.#lazyName = lazyName;
    this.#inferred = inferred;
    this.#make = make;
    this.#generator = generator;
    // A throwaway layer checks every argument now, as torch's constructor does, and gives the config.
    const probe = make(probeSize, new Generator(0));
    const { [inferred]: _size, ...config } = probe.config();
    probe.dispose();
    this.#template = { ...config, type: lazyName };
  }

  /** The input size the layer is built for (the last axis, or the channel axis). */
  protected abstract inferSize(input: Tensor): number;

  /** Whether the parameters still wait for the first forward (torch's has_uninitialized_params). */
  hasUninitializedParameters(): boolean {
    return this.#layer === null;
  }

  /** The concrete layer built at the first forward (a Linear, Conv2d, ...), or null before it. */
  get materialized(): M | null {
    return this.#layer;
  }

  override get typeName(): string {
    return this.#layer?.typeName ?? this.#lazyName;
  }

  /** The built layer's weight (its Parameter); throws before the first forward, as parameters() does. */
  get weight(): M['weight'] {
    return this.built('weight').weight;
  }

  /** The built layer's bias (null without one); throws before the first forward, as parameters() does. */
  get bias(): M['bias'] {
    return this.built('bias').bias;
  }

  /** The built layer, or an error naming the field asked for and what to do. */
  protected built(field: string): M {
    if (this.#layer === null) throw new MyelinError(`${this.#lazyName}.${field}: ${this.pendingParameters!}`);
    return this.#layer;
  }

  protected override get pendingParameters(): string | null {
    return this.#layer === null
      ? `${this.#lazyName} creates its parameters at its first forward (it infers ${this.#inferred} from the input): run a forward on a sample batch first (torch's dry run), then build the optimizer`
      : null;
  }

  forward(input: Tensor, ...rest: Tensor[]): Tensor {
    const layer = this.#layer ?? this.initializeParameters(input);
    layer.training = this.training;
    return layer.forward(input, ...rest);
  }

  /** Builds the layer for `input`'s size without running it (torch's initialize_parameters); once only. */
  initializeParameters(input: Tensor): M {
    if (this.#layer !== null) return this.#layer;
    const layer = this.#make(this.inferSize(input), this.#generator);
    for (const [name, parameter] of layer.namedParameters()) this.registerParameter(name, parameter);
    for (const [name, buffer] of layer.namedBuffers()) this.registerBuffer(name, buffer);
    this.#layer = layer;
    return layer;
  }

  override config(): ModuleConfig {
    return this.#layer?.config() ?? { ...this.#template };
  }

  protected override extraRepr(): string {
    // A built layer prints as itself; extraRepr is protected on Module, so it is reached by name.
    if (this.#layer !== null) return (this.#layer as unknown as { extraRepr(): string }).extraRepr();
    const options = Object.entries(this.#template).filter(([key]) => key !== 'type');
    return [`${this.#inferred}=0`, ...options.map(([key, value]) => `${key}=${JSON.stringify(value)}`)].join(', ');
  }

  /** The size at `axis` of an input of one of `ranks`, else an error naming this layer and what it takes. */
  protected sizeAt(input: Tensor, ranks: readonly number[], axis: number, expected: string): number {
    if (!ranks.includes(input.rank))
      throw new ShapeError(`${this.#lazyName} got input of shape ${formatShape(input.shape)}: expected ${expected}`);
    return input.shape[axis < 0 ? input.rank + axis : axis]!;
  }
}

/** torch.nn.LazyLinear: a Linear whose inFeatures is the first input's last axis. */
export class LazyLinear extends LazyModule<Linear> {
  constructor(outFeatures: number, options: LinearOptions = {}) {
    const { generator, ...rest } = options;
    super('LazyLinear', 'inFeatures', (n, g) => new Linear(n, outFeatures, { ...rest, generator: g }), generator, 1);
  }

  protected inferSize(input: Tensor): number {
    return this.sizeAt(input, [...Array(9).keys()].slice(1), -1, 'at least one axis, features last');
  }
}

const SPATIAL_AXES = ['L', 'H, W', 'D, H, W'] as const;

type ConvOptions = { generator?: Generator; groups?: number };

/** The lazy convolutions: inChannels from axis 1 of a batched input or axis 0 of an unbatched one, as torch reads it. */
abstract class LazyConvolution<M extends WeightedLayer> extends LazyModule<M> {
  readonly #spatial: 1 | 2 | 3;

  protected constructor(
    name: string,
    spatial: 1 | 2 | 3,
    options: ConvOptions,
    make: (inChannels: number, options: ConvOptions) => M,
  ) {
    const { generator, ...rest } = options;
    // The probe's inChannels is groups when that is valid, so the layer's own check reports a bad one.
    const groups = rest.groups;
    const probe = typeof groups === 'number' && Number.isSafeInteger(groups) && groups >= 1 ? groups : 1;
    super(name, 'inChannels', (n, g) => make(n, { ...rest, generator: g }), generator, probe);
    this.#spatial = spatial;
  }

  protected inferSize(input: Tensor): number {
    const spatial = this.#spatial;
    const axes = SPATIAL_AXES[spatial - 1];
    return this.sizeAt(
      input,
      [spatial + 1, spatial + 2],
      input.rank === spatial + 2 ? 1 : 0,
      `[N, C, ${axes}] or [C, ${axes}]`,
    );
  }
}

/** torch.nn.LazyConv1d: a Conv1d whose inChannels is the first input's channel axis. */
export class LazyConv1d extends LazyConvolution<Conv1d> {
  constructor(outChannels: number, kernelSize: Size1d, options: Conv1dOptions = {}) {
    super('LazyConv1d', 1, options, (n, o) => new Conv1d(n, outChannels, kernelSize, o));
  }
}

/** torch.nn.LazyConv2d: a Conv2d whose inChannels is the first input's channel axis. */
export class LazyConv2d extends LazyConvolution<Conv2d> {
  constructor(outChannels: number, kernelSize: Size2d, options: Conv2dOptions = {}) {
    super('LazyConv2d', 2, options, (n, o) => new Conv2d(n, outChannels, kernelSize, o));
  }
}

/** torch.nn.LazyConv3d: a Conv3d whose inChannels is the first input's channel axis. */
export class LazyConv3d extends LazyConvolution<Conv3d> {
  constructor(outChannels: number, kernelSize: Size3d, options: Conv3dOptions = {}) {
    super('LazyConv3d', 3, options, (n, o) => new Conv3d(n, outChannels, kernelSize, o));
  }
}

/** torch.nn.LazyConvTranspose1d: a ConvTranspose1d whose inChannels is the first input's channel axis. */
export class LazyConvTranspose1d extends LazyConvolution<ConvTranspose1d> {
  constructor(outChannels: number, kernelSize: Size1d, options: ConvTranspose1dOptions = {}) {
    super('LazyConvTranspose1d', 1, options, (n, o) => new ConvTranspose1d(n, outChannels, kernelSize, o));
  }
}

/** torch.nn.LazyConvTranspose2d: a ConvTranspose2d whose inChannels is the first input's channel axis. */
export class LazyConvTranspose2d extends LazyConvolution<ConvTranspose2d> {
  constructor(outChannels: number, kernelSize: Size2d, options: ConvTranspose2dOptions = {}) {
    super('LazyConvTranspose2d', 2, options, (n, o) => new ConvTranspose2d(n, outChannels, kernelSize, o));
  }
}

/** torch.nn.LazyConvTranspose3d: a ConvTranspose3d whose inChannels is the first input's channel axis. */
export class LazyConvTranspose3d extends LazyConvolution<ConvTranspose3d> {
  constructor(outChannels: number, kernelSize: Size3d, options: ConvTranspose3dOptions = {}) {
    super('LazyConvTranspose3d', 3, options, (n, o) => new ConvTranspose3d(n, outChannels, kernelSize, o));
  }
}

const NORM_INPUTS: Readonly<Record<number, string>> = {
  2: '[N, C]',
  3: '[N, C, L]',
  4: '[N, C, H, W]',
  5: '[N, C, D, H, W]',
};

/** The lazy norms: numFeatures from axis 1, as torch's _LazyNormBase reads it (an unbatched input too). */
/** What a norm with running statistics (BatchNorm*, InstanceNorm*) has beside its weight and bias. */
interface RunningStatsLayer extends WeightedLayer {
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;
}

abstract class LazyNorm<M extends RunningStatsLayer> extends LazyModule<M> {
  readonly #ranks: readonly number[];

  protected constructor(name: string, ranks: readonly number[], make: (numFeatures: number) => M) {
    super(name, 'numFeatures', make, undefined, 1);
    this.#ranks = ranks;
  }

  /** The built norm's running mean (null without trackRunningStats); throws before the first forward. */
  get runningMean(): Tensor | null {
    return this.built('runningMean').runningMean;
  }

  /** The built norm's running variance (null without trackRunningStats); throws before the first forward. */
  get runningVar(): Tensor | null {
    return this.built('runningVar').runningVar;
  }

  /** The built norm's count of batches seen (null without trackRunningStats); throws before the first forward. */
  get numBatchesTracked(): Tensor | null {
    return this.built('numBatchesTracked').numBatchesTracked;
  }

  protected inferSize(input: Tensor): number {
    return this.sizeAt(input, this.#ranks, 1, this.#ranks.map((r) => NORM_INPUTS[r]).join(' or '));
  }
}

/** torch.nn.LazyBatchNorm1d: a BatchNorm1d whose numFeatures is the first input's axis 1. */
export class LazyBatchNorm1d extends LazyNorm<BatchNorm1d> {
  constructor(options: BatchNormOptions = {}) {
    super('LazyBatchNorm1d', [2, 3], (n) => new BatchNorm1d(n, options));
  }
}

/** torch.nn.LazyBatchNorm2d: a BatchNorm2d whose numFeatures is the first input's axis 1. */
export class LazyBatchNorm2d extends LazyNorm<BatchNorm2d> {
  constructor(options: BatchNormOptions = {}) {
    super('LazyBatchNorm2d', [4], (n) => new BatchNorm2d(n, options));
  }
}

/** torch.nn.LazyBatchNorm3d: a BatchNorm3d whose numFeatures is the first input's axis 1. */
export class LazyBatchNorm3d extends LazyNorm<BatchNorm3d> {
  constructor(options: BatchNormOptions = {}) {
    super('LazyBatchNorm3d', [5], (n) => new BatchNorm3d(n, options));
  }
}

/** torch.nn.LazyInstanceNorm1d: an InstanceNorm1d whose numFeatures is the first input's axis 1 ([N, C, L]). */
export class LazyInstanceNorm1d extends LazyNorm<InstanceNorm1d> {
  constructor(options: InstanceNormOptions = {}) {
    super('LazyInstanceNorm1d', [3], (n) => new InstanceNorm1d(n, options));
  }
}

/** torch.nn.LazyInstanceNorm2d: an InstanceNorm2d whose numFeatures is the first input's axis 1. */
export class LazyInstanceNorm2d extends LazyNorm<InstanceNorm2d> {
  constructor(options: InstanceNormOptions = {}) {
    super('LazyInstanceNorm2d', [4], (n) => new InstanceNorm2d(n, options));
  }
}

/** torch.nn.LazyInstanceNorm3d: an InstanceNorm3d whose numFeatures is the first input's axis 1. */
export class LazyInstanceNorm3d extends LazyNorm<InstanceNorm3d> {
  constructor(options: InstanceNormOptions = {}) {
    super('LazyInstanceNorm3d', [5], (n) => new InstanceNorm3d(n, options));
  }
}
