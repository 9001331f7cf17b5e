import * as path from 'node:path';
import type { Backend } from '../backend/contract.js';
import {
  checkpointFileNames,
  deserializeCheckpoint,
  serializeCheckpoint,
  type Checkpoint,
  type SerializedCheckpoint,
} from '../checkpoint/checkpoint.js';
import { parseCheckpointMeta, type CheckpointFileInfo } from '../checkpoint/checkpoint-meta.js';
import { CheckpointError } from '../checkpoint/errors.js';
import {
  nodeFileSystem,
  removeQuietly,
  removeStaleTemporaries,
  syncDirectory,
  temporaryPathFor,
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
 * Saves `checkpoint` in `directory` (created if missing) as `<name>.json` (the manifest),
 * `<name>.safetensors` and, with optimizer state, `<name>.optimizer.safetensors`, as ONE commit:
 * the tensor files are written and fsynced under new names first, then the renaming of the
 * manifest into place switches from the previous checkpoint to this one, then the tensor files
 * take their final names. A crash at any point leaves the previous checkpoint or this one
 * loadable, never neither (the layout is documented in ../checkpoint/checkpoint.ts). It first
 * finishes a save a crash interrupted and deletes the temporaries dead processes left.
 */
export async function saveCheckpoint(
  directory: string,
  name: string,
  checkpoint: Checkpoint,
  options: CheckpointFileOptions = {},
): Promise<void> {
  checkName(name, 'saveCheckpoint');
  const fileSystem = options.fileSystem ?? nodeFileSystem;
  const files = checkpointFileNames(name);
  const untouched = `the previous '${name}' checkpoint is untouched`;
  const temporaries: string[] = [];
  let metaTemporary: string;
  let serialized: SerializedCheckpoint;
  try {
    await fileSystem.mkdir(directory, { recursive: true });
    await finishInterruptedSave(directory, name, fileSystem);
    await removeStaleTemporaries(directory, fileSystem);
    const staged = {
      weights: temporaryPathFor(path.join(directory, files.weights)),
      optimizer: temporaryPathFor(path.join(directory, files.optimizer)),
    };
    serialized = await serializeCheckpoint(checkpoint, {
      files: {
        weights: { name: files.weights, staged: path.basename(staged.weights) },
        optimizer: { name: files.optimizer, staged: path.basename(staged.optimizer) },
      },
    });
    temporaries.push(await writeTemporary(staged.weights, serialized.weights, fileSystem, staged.weights));
    if (serialized.optimizer !== undefined)
      temporaries.push(await writeTemporary(staged.optimizer, serialized.optimizer, fileSystem, staged.optimizer));
    await syncDirectory(directory, fileSystem); // the staged files exist before the manifest names them
    metaTemporary = await writeTemporary(path.join(directory, files.meta), serialized.meta, fileSystem);
    temporaries.push(metaTemporary);
  } catch (error) {
    for (const temporary of temporaries) await removeQuietly(temporary, fileSystem);
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(
      `saveCheckpoint: could not write checkpoint '${name}' in ${directory} (${(error as Error).message}); ${untouched}`,
      { cause: error },
    );
  }
  try {
    await fileSystem.rename(metaTemporary, path.join(directory, files.meta)); // the commit
  } catch (error) {
    for (const temporary of temporaries) await removeQuietly(temporary, fileSystem);
    throw new CheckpointError(
      `saveCheckpoint: could not rename ${files.meta} into place in ${directory} (${(error as Error).message}); ${untouched}`,
      { cause: error },
    );
  }
  try {
    await finishInterruptedSave(directory, name, fileSystem);
    await syncDirectory(directory, fileSystem);
  } catch (error) {
    throw new CheckpointError(
      `saveCheckpoint: checkpoint '${name}' is saved in ${directory}, but moving its files to their final names failed (${(error as Error).message}); it loads as it is, and the next save finishes the move`,
      { cause: error },
    );
  }
}

/**
 * Step 3 of a save (see ../checkpoint/checkpoint.ts): renames the tensor files the manifest
 * names as staged to their final names, and deletes an optimizer file the manifest does not
 * record. Does nothing when there is no manifest, or it is unreadable (loading reports that).
 */
async function finishInterruptedSave(directory: string, name: string, fileSystem: FileSystemOperations) {
  const files = checkpointFileNames(name);
  let meta;
  try {
    const text = new TextDecoder().decode(await fileSystem.readFile(path.join(directory, files.meta)));
    meta = parseCheckpointMeta(text, files.meta);
  } catch {
    return;
  }
  const entries: [CheckpointFileInfo | undefined, string][] = [[meta.model.file, files.weights]];
  if (meta.optimizer === undefined) await removeQuietly(path.join(directory, files.optimizer), fileSystem);
  else entries.push([meta.optimizer.file, files.optimizer]);
  const present = new Set(await fileSystem.readdir(directory));
  for (const [info, fallback] of entries) {
    if (info?.staged === undefined || !present.has(info.staged)) continue;
    try {
      await fileSystem.rename(path.join(directory, info.staged), path.join(directory, info.name ?? fallback));
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') throw error; // ENOENT: already moved
    }
  }
}

/**
 * Loads checkpoint `name` from `directory`: its manifest `<name>.json`, and the tensor files it
 * names. A missing, truncated or corrupt file, or files from different saves, throw a
 * CheckpointError naming the file and the problem. The returned tensors are new and the
 * caller's (see disposeCheckpoint).
 */
export async function loadCheckpoint(
  directory: string,
  name: string,
  options: CheckpointFileOptions & { backend?: Backend | string } = {},
): Promise<Checkpoint> {
  checkName(name, 'loadCheckpoint');
  const fileSystem = options.fileSystem ?? nodeFileSystem;
  // A save running meanwhile may replace the files between our reads: then the manifest has
  // changed, and reading again gives the new checkpoint.
  for (let attempt = 1; ; attempt++) {
    const metaBytes = await readManifest(directory, name, fileSystem);
    try {
      return await loadFromManifest(directory, name, metaBytes, options.backend, fileSystem);
    } catch (error) {
      if (!(error instanceof CheckpointError) || attempt === 3) throw error;
      const now = await readManifest(directory, name, fileSystem).catch(() => metaBytes);
      if (sameBytes(now, metaBytes)) throw error;
    }
  }
}

async function readManifest(directory: string, name: string, fileSystem: FileSystemOperations): Promise<Uint8Array> {
  const file = path.join(directory, checkpointFileNames(name).meta);
  try {
    return await fileSystem.readFile(file);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw readError(file, error);
    const available = await listCheckpoints(directory, { fileSystem });
    throw new CheckpointError(
      `loadCheckpoint: no checkpoint '${name}' in ${directory}: ${file} does not exist (${available.length > 0 ? `found: ${available.join(', ')}` : 'no checkpoints there'})`,
      { file, cause: error },
    );
  }
}

async function loadFromManifest(
  directory: string,
  name: string,
  metaBytes: Uint8Array,
  backend: Backend | string | undefined,
  fileSystem: FileSystemOperations,
): Promise<Checkpoint> {
  const files = checkpointFileNames(name);
  const metaSource = path.join(directory, files.meta);
  let metaText: string;
  try {
    metaText = new TextDecoder('utf-8', { fatal: true }).decode(metaBytes);
  } catch (error) {
    throw new CheckpointError(`${metaSource}: not valid UTF-8 text; the file is corrupt`, {
      file: metaSource,
      cause: error,
    });
  }
  const meta = parseCheckpointMeta(metaText, metaSource);
  const weights = await readTensorFile(
    directory,
    meta.model.file,
    files.weights,
    `${metaSource} lists ${meta.model.tensors.length} model tensors`,
    fileSystem,
  );
  const optimizer =
    meta.optimizer === undefined
      ? undefined
      : await readTensorFile(
          directory,
          meta.optimizer.file,
          files.optimizer,
          `${metaSource} records optimizer state`,
          fileSystem,
        );
  return deserializeCheckpoint(
    optimizer === undefined
      ? { meta: metaText, weights: weights.bytes }
      : { meta: metaText, weights: weights.bytes, optimizer: optimizer.bytes },
    {
      sources: {
        meta: metaSource,
        weights: weights.file,
        optimizer: optimizer?.file ?? path.join(directory, files.optimizer),
      },
      ...(backend === undefined ? {} : { backend }),
    },
  );
}

/** A tensor file the manifest names: from its staged name while that exists, else its final name. */
async function readTensorFile(
  directory: string,
  info: CheckpointFileInfo | undefined,
  fallback: string,
  why: string,
  fileSystem: FileSystemOperations,
): Promise<{ bytes: Uint8Array; file: string }> {
  if (info?.staged !== undefined) {
    const staged = path.join(directory, info.staged);
    try {
      return { bytes: await fileSystem.readFile(staged), file: staged };
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOENT') throw readError(staged, error);
    }
  }
  const file = path.join(directory, info?.name ?? fallback);
  try {
    return { bytes: await fileSystem.readFile(file), file };
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT')
      throw new CheckpointError(`${file} is missing, but ${why}`, { file, cause: error });
    throw readError(file, error);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function readError(file: string, error: unknown): CheckpointError {
  return new CheckpointError(`${file}: could not be read (${(error as Error).message})`, { file, cause: error });
}

/**
 * The names of the checkpoints in `directory` (a `<name>.json` beside its weights file), sorted;
 * [] when the directory does not exist.
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
  // A manifest with its weights, under the final name or (a save that a crash interrupted) staged.
  const hasWeights = (name: string) =>
    present.has(checkpointFileNames(name).weights) ||
    entries.some((entry) => entry.startsWith(`.${checkpointFileNames(name).weights}.`) && entry.endsWith('.tmp'));
  return entries
    .filter((entry) => entry.endsWith('.json'))
    .map((entry) => entry.slice(0, -'.json'.length))
    .filter((name) => NAME_PATTERN.test(name) && hasWeights(name))
    .sort();
}
