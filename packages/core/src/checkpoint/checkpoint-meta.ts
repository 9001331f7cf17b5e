import type { Backend, DType } from '../backend/contract.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Checkpoint, CheckpointOptimizerState } from './checkpoint.js';
import { CheckpointError } from './errors.js';
import { reviveJsonValue, toJsonValue } from './json-values.js';
import { describe, tensorsFromSafetensors, type DecodedSafetensors, type HostTensor } from './safetensors.js';

// The JSON half of a checkpoint: building it from a Checkpoint, validating it, and joining it
// back with the decoded tensors. The layout is documented in checkpoint.ts.

export const CHECKPOINT_FORMAT = 'myelin-checkpoint';
export const CHECKPOINT_VERSION = 1;
const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

/** Size and CRC-32 of a tensor file, so a truncated file or one from another save is refused. */
export interface CheckpointFileInfo {
  bytes: number;
  crc32: string;
  /** The file's name in the checkpoint's directory (written by saveCheckpoint; absent in older checkpoints). */
  name?: string;
  /**
   * The temporary name the file was written under before the commit (saveCheckpoint): until it is
   * renamed to `name` after the commit, loaders read it from there.
   */
  staged?: string;
}
export interface CheckpointTensorEntry {
  name: string;
  dtype: DType;
  shape: number[];
}
/** An optimizer state value in the meta: a JSON number, or a reference to a tensor by key. */
export type OptimizerStateEntry = number | { tensor: string };

/** The parsed `<name>.json`. See the doc comment of checkpoint.ts. */
export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  version: typeof CHECKPOINT_VERSION;
  epoch: number;
  modelConfig: unknown;
  model: { tensors: CheckpointTensorEntry[]; file?: CheckpointFileInfo };
  optimizer?: {
    paramGroups: { params: number[]; [option: string]: unknown }[];
    state: Record<string, Record<string, OptimizerStateEntry>>;
    file?: CheckpointFileInfo;
  };
  schedulerState?: Record<string, unknown>;
  rngState?: { seed: number; offset: number };
  metrics?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

/** Labels that prefix error messages: file names when reading from disk. */
export interface CheckpointSources {
  meta: string;
  weights: string;
  optimizer: string;
}
export const DEFAULT_SOURCES: CheckpointSources = {
  meta: 'checkpoint meta',
  weights: 'checkpoint weights',
  optimizer: 'optimizer state',
};

/** Reads every tensor of a checkpoint to the host and builds its meta (without file info). */
export async function collectCheckpoint(checkpoint: Checkpoint): Promise<{
  meta: CheckpointMeta;
  model: Record<string, HostTensor>;
  optimizer?: Record<string, HostTensor>;
}> {
  if (typeof checkpoint !== 'object' || checkpoint === null)
    throw new CheckpointError(`serializeCheckpoint: expected a Checkpoint object, got ${describe(checkpoint)}`);
  if (typeof checkpoint.epoch !== 'number' || !Number.isFinite(checkpoint.epoch))
    throw new CheckpointError(`checkpoint.epoch must be a finite number, got ${describe(checkpoint.epoch)}`);
  if (typeof checkpoint.modelState !== 'object' || checkpoint.modelState === null)
    throw new CheckpointError(
      `checkpoint.modelState must be a Record<string, Tensor> (model.stateDict()), got ${describe(checkpoint.modelState)}`,
    );
  const model: Record<string, HostTensor> = {};
  const tensors: CheckpointTensorEntry[] = [];
  for (const [name, t] of Object.entries(checkpoint.modelState)) {
    model[name] = await readTensor(t, `checkpoint.modelState['${name}']`);
    tensors.push({ name, dtype: t.dtype, shape: [...t.shape] });
  }
  const meta: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    epoch: checkpoint.epoch,
    modelConfig: toJsonValue(checkpoint.modelConfig ?? null, 'checkpoint.modelConfig'),
    model: { tensors },
  };
  let optimizer: Record<string, HostTensor> | undefined;
  if (checkpoint.optimizerState !== undefined) {
    optimizer = {};
    meta.optimizer = await collectOptimizer(checkpoint.optimizerState, optimizer);
  }
  for (const key of ['schedulerState', 'metrics', 'extra'] as const) {
    const value = checkpoint[key];
    if (value === undefined) continue;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new CheckpointError(`checkpoint.${key} must be an object, got ${describe(value)}`);
    meta[key] = toJsonValue(value, `checkpoint.${key}`) as Record<string, unknown>;
  }
  if (checkpoint.rngState !== undefined) {
    const { seed, offset } = checkpoint.rngState;
    if (typeof seed !== 'number' || typeof offset !== 'number')
      throw new CheckpointError(
        `checkpoint.rngState must be a GeneratorState {seed, offset} (generator.getState()), got ${JSON.stringify(checkpoint.rngState)}`,
      );
    meta.rngState = { seed, offset };
  }
  return optimizer === undefined ? { meta, model } : { meta, model, optimizer };
}

