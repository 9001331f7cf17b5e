#!/usr/bin/env node
// Runs the package's tests against the AddressSanitizer + UBSan build of the addon
// (dist/native-asan, made by `build:asan`). Node itself is not instrumented, so gcc's libasan
// is preloaded, and leak detection is off (Node leaks at exit by design).
//   pnpm --filter @myelin/backend-cpu test:asan [vitest args]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { asanEnvironment } from '@myelin/native-build';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sanitizer = asanEnvironment();
if (sanitizer.error) {
  console.error(`test:asan: ${sanitizer.error}`);
  process.exit(1);
}
if (!existsSync(path.join(root, 'dist/native-asan/myelin_cpu.node'))) {
  console.error(
    'test:asan: dist/native-asan/myelin_cpu.node is missing: run `pnpm --filter @myelin/backend-cpu build:asan` first',
  );
  process.exit(1);
}
const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
const args = process.argv.slice(2);
const env = { ...process.env, MYELIN_CPU_SANITIZE: '1', ...sanitizer.env };
console.log(`test:asan: LD_PRELOAD=${env.LD_PRELOAD} ASAN_OPTIONS=${env.ASAN_OPTIONS}`);
const run = (extraEnv, vitestArgs) => {
  const result = spawnSync(process.execPath, [vitest, 'run', ...vitestArgs], {
    cwd: root,
    env: { ...env, ...extraEnv },
    stdio: 'inherit',
  });
  return result.status ?? 1;
};
let status = run({}, args);
// Its own test report in CI (MYELIN_TEST_REPORT_SUFFIX), beside the full run's.
const suffix = process.env.MYELIN_TEST_REPORT_SUFFIX;
const reportAs = (name) => (suffix === undefined ? {} : { MYELIN_TEST_REPORT_SUFFIX: `${suffix}-${name}` });
if (args.length === 0) {
  // With no arguments, also run the GEMM and convolution tests on the AVX2 and portable kernels
  // (their packing, edge tiles and vectors differ), the kernels a machine without AVX-512 would use.
  for (const simd of ['avx2', 'generic']) {
    if (status !== 0) break;
    console.log(`test:asan: GEMM and convolution tests with MYELIN_CPU_SIMD=${simd}`);
    status = run({ MYELIN_CPU_SIMD: simd, ...reportAs(simd) }, ['src/gemm.test.ts', 'src/conv.test.ts']);
  }
  // And the conformance, GEMM and convolution tests with each tensor exactly its size, freed at
  // its release (MYELIN_CPU_NO_CACHING=1): the pool rounds a buffer up to its size class and
  // keeps it after release, so an access just past a tensor's end or after its release would
  // land in memory AddressSanitizer counts as allocated.
  if (status === 0) {
    console.log('test:asan: conformance, GEMM and convolution tests with MYELIN_CPU_NO_CACHING=1');
    status = run({ MYELIN_CPU_NO_CACHING: '1', ...reportAs('exact') }, [
      'src/conformance.test.ts',
      'src/gemm.test.ts',
      'src/conv.test.ts',
    ]);
  }
}
process.exit(status);
