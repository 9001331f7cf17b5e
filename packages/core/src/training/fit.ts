import { ArgumentError, MyelinError, ShapeError, formatShape } from '../errors.js';
import { noGrad } from '../autograd/grad-mode.js';
import { full } from '../tensor/creation.js';
import { keep, tidy } from '../tensor/scope.js';
import { Tensor } from '../tensor/tensor.js';
import { runCallbacks, type Callback, type TrainingContext } from './callback.js';
import { batchesOf, evaluateData } from './evaluate.js';
import { classWeightedLoss, type ClassWeight } from './class-weight.js';
import { clipGradNorm_, clipGradValue_ } from '../optim/clip.js';
import { RunningSum, sumDType } from './running-sum.js';
import { History } from './history.js';
import type { MetricLike } from './metrics.js';
import { MetricSums } from './metric-sums.js';
import { resolveMetric } from './resolve-metric.js';
import {
  applyLoss,
  batchInputs,
  forwardBatch,
  samplesIn,
  yieldsFreshBatches,
  type BatchLogs,
  type DataSource,
  type EpochLogs,
  type LossLike,
  type OptimizerLike,
  type SchedulerLike,
  type TrainableModel,
  type TrainingBatch,
} from './types.js';

export interface FitOptions {
  /** Batches { x, y } (x an array of tensors for a model with several inputs). */
  train: DataSource<TrainingBatch>;
  validation?: DataSource<TrainingBatch>;
  loss: LossLike;
  optimizer: OptimizerLike;
  /** Train until this epoch count (with `initialEpoch`, the total, like Keras). */
  epochs: number;
  /** First epoch to run, 0-based: resuming from a checkpoint of epoch k passes k. */
  initialEpoch?: number;
  /** Stepped after every epoch with the `monitor` value (or after every optimizer step when its interval is 'batch'). */
  schedule?: SchedulerLike;
  callbacks?: Callback[];
  /**
   * Names ('accuracy', 'top5', 'precision', 'recall', 'f1', 'f1_micro', 'auc', 'mae', 'mse',
   * 'rmse', 'r2', ...: see resolveMetric) or metric objects; accumulated on the device, read
   * with the loss.
   */
  metrics?: (string | MetricLike)[];
  /**
   * Read the loss back every k steps (default 1 on backends with synchronous reads, 10
   * otherwise): reading stalls a GPU pipeline, so GPU backends should not do it every step.
   * Without an onBatchEnd callback (nobody sees the batch logs) an asynchronous read is checked
   * for divergence one read later, so training never waits for the device mid-epoch.
   */
  readLossEvery?: number;
  /** Hook between backward (after accumulation) and the clipping and optimizer step: gradient averaging, custom clipping. */
  beforeStep?: (parameters: Tensor[]) => void;
  /** The logged value passed to `schedule.step` (default 'val_loss' with validation data, else 'loss'). */
  monitor?: string;
  /** Dispose each batch after its step (default: when the source says it yields fresh batches, as DataLoader does). */
  disposeBatches?: boolean;
  /**
   * Sum the gradients of k consecutive batches and step the optimizer (and a per-batch schedule)
   * once per k batches (Lightning's accumulate_grad_batches). Each batch's gradient is weighted
   * by its samples and the sum divided by the group's samples, so a step equals one step on the
   * group's concatenation for a 'mean' loss, even for unequal batches; for a loss object with
   * reduction 'sum' the gradients are summed unscaled (again the concatenation's). An epoch's
   * leftover batches (fewer than k) step at its end: groups never span epochs. Default 1.
   */
  accumulateSteps?: number;
  /**
   * Clip the gradients' global norm before each optimizer step (after accumulation), as
   * clipGradNorm_; the norm before clipping is in the batch logs as `gradNorm` on read steps.
   */
  clipGradNorm?: { maxNorm: number; normType?: number };
  /** Clamp every gradient element to [-v, v] before each optimizer step (clipGradValue_). */
  clipGradValue?: number;
  /**
   * Keras' class_weight: each training sample's loss multiplied by its class's weight (an array
   * indexed by class, or an object {classIndex: weight}); see classWeightedLoss. Validation
   * losses are not weighted.
   */
  classWeight?: ClassWeight;
  /** Validate after every n-th epoch (epochs n, 2n, ...: Keras' validation_freq). Default 1. */
  validationFreq?: number;
  /** At most this many batches per epoch (Keras' steps_per_epoch); the rest of the epoch's batches are skipped. */
  stepsPerEpoch?: number;
}

