import {
  ArgumentError,
  Generator,
  LazyModule,
  MyelinError,
  lossFromConfig,
  lossInfo,
  cnnConfig,
  mlpConfig,
  moduleFromConfig,
  noGrad,
  optimizerFromConfig,
  resolveMetric,
  schedulerFromConfig,
  tidy,
  type Loss,
  type LRScheduler,
  type MetricLike,
  type ResolveMetricOptions,
  type Module,
  type ModuleConfig,
  type Optimizer,
} from '@myelin/core';
import { collate, type DatasetLike, type Sample } from '@myelin/data';
import type { RunConfig } from '../config/schema.js';
import type { DataSplits } from '../data/pipeline.js';
import { UsageError } from '../errors.js';

// The model, loss, optimizer, schedule and metrics of a run, built from the config with core's
// *FromConfig functions; their validation errors become usage errors naming the config key.

/** Independent random streams from the one run seed (Philox keys differ, so the streams do). */
export const seeds = (seed: number) => ({ init: seed, shuffle: seed + 1, dropout: seed + 2 });

/** The model as a Sequential config (the form checkpoints store): the layer list as given, or the MLP built for the data. */
export function modelConfigFor(config: RunConfig, data: Pick<DataSplits, 'sampleShape' | 'outputs'>): ModuleConfig {
  const model = config.model;
  if (model.type === 'Sequential') return model as ModuleConfig;
  const loss = lossInfo(String(config.loss.type));
  if (model.type === 'cnn') {
    const { type: _, hidden, activation, dropout, ...layers } = model;
    return cnnConfig({
      ...layers,
      inputShape: data.sampleShape,
      outFeatures: data.outputs,
      head: { hidden, activation, dropout },
      outputActivation: loss?.task === 'binary' && !loss.onLogits ? 'sigmoid' : 'linear',
    });
  }
  return mlpConfig({
    inputShape: data.sampleShape,
    outFeatures: data.outputs,
    hidden: model.hidden,
    activation: model.activation,
    dropout: model.dropout,
    // A binary loss on probabilities (BCELoss) needs them from the model.
    head: loss?.task === 'binary' && !loss.onLogits ? 'sigmoid' : 'linear',
  });
}

/** The flags that set config paths ('optimizer.lr' -> '--lr'), from resolveConfig; empty for a resumed run. */
export type Origins = ReadonlyMap<string, string>;

/** Where the config came from, for messages: the flags that set paths, and the file (config, preset or run's config.json). */
export interface ConfigSource {
  origins: Origins;
  file?: string | undefined;
}

/** ' (--lr)' for the first key a flag set, else ' in <file>', else nothing: as the config loader's messages say it. */
export function sourceOf(source: ConfigSource, ...keys: string[]): string {
  for (const key of keys) {
    const flag = source.origins.get(key);
    if (flag !== undefined) return ` (${flag})`;
  }
  return source.file === undefined ? '' : ` in ${source.file}`;
}

function asUsageError(option: string, where: string, error: unknown): never {
  if (error instanceof ArgumentError) throw new UsageError(`invalid value for ${option}${where}: ${error.message}`);
  throw error;
}

/**
 * An optimizer's validation error blamed on the option it names (`invalid lr -1`, `unknown
 * option 'momentum'`) and the flag that set it: --lr, --momentum, --weight-decay, else --optimizer.
 */
function optimizerProblem(error: unknown, source: ConfigSource): never {
  if (!(error instanceof ArgumentError)) throw error;
  const name = /(?:invalid|unknown options?) '?(\w+)/.exec(error.message)?.[1];
  const key = name === undefined ? undefined : `optimizer.${name}`;
  const where = sourceOf(source, ...(key ? [key] : []), 'optimizer');
  throw new UsageError(`invalid value for ${key ?? 'optimizer'}${where}: ${error.message}`);
}

