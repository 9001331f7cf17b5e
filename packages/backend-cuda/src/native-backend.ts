// The native CUDA engine: the Backend contract over our own kernels (native/), one stream per GPU,
// a caching device allocator, asynchronous reads. Handles are ids into the addon's table.
import {
  type Backend,
  BACKEND_CONTRACT_VERSION,
  type BackendHandle,
  BackendError,
  type DType,
  type TypedArray,
  nativeHandleTable,
  nativePrimitiveKernels,
  nativeFusedKernels,
  nativeRowKernels,
} from '@myelin/core/backend';
import { cublasCandidates } from './cublas-path.js';
import { CudaAddonMissingError, unavailableError } from './errors.js';
import { type CudaMemoryStats, loadAddon, type NativeAddon, type NativeInit } from './native.js';

export interface NativeCudaOptions {
  /** Myelin registry name; default 'cuda'. */
  name?: string;
  /** The GPU index (as CUDA numbers them after CUDA_VISIBLE_DEVICES); default 0. */
  device?: number;
  /** Let cuBLAS use TF32 tensor cores for float32 GEMMs (faster, ~10 bits of mantissa); default false: exact float32. */
  tf32?: boolean;
  /** 'builtin' forces the built-in GEMM; default $MYELIN_CUDA_GEMM, else 'auto' (cuBLAS when found). */
  gemm?: 'auto' | 'builtin';
  /**
   * Also provide the contract's `readSync` (default false). It waits for the GPU, so core would
   * then read every loss and check every gather's indices on the host, stalling each step;
   * `readBlocking` is always there for code that wants a synchronous read anyway.
   */
  syncReads?: boolean;
}

/** The native engine's backend: the contract plus device details and allocator controls. */
export interface NativeCudaBackend extends Backend {
  readonly engine: 'native';
  /** The GPU, its GEMM and the driver, as probe() reports them. */
  readonly details: Readonly<Record<string, string>>;
  /** A read that waits for the GPU (readSync without the contract's promise not to stall). */
  readBlocking(handle: BackendHandle): TypedArray;
  /** Waits until the GPU has run everything enqueued so far. */
  synchronize(): void;
  /** The caching allocator's counters for this backend's GPU. */
  memoryStats(): CudaMemoryStats;
  /** Returns the cached (free) device and pinned memory to CUDA. */
  emptyCache(): void;
}

const DTYPES: readonly DType[] = Object.freeze(['float32', 'float64', 'int32', 'bool']);

/** The configuration last applied to the addon (the GPU in use, TF32, GEMM choice are per process). */
let applied: object | null = null;

function builtinFromEnvironment(): boolean {
  return process.env.MYELIN_CUDA_GEMM === 'builtin';
}

let candidates: string[] | null = null;

/**
 * cuBLAS's candidates, computed once per process (the search may ask python3), and not at all
 * without a driver (init fails before it would load cuBLAS).
 */
function searchCublas(addon: NativeAddon): string[] {
  if (candidates !== null) return candidates;
  if (addon.driverInfo().driverVersion === 0) return [];
  candidates = cublasCandidates();
  return candidates;
}

/** The addon and the opened GPU `device`; throws the typed CudaUnavailableError when it cannot run. */
export function openNative(device: number): { addon: NativeAddon; init: NativeInit; path: string } {
  const result = loadAddon();
  if (result.addon === undefined) throw new CudaAddonMissingError(result.error);
  if (!Number.isInteger(device) || device < 0)
    throw new BackendError(`backend 'cuda': device must be a GPU index (an integer >= 0), got ${device}`);
  const init = result.addon.init(device, searchCublas(result.addon), builtinFromEnvironment());
  if (!init.ok)
    throw unavailableError(
      init.code ?? 'cuda-error',
      init.message ?? 'the GPU could not be opened',
      init.driverVersion,
      init.requiredDriverVersion,
    );
  return { addon: result.addon, init, path: result.path };
}

