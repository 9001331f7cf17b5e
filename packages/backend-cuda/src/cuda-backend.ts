// @myelin/backend-cuda's engines: 'native' (the default: our CUDA kernels, native-backend.ts) and
// 'tfjs' (opt-in: backend-tfjs over @tensorflow/tfjs-node-gpu, for servers where its CUDA 11.2 /
// cuDNN 8.1 build installs). Reads are asynchronous on both.
import { TfjsBackend, type Tf } from '@myelin/backend-tfjs';
import { registerBackend, type BackendProbe } from '@myelin/core/backend';
import { CUDA_PRIORITY } from './descriptor.js';
import { CudaUnavailableError } from './errors.js';
import { loadTfjsNodeGpu, type RequireFunction, tfjsUnavailable } from './load.js';
import { addonPath, loadAddon } from './native.js';
import {
  createNativeCudaBackend,
  describeInit,
  type NativeCudaBackend,
  type NativeCudaOptions,
  openNative,
} from './native-backend.js';

export interface CudaBackendOptions extends NativeCudaOptions {
  /** 'native' (default): our CUDA kernels; 'tfjs': @tensorflow/tfjs-node-gpu (an optional peer). */
  engine?: 'native' | 'tfjs';
  /**
   * tfjs engine only: accept libtensorflow running on the CPU when it finds no usable GPU
   * (default false: that is an error, since it usually means a driver or CUDA/cuDNN mismatch).
   */
  allowCpu?: boolean;
  /** tfjs engine only, for tests: how to require tfjs-node-gpu. */
  require?: RequireFunction;
}

/** The tfjs engine's backend: backend-tfjs on libtensorflow's CUDA kernels. */
export class TfjsCudaBackend extends TfjsBackend {
  readonly engine = 'tfjs';
  constructor(
    tf: Tf,
    /** tfjs-node version, whether libtensorflow uses a GPU, and its backend name. */
    readonly details: Readonly<Record<string, string>>,
    name = 'cuda',
  ) {
    super(tf, { name, tfjsBackend: 'tensorflow', syncReads: false });
  }
}

/** A backend of either engine (`engine` tells which). */
export type CudaBackend = NativeCudaBackend | TfjsCudaBackend;

async function startTfjs(options: CudaBackendOptions): Promise<{ tf: Tf; details: Record<string, string> }> {
  const tf = loadTfjsNodeGpu(options.require);
  if (!(await tf.setBackend('tensorflow'))) {
    throw tfjsUnavailable(
      "tfjs-node-gpu loaded, but its 'tensorflow' backend did not initialise (see the warning tfjs logged above)",
    );
  }
  const usingGpu = (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
  const versions = (tf as unknown as { version?: Record<string, string> }).version ?? {};
  const details: Record<string, string> = {
    engine: 'tfjs',
    tfjsNode: versions['tfjs-node'] ?? versions['tfjs-core'] ?? 'unknown',
    gpu: String(usingGpu),
    visibleDevices: process.env.CUDA_VISIBLE_DEVICES ?? 'all',
  };
  if (!usingGpu && !options.allowCpu) {
    throw tfjsUnavailable(
      'tfjs-node-gpu loaded, but libtensorflow found no usable CUDA GPU and would run on the CPU (check `nvidia-smi`, CUDA_VISIBLE_DEVICES, and that CUDA 11.2 / cuDNN 8.1 are on LD_LIBRARY_PATH; pass { allowCpu: true } to accept the CPU)',
    );
  }
  return { tf, details };
}

/** The Myelin CUDA backend; throws a CudaUnavailableError (a subclass per cause) naming what to do when it cannot run. */
export async function createCudaBackend(options: CudaBackendOptions = {}): Promise<CudaBackend> {
  if (options.engine === 'tfjs') {
    const { tf, details } = await startTfjs(options);
    return new TfjsCudaBackend(tf, details, options.name);
  }
  if (options.engine !== undefined && options.engine !== 'native') {
    throw new CudaUnavailableError(`unknown engine '${String(options.engine)}' (use 'native' or 'tfjs')`);
  }
  return createNativeCudaBackend(options);
}

/** Creates the backend and registers it with core (default priority CUDA_PRIORITY, 40: the default over every other backend). */
export async function registerCudaBackend(
  options: CudaBackendOptions & { priority?: number } = {},
): Promise<CudaBackend> {
  const backend = await createCudaBackend(options);
  registerBackend(backend.name, () => backend, { priority: options.priority ?? CUDA_PRIORITY });
  return backend;
}

/** What `probe()` reports (core's shared BackendProbe). */
export type ProbeResult = BackendProbe;

/** probe()'s reason for an error: its cause, then the first thing to do. */
function reasonOf(error: unknown): string {
  if (!(error instanceof CudaUnavailableError)) return (error as Error).message;
  const first = error.steps[0];
  return first === undefined || error.code === 'no-driver' || error.code === 'driver-too-old'
    ? error.reason
    : `${error.reason}; to fix: ${first}`;
}

/**
 * Whether the CUDA backend can run here, on which GPU, with which GEMM. Never throws. The
 * native engine opens the GPU (once per process); the tfjs engine loads tfjs-node-gpu.
 */
export async function probe(options: CudaBackendOptions = {}): Promise<ProbeResult> {
  if (options.engine === 'tfjs') {
    try {
      // startTfjs() selects 'tensorflow' for the whole process: put back whatever was active.
      const tf = loadTfjsNodeGpu(options.require);
      const previous: string | null = tf.getBackend();
      const { details } = await startTfjs(options);
      if (previous && previous !== 'tensorflow') await tf.setBackend(previous);
      return { usable: true, details };
    } catch (error) {
      return { usable: false, reason: reasonOf(error), details: { engine: 'tfjs' } };
    }
  }
  try {
    const { init, path } = openNative(options.device ?? 0);
    const details = describeInit(init, path);
    return { usable: true, summary: `${details.device}, ${details.gemm} GEMM`, details };
  } catch (error) {
    const details: Record<string, string> = { engine: 'native', addon: addonPath() };
    if (error instanceof CudaUnavailableError) details.code = error.code;
    const addon = loadAddon().addon;
    if (addon !== undefined) {
      const versions = addon.driverInfo();
      details.driver = versions.driverVersion === 0 ? 'none (libcuda.so.1 not found)' : `CUDA ${versions.driverCuda}`;
    }
    return { usable: false, reason: reasonOf(error), details };
  }
}
