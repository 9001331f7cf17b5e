// The binding under mpirun: every call on 3 ranks, the AddressSanitizer build, and the error a
// machine without MPI gives.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mpirun, mpirunAvailable, rankFiles, resultDirectory } from './test-mpirun.js';
import { asanEnvironment } from '@myelin/native-build';
import { probeMpi } from './probe.js';

const fixture = fileURLToPath(new URL('../test/fixtures/collectives.mjs', import.meta.url));
const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const usable = probeMpi().usable && mpirunAvailable();
const asanOnly = process.env.MYELIN_DISTRIBUTED_ASAN_ONLY === '1';

interface Seen {
  rank: number;
  size: number;
  again: boolean;
  f32: number[];
  f64: number[];
  max: number[];
  min: number[];
  bigOk: boolean;
  sharedMemory: boolean;
  meanSmall: number[];
  mean32Ok: boolean;
  mean64Ok: boolean;
  meanSample: number[];
  partsOk: boolean;
  partsTail: number[];
  partsSum: number[];
  partsWideOk: boolean;
  view: number[];
  bytes: string;
  doubles: (number | string)[];
  errors: string[];
  afterFinalize: string;
  addon: string;
}

function checkCollectives(
  directory: string,
  size: number,
  build: 'native' | 'native-asan',
  sharedMemory = process.env.MYELIN_MPI_SHARED_MEMORY !== '0',
): void {
  const seen = rankFiles<Seen>(directory);
  for (const s of seen) expect(s.addon).toContain(`/dist/${build}/myelin_mpi.node`);
  expect(seen.map((s) => s.rank)).toEqual([...Array(size).keys()]);
  const ranks = [...Array(size).keys()];
  for (const s of seen) {
    expect(s.size).toBe(size);
    expect(s.again).toBe(true);
    expect(s.f32).toEqual([0, 1, 2, 3, 4].map((i) => ranks.reduce((sum, r) => sum + r + i * 0.5, 0)));
    expect(s.f64[0]).toBeCloseTo(
      ranks.reduce((sum, r) => sum + 0.1 * (r + 1), 0),
      15,
    );
    expect(s.f64.slice(1)).toEqual([-ranks.reduce((a, b) => a + b, 0), size * 1e-300]);
    expect(s.max).toEqual([size - 1, 0, 7]);
    expect(s.min).toEqual([0, -(size - 1)]);
    const total = ranks.reduce((a, b) => a + b, 0);
    expect(s.bigOk).toBe(true);
    // Every rank on this machine: large float sums go through the shared-memory window.
    expect(s.sharedMemory).toBe(sharedMemory);
    expect(s.meanSmall).toEqual([
      Math.fround(total * (1 / size)),
      Math.fround(size * (1 / size)),
      Math.fround(ranks.reduce((a, r) => Math.fround(a + Math.fround(0.1 * r)), 0) * (1 / size)),
    ]);
    expect(s.mean32Ok).toBe(true);
    expect(s.mean64Ok).toBe(true);
    expect(s.meanSample).toEqual(seen[0]!.meanSample);
    expect(s.partsOk).toBe(true);
    const mean = (f: (r: number) => number): number =>
      Math.fround(ranks.reduce((a, r) => Math.fround(a + f(r)), 0) * (1 / size));
    expect(s.partsTail).toEqual([0, 0, 0, mean((r) => r * 10 + 4), mean((r) => r * 10 + 5)]);
    expect(s.partsSum).toEqual([total, size, 2 * size, total]);
    expect(s.partsWideOk).toBe(true);
    expect(s.view).toEqual([s.rank, s.rank, s.rank, total, total, total, s.rank, s.rank, s.rank, s.rank]);
    expect(s.bytes).toBe('hello from the last rank');
    expect(s.doubles).toEqual([Math.PI, Number.MIN_VALUE, '-0']);
    expect(s.errors).toEqual([
      'DistributedError: allReduce: expected a Float32Array, Float64Array or Int32Array, got Uint8Array',
      'DistributedError: broadcast: root ' + size + ' is not a rank of 0..' + (size - 1),
      "DistributedError: allReduce: op must be 'sum', 'max', 'min' or 'mean', got 'prod'",
      'DistributedError: allReduce: mean needs a Float32Array or Float64Array, got Int32Array',
      'DistributedError: allReduceParts: the parts hold 3 elements, out 4',
      "DistributedError: allReduceParts: part 1 is not of out's type",
      'DistributedError: allReduceParts: part 1 is not a count of zeros within out',
      'DistributedError: allReduceParts: the parts hold 5 elements, out 4',
    ]);
    expect(s.afterFinalize).toBe('barrier: MPI was already finalised');
  }
}

