// The shared half of both entry points: given a way to get an adapter (navigator.gpu in a
// browser, Dawn in Node), make the device tfjs would make, register tfjs's WebGPU backend on
// it and wrap it in backend-tfjs. tfjs keeps one WebGPU backend (and its compiled shaders) per
// process, so initialisation happens once and every Myelin backend made after shares it.
import * as tf from '@tensorflow/tfjs-core';
import { BackendError, registerBackend, type BackendProbe } from '@myelin/core/backend';
import {
  adapterSummary,
  describeAdapter,
  requestTfjsDevice,
  type AcquiredAdapter,
  type AdapterAttempt,
} from './adapter.js';
import type { FeatureLevelChoice } from './browser-gpu.js';
import type { NodeAdapterChoice } from './dawn.js';
import { WEBGPU_PRIORITY } from './webgpu-descriptor.js';
import { WebGpuTfjsBackend } from './webgpu-kernels.js';

export interface WebGpuBackendOptions {
  /**
   * Node only: which Dawn path to use. 'auto' (default, or MYELIN_WEBGPU_ADAPTER) takes a GPU's
   * Vulkan adapter, else Mesa's software OpenGL ES, else lavapipe; the others force one.
   */
  adapter?: NodeAdapterChoice;
  /** Browser only: the adapter feature level to request; 'auto' tries core, then compatibility. */
  featureLevel?: FeatureLevelChoice;
  /** Myelin registry name; default 'webgpu'. */
  name?: string;
  /**
   * On a software adapter (llvmpipe, lavapipe, SwiftShader) use the settings measured faster
   * there: tfjs's packed matmul program for every shape, 100 dispatches per queue submit
   * (both process-wide tfjs flags, left alone when already changed from tfjs's defaults), and
   * no transposeB. Default true.
   */
  tuneForSoftwareAdapter?: boolean;
}

export type AcquireAdapter = (options: WebGpuBackendOptions) => Promise<AcquiredAdapter>;

/** backend-tfjs on tfjs's WebGPU backend. Reads are async only: dataSync breaks WebGPU. */
export class WebGpuBackend extends WebGpuTfjsBackend {
  constructor(
    /** The adapter in use: source, feature level, vendor, device, description... */
    readonly adapter: Readonly<Record<string, string>>,
    /** Every adapter tried, in order, with what each gave. */
    readonly attempts: readonly AdapterAttempt[],
    name = 'webgpu',
    tuned = false,
  ) {
    super(tf, { name, tfjsBackend: 'webgpu', syncReads: false }, tuned);
  }
}

interface Initialised {
  details: Record<string, string>;
  attempts: AdapterAttempt[];
  /** Where the adapter came from, to refuse a second, conflicting forced choice. */
  source: string;
}

let initialised: Promise<Initialised> | null = null;

/** tfjs-backend-webgpu's MatMulProgramType.MatMulPackedProgram. */
const MATMUL_PACKED_PROGRAM = 3;
/** tfjs's default WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE, and ours on software adapters. */
const DEFAULT_SUBMIT_BATCH = 15;
const SOFTWARE_SUBMIT_BATCH = 100;

/** CPU implementations of WebGPU: Mesa's llvmpipe (GL) and lavapipe (Vulkan), SwiftShader. */
export function isSoftwareAdapter(details: Record<string, string>): boolean {
  if (details.fallbackAdapter === 'true') return true;
  return /llvmpipe|lavapipe|swiftshader|softpipe/i.test(
    `${details.vendor ?? ''} ${details.architecture ?? ''} ${details.device ?? ''} ${details.description ?? ''}`,
  );
}

async function initialise(acquire: AcquireAdapter, options: WebGpuBackendOptions): Promise<Initialised> {
  const acquired = await acquire(options);
  const device = await requestTfjsDevice(acquired.adapter);
  // Imported late: in Node, navigator.gpu has to exist first (tfjs checks it when the backend is made).
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  // Replace tfjs's own factory (it would request a second adapter of its choosing) with ours.
  if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, acquired.adapter.info), 3);
  const details = describeAdapter(acquired);
  if ((options.tuneForSoftwareAdapter ?? true) && isSoftwareAdapter(details)) {
    // tfjs picks matmul programs for GPUs; on a CPU rasteriser its packed program is 2-8x faster.
    if (tf.env().get('WEBGPU_MATMUL_PROGRAM_TYPE') === -1) {
      tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', MATMUL_PACKED_PROGRAM);
    }
    // It also runs each submitted command buffer at once, so fewer, larger submits save 20%.
    if (tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') === DEFAULT_SUBMIT_BATCH) {
      tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', SOFTWARE_SUBMIT_BATCH);
    }
    details.tuning = `software adapter: packed matmul, no transposeB, ${tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE')} dispatches per submit`;
  }
  if (!(await tf.setBackend('webgpu'))) {
    throw new BackendError(
      `tfjs could not start its WebGPU backend on ${adapterSummary(details)} (see the warning tfjs logged above)`,
    );
  }
  return { details, attempts: acquired.attempts, source: acquired.source };
}

