// Loads the MPI addon (dist/native/myelin_mpi.node, or the sanitizer build with
// MYELIN_MPI_SANITIZE=1, or a file named by MYELIN_MPI_ADDON) once, and remembers why not.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { MPI_INSTALL_HINT } from './errors.js';

/** The addon's functions (see native/mpi-addon.cc). */
export interface MpiAddon {
  libraryVersion(): string;
  init(): { rank: number; size: number; processor: string };
  initialized(): boolean;
  finalized(): boolean;
  /** In place; op 0 sum, 1 max, 2 min, 3 mean (float arrays only). */
  allReduce(values: Float32Array | Float64Array | Int32Array, op: number): void;
  /** Sum (0) or mean (3) of the parts laid end to end (a number: that many zeros) into out. */
  allReduceParts(
    parts: readonly (Float32Array | Float64Array | number)[],
    out: Float32Array | Float64Array,
    op: number,
  ): void;
  /** Whether float sums and means use the shared-memory window (all ranks on this node). */
  sharedMemory(): boolean;
  /** In place, as bytes. */
  broadcast(values: ArrayBufferView, root: number): void;
  barrier(): void;
  abort(code: number): boolean;
  finalize(): void;
}

export type LoadResult =
  { addon: MpiAddon; path: string; error?: undefined } | { addon?: undefined; path: string; error: string };

let loaded: LoadResult | null = null;

/** The addon's path for this process: $MYELIN_MPI_ADDON, else the plain or the sanitizer build. */
export function addonPath(): string {
  const override = process.env.MYELIN_MPI_ADDON;
  if (override) return override;
  const flavour = process.env.MYELIN_MPI_SANITIZE === '1' ? 'native-asan' : 'native';
  // The same relative path works from src/ (tests) and dist/ (the package).
  return fileURLToPath(new URL(`../dist/${flavour}/myelin_mpi.node`, import.meta.url));
}

export function loadAddon(): LoadResult {
  if (loaded !== null) return loaded;
  const path = addonPath();
  if (!existsSync(path)) {
    const marker = path.replace(/myelin_mpi\.node$/, 'BUILD-FAILED.txt');
    const why = existsSync(marker) ? `the build said: ${readFileSync(marker, 'utf8').trim()}` : 'it was not built';
    loaded = { path, error: `the MPI addon ${path} is missing (${why}); ${MPI_INSTALL_HINT}` };
    return loaded;
  }
  try {
    loaded = { addon: createRequire(import.meta.url)(path) as MpiAddon, path };
  } catch (error) {
    loaded = { path, error: `the MPI addon ${path} did not load (${(error as Error).message}); ${MPI_INSTALL_HINT}` };
  }
  return loaded;
}
