#!/usr/bin/env node
// Quick GEMM figures: the built-in kernel against OpenBLAS, same process, interleaved.
//   node scripts/bench-gemm.mjs [threads=1] [sizes=1024,64x784x128]
// A size is n (square) or MxKxN. Prints the median GFLOP/s of each and the ratio.
import { createCpuBackend, probeSync } from '../dist/index.js';

const threads = Number(process.argv[2] ?? 1);
const sizes = (process.argv[3] ?? '1024,64x784x128,64x128x784,784x64x128').split(',');
const backends = {
  builtin: createCpuBackend({ threads, gemm: 'builtin' }),
  openblas: createCpuBackend({ threads, gemm: 'openblas' }),
};
const { simd, details } = probeSync();
console.log(`threads ${threads}; kernels ${simd}; OpenBLAS ${details?.openblas ?? 'loaded'}`);
for (const size of sizes) {
  const [m, k, n] = size.includes('x') ? size.split('x').map(Number) : [Number(size), Number(size), Number(size)];
  const flops = 2 * m * k * n;
  const times = { builtin: [], openblas: [] };
  const handles = {};
  for (const [name, b] of Object.entries(backends)) {
    handles[name] = [b.fill([1, m, k], 0.5, 'float32'), b.fill([1, k, n], 0.25, 'float32')];
  }
  const reps = Math.max(3, Math.min(200, Math.round(2e9 / flops)));
  for (let round = 0; round < 7; round++) {
    for (const [name, b] of Object.entries(backends)) {
      const [a, w] = handles[name];
      b.dispose(b.matmul(a, w, false, false));
      const start = process.hrtime.bigint();
      for (let r = 0; r < reps; r++) b.dispose(b.matmul(a, w, false, false));
      times[name].push(Number(process.hrtime.bigint() - start) / 1e9 / reps);
    }
  }
  const median = (xs) => xs.sort((x, y) => x - y)[xs.length >> 1];
  const gf = (name) => flops / median(times[name]) / 1e9;
  console.log(
    `${m}x${k}x${n}: built-in ${gf('builtin').toFixed(1)} GFLOP/s, OpenBLAS ${gf('openblas').toFixed(1)} GFLOP/s, ratio ${(gf('builtin') / gf('openblas')).toFixed(2)}`,
  );
}