export function buildModel(
  modelConfig: ModuleConfig,
  seed: number,
  source: ConfigSource = { origins: new Map() },
): Module {
  const where = sourceOf(source, 'model', 'model.hidden');
  let model: Module;
  try {
    model = moduleFromConfig(modelConfig, { generator: new Generator(seeds(seed).init) });
  } catch (error) {
    asUsageError('model', where, error);
  }
  // A lazy layer has no parameters until a forward, and the optimizer is built before any: refuse it.
  const lazy = model.namedModules().filter(([, m]) => m instanceof LazyModule && m.hasUninitializedParameters());
  if (lazy.length > 0) {
    const named = lazy.map(([name, m]) => `${m.typeName}${name === '' ? '' : ` at '${name}'`}`).join(', ');
    model.dispose();
    throw new UsageError(
      `invalid value for model${where}: got ${named}, a lazy layer that creates its parameters at its first forward, but training builds the optimizer before it runs; allowed: the concrete layer with its input size, e.g. {"type":"Linear","inFeatures":64,"outFeatures":10} for {"type":"LazyLinear","outFeatures":10}`,
    );
  }
  if (model.parameters().length === 0) {
    model.dispose();
    throw new UsageError(
      `invalid value for model${where}: got ${JSON.stringify(modelConfig).slice(0, 120)}, a model without parameters (nothing to train); allowed: layers with parameters, e.g. [{"type":"Flatten"},{"type":"Linear","inFeatures":64,"outFeatures":10}]`,
    );
  }
  return model;
}

export interface TrainingParts {
  loss: Loss;
  optimizer: Optimizer;
  schedule: LRScheduler | undefined;
  metrics: MetricLike[];
}

export function buildTrainingParts(
  config: RunConfig,
  model: Module,
  task: DataSplits['task'],
  source: ConfigSource = { origins: new Map() },
  stepsPerEpoch?: number,
): TrainingParts {
  let loss: Loss;
  try {
    loss = lossFromConfig(config.loss as { type: string });
  } catch (error) {
    asUsageError('loss', sourceOf(source, 'loss'), error);
  }
  let optimizer: Optimizer;
  try {
    optimizer = optimizerFromConfig(model.parameters(), config.optimizer as { type: string });
  } catch (error) {
    optimizerProblem(error, source);
  }
  let schedule: LRScheduler | undefined;
  try {
    schedule = config.schedule
      ? schedulerFromConfig(optimizer, withCycleLength(config.schedule, config.training.epochs, stepsPerEpoch))
      : undefined;
  } catch (error) {
    optimizer.dispose();
    asUsageError('schedule', sourceOf(source, 'schedule'), error);
  }
  return { loss, optimizer, schedule, metrics: metricsFor(config, task, loss, source) };
}

export function metricNames(config: RunConfig, task: DataSplits['task']): string[] {
  return config.training.metrics ?? (task === 'regression' ? [] : ['accuracy']);
}

function metricsFor(config: RunConfig, task: DataSplits['task'], loss: Loss, source: ConfigSource): MetricLike[] {
  return metricNames(config, task).map((name) => {
    try {
      return resolveMetric(name, metricOptions(loss));
    } catch (error) {
      asUsageError('training.metrics', sourceOf(source, 'training.metrics'), error);
    }
  });
}

/** How a metric name reads the model's outputs: a threshold and a sigmoid for logits (BCE-with-logits). */
export function metricOptions(loss: Pick<Loss, 'onLogits'>): ResolveMetricOptions {
  return { threshold: loss.onLogits ? 0 : 0.5, fromLogits: loss.onLogits === true };
}

const CLASS_SCORES = /^(precision|recall|f1)(_(macro|micro|weighted))?$/;
const REGRESSION_METRICS = ['mae', 'mse', 'rmse', 'r2'];

/** Why a metric cannot be computed on this task's outputs and targets, or null when it can. */
function metricMismatch(name: string, data: Pick<DataSplits, 'outputs' | 'task'>): string | null {
  const k = /^top(\d+)(?:_accuracy)?$/.exec(name)?.[1];
  if (k !== undefined && data.task === 'classification' && Number(k) > data.outputs)
    return `the data has ${data.outputs} classes, so it would always read 1; allowed: topK with k <= ${data.outputs}, or accuracy`;
  if (data.task === 'regression' && (CLASS_SCORES.test(name) || name === 'auc'))
    return `the loss makes this a regression (real-valued targets), which has no classes to score; allowed: mae, mse, rmse, r2`;
  if (name === 'auc' && data.task === 'classification')
    return `auc scores a binary classifier's single output, and this model has ${data.outputs} class outputs; allowed: a binary loss (BCEWithLogitsLoss, BCELoss), or precision, recall, f1`;
  if (REGRESSION_METRICS.includes(name) && data.task === 'classification')
    return `its ${data.outputs} class outputs cannot be compared with class-index targets; allowed: accuracy, precision, recall, f1 (or a regression loss)`;
  return null;
}

