// Loads the compiled addon (dist/native/myelin_cpu.node, or the sanitizer build with
// MYELIN_CPU_SANITIZE=1, or a file named by MYELIN_CPU_ADDON) once, and remembers why not.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  ArgumentError,
  BackendError,
  DisposedTensorError,
  ShapeError,
  UnsupportedOpError,
  type TypedArray,
  type NativePrimitiveAddon,
  type NativeFusedAddon,
} from '@myelin/core/backend';

/** Pool counters of the addon (per Node environment, shared by every cpu backend instance). */
export interface CpuPoolStats {
  /** Buffers obtained from the system allocator so far. */
  systemAllocations: number;
  /** Allocations served from the pool's free lists. */
  reuses: number;
  systemFrees: number;
  liveBuffers: number;
  liveBytes: number;
  pooledBuffers: number;
  pooledBytes: number;
  /** Tensor records alive in the addon's table, over all backend instances. */
  liveTensors: number;
}

export interface NativeProbe {
  gemm: string;
  simd: string;
  threads: number;
  blas: string;
  blasError: string;
}

/**
 * The addon's functions (see native/glue/addon.cc). Handles are ids into its tensor table; the
 * primitives' and fused kernels' entry points are those every native addon has (core's
 * NativePrimitiveAddon and NativeFusedAddon).
 */
export interface NativeAddon extends NativePrimitiveAddon, NativeFusedAddon {
  configure(threads: number, gemmMode: number, flushDenormals: boolean): void;
  probe(): NativeProbe;
  stats(): CpuPoolStats;
  trimPool(): void;
  setErrorClasses(...classes: unknown[]): void;
  fromData(values: TypedArray, shape: readonly number[], dtype: number): number;
  fill(shape: readonly number[], value: number, dtype: number): number;
  read(id: number): TypedArray;
  readInto(id: number, out: TypedArray): void;
  release(id: number): void;
}

export type LoadResult =
  { addon: NativeAddon; path: string; error?: undefined } | { addon?: undefined; path: string; error: string };

/** What to install when the addon is missing or does not load. */
export const CPU_REQUIREMENTS =
  'a C++17 compiler (Debian: apt-get install g++) to build the addon with `pnpm --filter @myelin/backend-cpu build`, and OpenBLAS for fast GEMM (apt-get install libopenblas0)';

let loaded: LoadResult | null = null;

/** The addon's path for this process: $MYELIN_CPU_ADDON, else the plain or the sanitizer build. */
export function addonPath(): string {
  const override = process.env.MYELIN_CPU_ADDON;
  if (override) return override;
  const flavour = process.env.MYELIN_CPU_SANITIZE === '1' ? 'native-asan' : 'native';
  // The same relative path works from src/ (tests) and dist/ (the package).
  return fileURLToPath(new URL(`../dist/${flavour}/myelin_cpu.node`, import.meta.url));
}

export function loadAddon(): LoadResult {
  if (loaded !== null) return loaded;
  const path = addonPath();
  if (!existsSync(path)) {
    const marker = path.replace(/myelin_cpu\.node$/, 'BUILD-FAILED.txt');
    const why = existsSync(marker) ? `the build said: ${readFileSync(marker, 'utf8').trim()}` : 'it was not built';
    loaded = { path, error: `the native addon ${path} is missing (${why}); install ${CPU_REQUIREMENTS}` };
    return loaded;
  }
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    addon.setErrorClasses(BackendError, ShapeError, UnsupportedOpError, DisposedTensorError, ArgumentError);
    loaded = { addon, path };
  } catch (error) {
    loaded = {
      path,
      error: `the native addon ${path} did not load (${(error as Error).message}); install ${CPU_REQUIREMENTS}`,
    };
  }
  return loaded;
}
