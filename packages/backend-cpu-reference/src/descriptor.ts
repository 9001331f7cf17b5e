import { getBackend, registerBackend, type BackendDescriptor } from '@myelin/core/backend';
import { CPU_REFERENCE_BACKEND_NAME } from './name.js';

/** Its rank for an automatic choice: the fallback that always works, below every faster backend. */
export const CPU_REFERENCE_PRIORITY = 10;

/**
 * What apps and tools need to list, probe and start cpu-reference. It runs wherever JavaScript
 * does. Cheap to import: the kernels load when it is created or registered.
 */
export const descriptor: BackendDescriptor = {
  name: CPU_REFERENCE_BACKEND_NAME,
  title: 'CPU reference',
  description: 'pure TypeScript kernels over typed arrays: runs everywhere; the oracle every backend is tested against',
  packageName: '@myelin/backend-cpu-reference',
  install: 'npm install @myelin/backend-cpu-reference',
  priority: CPU_REFERENCE_PRIORITY,
  probe: async () => ({
    usable: true,
    summary: 'TypeScript kernels',
    details: { kernels: 'TypeScript', dtypes: 'float32, float64, int32, bool' },
  }),
  create: async () => (await import('./backend.js')).createCpuReferenceBackend(),
  register: async () => {
    const { createCpuReferenceBackend } = await import('./backend.js');
    registerBackend(CPU_REFERENCE_BACKEND_NAME, createCpuReferenceBackend, { priority: CPU_REFERENCE_PRIORITY });
    return getBackend(CPU_REFERENCE_BACKEND_NAME);
  },
};
