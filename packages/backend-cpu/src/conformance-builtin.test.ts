// The suite again on the built-in GEMM with two threads: the fallback for machines without
// OpenBLAS must conform too (tensors this small stay on the calling thread, except matmul's split).
import { runConformanceSuite } from '@myelin/conformance';
import { createCpuBackend } from './index.js';

runConformanceSuite({
  name: 'cpu (native addon, built-in GEMM, 2 threads)',
  createBackend: () => createCpuBackend({ gemm: 'builtin', threads: 2 }),
  finiteDifferences: true,
});
