import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { cast, greater } from '../ops/elementwise.js';

/**
 * A metric computed on the device as a per-batch SUM (e.g. the number of correct predictions),
 * so the loop can accumulate it without reading back every step; the epoch value is
 * total / samples.
 */
export interface Metric {
  readonly name: string;
  /** Sum over the batch (a scalar float tensor). */
  batchSum(output: Tensor, target: Tensor): Tensor;
}

/**
 * A metric that is not a mean over samples (precision, F1, AUC, R², RMSE): each batch gives a
 * vector of statistics (counts per class or threshold, sums of errors), which the loop sums on
 * the device over the epoch; `result` turns the totals into the value, on the host, once per
 * read. The loop accepts it wherever it accepts a {@link Metric}.
 */
export interface AccumulatingMetric {
  readonly name: string;
  /** The batch's statistics: a 1-D tensor, the same length in every batch (its first batch's). */
  batchStats(output: Tensor, target: Tensor): Tensor;
  /** The value from the statistics summed over the batches so far, and the samples they hold. */
  result(totals: readonly number[], samples: number): number;
}

/** Either form of metric: what `fit` and `evaluate` take. */
export type MetricLike = Metric | AccumulatingMetric;

/** Whether `metric` keeps statistics (an {@link AccumulatingMetric}) rather than a per-sample sum. */
export function isAccumulating(metric: MetricLike): metric is AccumulatingMetric {
  return typeof (metric as Partial<AccumulatingMetric>).batchStats === 'function';
}

/** Class predictions: argmax for multi-class outputs, a threshold for a single output column. */
function predictedClasses(output: Tensor, threshold: number): Tensor {
  if (output.rank >= 1 && output.shape[output.rank - 1] === 1) {
    return composite(() => cast(greater(output, threshold), 'int32').reshape(output.shape.slice(0, -1)));
  }
  return output.argmax(-1);
}

/** Integer class targets from indices, one-hot/probabilities, or 0/1 floats for binary outputs. */
function targetClasses(output: Tensor, target: Tensor, metric = 'accuracy'): Tensor {
  if (target.dtype === 'int32' && target.rank === output.rank - 1) return target;
  if (target.rank === output.rank && target.shape[target.rank - 1] === 1) {
    return composite(() => cast(greater(target, 0.5), 'int32').reshape(target.shape.slice(0, -1)));
  }
  if (target.rank === output.rank) return target.argmax(-1);
  throw new ShapeError(
    `${metric}: cannot compare output ${formatShape(output.shape)} with target ${formatShape(target.shape)} (expected class indices of shape ${formatShape(output.shape.slice(0, -1))} or one-hot ${formatShape(output.shape)})`,
  );
}

/**
 * Fraction of correct class predictions. `threshold` applies to single-column outputs:
 * 0.5 for probabilities, 0 for logits (BCE-with-logits).
 */
export function accuracy(options: { threshold?: number } = {}): Metric {
  const threshold = options.threshold ?? 0.5;
  return {
    name: 'accuracy',
    batchSum: (output, target) =>
      composite(() => cast(predictedClasses(output, threshold).equal(targetClasses(output, target)), 'float32').sum()),
  };
}

/** Fraction of samples whose target class is among the k highest outputs (ties count against). */
export function topKAccuracy(k: number): Metric {
  if (!Number.isInteger(k) || k < 1) throw new ArgumentError(`topKAccuracy: k must be a positive integer, got ${k}`);
  return {
    name: `top${k}_accuracy`,
    batchSum: (output, target) =>
      composite(() => {
        // Every target is among more than all the outputs: the metric would read 1.0 whatever the model did.
        const columns = output.shape[output.rank - 1];
        if (columns !== undefined && k > columns) {
          throw new ArgumentError(
            `top${k}_accuracy: k = ${k} is larger than the ${columns} classes of the output ${formatShape(output.shape)} (it would always be 1); allowed: k <= ${columns}, as PyTorch's topk requires`,
          );
        }
        const classes = targetClasses(output, target);
        const targetScore = output.mul(classes.oneHot(output.shape[output.rank - 1]!)).sum(-1, true);
        const higher = cast(greater(output, targetScore), 'float32').sum(-1);
        return cast(higher.less(k), 'float32').sum();
      }),
  };
}

/**
 * Confusion matrix from host arrays: rows are true classes, columns predicted classes.
 */
export function confusionMatrix(
  predicted: ArrayLike<number>,
  actual: ArrayLike<number>,
  numClasses: number,
): number[][] {
  if (predicted.length !== actual.length) {
    throw new ShapeError(`confusionMatrix: ${predicted.length} predictions but ${actual.length} targets`);
  }
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < predicted.length; i++) {
    const row = matrix[actual[i]!];
    if (row === undefined || predicted[i]! < 0 || predicted[i]! >= numClasses) {
      throw new ArgumentError(
        `confusionMatrix: class ${actual[i]} or prediction ${predicted[i]} at sample ${i} is outside 0..${numClasses - 1}`,
      );
    }
    row[predicted[i]!]!++;
  }
  return matrix;
}

export { predictedClasses, targetClasses };
