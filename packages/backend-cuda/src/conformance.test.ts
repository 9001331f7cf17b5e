// The whole shared suite on the native CUDA engine, wherever it finds a GPU. Elsewhere (this
// repository's CI has no GPU) the file reports itself skipped with the reason probe() gives.
import { describe, it } from 'vitest';
import { runConformanceSuite } from '@myelin/conformance';
import { createCudaBackend, probe } from './index.js';

const available = await probe();

if (available.usable) {
  runConformanceSuite({
    name: `backend-cuda (${JSON.stringify(available.details)})`,
    createBackend: () => createCudaBackend(),
  });
} else {
  describe('conformance: backend-cuda', () => {
    it.skip(`the whole suite (skipped: ${available.reason})`, () => {});
  });
}
