// The built-in GEMM launches at most 65535 row tiles and 65535 batches at a time (CUDA's limit
// on gridDim.y and gridDim.z), in several launches beyond. The emulator build takes that chunk
// from MYELIN_CUDA_EMULATOR_GRID_CHUNK, read once when the addon loads (this test file runs in
// its own process): here 2, so that small matrices are split as a 4.19M-row one is on a GPU, and
// the emulator's trace shows the launches.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { NativeCudaBackend } from './index.js';

// Under test:asan (MYELIN_CUDA_SANITIZE=1) the emulator's sanitizer build.
const flavour = process.env.MYELIN_CUDA_SANITIZE === '1' ? 'native-emu-asan' : 'native-emu';
const addon = fileURLToPath(new URL(`../dist/${flavour}/myelin_cuda.node`, import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), 'gemm-chunks-'));
const trace = path.join(scratch, 'trace.txt');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
process.env.MYELIN_CUDA_ADDON = addon;
process.env.MYELIN_CUDA_EMULATOR_GRID_CHUNK = '2';
process.env.MYELIN_CUDA_EMULATOR_TRACE = trace;
process.env.MYELIN_CUDA_GEMM = 'builtin';
const { createCudaBackend } = await import('./index.js');

/** The batched product on the host, in double. */
function hostMatmul(a: Float32Array, b: Float32Array, batch: number, m: number, k: number, n: number): number[] {
  const out: number[] = [];
  for (let q = 0; q < batch; q++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[(q * m + i) * k + p]! * b[(q * k + p) * n + j]!;
        out.push(s);
      }
  return out;
}

describe.runIf(existsSync(addon))('the built-in GEMM split over launches (emulator, chunks of 2)', () => {
  it.each([
    // [batch, m, k, n, launches]: 64x64 tiles (5 row tiles in 3 launches, 5 batches in 3), and
    // the 128x128 kernel of large float32 outputs (5 row tiles of 128 rows in 3 launches).
    [5, 300, 7, 90, 9],
    [1, 600, 20, 300, 3],
  ])('batch %i, m %i, k %i, n %i: %i launches, the same product as the host', async (batch, m, k, n, launches) => {
    const backend = (await createCudaBackend({ name: `gemm-chunks-${m}` })) as NativeCudaBackend;
    const a = Float32Array.from({ length: batch * m * k }, (_, i) => Math.fround(Math.sin(i * 0.13)));
    const b = Float32Array.from({ length: batch * k * n }, (_, i) => Math.fround(Math.cos(i * 0.07)));
    const before = readFileSync(trace, 'utf8').split('\n').length;
    const c = backend.matmul(
      backend.fromData(a, [batch, m, k], 'float32'),
      backend.fromData(b, [batch, k, n], 'float32'),
      false,
      false,
    );
    const got = backend.readBlocking(c);
    const lines = readFileSync(trace, 'utf8')
      .split('\n')
      .slice(before - 1);
    expect(lines.filter((line) => /^launch \S*gemm/.test(line))).toHaveLength(launches);
    const expected = hostMatmul(a, b, batch, m, k, n);
    expect(got.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) expect(got[i]).toBeCloseTo(expected[i]!, 3);
  });
});
