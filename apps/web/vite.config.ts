// The demo page. Training runs in a module Web Worker (src/worker/worker.ts) whose backends
// are dynamic imports, so the first paint loads only the page shell; WebGPU and WebAssembly
// code (and the .wasm files) are fetched when a backend is chosen.
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    // tfjs-backend-webgpu alone is larger than Vite's 500 kB warning; it loads on demand in the worker.
    chunkSizeWarningLimit: 1500,
    reportCompressedSize: true,
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
