// The CUDA backend's descriptor. Importing it loads nothing; probe, create and register load the
// native addon (or, with { engine: 'tfjs' }, @tensorflow/tfjs-node-gpu) when called.
import type { BackendDescriptor } from '@myelin/core/backend';
import type { CudaBackend, CudaBackendOptions } from './cuda-backend.js';

/** Its rank for an automatic choice: the highest, an NVIDIA GPU beats every CPU backend. */
export const CUDA_PRIORITY = 40;

export const descriptor: BackendDescriptor<CudaBackendOptions, CudaBackend> = {
  name: 'cuda',
  title: 'CUDA',
  description:
    'NVIDIA GPUs (compute capability 8.0+) through our own CUDA kernels in a Node addon; GEMM from cuBLAS when found, else a built-in kernel',
  packageName: '@myelin/backend-cuda',
  install:
    'npm install @myelin/backend-cuda (the server needs the NVIDIA driver 580 or newer; cuBLAS is optional: pip install nvidia-cublas, or libcublas.so.13 on the loader path)',
  priority: CUDA_PRIORITY,
  probe: async (options) => (await import('./cuda-backend.js')).probe(options),
  create: async (options) => (await import('./cuda-backend.js')).createCudaBackend(options),
  register: async (options) => (await import('./cuda-backend.js')).registerCudaBackend(options),
};
