import type { Tensor } from '../tensor/tensor.js';
import type { LoadStateDictResult } from '../nn/module.js';

/** One batch of inputs and targets. */
export interface Batch {
  x: Tensor;
  y: Tensor;
}

/**
 * A batch for a model whose forward takes several inputs (Keras' `model.fit([x1, x2], y)`):
 * fit, evaluate and predict call `model.forward(...x)`.
 */
export interface MultiInputBatch {
  x: readonly Tensor[];
  y: Tensor;
}

/** What fit and evaluate read: single- or multi-input batches. */
export type TrainingBatch = Batch | MultiInputBatch;

/** The batch's inputs as a list (one tensor or several). */
export function batchInputs(x: Tensor | readonly Tensor[]): readonly Tensor[] {
  return Array.isArray(x) ? (x as readonly Tensor[]) : [x as Tensor];
}

/** model.forward on a batch's input(s). */
export function forwardBatch(model: TrainableModel, x: Tensor | readonly Tensor[]): Tensor {
  const inputs = batchInputs(x);
  return model.forward(inputs[0]!, ...inputs.slice(1));
}

/** The samples in a batch: the first axis of its (first) input; a scalar input is one sample. */
export function samplesIn(x: Tensor | readonly Tensor[]): number {
  const first = batchInputs(x)[0]!;
  return first.rank === 0 ? 1 : first.shape[0]!;
}

/**
 * A source with one batch order per epoch (a DataLoader): `epoch(e)` gives epoch e's batches.
 * With `yieldsFreshBatches`, every batch is new and the loop disposes it after use.
 */
export interface EpochSource<B = Batch> {
  epoch(epoch: number): Iterable<B> | AsyncIterable<B>;
  readonly yieldsFreshBatches?: boolean;
}

/** What fit/evaluate accept: batches, sync or async, a function of the epoch, or an EpochSource. */
export type DataSource<B = Batch> =
  Iterable<B> | AsyncIterable<B> | ((epoch: number) => Iterable<B> | AsyncIterable<B>) | EpochSource<B>;

/** Whether the loop owns (and must dispose) the batches a source yields. */
export function yieldsFreshBatches(source: DataSource<unknown>): boolean {
  return (
    typeof source === 'object' &&
    source !== null &&
    (source as { yieldsFreshBatches?: unknown }).yieldsFreshBatches === true
  );
}

/** The parts of a Module the loop uses (structural, so any model-like object works). */
export interface TrainableModel {
  forward(input: Tensor, ...rest: Tensor[]): Tensor;
  train(mode?: boolean): unknown;
  eval(): unknown;
  parameters(): Tensor[];
  readonly training: boolean;
  stateDict?(): Record<string, Tensor>;
  /** A Module returns what a non-strict load skipped (PyTorch's missing and unexpected keys). */
  loadStateDict?(state: Record<string, Tensor>, options?: { strict?: boolean }): LoadStateDictResult | void;
}

/** A loss module (`forward(input, target)`) or a plain function. */
export type LossLike =
  | { forward(input: Tensor, target: Tensor): Tensor; config?(): { type: string }; readonly onLogits?: boolean }
  | ((input: Tensor, target: Tensor) => Tensor);

export interface OptimizerLike {
  step(): void;
  zeroGrad(): void;
  readonly paramGroups: readonly { lr: number }[];
}

export interface SchedulerLike {
  /**
   * Called once after every epoch with the monitored metric (plateau schedulers use it), or, for
   * an `interval` of 'batch', after every optimizer step with none.
   */
  step(metric?: number): void;
  readonly interval?: 'epoch' | 'batch';
  /** Steps need the monitored value (ReduceLROnPlateau): fit does not step it on an epoch without that value. */
  readonly monitorsMetric?: boolean;
  getLastLr?(): number[];
}

/** Numbers logged for one epoch: loss and metrics, `val_`-prefixed for validation, and lr. */
export type EpochLogs = Record<string, number>;

/** What a callback sees after a batch. `loss` and the running values are present on the batches whose loss was read. */
export interface BatchLogs {
  epoch: number;
  /** 0-based batch index within the epoch. */
  batch: number;
  /** Batches in the epoch when known (arrays, loaders with a length). */
  batches?: number;
  /** Global batch count, 1-based (the optimizer step count, unless fit's accumulateSteps is above 1). */
  step: number;
  size: number;
  /** Whether the optimizer stepped after this batch (false inside a gradient-accumulation group). */
  stepped: boolean;
  /** The gradients' total norm before clipping at the last optimizer step (fit's clipGradNorm), on read batches. */
  gradNorm?: number;
  loss?: number;
  runningLoss?: number;
  runningMetrics?: Record<string, number>;
  samplesPerSecond?: number;
}

export function applyLoss(loss: LossLike, input: Tensor, target: Tensor): Tensor {
  return typeof loss === 'function' ? loss(input, target) : loss.forward(input, target);
}
