// The wasm backend's descriptor. Cheap to import: probe, create and register load tfjs and the
// wasm module only when called (a web page can list it without fetching either).
import type { BackendDescriptor } from '@myelin/core/backend';
import type { WasmBackend, WasmBackendOptions } from './wasm-backend.js';

/** Its rank for an automatic choice: below the native backends, above WebGPU and cpu-reference. */
export const WASM_PRIORITY = 20;

export const descriptor: BackendDescriptor<WasmBackendOptions, WasmBackend> = {
  name: 'wasm',
  title: 'WebAssembly',
  description: 'tfjs-backend-wasm: XNNPACK kernels compiled to WebAssembly with SIMD, in Node and browsers',
  packageName: '@myelin/backend-wasm',
  install: 'npm install @myelin/backend-wasm',
  priority: WASM_PRIORITY,
  probe: async (options) => (await import('./wasm-backend.js')).probe(options),
  create: async (options) => (await import('./wasm-backend.js')).createWasmBackend(options),
  register: async (options) => (await import('./wasm-backend.js')).registerWasmBackend(options),
};
