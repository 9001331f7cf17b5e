// The engine on the CPU emulator's deferred mode (MYELIN_CUDA_EMULATOR_ASYNC=1; see
// native/emulator/emulator.cc): every launch, asynchronous copy and memset waits in its stream's
// queue until the host waits for it, as on the slowest GPU there could be. The emulator's
// immediate mode runs each at its call, which hides what only asynchrony shows: a read that looks
// at pinned memory before the copy into it ran, a pinned staging buffer reused before its upload
// was consumed, a kernel argument read after the launching frame changed it. Both mutations were
// checked by hand: either passes the immediate run and fails hundreds of cases here.
// The conformance suite runs with asynchronous reads (the engine's default: the wait is on a libuv
// worker, so queued kernels run on that thread); then the engine's own tests (src/engine.test.ts).
// test:asan runs this file on the emulator's ASan + UBSan build too.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runConformanceSuite } from '@myelin/conformance';

const sanitized = process.env.MYELIN_CUDA_SANITIZE === '1';
const build = sanitized ? 'native-emu-asan' : 'native-emu';
const addon = fileURLToPath(new URL(`../dist/${build}/myelin_cuda.node`, import.meta.url));
const directory = mkdtempSync(path.join(tmpdir(), 'myelin-cuda-async-'));
const trace = path.join(directory, 'trace.txt');
writeFileSync(trace, '');
// Before the package loads its addon: this test file runs in its own worker.
process.env.MYELIN_CUDA_ADDON = addon;
process.env.MYELIN_CUDA_EMULATOR_ASYNC = '1';
process.env.MYELIN_CUDA_EMULATOR_TRACE = trace;
const { createCudaBackend, probe } = await import('./index.js');
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const title = 'backend-cuda on the CPU emulator, every stream operation deferred until the host waits';
if (!existsSync(addon)) {
  describe(title, () => {
    it.skip(`(skipped: dist/${build}/myelin_cuda.node is not built; see dist/${build}/BUILD-FAILED.txt, or run \`pnpm --filter @myelin/backend-cuda build:emulator\`)`, () => {});
  });
} else {
  const available = await probe();
  describe(title, () => {
    it('queues launches and copies until a read waits for them, then runs them in order', async () => {
      expect(available.usable, available.reason).toBe(true);
      const backend = await createCudaBackend({ name: 'cuda-emulator-deferred' });
      const lines = () => readFileSync(trace, 'utf8').split('\n').filter(Boolean);
      const start = lines().length;
      const a = backend.fromData(new Float32Array([1, 2, 3, 4]), [1, 2, 2], 'float32');
      const b = backend.fill([1, 2, 2], 0.5, 'float32');
      const c = backend.matmul(a, b, false, false);
      const queued = lines().slice(start);
      expect(queued.filter((l) => l.startsWith('launch ')).length).toBeGreaterThanOrEqual(2);
      expect(queued.filter((l) => l.startsWith('exec '))).toEqual([]);
      expect(Array.from(await backend.read(c))).toEqual([1.5, 1.5, 3.5, 3.5]);
      const after = lines().slice(start);
      // Each queued launch ran once, in its launch order, after the read's wait began.
      const launched = after.filter((l) => l.startsWith('launch ')).map((l) => l.split(' ')[1]);
      const ran = after.filter((l) => l.startsWith('exec ')).map((l) => l.split(' ')[1]);
      expect(ran).toEqual(launched);
      expect(after.findIndex((l) => l.startsWith('exec '))).toBeGreaterThan(after.indexOf('sync event'));
      for (const h of [a, b, c]) backend.dispose(h);
    });
  });
  if (available.usable)
    runConformanceSuite({
      name: 'backend-cuda on the CPU emulator, deferred streams',
      createBackend: () => createCudaBackend(),
      // Asynchronous reads: central finite differences need synchronous ones (the immediate
      // run, src/emulator.test.ts, checks them).
      finiteDifferences: false,
    });
  // The engine's own tests (allocator, views, asynchronous reads, device-side index errors, the
  // GEMM choice), on this deferred build: the file picks up MYELIN_CUDA_ADDON set above. Not in
  // test:asan's exact-allocation pass, which caches nothing (their allocator case counts reuses).
  if (process.env.MYELIN_CUDA_NO_CACHING !== '1') await import('./engine.test.js');
}