const GIB = 1024 ** 3;

/** probe()'s details for an opened GPU. */
export function describeInit(init: NativeInit, path: string): Record<string, string> {
  const details: Record<string, string> = {
    engine: 'native',
    gemm: init.gemm ?? 'builtin',
    device: `${init.device}: ${init.name ?? '?'}`,
    computeCapability: init.computeCapability ?? '?',
    driver: `CUDA ${init.driverCuda}${init.kernelDriver ? ` (${init.kernelDriver.replace(/\s+/g, ' ').trim()})` : ''}`,
    runtime: `CUDA ${Math.floor(init.runtimeVersion / 1000)}.${(init.runtimeVersion % 1000) / 10}`,
    memory: `${((init.freeMemory ?? 0) / GIB).toFixed(1)} GiB free of ${((init.totalMemory ?? 0) / GIB).toFixed(1)} GiB`,
    allocator:
      init.allocator === 'exact'
        ? 'exact: each tensor its own cudaMalloc, freed at release (MYELIN_CUDA_NO_CACHING=1; slower, for compute-sanitizer)'
        : 'caching (size classes, reused)',
    addon: path,
  };
  if (init.gemm === 'cublas') {
    // A call cuBLAS refused since the GPU was opened ran on the built-in GEMM: say which.
    details.cublas = `${init.cublasPath ?? ''}${init.cublasError ? `; ${init.cublasError}` : ''}`;
  } else {
    details.cublas = `not in use (${init.cublasError ?? 'unknown'}): the built-in GEMM runs`;
  }
  return details;
}

/** A native CUDA backend on GPU `options.device` (throws a CudaUnavailableError naming what to do). */
export function createNativeCudaBackend(options: NativeCudaOptions = {}): NativeCudaBackend {
  const device = options.device ?? 0;
  const { addon, init, path } = openNative(device);
  const name = options.name ?? 'cuda';
  const tf32 = options.tf32 ?? false;
  const gemm = options.gemm ?? (builtinFromEnvironment() ? 'builtin' : 'auto');
  if (gemm !== 'auto' && gemm !== 'builtin')
    throw new BackendError(`backend '${name}': gemm must be 'auto' or 'builtin', got '${String(gemm)}'`);
  const config = { device, tf32, gemm };
  const apply = (): void => {
    addon.configure(device, tf32, gemm === 'builtin');
    applied = config;
  };
  apply();
  const details = describeInit(init, path);
  if (gemm === 'builtin') details.gemm = 'builtin';
  details.tf32 = String(tf32);

  // Handles dropped without dispose() give their memory back when garbage-collected (as backend-cpu).
  const table = nativeHandleTable(
    name,
    (id) => addon.release(id),
    () => {
      if (applied !== config) apply();
    },
  );
  const { open, prepare } = table;
  const readBlocking = (handle: BackendHandle): TypedArray => addon.readSync(open(handle));

  const backend: NativeCudaBackend = {
    name,
    contractVersion: BACKEND_CONTRACT_VERSION,
    dtypes: DTYPES,
    engine: 'native',
    details,

    ...nativePrimitiveKernels(addon, table),
    read(handle: BackendHandle) {
      // The copy is enqueued now (before any later dispose); the promise settles from a worker
      // thread's wait on its event, so Node's event loop keeps running.
      try {
        return addon.read(open(handle));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
    readBlocking,
    dispose: table.dispose,
    liveHandles: table.live,

    fused: { ...nativeFusedKernels(addon, table, name), ...nativeRowKernels(addon, table) },

    synchronize() {
      prepare();
      addon.synchronize();
    },
    memoryStats() {
      prepare();
      return addon.stats();
    },
    emptyCache() {
      prepare();
      addon.emptyCache();
    },
  };
  if (options.syncReads) return { ...backend, readSync: readBlocking };
  return backend;
}