async function collectOptimizer(
  state: CheckpointOptimizerState,
  host: Record<string, HostTensor>,
): Promise<NonNullable<CheckpointMeta['optimizer']>> {
  if (
    typeof state !== 'object' ||
    state === null ||
    !Array.isArray(state.paramGroups) ||
    typeof state.state !== 'object' ||
    state.state === null
  ) {
    throw new CheckpointError(
      `checkpoint.optimizerState must be {state, paramGroups} (optimizer.stateDict()), got ${describe(state)}`,
    );
  }
  const paramGroups = state.paramGroups.map((group, i) => {
    if (!Array.isArray(group?.params) || !group.params.every(isIndex)) {
      throw new CheckpointError(
        `checkpoint.optimizerState.paramGroups[${i}].params must be parameter indices (integers), got ${describe(group?.params)}; use optimizer.stateDict(), not optimizer.paramGroups`,
      );
    }
    return toJsonValue(group, `checkpoint.optimizerState.paramGroups[${i}]`) as { params: number[] };
  });
  const entries: Record<string, Record<string, OptimizerStateEntry>> = {};
  for (const [index, values] of Object.entries(state.state)) {
    const path = `checkpoint.optimizerState.state[${index}]`;
    if (!/^(0|[1-9]\d*)$/.test(index))
      throw new CheckpointError(
        `${path}: state keys must be parameter indices (non-negative integers), got '${index}'`,
      );
    if (typeof values !== 'object' || values === null)
      throw new CheckpointError(`${path} must be an object of tensors and numbers, got ${describe(values)}`);
    const record: Record<string, OptimizerStateEntry> = {};
    for (const [name, value] of Object.entries(values)) {
      if (typeof value === 'number') {
        record[name] = toJsonValue(value, `${path}.${name}`) as number;
      } else {
        const key = `state.${index}.${name}`;
        host[key] = await readTensor(value, `${path}.${name}`);
        record[name] = { tensor: key };
      }
    }
    entries[index] = record;
  }
  return { paramGroups, state: entries };
}

async function readTensor(value: unknown, path: string): Promise<HostTensor> {
  const t = value as Tensor;
  if (typeof value !== 'object' || value === null || !t.isMyelinTensor)
    throw new CheckpointError(`${path} is ${describe(value)}, expected a Tensor`);
  if (t.isDisposed)
    throw new CheckpointError(`${path} (shape [${t.shape.join(',')}]) was disposed before it was saved`);
  return { dtype: t.dtype, shape: t.shape, data: await t.data() };
}

