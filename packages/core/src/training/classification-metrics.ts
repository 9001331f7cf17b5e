import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { arange, tensor } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { cast, equal, greater } from '../ops/elementwise.js';
import { concat } from '../ops/movement.js';
import { predictedClasses, targetClasses, type AccumulatingMetric } from './metrics.js';

/**
 * How per-class scores become one number: 'macro' is their plain mean over the classes seen in
 * the targets or the predictions (scikit-learn's and torchmetrics' rule), 'micro' pools the
 * counts of all classes, 'weighted' weighs each class by its number of targets.
 */
export type ClassAverage = 'macro' | 'micro' | 'weighted';

export interface ClassificationMetricOptions {
  /** Multi-class outputs only (default 'macro'); a single-column output reports its positive class. */
  average?: ClassAverage;
  /** For single-column outputs: 0.5 for probabilities, 0 for logits (fit picks it from the loss). */
  threshold?: number;
  /** The key in logs (default the kind, with `_micro` / `_weighted` for those averages). */
  name?: string;
}

type Score = 'precision' | 'recall' | 'f1';

/** One-hot rows (float32) of integer classes, with no host-side bounds check (no read-back per step). */
function oneHotRows(classes: Tensor, count: number): Tensor {
  return cast(equal(classes.reshape([-1, 1]), arange(count, { dtype: 'int32', backend: classes.backend })), 'float32');
}

/**
 * Per class: true positives, predictions, targets (3 x classes numbers). A single-column output
 * is two classes, 0 and 1, split at `threshold`.
 */
function classCounts(output: Tensor, target: Tensor, threshold: number, metric: string): Tensor {
  return composite(() => {
    const columns = output.shape[output.rank - 1] ?? 1;
    const classes = columns === 1 ? 2 : columns;
    const predicted = oneHotRows(predictedClasses(output, threshold), classes);
    const actual = oneHotRows(targetClasses(output, target, metric), classes);
    return concat([predicted.mul(actual).sum(0), predicted.sum(0), actual.sum(0)], 0);
  });
}

/** scikit-learn's zero_division=0: a score whose denominator is 0 is 0. */
function score(kind: Score, truePositives: number, predicted: number, actual: number): number {
  const denominator = kind === 'precision' ? predicted : kind === 'recall' ? actual : predicted + actual;
  if (denominator === 0) return 0;
  return ((kind === 'f1' ? 2 : 1) * truePositives) / denominator;
}

function averaged(kind: Score, totals: readonly number[], average: ClassAverage): number {
  const classes = totals.length / 3;
  const tp = totals.slice(0, classes);
  const predicted = totals.slice(classes, 2 * classes);
  const actual = totals.slice(2 * classes);
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  if (average === 'micro') return score(kind, sum(tp), sum(predicted), sum(actual));
  let total = 0;
  let weights = 0;
  for (let c = 0; c < classes; c++) {
    // Macro: classes never seen as a target nor a prediction are not labels of the data.
    const weight = average === 'weighted' ? actual[c]! : predicted[c]! + actual[c]! > 0 ? 1 : 0;
    total += weight * score(kind, tp[c]!, predicted[c]!, actual[c]!);
    weights += weight;
  }
  return weights === 0 ? 0 : total / weights;
}

function classificationMetric(kind: Score, options: ClassificationMetricOptions): AccumulatingMetric {
  const average = options.average ?? 'macro';
  if (!['macro', 'micro', 'weighted'].includes(average))
    throw new ArgumentError(`${kind}: average must be 'macro', 'micro' or 'weighted', got '${String(average)}'`);
  const threshold = options.threshold ?? 0.5;
  const name = options.name ?? (average === 'macro' ? kind : `${kind}_${average}`);
  let binary = false;
  return {
    name,
    batchStats: (output, target) => {
      binary = output.shape[output.rank - 1] === 1;
      return classCounts(output, target, threshold, name);
    },
    // A single column is the positive class's score (scikit-learn's average='binary', Keras' Precision).
    result: (totals) => (binary ? score(kind, totals[1]!, totals[3]!, totals[5]!) : averaged(kind, totals, average)),
  };
}

/** Precision, tp / (tp + fp), per class and averaged (`average`, default macro); 0 where nothing was predicted. */
export function precision(options: ClassificationMetricOptions = {}): AccumulatingMetric {
  return classificationMetric('precision', options);
}

/** Recall, tp / (tp + fn), per class and averaged (`average`, default macro); 0 for a class with no targets. */
export function recall(options: ClassificationMetricOptions = {}): AccumulatingMetric {
  return classificationMetric('recall', options);
}

/** F1, 2 tp / (2 tp + fp + fn), per class and averaged (`average`, default macro); 0 where undefined. */
export function f1(options: ClassificationMetricOptions = {}): AccumulatingMetric {
  return classificationMetric('f1', options);
}

export interface AucOptions {
  /** Thresholds of the ROC curve (default 200, as Keras' AUC). */
  thresholds?: number;
  /** Outputs are logits: a sigmoid maps them to probabilities first (fit sets it for BCE-with-logits). */
  fromLogits?: boolean;
  name?: string;
}

/**
 * ROC AUC of a binary classifier with one output column, computed as Keras' AUC does: true and
 * false positives counted at `thresholds` evenly spaced probabilities (plus one just below 0 and
 * one just above 1), the curve integrated by the trapezoid rule. It is an approximation of the
 * exact AUC: pairs of a positive and a negative whose scores fall between the same two
 * thresholds count as ties (half). 0 while the targets hold only one class (as Keras and
 * torchmetrics report).
 */
export function auc(options: AucOptions = {}): AccumulatingMetric {
  const count = options.thresholds ?? 200;
  if (!Number.isInteger(count) || count < 3)
    throw new ArgumentError(`auc: thresholds must be an integer >= 3, got ${count}`);
  const epsilon = 1e-7;
  const thresholds = Float32Array.from([
    -epsilon,
    ...Array.from({ length: count - 2 }, (_, i) => (i + 1) / (count - 1)),
    1 + epsilon,
  ]);
  const name = options.name ?? 'auc';
  return {
    name,
    batchStats: (output, target) =>
      composite(() => {
        if (output.shape[output.rank - 1] !== 1) {
          throw new ShapeError(
            `${name}: needs one output column (a binary classifier's probability or logit), got output ${formatShape(output.shape)}`,
          );
        }
        const probabilities = options.fromLogits === true ? output.sigmoid() : output;
        const scores = cast(probabilities, 'float32').reshape([-1, 1]);
        const positive = cast(targetClasses(output, target, name), 'float32').reshape([-1, 1]);
        const levels = tensor(thresholds, { backend: output.backend, shape: [1, count] });
        const above = cast(greater(scores, levels), 'float32');
        const samples = tensor(Float32Array.of(scores.shape[0]!), { backend: output.backend });
        // Per threshold: true positives, predicted positives; then positives and samples.
        return concat([above.mul(positive).sum(0), above.sum(0), positive.sum().reshape([1]), samples], 0);
      }),
    result: (totals) => {
      const positives = totals[2 * count]!;
      const negatives = totals[2 * count + 1]! - positives;
      if (positives === 0 || negatives === 0) return 0;
      let area = 0;
      for (let i = 0; i + 1 < count; i++) {
        const tpr = (totals[i]! + totals[i + 1]!) / 2 / positives;
        const fprStep = (totals[count + i]! - totals[i]! - (totals[count + i + 1]! - totals[i + 1]!)) / negatives;
        area += fprStep * tpr;
      }
      return area;
    },
  };
}
