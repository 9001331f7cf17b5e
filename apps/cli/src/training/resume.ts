import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CheckpointError, type Checkpoint, type EpochSource } from '@myelin/core';
import { listCheckpoints, loadCheckpoint } from '@myelin/core/node';
import { DataLoader, Subset, type Batch, type DatasetLike, type Sample } from '@myelin/data';
import { applyFlags } from '../config/options.js';
import { getPath } from '../config/paths.js';
import { configSchema, type RunConfig } from '../config/schema.js';
import { CliError, UsageError, describeValue } from '../errors.js';
import { displayPath } from './describe.js';
import type { CheckpointExtra } from './recorder.js';

/** Flags that may change when resuming: none of them changes what is computed on cpu-reference. */
export const RESUME_FLAGS = ['epochs', 'backend', 'log-every', 'log-epochs-every', 'read-loss-every'] as const;

/** The run directory's config with the allowed flags applied; other flags are usage errors. */
export function configForResume(directory: string, flags: ReadonlyMap<string, string>): RunConfig {
  const file = path.join(directory, 'config.json');
  if (!existsSync(file)) {
    throw new UsageError(
      `invalid value for --resume: got ${describeValue(displayPath(directory))}; allowed: a run directory made by myelin train (it has config.json and a 'last' checkpoint)`,
    );
  }
  const refused = [...flags.keys()].filter((flag) => !(RESUME_FLAGS as readonly string[]).includes(flag));
  if (refused.length > 0) {
    throw new UsageError(
      `--${refused[0]} cannot be used with --resume: a resumed run keeps its config (${file}); allowed with --resume: ${RESUME_FLAGS.map((f) => `--${f}`).join(', ')}, --no-progress, --verbose (to train a changed copy, pass --config ${file} instead)`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const config = raw as Record<string, unknown>;
  applyFlags(config, flags);
  const parsed = configSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(
      `${file} (or a flag given with --resume) is not a valid run config: ${issue.path.join('.')}: ${issue.message}`,
    );
  }
  refuseChangedTrajectory(directory, file, parsed.data);
  return parsed.data;
}

/**
 * Config paths that decide what a run computes: a resume must find them as the 'last'
 * checkpoint recorded them, or it would continue another run's trajectory (a new batch size
 * with the old shuffle position, a new optimizer over the old state, another data source).
 */
export const TRAJECTORY_PATHS = [
  'data',
  'model',
  'loss',
  'optimizer',
  'schedule',
  'training.batchSize',
  'training.clipGradNorm',
  'training.clipGradValue',
  'training.accumulateSteps',
  'training.classWeight',
  'training.validationFreq',
  'seed',
] as const;

/** Leaves of a JSON value by dotted path ('optimizer.lr'), as JSON text. */
function leaves(value: unknown, prefix: string, into: Map<string, string>): Map<string, string> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) leaves(child, prefix ? `${prefix}.${key}` : key, into);
  } else into.set(prefix, JSON.stringify(value ?? null));
  return into;
}

/** The run config the 'last' checkpoint recorded (its manifest's extra.myelin.config), or undefined when unreadable. */
function checkpointConfig(directory: string): unknown {
  try {
    const manifest = JSON.parse(readFileSync(path.join(directory, 'last.json'), 'utf8')) as {
      extra?: { myelin?: { config?: unknown } };
    };
    return manifest.extra?.myelin?.config;
  } catch {
    return undefined; // no checkpoint yet, or a damaged one: loading it reports that
  }
}

function refuseChangedTrajectory(directory: string, file: string, config: RunConfig): void {
  const recorded = configSchema.safeParse(checkpointConfig(directory));
  if (!recorded.success) return;
  for (const root of TRAJECTORY_PATHS) {
    const now = leaves(getPath(config, root), root, new Map());
    const then = leaves(getPath(recorded.data, root), root, new Map());
    for (const key of new Set([...then.keys(), ...now.keys()])) {
      if (now.get(key) === then.get(key)) continue;
      throw new UsageError(
        `cannot resume ${displayPath(directory)}: ${key} is ${now.get(key) ?? 'absent'} in ${file} but was ${then.get(key) ?? 'absent'} when the 'last' checkpoint was saved; a resumed run must keep what decides its trajectory (${TRAJECTORY_PATHS.join(', ')}); allowed: restore ${key}, or train a changed copy with --config ${file}`,
      );
    }
  }
}

export interface ResumePoint {
  checkpoint: Checkpoint;
  /** Epochs completed. */
  epoch: number;
  extra: CheckpointExtra;
}

/** Loads the run's 'last' checkpoint (on the active backend). */
export async function loadResumePoint(directory: string): Promise<ResumePoint> {
  let checkpoint: Checkpoint;
  try {
    checkpoint = await loadCheckpoint(directory, 'last');
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    const found = await listCheckpoints(directory);
    if (!found.includes('last')) {
      throw new UsageError(
        `invalid value for --resume: got ${describeValue(displayPath(directory))}; allowed: a run directory with a 'last' checkpoint (it has ${found.length > 0 ? found.join(', ') : 'none yet: it was stopped before its first checkpoint'})`,
      );
    }
    throw new CliError(`cannot resume from ${directory}: ${error.message}`, undefined, { cause: error });
  }
  const extra = (checkpoint.extra as { myelin?: CheckpointExtra } | undefined)?.myelin;
  if (extra === undefined)
    throw new CliError(
      `cannot resume from ${directory}: its 'last' checkpoint was not written by myelin train (no extra.myelin)`,
    );
  return { checkpoint, epoch: checkpoint.epoch, extra };
}

/**
 * The training data as fit sees it: the loader, except that the epoch a resume lands in skips
 * the batches trained before the interruption. The loader's order is a function of (seed,
 * epoch), so the rest of that epoch is exactly what the uninterrupted run trained on.
 */
export function resumableSource(
  loader: DataLoader,
  dataset: DatasetLike<Sample>,
  resume: { epoch: number; batchesDone: number } | null,
): EpochSource<Batch> & { length: number } {
  return {
    // Batches per epoch, so fit's step count (the NaN guard's "step N") continues after a resume.
    length: loader.length,
    yieldsFreshBatches: true,
    epoch(epoch: number) {
      if (resume === null || epoch !== resume.epoch || resume.batchesDone === 0) return loader.epoch(epoch);
      const rest = loader.order(epoch).slice(resume.batchesDone * loader.batchSize);
      // An unshuffled loader over the rest, with an explicit seed: none is drawn from the generator dropout uses.
      return new DataLoader(new Subset(dataset, rest), {
        batchSize: loader.batchSize,
        dropLast: loader.dropLast,
        prefetch: loader.prefetch,
        seed: 0,
      }).epoch(epoch);
    },
  };
}
