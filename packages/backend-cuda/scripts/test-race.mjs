#!/usr/bin/env node
// The race check: the whole conformance suite (src/emulator.test.ts) on the emulator's
// ThreadSanitizer build (dist/native-emu-tsan, made by `build-emulator.mjs --race`), which
// reports any two accesses to one address, one a write, that a GPU could run in either order:
// between the threads of a block (a missing __syncthreads, shared memory reused too early) and
// between neighbouring blocks (see native/emulator/emulator.cc). Node is not instrumented, so
// gcc's libtsan is preloaded; the first report ends the run with exit code 66.
//   pnpm --filter @myelin/backend-cuda test:race [vitest args]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsanEnvironment } from '@myelin/native-build';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const directory = path.join(root, 'dist/native-emu-tsan');
if (!existsSync(path.join(directory, 'myelin_cuda.node'))) {
  const marker = path.join(directory, 'BUILD-FAILED.txt');
  if (existsSync(marker)) {
    console.log(`test:race: skipped, the race check build was not made: ${readFileSync(marker, 'utf8').trim()}`);
    process.exit(0);
  }
  console.error(
    'test:race: dist/native-emu-tsan/myelin_cuda.node is missing: run `node scripts/build-emulator.mjs --race` first',
  );
  process.exit(1);
}
const sanitizer = tsanEnvironment();
if (sanitizer.error) {
  console.error(`test:race: ${sanitizer.error}`);
  process.exit(1);
}
const files = process.argv.slice(2);
const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
const env = { ...process.env, MYELIN_CUDA_RACECHECK: '1', ...sanitizer.env };
console.log(`test:race: LD_PRELOAD=${env.LD_PRELOAD} TSAN_OPTIONS=${env.TSAN_OPTIONS}`);
const result = spawnSync(
  process.execPath,
  [vitest, 'run', ...(files.length ? files : ['src/emulator.test.ts', 'src/race-check.race.test.ts'])],
  {
    cwd: root,
    env,
    stdio: 'inherit',
  },
);
if (result.status === 66) console.error('test:race: ThreadSanitizer reported a data race (above)');
process.exit(result.status ?? 1);
