import { ShapeError, formatShape } from '../errors.js';
import { tensor } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { cast } from '../ops/elementwise.js';
import { concat } from '../ops/movement.js';
import type { AccumulatingMetric } from './metrics.js';

/** Output and target as float [rows, columns] (a rank-1 output is one column); the target may lack the output's size-1 last axis. */
function aligned(output: Tensor, target: Tensor, metric: string): { output: Tensor; target: Tensor } {
  if (target.size !== output.size) {
    throw new ShapeError(
      `${metric}: output ${formatShape(output.shape)} and target ${formatShape(target.shape)} must have the same number of elements`,
    );
  }
  const columns = output.rank >= 2 ? output.shape[output.rank - 1]! : 1;
  const dtype = output.dtype === 'float64' ? 'float64' : 'float32';
  return {
    output: cast(output, dtype).reshape([-1, columns]),
    target: cast(target, dtype).reshape([-1, columns]),
  };
}

/** Sum of |error| or error², and the number of elements. */
function errorSums(kind: 'absolute' | 'squared', metric: string): (output: Tensor, target: Tensor) => Tensor {
  return (output, target) =>
    composite(() => {
      const pair = aligned(output, target, metric);
      const error = pair.output.sub(pair.target);
      const sum = (kind === 'absolute' ? error.abs() : error.mul(error)).sum().reshape([1]);
      return concat([sum, tensor(Float64Array.of(error.size), { backend: output.backend, dtype: sum.dtype })], 0);
    });
}

/** Mean absolute error over every element of the epoch. */
export function meanAbsoluteError(options: { name?: string } = {}): AccumulatingMetric {
  const name = options.name ?? 'mae';
  return { name, batchStats: errorSums('absolute', name), result: ([sum, count]) => sum! / count! };
}

/** Mean squared error over every element of the epoch. */
export function meanSquaredError(options: { name?: string } = {}): AccumulatingMetric {
  const name = options.name ?? 'mse';
  return { name, batchStats: errorSums('squared', name), result: ([sum, count]) => sum! / count! };
}

/** Root of the epoch's mean squared error (not a mean of batch roots). */
export function rootMeanSquaredError(options: { name?: string } = {}): AccumulatingMetric {
  const name = options.name ?? 'rmse';
  return { name, batchStats: errorSums('squared', name), result: ([sum, count]) => Math.sqrt(sum! / count!) };
}

/**
 * R², 1 - SSE / SST per output column, averaged over columns (scikit-learn's and torchmetrics'
 * 'uniform_average'). From per-column sums of squared error, y and y² over the epoch, so it is
 * the epoch's R², not a mean of batch R²s. A constant target column scores 1 if predicted
 * exactly, else 0 (scikit-learn's force_finite).
 */
export function r2Score(options: { name?: string } = {}): AccumulatingMetric {
  const name = options.name ?? 'r2';
  return {
    name,
    batchStats: (output, target) =>
      composite(() => {
        const pair = aligned(output, target, name);
        const error = pair.output.sub(pair.target);
        const rows = tensor(Float64Array.of(pair.target.shape[0]!), { backend: output.backend, dtype: error.dtype });
        return concat([error.mul(error).sum(0), pair.target.sum(0), pair.target.mul(pair.target).sum(0), rows], 0);
      }),
    result: (totals) => {
      const columns = (totals.length - 1) / 3;
      const rows = totals[totals.length - 1]!;
      let total = 0;
      for (let c = 0; c < columns; c++) {
        const squaredError = totals[c]!;
        const sum = totals[columns + c]!;
        const variation = totals[2 * columns + c]! - (sum * sum) / rows;
        total += variation > 0 ? 1 - squaredError / variation : squaredError === 0 ? 1 : 0;
      }
      return total / columns;
    },
  };
}
