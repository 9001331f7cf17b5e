// The whole shared suite on the native kernels, float64 finite differences included.
import { runConformanceSuite } from '@myelin/conformance';
import { createCpuBackend } from './index.js';

runConformanceSuite({
  name: 'cpu (native addon)',
  createBackend: () => createCpuBackend(),
  finiteDifferences: true,
});