/** The loss stopped being finite: names where, and the last finite value seen. */
export class TrainingDivergedError extends MyelinError {
  override name = 'TrainingDivergedError';
}

/**
 * An optimizer built over another model's parameters (or before the model was rebuilt) would
 * step tensors the loop never computes gradients for: training would change nothing, silently.
 * Checked where the optimizer lists its parameters (core's optimizers); others are trusted.
 */
function checkOptimizerHoldsModel(optimizer: OptimizerLike, parameters: readonly Tensor[]): void {
  const groups = optimizer.paramGroups as readonly { params?: unknown }[];
  if (!Array.isArray(groups) || !groups.every((g) => Array.isArray(g.params))) return;
  const held = new Set(groups.flatMap((g) => g.params as unknown[]));
  if (held.size === 0 || parameters.some((p) => held.has(p))) return;
  throw new ArgumentError(
    `fit: the optimizer holds none of the model's ${parameters.length} parameters (its ${held.size} tensors belong to another model, or the model was rebuilt after the optimizer was made), so training would change nothing; allowed: an optimizer made from model.parameters()`,
  );
}

/**
 * Trains `model` for `epochs`, like Keras' fit with PyTorch's modules: each step runs in a
 * memory scope (forward, loss, backward, optimizer step), metrics accumulate on the device
 * and are read back every `readLossEvery` steps, validation runs after each epoch.
 */
