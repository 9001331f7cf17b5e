// The WebGPU backend's descriptor, shared by the Node and browser entries: each passes how to
// load its own entry, so importing a descriptor loads neither tfjs nor Dawn until it is used.
import type { BackendDescriptor } from '@myelin/core/backend';
import type { ProbeResult, WebGpuBackend, WebGpuBackendOptions } from './webgpu-backend.js';

/**
 * Its rank for an automatic choice: below wasm (for Myelin's small and mid-sized models a
 * real GPU through tfjs seldom beats XNNPACK), above cpu-reference. On a software adapter its
 * probe says `auto: false`, so `--backend auto` passes it over.
 */
export const WEBGPU_PRIORITY = 15;

interface WebGpuEntry {
  createWebGpuBackend(options?: WebGpuBackendOptions): Promise<WebGpuBackend>;
  registerWebGpuBackend(options?: WebGpuBackendOptions): Promise<WebGpuBackend>;
  probe(options?: WebGpuBackendOptions): Promise<ProbeResult>;
}

export function webGpuDescriptor(
  load: () => Promise<WebGpuEntry>,
): BackendDescriptor<WebGpuBackendOptions, WebGpuBackend> {
  return {
    name: 'webgpu',
    title: 'WebGPU',
    description:
      'tfjs-backend-webgpu: shaders on a GPU (navigator.gpu in browsers, Dawn over Vulkan or Mesa in Node); reads are async',
    packageName: '@myelin/backend-webgpu',
    install: 'npm install @myelin/backend-webgpu',
    priority: WEBGPU_PRIORITY,
    probe: async (options) => (await load()).probe(options),
    create: async (options) => (await load()).createWebGpuBackend(options),
    register: async (options) => (await load()).registerWebGpuBackend(options),
  };
}
