// The whole shared suite on tfjs's WebGPU backend in Node: Dawn on the adapter chosen
// automatically (a GPU, else Mesa's software OpenGL ES, else lavapipe) or MYELIN_WEBGPU_ADAPTER.
import { runConformanceSuite } from '@myelin/conformance';
import { createWebGpuBackend } from './index.js';
import { WEBGPU_KNOWN_FAILURES } from './known-failures.js';
import { WEBGPU_TOLERANCE } from './test-tolerance.js';

runConformanceSuite({
  name: 'backend-webgpu (Node, Dawn)',
  createBackend: async () => {
    const backend = await createWebGpuBackend();
    console.info(`backend-webgpu conformance on: ${JSON.stringify(backend.adapter)}`);
    return backend;
  },
  tolerance: WEBGPU_TOLERANCE,
  skip: WEBGPU_KNOWN_FAILURES,
});