export async function fit(model: TrainableModel, options: FitOptions): Promise<History> {
  if (typeof options !== 'object' || options === null)
    throw new ArgumentError(`fit: expected options { train, loss, optimizer, epochs, ... }, got ${String(options)}`);
  for (const required of ['train', 'loss', 'optimizer'] as const)
    if (options[required] === undefined || options[required] === null)
      throw new ArgumentError(
        `fit: options.${required} is missing; fit needs train (a DataLoader or batches), loss and optimizer`,
      );
  const initialEpoch = options.initialEpoch ?? 0;
  if (!Number.isInteger(options.epochs) || options.epochs < 1)
    throw new ArgumentError(`fit: epochs must be a positive integer, got ${options.epochs}`);
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch > options.epochs) {
    throw new ArgumentError(`fit: initialEpoch must be an integer in 0..${options.epochs}, got ${initialEpoch}`);
  }
  const parameters = model.parameters();
  if (parameters.length === 0) throw new ArgumentError('fit: the model has no parameters to train');
  checkOptimizerHoldsModel(options.optimizer, parameters);
  const backend = parameters[0]!.backend;
  const readEvery = positiveInteger('readLossEvery', options.readLossEvery, backend.readSync ? 1 : 10);
  const validationFreq = positiveInteger('validationFreq', options.validationFreq, 1);
  const stepsPerEpoch = positiveInteger('stepsPerEpoch', options.stepsPerEpoch, Infinity);
  const stepping = stepSettings(options);
  const onLogits = typeof options.loss !== 'function' && options.loss.onLogits === true;
  const metrics = (options.metrics ?? []).map((m) =>
    resolveMetric(m, { threshold: onLogits ? 0 : 0.5, fromLogits: onLogits }),
  );
  const callbacks = options.callbacks ?? [];
  const history = new History();
  const knownBatches = knownLength(options.train);
  const batchesPerEpoch = knownBatches === undefined ? undefined : Math.min(knownBatches, stepsPerEpoch);
  const context: TrainingContext = {
    model,
    optimizer: options.optimizer,
    schedule: options.schedule,
    history,
    epochs: options.epochs,
    stopTraining: false,
    epoch: initialEpoch,
    step: batchesPerEpoch === undefined ? 0 : initialEpoch * batchesPerEpoch,
  };
  const monitor = options.monitor ?? (options.validation ? 'val_loss' : 'loss');

  // Gradients a backward before fit left (a PyTorch-style loop, a check) must not leak into its
  // first step: fit starts from zero gradients, as Keras' does.
  options.optimizer.zeroGrad();
  await runCallbacks(callbacks, 'onTrainBegin', context);
  for (let epoch = initialEpoch; epoch < options.epochs && !context.stopTraining; epoch++) {
    context.epoch = epoch;
    // Train mode on the whole model at the start; again after anything that may have changed it
    // (validation runs in eval mode; callbacks may switch modes).
    if (epoch === initialEpoch || options.validation || callbacks.length > 0 || !model.training) model.train();
    if (callbacks.length > 0) await runCallbacks(callbacks, 'onEpochBegin', epoch, context);
    const started = performance.now();
    const lastStepLr: { value?: number } = {};
    const logs = await trainEpoch(
      model,
      parameters,
      options,
      { ...stepping, stepsPerEpoch },
      metrics,
      readEvery,
      epoch,
      batchesPerEpoch,
      context,
      callbacks,
      lastStepLr,
    );
    // Stopped by a batch-level callback (an interrupt): the epoch is incomplete, so it gets no
    // validation, schedule step, history entry or epoch-end callbacks.
    if (logs === null) break;
    logs.duration = (performance.now() - started) / 1000;
    const validates = options.validation !== undefined && (epoch + 1) % validationFreq === 0;
    context.skippedValidation = options.validation !== undefined && !validates;
    if (validates) {
      const validation = await evaluateData(
        model,
        options.validation!,
        { loss: options.loss, metrics, epoch },
        `fit: the validation data yielded no batches in epoch ${epoch + 1}`,
      );
      for (const [name, value] of Object.entries(validation)) logs[`val_${name}`] = value;
    }
    // The lr of the epoch's last optimizer step: a per-batch schedule has already moved on to
    // the next step's (past a OneCycleLR's end, a value no step uses).
    logs.lr = lastStepLr.value ?? options.optimizer.paramGroups[0]?.lr ?? Number.NaN;
    history.record(epoch, logs);
    // Step the schedule before the callbacks, so a checkpoint saved at the end of this epoch
    // holds the schedule state the next epoch starts from (PyTorch's loop order).
    // An epoch without validation (validationFreq) has no val_ values: a schedule monitoring one
    // waits for the next validated epoch, as Keras' ReduceLROnPlateau skips a missing monitor
    // (one monitoring a training value, such as 'loss', steps every epoch).
    const waits = options.schedule?.monitorsMetric === true && logs[monitor] === undefined;
    if (options.schedule?.interval !== 'batch' && !waits) options.schedule?.step(logs[monitor]);
    if (callbacks.length > 0) await runCallbacks(callbacks, 'onEpochEnd', epoch, logs, context);
  }
  await runCallbacks(callbacks, 'onTrainEnd', context);
  return history;
}

/** How batches become optimizer steps: the accumulation, clipping and training loss fit checked once. */
interface StepSettings {
  accumulate: number;
  /** Weight each batch's loss by its samples and divide the group's gradient sum by them ('mean' losses). */
  weightBySamples: boolean;
  clipNorm?: { maxNorm: number; normType: number };
  clipValue?: number;
  /** The loss trained on: options.loss, class-weighted with classWeight. */
  loss: LossLike;
  stepsPerEpoch: number;
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new ArgumentError(`fit: ${name} must be a positive integer, got ${String(value)}`);
  return value;
}

