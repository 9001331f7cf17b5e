// @myelin/backend-cpu: Myelin's native CPU backend (C++ kernels in a Node addon, OpenBLAS or a
// built-in SIMD GEMM). Importing the package registers it as 'cpu' when the addon loads.
import { registerBackend } from '@myelin/core/backend';
import { createCpuBackend } from './backend.js';
import { CPU_PRIORITY } from './descriptor.js';
import { CPU_BACKEND_NAME } from './name.js';
import { loadAddon } from './native.js';

export { createCpuBackend, CpuHandle, type CpuBackend, type CpuBackendOptions, type CpuGemm } from './backend.js';
export { CPU_BACKEND_NAME } from './name.js';
export { CPU_REQUIREMENTS, type CpuPoolStats } from './native.js';
export { probe, probeSync, addonPath, type CpuProbe } from './probe.js';

export { descriptor, CPU_PRIORITY } from './descriptor.js';

// The default wherever the addon loads (above cpu-reference); nothing is registered otherwise.
if (loadAddon().addon !== undefined)
  registerBackend(CPU_BACKEND_NAME, () => createCpuBackend(), { priority: CPU_PRIORITY });
