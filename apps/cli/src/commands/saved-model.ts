import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  ArgumentError,
  CheckpointError,
  disposeCheckpoint,
  lossFromConfig,
  moduleFromConfig,
  type Loss,
  type Module,
  type ModuleConfig,
  type Tensor,
} from '@myelin/core';
import { listCheckpoints, loadCheckpoint } from '@myelin/core/node';
import { z } from 'zod';
import { configSchema, type RunConfig } from '../config/schema.js';
import { CliError, UsageError, describeValue } from '../errors.js';
import type { CheckpointExtra } from '../training/recorder.js';

/** A trained model loaded from a checkpoint, with the run config it was trained with. */
export interface SavedModel {
  model: Module;
  modelConfig: ModuleConfig;
  config: RunConfig;
  data: CheckpointExtra['data'];
  loss: Loss;
  /** Epochs completed when it was saved. */
  epoch: number;
  /** `runs/x/best`: where it came from, for messages. */
  label: string;
}

/**
 * Where a checkpoint argument points: a run directory (its 'best' checkpoint, else 'last'), a
 * checkpoint file (`best.json`, `last.safetensors`) or a checkpoint path without extension.
 */
export async function locateCheckpoint(reference: string): Promise<{ directory: string; name: string; note?: string }> {
  const resolved = path.resolve(reference);
  if (existsSync(resolved) && statSync(resolved).isDirectory()) {
    const found = await listCheckpoints(resolved);
    const name = found.includes('best') ? 'best' : found.includes('last') ? 'last' : undefined;
    if (name === undefined)
      throw notACheckpoint(
        reference,
        `the directory has ${found.length > 0 ? `checkpoints ${found.join(', ')} but no best or last` : 'no checkpoints'}`,
      );
    // A run directory means its best checkpoint; say so when there is none and 'last' is used.
    if (name === 'last')
      return {
        directory: resolved,
        name,
        note: `${reference} has no 'best' checkpoint (saveBest off, or stopped before one was written); using 'last'`,
      };
    return { directory: resolved, name };
  }
  const name = path.basename(resolved).replace(/(\.optimizer)?\.safetensors$|\.json$/, '');
  const directory = path.dirname(resolved);
  if (!existsSync(path.join(directory, `${name}.json`))) throw notACheckpoint(reference, 'no such checkpoint');
  return { directory, name };
}

/** A checkpoint whose weights hold NaN or Infinity gives NaN losses and meaningless predictions: refuse it, naming the tensor. */
async function refuseNonFinite(reference: string, state: Record<string, Tensor>): Promise<void> {
  for (const [name, tensor] of Object.entries(state)) {
    if (tensor.dtype !== 'float32' && tensor.dtype !== 'float64') continue;
    const values = await tensor.data();
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) {
        throw new CliError(
          `cannot use checkpoint ${reference}: its weight ${name} holds ${values[i]} at index ${i} (the run diverged, or the file was changed); evaluate or predict with an earlier checkpoint`,
        );
      }
    }
  }
}

function notACheckpoint(reference: string, why: string): UsageError {
  return new UsageError(
    `invalid value for <checkpoint>: got ${describeValue(reference)} (${why}); allowed: a run directory (runs/<run>) or a checkpoint (runs/<run>/best, runs/<run>/last.json)`,
  );
}

/** What `myelin train` stores about its data (CheckpointExtra's data), checked before evaluate or predict read it. */
const dimensions = z.array(z.number().int().min(0));
const dataSchema = z.object({
  classes: z.array(z.string()).nullable(),
  sampleShape: dimensions,
  inputShape: dimensions,
  outputs: z.number().int().min(1),
  task: z.enum(['classification', 'binary', 'regression']),
}) satisfies z.ZodType<CheckpointExtra['data']>;

/** Loads a checkpoint written by `myelin train` onto the active backend and rebuilds its model from modelConfig. */
export async function loadSavedModel(reference: string): Promise<SavedModel> {
  const { directory, name, note } = await locateCheckpoint(reference);
  if (note !== undefined) process.stderr.write(`myelin: ${note}\n`);
  let checkpoint;
  try {
    checkpoint = await loadCheckpoint(directory, name);
  } catch (error) {
    if (error instanceof CheckpointError)
      throw new CliError(`cannot load checkpoint ${reference}: ${error.message}`, undefined, { cause: error });
    throw error;
  }
  try {
    const extra = (checkpoint.extra as { myelin?: CheckpointExtra } | undefined)?.myelin;
    if (extra === undefined || checkpoint.modelConfig === null) {
      throw new CliError(
        `${reference} was not written by myelin train: it lacks ${checkpoint.modelConfig === null ? 'a modelConfig' : 'the run config (extra.myelin)'}, so the model or its preprocessing cannot be rebuilt`,
      );
    }
    const parsed = configSchema.safeParse(extra.config);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new CliError(
        `${reference}: its stored run config is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      );
    }
    const data = dataSchema.safeParse(extra.data);
    if (!data.success) {
      const issue = data.error.issues[0]!;
      throw new CliError(
        `${reference}: its stored data description is invalid at data.${issue.path.join('.') || '(root)'}: ${issue.message}`,
      );
    }
    const config = parsed.data;
    const modelConfig = checkpoint.modelConfig as ModuleConfig;
    let model: Module;
    try {
      model = moduleFromConfig(modelConfig);
    } catch (error) {
      if (error instanceof ArgumentError)
        throw new CliError(`${reference}: its modelConfig cannot be rebuilt: ${error.message}`);
      throw error;
    }
    await refuseNonFinite(reference, checkpoint.modelState);
    model.loadStateDict(checkpoint.modelState);
    model.eval();
    return {
      model,
      modelConfig,
      config,
      data: data.data,
      loss: lossFromConfig(config.loss as { type: string }),
      epoch: checkpoint.epoch,
      label: path.join(path.relative(process.cwd(), directory) || '.', name),
    };
  } finally {
    disposeCheckpoint(checkpoint);
  }
}
