import { DistributedError } from './errors.js';

/** What a distributed run records in its checkpoints' `extra`, to resume with the same layout. */
export interface DistributedRunInfo {
  worldSize: number;
  /** Samples per rank per step (the global batch is worldSize × this). */
  perRankBatch?: number;
}

/** The `extra.distributed` entry of a checkpoint written by a run of `worldSize` ranks. */
export function distributedCheckpointExtra(info: DistributedRunInfo): { distributed: DistributedRunInfo } {
  return { distributed: { ...info } };
}

/**
 * Refuses to resume a checkpoint on another number of ranks: the sample order, the global batch
 * and so the trajectory depend on it. A checkpoint without the entry counts as one rank.
 */
export function checkResumeWorldSize(
  extra: Record<string, unknown> | undefined,
  worldSize: number,
  source = 'the checkpoint',
): void {
  const saved = (extra?.distributed as Partial<DistributedRunInfo> | undefined)?.worldSize ?? 1;
  if (saved !== worldSize) {
    throw new DistributedError(
      `cannot resume ${source} on ${worldSize} rank${worldSize === 1 ? '' : 's'}: it was written by a run of ${saved} rank${saved === 1 ? '' : 's'}, ` +
        `and the world size fixes the sample order and the global batch. Resume with mpirun -np ${saved}${saved === 1 ? ' (or without mpirun)' : ''}, or start a new run.`,
    );
  }
}