function stepSettings(options: FitOptions): Omit<StepSettings, 'stepsPerEpoch'> {
  const accumulate = positiveInteger('accumulateSteps', options.accumulateSteps, 1);
  const config = typeof options.loss === 'function' ? undefined : (options.loss.config?.() as { reduction?: unknown });
  const reduction = config?.reduction;
  const settings: Omit<StepSettings, 'stepsPerEpoch'> = {
    accumulate,
    weightBySamples: accumulate > 1 && reduction !== 'sum',
    loss: options.classWeight === undefined ? options.loss : classWeightedLoss(options.loss, options.classWeight),
  };
  if (options.clipGradNorm !== undefined && options.clipGradValue !== undefined)
    throw new ArgumentError(
      `fit: clipGradNorm (${JSON.stringify(options.clipGradNorm)}) and clipGradValue (${options.clipGradValue}) are both set; allowed: one of them (Keras and Lightning take one clipping algorithm)`,
    );
  const norm = options.clipGradNorm as { maxNorm?: unknown; normType?: unknown } | undefined;
  if (norm !== undefined) {
    const seen = JSON.stringify(norm) ?? String(norm);
    if (typeof norm !== 'object' || norm === null || typeof norm.maxNorm !== 'number' || !(norm.maxNorm > 0))
      throw new ArgumentError(
        `fit: clipGradNorm.maxNorm must be a number > 0, got ${seen}; allowed: { maxNorm, normType? }`,
      );
    const normType = norm.normType ?? 2;
    if (typeof normType !== 'number' || !(normType > 0))
      throw new ArgumentError(`fit: clipGradNorm.normType must be a number > 0 or Infinity, got ${String(normType)}`);
    settings.clipNorm = { maxNorm: norm.maxNorm, normType };
  }
  const value: unknown = options.clipGradValue;
  if (value !== undefined) {
    if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0))
      throw new ArgumentError(`fit: clipGradValue must be a finite number > 0, got ${String(value)}`);
    settings.clipValue = value;
  }
  return settings;
}

