import { registerBackend } from '@myelin/core';
import { createCpuReferenceBackend } from './backend.js';
import { CPU_REFERENCE_BACKEND_NAME } from './name.js';

export { createCpuReferenceBackend } from './backend.js';
export { CPU_REFERENCE_BACKEND_NAME } from './name.js';

// Importing the package makes cpu-reference available, and the default unless a backend of
// higher priority is registered.
registerBackend(CPU_REFERENCE_BACKEND_NAME, createCpuReferenceBackend, { priority: 1 });