/** Parses and validates `<name>.json`; every problem is a CheckpointError naming the source. */
export function parseCheckpointMeta(text: string, source: string): CheckpointMeta {
  const fail: (problem: string) => never = (problem) => {
    throw new CheckpointError(`${source}: ${problem}`, { file: source });
  };
  let meta: unknown;
  try {
    meta = JSON.parse(text, reviveJsonValue);
  } catch (error) {
    fail(`not valid JSON (${(error as Error).message}); the file may be truncated`);
  }
  const m = meta as Record<string, unknown>;
  if (!isRecord(meta)) fail(`expected a JSON object, got ${describe(meta)}`);
  if (m.format !== CHECKPOINT_FORMAT)
    fail(`not a Myelin checkpoint: format is ${JSON.stringify(m.format)}, expected '${CHECKPOINT_FORMAT}'`);
  if (m.version !== CHECKPOINT_VERSION) {
    fail(
      typeof m.version === 'number' && m.version > CHECKPOINT_VERSION
        ? `format version ${m.version} was written by a newer Myelin; this one reads version ${CHECKPOINT_VERSION}`
        : `format version must be ${CHECKPOINT_VERSION}, got ${JSON.stringify(m.version)}`,
    );
  }
  if (typeof m.epoch !== 'number') fail(`epoch must be a number, got ${describe(m.epoch)}`);
  const model = m.model as Record<string, unknown>;
  if (!isRecord(model) || !Array.isArray(model.tensors))
    fail(`model.tensors must list the model's tensors, got ${describe(model?.tensors)}`);
  const names = new Set<string>();
  (model.tensors as unknown[]).forEach((entry, i) => {
    const e = entry as Record<string, unknown>;
    if (
      !isRecord(entry) ||
      typeof e.name !== 'string' ||
      !DTYPES.includes(e.dtype as DType) ||
      !Array.isArray(e.shape) ||
      !e.shape.every(isIndex)
    ) {
      fail(`model.tensors[${i}] must be {name, dtype (${DTYPES.join('|')}), shape}, got ${JSON.stringify(entry)}`);
    }
    if (names.has(e.name as string)) fail(`model.tensors lists '${e.name}' twice`);
    names.add(e.name as string);
  });
  checkFileInfo(model.file, 'model.file', fail);
  if (m.optimizer !== undefined) {
    const optimizer = m.optimizer as Record<string, unknown>;
    if (!isRecord(optimizer) || !Array.isArray(optimizer.paramGroups) || !isRecord(optimizer.state))
      fail(`optimizer must be {paramGroups, state}, got ${describe(optimizer)}`);
    (optimizer.paramGroups as unknown[]).forEach((group, i) => {
      if (
        !isRecord(group) ||
        !Array.isArray((group as { params?: unknown }).params) ||
        !(group as { params: unknown[] }).params.every(isIndex)
      )
        fail(`optimizer.paramGroups[${i}].params must be parameter indices`);
    });
    for (const [index, values] of Object.entries(optimizer.state as Record<string, unknown>)) {
      if (!/^(0|[1-9]\d*)$/.test(index) || !isRecord(values))
        fail(`optimizer.state['${index}'] must map a parameter index to an object`);
      for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
        const isReference = isRecord(value) && typeof (value as { tensor?: unknown }).tensor === 'string';
        if (typeof value !== 'number' && !isReference)
          fail(`optimizer.state['${index}'].${name} must be a number or {tensor: key}, got ${JSON.stringify(value)}`);
      }
    }
    checkFileInfo(optimizer.file, 'optimizer.file', fail);
  }
  for (const key of ['schedulerState', 'metrics', 'extra', 'rngState'] as const) {
    if (m[key] !== undefined && !isRecord(m[key])) fail(`${key} must be an object, got ${describe(m[key])}`);
  }
  const rng = m.rngState as Record<string, unknown> | undefined;
  if (rng !== undefined && (typeof rng.seed !== 'number' || typeof rng.offset !== 'number'))
    fail(`rngState must be {seed, offset}, got ${JSON.stringify(rng)}`);
  return meta as CheckpointMeta;
}

function checkFileInfo(value: unknown, path: string, fail: (problem: string) => never): void {
  if (value === undefined) return;
  const info = value as Record<string, unknown>;
  if (!isRecord(value) || !isIndex(info.bytes) || typeof info.crc32 !== 'string' || !/^[0-9a-f]{8}$/.test(info.crc32)) {
    fail(`${path} must be {bytes, crc32 (8 hex digits)}, got ${JSON.stringify(value)}`);
  }
  for (const key of ['name', 'staged'] as const) {
    const name = info[key];
    if (name !== undefined && (typeof name !== 'string' || !isPlainFileName(name)))
      fail(`${path}.${key} must be a file name in the checkpoint's directory, got ${JSON.stringify(name)}`);
  }
}

/** A name of a file in the same directory: no path separators, not '.' or '..'. */
function isPlainFileName(name: string): boolean {
  return name.length > 0 && !/[/\\\0]/.test(name) && name !== '.' && name !== '..';
}

