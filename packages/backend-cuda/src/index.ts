// @myelin/backend-cuda: Myelin on NVIDIA GPUs through @tensorflow/tfjs-node-gpu, an optional
// peer dependency that is loaded only when the backend is created or probed.
export {
  CudaBackend,
  createCudaBackend,
  registerCudaBackend,
  probe,
  type CudaBackendOptions,
  type ProbeResult,
} from './cuda-backend.js';
export {
  CUDA_REQUIREMENTS,
  CudaUnavailableError,
  TFJS_NODE_GPU,
  explainLoadFailure,
  type RequireFunction,
} from './load.js';
export { descriptor, CUDA_PRIORITY } from './descriptor.js';
