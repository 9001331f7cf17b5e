// @myelin/backend-wasm: Myelin's fast CPU backend, tfjs-backend-wasm (XNNPACK, SIMD) through
// backend-tfjs, in Node and in browsers.
export {
  WasmBackend,
  WasmUnavailableError,
  createWasmBackend,
  registerWasmBackend,
  probe,
  type ProbeResult,
  type WasmBackendOptions,
} from './wasm-backend.js';
export { descriptor, WASM_PRIORITY } from './descriptor.js';