/**
 * Joins validated meta with decoded tensor files: every tensor the meta lists must be there
 * with its dtype and shape, and nothing else. Returns a Checkpoint whose tensors are new.
 */
export function assembleCheckpoint(
  meta: CheckpointMeta,
  model: DecodedSafetensors,
  optimizer: DecodedSafetensors | undefined,
  options: { backend?: Backend | string },
  sources: CheckpointSources,
): Checkpoint {
  const mismatch: (problem: string) => never = (problem) => {
    throw new CheckpointError(`${sources.meta} and ${sources.weights} do not match: ${problem}`, {
      file: sources.weights,
    });
  };
  const listed = new Set(meta.model.tensors.map((e) => e.name));
  for (const { name, dtype, shape } of meta.model.tensors) {
    const found = model.tensors[name];
    if (found === undefined) mismatch(`'${name}' is listed in the meta but missing from the weights`);
    else if (found.dtype !== dtype || found.shape.join(',') !== shape.join(','))
      mismatch(
        `'${name}' is ${dtype} [${shape.join(',')}] in the meta but ${found.dtype} [${found.shape.join(',')}] in the weights`,
      );
  }
  const unexpected = Object.keys(model.tensors).filter((name) => !listed.has(name));
  if (unexpected.length > 0)
    mismatch(`the weights hold tensors the meta does not list: ${unexpected.map((n) => `'${n}'`).join(', ')}`);
  const ordered: DecodedSafetensors = { metadata: {}, tensors: {} };
  for (const { name } of meta.model.tensors) ordered.tensors[name] = model.tensors[name]!;

  const owned: Tensor[] = [];
  try {
    const modelState = tensorsFromSafetensors(ordered, options);
    owned.push(...Object.values(modelState));
    const checkpoint: Checkpoint = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      modelConfig: meta.modelConfig,
      modelState,
      epoch: meta.epoch,
    };
    if (meta.optimizer !== undefined) {
      if (optimizer === undefined)
        throw new CheckpointError(`${sources.meta} records optimizer state but ${sources.optimizer} was not given`, {
          file: sources.optimizer,
        });
      const tensors = tensorsFromSafetensors(optimizer, options);
      owned.push(...Object.values(tensors));
      checkpoint.optimizerState = resolveOptimizer(meta.optimizer, tensors, sources);
    }
    for (const key of ['schedulerState', 'metrics', 'extra'] as const)
      if (meta[key] !== undefined) checkpoint[key] = meta[key];
    if (meta.rngState !== undefined) checkpoint.rngState = { seed: meta.rngState.seed, offset: meta.rngState.offset };
    return checkpoint;
  } catch (error) {
    for (const t of owned) t.dispose();
    throw error;
  }
}

function resolveOptimizer(
  meta: NonNullable<CheckpointMeta['optimizer']>,
  tensors: Record<string, Tensor>,
  sources: CheckpointSources,
): CheckpointOptimizerState {
  const used = new Set<string>();
  const state: CheckpointOptimizerState['state'] = {};
  for (const [index, values] of Object.entries(meta.state)) {
    const record: Record<string, Tensor | number> = {};
    for (const [name, value] of Object.entries(values)) {
      if (typeof value === 'number') {
        record[name] = value;
        continue;
      }
      const t = tensors[value.tensor];
      if (t === undefined)
        throw new CheckpointError(
          `${sources.meta} and ${sources.optimizer} do not match: '${value.tensor}' (state[${index}].${name}) is missing from the optimizer file`,
          { file: sources.optimizer },
        );
      record[name] = t;
      used.add(value.tensor);
    }
    state[Number(index)] = record;
  }
  const unexpected = Object.keys(tensors).filter((key) => !used.has(key));
  if (unexpected.length > 0)
    throw new CheckpointError(
      `${sources.meta} and ${sources.optimizer} do not match: the optimizer file holds tensors the meta does not reference: ${unexpected.join(', ')}`,
      { file: sources.optimizer },
    );
  return { state, paramGroups: meta.paramGroups.map((group) => ({ ...group, params: [...group.params] })) };
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isRecord(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
