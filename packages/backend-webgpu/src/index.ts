// @myelin/backend-webgpu for Node (and any runtime without a browser `navigator.gpu`): Dawn
// from the `webgpu` npm package, over a GPU's Vulkan driver or Mesa's software renderers.
// Browsers get index.browser.ts through the package's "browser" export condition.
import { acquireNodeAdapter, adapterChoiceFromEnv } from './dawn.js';
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
export { descriptor, WEBGPU_PRIORITY } from './descriptor.js';
export { NODE_ADAPTER_CHOICES, type NodeAdapterChoice } from './dawn.js';
export type { FeatureLevelChoice } from './browser-gpu.js';
export type { AdapterAttempt, AdapterSource } from './adapter.js';

const acquire: AcquireAdapter = (options) => acquireNodeAdapter(options.adapter ?? adapterChoiceFromEnv());

/**
 * The Myelin WebGPU backend. The first call picks the adapter (see `options.adapter`) and
 * initialises tfjs's WebGPU backend; it throws WebGpuUnavailableError, listing what was tried
 * and what to install, when no adapter works.
 */
export function createWebGpuBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  return createWebGpuBackendWith(acquire, options);
}

/** Creates the backend and registers it with core (default priority WEBGPU_PRIORITY, 15: above cpu-reference). */
export function registerWebGpuBackend(
  options: WebGpuBackendOptions & { priority?: number } = {},
): Promise<WebGpuBackend> {
  return registerWebGpuBackendWith(acquire, options);
}

/** Whether WebGPU is usable here, why not, and the adapter it would use. Never throws. */
export function probe(options: WebGpuBackendOptions = {}): Promise<ProbeResult> {
  return probeWith(acquire, options);
}
