// fit() over a DistributedDataParallel model: the gradient average runs between backward and
// the optimizer step, and every rank's epoch logs (hence history, early stopping and the
// schedule's monitored value) are the global ones.
import { fit, type Callback, type FitOptions, type History, type SchedulerLike } from '@myelin/core';
import type { DistributedDataParallel } from './ddp.js';

export interface DistributedFitOptions extends FitOptions {
  /**
   * On an error in this rank, print it (prefixed with the rank) and end the whole job with
   * MPI_Abort, so the other ranks do not wait forever in their next all-reduce. Default true
   * when there is more than one rank.
   */
  abortOnError?: boolean;
}

/**
 * Trains `ddp` like core's `fit`, data-parallel. Give each rank its own shard
 * (`DistributedSampler` in @myelin/data) with the per-rank batch size, and pass writing
 * callbacks (checkpoints, plots, progress) on rank 0 only.
 */
export async function distributedFit(ddp: DistributedDataParallel, options: DistributedFitOptions): Promise<History> {
  const userBeforeStep = options.beforeStep;
  const callbacks: Callback[] = [globalLogs(ddp), ...(options.callbacks ?? [])];
  const fitOptions: FitOptions = {
    ...options,
    callbacks,
    // Average first, then clip: clipping sees the global gradient, as in PyTorch's DDP.
    beforeStep: (parameters) => {
      ddp.syncGradients(parameters);
      userBeforeStep?.(parameters);
    },
    ...(options.schedule ? { schedule: globalSchedule(ddp, options.schedule) } : {}),
  };
  const abort = (options.abortOnError ?? true) && ddp.worldSize > 1;
  try {
    return await fit(ddp, fitOptions);
  } catch (error) {
    if (!abort) throw error;
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(
      `myelin distributed: rank ${ddp.rank} of ${ddp.worldSize} failed, ending the job: ${message}\n`,
    );
    ddp.comm.abort(1);
    throw error;
  }
}

/** First callback: replaces each epoch's logs (and the history entry) by the global values. */
function globalLogs(ddp: DistributedDataParallel): Callback {
  return {
    onEpochEnd(_epoch, logs, context) {
      if (ddp.worldSize === 1) return;
      const global = ddp.reduceLogs(logs);
      Object.assign(logs, global);
      const last = context.history.epochs[context.history.epochs.length - 1];
      if (last) Object.assign(last, global);
    },
  };
}

/** The schedule, stepped with the monitored value averaged over ranks (reduce-on-plateau sees the global loss). */
function globalSchedule(ddp: DistributedDataParallel, schedule: SchedulerLike): SchedulerLike {
  if (ddp.worldSize === 1) return schedule;
  return new Proxy(schedule, {
    get(target, property, receiver) {
      if (property === 'step') {
        return (metric?: number) => target.step(metric === undefined ? metric : ddp.averageScalar(metric));
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