/**
 * A metric that cannot be computed on the data's task (top-k with k above the number of classes
 * always reads 1, as PyTorch's topk refuses; auc of a multi-class model; errors of class indices)
 * is refused before training, when the data is known (core refuses it at the first batch otherwise).
 */
export function checkMetricsFitData(
  config: RunConfig,
  data: Pick<DataSplits, 'outputs' | 'task'>,
  source: ConfigSource = { origins: new Map() },
): void {
  for (const name of metricNames(config, data.task)) {
    const mismatch = metricMismatch(name, data);
    if (mismatch !== null)
      throw new UsageError(
        `invalid value for training.metrics${sourceOf(source, 'training.metrics')}: got "${name}", but ${mismatch}`,
      );
  }
}

/**
 * Runs two training samples through the model and the loss before training starts, so a
 * model that does not fit the data is a usage error naming both shapes, not a crash mid-run.
 */
export function checkModelFitsData(
  model: Module,
  loss: Loss,
  train: DatasetLike<Sample>,
  data: Pick<DataSplits, 'sampleShape' | 'outputs' | 'task'>,
  source: ConfigSource = { origins: new Map() },
): void {
  const where = sourceOf(source, 'model', 'model.hidden');
  const samples = Array.from({ length: Math.min(2, train.length) }, (_, i) => train.get(i, { epoch: 0 }));
  const batch = collate(samples, { targetDtype: data.task === 'classification' ? 'int32' : 'float32' });
  model.eval(); // no dropout: the check must not draw from the generator training uses
  let outputShape: readonly number[] = [];
  try {
    noGrad(() =>
      tidy(() => {
        const output = model.forward(batch.x);
        outputShape = output.shape;
        loss.forward(output, batch.y);
      }),
    );
  } catch (error) {
    if (!(error instanceof MyelinError)) throw error;
    const expects = data.task === 'classification' ? `${data.outputs} class scores` : 'one output per sample';
    throw new UsageError(
      `invalid value for model${where}: it does not fit the data: ${error.message}; allowed: a model taking samples of shape [${data.sampleShape.join(', ')}] and giving ${expects}`,
    );
  } finally {
    model.train();
    batch.x.dispose();
    batch.y.dispose();
  }
  // Fewer class scores than classes passes the check above when the two samples' labels are small.
  const scores = outputShape[outputShape.length - 1];
  if (data.task === 'classification' && scores !== undefined && scores < data.outputs) {
    throw new UsageError(
      `invalid value for model${where}: it gives ${scores} outputs per sample, but the data has ${data.outputs} classes; allowed: a model whose last layer has ${data.outputs} outputs (e.g. "outFeatures": ${data.outputs})`,
    );
  }
}

/**
 * A per-batch schedule (OneCycleLR) spans the whole run unless the config says otherwise: its
 * length is the run's epochs times the optimizer steps per epoch (also inside a ChainedScheduler).
 */
function withCycleLength(
  schedule: { type: string; [option: string]: unknown },
  epochs: number,
  stepsPerEpoch: number | undefined,
): { type: string; [option: string]: unknown } {
  const type = typeof schedule.type === 'string' ? schedule.type.toLowerCase() : '';
  if (['chainedscheduler', 'chained'].includes(type) && Array.isArray(schedule.schedulers))
    return {
      ...schedule,
      schedulers: schedule.schedulers.map((child: unknown) =>
        typeof child === 'object' && child !== null
          ? withCycleLength(child as { type: string }, epochs, stepsPerEpoch)
          : child,
      ),
    };
  if (type !== 'onecyclelr' && type !== 'onecycle') return schedule;
  if (stepsPerEpoch === undefined || 'totalSteps' in schedule || 'stepsPerEpoch' in schedule) return schedule;
  return { ...schedule, epochs: schedule.epochs ?? epochs, stepsPerEpoch };
}
