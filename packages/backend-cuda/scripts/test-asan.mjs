#!/usr/bin/env node
// Runs the package's tests against the AddressSanitizer + UBSan build of the addon
// (dist/native-asan, made by `build:asan`: the host glue instrumented, the kernels as usual).
// Node itself is not instrumented, so gcc's libasan is preloaded, and leak detection is off
// (Node leaks at exit by design). Without a GPU this exercises the loading, the no-driver path,
// the argument checks, the cuBLAS loader and the allocator; with one, the whole conformance suite.
//   pnpm --filter @myelin/backend-cuda test:asan [vitest args]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const addon = path.join(root, 'dist/native-asan/myelin_cuda.node');
if (!existsSync(addon)) {
  const marker = path.join(root, 'dist/native-asan/BUILD-FAILED.txt');
  if (existsSync(marker)) {
    // No CUDA toolkit here: the build said why; the plain tests report the same and pass.
    console.log(`test:asan: skipped, the sanitizer build was not made (see ${path.relative(root, marker)})`);
    process.exit(0);
  }
  console.error(
    'test:asan: dist/native-asan/myelin_cuda.node is missing: run `pnpm --filter @myelin/backend-cuda build:asan` first',
  );
  process.exit(1);
}
const cxx = process.env.CXX || 'g++';
const lib = (name) => spawnSync(cxx, [`-print-file-name=${name}`], { encoding: 'utf8' }).stdout.trim();
const asan = lib('libasan.so');
const ubsan = lib('libubsan.so');
if (!path.isAbsolute(asan) || !existsSync(asan)) {
  console.error(`test:asan: ${cxx} does not know libasan.so (got '${asan}'); install g++ (it ships libasan)`);
  process.exit(1);
}
const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
const env = {
  ...process.env,
  MYELIN_CUDA_SANITIZE: '1',
  LD_PRELOAD: [asan, existsSync(ubsan) ? ubsan : ''].filter(Boolean).join(' '),
  // protect_shadow_gap=0: the CUDA driver maps memory where ASan's shadow gap would be.
  // allocator_may_return_null=1: the out-of-memory test asks the emulator for 32 TiB on purpose.
  ASAN_OPTIONS:
    process.env.ASAN_OPTIONS ??
    'detect_leaks=0:abort_on_error=1:halt_on_error=1:protect_shadow_gap=0:allocator_may_return_null=1',
  UBSAN_OPTIONS: process.env.UBSAN_OPTIONS ?? 'print_stacktrace=1:halt_on_error=1',
};
console.log(`test:asan: LD_PRELOAD=${env.LD_PRELOAD} ASAN_OPTIONS=${env.ASAN_OPTIONS}`);
const result = spawnSync(process.execPath, [vitest, 'run', ...process.argv.slice(2)], {
  cwd: root,
  env,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
