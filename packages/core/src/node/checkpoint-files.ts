import * as path from 'node:path';
import type { Backend } from '../backend/contract.js';
import {
  checkpointFileNames,
  deserializeCheckpoint,
  serializeCheckpoint,
  type Checkpoint,
} from '../checkpoint/checkpoint.js';
import { parseCheckpointMeta } from '../checkpoint/checkpoint-meta.js';
import { CheckpointError } from '../checkpoint/errors.js';
import {
  nodeFileSystem,
  removeQuietly,
  syncDirectory,
  writeTemporary,
  type FileSystemOperations,
} from './atomic-write.js';

// Checkpoints as files in a directory; the format and the crash-safety argument are in
// ../checkpoint/checkpoint.ts.

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export interface CheckpointFileOptions {
  /** File operations (node:fs/promises by default); tests inject failures through it. */
  fileSystem?: FileSystemOperations;
}

function checkName(name: string, caller: string): void {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new CheckpointError(
      `${caller}: checkpoint name must be letters, digits, '-' and '_' (like 'best', 'last', 'epoch-12'), got ${JSON.stringify(name)}`,
    );
  }
}

/**
 * Saves `checkpoint` as `<name>.safetensors`, `<name>.optimizer.safetensors` (with optimizer
 * state) and `<name>.json` in `directory` (created if missing). All files are written to
 * fsynced temporaries first, then renamed over their targets with the JSON last, then the
 * directory is fsynced: a crash never leaves a partial file under a final name, and the
 * previous checkpoint of that name is untouched until every new file is complete.
 */
export async function saveCheckpoint(
  directory: string,
  name: string,
  checkpoint: Checkpoint,
  options: CheckpointFileOptions = {},
): Promise<void> {
  checkName(name, 'saveCheckpoint');
  const fileSystem = options.fileSystem ?? nodeFileSystem;
  const serialized = await serializeCheckpoint(checkpoint);
  const files = checkpointFileNames(name);
  const writes: [string, Uint8Array | string][] = [[path.join(directory, files.weights), serialized.weights]];
  if (serialized.optimizer !== undefined) writes.push([path.join(directory, files.optimizer), serialized.optimizer]);
  writes.push([path.join(directory, files.meta), serialized.meta]); // last: its rename commits the save

  const temporaries: string[] = [];
  try {
    await fileSystem.mkdir(directory, { recursive: true });
    for (const [target, data] of writes) temporaries.push(await writeTemporary(target, data, fileSystem));
  } catch (error) {
    for (const temporary of temporaries) await removeQuietly(temporary, fileSystem);
    throw new CheckpointError(
      `saveCheckpoint: could not write checkpoint '${name}' in ${directory} (${(error as Error).message}); the previous '${name}' checkpoint is untouched`,
      { cause: error },
    );
  }
  let renamed = 0;
  try {
    for (; renamed < writes.length; renamed++) await fileSystem.rename(temporaries[renamed]!, writes[renamed]![0]);
  } catch (error) {
    for (const temporary of temporaries.slice(renamed)) await removeQuietly(temporary, fileSystem);
    const replaced = writes.slice(0, renamed).map(([target]) => path.basename(target));
    throw new CheckpointError(
      `saveCheckpoint: could not rename the new files of checkpoint '${name}' into place in ${directory} (${(error as Error).message}); ` +
        (renamed === 0
          ? `the previous '${name}' checkpoint is untouched`
          : `${replaced.join(', ')} already replaced, so loading '${name}' will refuse the mix until a save succeeds`),
      { cause: error },
    );
  }
  if (serialized.optimizer === undefined) await removeQuietly(path.join(directory, files.optimizer), fileSystem); // stale from an earlier save
  await syncDirectory(directory, fileSystem);
}

/**
 * Loads checkpoint `name` from `directory`. A missing, truncated or corrupt file, or files from
 * different saves, throw a CheckpointError naming the file and the problem. The returned
 * tensors are new and the caller's (see disposeCheckpoint).
 */
export async function loadCheckpoint(
  directory: string,
  name: string,
  options: CheckpointFileOptions & { backend?: Backend | string } = {},
): Promise<Checkpoint> {
  checkName(name, 'loadCheckpoint');
  const fileSystem = options.fileSystem ?? nodeFileSystem;
  const files = checkpointFileNames(name);
  const sources = {
    meta: path.join(directory, files.meta),
    weights: path.join(directory, files.weights),
    optimizer: path.join(directory, files.optimizer),
  };
  let metaBytes: Uint8Array;
  try {
    metaBytes = await fileSystem.readFile(sources.meta);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw readError(sources.meta, error);
    const available = await listCheckpoints(directory, { fileSystem });
    throw new CheckpointError(
      `loadCheckpoint: no checkpoint '${name}' in ${directory}: ${sources.meta} does not exist (${available.length > 0 ? `found: ${available.join(', ')}` : 'no checkpoints there'})`,
      { file: sources.meta, cause: error },
    );
  }
  let metaText: string;
  try {
    metaText = new TextDecoder('utf-8', { fatal: true }).decode(metaBytes);
  } catch (error) {
    throw new CheckpointError(`${sources.meta}: not valid UTF-8 text; the file is corrupt`, {
      file: sources.meta,
      cause: error,
    });
  }
  const meta = parseCheckpointMeta(metaText, sources.meta);
  const weights = await readTensorFile(
    sources.weights,
    `${sources.meta} lists ${meta.model.tensors.length} model tensors`,
    fileSystem,
  );
  const optimizer =
    meta.optimizer === undefined
      ? undefined
      : await readTensorFile(sources.optimizer, `${sources.meta} records optimizer state`, fileSystem);
  return deserializeCheckpoint(
    optimizer === undefined ? { meta: metaText, weights } : { meta: metaText, weights, optimizer },
    {
      sources,
      ...(options.backend === undefined ? {} : { backend: options.backend }),
    },
  );
}

async function readTensorFile(file: string, why: string, fileSystem: FileSystemOperations): Promise<Uint8Array> {
  try {
    return await fileSystem.readFile(file);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT')
      throw new CheckpointError(`${file} is missing, but ${why}`, { file, cause: error });
    throw readError(file, error);
  }
}

function readError(file: string, error: unknown): CheckpointError {
  return new CheckpointError(`${file}: could not be read (${(error as Error).message})`, { file, cause: error });
}

/**
 * The names of the complete checkpoints in `directory` (both `<name>.json` and
 * `<name>.safetensors` present), sorted; [] when the directory does not exist.
 */
export async function listCheckpoints(directory: string, options: CheckpointFileOptions = {}): Promise<string[]> {
  const fileSystem = options.fileSystem ?? nodeFileSystem;
  let entries: string[];
  try {
    entries = await fileSystem.readdir(directory);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return [];
    throw new CheckpointError(`listCheckpoints: could not read directory ${directory} (${(error as Error).message})`, {
      file: directory,
      cause: error,
    });
  }
  const present = new Set(entries);
  return entries
    .filter((entry) => entry.endsWith('.json'))
    .map((entry) => entry.slice(0, -'.json'.length))
    .filter((name) => NAME_PATTERN.test(name) && present.has(checkpointFileNames(name).weights))
    .sort();
}