/** Initialises WebGPU once per process and returns the adapter it runs on. */
export async function initialiseWebGpu(acquire: AcquireAdapter, options: WebGpuBackendOptions): Promise<Initialised> {
  const pending = initialised ?? (initialised = initialise(acquire, options));
  let result: Initialised;
  try {
    result = await pending;
  } catch (error) {
    if (initialised === pending) initialised = null; // a later call may try again (e.g. after an install)
    throw error;
  }
  const forced = options.adapter !== undefined && options.adapter !== 'auto' && result.source !== 'browser';
  if (forced && result.source !== options.adapter) {
    throw new BackendError(
      `WebGPU already runs on ${adapterSummary(result.details)} in this process; tfjs holds one WebGPU device per process, so adapter '${options.adapter}' cannot be used as well (choose it before the first use, or with MYELIN_WEBGPU_ADAPTER)`,
    );
  }
  return result;
}

/** Makes the Myelin WebGPU backend (initialising WebGPU on first use) and selects it in tfjs. */
export async function createWebGpuBackendWith(
  acquire: AcquireAdapter,
  options: WebGpuBackendOptions,
): Promise<WebGpuBackend> {
  const { details, attempts } = await initialiseWebGpu(acquire, options);
  if (tf.getBackend() !== 'webgpu' && !(await tf.setBackend('webgpu'))) {
    throw new BackendError('tfjs could not select its WebGPU backend again');
  }
  return new WebGpuBackend(details, attempts, options.name, details.tuning !== undefined);
}

/**
 * Creates the backend and registers it with core under its name (default 'webgpu') at priority
 * WEBGPU_PRIORITY (15), above cpu-reference, so it becomes the default over it. Returns the backend.
 */
export async function registerWebGpuBackendWith(
  acquire: AcquireAdapter,
  options: WebGpuBackendOptions & { priority?: number },
): Promise<WebGpuBackend> {
  const backend = await createWebGpuBackendWith(acquire, options);
  registerBackend(backend.name, () => backend, { priority: options.priority ?? WEBGPU_PRIORITY });
  return backend;
}

/** What `probe()` reports (core's shared BackendProbe). */
export type ProbeResult = BackendProbe;

/**
 * A usable probe's result: on a software adapter `auto: false`, since `--backend auto` should
 * then prefer a CPU backend (for these models ten times faster than WebGPU emulated on the CPU).
 */
function usableOn(details: Record<string, string>): ProbeResult {
  const software = isSoftwareAdapter(details);
  const summary = [
    details.description || details.architecture || details.vendor,
    details.featureLevel ? `${details.featureLevel} adapter` : '',
    software ? 'software' : '',
  ]
    .filter(Boolean)
    .join(', ');
  if (!software) return { usable: true, summary, details };
  return {
    usable: true,
    summary,
    auto: false,
    reason: `software adapter (${adapterSummary(details)}): usable when asked for, but slower than the CPU backends`,
    details,
  };
}

/**
 * Whether WebGPU works here, without selecting it in tfjs: gets an adapter and a device, then
 * releases the device. When WebGPU is already initialised in this process, reports that adapter.
 * On a software adapter the result says `auto: false`.
 */
export async function probeWith(acquire: AcquireAdapter, options: WebGpuBackendOptions): Promise<ProbeResult> {
  if (initialised !== null) {
    try {
      const { details } = await initialised;
      return usableOn(details);
    } catch {
      // fall through and try again
    }
  }
  try {
    const acquired = await acquire(options);
    const device = await requestTfjsDevice(acquired.adapter);
    device.destroy();
    const tried = acquired.attempts.map((a) => `${a.source}: ${a.ok ? 'ok' : a.detail}`).join('; ');
    return usableOn({ ...describeAdapter(acquired), tried });
  } catch (error) {
    return { usable: false, reason: (error as Error).message };
  }
}
