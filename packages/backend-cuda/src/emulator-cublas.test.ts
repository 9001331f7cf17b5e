// The engine's cuBLAS call path without a GPU: the CPU emulator's build of the addon with the
// emulator's cuBLAS stand-in (native/emulator/cublas/cublas-emu.cc, cuBLAS's documented contract:
// column-major, op N/T, leading dimensions and batch strides checked as cuBLAS checks them, each
// GEMM a host function on the handle's stream). On a GPU with cuBLAS every GEMM takes this path,
// so a wrong transpose, leading dimension or batch stride in the glue (ops-linalg.cc gemm(), the
// conv GEMMs in ops-conv.cc) fails here, not first on the GPU. The emulator runs deferred
// (MYELIN_CUDA_EMULATOR_ASYNC=1: each stream's work queued until the host waits), so a GEMM out
// of order with the kernels around it (say, on another stream than the engine's) gives wrong
// values too. The whole conformance suite runs through it, then every GEMM call is checked to
// have gone to the stand-in on the engine's stream and succeeded (none fell back to the built-in
// kernel), then the stream order, the glue's math-mode switching and its fallback and error on a
// refused call. The stand-in's own contract (each argument check's status, the quick
// returns, beta == 0, TF32 rounding, the stream) is its self-test, run first. test:asan runs this
// file on the sanitizer build with exact allocations. (test:race does not: its build runs streams
// immediately, where the stand-in's GEMMs are ordered like the host's own accesses.)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runConformanceSuite } from '@myelin/conformance';
import { RACE_CHECK_SKIPS } from './test-training.js';
import type { NativeCudaBackend } from './index.js';

const sanitized = process.env.MYELIN_CUDA_SANITIZE === '1';
const raceCheck = process.env.MYELIN_CUDA_RACECHECK === '1';
const build = sanitized ? 'native-emu-asan' : raceCheck ? 'native-emu-tsan' : 'native-emu';
const directory = fileURLToPath(new URL(`../dist/${build}/`, import.meta.url));
const addon = path.join(directory, 'myelin_cuda.node');
const standIn = path.join(directory, 'cublas', 'libcublas.so.13');
const selfTest = path.join(directory, 'cublas', 'cublas-emu-selftest');
const missing = [addon, standIn, selfTest].find((file) => !existsSync(file));
// Before the package loads its addon (this file runs in its own worker): the emulator's build,
// cuBLAS from the stand-in, and the emulator's trace, where the stand-in writes a line per GEMM call.
const traceDirectory = mkdtempSync(path.join(tmpdir(), 'myelin-emulator-cublas-'));
const trace = path.join(traceDirectory, 'trace.txt');
process.env.MYELIN_CUDA_ADDON = addon;
process.env.MYELIN_CUBLAS_PATH = standIn;
process.env.MYELIN_CUDA_EMULATOR_TRACE = trace;
// The race check build refuses the deferred mode (it orders a launch by its call).
const deferred = !raceCheck;
if (deferred) process.env.MYELIN_CUDA_EMULATOR_ASYNC = '1';
else delete process.env.MYELIN_CUDA_EMULATOR_ASYNC;
delete process.env.MYELIN_CUDA_GEMM;
delete process.env.MYELIN_CUBLAS_EMU_STATUS;
const { createCudaBackend, probe } = await import('./index.js');
afterAll(() => rmSync(traceDirectory, { recursive: true, force: true }));

/** The trace's lines so far. */
const traceLines = (): string[] => (existsSync(trace) ? readFileSync(trace, 'utf8').split('\n').filter(Boolean) : []);

/** The stand-in's GEMM calls so far, from the trace. */
interface GemmCall {
  routine: string;
  ops: string;
  m: number;
  n: number;
  k: number;
  batch: number;
  strides: [number, number, number];
  mode: number;
  stream: string;
  status: number;
}
function gemmCalls(): GemmCall[] {
  const calls: GemmCall[] = [];
  for (const line of traceLines()) {
    if (!line.startsWith('cublas ') || line.startsWith('cublas run ')) continue;
    const match =
      /^cublas (\w+) (\w\w) (-?\d+) (-?\d+) (-?\d+) (-?\d+) -?\d+ -?\d+ -?\d+ (-?\d+) (-?\d+) (-?\d+) mode (-?\d+) stream (\S+) -> (-?\d+)$/.exec(
        line,
      );
    if (match === null) throw new Error(`unreadable stand-in trace line: ${line}`);
    const [m, n, k, batch, sa, sb, sc, mode] = match.slice(3, 11).map(Number) as number[];
    calls.push({
      routine: match[1]!,
      ops: match[2]!,
      m: m!,
      n: n!,
      k: k!,
      batch: batch!,
      strides: [sa!, sb!, sc!],
      mode: mode!,
      stream: match[11]!,
      status: Number(match[12]),
    });
  }
  return calls;
}

