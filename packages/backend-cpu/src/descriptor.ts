import { getBackend, registerBackend, type BackendDescriptor } from '@myelin/core/backend';
import type { CpuBackend, CpuBackendOptions } from './backend.js';
import { CPU_BACKEND_NAME } from './name.js';
import { probe } from './probe.js';

/** Its rank for an automatic choice: core's scale puts native CPU (30) below CUDA, above wasm and cpu-reference. */
export const CPU_PRIORITY = 30;

/**
 * What apps and tools need to list, probe and start the native CPU backend. Cheap to import:
 * the addon loads when it is probed, created or registered.
 */
export const descriptor: BackendDescriptor<CpuBackendOptions, CpuBackend> = {
  name: CPU_BACKEND_NAME,
  title: 'Native CPU',
  description:
    'C++ kernels in a Node addon, GEMM from OpenBLAS (or a built-in SIMD kernel): the fast CPU backend for Node',
  packageName: '@myelin/backend-cpu',
  install: 'npm install @myelin/backend-cpu (building it needs g++; apt-get install g++ libopenblas0)',
  priority: CPU_PRIORITY,
  probe: async () => {
    const result = await probe();
    if (!result.usable) return result;
    // The built-in GEMM is a fallback: still faster than wasm here, so auto may take it.
    return { ...result, summary: `${result.gemm ?? 'gemm ?'}, ${result.simd ?? 'simd ?'} kernels` };
  },
  create: async (options) => (await import('./backend.js')).createCpuBackend(options),
  register: async (options) => {
    const { createCpuBackend } = await import('./backend.js');
    registerBackend(CPU_BACKEND_NAME, () => createCpuBackend(options), { priority: CPU_PRIORITY });
    return getBackend(CPU_BACKEND_NAME) as CpuBackend;
  },
};
