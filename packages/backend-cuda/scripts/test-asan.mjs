#!/usr/bin/env node
// Runs the package's tests against the AddressSanitizer + UBSan build of the addon
// (dist/native-asan, made by `build:asan`: the host glue instrumented, the kernels as usual).
// Node itself is not instrumented, so gcc's libasan is preloaded, and leak detection is off
// (Node leaks at exit by design). Without a GPU this exercises the loading, the no-driver path,
// the argument checks, the cuBLAS loader and the allocator, and (src/emulator.test.ts, on the
// emulator's sanitizer build, kernels instrumented too) the whole conformance suite; with a GPU,
// the conformance suite on the device. Without nvcc only the emulator's run is made. The
// conformance suite through the emulator's cuBLAS stand-in (src/emulator-cublas.test.ts, the
// stand-in instrumented too) runs in the exact pass only (below), where a GEMM reading past a
// tensor's end is caught.
//   pnpm --filter @myelin/backend-cuda test:asan [vitest args]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { asanEnvironment } from '@myelin/native-build';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const addon = path.join(root, 'dist/native-asan/myelin_cuda.node');
const emulator = path.join(root, 'dist/native-emu-asan/myelin_cuda.node');
let files = process.argv.slice(2);
if (!existsSync(addon)) {
  const marker = path.join(root, 'dist/native-asan/BUILD-FAILED.txt');
  if (!existsSync(marker)) {
    console.error(
      'test:asan: dist/native-asan/myelin_cuda.node is missing: run `pnpm --filter @myelin/backend-cuda build:asan` first',
    );
    process.exit(1);
  }
  // No CUDA toolkit here: the nvcc build said why. The emulator's sanitizer build (g++ only)
  // still checks the kernels and the glue.
  if (!existsSync(emulator)) {
    console.log(`test:asan: skipped, no sanitizer build was made (see ${path.relative(root, marker)})`);
    process.exit(0);
  }
  console.log(
    `test:asan: the nvcc sanitizer build was not made (see ${path.relative(root, marker)}); the emulator's runs`,
  );
  if (files.length === 0) files = ['src/emulator.test.ts', 'src/emulator-async.test.ts'];
}
const sanitizer = asanEnvironment({
  // protect_shadow_gap=0: the CUDA driver maps memory where ASan's shadow gap would be.
  // allocator_may_return_null=1: the out-of-memory test asks the emulator for 32 TiB on purpose.
  asanOptions: ':protect_shadow_gap=0:allocator_may_return_null=1',
});
if (sanitizer.error) {
  console.error(`test:asan: ${sanitizer.error}`);
  process.exit(1);
}
const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
const env = { ...process.env, MYELIN_CUDA_SANITIZE: '1', ...sanitizer.env };
console.log(`test:asan: LD_PRELOAD=${env.LD_PRELOAD} ASAN_OPTIONS=${env.ASAN_OPTIONS}`);
const run = (extraEnv, vitestArgs) =>
  spawnSync(process.execPath, [vitest, 'run', ...vitestArgs], {
    cwd: root,
    env: { ...env, ...extraEnv },
    stdio: 'inherit',
  }).status ?? 1;
const whole = process.argv.length <= 2;
const standIn = 'src/emulator-cublas.test.ts';
let status = run({}, whole && files.length === 0 ? ['--exclude', standIn] : files);
// The whole run (or the emulator's), then the emulator's conformance run again with each tensor
// exactly its size and freed at its release (MYELIN_CUDA_NO_CACHING=1): the caching allocator
// rounds a block up to its size class and keeps it after release, so a kernel stepping just past
// a tensor's end, or a use after release, would land in memory AddressSanitizer counts as allocated.
// The cuBLAS stand-in's run is made only here: its GEMMs read the operands with the glue's leading
// dimensions and strides, and a wrong one reads past the tensor.
if (status === 0 && whole && existsSync(emulator)) {
  console.log(
    'test:asan: the emulator conformance runs (immediate and deferred streams, cuBLAS stand-in) with MYELIN_CUDA_NO_CACHING=1',
  );
  const suffix = process.env.MYELIN_TEST_REPORT_SUFFIX;
  status = run(
    { MYELIN_CUDA_NO_CACHING: '1', ...(suffix === undefined ? {} : { MYELIN_TEST_REPORT_SUFFIX: `${suffix}-exact` }) },
    // Deferred streams with exact blocks: a kernel that runs after its block was freed is a use
    // after free.
    ['src/emulator.test.ts', 'src/emulator-async.test.ts', standIn],
  );
}
process.exit(status);
