// Conformance cases that tfjs-backend-webgpu 4.22 gets wrong, in Node (Dawn) and in Chromium
// alike; each one's reason is printed with the skip. Open: find the kernel and map around it.
export const WEBGPU_KNOWN_FAILURES: Readonly<Record<string, string>> = {
  // One of the kernels in this case's backward pass (max's tie-sharing gradient over windows with
  // padding, or the fold scatterAdd behind it) fails to compile under Dawn's OpenGL ES adapter
  // ("setOutputAtIndex expected f32, got i32") and gives garbage gradients in Chromium's adapters
  // too (-12.5 for -0.011); the unpadded maxPool2d, conv2d and fold cases pass.
  'maxPool2d 3x3 stride 2 padding 1':
    'tfjs-webgpu 4.22 computes a wrong gradient for padded max pooling (a shader in its backward pass; see known-failures.ts)',
  'PyTorch CNN (Conv-BN-ReLU-Pool-Linear): one step matches the float64 fixture':
    'its ReLU-then-padded-maxPool2d backward hits the same tfjs-webgpu 4.22 failure (see known-failures.ts)',
};
