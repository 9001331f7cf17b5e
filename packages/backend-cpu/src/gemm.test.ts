// OpenBLAS against the built-in GEMM, and determinism for a given thread count.
import type { BackendHandle, DType } from '@myelin/core/backend';
import { describe, expect, it } from 'vitest';
import { createCpuBackend, probeSync, type CpuBackend } from './index.js';

const blasLoaded = probeSync().details?.openblas === undefined;

/** A small seeded generator (xorshift) for test matrices. */
function randoms(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

function matmul(b: CpuBackend, dtype: DType, [batch, m, k, n]: number[], ta: boolean, tb: boolean): Float64Array {
  const a = b.fromData(randoms(batch! * m! * k!, 1), ta ? [batch!, k!, m!] : [batch!, m!, k!], dtype);
  const w = b.fromData(randoms(batch! * k! * n!, 2), tb ? [batch!, n!, k!] : [batch!, k!, n!], dtype);
  const c = b.matmul(a, w, ta, tb);
  const out = Float64Array.from(b.readSync!(c));
  for (const h of [a, w, c] as BackendHandle[]) b.dispose(h);
  return out;
}

/** The four transpose pairs (transposeA, transposeB). */
const TRANSPOSES = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

/** The largest absolute difference between two results. */
function worstDifference(expected: Float64Array, actual: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  return worst;
}

const SHAPES = [
  [1, 1, 1, 1],
  [1, 33, 17, 9],
  [2, 13, 300, 47],
  [1, 257, 129, 515],
  // the narrow kernel: few columns (a 10-class layer), few rows (its weight gradient), exactly
  // one vector of columns, and enough rows to split across threads
  [1, 64, 128, 10],
  [1, 10, 64, 128],
  [2, 70, 50, 16],
  [1, 600, 100, 7],
  // the dot-product form (n <= 16, k not a multiple of a vector, 1-3 trailing columns) and the
  // few-rows form (several row groups, a partial strip of columns)
  [1, 37, 45, 3],
  [1, 9, 200, 15],
  [1, 13, 70, 100],
  [2, 16, 33, 37],
];

describe.skipIf(!blasLoaded)('built-in GEMM agrees with OpenBLAS', () => {
  // Created on first use: describe.skipIf still runs this body where OpenBLAS is missing.
  let pair: { blas: CpuBackend; builtin: CpuBackend } | null = null;
  const backends = () =>
    (pair ??= {
      blas: createCpuBackend({ threads: 2, gemm: 'openblas' }),
      builtin: createCpuBackend({ threads: 2, gemm: 'builtin' }),
    });
  for (const dtype of ['float32', 'float64'] as const) {
    for (const shape of SHAPES) {
      for (const [ta, tb] of TRANSPOSES) {
        it(`${dtype} ${shape.join('x')} transposeA=${ta} transposeB=${tb}`, () => {
          const { blas, builtin } = backends();
          const expected = matmul(blas, dtype, shape, ta, tb);
          const actual = matmul(builtin, dtype, shape, ta, tb);
          // Each entry is a sum of k products of values in [-1, 1].
          const tolerance = (dtype === 'float32' ? 2e-6 : 1e-13) * shape[2]!;
          expect(worstDifference(expected, actual)).toBeLessThanOrEqual(tolerance);
        });
      }
    }
  }
});

describe('results are deterministic for a given thread count', () => {
  /** A matmul, a bias add, a column sum and a softmax-like row reduction on large inputs. */
  function run(b: CpuBackend): Float64Array[] {
    const x = b.fromData(randoms(300 * 400, 3), [1, 300, 400], 'float32');
    const w = b.fromData(randoms(400 * 200, 4), [1, 200, 400], 'float32');
    const bias = b.fromData(randoms(200, 5), [200], 'float32');
    const y = b.matmul(x, w, false, true);
    const z = b.binary('add', y, bias, [1, 300, 200]);
    const cols = b.reduce('sum', z, [1], false);
    const rows = b.reduce('max', z, [2], false);
    const all = b.reduce('sum', z, [0, 1, 2], false);
    const e = b.unary('exp', b.unary('neg', z));
    const out = [y, z, cols, rows, all, e].map((h) => Float64Array.from(b.readSync!(h)));
    return out;
  }

  it('the narrow and few-rows built-in GEMM forms give the same bits on 1 and 2 threads', () => {
    const shapes: [number[], boolean, boolean][] = [
      [[1, 600, 100, 10], false, true],
      [[1, 601, 77, 3], false, true],
      [[1, 10, 600, 300], true, false],
      [[1, 14, 90, 333], false, false],
    ];
    for (const [shape, ta, tb] of shapes) {
      const one = matmul(createCpuBackend({ threads: 1, gemm: 'builtin' }), 'float32', shape, ta, tb);
      const two = matmul(createCpuBackend({ threads: 2, gemm: 'builtin' }), 'float32', shape, ta, tb);
      expect(two).toEqual(one);
    }
  });

  it.skipIf(!blasLoaded)(
    '(skipped without OpenBLAS: install libopenblas0) OpenBLAS on the pool: row and column slices of C, every transpose, agree with one call',
    () => {
      const one = createCpuBackend({ threads: 1, gemm: 'openblas' });
      const three = createCpuBackend({ threads: 3, gemm: 'openblas' });
      // [batch, m, k, n]: split by rows (m > n), by columns (n >= m) in a batch, three slices of
      // 16, 16 and 18 columns, and a product too small to split.
      const shapes = [
        [1, 301, 70, 40],
        [2, 37, 90, 515],
        [1, 50, 128, 50],
        [1, 20, 30, 20],
      ];
      for (const shape of shapes) {
        for (const [ta, tb] of TRANSPOSES) {
          const expected = matmul(one, 'float32', shape, ta, tb);
          const actual = matmul(three, 'float32', shape, ta, tb);
          expect(worstDifference(expected, actual), `${shape.join('x')} ta=${ta} tb=${tb}`).toBeLessThanOrEqual(
            2e-6 * shape[2]!,
          );
        }
      }
    },
  );

  it("a batch of products split across threads by entry (attention's heads) agrees with one thread", () => {
    // [batch, m, k, n]: as many entries as threads and more, x W^T with k <= 128 (the built-in
    // kernel in auto mode) and the other forms (OpenBLAS in auto mode).
    const shapes = [
      [2, 64, 32, 64],
      [7, 40, 33, 70],
      [8, 128, 32, 128],
    ];
    for (const gemm of ['auto', 'builtin', ...(blasLoaded ? ['openblas' as const] : [])] as const) {
      const one = createCpuBackend({ threads: 1, gemm });
      const two = createCpuBackend({ threads: 2, gemm });
      for (const dtype of ['float32', 'float64'] as const)
        for (const shape of shapes)
          for (const [ta, tb] of TRANSPOSES) {
            const expected = matmul(one, dtype, shape, ta, tb);
            const actual = matmul(two, dtype, shape, ta, tb);
            const label = `${gemm} ${dtype} ${shape.join('x')} ta=${ta} tb=${tb}`;
            // Each entry is one single-threaded product either way: the same bits.
            expect(worstDifference(expected, actual), label).toBe(0);
          }
    }
  });

  for (const gemm of ['builtin', ...(blasLoaded ? ['openblas' as const] : [])] as const) {
    it(`gemm ${gemm}: threads=1 twice, threads=2 twice`, () => {
      const one = [run(createCpuBackend({ threads: 1, gemm })), run(createCpuBackend({ threads: 1, gemm }))];
      const two = [run(createCpuBackend({ threads: 2, gemm })), run(createCpuBackend({ threads: 2, gemm }))];
      expect(one[1]).toEqual(one[0]);
      expect(two[1]).toEqual(two[0]);
      // Our own kernels split work so that each output is computed the same way on any count.
      if (gemm === 'builtin') expect(two[0]).toEqual(one[0]);
    });
  }
});

describe('thread pool', () => {
  it('runs 500 back-to-back parallel kernels with 2 threads without losing or repeating a chunk', () => {
    const b = createCpuBackend({ threads: 2 });
    const n = 100_000;
    const x = b.fromData(randoms(n, 9), [n], 'float32');
    const expected = Float32Array.from(b.readSync!(x), (v) => Math.fround(v + v));
    for (let i = 0; i < 500; i++) {
      const y = b.binary('add', x, x, [n]);
      if (i % 50 === 0) expect(b.readSync!(y)).toEqual(expected);
      b.dispose(y);
    }
    b.dispose(x);
  });
});
