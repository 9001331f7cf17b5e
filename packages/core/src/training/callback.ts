import type { History } from './history.js';
import type { BatchLogs, EpochLogs, OptimizerLike, SchedulerLike, TrainableModel } from './types.js';

/** What callbacks see and may change during fit. */
export interface TrainingContext {
  readonly model: TrainableModel;
  readonly optimizer: OptimizerLike;
  readonly schedule?: SchedulerLike;
  readonly history: History;
  readonly epochs: number;
  /** Set by a callback (early stopping, an interrupt) to end training after the current batch. */
  stopTraining: boolean;
  /** Why training stopped early, for the summary. */
  stopReason?: string;
  /** Set when a batch-level callback stopped training mid-epoch: that epoch's completed batches. */
  interrupted?: { epoch: number; batches: number };
  /** The epoch being trained (0-based) and the global batch count (see BatchLogs.step). */
  epoch: number;
  step: number;
  /** True at the end of an epoch that skipped validation (fit's validationFreq): its logs have no val_ values. */
  skippedValidation?: boolean;
}

/** Keras-style hooks; each may be async. */
export interface Callback {
  onTrainBegin?(context: TrainingContext): void | Promise<void>;
  onEpochBegin?(epoch: number, context: TrainingContext): void | Promise<void>;
  onBatchEnd?(logs: BatchLogs, context: TrainingContext): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: EpochLogs, context: TrainingContext): void | Promise<void>;
  onTrainEnd?(context: TrainingContext): void | Promise<void>;
}

export async function runCallbacks<K extends keyof Callback>(
  callbacks: readonly Callback[],
  hook: K,
  ...args: Parameters<NonNullable<Callback[K]>>
): Promise<void> {
  for (const callback of callbacks) {
    const fn = callback[hook] as ((...a: unknown[]) => void | Promise<void>) | undefined;
    if (fn) await fn.apply(callback, args);
  }
}
