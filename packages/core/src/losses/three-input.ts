import { ArgumentError, MyelinError } from '../errors.js';
import { checkBoolean } from '../nn/checks.js';
import { checkNormOrder } from '../ops/distance.js';
import { rejectUnknownKeys } from '../optim/validate.js';
import type { Tensor } from '../tensor/tensor.js';
import type { LossConfig } from './classes.js';
import { finiteNumber } from './margin.js';
import { cosineEmbeddingLoss, marginRankingLoss, tripletMarginLoss } from './pairwise.js';
import { checkReduction, type Reduction } from './reduction.js';
import { gaussianNLLLoss, positive } from './regression.js';
import {
  tripletDistanceOptions,
  tripletMarginWithDistanceLoss,
  type DistanceFunction,
  type TripletMarginWithDistanceLossOptions,
} from './triplet-distance.js';

// PyTorch's losses of three tensors. A training loop's loss slot (fit's `loss`, the Loss
// interface) calls forward(input, target): these take a third tensor, so they are not Loss
// objects and lossFromConfig refuses their names. They have config() and threeInputLossFromConfig
// all the same, for a custom step that saves what it trained with.

/** A loss of three tensors: GaussianNLLLoss, CosineEmbeddingLoss, MarginRankingLoss, TripletMarginLoss. */
export interface ThreeInputLoss {
  forward(first: Tensor, second: Tensor, third: Tensor): Tensor;
  config(): LossConfig;
}

abstract class ThreeInputReducingLoss implements ThreeInputLoss {
  readonly reduction: Reduction;
  constructor(
    readonly type: string,
    options: { reduction?: Reduction },
  ) {
    rejectUnknownKeys(type, options ?? {}, THREE_INPUT_LOSS_TYPES[type]!.options);
    this.reduction = checkReduction(type, options.reduction);
  }
  abstract forward(first: Tensor, second: Tensor, third: Tensor): Tensor;
  config(): LossConfig {
    return { type: this.type, reduction: this.reduction };
  }
}

/**
 * torch.nn.GaussianNLLLoss: `forward(input, target, variance)`, the negative log-likelihood of
 * the target under Gaussians of mean `input`; `full` adds log(2 pi) / 2, `eps` (default 1e-6)
 * bounds the variance below. See gaussianNLLLoss for the variance's shapes. Three tensors: not
 * for fit's loss slot (see ThreeInputLoss).
 */
export class GaussianNLLLoss extends ThreeInputReducingLoss {
  readonly full: boolean;
  readonly eps: number;
  constructor(options: { reduction?: Reduction; full?: boolean; eps?: number } = {}) {
    super('GaussianNLLLoss', options);
    this.full = checkBoolean(`${this.type}: full`, options.full ?? false);
    this.eps = positive(this.type, 'eps', options.eps ?? 1e-6);
  }
  forward(input: Tensor, target: Tensor, variance: Tensor): Tensor {
    return gaussianNLLLoss(input, target, variance, { reduction: this.reduction, full: this.full, eps: this.eps });
  }
  override config(): LossConfig {
    return { ...super.config(), full: this.full, eps: this.eps };
  }
}

/**
 * torch.nn.CosineEmbeddingLoss: `forward(x1, x2, target)` with -1/1 targets, 1 - cos(x1, x2) for
 * similar pairs and max(0, cos - margin) for dissimilar ones (`margin` default 0). Three
 * tensors: not for fit's loss slot (see ThreeInputLoss).
 */
export class CosineEmbeddingLoss extends ThreeInputReducingLoss {
  readonly margin: number;
  constructor(options: { reduction?: Reduction; margin?: number } = {}) {
    super('CosineEmbeddingLoss', options);
    this.margin = finiteNumber(this.type, 'margin', options.margin ?? 0);
  }
  forward(x1: Tensor, x2: Tensor, target: Tensor): Tensor {
    return cosineEmbeddingLoss(x1, x2, target, { reduction: this.reduction, margin: this.margin });
  }
  override config(): LossConfig {
    return { ...super.config(), margin: this.margin };
  }
}

/**
 * torch.nn.MarginRankingLoss: `forward(x1, x2, target)`, max(0, -target (x1 - x2) + margin)
 * (`margin` default 0; target 1: x1 should rank higher). Three tensors: not for fit's loss slot
 * (see ThreeInputLoss).
 */
export class MarginRankingLoss extends ThreeInputReducingLoss {
  readonly margin: number;
  constructor(options: { reduction?: Reduction; margin?: number } = {}) {
    super('MarginRankingLoss', options);
    this.margin = finiteNumber(this.type, 'margin', options.margin ?? 0);
  }
  forward(x1: Tensor, x2: Tensor, target: Tensor): Tensor {
    return marginRankingLoss(x1, x2, target, { reduction: this.reduction, margin: this.margin });
  }
  override config(): LossConfig {
    return { ...super.config(), margin: this.margin };
  }
}

/**
 * torch.nn.TripletMarginLoss: `forward(anchor, positive, negative)`, max(0, margin + d(anchor,
 * positive) - d(anchor, negative)) with the pairwise p-distance; `margin` 1, `p` 2, `eps` 1e-6
 * and `swap` false by default. Three tensors: not for fit's loss slot (see ThreeInputLoss).
 */
