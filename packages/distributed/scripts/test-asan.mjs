#!/usr/bin/env node
// Runs the binding's tests (collectives under mpirun) against the AddressSanitizer + UBSan build
// (dist/native-asan, made by `build:asan`). `pnpm test` runs the same check in
// collectives.test.ts; this is the stand-alone entry.
//   pnpm --filter @myelin/distributed test:asan
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { asanEnvironment } from '@myelin/native-build';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { env: sanitizer, error } = asanEnvironment();
const env = { MYELIN_MPI_SANITIZE: '1', ...sanitizer };
if (error) {
  console.error(`test:asan: ${error}`);
  process.exit(1);
}
if (!existsSync(path.join(root, 'dist/native-asan/myelin_mpi.node'))) {
  console.error(
    'test:asan: dist/native-asan/myelin_mpi.node is missing: run `pnpm --filter @myelin/distributed build:asan` first',
  );
  process.exit(1);
}
console.log(`test:asan: LD_PRELOAD=${env.LD_PRELOAD} ASAN_OPTIONS=${env.ASAN_OPTIONS}`);
const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
const result = spawnSync(process.execPath, [vitest, 'run', 'src/collectives.test.ts', ...process.argv.slice(2)], {
  cwd: root,
  env: { ...process.env, MYELIN_DISTRIBUTED_ASAN_ONLY: '1' },
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
