// Loads the compiled addon (dist/native/myelin_cpu.node, or the sanitizer build with
// MYELIN_CPU_SANITIZE=1, or a file named by MYELIN_CPU_ADDON) once, and remembers why not.
import { fileURLToPath } from 'node:url';
import {
  type TypedArray,
  type NativePrimitiveAddon,
  type NativeFusedAddon,
  type NativeRowAddon,
} from '@myelin/core/backend';
import { loadNativeAddon, nativeAddonPath, type NativeAddonLoad } from '@myelin/core/node';

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
  /** 'pooled' (the buffer pool), or 'exact' under MYELIN_CPU_NO_CACHING=1. */
  memory: 'pooled' | 'exact';
  threads: number;
  blas: string;
  blasError: string;
}

/**
 * The addon's functions (see native/glue/addon.cc). Handles are ids into its tensor table; the
 * primitives' and fused kernels' entry points are those every native addon has (core's
 * NativePrimitiveAddon and NativeFusedAddon), and the row kernels' are NativeRowAddon's.
 */
export interface NativeAddon extends NativePrimitiveAddon, NativeFusedAddon, NativeRowAddon {
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
  /** matmulBiasActivation that keeps z = a @ b + bias too (gelu, silu's backward): [act(z), z]. */
  matmulBiasActivationWithPreactivation(
    a: number,
    b: number,
    bias: number,
    activation: number,
    transposeA: boolean,
    transposeB: boolean,
  ): [number, number];
  /** The LSTM cell: gates [B, 4H] and state [B, 2H] = [h | c] -> [h' | c']. */
  lstmCell(gates: number, state: number): number;
  /** Its backward: [dGates, dState]. */
  lstmCellBackward(grad: number, gates: number, state: number): [number, number];
  /** The GRU cell: gx and gh [B, 3H] and h [B, H] -> h'. */
  gruCell(gx: number, gh: number, h: number): number;
  /** Its backward: [dGx, dGh, dH]. */
  gruCellBackward(grad: number, gx: number, gh: number, h: number): [number, number, number];
}

export type LoadResult = NativeAddonLoad<NativeAddon>;

/** What to install when the addon is missing or does not load. */
export const CPU_REQUIREMENTS =
  'a C++17 compiler (Debian: apt-get install g++) to build the addon with `pnpm --filter @myelin/backend-cpu build`, and OpenBLAS for fast GEMM (apt-get install libopenblas0)';

let loaded: LoadResult | null = null;

/** The addon's path for this process: $MYELIN_CPU_ADDON, else the plain or the sanitizer build. */
export function addonPath(): string {
  // The same relative paths work from src/ (tests) and dist/ (the package).
  return nativeAddonPath({
    override: process.env.MYELIN_CPU_ADDON,
    sanitize: process.env.MYELIN_CPU_SANITIZE === '1',
    plain: fileURLToPath(new URL('../dist/native/myelin_cpu.node', import.meta.url)),
    sanitized: fileURLToPath(new URL('../dist/native-asan/myelin_cpu.node', import.meta.url)),
  });
}

export function loadAddon(): LoadResult {
  loaded ??= loadNativeAddon<NativeAddon>(addonPath(), {
    built: 'myelin_cpu.node',
    advice: `install ${CPU_REQUIREMENTS}`,
  });
  return loaded;
}
