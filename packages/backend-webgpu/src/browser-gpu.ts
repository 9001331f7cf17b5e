// WebGPU in a page or worker: navigator.gpu. Headless Chromium needs --enable-unsafe-webgpu;
// its default adapter there is SwiftShader, and --use-webgpu-adapter=opengles gives a faster
// OpenGL ES adapter that only a compatibility-mode request returns.
import type { AcquiredAdapter, AdapterAttempt } from './adapter.js';
import { WebGpuUnavailableError } from './errors.js';

/** 'auto': a core adapter, else a compatibility one. */
export type FeatureLevelChoice = 'auto' | 'core' | 'compatibility';

export async function acquireBrowserAdapter(featureLevel: FeatureLevelChoice): Promise<AcquiredAdapter> {
  const attempts: AdapterAttempt[] = [];
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (gpu === undefined) {
    attempts.push({ source: 'browser', ok: false, detail: 'navigator.gpu is undefined: this browser or context has no WebGPU' });
    throw new WebGpuUnavailableError(attempts, [
      'use a browser with WebGPU (Chrome or Edge 113+, Safari 26+, Firefox 141+ on Windows) in a secure context (https or localhost)',
      'headless Chromium on Linux: start it with --enable-unsafe-webgpu',
    ]);
  }
  const levels: ('core' | 'compatibility')[] = featureLevel === 'auto' ? ['core', 'compatibility'] : [featureLevel];
  for (const level of levels) {
    const options: GPURequestAdapterOptions = level === 'core' ? { powerPreference: 'high-performance' } : { featureLevel: level };
    try {
      const adapter = await gpu.requestAdapter(options);
      if (adapter !== null) {
        attempts.push({ source: 'browser', ok: true, detail: `${level} adapter: ${adapter.info?.description || adapter.info?.vendor || 'unnamed'}` });
        return { gpu, adapter, source: 'browser', featureLevel: level, attempts };
      }
      attempts.push({ source: 'browser', ok: false, detail: `requestAdapter(${JSON.stringify(options)}) returned null (no GPU, or the adapter is blocklisted)` });
    } catch (error) {
      attempts.push({ source: 'browser', ok: false, detail: `requestAdapter(${JSON.stringify(options)}) threw: ${(error as Error).message}` });
    }
  }
  throw new WebGpuUnavailableError(attempts, [
    'enable WebGPU for this GPU: chrome://gpu shows why it is off; a blocklisted GPU needs --enable-unsafe-webgpu',
    'without a GPU (headless Linux): --enable-unsafe-webgpu gives SwiftShader; add --use-angle=vulkan --use-webgpu-adapter=opengles and request featureLevel "compatibility" for the faster OpenGL ES adapter',
  ]);
}
