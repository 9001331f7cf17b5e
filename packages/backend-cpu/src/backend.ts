import { availableParallelism } from 'node:os';
import {
  type Backend,
  BACKEND_CONTRACT_VERSION,
  BackendError,
  type BackendHandle,
  CLASSIC_FUSED_ACTIVATIONS,
  type FusedActivation,
  NATIVE_CODES,
  type DType,
  type FusedKernels,
  type NativeHandleTable,
  nativeHandleTable,
  nativePrimitiveKernels,
  nativeFusedKernels,
  nativeRowKernels,
} from '@myelin/core/backend';
import { CPU_BACKEND_NAME } from './name.js';
import { type CpuPoolStats, loadAddon, type NativeAddon } from './native.js';

/**
 * Which GEMM runs matmul: OpenBLAS when it loads (auto; the built-in float kernel for x W^T with
 * k <= 128, m >= 128 and n >= 64, where it measured faster), always the built-in kernel, or
 * OpenBLAS only.
 */
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
/** The classic four, plus GELU (both forms) and SiLU in the linear kernels' epilogue and backward. */
const FUSED_ACTIVATIONS: readonly FusedActivation[] = Object.freeze([
  ...CLASSIC_FUSED_ACTIVATIONS,
  'gelu',
  'gelu_tanh',
  'silu',
]);
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
  const { open } = table;

  return {
    name: CPU_BACKEND_NAME,
    contractVersion: BACKEND_CONTRACT_VERSION,
    dtypes: DTYPES,
    threads,
    gemm,

    ...nativePrimitiveKernels(addon, table),
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

    fused: {
      ...nativeFusedKernels(addon, table, CPU_BACKEND_NAME),
      ...nativeRowKernels(addon, table),
      ...preactivationKernel(addon, table),
      ...recurrentKernels(addon, table),
    },
    fusedActivations: FUSED_ACTIVATIONS,

    stats: () => addon.stats(),
  };
}

/** The fused linear kernel that keeps z = a @ b + bias too (GELU's and SiLU's backward need it), this addon's own. */
function preactivationKernel(
  addon: NativeAddon,
  { own, open }: NativeHandleTable,
): Required<Pick<FusedKernels, 'matmulBiasActivationWithPreactivation'>> {
  return {
    matmulBiasActivationWithPreactivation(a, b, bias, activation, transposeA, transposeB) {
      const [output, preactivation] = addon.matmulBiasActivationWithPreactivation(
        open(a),
        open(b),
        bias === null ? -1 : open(bias),
        NATIVE_CODES.activation[activation],
        transposeA,
        transposeB,
      );
      return { output: own(output), preactivation: own(preactivation) };
    },
  };
}

/** The fused LSTM and GRU cells and their backward, this addon's own. */
function recurrentKernels(
  addon: NativeAddon,
  { own, open }: NativeHandleTable,
): Required<Pick<FusedKernels, 'lstmCell' | 'lstmCellBackward' | 'gruCell' | 'gruCellBackward'>> {
  return {
    lstmCell: (gates, state) => own(addon.lstmCell(open(gates), open(state))),
    lstmCellBackward(grad, gates, state) {
      const [dGates, dState] = addon.lstmCellBackward(open(grad), open(gates), open(state));
      return { gates: own(dGates), state: own(dState) };
    },
    gruCell: (gx, gh, h) => own(addon.gruCell(open(gx), open(gh), open(h))),
    gruCellBackward(grad, gx, gh, h) {
      const [dGx, dGh, dH] = addon.gruCellBackward(open(grad), open(gx), open(gh), open(h));
      return { gx: own(dGx), gh: own(dGh), h: own(dH) };
    },
  };
}
