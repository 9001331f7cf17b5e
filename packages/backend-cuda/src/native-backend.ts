// The native CUDA engine: the Backend contract over our own kernels (native/), one stream per GPU,
// a caching device allocator, asynchronous reads. Handles are ids into the addon's table.
import {
  type AdamUpdateOptions,
  type Backend,
  BACKEND_CONTRACT_VERSION,
  type BackendHandle,
  BackendError,
  type DType,
  type SgdUpdateOptions,
  type Shape,
  type TypedArray,
  NATIVE_CODES,
  nativeHandleTable,
  nativePrimitiveKernels,
} from '@myelin/core/backend';
import { cublasCandidates } from './cublas-path.js';
import { CudaAddonMissingError, unavailableError } from './errors.js';
import { type CudaMemoryStats, loadAddon, type NativeAddon, type NativeInit } from './native.js';

export interface NativeCudaOptions {
  /** Myelin registry name; default 'cuda'. */
  name?: string;
  /** The GPU index (as CUDA numbers them after CUDA_VISIBLE_DEVICES); default 0. */
  device?: number;
  /** Let cuBLAS use TF32 tensor cores for float32 GEMMs (faster, ~10 bits of mantissa); default false: exact float32. */
  tf32?: boolean;
  /** 'builtin' forces the built-in GEMM; default $MYELIN_CUDA_GEMM, else 'auto' (cuBLAS when found). */
  gemm?: 'auto' | 'builtin';
  /**
   * Also provide the contract's `readSync` (default false). It waits for the GPU, so core would
   * then read every loss and check every gather's indices on the host, stalling each step;
   * `readBlocking` is always there for code that wants a synchronous read anyway.
   */
  syncReads?: boolean;
}

/** The native engine's backend: the contract plus device details and allocator controls. */
export interface NativeCudaBackend extends Backend {
  readonly engine: 'native';
  /** The GPU, its GEMM and the driver, as probe() reports them. */
  readonly details: Readonly<Record<string, string>>;
  /** A read that waits for the GPU (readSync without the contract's promise not to stall). */
  readBlocking(handle: BackendHandle): TypedArray;
  /** Waits until the GPU has run everything enqueued so far. */
  synchronize(): void;
  /** The caching allocator's counters for this backend's GPU. */
  memoryStats(): CudaMemoryStats;
  /** Returns the cached (free) device and pinned memory to CUDA. */
  emptyCache(): void;
}

const DTYPES: readonly DType[] = Object.freeze(['float32', 'float64', 'int32', 'bool']);
const {
  dtype: DTYPE_CODE,
  activation: ACTIVATION_CODE,
  reduction: REDUCTION_CODE,
} = NATIVE_CODES;

/** The configuration last applied to the addon (the GPU in use, TF32, GEMM choice are per process). */
let applied: object | null = null;

function builtinFromEnvironment(): boolean {
  return process.env.MYELIN_CUDA_GEMM === 'builtin';
}

let candidates: string[] | null = null;

/**
 * cuBLAS's candidates, computed once per process (the search may ask python3), and not at all
 * without a driver (init fails before it would load cuBLAS).
 */
function searchCublas(addon: NativeAddon): string[] {
  if (candidates !== null) return candidates;
  if (addon.driverInfo().driverVersion === 0) return [];
  candidates = cublasCandidates();
  return candidates;
}

/** The addon and the opened GPU `device`; throws the typed CudaUnavailableError when it cannot run. */
export function openNative(device: number): { addon: NativeAddon; init: NativeInit; path: string } {
  const result = loadAddon();
  if (result.addon === undefined) throw new CudaAddonMissingError(result.error);
  if (!Number.isInteger(device) || device < 0)
    throw new BackendError(`backend 'cuda': device must be a GPU index (an integer >= 0), got ${device}`);
  const init = result.addon.init(device, searchCublas(result.addon), builtinFromEnvironment());
  if (!init.ok)
    throw unavailableError(
      init.code ?? 'cuda-error',
      init.message ?? 'the GPU could not be opened',
      init.driverVersion,
      init.requiredDriverVersion,
    );
  return { addon: result.addon, init, path: result.path };
}

const GIB = 1024 ** 3;

/** probe()'s details for an opened GPU. */
export function describeInit(init: NativeInit, path: string): Record<string, string> {
  const details: Record<string, string> = {
    engine: 'native',
    gemm: init.gemm ?? 'builtin',
    device: `${init.device}: ${init.name ?? '?'}`,
    computeCapability: init.computeCapability ?? '?',
    driver: `CUDA ${init.driverCuda}${init.kernelDriver ? ` (${init.kernelDriver.replace(/\s+/g, ' ').trim()})` : ''}`,
    runtime: `CUDA ${Math.floor(init.runtimeVersion / 1000)}.${(init.runtimeVersion % 1000) / 10}`,
    memory: `${((init.freeMemory ?? 0) / GIB).toFixed(1)} GiB free of ${((init.totalMemory ?? 0) / GIB).toFixed(1)} GiB`,
    addon: path,
  };
  if (init.gemm === 'cublas') {
    // A call cuBLAS refused since the GPU was opened ran on the built-in GEMM: say which.
    details.cublas = `${init.cublasPath ?? ''}${init.cublasError ? `; ${init.cublasError}` : ''}`;
  } else {
    details.cublas = `not in use (${init.cublasError ?? 'unknown'}): the built-in GEMM runs`;
  }
  return details;
}

