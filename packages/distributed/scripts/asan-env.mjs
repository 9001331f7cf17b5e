// The environment that runs Node with the AddressSanitizer + UBSan build of the addon: gcc's
// libasan preloaded (Node is not instrumented), leak detection off (Node leaks at exit by design).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** { LD_PRELOAD, ASAN_OPTIONS, UBSAN_OPTIONS, MYELIN_MPI_SANITIZE }, or an error naming what is missing. */
export function asanEnvironment() {
  const cxx = process.env.CXX || 'g++';
  const lib = (name) => spawnSync(cxx, [`-print-file-name=${name}`], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const asan = lib('libasan.so');
  const ubsan = lib('libubsan.so');
  if (!path.isAbsolute(asan) || !existsSync(asan))
    return { error: `${cxx} does not know libasan.so (got '${asan}'); install g++ (it ships libasan)` };
  return {
    env: {
      MYELIN_MPI_SANITIZE: '1',
      LD_PRELOAD: [asan, path.isAbsolute(ubsan) && existsSync(ubsan) ? ubsan : ''].filter(Boolean).join(' '),
      // Open MPI's own libraries are not instrumented and keep allocations until exit: no leak checks.
      ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? 'detect_leaks=0:abort_on_error=1:halt_on_error=1',
      UBSAN_OPTIONS: process.env.UBSAN_OPTIONS ?? 'print_stacktrace=1:halt_on_error=1',
    },
  };
}
