// The whole shared suite on tfjs's WebGPU backend in headless Chromium, once per adapter the
// instance asks for (vitest.browser.config.ts): the default one and OpenGL ES (compatibility).
import { inject } from 'vitest';
import { runConformanceSuite } from '@myelin/conformance';
import { createWebGpuBackend } from './index.browser.js';
import { WEBGPU_KNOWN_FAILURES } from './known-failures.js';
import { WEBGPU_TOLERANCE } from './test-tolerance.js';

declare module 'vitest' {
  export interface ProvidedContext {
    featureLevel: 'core' | 'compatibility';
  }
}

const featureLevel = inject('featureLevel');

runConformanceSuite({
  name: `backend-webgpu (Chromium, ${featureLevel} adapter)`,
  createBackend: async () => {
    const backend = await createWebGpuBackend({ featureLevel });
    console.info(`backend-webgpu conformance on: ${JSON.stringify(backend.adapter)}`);
    return backend;
  },
  tolerance: WEBGPU_TOLERANCE,
  skip: WEBGPU_KNOWN_FAILURES,
});
