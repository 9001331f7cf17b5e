// The CUDA backend's descriptor. Importing it loads nothing; probe, create and register load
// @tensorflow/tfjs-node-gpu (and with it libtensorflow and the CUDA libraries) when called.
import type { BackendDescriptor } from '@myelin/core/backend';
import type { CudaBackend, CudaBackendOptions } from './cuda-backend.js';

/** Its rank for an automatic choice: the highest, an NVIDIA GPU beats every CPU backend. */
export const CUDA_PRIORITY = 40;

export const descriptor: BackendDescriptor<CudaBackendOptions, CudaBackend> = {
  name: 'cuda',
  title: 'CUDA',
  description: 'NVIDIA GPUs through @tensorflow/tfjs-node-gpu (CUDA 11.2, cuDNN 8.1)',
  packageName: '@myelin/backend-cuda',
  install: 'npm install @myelin/backend-cuda @tensorflow/tfjs-node-gpu',
  priority: CUDA_PRIORITY,
  probe: async (options) => (await import('./cuda-backend.js')).probe(options),
  create: async (options) => (await import('./cuda-backend.js')).createCudaBackend(options),
  register: async (options) => (await import('./cuda-backend.js')).registerCudaBackend(options),
};
