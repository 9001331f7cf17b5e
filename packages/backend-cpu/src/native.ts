// Loads the compiled addon (dist/native/myelin_cpu.node, or the sanitizer build with
// MYELIN_CPU_SANITIZE=1, or a file named by MYELIN_CPU_ADDON) once, and remembers why not.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  ArgumentError,
  BackendError,
  DisposedTensorError,
  ShapeError,
  UnsupportedOpError,
  type TypedArray,
  type NativePrimitiveAddon,
} from '@myelin/core/backend';

/** Pool counters of the addon (per Node environment, shared by every cpu backend instance). */
export interface CpuPoolStats {
  /** Buffers obtained from the system allocator so far. */
  systemAllocations: number;
  /** Allocations served from the pool's free lists. */
  reuses: number;
  systemFrees: number;
  liveBuffers: number;
  liveBytes: number;
  pooledBuffers: number;
  pooledBytes: number;
  /** Tensor records alive in the addon's table, over all backend instances. */
  liveTensors: number;
}

export interface NativeProbe {
  gemm: string;
  simd: string;
  threads: number;
  blas: string;
  blasError: string;
}

/**
 * The addon's functions (see native/glue/addon.cc). Handles are ids into its tensor table; the
 * primitives' entry points are those every native addon has (core's NativePrimitiveAddon).
 */
export interface NativeAddon extends NativePrimitiveAddon {
  configure(threads: number, gemmMode: number, flushDenormals: boolean): void;
  probe(): NativeProbe;
  stats(): CpuPoolStats;
  trimPool(): void;
  setErrorClasses(...classes: unknown[]): void;
  fromData(values: TypedArray, shape: readonly number[], dtype: number): number;
  fill(shape: readonly number[], value: number, dtype: number): number;
  read(id: number): TypedArray;
  readInto(id: number, out: TypedArray): void;
  release(id: number): void;
  matmulBiasActivation(
    a: number,
    b: number,
    bias: number,
    activation: number,
    transposeA: boolean,
    transposeB: boolean,
  ): number;
  adamUpdate(
    p: number,
    g: number,
    m: number,
    v: number,
    decay: number,
    coupledDecay: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    stepSize: number,
    correction2: number,
    eps: number,
  ): [number, number, number];
  /** reduction: 0 none (per-row losses), 1 sum, 2 mean (a scalar). */
  softmaxCrossEntropy(
    logits: number,
    labels: number,
    withGrad: boolean,
    scale: number,
    reduction: number,
  ): [number, number | null];
  /** bias: a handle id or -1; then stride, padding, dilation (height, width) and groups. */
  conv2d(
    x: number,
    weight: number,
    bias: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
    dh: number,
    dw: number,
    groups: number,
  ): number;
  conv2dBackward(
    grad: number,
    x: number,
    weight: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
    dh: number,
    dw: number,
    groups: number,
    needInput: boolean,
    needWeight: boolean,
    needBias: boolean,
  ): [number | null, number | null, number | null];
  /** Window arguments: kernel, stride, padding, dilation (height, width each). */
  maxPool2d(x: number, ...window: number[]): number;
  maxPool2dBackward(grad: number, x: number, y: number, ...window: number[]): number;
  /** Optional tensors as -1. Returns [y, mean, variance, invStd]. */
  batchNorm(
    x: number,
    weight: number,
    bias: number,
    mean: number,
    variance: number,
    eps: number,
  ): [number, number, number, number];
  batchNormBackward(
    grad: number,
    x: number,
    weight: number,
    mean: number,
    invStd: number,
    training: boolean,
    needInput: boolean,
    needWeight: boolean,
    needBias: boolean,
  ): [number | null, number | null, number | null];
  /** reduction: 0 none (the input's shape), 1 sum, 2 mean (a scalar). */
  binaryCrossEntropy(
    probabilities: number,
    target: number,
    withGrad: boolean,
    reduction: number,
  ): [number, number | null];
  biasActivationBackward(grad: number, y: number, activation: number): [number, number];
  /** ids: [p, g, m, v] per parameter; out receives [p', m', v'] per parameter. Then the adamUpdate constants. */
  adamUpdateMany(
    ids: Int32Array,
    out: Int32Array,
    decay: number,
    coupledDecay: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    stepSize: number,
    correction2: number,
    eps: number,
  ): void;
  /** ids: [p, g, buffer or -1] per parameter; out receives [p', buffer' or -1] per parameter. */
  sgdUpdateMany(
    ids: Int32Array,
    out: Int32Array,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
  ): void;
}

export type LoadResult =
  { addon: NativeAddon; path: string; error?: undefined } | { addon?: undefined; path: string; error: string };

/** What to install when the addon is missing or does not load. */
export const CPU_REQUIREMENTS =
  'a C++17 compiler (Debian: apt-get install g++) to build the addon with `pnpm --filter @myelin/backend-cpu build`, and OpenBLAS for fast GEMM (apt-get install libopenblas0)';

let loaded: LoadResult | null = null;

/** The addon's path for this process: $MYELIN_CPU_ADDON, else the plain or the sanitizer build. */
export function addonPath(): string {
  const override = process.env.MYELIN_CPU_ADDON;
  if (override) return override;
  const flavour = process.env.MYELIN_CPU_SANITIZE === '1' ? 'native-asan' : 'native';
  // The same relative path works from src/ (tests) and dist/ (the package).
  return fileURLToPath(new URL(`../dist/${flavour}/myelin_cpu.node`, import.meta.url));
}

export function loadAddon(): LoadResult {
  if (loaded !== null) return loaded;
  const path = addonPath();
  if (!existsSync(path)) {
    const marker = path.replace(/myelin_cpu\.node$/, 'BUILD-FAILED.txt');
    const why = existsSync(marker) ? `the build said: ${readFileSync(marker, 'utf8').trim()}` : 'it was not built';
    loaded = { path, error: `the native addon ${path} is missing (${why}); install ${CPU_REQUIREMENTS}` };
    return loaded;
  }
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    addon.setErrorClasses(BackendError, ShapeError, UnsupportedOpError, DisposedTensorError, ArgumentError);
    loaded = { addon, path };
  } catch (error) {
    loaded = {
      path,
      error: `the native addon ${path} did not load (${(error as Error).message}); install ${CPU_REQUIREMENTS}`,
    };
  }
  return loaded;
}
