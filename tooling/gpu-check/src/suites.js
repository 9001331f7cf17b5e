// Each backend's own conformance test file, the one its package's `vitest run` loads, so the
// standalone runner runs the same suite with the same options (name, tolerances, skips) and
// registers the same cases. Plain JavaScript with a declaration beside it: TypeScript does not
// follow these imports into the other packages' sources, esbuild bundles them (`vitest` aliased
// to ./vitest-shim.ts), each one evaluated only when its backend is asked for.
export const SUITES = {
  'cpu-reference': () => import('../../../packages/conformance/src/cpu-reference.test.ts'),
  cpu: () => import('../../../packages/backend-cpu/src/conformance.test.ts'),
  cuda: () => import('../../../packages/backend-cuda/src/conformance.test.ts'),
  // Not a conformance file: the CUDA engine's own tests (allocator, asynchronous reads, indices
  // checked on the device, typed errors such as out of memory, cuBLAS against the built-in GEMM).
  'cuda-engine': () => import('../../../packages/backend-cuda/src/engine.test.ts'),
  webgpu: () => import('../../../packages/backend-webgpu/src/conformance.test.ts'),
};
