// The whole shared suite on tfjs's WebGPU backend in Node: Dawn on the adapter chosen
// automatically (a GPU, else Mesa's software OpenGL ES, else lavapipe) or MYELIN_WEBGPU_ADAPTER.
import { runConformanceSuite } from '@myelin/conformance';
import { createWebGpuBackend } from './index.js';
import { WEBGPU_TOLERANCE } from './test-tolerance.js';

runConformanceSuite({
  name: 'backend-webgpu (Node, Dawn)',
  createBackend: async () => {
    const backend = await createWebGpuBackend();
    console.info(`backend-webgpu conformance on: ${JSON.stringify(backend.adapter)}`);
    return backend;
  },
  tolerance: WEBGPU_TOLERANCE,
  skip: {
    // One of the kernels in this case's backward pass (max's tie-sharing gradient over windows with
    // padding, or the fold scatterAdd behind it) fails to compile on tfjs-webgpu 4.22 under Dawn's
    // OpenGL ES adapter ("setOutputAtIndex expected f32, got i32") and its output is garbage; the
    // unpadded maxPool2d, conv2d and fold cases pass. Open: find the kernel and map around it.
    'maxPool2d 3x3 stride 2 padding 1': 'a tfjs-webgpu shader in its backward pass does not compile (see above)',
    'PyTorch CNN (Conv-BN-ReLU-Pool-Linear): one step matches the float64 fixture':
      'its ReLU-then-maxPool2d backward hits the same tfjs-webgpu shader failure',
  },
});
