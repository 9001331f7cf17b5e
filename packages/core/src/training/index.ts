export { fit, TrainingDivergedError, type FitOptions } from './fit.js';
export { classWeightedLoss, type ClassWeight } from './class-weight.js';
export { evaluate, predict, iterateBatches, type EvaluateOptions } from './evaluate.js';
export { History } from './history.js';
export {
  accuracy,
  topKAccuracy,
  confusionMatrix,
  type Metric,
  type AccumulatingMetric,
  type MetricLike,
} from './metrics.js';
export {
  precision,
  recall,
  f1,
  auc,
  type ClassAverage,
  type ClassificationMetricOptions,
  type AucOptions,
} from './classification-metrics.js';
export { meanAbsoluteError, meanSquaredError, rootMeanSquaredError, r2Score } from './regression-metrics.js';
export { resolveMetric, METRIC_NAMES, type ResolveMetricOptions } from './resolve-metric.js';
export { runCallbacks, type Callback, type TrainingContext } from './callback.js';
export {
  EarlyStopping,
  ModelCheckpoint,
  ProgressLogger,
  LambdaCallback,
  type EarlyStoppingOptions,
  type ModelCheckpointOptions,
  type MonitorMode,
  MonitorTracker,
} from './callbacks.js';
export { yieldsFreshBatches } from './types.js';
export type {
  Batch,
  MultiInputBatch,
  TrainingBatch,
  BatchLogs,
  DataSource,
  EpochSource,
  EpochLogs,
  LossLike,
  OptimizerLike,
  SchedulerLike,
  TrainableModel,
} from './types.js';
export {
  captureCheckpoint,
  releaseCapturedCheckpoint,
  restoreCheckpoint,
  type TrainingState,
} from './checkpointing.js';
