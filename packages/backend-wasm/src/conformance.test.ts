// The whole shared suite on tfjs-backend-wasm in Node.
import { runConformanceSuite } from '@myelin/conformance';
import { createWasmBackend } from './index.js';

runConformanceSuite({
  name: 'backend-wasm (Node)',
  createBackend: () => createWasmBackend(),
});
