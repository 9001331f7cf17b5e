// What a training step asks of the GPU, counted on the CPU emulator's trace
// (MYELIN_CUDA_EMULATOR_TRACE: every launch, copy, allocation and wait; see
// native/emulator/emulator.cc). A launch-bound step (the W1 benchmark: 784-128-10, batch 64) costs
// a GPU's host a few microseconds per launch and a whole pipeline drain per wait, so `fit` on
// cuda must stay launch-light: one GEMM and one bias + activation launch per linear layer
// forward, one fused softmax cross-entropy, one fused bias + activation backward and the weight
// and input GEMMs per layer back, one Adam launch for every parameter, one launch of loss
// bookkeeping (accumulate); no waits and no cudaMalloc between the loss reads (every 10 steps).
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { fitSmallMlp } from './test-training.js';

const addon = fileURLToPath(new URL('../dist/native-emu/myelin_cuda.node', import.meta.url));
const directory = mkdtempSync(path.join(tmpdir(), 'myelin-cuda-trace-'));
const trace = path.join(directory, 'trace.txt');
writeFileSync(trace, '');
// Before the package loads its addon: this test file runs in its own worker.
process.env.MYELIN_CUDA_ADDON = addon;
process.env.MYELIN_CUDA_EMULATOR_TRACE = trace;
const { createCudaBackend } = await import('./index.js');
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const lines = () => readFileSync(trace, 'utf8').split('\n').filter(Boolean);

const title = 'a training step on the cuda engine (CPU emulator trace)';
if (!existsSync(addon)) {
  describe(title, () => {
    it.skip('(skipped: dist/native-emu/myelin_cuda.node is not built; see dist/native-emu/BUILD-FAILED.txt, or run `pnpm --filter @myelin/backend-cuda build:emulator`)', () => {});
  });
} else {
  describe(title, () => {
    it('launches 12 kernels, copies only the optimizer table up, allocates nothing and waits only at loss reads', async () => {
      const backend = await createCudaBackend({ name: 'cuda-emulator-trace' });
      const marks: number[] = [];
      await fitSmallMlp(backend, {
        features: 32,
        classes: 4,
        batches: 10,
        epochs: 3,
        callbacks: [{ onBatchEnd: () => void marks.push(lines().length) }],
      });
      const all = lines();
      // Steps 12-19 (0-based 11-18): the second epoch, caches warm, between the reads after steps 10 and 20.
      for (let step = 11; step < 19; step++) {
        const ops = all.slice(marks[step - 1], marks[step]);
        const launches = ops.filter((l) => l.startsWith('launch ')).map((l) => l.split(' ')[1]);
        const label = `step ${step + 1}: ${ops.join('; ')}`;
        expect(launches, label).toEqual([
          'gemm_kernel',
          'bias_activation_kernel',
          'gemm_kernel',
          'bias_activation_kernel',
          'softmax_xent_reduced_narrow',
          // The output layer has no activation: its bias gradient is the column sum of the incoming gradient.
          'reduce_cols_kernel',
          'gemm_kernel',
          'gemm_kernel',
          'bias_act_backward_fused',
          'gemm_kernel',
          'adam_many_kernel',
          'accumulate_kernel',
        ]);
        expect(
          ops.filter((l) => !l.startsWith('launch ')),
          label,
        ).toEqual(['memcpyAsync HtoD 288']);
      }
      // The read after step 20: the last loss and the running sum, two waits.
      const read = all.slice(marks[18], marks[19]);
      expect(
        read.filter((l) => l.startsWith('sync ')),
        read.join('; '),
      ).toEqual(['sync event', 'sync event']);
      // From the second epoch on, the caching allocator serves every request.
      expect(all.slice(marks[9]).filter((l) => l.startsWith('malloc') || l.startsWith('mallocHost'))).toEqual([]);
    });
  });
}
