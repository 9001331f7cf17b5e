import { availableParallelism } from 'node:os';
import {
  type AdamUpdateOptions,
  type Backend,
  BACKEND_CONTRACT_VERSION,
  BackendError,
  type BackendHandle,
  type DType,
  type SgdUpdateOptions,
  type Shape,
  type TypedArray,
  NATIVE_CODES,
  nativeHandleTable,
  nativePrimitiveKernels,
} from '@myelin/core/backend';
import { CPU_BACKEND_NAME } from './name.js';
import { type CpuPoolStats, loadAddon, type NativeAddon } from './native.js';

/** Which GEMM runs matmul: OpenBLAS when it loads (auto), always the built-in kernel, or OpenBLAS only. */
export type CpuGemm = 'auto' | 'builtin' | 'openblas';

export interface CpuBackendOptions {
  /**
   * Threads for BLAS and for our kernels (small tensors stay on the calling thread). Default:
   * $MYELIN_CPU_THREADS, else the machine's cores. Results are deterministic for a given count.
   */
  threads?: number;
  /** Default: $MYELIN_CPU_GEMM ('builtin' forces the built-in GEMM), else 'auto'. */
  gemm?: CpuGemm;
  /**
   * Flush denormal floats to zero while the kernels run (FTZ/DAZ, as TensorFlow does). Default
   * true: a denormal result costs ~20x on x86, and tiny gradients late in training make many.
   * Values below ~1.2e-38 (float32) become 0; JavaScript's own arithmetic is never affected.
   */
  flushDenormals?: boolean;
}

/** The cpu backend: the contract plus a few native extras (pool statistics). */
export interface CpuBackend extends Backend {
  readonly threads: number;
  readonly gemm: CpuGemm;
  /** The addon's buffer-pool counters (shared by every cpu backend in this process). */
  stats(): CpuPoolStats;
}

/** A cpu handle: an id into the addon's tensor table (core's NativeHandle). */
export { NativeHandle as CpuHandle } from '@myelin/core/backend';

const DTYPES: readonly DType[] = Object.freeze(['float32', 'float64', 'int32', 'bool']);
const {
  dtype: DTYPE_CODE,
  activation: ACTIVATION_CODE,
  reduction: REDUCTION_CODE,
} = NATIVE_CODES;
const GEMM_CODE: Record<CpuGemm, number> = { auto: 0, builtin: 1, openblas: 2 };

/** The configuration last applied to the addon (its thread pool and GEMM choice are per process). */
let applied: object | null = null;

