// backend-tfjs on @tensorflow/tfjs-backend-wasm: XNNPACK kernels compiled to WebAssembly with
// SIMD. Node finds the .wasm files beside the package; a bundled web app passes `wasmPaths`.
// tfjs holds one wasm module per process, so initialisation happens once.
import * as tf from '@tensorflow/tfjs-core';
import { BackendError, registerBackend, type BackendProbe } from '@myelin/core/backend';
import { WASM_PRIORITY } from './descriptor.js';
import { WasmSafeTfjsBackend } from './wasm-quirks.js';

export interface WasmBackendOptions {
  /**
   * Where the .wasm files are served from (browsers with a bundler): a URL prefix ending in '/',
   * or a map from file name ('tfjs-backend-wasm.wasm', '-simd', '-threaded-simd') to URL.
   * Node needs none.
   */
  wasmPaths?: string | Record<string, string>;
  /** Threads for the threaded build (browsers with cross-origin isolation only). */
  threads?: number;
  /** Myelin registry name; default 'wasm'. */
  name?: string;
}

/** The wasm module could not be loaded or instantiated; the message says what to do. */
export class WasmUnavailableError extends BackendError {
  override name = 'WasmUnavailableError';
}

export class WasmBackend extends WasmSafeTfjsBackend {
  constructor(
    /** SIMD, threads and the tfjs-backend-wasm version in use. */
    readonly details: Readonly<Record<string, string>>,
    name = 'wasm',
  ) {
    super(tf, { name, tfjsBackend: 'wasm', syncReads: false });
  }
}

let initialised: Promise<Record<string, string>> | null = null;

async function initialise(options: WasmBackendOptions): Promise<Record<string, string>> {
  if ((globalThis as { WebAssembly?: unknown }).WebAssembly === undefined) {
    throw new WasmUnavailableError(
      'WebAssembly is not available in this runtime: the wasm backend needs it (Node 16+, every current browser)',
    );
  }
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (options.wasmPaths !== undefined) wasm.setWasmPaths(options.wasmPaths as string);
  if (options.threads !== undefined) wasm.setThreadsCount(options.threads);
  let selected = false;
  let failure = '';
  const warn = console.warn;
  // tfjs reports a failed initialisation only as a console warning; keep it for our error.
  console.warn = (...args: unknown[]) => {
    failure += args.map(String).join(' ') + ' ';
    warn(...args);
  };
  try {
    selected = await tf.setBackend('wasm');
  } catch (error) {
    failure += (error as Error).message;
  } finally {
    console.warn = warn;
  }
  if (!selected) {
    throw new WasmUnavailableError(
      `tfjs-backend-wasm failed to initialise${failure ? `: ${failure.trim()}` : ''}. In a bundled web app, serve the .wasm files from node_modules/@tensorflow/tfjs-backend-wasm/dist/ and pass their location as createWasmBackend({ wasmPaths })`,
    );
  }
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return {
    version: wasm.version_wasm,
    simd: String(simd),
    multithreading: String(threads),
    threads: String(threads ? wasm.getThreadsCount() : 1),
  };
}

/** Makes the Myelin wasm backend (loading the module on first use) and selects it in tfjs. */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const pending = initialised ?? (initialised = initialise(options));
  let details: Record<string, string>;
  try {
    details = await pending;
  } catch (error) {
    if (initialised === pending) initialised = null;
    throw error;
  }
  if (tf.getBackend() !== 'wasm' && !(await tf.setBackend('wasm'))) {
    throw new WasmUnavailableError('tfjs could not select its wasm backend again');
  }
  return new WasmBackend(details, options.name);
}

/** Creates the backend and registers it with core (default priority WASM_PRIORITY, 20: above cpu-reference and WebGPU). */
export async function registerWasmBackend(
  options: WasmBackendOptions & { priority?: number } = {},
): Promise<WasmBackend> {
  const backend = await createWasmBackend(options);
  registerBackend(backend.name, () => backend, { priority: options.priority ?? WASM_PRIORITY });
  return backend;
}

/** What `probe()` reports (core's shared BackendProbe). */
export type ProbeResult = BackendProbe;

/** Whether the wasm backend works here, and with SIMD/threads. Never throws. */
export async function probe(options: WasmBackendOptions = {}): Promise<ProbeResult> {
  // Initialising selects wasm in tfjs for the whole process: put back whatever was active, so
  // probing never breaks another tfjs-based backend in use.
  const previous = tf.getBackend();
  try {
    const details = await (initialised ?? (initialised = initialise(options)));
    return { usable: true, summary: `SIMD ${details.simd}, threads ${details.threads}`, details };
  } catch (error) {
    initialised = null;
    return { usable: false, reason: (error as Error).message };
  } finally {
    if (previous && tf.getBackend() !== previous) await tf.setBackend(previous);
  }
}
