import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { lossFromConfig, type Loss } from '../losses/classes.js';
import { cast, notEqual, where } from '../ops/elementwise.js';
import { gather } from '../ops/movement.js';
import { fromHost } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import type { LossLike } from './types.js';

/** Keras' class_weight: a weight per class index, as an array or an object keyed by index. */
export type ClassWeight = readonly number[] | Readonly<Record<number, number>>;

/** The weights as a dense array indexed by class, checked: finite, >= 0, no class left out. */
function classWeightValues(classWeight: unknown): number[] {
  const seen = JSON.stringify(classWeight) ?? String(classWeight);
  const allowed =
    'allowed: an array of weights >= 0 indexed by class, or an object {classIndex: weight} naming every class 0..n-1';
  let values: unknown[];
  if (Array.isArray(classWeight)) values = classWeight;
  else if (typeof classWeight === 'object' && classWeight !== null) {
    const keys = Object.keys(classWeight);
    if (keys.some((key) => !/^(0|[1-9]\d*)$/.test(key)))
      throw new ArgumentError(`fit: classWeight keys must be class indices 0, 1, ..., got ${seen}; ${allowed}`);
    values = Array.from({ length: keys.length === 0 ? 0 : Math.max(...keys.map(Number)) + 1 }, (_, index) =>
      index in classWeight ? (classWeight as Record<number, unknown>)[index] : undefined,
    );
    const missing = values.findIndex((value) => value === undefined);
    if (missing >= 0)
      throw new ArgumentError(`fit: classWeight has no weight for class ${missing} in ${seen}; ${allowed}`);
  } else throw new ArgumentError(`fit: classWeight must be an array or an object, got ${seen}; ${allowed}`);
  if (values.length === 0) throw new ArgumentError(`fit: classWeight is empty; ${allowed}`);
  const bad = values.findIndex((value) => typeof value !== 'number' || !Number.isFinite(value) || value < 0);
  if (bad >= 0) throw new ArgumentError(`fit: classWeight[${bad}] is ${String(values[bad])} in ${seen}; ${allowed}`);
  return values as number[];
}

/** The losses whose class-index targets may hold an ignoreIndex (default -100). */
const IGNORING_LOSSES: ReadonlySet<string> = new Set(['CrossEntropyLoss', 'NLLLoss']);

/**
 * The training loss with each sample's (or element's) loss multiplied by its class's weight,
 * reduced like Keras' sum_over_batch_size: sum(weight * loss) / count for a 'mean' loss (so
 * unlike PyTorch's CrossEntropyLoss({ weight }), which divides by the sum of the weights), and
 * sum(weight * loss) for a 'sum' loss. Built from the loss's config with reduction 'none', so it
 * needs a loss object with config() whose targets are classes: int32 class indices, or 0/1
 * labels of a binary loss (a label y weighs w0 + (w1 - w0) * y: exactly w0 or w1 for 0/1).
 * Targets equal to CrossEntropyLoss's or NLLLoss's ignoreIndex weigh 0 and leave the mean's count.
 */
export function classWeightedLoss(
  loss: LossLike,
  classWeight: unknown,
): { forward(input: Tensor, target: Tensor): Tensor; readonly onLogits?: boolean } {
  const weights = classWeightValues(classWeight);
  const described = typeof loss === 'function' ? 'a loss function' : (loss.config?.().type ?? 'a custom loss object');
  const info = loss as Partial<Loss>;
  if (typeof loss === 'function' || typeof info.config !== 'function' || info.task === undefined)
    throw new ArgumentError(
      `fit: classWeight needs a loss object of the library (with config() and a task) to compute per-sample losses, got ${described}; allowed: a classification or binary loss such as CrossEntropyLoss, NLLLoss, BCEWithLogitsLoss`,
    );
  const config = info.config();
  if (info.task === 'regression')
    throw new ArgumentError(
      `fit: classWeight weighs samples by their class, but ${config.type} is a regression loss whose targets are not classes; allowed: a classification or binary loss`,
    );
  const reduction = config.reduction;
  if (reduction !== 'mean' && reduction !== 'sum')
    throw new ArgumentError(
      `fit: classWeight needs a loss reduced to one number, got ${config.type} with reduction ${String(reduction)}; allowed: reduction 'mean' or 'sum'`,
    );
  if (info.task === 'binary' && weights.length !== 2)
    throw new ArgumentError(
      `fit: classWeight for the binary loss ${config.type} must have 2 weights (classes 0 and 1), got ${weights.length}`,
    );
  const perElement = lossFromConfig({ ...config, reduction: 'none' });
  // A target equal to the loss's ignoreIndex (CrossEntropyLoss, NLLLoss: -100 by default) has
  // no class: its weight is 0 and a 'mean' counts only the others, as the loss's own mean does.
  const ignoreIndex = IGNORING_LOSSES.has(config.type)
    ? typeof config.ignoreIndex === 'number'
      ? config.ignoreIndex
      : -100
    : undefined;
  const forward = (input: Tensor, target: Tensor): Tensor => {
    const losses = perElement.forward(input, target);
    let weight: Tensor;
    let kept: Tensor | undefined;
    if (target.dtype === 'int32') {
      // Class indices: the class axis is axis 1 (axis 0 for one unbatched sample), as in CrossEntropyLoss.
      const classes = input.rank >= 2 ? input.shape[1]! : input.shape[0]!;
      if (info.task === 'classification' && classes !== weights.length)
        throw new ShapeError(
          `fit: classWeight has ${weights.length} weights but the model outputs ${classes} classes (input shape ${formatShape(input.shape)}); allowed: one weight per class`,
        );
      const table = fromHost(weights, [weights.length], { backend: input.backend, dtype: losses.dtype });
      if (ignoreIndex === undefined) weight = gather(table, target);
      else {
        kept = notEqual(target, ignoreIndex);
        weight = where(kept, gather(table, where(kept, target, 0)), 0);
      }
    } else if (info.task === 'binary') {
      weight = target.mul(weights[1]! - weights[0]!).add(weights[0]!);
    } else {
      throw new DTypeError(
        `fit: classWeight needs class-index (int32) targets for ${config.type}, got ${target.dtype} targets of shape ${formatShape(target.shape)} (probabilities or one-hot rows have no single class); allowed: int32 class indices`,
      );
    }
    if (formatShape(weight.shape) !== formatShape(losses.shape))
      throw new ShapeError(
        `fit: classWeight needs one class per loss value: ${config.type} gives losses of shape ${formatShape(losses.shape)} for targets of shape ${formatShape(target.shape)}`,
      );
    const total = losses.mul(weight).sum();
    if (reduction === 'sum') return total;
    return total.div(kept === undefined ? Math.max(losses.size, 1) : cast(kept, losses.dtype).sum());
  };
  return { forward, ...(info.onLogits ? { onLogits: true } : {}) };
}
