// Loads the native CUDA addon (dist/native/myelin_cuda.node, the sanitizer build with
// MYELIN_CUDA_SANITIZE=1, or the file named by MYELIN_CUDA_ADDON) once, and remembers why not.
// Loading needs no GPU: the addon links cudart statically, which opens the driver's
// libcuda.so.1 only when a GPU is first asked for (init).
import { fileURLToPath } from 'node:url';
import {
  type TypedArray,
  type NativePrimitiveAddon,
  type NativeFusedAddon,
  type NativeRowAddon,
} from '@myelin/core/backend';
import { loadNativeAddon, nativeAddonPath, type NativeAddonLoad } from '@myelin/core/node';
import { CudaOutOfMemoryError } from './errors.js';

/** The driver's and runtime's CUDA versions (cudaDriverGetVersion encoding: 13000 = 13.0; 0 = no driver). */
export interface NativeDriverInfo {
  driverVersion: number;
  driverCuda: string;
  runtimeVersion: number;
  requiredDriverVersion: number;
  /** /proc/driver/nvidia/version's first line, '' when absent. */
  kernelDriver: string;
}

/** What init() reports: the GPU and its GEMM, or why it cannot run (`code`, `message`). */
export interface NativeInit extends NativeDriverInfo {
  ok: boolean;
  device: number;
  code?: string;
  message?: string;
  name?: string;
  computeCapability?: string;
  totalMemory?: number;
  freeMemory?: number;
  gemm?: 'cublas' | 'builtin';
  /** 'caching', or 'exact' under MYELIN_CUDA_NO_CACHING=1. */
  allocator?: 'caching' | 'exact';
  cublasPath?: string;
  cublasError?: string;
}

/** The caching device allocator's counters (of the GPU in use). */
export interface CudaMemoryStats {
  /** cudaMalloc calls so far (a steady training step adds none). */
  cudaMallocs: number;
  /** Allocations served from the cache. */
  reuses: number;
  cudaFrees: number;
  liveBlocks: number;
  liveBytes: number;
  cachedBlocks: number;
  cachedBytes: number;
  /** Page-locked host staging memory held (uploads and reads). */
  pinnedBytes: number;
  /** Handles alive in the addon's table (every backend of the process). */
  liveTensors: number;
}

/**
 * The addon's functions (see native/glue/addon.cc). Handles are ids into its tensor table; the
 * primitives' and fused kernels' entry points are those every native addon has (core's
 * NativePrimitiveAddon and NativeFusedAddon), and the row kernels' are NativeRowAddon's.
 */
export interface NativeAddon extends NativePrimitiveAddon, NativeFusedAddon, NativeRowAddon {
  init(device: number, cublasCandidates: readonly string[], builtinGemm: boolean): NativeInit;
  configure(device: number, tf32: boolean, builtinGemm: boolean): void;
  stats(): CudaMemoryStats;
  emptyCache(): void;
  synchronize(): void;
  setErrorClasses(...classes: unknown[]): void;
  driverInfo(): NativeDriverInfo;
  /** What init reports for a driver of this CUDA version (13000 = 13.0; 0 = none); code '' when it can run. */
  classifyDriver(driverVersion: number): { code: string; message: string };
  loadCublas(candidates: readonly string[]): { loaded: boolean; path: string; error: string };
  sizeClass(bytes: number): [number, number];
  allocatorTest(
    steps: readonly (readonly number[])[],
    budget: number,
    exact: boolean,
  ): {
    systemAllocations: number;
    reuses: number;
    systemFrees: number;
    cachedBytes: number;
    failures: number;
    firstStepBytes: number;
  };
  fromData(values: TypedArray, shape: readonly number[], dtype: number): number;
  fill(shape: readonly number[], value: number, dtype: number): number;
  read(id: number): Promise<TypedArray>;
  readSync(id: number): TypedArray;
  release(id: number): void;
}

export type LoadResult = NativeAddonLoad<NativeAddon>;

/**
 * The addon's path in this package (the build's output). A bundle that carries the addon
 * elsewhere sets MYELIN_CUDA_ADDON instead; `addonPath()` gives the one in use.
 */
export const NATIVE_ADDON_PATH = fileURLToPath(new URL('../dist/native/myelin_cuda.node', import.meta.url));

/** The addon's path for this process: $MYELIN_CUDA_ADDON, else the plain or the sanitizer build. */
export function addonPath(): string {
  return nativeAddonPath({
    override: process.env.MYELIN_CUDA_ADDON,
    sanitize: process.env.MYELIN_CUDA_SANITIZE === '1',
    plain: NATIVE_ADDON_PATH,
    sanitized: fileURLToPath(new URL('../dist/native-asan/myelin_cuda.node', import.meta.url)),
  });
}

let loaded: LoadResult | null = null;

export function loadAddon(): LoadResult {
  loaded ??= loadNativeAddon<NativeAddon>(addonPath(), {
    built: 'myelin_cuda.node',
    extraErrorClasses: [CudaOutOfMemoryError],
  });
  return loaded;
}
