import { availableParallelism } from 'node:os';
import type { BackendProbe } from '@myelin/core/backend';
import { addonPath, loadAddon } from './native.js';

/** What `probe()` reports: core's BackendProbe plus the GEMM, SIMD level and threads in use. */
export interface CpuProbe extends BackendProbe {
  /** e.g. 'openblas (/usr/lib/x86_64-linux-gnu/libopenblas.so.0)' or 'built-in avx512'. */
  gemm?: string;
  /** The instruction set of our kernels: 'avx512', 'avx2' or 'generic'. */
  simd?: string;
  /** Threads the addon is configured with (the last backend created or used). */
  threads?: number;
}

/** Whether the addon loads here, and which GEMM and instruction set it uses. Never throws. */
export function probeSync(): CpuProbe {
  const result = loadAddon();
  if (result.addon === undefined) return { usable: false, reason: result.error, details: { addon: result.path } };
  const native = result.addon.probe();
  // Before any backend configured the addon, report the default a new backend would use.
  const threads =
    native.threads > 0 ? native.threads : Number(process.env.MYELIN_CPU_THREADS) || availableParallelism();
  const details: Record<string, string> = {
    addon: result.path,
    gemm: native.gemm,
    simd: native.simd,
    threads: String(threads),
    memory:
      native.memory === 'exact'
        ? 'exact: each tensor its own allocation, freed at release (MYELIN_CPU_NO_CACHING=1; slower, for memory checkers)'
        : 'pooled (size classes, reused)',
  };
  if (native.blasError)
    details.openblas = `not loaded (${native.blasError}): the built-in GEMM runs; install libopenblas0 for OpenBLAS`;
  return { usable: true, gemm: native.gemm, simd: native.simd, threads, details };
}

/** probeSync() as a promise, like the other backend packages' probe(). */
export function probe(): Promise<CpuProbe> {
  return Promise.resolve(probeSync());
}

export { addonPath };
