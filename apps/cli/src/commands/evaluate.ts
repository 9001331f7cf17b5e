import { confusionMatrix, evaluate as evaluateModel, predict, resolveMetric, type MetricLike } from '@myelin/core';
import { ConcatDataset, DataLoader, type DatasetLike, type Sample } from '@myelin/data';
import { activateBackend } from '../backends.js';
import { applyFlags } from '../config/options.js';
import { configSchema, type RunConfig } from '../config/schema.js';
import { loadData } from '../data/pipeline.js';
import { UsageError, describeValue } from '../errors.js';
import { metricNames, metricOptions } from '../training/components.js';
import { table } from '../training/describe.js';
import { loadSavedModel, type SavedModel } from './saved-model.js';

export const EVALUATE_SPLITS = ['test', 'validation', 'train', 'all'] as const;
/** The data flags evaluate accepts; they replace the run's data source (its transforms stay). */
export const EVALUATE_DATA_FLAGS = ['data', 'data-path', 'test-path', 'label-column', 'limit'] as const;

export interface EvaluateOptions {
  checkpoint: string;
  split?: string;
  backend: string;
  batchSize?: string;
  json: boolean;
  flags: ReadonlyMap<string, string>;
}

/** The run's data config with the given data flags; a new source is evaluated whole unless --split says otherwise. */
export function evaluationDataConfig(config: RunConfig, flags: ReadonlyMap<string, string>, split: string): RunConfig {
  const raw = structuredClone(config) as unknown as Record<string, unknown>;
  const changesSource = flags.has('data') || flags.has('data-path');
  if (changesSource) {
    const data = raw.data as Record<string, unknown>;
    Object.assign(data, { path: null, testPath: null });
  }
  applyFlags(raw, flags);
  if (split === 'all') Object.assign(raw.data as object, { validationSplit: 0, testSplit: 0, testPath: null });
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success)
    throw new UsageError(
      `invalid data flags for evaluate: ${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`,
    );
  return parsed.data;
}

async function pickSplit(
  config: RunConfig,
  split: string,
): Promise<{ dataset: DatasetLike<Sample>; name: string; summary: string }> {
  const data = await loadData(config);
  // 'all' includes a separate test set (MNIST-format t10k files), not only the training files.
  const dataset =
    split === 'all'
      ? data.test && !config.data.testSplit
        ? new ConcatDataset([data.train, data.test])
        : data.train
      : split === 'train'
        ? data.train
        : split === 'validation'
          ? data.validation
          : data.test;
  if (dataset === null) {
    throw new UsageError(
      `invalid value for --split: got ${describeValue(split)}, but the ${config.data.source} data has no ${split} set here (validation ${config.data.validationSplit}, test ${config.data.testSplit}); allowed: ${['train', data.validation ? 'validation' : '', data.test ? 'test' : '', 'all'].filter(Boolean).join(', ')}`,
    );
  }
  return { dataset, name: split === 'all' ? 'all samples' : `${split} set`, summary: data.summary };
}

/** `myelin evaluate <checkpoint>`: loss and metrics on a split of the run's data (or other data), and a confusion matrix. */
export async function evaluate(options: EvaluateOptions): Promise<number> {
  const changesSource = options.flags.has('data') || options.flags.has('data-path');
  const split = options.split ?? (changesSource ? 'all' : 'test');
  if (!(EVALUATE_SPLITS as readonly string[]).includes(split))
    throw new UsageError(
      `invalid value for --split: got ${describeValue(split)}; allowed: ${EVALUATE_SPLITS.join(', ')}`,
    );
  const batchSize = options.batchSize === undefined ? 256 : Number(options.batchSize);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new UsageError(
      `invalid value for --batch-size: got ${describeValue(options.batchSize)}; allowed: an integer >= 1`,
    );
  await activateBackend(options.backend);
  const saved = await loadSavedModel(options.checkpoint);
  try {
    const config = evaluationDataConfig(saved.config, options.flags, split);
    const { dataset, name, summary } = await pickSplit(config, split);
    const found = dataset.get(0, { epoch: 0 }).x.shape;
    if (found.join('x') !== saved.data.sampleShape.join('x')) {
      throw new UsageError(
        `cannot evaluate ${saved.label} on ${summary}: the model takes samples of shape [${saved.data.sampleShape.join(', ')}] (after the run's transforms), this data gives [${found.join(', ')}]; allowed: data of the kind the run trained on`,
      );
    }
    // A run trained before top-k above the class count was refused may name one: it is left out, not an error.
    const metrics: MetricLike[] = metricNames(saved.config, saved.data.task)
      .filter((m) => !(saved.data.task === 'classification' && Number(/^top(\d+)/.exec(m)?.[1]) > saved.data.outputs))
      .map((m) => resolveMetric(m, metricOptions(saved.loss)));
    const loader = (): DataLoader => new DataLoader(dataset, { batchSize, seed: 0 });
    const values = await evaluateModel(saved.model, loader(), { loss: saved.loss, metrics });
    const matrix = saved.data.task === 'classification' ? await classConfusion(saved, dataset, loader()) : null;
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ checkpoint: saved.label, epoch: saved.epoch, data: config.data.source, split, samples: dataset.length, ...values, ...(matrix ? { confusionMatrix: matrix, classes: saved.data.classes } : {}) }, null, 2)}\n`,
      );
      return 0;
    }
    let text = `myelin evaluate  ${saved.label} (epoch ${saved.epoch}) on the ${name} of ${summary}\n`;
    text += table([Object.keys(values), Object.values(values).map((v) => v.toFixed(4))]);
    if (matrix) text += formatConfusion(matrix, saved.data.classes);
    process.stdout.write(text);
    return 0;
  } finally {
    saved.model.dispose();
  }
}

async function classConfusion(
  saved: SavedModel,
  dataset: DatasetLike<Sample>,
  loader: DataLoader,
): Promise<number[][]> {
  const outputs = await predict(saved.model, loader);
  const values = await outputs.data();
  const classes = outputs.shape[outputs.shape.length - 1]!;
  outputs.dispose();
  const predicted = new Int32Array(dataset.length);
  const actual = new Int32Array(dataset.length);
  for (let i = 0; i < dataset.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (values[i * classes + c]! > values[i * classes + best]!) best = c;
    predicted[i] = best;
    actual[i] = dataset.get(i, { epoch: 0 }).y as number;
  }
  return confusionMatrix(predicted, actual, classes);
}

function formatConfusion(matrix: number[][], classes: readonly string[] | null): string {
  if (matrix.length > 20) return '';
  const names = matrix.map((_, i) => classes?.[i] ?? String(i));
  const rows = [['true \\ predicted', ...names.map((n) => n.slice(0, 8)), 'accuracy']];
  matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    rows.push([names[i]!.slice(0, 16), ...row.map(String), total === 0 ? '-' : (row[i]! / total).toFixed(3)]);
  });
  return `\nConfusion matrix (rows: true class, columns: predicted)\n${table(rows)}`;
}
