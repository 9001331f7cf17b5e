// @myelin/backend-webgpu in browsers: the adapter comes from navigator.gpu. Same API as the
// Node entry (index.ts); `options.adapter` (a Dawn choice) is ignored here.
import { acquireBrowserAdapter } from './browser-gpu.js';
import {
  createWebGpuBackendWith,
  probeWith,
  registerWebGpuBackendWith,
  type AcquireAdapter,
  type ProbeResult,
  type WebGpuBackend,
  type WebGpuBackendOptions,
} from './webgpu-backend.js';

export { WebGpuBackend, type ProbeResult, type WebGpuBackendOptions } from './webgpu-backend.js';
export { WebGpuUnavailableError } from './errors.js';
export { descriptor, WEBGPU_PRIORITY } from './descriptor.browser.js';
export type { NodeAdapterChoice } from './dawn.js';
export type { FeatureLevelChoice } from './browser-gpu.js';
export type { AdapterAttempt, AdapterSource } from './adapter.js';

/** The adapter choices Dawn offers in Node; in a browser the browser decides. */
export const NODE_ADAPTER_CHOICES = ['auto', 'vulkan', 'opengles', 'swiftshader'] as const;

const acquire: AcquireAdapter = (options) => acquireBrowserAdapter(options.featureLevel ?? 'auto');

/** The Myelin WebGPU backend on navigator.gpu; throws WebGpuUnavailableError when there is none. */
export function createWebGpuBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  return createWebGpuBackendWith(acquire, options);
}

/** Creates the backend and registers it with core (default priority WEBGPU_PRIORITY, 15: above cpu-reference). */
export function registerWebGpuBackend(
  options: WebGpuBackendOptions & { priority?: number } = {},
): Promise<WebGpuBackend> {
  return registerWebGpuBackendWith(acquire, options);
}

/** Whether WebGPU is usable in this browser, why not, and the adapter it would use. Never throws. */
export function probe(options: WebGpuBackendOptions = {}): Promise<ProbeResult> {
  return probeWith(acquire, options);
}
