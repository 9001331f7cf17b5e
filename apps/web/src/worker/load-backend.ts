// Starts one backend in this worker through its descriptor (a dynamic import inside, so only the
// chosen backend is fetched). tfjs holds one active backend per realm, so a worker runs exactly
// one backend for its whole life; the page starts a new worker to switch.
import { setBackend } from '@myelin/core';
import { webBackend } from '../backends.js';
import type { AssetUrls, BackendName, BackendStatus } from './protocol.js';

export async function startBackend(
  name: BackendName,
  assets: AssetUrls,
  featureLevel: 'auto' | 'core' | 'compatibility' = 'auto',
): Promise<BackendStatus> {
  const started = performance.now();
  try {
    const descriptor = webBackend(name);
    if (descriptor === undefined) throw new Error(`this page does not bundle a backend named '${name}'`);
    // Each backend reads the options it knows: WebGPU the feature level, wasm where its .wasm files are.
    const options = { featureLevel, wasmPaths: assets.wasm };
    const backend = await descriptor.register(options);
    setBackend(backend.name);
    // Once started, the probe reports the running backend: adapter or module details, and whether
    // an automatic choice should take it (not on a software GPU adapter).
    const probe = await descriptor.probe(options);
    return {
      name,
      usable: true,
      ...(probe.auto === false ? { auto: false } : {}),
      ...(probe.summary ? { summary: probe.summary } : {}),
      details: probe.details ?? {},
      startMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    return { name, usable: false, reason: (error as Error).message, startMs: Math.round(performance.now() - started) };
  }
}
