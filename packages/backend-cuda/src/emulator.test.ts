// The whole shared conformance suite on this package's kernels and glue, compiled for the CPU
// emulator (native/emulator: every CUDA thread a fiber, block barriers and warp shuffles as on
// a GPU) by scripts/build-emulator.mjs: the engine's arithmetic, indexing and sizes are checked
// on every machine, so a GPU run starts from kernels that already agree with cpu-reference.
// Timing, coalescing and races between blocks are what only a GPU run (the prepared GPU check)
// shows. The test:asan script runs this file on the emulator's ASan + UBSan build.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runConformanceSuite } from '@myelin/conformance';

const sanitized = process.env.MYELIN_CUDA_SANITIZE === '1';
const directory = fileURLToPath(new URL(`../dist/${sanitized ? 'native-emu-asan' : 'native-emu'}/`, import.meta.url));
const addon = path.join(directory, 'myelin_cuda.node');
// Before the package loads its addon: this test file runs in its own worker.
process.env.MYELIN_CUDA_ADDON = addon;
const { createCudaBackend, probe } = await import('./index.js');

if (existsSync(addon)) {
  const available = await probe();
  it('loads the emulator build and reports its device', () => {
    expect(available.usable, available.reason).toBe(true);
    expect(JSON.stringify(available.details)).toContain('Myelin CUDA emulator (CPU)');
  });
  if (available.usable)
    runConformanceSuite({
      name: 'backend-cuda on the CPU emulator',
      // Synchronous reads (a blocking option of the engine) let the float64 gradients be
      // checked against central finite differences too.
      createBackend: () => createCudaBackend({ syncReads: true }),
      // Not again on the sanitizer build: its float64 kernels are the float32 ones' templates,
      // whose bounds the other tiers check; the plain build checks the arithmetic.
      finiteDifferences: !sanitized,
    });
} else {
  const failed = path.join(directory, 'BUILD-FAILED.txt');
  const reason = existsSync(failed)
    ? readFileSync(failed, 'utf8').trim()
    : `${path.relative(process.cwd(), addon)} is not built (pnpm --filter @myelin/backend-cuda build:emulator)`;
  describe('conformance: backend-cuda on the CPU emulator', () => {
    it.skip(`the whole suite (skipped: ${reason})`, () => {});
  });
}
