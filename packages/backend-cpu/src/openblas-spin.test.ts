// OpenBLAS's threads spin 2^OPENBLAS_THREAD_TIMEOUT cycles after each GEMM (its default 28, about
// 0.1 s): long enough to sit on a core through the convolution kernels that follow, where the
// addon's own pool needs every core. The addon sets 18 for OpenBLAS's load (read once, when it
// loads: hence child processes), keeps a value the user set, and leaves the environment as it was
// so that processes it starts (a PyTorch baseline) are not affected.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { probeSync } from './index.js';

const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const script = `
const { createCpuBackend, probeSync } = await import(process.env.MYELIN_TEST_ENTRY);
createCpuBackend({ threads: 2 });
console.log(JSON.stringify({ spin: probeSync().details.openblasThreadTimeout, env: process.env.OPENBLAS_THREAD_TIMEOUT ?? null }));
`;

function run(timeout: string | undefined) {
  const env: Record<string, string | undefined> = { ...process.env, MYELIN_TEST_ENTRY: entry };
  delete env.OPENBLAS_THREAD_TIMEOUT;
  if (timeout !== undefined) env.OPENBLAS_THREAD_TIMEOUT = timeout;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
    env,
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as { spin: string | undefined; env: string | null };
}

const blasLoaded = probeSync().details?.openblas === undefined;

describe("OpenBLAS's thread spin (OPENBLAS_THREAD_TIMEOUT)", () => {
  it.skipIf(!blasLoaded)(
    '(skipped without OpenBLAS: install libopenblas0) is 18 unless the user set it, and the environment is left as it was',
    () => {
      expect(run(undefined)).toEqual({
        spin: 'OPENBLAS_THREAD_TIMEOUT=18 (set by Myelin): its threads spin 2^N cycles after a GEMM, then sleep',
        env: null,
      });
      expect(run('24')).toEqual({
        spin: 'OPENBLAS_THREAD_TIMEOUT=24 (from the environment): its threads spin 2^N cycles after a GEMM, then sleep',
        env: '24',
      });
    },
  );
});
