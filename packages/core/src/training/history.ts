import type { EpochLogs } from './types.js';

/** Per-epoch logs of a fit run, ready to plot: `history.series('val_loss')`. */
export class History {
  readonly epochs: (EpochLogs & { epoch: number })[] = [];

  record(epoch: number, logs: EpochLogs): void {
    this.epochs.push({ ...logs, epoch });
  }

  /** The values of one logged quantity, one per epoch (NaN where an epoch lacks it). */
  series(name: string): number[] {
    return this.epochs.map((logs) => logs[name] ?? Number.NaN);
  }

  /** Every logged name, in first-seen order. */
  keys(): string[] {
    return [...new Set(this.epochs.flatMap((logs) => Object.keys(logs)))];
  }

  /** Keras' `history.history` shape: name -> values per epoch. */
  toJSON(): Record<string, number[]> {
    return Object.fromEntries(this.keys().map((key) => [key, this.series(key)]));
  }
}
