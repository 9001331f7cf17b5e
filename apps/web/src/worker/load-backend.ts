// Starts one backend in this worker. Each backend package is a dynamic import, so only the
// chosen one is fetched. tfjs holds one active backend per realm, so a worker runs exactly one
// backend for its whole life; the page starts a new worker to switch.
import { setBackend } from '@myelin/core';
import type { AssetUrls, BackendName, BackendStatus } from './protocol.js';

export async function startBackend(
  name: BackendName,
  assets: AssetUrls,
  featureLevel: 'auto' | 'core' | 'compatibility' = 'auto',
): Promise<BackendStatus> {
  const started = performance.now();
  try {
    let details: Record<string, string>;
    if (name === 'webgpu') {
      const { registerWebGpuBackend } = await import('@myelin/backend-webgpu');
      const backend = await registerWebGpuBackend({ featureLevel });
      details = { ...backend.adapter };
    } else if (name === 'wasm') {
      const { registerWasmBackend } = await import('@myelin/backend-wasm');
      const backend = await registerWasmBackend({ wasmPaths: assets.wasm });
      details = { ...backend.details };
    } else {
      await import('@myelin/backend-cpu-reference');
      details = { kernels: 'TypeScript loops over typed arrays' };
    }
    setBackend(name);
    return { name, usable: true, details, startMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { name, usable: false, reason: (error as Error).message, startMs: Math.round(performance.now() - started) };
  }
}
