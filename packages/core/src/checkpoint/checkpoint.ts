/**
 * # The Myelin checkpoint format (version 1)
 *
 * A checkpoint is everything needed to continue a training run on the same trajectory: the
 * model's config and tensors, the optimizer's state, the LR scheduler's state, the epoch, the
 * random generator's state, the metrics so far, and anything else the caller adds. On disk
 * (and in `serializeCheckpoint`) it is two or three files, named after the checkpoint
 * (`best`, `last`, `epoch-12`, ...: letters, digits, `-` and `_`):
 *
 * - `<name>.safetensors` — the model's tensors ONLY, in standard safetensors, keyed by their
 *   `stateDict()` names (`0.weight`, `block.1.bias`, ...), laid out like PyTorch (a Linear
 *   weight is [outFeatures, inFeatures]). It opens anywhere safetensors does; in PyTorch,
 *   `model.load_state_dict(safetensors.torch.load_file('last.safetensors'))` loads it into
 *   the matching torch module. Its `__metadata__` is `{"format": "pt"}` (what Hugging Face
 *   tools expect). Tensors are laid out by element size, largest first (then stateDict
 *   order), so each starts aligned, as the reference implementation writes them.
 * - `<name>.optimizer.safetensors` — present when the checkpoint has optimizer state: each
 *   state tensor under the key `state.<paramIndex>.<name>` (e.g. `state.3.expAvg`; the names
 *   are the optimizer's own), the parameter index counted across all param groups, as in
 *   PyTorch's optimizer state_dict.
 * - `<name>.json` — everything else (the "meta"), UTF-8 JSON, written last (see below):
 *
 * ```json
 * {
 *   "format": "myelin-checkpoint",
 *   "version": 1,
 *   "epoch": 12,
 *   "modelConfig": { "type": "Sequential", "layers": [...] },      // null when none was given
 *   "model": {
 *     "tensors": [ { "name": "0.weight", "dtype": "float32", "shape": [128, 784] }, ... ],
 *     "file": { "bytes": 407568, "crc32": "9ae0daf3" }              // of <name>.safetensors
 *   },
 *   "optimizer": {                                                  // absent without optimizerState
 *     "paramGroups": [ { "params": [0, 1, 2, 3], "lr": 0.001, "betas": [0.9, 0.999], ... } ],
 *     "state": { "0": { "step": 120, "expAvg": { "tensor": "state.0.expAvg" }, ... }, ... },
 *     "file": { "bytes": 815096, "crc32": "04c1e2aa" }              // of <name>.optimizer.safetensors
 *   },
 *   "schedulerState": { ... },                                      // scheduler.stateDict(), if given
 *   "rngState": { "seed": 42, "offset": 9120 },                     // generator.getState(), if given
 *   "metrics": { "valLoss": 0.31, "best": { "$number": "Infinity" } },
 *   "extra": { ... }                                                // the caller's own JSON
 * }
 * ```
 *
 * - `model.tensors` lists the model's tensors in stateDict order with dtype and shape; it must
 *   match the weights file exactly (no key missing, none extra, same dtype and shape).
 * - An optimizer state value is a JSON number or `{ "tensor": key }`, a key of the optimizer
 *   file; every key of that file must be referenced.
 * - `file` records each tensor file's size and CRC-32 (zlib's), so a truncated or corrupt file,
 *   or one left by a different save, is refused instead of silently loaded.
 * - JSON has no NaN or Infinity; such numbers (anywhere in the meta) are written as
 *   `{"$number": "NaN" | "Infinity" | "-Infinity"}` and read back as numbers.
 * - dtypes: float32, float64, int32, bool (safetensors F32, F64, I32, BOOL; bool as 0/1 bytes).
 *
 * ## Writing and reading (Node: `saveCheckpoint` / `loadCheckpoint` in '@myelin/core/node')
 *
 * A save is one commit: `<name>.json` is the manifest, and renaming it into place is the only
 * step that switches from the old checkpoint to the new one.
 *
 * 1. The tensor files are written in full under new (staged) names in the same directory,
 *    `.<name>.safetensors.<unique>.tmp` and `.<name>.optimizer.safetensors.<unique>.tmp`, and
 *    fsynced, then the directory is fsynced. The previous checkpoint's files are untouched.
 * 2. The new `<name>.json` is written to a temporary file, fsynced, and renamed over the old
 *    one: the commit. Its `file` entries name each tensor file (`name`, its final name, and
 *    `staged`, where it is until step 3) with its size and CRC-32.
 * 3. The staged files are renamed to their final names, `<name>.safetensors` and
 *    `<name>.optimizer.safetensors` (replacing the superseded files), and the directory is fsynced.
 *
 * Loaders read only what the manifest names: a tensor file from its staged name while that
 * exists, else from its final name, and check size and CRC. A crash before step 2 leaves the
 * old checkpoint loadable; after it, the new one (from the staged names until step 3 is done).
 * The next save of that name first finishes an interrupted step 3 and deletes the stale
 * temporaries a crash left. Checkpoints written before `name`/`staged` existed load from the
 * final names.
 *
 * ## One file (browser export/import: `packCheckpoint` / `unpackCheckpoint` in bundle.ts)
 *
 * A single safetensors file: the model tensors under their stateDict names, the optimizer
 * tensors under `optimizer/<key>` (e.g. `optimizer/state.0.expAvg`; a model key starting
 * with `optimizer/` is refused), and the meta above (without `file` entries) as the string value of
 * `__metadata__["myelin.checkpoint"]`, beside `"format": "pt"`. PyTorch users can load its
 * model part with `{k: v for k, v in load_file(path).items() if not k.startswith('optimizer/')}`.
 *
 * ## Ownership
 *
 * Saving reads tensors and never takes them: pass the live `model.stateDict()`. Every tensor
 * of a loaded checkpoint is new and the caller's: `model.loadStateDict` / `optimizer
 * .loadStateDict` copy values in, then `disposeCheckpoint(loaded)` frees them.
 */
