// @myelin/backend-cuda: Myelin on NVIDIA GPUs. The default 'native' engine runs our own CUDA
// kernels (a Node addon linking cudart statically; cuBLAS loaded at run time when found); the
// opt-in 'tfjs' engine wraps @tensorflow/tfjs-node-gpu, an optional peer loaded lazily.
export {
  createCudaBackend,
  registerCudaBackend,
  probe,
  TfjsCudaBackend,
  type CudaBackend,
  type CudaBackendOptions,
  type ProbeResult,
} from './cuda-backend.js';
export { type NativeCudaBackend, type NativeCudaOptions } from './native-backend.js';
export {
  CUDA_REQUIREMENTS,
  TFJS_CUDA_REQUIREMENTS,
  CudaAddonMissingError,
  CudaDriverMissingError,
  CudaDriverTooOldError,
  CudaNoDeviceError,
  CudaOutOfMemoryError,
  CudaUnavailableError,
  type CudaUnavailableCode,
} from './errors.js';
export { TFJS_NODE_GPU, explainLoadFailure, type RequireFunction } from './load.js';
export { NATIVE_ADDON_PATH, addonPath, type CudaMemoryStats } from './native.js';
export { CUBLAS_SONAMES, cublasCandidates, type CublasSearchEnvironment } from './cublas-path.js';
export { descriptor, CUDA_PRIORITY } from './descriptor.js';