// In the sanitizer run (test:asan) only the sanitizer case runs; the others ran in the plain pass.
const ASAN_SKIP = asanOnly
  ? ' (skipped: the sanitizer run checks only the ASan build; this ran in the plain pass)'
  : '';

describe.skipIf(!usable)('MPI collectives (mpirun)', () => {
  it.skipIf(asanOnly)(`all-reduce, broadcast, barrier and finalize agree on 3 ranks${ASAN_SKIP}`, async () => {
    const out = resultDirectory();
    const run = await mpirun(3, fixture, [out]);
    expect(run.code, run.stderr).toBe(0);
    checkCollectives(out, 3, 'native');
  });

  // Both all-reduce paths under the sanitizers: the shared-memory window, and MPI_Allreduce
  // (MYELIN_MPI_SHARED_MEMORY=0) as across machines.
  for (const sharedMemory of [true, false]) {
    const path = sharedMemory ? 'shared-memory all-reduce' : 'MPI_Allreduce, MYELIN_MPI_SHARED_MEMORY=0';
    it(`passes on the AddressSanitizer + UBSan build of the addon (2 ranks, ${path})`, async () => {
      const build = spawnSync(process.execPath, ['scripts/build-native.mjs', '--sanitize'], {
        cwd: packageRoot,
        encoding: 'utf8',
      });
      expect(build.status, build.stderr).toBe(0);
      const { env, error } = asanEnvironment();
      expect(error).toBeUndefined();
      // -x exports the variables to the ranks only (mpirun itself runs without libasan).
      const exports = Object.entries({ MYELIN_MPI_SANITIZE: '1', ...env }).flatMap(([k, v]) => ['-x', `${k}=${v}`]);
      const out = resultDirectory();
      const run = await mpirun(2, fixture, [out], {
        mpirunArgs: exports,
        env: { MYELIN_MPI_SHARED_MEMORY: sharedMemory ? '1' : '0' },
      });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).not.toMatch(/AddressSanitizer|runtime error/);
      checkCollectives(out, 2, 'native-asan', sharedMemory);
    });
  }
});

describe('without MPI', () => {
  it.skipIf(asanOnly)(
    `probe and initMpi name what to install (apt-get install openmpi-bin libopenmpi-dev, ./setup)${ASAN_SKIP}`,
    () => {
      const script = `
      import { probeMpi, initMpi } from './dist/index.js';
      const probe = probeMpi();
      let thrown;
      try { initMpi(); } catch (error) { thrown = error.name + ': ' + error.message; }
      console.log(JSON.stringify({ usable: probe.usable, reason: probe.reason, thrown }));`;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: packageRoot,
        encoding: 'utf8',
        env: { ...process.env, MYELIN_MPI_ADDON: '/nonexistent/myelin_mpi.node' },
      });
      expect(child.status, child.stderr).toBe(0);
      const seen = JSON.parse(child.stdout) as { usable: boolean; reason: string; thrown: string };
      expect(seen.usable).toBe(false);
      expect(seen.reason).toContain('apt-get install openmpi-bin libopenmpi-dev');
      expect(seen.thrown).toMatch(
        /^DistributedError: MPI is not usable: .*apt-get install openmpi-bin libopenmpi-dev, or run \.\/setup/,
      );
    },
  );
});
