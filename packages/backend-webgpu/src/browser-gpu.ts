// WebGPU in a page or worker: navigator.gpu. Headless Chromium needs --enable-unsafe-webgpu;
// its default adapter there is SwiftShader, and --use-webgpu-adapter=opengles gives a faster
// OpenGL ES adapter that only a compatibility-mode request returns.
import type { AcquiredAdapter, AdapterAttempt } from './adapter.js';
import { WebGpuUnavailableError } from './errors.js';

/** 'auto': a hardware core adapter, else a non-SwiftShader compatibility one, else whatever exists. */
export type FeatureLevelChoice = 'auto' | 'core' | 'compatibility';

export async function acquireBrowserAdapter(featureLevel: FeatureLevelChoice): Promise<AcquiredAdapter> {
  const attempts: AdapterAttempt[] = [];
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (gpu === undefined) {
    attempts.push({
      source: 'browser',
      ok: false,
      detail: 'navigator.gpu is undefined: this browser or context has no WebGPU',
    });
    throw new WebGpuUnavailableError(attempts, [
      'use a browser with WebGPU (Chrome or Edge 113+, Safari 26+, Firefox 141+ on Windows) in a secure context (https or localhost)',
      'headless Chromium on Linux: start it with --enable-unsafe-webgpu',
    ]);
  }
  const request = async (level: 'core' | 'compatibility'): Promise<GPUAdapter | null> => {
    const options: GPURequestAdapterOptions =
      level === 'core' ? { powerPreference: 'high-performance' } : { featureLevel: level };
    try {
      const adapter = await gpu.requestAdapter(options);
      if (adapter === null)
        attempts.push({
          source: 'browser',
          ok: false,
          detail: `requestAdapter(${JSON.stringify(options)}) returned null (no GPU, or the adapter is blocklisted)`,
        });
      return adapter;
    } catch (error) {
      attempts.push({
        source: 'browser',
        ok: false,
        detail: `requestAdapter(${JSON.stringify(options)}) threw: ${(error as Error).message}`,
      });
      return null;
    }
  };
  const accept = (adapter: GPUAdapter, level: 'core' | 'compatibility'): AcquiredAdapter => {
    attempts.push({
      source: 'browser',
      ok: true,
      detail: `${level} adapter: ${adapter.info?.description || adapter.info?.vendor || 'unnamed'}`,
    });
    return { gpu, adapter, source: 'browser', featureLevel: level, attempts };
  };
  if (featureLevel !== 'auto') {
    const adapter = await request(featureLevel);
    if (adapter !== null) return accept(adapter, featureLevel);
  } else {
    // A real GPU's core adapter wins. When the core adapter is a CPU fallback (SwiftShader in
    // headless Chromium), a compatibility-mode adapter that is not SwiftShader (Mesa's OpenGL ES
    // with --use-webgpu-adapter=opengles, about 10x faster) is preferred.
    const core = await request('core');
    if (core !== null && !isFallbackAdapter(core)) return accept(core, 'core');
    const compatibility = await request('compatibility');
    if (compatibility !== null && !isSwiftShader(compatibility)) return accept(compatibility, 'compatibility');
    if (core !== null) return accept(core, 'core');
    if (compatibility !== null) return accept(compatibility, 'compatibility');
  }
  throw new WebGpuUnavailableError(attempts, [
    'enable WebGPU for this GPU: chrome://gpu shows why it is off; a blocklisted GPU needs --enable-unsafe-webgpu',
    'without a GPU (headless Linux): --enable-unsafe-webgpu gives SwiftShader; add --use-angle=vulkan --use-webgpu-adapter=opengles and request featureLevel "compatibility" for the faster OpenGL ES adapter',
  ]);
}

function isFallbackAdapter(adapter: GPUAdapter): boolean {
  return (
    (adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true ||
    isSwiftShader(adapter)
  );
}

function isSwiftShader(adapter: GPUAdapter): boolean {
  const info = adapter.info;
  return /swiftshader/i.test(`${info?.vendor ?? ''} ${info?.architecture ?? ''} ${info?.description ?? ''}`);
}