if (missing === undefined) {
  const available = await probe();

  it("the stand-in keeps cuBLAS's contract (its self-test: argument checks, quick returns, beta 0, TF32, the stream)", () => {
    // Its own stand-in instance, with its own fake stream: not into this file's trace.
    const env = { ...process.env };
    delete env.MYELIN_CUDA_EMULATOR_TRACE;
    const run = spawnSync(selfTest, [standIn], { encoding: 'utf8', env });
    expect(run.stdout + run.stderr).toMatch(/^\d+ checks, 0 failed$/m);
    expect(run.status).toBe(0);
  });

  it('loads the emulator build with cuBLAS from the stand-in', () => {
    expect(available.usable, available.reason).toBe(true);
    expect(available.details?.device).toContain('Myelin CUDA emulator (CPU)');
    expect(available.details?.gemm).toBe('cublas');
    // The path alone: a call the stand-in refused would add "; a cuBLAS GEMM returned ...".
    expect(available.details?.cublas).toBe(standIn);
  });

  if (available.usable) {
    runConformanceSuite({
      name: "backend-cuda on the CPU emulator, GEMMs through the emulator's cuBLAS stand-in",
      createBackend: () => createCudaBackend({ syncReads: true }),
      // The float64 gradients against central finite differences too (Dgemm's results), as
      // emulator.test.ts: not on the sanitizer and race check builds, whose runs check bounds and ordering.
      finiteDifferences: !sanitized && !raceCheck,
      skip: raceCheck ? RACE_CHECK_SKIPS : undefined,
    });

    describe('after the conformance suite', () => {
      it('every GEMM went to the stand-in on the engine stream and succeeded: none fell back to the built-in kernel', async () => {
        const after = await probe();
        expect(after.details?.gemm).toBe('cublas');
        expect(after.details?.cublas).toBe(standIn);
        const calls = gemmCalls();
        expect(calls.length).toBeGreaterThan(100);
        expect(calls.filter((call) => call.status !== 0)).toEqual([]);
        // The handle's stream is the engine's (cublasSetStream in runtime/device.cc), never stream 0.
        expect(new Set(calls.map((call) => call.stream)).size).toBe(1);
        expect(calls[0]!.stream).not.toMatch(/^(\(nil\)|0x0|0)$/);
        // Both precisions, every transpose pair, batches, and the conv GEMMs' shared weights (stride 0).
        expect(new Set(calls.map((call) => call.routine))).toEqual(
          new Set(['SgemmStridedBatched', 'DgemmStridedBatched']),
        );
        expect(new Set(calls.map((call) => call.ops))).toEqual(new Set(['NN', 'NT', 'TN', 'TT']));
        expect(calls.some((call) => call.batch > 1)).toBe(true);
        expect(calls.some((call) => call.batch > 1 && call.strides.includes(0))).toBe(true);
        // tf32 is off by default: no GEMM ran in TF32 mode (3).
        expect(calls.filter((call) => call.mode !== 0)).toEqual([]);
      });

      it.runIf(deferred)(
        'each GEMM runs in its stream when the host waits, after the work before it and before the work after it',
        async () => {
          const backend = await createCudaBackend({ name: 'cuda-stream-order' });
          const start = traceLines().length;
          const a = backend.fromData(new Float32Array([1, 2, 3, 4]), [1, 2, 2], 'float32');
          const b = backend.fill([1, 2, 2], 0.5, 'float32');
          const c = backend.matmul(a, b, false, false);
          const d = backend.binary('add', c, c, [1, 2, 2]);
          const queued = traceLines().slice(start);
          const call = queued.findIndex((line) => line.startsWith('cublas SgemmStridedBatched NN 2 2 2 1'));
          expect(call).toBeGreaterThan(0);
          // Enqueued only: nothing of the stream has run yet.
          expect(queued.filter((line) => line.startsWith('exec ') || line.startsWith('cublas run '))).toEqual([]);
          const launchedBefore = queued.slice(0, call).filter((line) => line.startsWith('launch ')).length;
          const launchedAfter = queued.slice(call).filter((line) => line.startsWith('launch ')).length;
          expect(launchedBefore).toBeGreaterThanOrEqual(1); // fill
          expect(launchedAfter).toBeGreaterThanOrEqual(1); // add
          expect(Array.from(await backend.read(d))).toEqual([3, 3, 7, 7]);
          const ran = traceLines()
            .slice(start + queued.length)
            .filter((line) => line.startsWith('exec ') || line.startsWith('cublas run '));
          const gemm = ran.indexOf('cublas run SgemmStridedBatched 2 2 2 1');
          expect(gemm).toBe(launchedBefore);
          expect(ran.length - gemm - 1).toBe(launchedAfter);
          for (const handle of [a, b, c, d]) backend.dispose(handle);
        },
      );

      it('the math mode follows each backend: TF32 for its float32 GEMMs only, exact float32 again after it', async () => {
        const exact = (await createCudaBackend({ name: 'cuda-exact', syncReads: true })) as NativeCudaBackend;
        const tf32 = (await createCudaBackend({ name: 'cuda-tf32', tf32: true, syncReads: true })) as NativeCudaBackend;
        expect(tf32.details.tf32).toBe('true');
        // 1 + 2^-12 is not a TF32 value: TF32 inputs make it 1.
        const product = async (backend: NativeCudaBackend, dtype: 'float32' | 'float64', value: number) => {
          const x = backend.fromData(
            dtype === 'float32' ? new Float32Array([value]) : new Float64Array([value]),
            [1, 1, 1],
            dtype,
          );
          const y = backend.fill([1, 1, 1], 1, dtype);
          const z = backend.matmul(x, y, false, false);
          const result = (await backend.read(z))[0];
          for (const handle of [x, y, z]) backend.dispose(handle);
          return result;
        };
        const before = gemmCalls().length;
        expect(await product(exact, 'float32', 1 + 2 ** -12)).toBe(1 + 2 ** -12);
        expect(await product(tf32, 'float32', 1 + 2 ** -12)).toBe(1);
        expect(await product(tf32, 'float64', 1 + 2 ** -40)).toBe(1 + 2 ** -40);
        expect(await product(exact, 'float32', 1 + 2 ** -12)).toBe(1 + 2 ** -12);
        expect(await product(tf32, 'float32', 1 + 2 ** -12)).toBe(1);
        expect(
          gemmCalls()
            .slice(before)
            .map((call) => `${call.routine[0]} ${call.mode}`),
        ).toEqual(['S 0', 'S 3', 'D 0', 'S 0', 'S 3']);
      });

      // Last: a refused call is recorded in the context's details for the rest of the process.
      it('a GEMM cuBLAS refuses runs on the built-in kernel and is reported; an execution failure throws', async () => {
        const backend = (await createCudaBackend({ name: 'cuda-refused', syncReads: true })) as NativeCudaBackend;
        const x = backend.fromData(
          Float32Array.from({ length: 6 }, (_, i) => i + 1),
          [1, 2, 3],
          'float32',
        );
        const y = backend.fromData(
          Float32Array.from({ length: 12 }, (_, i) => i - 5),
          [1, 3, 4],
          'float32',
        );
        const expected = Array.from(backend.readSync!(backend.matmul(x, y, false, false)));
        try {
          process.env.MYELIN_CUBLAS_EMU_STATUS = '7'; // CUBLAS_STATUS_INVALID_VALUE
          expect(Array.from(backend.readSync!(backend.matmul(x, y, false, false)))).toEqual(expected);
          const refused = await probe();
          expect(refused.details?.gemm).toBe('cublas');
          expect(refused.details?.cublas).toBe(
            `${standIn}; a cuBLAS GEMM returned CUBLAS_STATUS_INVALID_VALUE: an invalid numeric value was used as an argument (m 2, n 4, k 3); that call ran on the built-in GEMM`,
          );
          process.env.MYELIN_CUBLAS_EMU_STATUS = '13'; // CUBLAS_STATUS_EXECUTION_FAILED
          expect(() => backend.matmul(x, y, false, false)).toThrow(
            "backend 'cuda': matmul: cuBLAS GEMM failed: CUBLAS_STATUS_EXECUTION_FAILED",
          );
        } finally {
          delete process.env.MYELIN_CUBLAS_EMU_STATUS;
        }
        expect(Array.from(backend.readSync!(backend.matmul(x, y, false, false)))).toEqual(expected);
        expect(
          gemmCalls()
            .slice(-4)
            .map((call) => call.status),
        ).toEqual([0, 7, 13, 0]);
      });
    });
  }
} else {
  const failed = path.join(directory, 'BUILD-FAILED.txt');
  const reason = existsSync(failed)
    ? readFileSync(failed, 'utf8').trim()
    : `${path.relative(process.cwd(), missing)} is not built (pnpm --filter @myelin/backend-cuda build:emulator)`;
  describe("conformance: backend-cuda on the CPU emulator, GEMMs through the emulator's cuBLAS stand-in", () => {
    it.skip(`the whole suite (skipped: ${reason})`, () => {});
  });
}
