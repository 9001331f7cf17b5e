// Starts one backend in this worker. Each backend package is a dynamic import, so only the
// chosen one is fetched. tfjs holds one active backend per realm, so a worker runs exactly one
// backend for its whole life; the page starts a new worker to switch.
import { setBackend } from '@myelin/core';
import type { AssetUrls, BackendName, BackendStatus } from './protocol.js';

export async function startBackend(name: BackendName, assets: AssetUrls, featureLevel: 'auto' | 'core' | 'compatibility' = 'auto'): Promise<BackendStatus> {
  const started = performance.now();
  try {
    let details: Record<string, string>;
    if (name === 'webgpu') {
      const { registerWebGpuBackend } = await import('@myelin/backend-webgpu');
      const backend = await registerWebGpuBackend({ featureLevel: featureLevel === 'auto' ? await preferredFeatureLevel() : featureLevel });
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

/**
 * 'core' unless the core adapter is a CPU fallback (SwiftShader) and a compatibility-mode
 * adapter is a different one: headless Chromium started with --use-webgpu-adapter=opengles
 * offers Mesa's OpenGL ES there, about 10x faster than SwiftShader. On a real GPU the core
 * adapter is not a fallback and is used as before.
 */
async function preferredFeatureLevel(): Promise<'core' | 'compatibility'> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return 'core';
  try {
    const core = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (core && !isFallback(core)) return 'core';
    const compatibility = await gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions);
    // Chromium flags the OpenGL ES adapter as a fallback too (with empty info): what matters is that it is not SwiftShader.
    if (compatibility && !isSwiftShader(compatibility)) return 'compatibility';
  } catch {
    // the backend's own attempt reports what went wrong
  }
  return 'core';
}

function isFallback(adapter: GPUAdapter): boolean {
  return (adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true || isSwiftShader(adapter);
}

function isSwiftShader(adapter: GPUAdapter): boolean {
  const { vendor, architecture, description } = adapter.info;
  return /swiftshader/i.test(`${vendor} ${architecture} ${description}`);
}