async function trainEpoch(
  model: TrainableModel,
  parameters: Tensor[],
  options: FitOptions,
  stepping: StepSettings,
  metrics: MetricLike[],
  readEvery: number,
  epoch: number,
  batchesPerEpoch: number | undefined,
  context: TrainingContext,
  callbacks: readonly Callback[],
  lastStepLr: { value?: number },
): Promise<EpochLogs | null> {
  const backend = parameters[0]!.backend;
  // Device-side running sums, read back only every `readEvery` steps.
  const dtype = sumDType(backend);
  // Reading every step with nothing but the loss to sum (the default on backends that read
  // synchronously): the loss is read anyway, so it is summed here, in the sums' dtype exactly
  // as the device would (float32: each operation rounded), and no device sums are made.
  const onHost = readEvery === 1 && metrics.length === 0 && backend.readSync !== undefined;
  const round = dtype === 'float32' ? Math.fround : (x: number) => x;
  let hostSum = 0;
  let hostLast = 0;
  const lossSum = onHost ? null : new RunningSum(backend, 'fit: the loss');
  const metricSums = new MetricSums(backend, metrics, 'fit:');
  // The last batch's loss, in the loss's own dtype (made at the first step): it takes the loss's
  // storage, so keeping it costs no copy and no cast.
  let lastLoss = null as Tensor | null;
  let samples = 0;
  let batchIndex = 0;
  const stepsSchedule = options.schedule?.interval === 'batch';
  let lastFinite: { loss: number; step: number } | null = null;
  // A loss read started and not yet checked (see the read below), with the batch and step it is of.
  let inFlight: { values: Promise<number[][]>; batch: number; step: number } | null = null;
  /** The divergence check of one read's last loss and running sum. */
  const check = ([loss, total]: readonly number[], at: { batch: number; step: number }): void => {
    if (!Number.isFinite(loss!) || !Number.isFinite(total!))
      throw divergence(loss!, epoch, at.batch, at.step, lastFinite);
    lastFinite = { loss: loss!, step: at.step };
  };
  // Batch logs are for onBatchEnd hooks; epoch-level callbacks (early stopping, checkpoints) need none.
  const batchCallbacks = callbacks.some((callback) => callback.onBatchEnd !== undefined);
  // Batches (and their samples) whose gradients are summed and not yet stepped.
  let pending = 0;
  let pendingSamples = 0;
  // The last step's gradient norm before clipping (with clipGradNorm), kept on the device like lastLoss.
  let lastGradNorm = null as Tensor | null;
  /** Scale the accumulated gradients, clip them, step the optimizer (and a per-batch schedule). */
  const optimizerStep = (): void =>
    tidy(() => {
      if (stepping.weightBySamples)
        noGrad(() => {
          for (const p of parameters) p.grad?.assign(p.grad.div(pendingSamples));
        });
      // The hook first: a data-parallel wrapper averages the gradients there, and clipping must
      // see the global gradient (PyTorch's DDP order).
      options.beforeStep?.(parameters);
      if (stepping.clipValue !== undefined) clipGradValue_(parameters, stepping.clipValue);
      if (stepping.clipNorm !== undefined) {
        const norm = clipGradNorm_(parameters, stepping.clipNorm.maxNorm, stepping.clipNorm.normType);
        lastGradNorm ??= keep(full([], 0, { backend, dtype: norm.dtype }));
        lastGradNorm.assign(norm);
      }
      options.optimizer.step();
      options.optimizer.zeroGrad();
      pending = 0;
      pendingSamples = 0;
      if (stepsSchedule) {
        lastStepLr.value = options.optimizer.paramGroups[0]?.lr;
        options.schedule!.step();
      }
    });
  const started = performance.now();
  try {
    for await (const batch of batchesOf(options.train, epoch)) {
      const size = batchSize(batch);
      let stepped = false;
      tidy(() => {
        const output = forwardBatch(model, batch.x);
        const loss = applyLoss(stepping.loss, output, batch.y);
        if (loss.size !== 1) {
          throw new ShapeError(
            `fit: the loss must be a single number, got shape ${formatShape(loss.shape)} (use reduction 'mean' or 'sum')`,
          );
        }
        (stepping.weightBySamples ? loss.mul(size) : loss).backward();
        pending++;
        pendingSamples += size;
        if (pending === stepping.accumulate) {
          optimizerStep();
          stepped = true;
        }
        if (onHost) {
          hostLast = round(loss.dataSync()[0]!);
          hostSum = round(hostSum + round(hostLast * size));
          return;
        }
        noGrad(() => {
          lossSum!.add(loss, size);
          lastLoss ??= keep(full([], 0, { backend, dtype: loss.dtype }));
          lastLoss.assign(loss.reshape([]));
          metricSums.add(output, batch.y);
        });
      });
      if (options.disposeBatches ?? yieldsFreshBatches(options.train)) {
        for (const x of batchInputs(batch.x)) x.dispose();
        batch.y.dispose();
      }
      samples += size;
      context.step++;
      const read = context.step % readEvery === 0;
      // Without an onBatchEnd hook nobody sees the batch logs: build them (metric reads, the
      // clock) only for one, and read just what the divergence check needs.
      const logs: BatchLogs | null = batchCallbacks
        ? { epoch, batch: batchIndex, batches: batchesPerEpoch, step: context.step, size, stepped }
        : null;
      if (read) {
        const values = onHost
          ? [[hostLast], [hostSum]]
          : readValues([lastLoss!, lossSum!.total, ...(logs ? metricSums.totals() : [])]);
        if (values instanceof Promise && logs === null) {
          // Nobody sees this step's logs, only the divergence check needs its loss: check the
          // previous read instead of waiting for this one, so the host keeps queueing steps (a
          // wait here would drain an asynchronous device's queue every readEvery steps). A
          // read's values are those of its step (the contract's read), and the check comes at
          // most 2 * readEvery - 1 steps after a bad loss instead of readEvery - 1.
          values.catch(() => {}); // settled later, where an error surfaces
          const previous = inFlight;
          inFlight = { values, batch: batchIndex, step: context.step };
          if (previous !== null) check(firsts(await previous.values), previous);
        } else {
          const [losses, totals, ...sums] = values instanceof Promise ? await values : values;
          const [loss, total] = [losses![0]!, totals![0]!];
          check([loss, total], { batch: batchIndex, step: context.step });
          if (logs) {
            logs.loss = loss!;
            logs.runningLoss = total! / samples;
            logs.runningMetrics = metricSums.values(sums, samples);
            logs.samplesPerSecond = samples / ((performance.now() - started) / 1000);
            if (lastGradNorm !== null) {
              const norm = readValues([lastGradNorm]);
              logs.gradNorm = (norm instanceof Promise ? await norm : norm)[0]![0]!;
            }
          }
        }
      }
      if (logs) await runCallbacks(callbacks, 'onBatchEnd', logs, context);
      batchIndex++;
      if (context.stopTraining) {
        context.interrupted = { epoch, batches: batchIndex };
        return null;
      }
      if (batchIndex >= stepping.stepsPerEpoch) break;
    }
    if (samples === 0) throw new ArgumentError(`fit: the training data yielded no batches in epoch ${epoch + 1}`);
    // The epoch's leftover batches (fewer than accumulateSteps) step now: groups never span epochs.
    if (pending > 0) optimizerStep();
    if (inFlight !== null) check(firsts(await inFlight.values), inFlight);
    const values = onHost ? [[hostSum]] : readValues([lossSum!.total, ...metricSums.totals()]);
    const [totals, ...sums] = values instanceof Promise ? await values : values;
    const total = totals![0]!;
    if (!Number.isFinite(total)) {
      const last = onHost ? hostLast : (await lastLoss!.data())[0]!;
      throw divergence(last, epoch, batchIndex - 1, context.step, lastFinite);
    }
    const logs: EpochLogs = { loss: total! / samples };
    Object.assign(logs, metricSums.values(sums, samples));
    logs.samples_per_second = samples / ((performance.now() - started) / 1000);
    return logs;
  } catch (error) {
    // A read still in flight may have failed as well (cuda reports a kernel's bad index at the
    // next read): it becomes this error's cause instead of being lost behind it.
    if (inFlight !== null && error instanceof Error && error.cause === undefined) {
      const readError = await inFlight.values.then(
        () => undefined,
        (reason: unknown) => reason,
      );
      if (readError !== undefined && readError !== error) error.cause = readError;
    }
    throw error;
  } finally {
    // Stopped or failed inside an accumulation group: its gradients are dropped, not carried
    // into a later step (a resumed run restarts the group).
    if (pending > 0) options.optimizer.zeroGrad();
    lossSum?.dispose();
    lastLoss?.dispose();
    lastGradNorm?.dispose();
    metricSums.dispose();
  }
}

