// backend-tfjs on @tensorflow/tfjs-node-gpu: libtensorflow's CUDA kernels. Reads are async only:
// a training loop should read the loss every k steps, not stall the GPU every step.
import { TfjsBackend, type Tf } from '@myelin/backend-tfjs';
import { registerBackend, type BackendProbe } from '@myelin/core/backend';
import { CUDA_PRIORITY } from './descriptor.js';
import { CudaUnavailableError, loadTfjsNodeGpu, type RequireFunction } from './load.js';

export interface CudaBackendOptions {
  /** Myelin registry name; default 'cuda'. */
  name?: string;
  /**
   * Accept libtensorflow running on the CPU when it finds no usable GPU (default false: that
   * is an error, since it usually means a driver or CUDA/cuDNN mismatch).
   */
  allowCpu?: boolean;
  /** For tests: how to require tfjs-node-gpu. */
  require?: RequireFunction;
}

export class CudaBackend extends TfjsBackend {
  constructor(
    tf: Tf,
    /** tfjs-node version, whether libtensorflow uses a GPU, and its backend name. */
    readonly details: Readonly<Record<string, string>>,
    name = 'cuda',
  ) {
    super(tf, { name, tfjsBackend: 'tensorflow', syncReads: false });
  }
}

async function start(options: CudaBackendOptions): Promise<{ tf: Tf; details: Record<string, string> }> {
  const tf = loadTfjsNodeGpu(options.require);
  if (!(await tf.setBackend('tensorflow'))) {
    throw new CudaUnavailableError(
      "tfjs-node-gpu loaded, but its 'tensorflow' backend did not initialise (see the warning tfjs logged above)",
    );
  }
  const usingGpu = (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
  const versions = (tf as unknown as { version?: Record<string, string> }).version ?? {};
  const details: Record<string, string> = {
    tfjsNode: versions['tfjs-node'] ?? versions['tfjs-core'] ?? 'unknown',
    gpu: String(usingGpu),
    visibleDevices: process.env.CUDA_VISIBLE_DEVICES ?? 'all',
  };
  if (!usingGpu && !options.allowCpu) {
    throw new CudaUnavailableError(
      'tfjs-node-gpu loaded, but libtensorflow found no usable CUDA GPU and would run on the CPU (check `nvidia-smi`, CUDA_VISIBLE_DEVICES, and that CUDA 11.2 / cuDNN 8.1 are on LD_LIBRARY_PATH; pass { allowCpu: true } to accept the CPU)',
    );
  }
  return { tf, details };
}

/** The Myelin CUDA backend; throws CudaUnavailableError naming what to install when it cannot run. */
export async function createCudaBackend(options: CudaBackendOptions = {}): Promise<CudaBackend> {
  const { tf, details } = await start(options);
  return new CudaBackend(tf, details, options.name);
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

/** Whether the CUDA backend can run here (loads tfjs-node-gpu when present). Never throws. */
export async function probe(options: CudaBackendOptions = {}): Promise<ProbeResult> {
  try {
    // start() selects 'tensorflow' for the whole process: put back whatever was active.
    const tf = loadTfjsNodeGpu(options.require);
    const previous: string | null = tf.getBackend();
    const { details } = await start(options);
    if (previous && previous !== 'tensorflow') await tf.setBackend(previous);
    return { usable: true, details };
  } catch (error) {
    const reason = error instanceof CudaUnavailableError ? error.reason : (error as Error).message;
    return { usable: false, reason };
  }
}
