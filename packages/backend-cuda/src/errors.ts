// The errors of @myelin/backend-cuda. CudaUnavailableError: this machine cannot run the backend
// (a subclass per cause, each naming what to do); CudaOutOfMemoryError: one allocation did not fit.
import { BackendError } from '@myelin/core/backend';

/** Why the backend cannot run here (a stable code; `reason` and the message say it in words). */
export type CudaUnavailableCode =
  | 'addon-missing'
  | 'no-driver'
  | 'driver-too-old'
  | 'no-device'
  | 'unsupported-gpu'
  | 'out-of-memory'
  | 'cuda-error'
  | 'tfjs';

/** What the native engine needs. */
export const CUDA_REQUIREMENTS =
  'an NVIDIA GPU of compute capability 8.0 or newer (Ampere, Hopper, Blackwell) on Linux x64 with the NVIDIA driver 580 or newer (CUDA 13); cuBLAS is optional (a built-in GEMM runs without it)';

/** What @tensorflow/tfjs-node-gpu 4.22 (the opt-in 'tfjs' engine) is built against (libtensorflow 2.9.1). */
export const TFJS_CUDA_REQUIREMENTS = 'an NVIDIA GPU on Linux x64 with CUDA 11.2 and cuDNN 8.1';

const CHECK = 'check with `myelin info` (or probe() from @myelin/backend-cuda) and `nvidia-smi`';

/** The steps that fix each cause, for the native engine. */
export function nativeSteps(code: CudaUnavailableCode): string[] {
  switch (code) {
    case 'addon-missing':
      return [
        'install the CUDA 13 toolkit (nvcc; /usr/local/cuda, or set NVCC or CUDA_HOME) and g++',
        'build the addon: pnpm --filter @myelin/backend-cuda build (or point MYELIN_CUDA_ADDON at a built myelin_cuda.node)',
        CHECK,
      ];
    case 'no-driver':
    case 'driver-too-old':
      return [
        "install the NVIDIA driver 580 or newer (it provides libcuda.so.1 and supports CUDA 13): your distribution's nvidia-driver package or https://www.nvidia.com/drivers",
        'in a container, run it with the GPU and the driver mounted (docker run --gpus all)',
        CHECK,
      ];
    case 'no-device':
      return [
        'check that a GPU is visible: nvidia-smi lists it, CUDA_VISIBLE_DEVICES does not hide it, the `device` option is in range',
        CHECK,
      ];
    case 'unsupported-gpu':
      return ['use a GPU of compute capability 8.0 or newer, or another backend (cpu, wasm, webgpu)', CHECK];
    case 'out-of-memory':
    case 'cuda-error':
    case 'tfjs':
      return ['see the message above; nvidia-smi shows the GPU, its driver and its processes', CHECK];
  }
}

/** The CUDA backend cannot run here; the message says why and what to do. */
export class CudaUnavailableError extends BackendError {
  override name = 'CudaUnavailableError';
  readonly code: CudaUnavailableCode;
  constructor(
    readonly reason: string,
    readonly steps: readonly string[] = nativeSteps('cuda-error'),
    options: { code?: CudaUnavailableCode; requirements?: string } = {},
  ) {
    super(
      [
        `@myelin/backend-cuda cannot run: ${reason}`,
        `It needs ${options.requirements ?? CUDA_REQUIREMENTS}. To set it up:`,
        ...steps.map((s, i) => `  ${i + 1}. ${s}`),
      ].join('\n'),
    );
    this.code = options.code ?? 'cuda-error';
  }
}

/** The native addon is missing (not built) or did not load. */
export class CudaAddonMissingError extends CudaUnavailableError {
  override name = 'CudaAddonMissingError';
  constructor(reason: string) {
    super(reason, nativeSteps('addon-missing'), { code: 'addon-missing' });
  }
}

/** No NVIDIA driver: libcuda.so.1 was not found. */
export class CudaDriverMissingError extends CudaUnavailableError {
  override name = 'CudaDriverMissingError';
  constructor(reason: string) {
    super(reason, nativeSteps('no-driver'), { code: 'no-driver' });
  }
}

/** The driver is older than the CUDA the addon is built with. */
export class CudaDriverTooOldError extends CudaUnavailableError {
  override name = 'CudaDriverTooOldError';
  constructor(
    reason: string,
    /** The driver's CUDA version as cudaDriverGetVersion gives it (12040 = 12.4). */
    readonly driverVersion: number,
    /** The version needed (13000 = 13.0). */
    readonly requiredVersion: number,
  ) {
    super(reason, nativeSteps('driver-too-old'), { code: 'driver-too-old' });
  }
}

/** A driver, but no (usable, visible, or asked-for) GPU. */
export class CudaNoDeviceError extends CudaUnavailableError {
  override name = 'CudaNoDeviceError';
  constructor(reason: string) {
    super(reason, nativeSteps('no-device'), { code: 'no-device' });
  }
}

/** One device allocation did not fit, even after the cache was emptied. */
export class CudaOutOfMemoryError extends BackendError {
  override name = 'CudaOutOfMemoryError';
  constructor(
    message: string,
    /** The bytes asked for (rounded up to the allocator's size class). */
    readonly requestedBytes: number,
    /** The device's free bytes at the time (cudaMemGetInfo). */
    readonly freeBytes: number,
  ) {
    super(message);
  }
}

/** The typed error for an `init` failure code of the addon. */
export function unavailableError(
  code: string,
  message: string,
  driverVersion: number,
  requiredVersion: number,
): CudaUnavailableError {
  switch (code) {
    case 'no-driver':
      return new CudaDriverMissingError(message);
    case 'driver-too-old':
      return new CudaDriverTooOldError(message, driverVersion, requiredVersion);
    case 'no-device':
      return new CudaNoDeviceError(message);
    case 'unsupported-gpu':
    case 'out-of-memory':
      return new CudaUnavailableError(message, nativeSteps(code), { code });
    default:
      return new CudaUnavailableError(message, nativeSteps('cuda-error'), { code: 'cuda-error' });
  }
}