function defaultThreads(): number {
  const fromEnv = Number(process.env.MYELIN_CPU_THREADS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : availableParallelism();
}

/** The addon, or one BackendError naming what to install. */
export function requireAddon(): NativeAddon {
  const result = loadAddon();
  if (result.addon === undefined)
    throw new BackendError(`backend '${CPU_BACKEND_NAME}' is not usable: ${result.error}`);
  return result.addon;
}

/** A new cpu backend with its own count of live handles. */
export function createCpuBackend(options: CpuBackendOptions = {}): CpuBackend {
  const addon = requireAddon();
  const threads = options.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
    throw new BackendError(`backend '${CPU_BACKEND_NAME}': threads must be an integer from 1 to 1024, got ${threads}`);
  }
  const gemm = options.gemm ?? (process.env.MYELIN_CPU_GEMM === 'builtin' ? 'builtin' : 'auto');
  if (!(gemm in GEMM_CODE))
    throw new BackendError(
      `backend '${CPU_BACKEND_NAME}': gemm must be 'auto', 'builtin' or 'openblas', got '${gemm}'`,
    );
  const flushDenormals = options.flushDenormals ?? true;
  const config = { threads, gemm, flushDenormals };
  const apply = (): void => {
    addon.configure(threads, GEMM_CODE[gemm], flushDenormals);
    applied = config;
  };
  apply(); // fails here, not at the first op, when OpenBLAS is required and missing

  // Handles dropped without dispose() give their buffers back when garbage-collected; the
  // settings are applied again when another cpu backend of this process changed them.
  const table = nativeHandleTable(
    CPU_BACKEND_NAME,
    (id) => addon.release(id),
    () => {
      if (applied !== config) apply();
    },
  );
  const { own, open } = table;
  const make = (): void => {
    if (applied !== config) apply();
  };
  // Scratch id arrays of the multi-tensor optimizer kernels, grown as needed.
  let idsIn = new Int32Array(64);
  let idsOut = new Int32Array(64);
  const ids = (inCount: number, outCount: number): void => {
    if (idsIn.length < inCount) idsIn = new Int32Array(inCount * 2);
    if (idsOut.length < outCount) idsOut = new Int32Array(outCount * 2);
  };

  return {
    name: CPU_BACKEND_NAME,
    contractVersion: BACKEND_CONTRACT_VERSION,
    dtypes: DTYPES,
    threads,
    gemm,

    fromData(values: TypedArray, shape: Shape, dtype: DType) {
      make();
      return own(addon.fromData(values, shape, DTYPE_CODE[dtype]));
    },
    fill(shape: Shape, value: number, dtype: DType) {
      make();
      return own(addon.fill(shape, value, DTYPE_CODE[dtype]));
    },
    read(handle: BackendHandle) {
      // The copy is taken now, so a later dispose cannot affect it.
      try {
        return Promise.resolve(addon.read(open(handle)));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    readSync: (handle) => addon.read(open(handle)),
    readInto: (handle, out) => addon.readInto(open(handle), out),
    dispose: table.dispose,
    liveHandles: table.live,

    ...nativePrimitiveKernels(addon, table),

    fused: {
      matmulBiasActivation(a, b, bias, activation, transposeA, transposeB) {
        const code = ACTIVATION_CODE[activation];
        const biasId = bias === null ? -1 : open(bias);
        return own(addon.matmulBiasActivation(open(a), open(b), biasId, code, transposeA, transposeB));
      },
      adamUpdate(param, grad, m, v, options: AdamUpdateOptions) {
        const { lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay, step } = options;
        // The constants are computed here exactly as cpu-reference computes them (JS `**`), and
        // rounded to the storage type in the kernel.
        const [p, m1, v1] = addon.adamUpdate(
          open(param),
          open(grad),
          open(m),
          open(v),
          weightDecay !== 0 && decoupledWeightDecay ? 1 - lr * weightDecay : 1,
          weightDecay !== 0 && !decoupledWeightDecay ? weightDecay : 0,
          beta1,
          1 - beta1,
          beta2,
          1 - beta2,
          lr / (1 - beta1 ** step),
          Math.sqrt(1 - beta2 ** step),
          eps,
        );
        return { param: own(p), m: own(m1), v: own(v1) };
      },
      adamUpdateMany(params, grads, ms, vs, options: AdamUpdateOptions) {
        const n = params.length;
        if (grads.length !== n || ms.length !== n || vs.length !== n)
          throw new BackendError(`backend '${CPU_BACKEND_NAME}': adamUpdateMany needs one grad, m and v per parameter`);
        ids(4 * n, 3 * n);
        for (let i = 0; i < n; i++) {
          idsIn[4 * i] = open(params[i]!);
          idsIn[4 * i + 1] = open(grads[i]!);
          idsIn[4 * i + 2] = open(ms[i]!);
          idsIn[4 * i + 3] = open(vs[i]!);
        }
        const { lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay, step } = options;
        addon.adamUpdateMany(
          idsIn.subarray(0, 4 * n),
          idsOut.subarray(0, 3 * n),
          weightDecay !== 0 && decoupledWeightDecay ? 1 - lr * weightDecay : 1,
          weightDecay !== 0 && !decoupledWeightDecay ? weightDecay : 0,
          beta1,
          1 - beta1,
          beta2,
          1 - beta2,
          lr / (1 - beta1 ** step),
          Math.sqrt(1 - beta2 ** step),
          eps,
        );
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
          throw new BackendError(
            `backend '${CPU_BACKEND_NAME}': sgdUpdateMany needs one grad and buffer slot per parameter`,
          );
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
        const logitsId = open(logits);
        // 'mean' divides the gradient by the rows, which the addon knows: scale -1 asks it to.
        const [loss, grad] = addon.softmaxCrossEntropy(
          logitsId,
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
        const [input, dw2, bias] = addon.conv2dBackward(
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
        return {
          input: input === null ? null : own(input),
          weight: dw2 === null ? null : own(dw2),
          bias: bias === null ? null : own(bias),
        };
      },
      maxPool2d: (x, { kernelSize: [kh, kw], stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw] }) =>
        own(addon.maxPool2d(open(x), kh, kw, sh, sw, ph, pw, dh, dw)),
      maxPool2dBackward: (grad, x, y, o) =>
        own(
          addon.maxPool2dBackward(
            open(grad),
            open(x),
            open(y),
            o.kernelSize[0],
            o.kernelSize[1],
            o.stride[0],
            o.stride[1],
            o.padding[0],
            o.padding[1],
            o.dilation[0],
            o.dilation[1],
          ),
        ),
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

    stats: () => addon.stats(),
  };
}