/** A native CUDA backend on GPU `options.device` (throws a CudaUnavailableError naming what to do). */
export function createNativeCudaBackend(options: NativeCudaOptions = {}): NativeCudaBackend {
  const device = options.device ?? 0;
  const { addon, init, path } = openNative(device);
  const name = options.name ?? 'cuda';
  const tf32 = options.tf32 ?? false;
  const gemm = options.gemm ?? (builtinFromEnvironment() ? 'builtin' : 'auto');
  if (gemm !== 'auto' && gemm !== 'builtin')
    throw new BackendError(`backend '${name}': gemm must be 'auto' or 'builtin', got '${String(gemm)}'`);
  const config = { device, tf32, gemm };
  const apply = (): void => {
    addon.configure(device, tf32, gemm === 'builtin');
    applied = config;
  };
  apply();
  const details = describeInit(init, path);
  if (gemm === 'builtin') details.gemm = 'builtin';
  details.tf32 = String(tf32);

  // Handles dropped without dispose() give their memory back when garbage-collected (as backend-cpu).
  const table = nativeHandleTable(
    name,
    (id) => addon.release(id),
    () => {
      if (applied !== config) apply();
    },
  );
  const { own, open } = table;
  const make = (): void => {
    if (applied !== config) apply();
  };
  let idsIn = new Int32Array(64);
  let idsOut = new Int32Array(64);
  const ids = (inCount: number, outCount: number): void => {
    if (idsIn.length < inCount) idsIn = new Int32Array(inCount * 2);
    if (idsOut.length < outCount) idsOut = new Int32Array(outCount * 2);
  };
  const adamConstants = (options: AdamUpdateOptions): number[] => {
    const { lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay, step } = options;
    // Computed as cpu-reference computes them (JS `**`), rounded to the storage type in the kernel.
    return [
      weightDecay !== 0 && decoupledWeightDecay ? 1 - lr * weightDecay : 1,
      weightDecay !== 0 && !decoupledWeightDecay ? weightDecay : 0,
      beta1,
      1 - beta1,
      beta2,
      1 - beta2,
      lr / (1 - beta1 ** step),
      Math.sqrt(1 - beta2 ** step),
      eps,
    ];
  };
  const readBlocking = (handle: BackendHandle): TypedArray => addon.readSync(open(handle));

  const backend: NativeCudaBackend = {
    name,
    contractVersion: BACKEND_CONTRACT_VERSION,
    dtypes: DTYPES,
    engine: 'native',
    details,

    fromData(values: TypedArray, shape: Shape, dtype: DType) {
      make();
      return own(addon.fromData(values, shape, DTYPE_CODE[dtype]));
    },
    fill(shape: Shape, value: number, dtype: DType) {
      make();
      return own(addon.fill(shape, value, DTYPE_CODE[dtype]));
    },
    read(handle: BackendHandle) {
      // The copy is enqueued now (before any later dispose); the promise settles from a worker
      // thread's wait on its event, so Node's event loop keeps running.
      try {
        return addon.read(open(handle));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
    readBlocking,
    dispose: table.dispose,
    liveHandles: table.live,

    ...nativePrimitiveKernels(addon, table),

    fused: {
      matmulBiasActivation(a, b, bias, activation, transposeA, transposeB) {
        const biasId = bias === null ? -1 : open(bias);
        return own(
          addon.matmulBiasActivation(open(a), open(b), biasId, ACTIVATION_CODE[activation], transposeA, transposeB),
        );
      },
      adamUpdate(param, grad, m, v, options: AdamUpdateOptions) {
        const [p, m1, v1] = addon.adamUpdate(open(param), open(grad), open(m), open(v), ...adamConstants(options));
        return { param: own(p), m: own(m1), v: own(v1) };
      },
      adamUpdateMany(params, grads, ms, vs, options: AdamUpdateOptions) {
        const n = params.length;
        if (grads.length !== n || ms.length !== n || vs.length !== n)
          throw new BackendError(`backend '${name}': adamUpdateMany needs one grad, m and v per parameter`);
        ids(4 * n, 3 * n);
        for (let i = 0; i < n; i++) {
          idsIn[4 * i] = open(params[i]!);
          idsIn[4 * i + 1] = open(grads[i]!);
          idsIn[4 * i + 2] = open(ms[i]!);
          idsIn[4 * i + 3] = open(vs[i]!);
        }
        addon.adamUpdateMany(idsIn.subarray(0, 4 * n), idsOut.subarray(0, 3 * n), ...adamConstants(options));
        const result = {
          params: new Array<BackendHandle>(n),
          ms: new Array<BackendHandle>(n),
          vs: new Array<BackendHandle>(n),
        };
        for (let i = 0; i < n; i++) {
          result.params[i] = own(idsOut[3 * i]!);
          result.ms[i] = own(idsOut[3 * i + 1]!);
          result.vs[i] = own(idsOut[3 * i + 2]!);
        }
        return result;
      },
      sgdUpdateMany(params, grads, buffers, options: SgdUpdateOptions) {
        const n = params.length;
        if (grads.length !== n || buffers.length !== n)
          throw new BackendError(`backend '${name}': sgdUpdateMany needs one grad and buffer slot per parameter`);
        ids(3 * n, 2 * n);
        for (let i = 0; i < n; i++) {
          idsIn[3 * i] = open(params[i]!);
          idsIn[3 * i + 1] = open(grads[i]!);
          const buffer = buffers[i];
          idsIn[3 * i + 2] = buffer === null || buffer === undefined ? -1 : open(buffer);
        }
        const { lr, momentum, dampening, weightDecay, nesterov } = options;
        addon.sgdUpdateMany(
          idsIn.subarray(0, 3 * n),
          idsOut.subarray(0, 2 * n),
          lr,
          momentum,
          dampening,
          weightDecay,
          nesterov,
        );
        const result = { params: new Array<BackendHandle>(n), buffers: new Array<BackendHandle | null>(n) };
        for (let i = 0; i < n; i++) {
          result.params[i] = own(idsOut[2 * i]!);
          const buffer = idsOut[2 * i + 1]!;
          result.buffers[i] = buffer < 0 ? null : own(buffer);
        }
        return result;
      },
      softmaxCrossEntropy(logits, labels, reduction, withGrad) {
        const [loss, grad] = addon.softmaxCrossEntropy(
          open(logits),
          open(labels),
          withGrad,
          reduction === 'mean' ? -1 : 1,
          REDUCTION_CODE[reduction],
        );
        return { loss: own(loss), grad: grad === null ? null : own(grad) };
      },
      binaryCrossEntropy(probabilities, target, reduction, withGrad) {
        const [loss, grad] = addon.binaryCrossEntropy(
          open(probabilities),
          open(target),
          withGrad,
          REDUCTION_CODE[reduction],
        );
        return { loss: own(loss), grad: grad === null ? null : own(grad) };
      },
      conv2d(x, weight, bias, { stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], groups }) {
        return own(
          addon.conv2d(open(x), open(weight), bias === null ? -1 : open(bias), sh, sw, ph, pw, dh, dw, groups),
        );
      },
      conv2dBackward(grad, x, weight, { stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], groups }, needs) {
        const [input, dWeight, bias] = addon.conv2dBackward(
          open(grad),
          open(x),
          open(weight),
          sh,
          sw,
          ph,
          pw,
          dh,
          dw,
          groups,
          needs.input,
          needs.weight,
          needs.bias,
        );
        const wrap = (id: number | null) => (id === null ? null : own(id));
        return { input: wrap(input), weight: wrap(dWeight), bias: wrap(bias) };
      },
      maxPool2d: (x, { kernelSize: [kh, kw], stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw] }) =>
        own(addon.maxPool2d(open(x), kh, kw, sh, sw, ph, pw, dh, dw)),
      maxPool2dBackward: (
        grad,
        x,
        y,
        { kernelSize: [kh, kw], stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw] },
      ) => own(addon.maxPool2dBackward(open(grad), open(x), open(y), kh, kw, sh, sw, ph, pw, dh, dw)),
      batchNorm(x, weight, bias, stats, eps) {
        const optional = (h: BackendHandle | null) => (h === null ? -1 : open(h));
        const [output, mean, variance, invStd] = addon.batchNorm(
          open(x),
          optional(weight),
          optional(bias),
          stats === null ? -1 : open(stats.mean),
          stats === null ? -1 : open(stats.variance),
          eps,
        );
        return { output: own(output), mean: own(mean), variance: own(variance), invStd: own(invStd) };
      },
      batchNormBackward(grad, x, weight, mean, invStd, training, needs) {
        const [input, dWeight, bias] = addon.batchNormBackward(
          open(grad),
          open(x),
          weight === null ? -1 : open(weight),
          open(mean),
          open(invStd),
          training,
          needs.input,
          needs.weight,
          needs.bias,
        );
        const wrap = (id: number | null) => (id === null ? null : own(id));
        return { input: wrap(input), weight: wrap(dWeight), bias: wrap(bias) };
      },
      biasActivationBackward(grad, y, activation) {
        const [input, bias] = addon.biasActivationBackward(open(grad), open(y), ACTIVATION_CODE[activation]);
        return { input: own(input), bias: own(bias) };
      },
    },

    synchronize() {
      make();
      addon.synchronize();
    },
    memoryStats() {
      make();
      return addon.stats();
    },
    emptyCache() {
      make();
      addon.emptyCache();
    },
  };
  if (options.syncReads) return { ...backend, readSync: readBlocking };
  return backend;
}
