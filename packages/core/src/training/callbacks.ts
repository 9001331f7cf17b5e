import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Callback, TrainingContext } from './callback.js';
import type { BatchLogs, EpochLogs } from './types.js';

export type MonitorMode = 'min' | 'max' | 'auto';

/** Tracks the best value of a logged quantity ('auto': accuracy, auc, precision, recall, f1 and r2 are maximised, losses and errors such as mae minimised). */
export class MonitorTracker {
  readonly mode: 'min' | 'max';
  best: number;

  constructor(
    readonly monitor: string,
    mode: MonitorMode,
    readonly minDelta: number,
  ) {
    if (!(minDelta >= 0)) throw new ArgumentError(`${monitor}: minDelta must be >= 0, got ${minDelta}`);
    this.mode = mode === 'auto' ? (/acc|auc|precision|recall|f1|(^|_)r2($|_)/.test(monitor) ? 'max' : 'min') : mode;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  /** The monitored value from an epoch's logs, or a clear error listing what is logged. */
  read(logs: EpochLogs): number;
  /** Undefined for a val_ monitor on an epoch that skipped validation (Keras skips such epochs). */
  read(logs: EpochLogs, context: TrainingContext): number | undefined;
  read(logs: EpochLogs, context?: TrainingContext): number | undefined {
    const value = logs[this.monitor];
    if (value === undefined && context?.skippedValidation === true && this.monitor.startsWith('val_')) return undefined;
    if (value === undefined) {
      throw new ArgumentError(
        `monitor '${this.monitor}' is not logged; logged values are ${Object.keys(logs).join(', ')} (validation values need validation data)`,
      );
    }
    return value;
  }

  reset(): void {
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  /** Records `value` if it improves on the best by more than minDelta. */
  improve(value: number): boolean {
    const better = this.mode === 'min' ? value < this.best - this.minDelta : value > this.best + this.minDelta;
    if (better) this.best = value;
    return better;
  }
}

export interface EarlyStoppingOptions {
  monitor?: string;
  mode?: MonitorMode;
  /** Epochs without improvement before stopping. */
  patience?: number;
  minDelta?: number;
  /** Put back the weights of the best epoch when training ends. */
  restoreBestWeights?: boolean;
}

/** Stops training when the monitored value stops improving (Keras' EarlyStopping). */
export class EarlyStopping implements Callback {
  readonly tracker: MonitorTracker;
  readonly patience: number;
  readonly restoreBestWeights: boolean;
  bestEpoch = -1;
  stoppedEpoch = -1;
  #wait = 0;
  #snapshot: Record<string, Tensor> | null = null;

  constructor(options: EarlyStoppingOptions = {}) {
    this.tracker = new MonitorTracker(options.monitor ?? 'val_loss', options.mode ?? 'auto', options.minDelta ?? 0);
    this.patience = options.patience ?? 0;
    if (!Number.isInteger(this.patience) || this.patience < 0)
      throw new ArgumentError(`EarlyStopping: patience must be a non-negative integer, got ${options.patience}`);
    this.restoreBestWeights = options.restoreBestWeights ?? false;
  }

  /** Each fit starts fresh, as in Keras. */
  onTrainBegin(): void {
    this.tracker.reset();
    this.bestEpoch = -1;
    this.stoppedEpoch = -1;
    this.#wait = 0;
    this.#dropSnapshot();
  }

  onEpochEnd(epoch: number, logs: EpochLogs, context: TrainingContext): void {
    const value = this.tracker.read(logs, context);
    if (value === undefined) return;
    if (this.tracker.improve(value)) {
      this.bestEpoch = epoch;
      this.#wait = 0;
      if (this.restoreBestWeights) this.#takeSnapshot(context);
    } else if (++this.#wait >= this.patience) {
      this.stoppedEpoch = epoch;
      context.stopTraining = true;
      context.stopReason = `early stopping: ${this.tracker.monitor} did not improve for ${this.#wait} epochs (best ${this.tracker.best.toPrecision(5)} at epoch ${this.bestEpoch + 1})`;
    }
  }

  onTrainEnd(context: TrainingContext): void {
    if (this.#snapshot && context.model.loadStateDict) context.model.loadStateDict(this.#snapshot);
    this.#dropSnapshot();
  }

  #takeSnapshot(context: TrainingContext): void {
    if (!context.model.stateDict)
      throw new ArgumentError('EarlyStopping: restoreBestWeights needs a model with stateDict()/loadStateDict()');
    this.#dropSnapshot();
    this.#snapshot = Object.fromEntries(
      Object.entries(context.model.stateDict()).map(([name, t]) => [name, t.detach()]),
    );
  }

  #dropSnapshot(): void {
    if (this.#snapshot) for (const t of Object.values(this.#snapshot)) t.dispose();
    this.#snapshot = null;
  }
}

export interface ModelCheckpointOptions {
  /** Writes a checkpoint; `name` is 'best' or 'last'. The CLI passes a function that saves files atomically. */
  save: (name: 'best' | 'last', info: { epoch: number; logs: EpochLogs; context: TrainingContext }) => Promise<void>;
  monitor?: string;
  mode?: MonitorMode;
  saveBest?: boolean;
  saveLast?: boolean;
}

/** Saves 'best' whenever the monitored value improves and 'last' after every epoch. */
export class ModelCheckpoint implements Callback {
  readonly tracker: MonitorTracker;
  bestEpoch = -1;

