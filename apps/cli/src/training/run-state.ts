import type { EpochRecord } from './run-directory.js';

/** Sums over the batches of an epoch trained before an interruption, to merge with the rest after resuming. */
export interface PartialEpoch {
  samples: number;
  lossSum: number;
  metricSums: Record<string, number>;
  duration: number;
}

/** Where a run stands, shared by the training callbacks. */
export interface RunState {
  epochs: number;
  batchesPerEpoch: number;
  /** Set when this process resumed inside an epoch: that epoch skips its first batchesDone batches. */
  resume: { epoch: number; batchesDone: number; partial: PartialEpoch | null } | null;
  /** Set when an interrupt stopped training inside an epoch (that epoch is not recorded). */
  stoppedMidEpoch: { epoch: number; batchesDone: number } | null;
  /** The record of the epoch that just ended (merged with its part before a resume). */
  lastRecord: EpochRecord | null;
  /** A remark for the epoch summary line ('best'). */
  epochNote: string;
  /** The 'last' checkpoint written most recently: epochs completed and batches into the next one. */
  lastSaved: { epoch: number; batchesDone: number } | null;
}

export function mergePartial(partial: PartialEpoch | null, name: string, value: number, samples: number): number {
  if (partial === null || name.startsWith('val_') || name === 'lr') return value;
  const sum = name === 'loss' ? partial.lossSum : partial.metricSums[name];
  if (sum === undefined) return value;
  return (sum + value * samples) / (partial.samples + samples);
}
