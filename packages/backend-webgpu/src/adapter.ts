// What every WebGPU source (browser or Dawn in Node) hands back, and the device request that
// tfjs-backend-webgpu's own factory makes, so our device is the one tfjs would have made.

/** Where the adapter came from; 'browser' is navigator.gpu in a page or worker. */
export type AdapterSource = 'browser' | 'vulkan' | 'opengles' | 'swiftshader';

/** One try at getting an adapter, kept for the report and for the error when all fail. */
export interface AdapterAttempt {
  source: AdapterSource;
  ok: boolean;
  /** Why it failed, or what was found. */
  detail: string;
}

export interface AcquiredAdapter {
  gpu: GPU;
  adapter: GPUAdapter;
  source: AdapterSource;
  featureLevel: 'core' | 'compatibility';
  attempts: AdapterAttempt[];
}

/** Human-readable facts about an adapter: the `details` of a probe and of `backend.adapter`. */
export function describeAdapter(acquired: AcquiredAdapter): Record<string, string> {
  const info = acquired.adapter.info as GPUAdapterInfo | undefined;
  const details: Record<string, string> = { source: acquired.source, featureLevel: acquired.featureLevel };
  for (const key of ['vendor', 'architecture', 'device', 'description'] as const) {
    const value = info?.[key];
    if (value) details[key] = value;
  }
  // Dawn and Chromium report the CPU adapters (lavapipe, SwiftShader) as fallback adapters.
  const fallback = (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter;
  if (fallback !== undefined) details.fallbackAdapter = String(fallback);
  details.maxBufferSize = String(acquired.adapter.limits.maxBufferSize);
  return details;
}

/** A one-line name for logs: "opengles: Mesa llvmpipe (LLVM 15.0.6, 256 bits)". */
export function adapterSummary(details: Record<string, string>): string {
  const name = [details.vendor, details.device || details.description || details.architecture]
    .filter(Boolean)
    .join(' ');
  return `${details.source}${details.featureLevel === 'compatibility' ? ' (compatibility)' : ''}: ${name || 'unnamed adapter'}`;
}

/** The device tfjs-backend-webgpu 4.22's factory requests: the adapter's own limits, timestamps if any. */
export async function requestTfjsDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const requiredFeatures: GPUFeatureName[] = [];
  if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  const limits = adapter.limits;
  return adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
  });
}
