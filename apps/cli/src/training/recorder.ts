import {
  ModelCheckpoint,
  captureCheckpoint,
  releaseCapturedCheckpoint,
  type BatchLogs,
  type Callback,
  type EpochLogs,
  type LossTask,
  type MonitorMode,
  type SchedulerLike,
  type TrainingContext,
  type TrainingState,
} from '@myelin/core';
import { saveCheckpoint } from '@myelin/core/node';
import type { RunConfig } from '../config/schema.js';
import type { InterruptController } from './interrupt.js';
import { writePlots, type EpochRecord, type MetricsLog } from './run-directory.js';
import { mergePartial, type PartialEpoch, type RunState } from './run-state.js';

/** What a checkpoint's `extra.myelin` holds, so evaluate, predict and resume need nothing else. */
export interface CheckpointExtra {
  cli: string;
  config: RunConfig;
  data: {
    classes: readonly string[] | null;
    sampleShape: readonly number[];
    inputShape: readonly number[];
    outputs: number;
    task: LossTask;
  };
  /** Batches of the next epoch already trained (0 at an epoch boundary) and their sums. */
  position: { batchesDone: number; partial: PartialEpoch | null };
  best: { monitor: string; value: number | null; epoch: number | null };
  stopReason: string | null;
}

export interface RecorderOptions {
  directory: string;
  state: RunState;
  training: TrainingState;
  metrics: MetricsLog;
  interrupts: InterruptController;
  checkpoint: { monitor: string; mode: MonitorMode; saveBest: boolean; every: number };
  /** Everything of the extra but position, best and stopReason. */
  describe: Pick<CheckpointExtra, 'cli' | 'config' | 'data'>;
}

const PLOT_INTERVAL_MS = 30_000;

/**
 * Writes the run's files as training goes: a metrics record per epoch, the 'best' and 'last'
 * checkpoints (core's ModelCheckpoint decides 'best'), plots every half minute; and, on the
 * first Ctrl-C, stops training after the current batch with a 'last' checkpoint that records
 * how far into the epoch it got.
 */
export class RunRecorder implements Callback {
  readonly checkpointer: ModelCheckpoint;
  #samples = 0;
  #epoch = -1;
  #epochStarted = 0;
  #current: PartialEpoch | null = null;
  #lastPlot = performance.now();

  constructor(readonly options: RecorderOptions) {
    const { monitor, mode, saveBest } = options.checkpoint;
    this.checkpointer = new ModelCheckpoint({
      monitor,
      mode,
      saveBest,
      saveLast: true,
      save: (name, info) => this.#saveAtEpochEnd(name, info),
    });
  }

  /**
   * Replays earlier epochs' records (a resumed run), so 'best' means best over the whole run.
   * The best that the 'last' checkpoint recorded counts too: without it, a metrics.jsonl that
   * was deleted or damaged would let a worse epoch overwrite the 'best' checkpoint.
   */
  replay(records: readonly EpochRecord[], recorded: CheckpointExtra['best'] | null = null): void {
    if (!this.options.checkpoint.saveBest) return;
    const { tracker } = this.checkpointer;
    for (const record of records) {
      const value = record[tracker.monitor];
      if (value !== undefined && tracker.improve(value)) this.checkpointer.bestEpoch = record.epoch - 1;
    }
    if (
      recorded !== null &&
      recorded.monitor === tracker.monitor &&
      typeof recorded.value === 'number' &&
      typeof recorded.epoch === 'number' &&
      tracker.improve(recorded.value)
    )
      this.checkpointer.bestEpoch = recorded.epoch - 1;
  }

  onEpochBegin(epoch: number): void {
    this.#epoch = epoch;
    this.#samples = 0;
    this.#current = null;
    this.#epochStarted = performance.now();
    this.options.state.lastRecord = null;
    this.options.state.epochNote = '';
  }

