import { ArgumentError } from '../errors.js';
import { noGrad } from '../autograd/grad-mode.js';
import { getBackend } from '../backend/registry.js';
import { tidy } from '../tensor/scope.js';
import { Tensor } from '../tensor/tensor.js';
import { concat } from '../ops/movement.js';
import type { MetricLike } from './metrics.js';
import { MetricSums } from './metric-sums.js';
import { RunningSum } from './running-sum.js';
import {
  applyLoss,
  batchInputs,
  forwardBatch,
  samplesIn,
  yieldsFreshBatches,
  type DataSource,
  type EpochSource,
  type LossLike,
  type TrainableModel,
  type TrainingBatch,
} from './types.js';

/** Iterates a data source for one epoch, sync or async. */
export async function* iterateBatches<B>(source: DataSource<B>, epoch: number): AsyncGenerator<B> {
  yield* batchesOf(source, epoch) as AsyncIterable<B>;
}

/** The (async) iterable of one epoch's batches, checked: what iterateBatches walks, without a generator. */
export function batchesOf<B>(source: DataSource<B>, epoch: number): Iterable<B> | AsyncIterable<B> {
  const iterable =
    typeof source === 'function'
      ? source(epoch)
      : typeof (source as EpochSource<B>).epoch === 'function'
        ? (source as EpochSource<B>).epoch(epoch)
        : source;
  if (
    iterable === null ||
    typeof iterable !== 'object' ||
    (!(Symbol.iterator in iterable) && !(Symbol.asyncIterator in iterable))
  ) {
    throw new ArgumentError(
      'data: expected an iterable or async iterable of batches (or a function of the epoch returning one)',
    );
  }
  return iterable as Iterable<B> | AsyncIterable<B>;
}

/** Runs `fn` with the model in eval mode and no gradients, restoring its mode afterwards. */
async function inEvalMode<T>(model: TrainableModel, fn: () => Promise<T>): Promise<T> {
  const wasTraining = model.training;
  model.eval();
  try {
    return await fn();
  } finally {
    if (wasTraining) model.train();
  }
}

/**
 * Loss and metrics over a whole data source (sample-weighted means), in eval mode without
 * gradients. Sums stay on the device until the end.
 */
export async function evaluate(
  model: TrainableModel,
  data: DataSource<TrainingBatch>,
  options: EvaluateOptions = {},
): Promise<Record<string, number>> {
  return evaluateData(model, data, options, 'evaluate: the data yielded no batches');
}

/** What `evaluate` computes over the data, besides running the model. */
export interface EvaluateOptions {
  /** The loss to average (its key in the result: `loss`). */
  loss?: LossLike;
  /** Metrics over the whole data, each under its name (objects: see resolveMetric for names). */
  metrics?: MetricLike[];
  /** The epoch a DataLoader is asked for (its shuffle seed; default 0). */
  epoch?: number;
  /** Dispose each batch's tensors after use (default: when the data makes fresh batches). */
  disposeBatches?: boolean;
}

/** evaluate, with the message for data that yields no batches (fit names its validation data and the epoch). */
export async function evaluateData(
  model: TrainableModel,
  data: DataSource<TrainingBatch>,
  options: EvaluateOptions,
  noBatches: string,
): Promise<Record<string, number>> {
  const metrics = options.metrics ?? [];
  // The state's backend, not parameters(): a lazy layer has none until its first forward.
  const state = model.stateDict?.() ?? model.parameters();
  const backend = Object.values(state)[0]?.backend ?? getBackend();
  return inEvalMode(model, async () => {
    const lossSum = new RunningSum(backend, 'evaluate: the loss');
    const metricSums = new MetricSums(backend, metrics, 'evaluate:');
    let samples = 0;
    try {
      for await (const batch of iterateBatches(data, options.epoch ?? 0)) {
        const size = samplesIn(batch.x);
        noGrad(() =>
          tidy(() => {
            const output = forwardBatch(model, batch.x);
            if (options.loss) lossSum.add(applyLoss(options.loss, output, batch.y), size);
            metricSums.add(output, batch.y);
          }),
        );
        if (options.disposeBatches ?? yieldsFreshBatches(data)) {
          for (const x of batchInputs(batch.x)) x.dispose();
          batch.y.dispose();
        }
        samples += size;
      }
      if (samples === 0) throw new ArgumentError(noBatches);
      const [losses, ...sums] = await Promise.all(
        [lossSum.total, ...metricSums.totals()].map(async (total) => Array.from(await total.data())),
      );
      const result: Record<string, number> = {};
      if (options.loss) result.loss = losses![0]! / samples;
      return Object.assign(result, metricSums.values(sums, samples));
    } finally {
      lossSum.dispose();
      metricSums.dispose();
    }
  });
}

/** The model's outputs for every input (tensors or { x } batches), concatenated along axis 0. */
export async function predict(
  model: TrainableModel,
  data: DataSource<Tensor | TrainingBatch> | Tensor,
): Promise<Tensor> {
  const source: DataSource<Tensor | TrainingBatch> = data instanceof Tensor ? [data] : data;
  return inEvalMode(model, async () => {
    const outputs: Tensor[] = [];
    const fresh = yieldsFreshBatches(source);
    for await (const item of iterateBatches(source, 0)) {
      const x = item instanceof Tensor ? item : item.x;
      outputs.push(noGrad(() => tidy(() => forwardBatch(model, x))));
      if (fresh) (item instanceof Tensor ? [item] : [...batchInputs(item.x), item.y]).forEach((t) => t.dispose());
    }
    if (outputs.length === 0) throw new ArgumentError('predict: the data yielded no inputs');
    const result = outputs.length === 1 ? outputs[0]! : noGrad(() => concat(outputs, 0));
    if (outputs.length > 1) for (const output of outputs) output.dispose();
    return result;
  });
}
