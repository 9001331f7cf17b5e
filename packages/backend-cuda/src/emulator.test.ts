// The whole shared conformance suite on this package's kernels and glue, compiled for the CPU
// emulator (native/emulator: every CUDA thread a fiber, block barriers and warp shuffles as on
// a GPU) by scripts/build-emulator.mjs: the engine's arithmetic, indexing and sizes are checked
// on every machine, so a GPU run starts from kernels that already agree with cpu-reference.
// Timing, coalescing and races between blocks are what only a GPU run (the prepared GPU check)
// shows. The test:asan script runs this file on the emulator's ASan + UBSan build, test:race on
// its ThreadSanitizer build (the race check).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectOptimizerTablesReadOnce, runConformanceSuite } from '@myelin/conformance';
import type { NativeCudaBackend } from './index.js';
import type { NativeAddon } from './native.js';
import { RACE_CHECK_SKIPS, fitSmallMlp } from './test-training.js';

const sanitized = process.env.MYELIN_CUDA_SANITIZE === '1';
const raceCheck = process.env.MYELIN_CUDA_RACECHECK === '1';
const build = sanitized ? 'native-emu-asan' : raceCheck ? 'native-emu-tsan' : 'native-emu';
const directory = fileURLToPath(new URL(`../dist/${build}/`, import.meta.url));
const addon = path.join(directory, 'myelin_cuda.node');
// Before the package loads its addon: this test file runs in its own worker.
process.env.MYELIN_CUDA_ADDON = addon;
const { createCudaBackend, probe } = await import('./index.js');
const { loadAddon } = await import('./native.js');

if (existsSync(addon)) {
  const available = await probe();
  it('loads the emulator build and reports its device', () => {
    expect(available.usable, available.reason).toBe(true);
    expect(JSON.stringify(available.details)).toContain('Myelin CUDA emulator (CPU)');
  });
  // test:asan's exact pass sets MYELIN_CUDA_NO_CACHING=1: then the allocator caches nothing.
  const exact = process.env.MYELIN_CUDA_NO_CACHING === '1';
  it(`trains with ${exact ? 'every block freed at its release (exact mode)' : 'a steady step that calls no cudaMalloc (the caching allocator)'}`, async () => {
    const backend = (await createCudaBackend({ name: 'cuda-emulator-allocator' })) as NativeCudaBackend;
    expect(backend.engine).toBe('native');
    expect(backend.details.allocator).toMatch(exact ? /^exact/ : /^caching/);
    const mallocs: number[] = [];
    await fitSmallMlp(backend, {
      features: 12,
      classes: 3,
      batches: 4,
      epochs: 4,
      callbacks: [{ onEpochEnd: () => void mallocs.push(backend.memoryStats().cudaMallocs) }],
    });
    const stats = backend.memoryStats();
    expect(mallocs[0]).toBeGreaterThan(0);
    if (exact) {
      // Every step allocates afresh, and nothing is kept once released.
      expect(mallocs[3]! - mallocs[2]!).toBe(mallocs[1]! - mallocs[0]!);
      expect(mallocs[1]! - mallocs[0]!).toBeGreaterThan(0);
      expect(stats).toMatchObject({ reuses: 0, cachedBlocks: 0, cachedBytes: 0 });
      expect(stats.cudaFrees).toBe(stats.cudaMallocs - stats.liveBlocks);
    } else {
      // The first epoch fills the cache; every later step reuses its blocks.
      expect(mallocs.slice(1)).toEqual([mallocs[0], mallocs[0], mallocs[0]]);
      expect(stats.reuses).toBeGreaterThan(0);
    }
  });
  if (available.usable)
    runConformanceSuite({
      name: 'backend-cuda on the CPU emulator',
      // Synchronous reads (a blocking option of the engine) let the float64 gradients be
      // checked against central finite differences too.
      createBackend: () => createCudaBackend({ syncReads: true }),
      // Not again on the sanitizer and race check builds: their float64 kernels are the float32
      // ones' templates, whose bounds and ordering the other tiers check; the plain build
      // checks the arithmetic.
      finiteDifferences: !sanitized && !raceCheck,
      // The race check runs every kernel of the suite; these two only run the same kernels for
      // many more steps (half its time under ThreadSanitizer). The plain run keeps them.
      skip: raceCheck ? RACE_CHECK_SKIPS : undefined,
      // ThreadSanitizer runs the emulated kernels about ten times slower: the fused cases near
      // their 60 s limit on a loaded machine get three times as long there.
      slowdown: raceCheck ? 3 : 1,
    });
  // Sizes past what int64 holds, straight on the addon (the shared glue's checks, then the
  // kernels' launches): each was a signed overflow (a UBSan abort under test:asan) before its check.
  // Only shapes and empty tensors: nothing large is allocated.
  describe.runIf(available.usable)('size arithmetic on the raw addon', () => {
    let native: NativeAddon;
    beforeAll(async () => {
      await createCudaBackend({ name: 'cuda-emulator-sizes' }); // opens the emulator's device
      native = loadAddon().addon!;
    });
    const [F32, I32, BOOL] = [0, 2, 3];
    const empty = (shape: number[], dtype = F32) => native.fill(shape, 0, dtype);

    it('refuses an empty shape whose other dimensions multiply past 2^50', () => {
      expect(() => empty([0, 2 ** 40, 2 ** 40])).toThrow(
        'shape [0,1099511627776,1099511627776] is too large: its non-zero dimensions multiply to more than 2^50',
      );
      const x = empty([0, 2 ** 25, 2 ** 25]);
      const outs = [
        native.transpose(x, [2, 1, 0]),
        native.slice(x, [0, 1, 1], [0, 2, 2]),
        native.binary(0, x, x),
        native.reduce(0, x, [1], false),
        native.matmul(x, x, false, false),
      ];
      for (const id of outs) expect(native.readSync(id).length).toBe(0);
      for (const id of [x, ...outs]) native.release(id);
    });

    it('refuses a broadcast past 2^50 elements, a concat summing past it and a scatterAdd axis past the rank', () => {
      // 2^51 elements from operands of 2^17 (small: the race check's run fills them fiber by fiber).
      const ids = [empty([2 ** 17, 1, 1], BOOL), empty([1, 2 ** 17, 1]), empty([1, 1, 2 ** 17]), empty([0, 2 ** 50])];
      expect(() => native.where(ids[0]!, ids[1]!, ids[2]!)).toThrow('shape [131072,131072,131072] is too large');
      expect(() => native.concat(new Array<number>(8200).fill(ids[3]!), 1)).toThrow(/is too large/);
      const u = empty([2]);
      const idx = native.fromData(new Int32Array([0, 0]), [2], I32);
      expect(() => native.scatterAdd(u, idx, 2 ** 31 - 1, 4)).toThrow('do not fit indices [2] at axis 2147483647');
      for (const id of [...ids, u, idx]) native.release(id);
    });

    it('optimizers read the id table once: an out array overlapping it changes nothing', () => {
      expectOptimizerTablesReadOnce({ addon: native, read: (id) => native.readSync(id) });
    });

    it('refuses windows and columns of an empty input whose products pass 2^50', () => {
      const tall = empty([0, 1, 2 ** 49, 1]);
      const wide = empty([0, 2 ** 50, 1, 1]);
      expect(() => native.unfold(tall, 1, 1, 1, 1, 0, 1e6, 1, 1)).toThrow(/windows of input .* are too many/);
      expect(() => native.unfold(wide, 8192, 1, 1, 1, 4096, 0, 1, 1)).toThrow(
        /the columns of one image .* are too large/,
      );
      native.release(tall);
      native.release(wide);
    });
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
