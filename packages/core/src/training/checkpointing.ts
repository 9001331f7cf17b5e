import { disposeCheckpoint, type Checkpoint } from '../checkpoint/checkpoint.js';
import type { Module } from '../nn/module.js';
import { checkedModelConfig } from '../nn/reparametrization-config.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { LRScheduler } from '../schedules/scheduler.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';

export interface TrainingState {
  model: Module;
  optimizer?: Optimizer;
  schedule?: LRScheduler;
  /** The generator dropout and shuffling draw from (the default one unless given). */
  generator?: Generator;
}

/**
 * Everything needed to continue a run after `epoch` completed epochs. The model's tensors are
 * its live ones; the optimizer state's are copies: free those with `releaseCapturedCheckpoint`
 * once saved (not `disposeCheckpoint`, which would free the live model too).
 */
export function captureCheckpoint(
  state: TrainingState,
  epoch: number,
  extra: { metrics?: Record<string, unknown>; extra?: Record<string, unknown> } = {},
): Checkpoint {
  return {
    modelConfig: checkedModelConfig(state.model),
    modelState: state.model.stateDict(),
    optimizerState: state.optimizer?.stateDict(),
    schedulerState: state.schedule?.stateDict() as Record<string, unknown> | undefined,
    epoch,
    rngState: (state.generator ?? defaultGenerator).getState(),
    ...extra,
  };
}

/**
 * Loads a checkpoint into an existing model, optimizer, schedule and generator; returns the
 * epoch to resume from (pass it to fit as `initialEpoch`).
 */
export function restoreCheckpoint(checkpoint: Checkpoint, state: TrainingState): number {
  state.model.loadStateDict(checkpoint.modelState);
  if (state.optimizer && checkpoint.optimizerState) state.optimizer.loadStateDict(checkpoint.optimizerState);
  if (state.schedule && checkpoint.schedulerState) state.schedule.loadStateDict(checkpoint.schedulerState as never);
  if (checkpoint.rngState) (state.generator ?? defaultGenerator).setState(checkpoint.rngState);
  return checkpoint.epoch;
}

/** Frees what `captureCheckpoint` copied (the optimizer state), leaving the live model alone. */
export function releaseCapturedCheckpoint(checkpoint: Checkpoint): void {
  disposeCheckpoint({ ...checkpoint, modelState: {} });
}
