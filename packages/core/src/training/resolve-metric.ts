import { ArgumentError } from '../errors.js';
import { auc, f1, precision, recall, type ClassAverage } from './classification-metrics.js';
import { accuracy, topKAccuracy, type MetricLike } from './metrics.js';
import { meanAbsoluteError, meanSquaredError, r2Score, rootMeanSquaredError } from './regression-metrics.js';

/** How a name from a config becomes a metric: the threshold of single-column outputs, and whether they are logits. */
export interface ResolveMetricOptions {
  /** 0.5 for probabilities, 0 for logits (default 0.5, or 0 with `fromLogits`). */
  threshold?: number;
  /** Outputs are logits (BCE-with-logits): `auc` applies a sigmoid first. */
  fromLogits?: boolean;
}

const REGRESSION = {
  mae: meanAbsoluteError,
  mse: meanSquaredError,
  rmse: rootMeanSquaredError,
  r2: r2Score,
} as const;

/** The names `resolveMetric` knows, for error messages and help texts. */
export const METRIC_NAMES = [
  'accuracy',
  'topK (e.g. top5)',
  'precision',
  'recall',
  'f1',
  '<precision|recall|f1>_<macro|micro|weighted> (e.g. f1_micro)',
  'auc',
  'mae',
  'mse',
  'rmse',
  'r2',
] as const;

/**
 * Resolves metric names used in configs: 'accuracy', 'top5' / 'top5_accuracy', 'precision',
 * 'recall', 'f1' (macro average; 'f1_micro', 'f1_weighted', ... for the others), 'auc', 'mae',
 * 'mse', 'rmse', 'r2'. A metric object is returned as it is.
 */
export function resolveMetric(metric: string | MetricLike, options: ResolveMetricOptions = {}): MetricLike {
  if (typeof metric !== 'string') return metric;
  const threshold = options.threshold ?? (options.fromLogits === true ? 0 : 0.5);
  if (metric === 'accuracy' || metric === 'acc') return accuracy({ threshold });
  const topK = /^top(\d+)(_accuracy)?$/.exec(metric);
  if (topK) return topKAccuracy(Number(topK[1]));
  const classification = /^(precision|recall|f1)(?:_(macro|micro|weighted))?$/.exec(metric);
  if (classification) {
    const make = { precision, recall, f1 }[classification[1] as 'precision' | 'recall' | 'f1'];
    return make({ average: (classification[2] as ClassAverage | undefined) ?? 'macro', threshold, name: metric });
  }
  if (metric === 'auc') return auc({ fromLogits: options.fromLogits ?? threshold === 0 });
  if (Object.hasOwn(REGRESSION, metric)) return REGRESSION[metric as keyof typeof REGRESSION]();
  throw new ArgumentError(`unknown metric '${metric}': known metrics are ${METRIC_NAMES.join(', ')}`);
}
