// @myelin/backend-tfjs: the Myelin Backend contract over any TensorFlow.js backend. The
// caller passes its own tfjs-core instance (already set up), so this package never loads
// tfjs itself and WebGPU/CUDA/WASM packages only choose a tfjs backend.
import { registerBackend, type Backend } from '@myelin/core/backend';
import type { Tf } from './context.js';
import { activeTfjsBackend, TfjsBackend, type TfjsBackendOptions } from './tfjs-backend.js';

export type { Tf } from './context.js';
export { TfjsBackend, type TfjsBackendOptions } from './tfjs-backend.js';

/** A Myelin Backend whose handles are tensors of `tf`'s active (or `options.tfjsBackend`) backend. */
export function createTfjsBackend(tf: Tf, options?: TfjsBackendOptions): Backend {
  return new TfjsBackend(tf, options);
}

/**
 * Registers a tfjs-backed Myelin backend with core (priority 0), created lazily on first use.
 * Returns the registry name.
 */
export function registerTfjsBackend(tf: Tf, options: TfjsBackendOptions = {}): string {
  const name = options.name ?? `tfjs-${options.tfjsBackend ?? activeTfjsBackend(tf)}`;
  registerBackend(name, () => createTfjsBackend(tf, { ...options, name }), { priority: 0 });
  return name;
}
