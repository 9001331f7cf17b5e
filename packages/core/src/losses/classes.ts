import { ArgumentError, BackendError, formatShape } from '../errors.js';
import { tensor } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import { Tensor, type NestedArray } from '../tensor/tensor.js';
import { binaryCrossEntropy, binaryCrossEntropyWithLogits } from './binary.js';
import { checkIgnoreIndex, crossEntropy, nllLoss } from './classification.js';
import { rejectUnknownKeys } from '../optim/validate.js';
import { checkBoolean } from '../nn/checks.js';
import { checkReduction, type Reduction } from './reduction.js';
import {
  finiteNumber,
  hingeEmbeddingLoss,
  multiLabelMarginLoss,
  multiLabelSoftMarginLoss,
  multiMarginLoss,
  softMarginLoss,
} from './margin.js';
import { THREE_INPUT_LOSS_TYPES } from './three-input.js';
import {
  KL_DIV_REDUCTIONS,
  checkBeta,
  huberLoss,
  klDivLoss,
  l1Loss,
  mseLoss,
  poissonNLLLoss,
  positive,
  smoothL1Loss,
  type KLDivReduction,
} from './regression.js';

/** A JSON-serialisable description of a loss: its class name and options. */
export type LossConfig = { type: string; [option: string]: unknown };

/**
 * What a loss compares: class indices ('classification'), one 0/1 value per output ('binary'),
 * or real values ('regression').
 */
export type LossTask = 'classification' | 'binary' | 'regression';

/**
 * A kind of target a loss takes: an int32 class index per sample ('class-index'), a 0/1 label or
 * probability per output ('binary'), a real value per output ('value'), a probability
 * distribution over the classes per sample ('distribution'), a -1 or 1 label per output
 * ('sign': HingeEmbeddingLoss, SoftMarginLoss), or a row of int32 class indices per sample
 * padded with -1 ('class-index-list': MultiLabelMarginLoss).
 */
export type LossTarget = 'class-index' | 'binary' | 'value' | 'distribution' | 'sign' | 'class-index-list';

/** What training loops and tools need to know about a loss without knowing its name. */
export interface LossInfo {
  readonly task: LossTask;
  /**
   * The target kinds it accepts, the one its task calls for first; a tool whose data gives none
   * of them refuses the loss (the CLI does).
   */
  readonly targets: readonly LossTarget[];
  /**
   * Whether the input is raw scores (logits): a binary prediction is then `input > 0` rather
   * than `input > 0.5`, and probabilities are its softmax or sigmoid. False for losses on
   * probabilities (BCELoss), log-probabilities (NLLLoss) or values (MSELoss).
   */
  readonly onLogits: boolean;
}

/** A loss object, for training loops and configs: `forward` returns the (reduced) loss. */
export interface Loss {
  forward(input: Tensor, target: Tensor): Tensor;
  config(): LossConfig;
  /** What the targets are; absent on a custom loss that does not say. */
  readonly task?: LossTask;
  /** Whether the input is logits (see LossInfo); absent means false. */
  readonly onLogits?: boolean;
  /** The target kinds it accepts (see LossInfo); absent on a custom loss that does not say. */
  readonly targets?: readonly LossTarget[];
}

/**
 * A weight option of a loss object: a tensor (which stays owned by the caller), or plain
 * numbers, made into a tensor on the input's backend and dtype at each call.
 */
export type WeightValues = Tensor | NestedArray;

abstract class ReducingLoss<R extends string = Reduction> implements Loss, LossInfo {
  readonly reduction: R;
  readonly task: LossTask;
  readonly onLogits: boolean;
  readonly targets: readonly LossTarget[];
  constructor(
    readonly type: string,
    options: { reduction?: R },
    reductions?: readonly R[],
  ) {
    // An option this loss does not have (PyTorch's label_smoothing, ignore_index) is an error, not ignored.
    const allowed = LOSS_TYPES[type]?.options;
    if (allowed !== undefined) rejectUnknownKeys(type, options ?? {}, allowed);
    this.reduction = checkReduction<R>(type, options.reduction, reductions);
    // Each class states its LossInfo once, as a static `info`; instances carry it too.
    ({
      task: this.task,
      onLogits: this.onLogits,
      targets: this.targets,
    } = (new.target as unknown as { info: LossInfo }).info);
  }
  abstract forward(input: Tensor, target: Tensor): Tensor;
  config(): LossConfig {
    return { type: this.type, reduction: this.reduction };
  }
}