  constructor(readonly options: ModelCheckpointOptions) {
    this.tracker = new MonitorTracker(options.monitor ?? 'val_loss', options.mode ?? 'auto', 0);
  }

  async onEpochEnd(epoch: number, logs: EpochLogs, context: TrainingContext): Promise<void> {
    const value = this.tracker.read(logs, context);
    if ((this.options.saveBest ?? true) && value !== undefined && this.tracker.improve(value)) {
      this.bestEpoch = epoch;
      await this.options.save('best', { epoch, logs, context });
    }
    if (this.options.saveLast ?? true) await this.options.save('last', { epoch, logs, context });
  }
}

/** A line per `every` batches with the running loss and metrics, and one per epoch. */
export class ProgressLogger implements Callback {
  #lastLogged = -1;

  constructor(readonly options: { every?: number; log?: (line: string) => void } = {}) {}

  onEpochBegin(): void {
    this.#lastLogged = -1;
  }

  onBatchEnd(logs: BatchLogs, context: TrainingContext): void {
    // The loss is read only every readLossEvery steps (GPU backends): log at the first read
    // batch at or past each `every` boundary, so no epoch goes silent.
    const every = this.options.every ?? 20;
    if (
      logs.runningLoss === undefined ||
      Math.floor((logs.batch + 1) / every) <= Math.floor((this.#lastLogged + 1) / every)
    )
      return;
    this.#lastLogged = logs.batch;
    const metrics = Object.entries(logs.runningMetrics ?? {})
      .map(([name, value]) => `  ${name} ${value.toFixed(4)}`)
      .join('');
    const rate = logs.samplesPerSecond === undefined ? '' : `  ${Math.round(logs.samplesPerSecond)} samples/s`;
    this.#log(
      `epoch ${logs.epoch + 1}/${context.epochs}  batch ${logs.batch + 1}${logs.batches ? `/${logs.batches}` : ''}  loss ${logs.runningLoss.toFixed(4)}${metrics}${rate}`,
    );
  }

  onEpochEnd(epoch: number, logs: EpochLogs, context: TrainingContext): void {
    const parts = Object.entries(logs)
      .filter(([name]) => name !== 'duration' && name !== 'samples_per_second')
      .map(([name, value]) => `${name} ${name === 'lr' ? value.toPrecision(3) : value.toFixed(4)}`);
    this.#log(`epoch ${epoch + 1}/${context.epochs}  ${parts.join('  ')}  (${(logs.duration ?? 0).toFixed(2)} s)`);
  }

  #log(line: string): void {
    (this.options.log ?? console.log)(line);
  }
}

/** Calls plain functions from fit's hooks, for quick custom logging. */
export class LambdaCallback implements Callback {
  constructor(hooks: Callback) {
    Object.assign(this, hooks);
  }
}
