// `myelin train` data-parallel over MPI: detected from the launcher's environment (mpirun sets
// OMPI_COMM_WORLD_SIZE) or asked for with --distributed mpi. Rank 0 alone prints and writes the
// run directory; the other ranks train their shard silently.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TrainableModel } from '@myelin/core';
import {
  DistributedDataParallel,
  checkResumeWorldSize,
  detectLaunch,
  initMpi,
  type Communicator,
} from '@myelin/distributed';
import { DistributedSampler } from '@myelin/data';
import { UsageError } from '../errors.js';

/** The file in a run directory that records how many ranks trained it (absent: one process). */
export const DISTRIBUTED_FILE = 'distributed.json';

export interface DistributedTraining {
  comm: Communicator;
  rank: number;
  size: number;
  isRoot: boolean;
  /** Where this rank writes: the run directory on rank 0, a scratch directory elsewhere. */
  scratch: string | null;
}

/**
 * Starts MPI when the process was launched by mpirun (or --distributed mpi asks for it); null for
 * an ordinary one-process run. On ranks other than 0, stdout is silenced from here on.
 */
export function startDistributed(flag: string | undefined): DistributedTraining | null {
  if (flag !== undefined && flag !== 'mpi' && flag !== 'none')
    throw new UsageError(`invalid value for --distributed: got "${flag}"; allowed: mpi, none`);
  if (flag === 'none') return null;
  const launch = detectLaunch();
  if (flag === undefined && launch === null) return null;
  const comm = initMpi();
  const isRoot = comm.rank === 0;
  let scratch: string | null = null;
  if (!isRoot) {
    process.stdout.write = (() => true) as typeof process.stdout.write;
    scratch = mkdtempSync(path.join(tmpdir(), `myelin-rank${comm.rank}-`));
  }
  return { comm, rank: comm.rank, size: comm.size, isRoot, scratch };
}

/** The sampler giving this rank its shard of the training set; the global batch is size × batchSize. */
export function shardSampler(run: DistributedTraining, length: number, seed: number): DistributedSampler {
  return new DistributedSampler(length, { rank: run.rank, worldSize: run.size, seed });
}

/** Wraps the model: broadcasts rank 0's weights (after any resume) and averages gradients. */
export function wrapModel<M extends TrainableModel>(run: DistributedTraining, model: M): DistributedDataParallel<M> {
  return new DistributedDataParallel(model, run.comm);
}

/** Refuses to resume a run on another world size (runs without the file had one process). */
export function checkResumeRun(directory: string, size: number): void {
  let extra: Record<string, unknown> | undefined;
  try {
    extra = { distributed: JSON.parse(readFileSync(path.join(directory, DISTRIBUTED_FILE), 'utf8')) as unknown };
  } catch {
    extra = undefined;
  }
  try {
    checkResumeWorldSize(extra, size, directory);
  } catch (error) {
    throw new UsageError(`invalid value for --resume: ${(error as Error).message}`);
  }
}

/** Rank 0 records the world size and per-rank batch in the run directory. */
export function recordRun(run: DistributedTraining | null, directory: string, perRankBatch: number): void {
  if (run === null || !run.isRoot) return;
  writeFileSync(
    path.join(directory, DISTRIBUTED_FILE),
    `${JSON.stringify({ worldSize: run.size, perRankBatch, globalBatch: run.size * perRankBatch }, null, 2)}\n`,
  );
}

/** Removes a non-root rank's scratch directory and ends MPI. */
export function finishDistributed(run: DistributedTraining | null): void {
  if (run === null) return;
  if (run.scratch) rmSync(run.scratch, { recursive: true, force: true });
  run.comm.finalize();
}