export class MSELoss extends ReducingLoss {
  static readonly info: LossInfo = { task: 'regression', onLogits: false, targets: ['value'] };
  constructor(options: { reduction?: Reduction } = {}) {
    super('MSELoss', options);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

export class L1Loss extends ReducingLoss {
  static readonly info: LossInfo = { task: 'regression', onLogits: false, targets: ['value'] };
  constructor(options: { reduction?: Reduction } = {}) {
    super('L1Loss', options);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

export class BCELoss extends ReducingLoss {
  static readonly info: LossInfo = { task: 'binary', onLogits: false, targets: ['binary'] };
  readonly weight: WeightValues | undefined;
  constructor(options: { reduction?: Reduction; weight?: WeightValues } = {}) {
    super('BCELoss', options);
    this.weight = checkWeightValues(this.type, 'weight', options.weight);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return withWeights(input, [this.weight], ([weight]) =>
      binaryCrossEntropy(input, target, { reduction: this.reduction, weight }),
    );
  }
  override config(): LossConfig {
    return withSerialisedWeights(super.config(), { weight: this.weight });
  }
}

export class BCEWithLogitsLoss extends ReducingLoss {
  static readonly info: LossInfo = { task: 'binary', onLogits: true, targets: ['binary'] };
  readonly weight: WeightValues | undefined;
  readonly posWeight: WeightValues | undefined;
  constructor(options: { reduction?: Reduction; weight?: WeightValues; posWeight?: WeightValues } = {}) {
    super('BCEWithLogitsLoss', options);
    this.weight = checkWeightValues(this.type, 'weight', options.weight);
    this.posWeight = checkWeightValues(this.type, 'posWeight', options.posWeight);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return withWeights(input, [this.weight, this.posWeight], ([weight, posWeight]) =>
      binaryCrossEntropyWithLogits(input, target, { reduction: this.reduction, weight, posWeight }),
    );
  }
  override config(): LossConfig {
    return withSerialisedWeights(super.config(), { weight: this.weight, posWeight: this.posWeight });
  }
}

export class CrossEntropyLoss extends ReducingLoss {
  static readonly info: LossInfo = { task: 'classification', onLogits: true, targets: ['class-index', 'distribution'] };
  readonly weight: WeightValues | undefined;
  readonly labelSmoothing: number;
  /** PyTorch's ignore_index; undefined means its default -100, looked for only where targets are read on the host (see crossEntropy). */
  readonly ignoreIndex: number | undefined;
  constructor(
    options: { reduction?: Reduction; labelSmoothing?: number; weight?: WeightValues; ignoreIndex?: number } = {},
  ) {
    super('CrossEntropyLoss', options);
    this.weight = checkWeightValues(this.type, 'weight', options.weight);
    this.ignoreIndex = givenIgnoreIndex(this.type, options.ignoreIndex);
    this.labelSmoothing = options.labelSmoothing ?? 0;
    if (typeof this.labelSmoothing !== 'number' || !(this.labelSmoothing >= 0 && this.labelSmoothing < 1)) {
      throw new ArgumentError(
        `CrossEntropyLoss: labelSmoothing must be a number in [0, 1), got ${String(this.labelSmoothing)}`,
      );
    }
  }
  forward(input: Tensor, target: Tensor): Tensor {
    const { reduction, labelSmoothing, ignoreIndex } = this;
    return withWeights(input, [this.weight], ([weight]) =>
      crossEntropy(input, target, { reduction, labelSmoothing, weight, ...ignoring(ignoreIndex) }),
    );
  }
  override config(): LossConfig {
    return withSerialisedWeights(
      { ...super.config(), labelSmoothing: this.labelSmoothing, ...ignoring(this.ignoreIndex) },
      { weight: this.weight },
    );
  }
}

export class NLLLoss extends ReducingLoss {
  static readonly info: LossInfo = { task: 'classification', onLogits: false, targets: ['class-index'] };
  readonly weight: WeightValues | undefined;
  /** PyTorch's ignore_index; undefined means its default -100, looked for only where targets are read on the host (see nllLoss). */
  readonly ignoreIndex: number | undefined;
  constructor(options: { reduction?: Reduction; weight?: WeightValues; ignoreIndex?: number } = {}) {
    super('NLLLoss', options);
    this.weight = checkWeightValues(this.type, 'weight', options.weight);
    this.ignoreIndex = givenIgnoreIndex(this.type, options.ignoreIndex);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return withWeights(input, [this.weight], ([weight]) =>
      nllLoss(input, target, { reduction: this.reduction, weight, ...ignoring(this.ignoreIndex) }),
    );
  }
  override config(): LossConfig {
    return withSerialisedWeights({ ...super.config(), ...ignoring(this.ignoreIndex) }, { weight: this.weight });
  }
}

/** torch.nn.HuberLoss: quadratic below `delta` (default 1), linear above. */
export class HuberLoss extends ReducingLoss {
  static readonly info: LossInfo = { task: 'regression', onLogits: false, targets: ['value'] };
  readonly delta: number;
  constructor(options: { reduction?: Reduction; delta?: number } = {}) {
    super('HuberLoss', options);
    this.delta = positive(this.type, 'delta', options.delta ?? 1);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
  override config(): LossConfig {
    return { ...super.config(), delta: this.delta };
  }
}

/** torch.nn.SmoothL1Loss: Huber loss / beta (default 1); the L1 loss at beta 0. */
export class SmoothL1Loss extends ReducingLoss {
  static readonly info: LossInfo = { task: 'regression', onLogits: false, targets: ['value'] };
  readonly beta: number;
  constructor(options: { reduction?: Reduction; beta?: number } = {}) {
    super('SmoothL1Loss', options);
    this.beta = checkBeta(this.type, options.beta ?? 1);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
  override config(): LossConfig {
    return { ...super.config(), beta: this.beta };
  }
}

/**
 * torch.nn.KLDivLoss: the KL divergence of target distributions from the input's log-probabilities
 * (targets are probabilities, or log-probabilities with `logTarget`); 'batchmean' is the true KL.
 */
export class KLDivLoss extends ReducingLoss<KLDivReduction> {
  static readonly info: LossInfo = { task: 'regression', onLogits: false, targets: ['distribution'] };
  readonly logTarget: boolean;
  constructor(options: { reduction?: KLDivReduction; logTarget?: boolean } = {}) {
    super('KLDivLoss', options, KL_DIV_REDUCTIONS);
    this.logTarget = checkBoolean(`${this.type}: logTarget`, options.logTarget ?? false);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return klDivLoss(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
  override config(): LossConfig {
    return { ...super.config(), logTarget: this.logTarget };
  }
}

/** torch.nn.PoissonNLLLoss: counts as targets, the (log) rate as input. */
export class PoissonNLLLoss extends ReducingLoss {
  static readonly info: LossInfo = { task: 'regression', onLogits: false, targets: ['value'] };
  readonly logInput: boolean;
  readonly full: boolean;
  readonly eps: number;
  constructor(options: { reduction?: Reduction; logInput?: boolean; full?: boolean; eps?: number } = {}) {
    super('PoissonNLLLoss', options);
    this.logInput = checkBoolean(`${this.type}: logInput`, options.logInput ?? true);
    this.full = checkBoolean(`${this.type}: full`, options.full ?? false);
    this.eps = positive(this.type, 'eps', options.eps ?? 1e-8);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    const { reduction, logInput, full, eps } = this;
    return poissonNLLLoss(input, target, { reduction, logInput, full, eps });
  }
  override config(): LossConfig {
    return { ...super.config(), logInput: this.logInput, full: this.full, eps: this.eps };
  }
}

/**
 * torch.nn.HingeEmbeddingLoss: for an input that is a distance and -1/1 targets (1: similar),
 * the input where the target is 1 and max(0, margin - input) where it is -1 (`margin` default 1).
 * Its input is a distance, not a score: a prediction is `input < margin / 2` or similar, which
 * a training loop's binary metrics (threshold 0.5) do not know.
 */
export class HingeEmbeddingLoss extends ReducingLoss {
  static readonly info: LossInfo = { task: 'binary', onLogits: false, targets: ['sign'] };
  readonly margin: number;
  constructor(options: { reduction?: Reduction; margin?: number } = {}) {
    super('HingeEmbeddingLoss', options);
    this.margin = finiteNumber(this.type, 'margin', options.margin ?? 1);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return hingeEmbeddingLoss(input, target, { reduction: this.reduction, margin: this.margin });
  }
  override config(): LossConfig {
    return { ...super.config(), margin: this.margin };
  }
}

/** torch.nn.SoftMarginLoss: log(1 + exp(-target * input)), the logistic loss on -1/1 targets. */
export class SoftMarginLoss extends ReducingLoss {
  static readonly info: LossInfo = { task: 'binary', onLogits: true, targets: ['sign'] };
  constructor(options: { reduction?: Reduction } = {}) {
    super('SoftMarginLoss', options);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return softMarginLoss(input, target, { reduction: this.reduction });
  }
}

/**
 * torch.nn.MultiLabelSoftMarginLoss: scores [N,C] against 0/1 per class, the logistic loss
 * averaged over the classes of a sample; `weight` one per class.
 */
export class MultiLabelSoftMarginLoss extends ReducingLoss {
  static readonly info: LossInfo = { task: 'binary', onLogits: true, targets: ['binary'] };
  readonly weight: WeightValues | undefined;
  constructor(options: { reduction?: Reduction; weight?: WeightValues } = {}) {
    super('MultiLabelSoftMarginLoss', options);
    this.weight = checkWeightValues(this.type, 'weight', options.weight);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return withWeights(input, [this.weight], ([weight]) =>
      multiLabelSoftMarginLoss(input, target, { reduction: this.reduction, weight }),
    );
  }
  override config(): LossConfig {
    return withSerialisedWeights(super.config(), { weight: this.weight });
  }
}

/**
 * torch.nn.MultiMarginLoss: the multi-class hinge loss of scores [N,C] at int32 class indices
 * [N]; `p` 1 (default) or 2, `margin` (default 1), `weight` one per class.
 */
export class MultiMarginLoss extends ReducingLoss {
  static readonly info: LossInfo = { task: 'classification', onLogits: true, targets: ['class-index'] };
  readonly p: 1 | 2;
  readonly margin: number;
  readonly weight: WeightValues | undefined;
  constructor(options: { reduction?: Reduction; p?: 1 | 2; margin?: number; weight?: WeightValues } = {}) {
    super('MultiMarginLoss', options);
    this.p = options.p ?? 1;
    if (this.p !== 1 && this.p !== 2)
      throw new ArgumentError(`${this.type}: p must be 1 or 2, got ${describe(this.p)}`);
    this.margin = finiteNumber(this.type, 'margin', options.margin ?? 1);
    this.weight = checkWeightValues(this.type, 'weight', options.weight);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    const { reduction, p, margin } = this;
    return withWeights(input, [this.weight], ([weight]) =>
      multiMarginLoss(input, target, { reduction, p, margin, weight }),
    );
  }
  override config(): LossConfig {
    return withSerialisedWeights({ ...super.config(), p: this.p, margin: this.margin }, { weight: this.weight });
  }
}

/**
 * torch.nn.MultiLabelMarginLoss: scores [N,C] against rows of int32 class indices [N,C], each
 * ending at its first -1; every listed class should score 1 above every class not listed.
 */
export class MultiLabelMarginLoss extends ReducingLoss {
  static readonly info: LossInfo = { task: 'classification', onLogits: true, targets: ['class-index-list'] };
  constructor(options: { reduction?: Reduction } = {}) {
    super('MultiLabelMarginLoss', options);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return multiLabelMarginLoss(input, target, { reduction: this.reduction });
  }
}

// Options from JSON are unknown values: each constructor validates its own.
type LossClass = (new (options: never) => Loss) & { readonly info: LossInfo };

/** Each type with the options its config may carry (beyond `type`). */
const LOSS_TYPES: Record<string, { options: readonly string[]; LossClass: LossClass }> = {
  MSELoss: { options: ['reduction'], LossClass: MSELoss },
  L1Loss: { options: ['reduction'], LossClass: L1Loss },
  BCELoss: { options: ['reduction', 'weight'], LossClass: BCELoss },
  BCEWithLogitsLoss: { options: ['reduction', 'weight', 'posWeight'], LossClass: BCEWithLogitsLoss },
  CrossEntropyLoss: {
    options: ['reduction', 'labelSmoothing', 'weight', 'ignoreIndex'],
    LossClass: CrossEntropyLoss,
  },
  NLLLoss: { options: ['reduction', 'weight', 'ignoreIndex'], LossClass: NLLLoss },
  HuberLoss: { options: ['reduction', 'delta'], LossClass: HuberLoss },
  SmoothL1Loss: { options: ['reduction', 'beta'], LossClass: SmoothL1Loss },
  KLDivLoss: { options: ['reduction', 'logTarget'], LossClass: KLDivLoss },
  PoissonNLLLoss: { options: ['reduction', 'logInput', 'full', 'eps'], LossClass: PoissonNLLLoss },
  HingeEmbeddingLoss: { options: ['reduction', 'margin'], LossClass: HingeEmbeddingLoss },
  SoftMarginLoss: { options: ['reduction'], LossClass: SoftMarginLoss },
  MultiLabelSoftMarginLoss: { options: ['reduction', 'weight'], LossClass: MultiLabelSoftMarginLoss },
  MultiMarginLoss: { options: ['reduction', 'p', 'margin', 'weight'], LossClass: MultiMarginLoss },
  MultiLabelMarginLoss: { options: ['reduction'], LossClass: MultiLabelMarginLoss },
};

/** The built-in loss type a name means, case-insensitively like lossFromConfig. */
function lossTypeNamed(type: unknown): string | undefined {
  if (typeof type !== 'string') return undefined;
  return Object.keys(LOSS_TYPES).find((name) => name.toLowerCase() === type.toLowerCase());
}

/**
 * What a built-in loss type (a name or a config, as lossFromConfig takes) compares and whether
 * it takes logits, without building it; undefined for an unknown type.
 */
export function lossInfo(type: string | LossConfig): LossInfo | undefined {
  const name = lossTypeNamed(typeof type === 'string' ? type : type?.type);
  return name === undefined ? undefined : LOSS_TYPES[name]!.LossClass.info;
}

/** Rebuilds a loss from `loss.config()` (or a hand-written config such as `{ type: 'CrossEntropyLoss' }`). */
export function lossFromConfig(config: LossConfig): Loss {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ArgumentError(`lossFromConfig: expected an object like { type: 'MSELoss' }, got ${describe(config)}`);
  }
  const known = Object.keys(LOSS_TYPES).join(', ');
  // Case-insensitive like optimizerFromConfig and schedulerFromConfig: 'crossentropyloss' works too.
  const typeName = lossTypeNamed(config.type);
  const entry = typeName === undefined ? undefined : LOSS_TYPES[typeName];
  const threeInput =
    typeof config.type === 'string'
      ? Object.keys(THREE_INPUT_LOSS_TYPES).find((name) => name.toLowerCase() === String(config.type).toLowerCase())
      : undefined;
  if (threeInput !== undefined) {
    throw new ArgumentError(
      `lossFromConfig: ${threeInput} takes three tensors (${THREE_INPUT_LOSS_TYPES[threeInput]!.forward}), not (input, target), so it cannot fill a training loop's loss slot; build it with threeInputLossFromConfig and call it in your own step`,
    );
  }
  if (entry === undefined)
    throw new ArgumentError(`lossFromConfig: unknown loss type ${describe(config.type)} (known types: ${known})`);
  const { type: _type, ...options } = config;
  const type = typeName;
  for (const key of Object.keys(options)) {
    if (!entry.options.includes(key)) {
      throw new ArgumentError(
        `lossFromConfig: ${type} has no option '${key}' (its options: ${entry.options.join(', ')})`,
      );
    }
  }
  return new entry.LossClass(options as never);
}

/** An ignoreIndex option as given (checked), or undefined: the default stays implicit, as it is looked for differently. */
function givenIgnoreIndex(owner: string, value: unknown): number | undefined {
  return value === undefined ? undefined : checkIgnoreIndex(owner, value);
}

/** `{ ignoreIndex }` when one was given, else nothing (for options and configs). */
const ignoring = (ignoreIndex: number | undefined): { ignoreIndex?: number } =>
  ignoreIndex === undefined ? {} : { ignoreIndex };

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value));
}

/** Checks a weight option: a float tensor is kept as it is; numbers must form a rectangular array. */
function checkWeightValues(owner: string, role: string, value: unknown): WeightValues | undefined {
  if (value === undefined || value instanceof Tensor) return value;
  nestedShape(`${owner}: ${role}`, value);
  return value as NestedArray;
}

/** The shape of a rectangular nested array of finite numbers, or an error saying where it is not. */
function nestedShape(what: string, value: unknown, path = ''): number[] {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ArgumentError(`${what}: expected finite numbers, got ${value} at [${path}]`);
    return [];
  }
  if (!Array.isArray(value))
    throw new ArgumentError(
      `${what}: expected a tensor or (nested) arrays of numbers, got ${describe(value)}${path ? ` at [${path}]` : ''}`,
    );
  const shapes = value.map((item, i) => nestedShape(what, item, path ? `${path},${i}` : `${i}`));
  const first = shapes[0] ?? [];
  shapes.forEach((shape, i) => {
    if (shape.length !== first.length || shape.some((d, j) => d !== first[j])) {
      throw new ArgumentError(
        `${what}: ragged array: item ${i}${path ? ` of [${path}]` : ''} has shape ${formatShape(shape)}, item 0 has ${formatShape(first)}`,
      );
    }
  });
  return [value.length, ...first];
}

/** Calls `run` with the weights as tensors; those made from numbers live on the input's backend in its dtype. */
function withWeights(
  input: Tensor,
  values: readonly (WeightValues | undefined)[],
  run: (weights: (Tensor | undefined)[]) => Tensor,
): Tensor {
  return composite(() =>
    run(
      values.map((value) =>
        value === undefined || value instanceof Tensor
          ? value
          : tensor(value, { dtype: input.dtype, backend: input.backend }),
      ),
    ),
  );
}

/** Adds the weight options to a config as nested arrays (tensors are read on the host). */
function withSerialisedWeights(config: LossConfig, weights: Record<string, WeightValues | undefined>): LossConfig {
  const result: LossConfig = { ...config };
  for (const [key, value] of Object.entries(weights)) {
    if (value === undefined) continue;
    result[key] = value instanceof Tensor ? tensorToNested(config.type, key, value) : structuredClone(value);
  }
  return result;
}

function tensorToNested(owner: string, key: string, value: Tensor): NestedArray {
  if (!value.backend.readSync) {
    throw new BackendError(
      `${owner}.config(): the ${key} tensor lives on backend '${value.backend.name}', which only reads asynchronously; pass the ${key} as an array of numbers to make the loss serialisable`,
    );
  }
  const flat = Array.from(value.dataSync());
  let offset = 0;
  const build = (axis: number): NestedArray => {
    if (axis === value.rank) return flat[offset++]!;
    return Array.from({ length: value.shape[axis]! }, () => build(axis + 1));
  };
  return build(0);
}