import type { Backend } from '../backend/contract.js';
import type { GeneratorState } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  assembleCheckpoint,
  collectCheckpoint,
  parseCheckpointMeta,
  DEFAULT_SOURCES,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointSources,
} from './checkpoint-meta.js';
import { crc32Hex } from './crc32.js';
import { CheckpointError } from './errors.js';
import { decodeSafetensors, encodeHostSafetensors, describe } from './safetensors.js';

export { CHECKPOINT_FORMAT, CHECKPOINT_VERSION };

/** Optimizer state as `optimizer.stateDict()` returns it (structurally the optim module's OptimizerState). */
export interface CheckpointOptimizerState {
  state: Record<number, Record<string, Tensor | number>>;
  paramGroups: { params: number[]; [option: string]: unknown }[];
}

/** A training run's state. `format` and `version` are optional when saving, always set when loaded. */
export interface Checkpoint {
  format?: typeof CHECKPOINT_FORMAT;
  version?: typeof CHECKPOINT_VERSION;
  /** `model.config()`: JSON, rebuilt with moduleFromConfig. */
  modelConfig: unknown;
  /** `model.stateDict()`. */
  modelState: Record<string, Tensor>;
  optimizerState?: CheckpointOptimizerState;
  schedulerState?: Record<string, unknown>;
  /** Epochs completed. */
  epoch: number;
  rngState?: GeneratorState;
  metrics?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

/** The files of a checkpoint as bytes: `<name>.json`, `<name>.safetensors`, `<name>.optimizer.safetensors`. */
export interface SerializedCheckpoint {
  meta: string;
  weights: Uint8Array;
  /** Present exactly when the checkpoint has optimizer state. */
  optimizer?: Uint8Array;
}

/** A multi-line array of numbers in indented JSON (a raw newline never occurs inside a JSON string). */
const NUMBER_ARRAY = /\[\n\s*((?:[-\d.eE+]+,\n\s*)*[-\d.eE+]+)\n\s*\]/g;

/** The file names of checkpoint `name`. */
export function checkpointFileNames(name: string): { meta: string; weights: string; optimizer: string } {
  return { meta: `${name}.json`, weights: `${name}.safetensors`, optimizer: `${name}.optimizer.safetensors` };
}

/** Where a tensor file lives, recorded in the meta's `file` entry (see saveCheckpoint). */
export interface CheckpointFileLocation {
  /** Its final name, e.g. `last.safetensors`. */
  name: string;
  /** The name it is written under before the commit. */
  staged?: string;
}

/**
 * Turns a checkpoint into its files' contents (reads every tensor; takes none). `files` adds the
 * tensor files' names to the meta's `file` entries (saveCheckpoint uses it).
 */
export async function serializeCheckpoint(
  checkpoint: Checkpoint,
  options: { files?: { weights?: CheckpointFileLocation; optimizer?: CheckpointFileLocation } } = {},
): Promise<SerializedCheckpoint> {
  const { meta, model, optimizer } = await collectCheckpoint(checkpoint);
  const weights = encodeHostSafetensors(model, { format: 'pt' });
  meta.model.file = { bytes: weights.length, crc32: crc32Hex(weights), ...options.files?.weights };
  let optimizerBytes: Uint8Array | undefined;
  if (optimizer !== undefined && meta.optimizer !== undefined) {
    optimizerBytes = encodeHostSafetensors(optimizer, { 'myelin.content': 'optimizer-state' });
    meta.optimizer.file = {
      bytes: optimizerBytes.length,
      crc32: crc32Hex(optimizerBytes),
      ...options.files?.optimizer,
    };
  }
  // Indented for people to read, with number arrays (shapes, param indices) on one line.
  const text = `${JSON.stringify(meta, null, 2).replace(NUMBER_ARRAY, (_, items: string) => `[${items.split(/,\n\s*/).join(', ')}]`)}\n`;
  return optimizerBytes === undefined ? { meta: text, weights } : { meta: text, weights, optimizer: optimizerBytes };
}

/**
 * Rebuilds a checkpoint from its files' contents, validating everything: corrupt or truncated
 * bytes, a meta that does not match its tensor files, or a file from another save throw a
 * CheckpointError naming the file (`sources` holds the names used in messages).
 */
export function deserializeCheckpoint(
  serialized: SerializedCheckpoint,
  options: { backend?: Backend | string; sources?: Partial<CheckpointSources> } = {},
): Checkpoint {
  const sources: CheckpointSources = { ...DEFAULT_SOURCES, ...options.sources };
  if (typeof serialized?.meta !== 'string')
    throw new CheckpointError(
      `deserializeCheckpoint: meta must be the JSON text of ${sources.meta}, got ${describe(serialized?.meta)}`,
    );
  const meta = parseCheckpointMeta(serialized.meta, sources.meta);
  const weights = decodeChecked(serialized.weights, meta.model.file, sources.weights, sources.meta);
  let optimizer;
  if (meta.optimizer !== undefined) {
    if (serialized.optimizer === undefined)
      throw new CheckpointError(`${sources.meta} records optimizer state but ${sources.optimizer} is missing`, {
        file: sources.optimizer,
      });
    optimizer = decodeChecked(serialized.optimizer, meta.optimizer.file, sources.optimizer, sources.meta);
  }
  return assembleCheckpoint(
    meta,
    weights,
    optimizer,
    options.backend === undefined ? {} : { backend: options.backend },
    sources,
  );
}

function decodeChecked(
  bytes: Uint8Array,
  info: { bytes: number; crc32: string } | undefined,
  source: string,
  metaSource: string,
): ReturnType<typeof decodeSafetensors> {
  if (!(bytes instanceof Uint8Array))
    throw new CheckpointError(`${source}: expected file bytes (a Uint8Array), got ${describe(bytes)}`, {
      file: source,
    });
  if (info !== undefined && bytes.length !== info.bytes) {
    throw new CheckpointError(
      `${source}: is ${bytes.length} bytes but ${metaSource} records ${info.bytes}: ${bytes.length < info.bytes ? 'truncated' : 'not the file this meta was saved with'}`,
      { file: source },
    );
  }
  const decoded = decodeSafetensors(bytes, { source });
  if (info !== undefined) {
    const crc = crc32Hex(bytes);
    if (crc !== info.crc32)
      throw new CheckpointError(
        `${source}: CRC-32 is ${crc} but ${metaSource} records ${info.crc32}: the file is corrupt or from another save`,
        { file: source },
      );
  }
  return decoded;
}

/** Frees every tensor of a loaded checkpoint (never call it on one built from a live model). */
export function disposeCheckpoint(checkpoint: Checkpoint): void {
  for (const t of Object.values(checkpoint.modelState)) t.dispose();
  for (const values of Object.values(checkpoint.optimizerState?.state ?? {})) {
    for (const value of Object.values(values)) if (typeof value !== 'number') value.dispose();
  }
}