  async onBatchEnd(logs: BatchLogs, context: TrainingContext): Promise<void> {
    this.#samples += logs.size;
    if (logs.runningLoss !== undefined) {
      const metricSums = Object.fromEntries(
        Object.entries(logs.runningMetrics ?? {}).map(([name, value]) => [name, value * this.#samples]),
      );
      this.#current = {
        samples: this.#samples,
        lossSum: logs.runningLoss * this.#samples,
        metricSums,
        duration: (performance.now() - this.#epochStarted) / 1000,
      };
    }
    // Stop only on a batch whose sums were read, so the partial epoch's numbers are exact, and
    // that ended an optimizer step: a checkpoint inside an accumulation group would lose its
    // gradients (a resume restarts the group at batchesDone, a multiple of accumulateSteps).
    if (this.options.interrupts.requested === null || logs.loss === undefined || !logs.stepped) return;
    const { state } = this.options;
    const offset = state.resume?.epoch === logs.epoch ? state.resume.batchesDone : 0;
    const batchesDone = offset + logs.batch + 1;
    // The epoch is complete: it ends as usual (validation, records, checkpoints), and onEpochEnd
    // stops the run. Stopping here would make fit drop the whole epoch as interrupted.
    if (batchesDone >= state.batchesPerEpoch) return;
    context.stopTraining = true;
    context.stopReason = 'interrupted';
    state.stoppedMidEpoch = { epoch: logs.epoch, batchesDone };
    const earlier = state.resume?.epoch === logs.epoch ? state.resume.partial : null;
    await this.#write('last', logs.epoch, {}, { batchesDone, partial: addPartial(earlier, this.#current!) }, context);
  }

  /** A train value of the epoch, merged with the part trained before a resume (for the schedule). */
  mergedValue(name: string, value: number): number {
    const { resume } = this.options.state;
    return resume?.epoch === this.#epoch ? mergePartial(resume.partial, name, value, this.#samples) : value;
  }

  async onEpochEnd(epoch: number, logs: EpochLogs, context: TrainingContext): Promise<void> {
    const { state } = this.options;
    if (this.options.interrupts.requested !== null) {
      context.stopTraining = true;
      context.stopReason ??= 'interrupted';
    }
    if (state.stoppedMidEpoch !== null) return;
    const record = this.#record(epoch, logs);
    this.options.metrics.append(record);
    state.lastRecord = record;
    const bestBefore = this.checkpointer.bestEpoch;
    await this.checkpointer.onEpochEnd(epoch, record, context);
    if (this.checkpointer.bestEpoch !== bestBefore) state.epochNote = 'best';
    if (performance.now() - this.#lastPlot > PLOT_INTERVAL_MS) {
      this.#lastPlot = performance.now();
      await writePlots(this.options.directory, this.options.metrics.records);
    }
  }

  #record(epoch: number, logs: EpochLogs): EpochRecord {
    const resumed = this.options.state.resume?.epoch === epoch ? this.options.state.resume.partial : null;
    const record: EpochRecord = { epoch: epoch + 1 };
    for (const [name, value] of Object.entries(logs)) record[name] = mergePartial(resumed, name, value, this.#samples);
    if (resumed) {
      record.duration = (logs.duration ?? 0) + resumed.duration;
      record.samples_per_second = (resumed.samples + this.#samples) / record.duration;
    }
    return record;
  }

  async #saveAtEpochEnd(
    name: 'best' | 'last',
    info: { epoch: number; logs: EpochLogs; context: TrainingContext },
  ): Promise<void> {
    const final = info.epoch + 1 === this.options.state.epochs || info.context.stopTraining;
    if (name === 'last' && !final && (info.epoch + 1) % this.options.checkpoint.every !== 0) return;
    await this.#write(name, info.epoch + 1, info.logs, { batchesDone: 0, partial: null }, info.context);
  }

  async #write(
    name: 'best' | 'last',
    epochsCompleted: number,
    logs: EpochLogs,
    position: CheckpointExtra['position'],
    context: TrainingContext,
  ): Promise<void> {
    const { tracker, bestEpoch } = this.checkpointer;
    const extra: CheckpointExtra = {
      ...this.options.describe,
      position,
      best: {
        monitor: tracker.monitor,
        value: Number.isFinite(tracker.best) ? tracker.best : null,
        epoch: bestEpoch >= 0 ? bestEpoch + 1 : null,
      },
      stopReason: context.stopReason ?? null,
    };
    const checkpoint = captureCheckpoint(this.options.training, epochsCompleted, {
      metrics: { ...logs },
      extra: { myelin: extra },
    });
    try {
      await saveCheckpoint(this.options.directory, name, checkpoint);
    } finally {
      releaseCapturedCheckpoint(checkpoint);
    }
    if (name === 'last') this.options.state.lastSaved = { epoch: epochsCompleted, batchesDone: position.batchesDone };
  }
}

function addPartial(earlier: PartialEpoch | null, current: PartialEpoch): PartialEpoch {
  if (earlier === null) return current;
  const metricSums = { ...earlier.metricSums };
  for (const [name, sum] of Object.entries(current.metricSums)) metricSums[name] = (metricSums[name] ?? 0) + sum;
  return {
    samples: earlier.samples + current.samples,
    lossSum: earlier.lossSum + current.lossSum,
    metricSums,
    duration: earlier.duration + current.duration,
  };
}

/** The schedule as fit sees it: stepped with the epoch's value merged across a resume. */
export function mergingSchedule(schedule: SchedulerLike, monitor: string, recorder: RunRecorder): SchedulerLike {
  return {
    step: (metric?: number) => schedule.step(metric === undefined ? undefined : recorder.mergedValue(monitor, metric)),
    getLastLr: () => schedule.getLastLr?.() ?? [],
    ...(schedule.interval ? { interval: schedule.interval } : {}),
    ...(schedule.monitorsMetric ? { monitorsMetric: true } : {}),
  };
}
