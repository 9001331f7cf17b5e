// The whole shared suite on tfjs-backend-wasm in headless Chromium. Vite serves the .wasm
// files; the page is not cross-origin isolated, so tfjs picks the SIMD build without threads.
import { runConformanceSuite } from '@myelin/conformance';
import plain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { createWasmBackend } from './index.js';

runConformanceSuite({
  name: 'backend-wasm (Chromium)',
  createBackend: async () => {
    const backend = await createWasmBackend({
      wasmPaths: {
        'tfjs-backend-wasm.wasm': plain,
        'tfjs-backend-wasm-simd.wasm': simd,
        'tfjs-backend-wasm-threaded-simd.wasm': threadedSimd,
      },
    });
    console.info(`backend-wasm conformance on: ${JSON.stringify(backend.details)}`);
    return backend;
  },
});
