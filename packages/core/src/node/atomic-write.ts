import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/** An open file, as far as atomic writes need one. */
export interface WritableFile {
  writeFile(data: Uint8Array | string): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The file operations checkpoints use: node:fs/promises by default. Tests pass their own to
 * simulate a crash or a full disk at a chosen step.
 */
export interface FileSystemOperations {
  open(file: string, flags: string): Promise<WritableFile>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
  readFile(file: string): Promise<Uint8Array>;
  readdir(directory: string): Promise<string[]>;
  mkdir(directory: string, options: { recursive: true }): Promise<unknown>;
}

export const nodeFileSystem: FileSystemOperations = {
  open: (file, flags) => fs.open(file, flags),
  rename: (from, to) => fs.rename(from, to),
  unlink: (file) => fs.unlink(file),
  readFile: (file) => fs.readFile(file),
  readdir: (directory) => fs.readdir(directory),
  mkdir: (directory, options) => fs.mkdir(directory, options),
};

export interface AtomicWriteOptions {
  fileSystem?: FileSystemOperations;
}

let counter = 0;

/** A fresh temporary name beside `target`: hidden, and never matching a checkpoint's names. */
export function temporaryPathFor(target: string): string {
  const unique = `${process.pid}-${Date.now().toString(36)}-${(counter++).toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  return path.join(path.dirname(target), `.${path.basename(target)}.${unique}.tmp`);
}

/** The temporaries `temporaryPathFor` names: `.<file>.<pid>-<time>-<counter+random>.tmp`. */
const TEMPORARY = /^\..+\.(\d+)-[0-9a-z]+-[0-9a-z]+\.tmp$/;

/**
 * Deletes the temporary files in `directory` that a process of this host left when it died
 * mid-write (their names carry its pid; files of live processes, this one included, stay).
 * Returns the names deleted; errors are ignored (cleanup must not fail a save).
 */
export async function removeStaleTemporaries(
  directory: string,
  fileSystem: FileSystemOperations = nodeFileSystem,
): Promise<string[]> {
  let entries: string[];
  try {
    entries = await fileSystem.readdir(directory);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const match = TEMPORARY.exec(entry);
    if (!match || isAlive(Number(match[1]))) continue;
    await removeQuietly(path.join(directory, entry), fileSystem);
    removed.push(entry);
  }
  return removed;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM'; // alive, someone else's
  }
}

/**
 * Writes `data` to a new temporary file beside `target` (or to `temporary`, which must not
 * exist) and fsyncs it; returns its path.
 */
export async function writeTemporary(
  target: string,
  data: Uint8Array | string,
  fileSystem: FileSystemOperations,
  temporary: string = temporaryPathFor(target),
): Promise<string> {
  let file: WritableFile | undefined;
  try {
    file = await fileSystem.open(temporary, 'wx'); // 'wx': never reuse a file someone else is writing
    await file.writeFile(data);
    await file.sync(); // the bytes are on disk before the rename can make them visible
    await file.close();
    file = undefined;
    return temporary;
  } catch (error) {
    if (file) await file.close().catch(() => undefined);
    await removeQuietly(temporary, fileSystem);
    throw error;
  }
}

/** fsyncs a directory so completed renames in it survive a power loss. */
export async function syncDirectory(directory: string, fileSystem: FileSystemOperations): Promise<void> {
  let handle: WritableFile;
  try {
    handle = await fileSystem.open(directory, 'r');
  } catch (error) {
    if (isIgnorableDirectorySyncError(error)) return; // Windows cannot open a directory
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    if (!isIgnorableDirectorySyncError(error)) throw error;
  } finally {
    await handle.close();
  }
}

function isIgnorableDirectorySyncError(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'EISDIR' || code === 'EPERM' || code === 'EINVAL' || code === 'EBADF' || code === 'ENOTSUP';
}

/** Deletes a file, ignoring every error (cleanup after a failure must not hide the failure). */
export async function removeQuietly(file: string, fileSystem: FileSystemOperations): Promise<void> {
  await fileSystem.unlink(file).catch(() => undefined);
}

/**
 * Replaces `target` with `data` atomically: readers see the old file or the new one, never a
 * partial one, even after a crash. Writes a temporary file in the same directory, fsyncs it,
 * renames it over `target`, then fsyncs the directory. The directory must exist.
 */
export async function writeFileAtomic(
  target: string,
  data: Uint8Array | string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const fileSystem = options.fileSystem ?? nodeFileSystem;
  const temporary = await writeTemporary(target, data, fileSystem);
  try {
    await fileSystem.rename(temporary, target);
  } catch (error) {
    await removeQuietly(temporary, fileSystem);
    throw error;
  }
  await syncDirectory(path.dirname(target), fileSystem);
}