/** The values of small tensors (sums): read synchronously where the backend can (no promise per value). */
function readValues(tensors: readonly Tensor[]): number[][] | Promise<number[][]> {
  if (tensors[0]!.backend.readSync) return tensors.map((t) => Array.from(t.dataSync()));
  return Promise.all(tensors.map(async (t) => Array.from(await t.data())));
}

/** The first value of each tensor read. */
function firsts(values: readonly (readonly number[])[]): number[] {
  return values.map((v) => v[0]!);
}

function batchSize(batch: TrainingBatch): number {
  if (
    batch === null ||
    typeof batch !== 'object' ||
    !batch.y ||
    !(Array.isArray(batch.x)
      ? batch.x.length > 0 && batch.x.every((x) => x instanceof Tensor)
      : batch.x instanceof Tensor)
  ) {
    throw new ArgumentError('fit: each batch must be an object { x, y } of tensors (x may be an array of inputs)');
  }
  return samplesIn(batch.x);
}

function divergence(
  loss: number,
  epoch: number,
  batch: number,
  step: number,
  lastFinite: { loss: number; step: number } | null,
): TrainingDivergedError {
  const last = lastFinite
    ? `the last finite loss was ${lastFinite.loss.toPrecision(6)} at step ${lastFinite.step}`
    : 'no finite loss was seen before it';
  return new TrainingDivergedError(
    `fit: the loss became ${loss} at epoch ${epoch + 1}, step ${step} (batch ${batch + 1}); ${last}. Lower the learning rate, clip gradients, or check the data for NaN/Infinity.`,
  );
}

/** Batches per epoch when the source says (arrays, DataLoader.length). */
function knownLength(source: FitOptions['train']): number | undefined {
  const length = typeof source === 'object' && source !== null ? (source as { length?: unknown }).length : undefined;
  return typeof length === 'number' && Number.isInteger(length) ? length : undefined;
}