export class TripletMarginLoss extends ThreeInputReducingLoss {
  readonly margin: number;
  readonly p: number;
  readonly eps: number;
  readonly swap: boolean;
  constructor(options: { reduction?: Reduction; margin?: number; p?: number; eps?: number; swap?: boolean } = {}) {
    super('TripletMarginLoss', options);
    this.margin = finiteNumber(this.type, 'margin', options.margin ?? 1);
    this.p = checkNormOrder(this.type, options.p ?? 2);
    this.eps = finiteNumber(this.type, 'eps', options.eps ?? 1e-6);
    this.swap = checkBoolean(`${this.type}: swap`, options.swap ?? false);
  }
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    const { reduction, margin, p, eps, swap } = this;
    return tripletMarginLoss(anchor, positive, negative, { reduction, margin, p, eps, swap });
  }
  override config(): LossConfig {
    return { ...super.config(), margin: this.margin, p: this.p, eps: this.eps, swap: this.swap };
  }
}

/**
 * torch.nn.TripletMarginWithDistanceLoss: `forward(anchor, positive, negative)`, the triplet
 * margin loss with any `distanceFunction` (default pairwiseDistance); `margin` 1, `swap` false.
 * Its config covers the default distance only (a function is not JSON).
 */
export class TripletMarginWithDistanceLoss extends ThreeInputReducingLoss {
  readonly margin: number;
  readonly swap: boolean;
  readonly distanceFunction: DistanceFunction | null;
  constructor(options: TripletMarginWithDistanceLossOptions = {}) {
    super('TripletMarginWithDistanceLoss', options);
    ({
      margin: this.margin,
      swap: this.swap,
      distanceFunction: this.distanceFunction,
    } = tripletDistanceOptions(this.type, options));
  }
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    const { reduction, margin, swap, distanceFunction } = this;
    return tripletMarginWithDistanceLoss(anchor, positive, negative, { reduction, margin, swap, distanceFunction });
  }
  override config(): LossConfig {
    if (this.distanceFunction !== null)
      throw new MyelinError(
        `${this.type}: a custom distanceFunction cannot be saved in a config (it is code); rebuild the loss with it after loading`,
      );
    return { ...super.config(), margin: this.margin, swap: this.swap };
  }
}

type ThreeInputLossClass = new (options: never) => ThreeInputLoss;

/** Each three-input type: its options, what forward takes (for messages) and its class. */
export const THREE_INPUT_LOSS_TYPES: Record<
  string,
  { options: readonly string[]; forward: string; LossClass: ThreeInputLossClass }
> = {
  GaussianNLLLoss: {
    options: ['reduction', 'full', 'eps'],
    forward: 'forward(input, target, variance)',
    LossClass: GaussianNLLLoss,
  },
  CosineEmbeddingLoss: {
    options: ['reduction', 'margin'],
    forward: 'forward(x1, x2, target)',
    LossClass: CosineEmbeddingLoss,
  },
  MarginRankingLoss: {
    options: ['reduction', 'margin'],
    forward: 'forward(x1, x2, target)',
    LossClass: MarginRankingLoss,
  },
  TripletMarginLoss: {
    options: ['reduction', 'margin', 'p', 'eps', 'swap'],
    forward: 'forward(anchor, positive, negative)',
    LossClass: TripletMarginLoss,
  },
  TripletMarginWithDistanceLoss: {
    options: ['reduction', 'distanceFunction', 'margin', 'swap'],
    forward: 'forward(anchor, positive, negative)',
    LossClass: TripletMarginWithDistanceLoss,
  },
};

/** The built-in three-input loss type a name means (case-insensitively), or undefined. */
function threeInputTypeNamed(type: unknown): string | undefined {
  if (typeof type !== 'string') return undefined;
  return Object.keys(THREE_INPUT_LOSS_TYPES).find((name) => name.toLowerCase() === type.toLowerCase());
}

/**
 * For a built-in loss of three tensors (GaussianNLLLoss, CosineEmbeddingLoss, MarginRankingLoss,
 * TripletMarginLoss; case-insensitive), what its forward takes, e.g. 'forward(anchor, positive,
 * negative)'; undefined for any other name. Such a loss cannot be `fit`'s (input, target) loss.
 */
export function threeInputLossInfo(type: string): { forward: string } | undefined {
  const name = threeInputTypeNamed(type);
  return name === undefined ? undefined : { forward: THREE_INPUT_LOSS_TYPES[name]!.forward };
}

/**
 * Rebuilds a three-input loss from its `config()` (or `{ type: 'TripletMarginLoss', margin: 0.5 }`);
 * the type is case-insensitive, like lossFromConfig's.
 */
export function threeInputLossFromConfig(config: LossConfig): ThreeInputLoss {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ArgumentError(
      `threeInputLossFromConfig: expected an object like { type: 'TripletMarginLoss' }, got ${JSON.stringify(config) ?? String(config)}`,
    );
  }
  const known = Object.keys(THREE_INPUT_LOSS_TYPES);
  const type = threeInputTypeNamed(config.type);
  if (type === undefined) {
    throw new ArgumentError(
      `threeInputLossFromConfig: unknown three-input loss type ${JSON.stringify(config.type) ?? String(config.type)} (known types: ${known.join(', ')}; losses of (input, target) are built by lossFromConfig)`,
    );
  }
  const entry = THREE_INPUT_LOSS_TYPES[type]!;
  const { type: _type, ...options } = config;
  for (const key of Object.keys(options)) {
    if (!entry.options.includes(key))
      throw new ArgumentError(
        `threeInputLossFromConfig: ${type} has no option '${key}' (its options: ${entry.options.join(', ')})`,
      );
  }
  return new entry.LossClass(options as never);
}
