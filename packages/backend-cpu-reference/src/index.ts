import { registerBackend } from '@myelin/core/backend';
import { createCpuReferenceBackend } from './backend.js';
import { CPU_REFERENCE_PRIORITY } from './descriptor.js';
import { CPU_REFERENCE_BACKEND_NAME } from './name.js';

export { createCpuReferenceBackend } from './backend.js';
export { CPU_REFERENCE_BACKEND_NAME } from './name.js';
export { descriptor, CPU_REFERENCE_PRIORITY } from './descriptor.js';

// Importing the package makes cpu-reference available, and the default unless a backend of
// higher priority is registered.
registerBackend(CPU_REFERENCE_BACKEND_NAME, createCpuReferenceBackend, { priority: CPU_REFERENCE_PRIORITY });
