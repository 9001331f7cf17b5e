import { UnsupportedOpError } from '@myelin/core';
import { afterEach, describe, expect, it } from 'vitest';
import { arrayType, backend, releaseInputs, seeded, take, tensor } from '../test-utils.js';

afterEach(releaseInputs);

/** Naive batched product of logical A [B,M,K] and B [B,K,N] in double. */
function naive(a: number[], b: number[], batch: number, m: number, k: number, n: number): number[] {
  const out = new Array<number>(batch * m * n).fill(0);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) sum += a[(t * m + i) * k + p]! * b[(t * k + p) * n + j]!;
        out[(t * m + i) * n + j] = sum;
      }
    }
  }
  return out;
}

/** Stores each [rows, cols] matrix of a batch transposed, as [cols, rows]. */
function transposed(values: number[], batch: number, rows: number, cols: number): number[] {
  const out = new Array<number>(values.length);
  for (let t = 0; t < batch; t++) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) out[(t * cols + c) * rows + r] = values[(t * rows + r) * cols + c]!;
    }
  }
  return out;
}

function check(batch: number, m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): void {
  const a = seeded(batch * m * k, m + 31 * k);
  const b = seeded(batch * k * n, n + 17 * k);
  const want = naive(a, b, batch, m, k, n);
  const ha = transposeA
    ? tensor(transposed(a, batch, m, k), [batch, k, m], 'float64')
    : tensor(a, [batch, m, k], 'float64');
  const hb = transposeB
    ? tensor(transposed(b, batch, k, n), [batch, n, k], 'float64')
    : tensor(b, [batch, k, n], 'float64');
  const got = take(backend.matmul(ha, hb, transposeA, transposeB));
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i]! - want[i]!) > 1e-12 * (1 + Math.abs(want[i]!))) {
      expect.fail(
        `[${batch},${m},${k}]x[${batch},${k},${n}] tA=${transposeA} tB=${transposeB}: index ${i} got ${got[i]} want ${want[i]}`,
      );
    }
  }
}

describe('matmul', () => {
  it('multiplies a hand-checked 2x3 by 3x2', () => {
    const a = tensor([1, 2, 3, 4, 5, 6], [1, 2, 3]);
    const b = tensor([7, 8, 9, 10, 11, 12], [1, 3, 2]);
    const out = backend.matmul(a, b, false, false);
    expect(arrayType(out)).toBe('Float32Array');
    expect(take(out)).toEqual([58, 64, 139, 154]);
  });

  it('honours each transpose flag on the same hand-checked product', () => {
    const aT = tensor([1, 4, 2, 5, 3, 6], [1, 3, 2]);
    const bT = tensor([7, 9, 11, 8, 10, 12], [1, 2, 3]);
    const a = tensor([1, 2, 3, 4, 5, 6], [1, 2, 3]);
    const b = tensor([7, 8, 9, 10, 11, 12], [1, 3, 2]);
    expect(take(backend.matmul(aT, b, true, false))).toEqual([58, 64, 139, 154]);
    expect(take(backend.matmul(a, bT, false, true))).toEqual([58, 64, 139, 154]);
    expect(take(backend.matmul(aT, bT, true, true))).toEqual([58, 64, 139, 154]);
  });

  it('matches a naive product for ragged shapes and every flag combination', () => {
    const shapes: [number, number, number, number][] = [
      [1, 1, 1, 1],
      [2, 3, 5, 7],
      [3, 4, 4, 4],
      [1, 9, 1, 6],
      [2, 1, 13, 1],
      [1, 17, 23, 5],
    ];
    for (const [batch, m, k, n] of shapes) {
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) check(batch, m, k, n, transposeA, transposeB);
      }
    }
  });

  it('small products (no packing) are bit-identical to the packed path', () => {
    // Rows of C depend only on rows of A: 2 rows (640 multiply-adds) run unpacked, 24 rows packed.
    const [m, k, n] = [24, 16, 20];
    const a = seeded(m * k, 5);
    const b = seeded(k * n, 6);
    for (const dtype of ['float32', 'float64'] as const) {
      for (const transposeB of [false, true]) {
        const hb = tensor(transposeB ? transposed(b, 1, k, n) : b, transposeB ? [1, n, k] : [1, k, n], dtype);
        const big = take(backend.matmul(tensor(a, [1, m, k], dtype), hb, false, transposeB));
        const small = take(backend.matmul(tensor(a.slice(0, 2 * k), [1, 2, k], dtype), hb, false, transposeB));
        expect(small).toEqual(big.slice(0, 2 * n));
      }
    }
  });

  it('crosses every cache block boundary (K > 256, M > 128, N > 512)', () => {
    check(1, 131, 300, 517, false, false);
    check(1, 130, 259, 514, true, true);
    check(2, 6, 513, 9, false, true);
  });

  it('handles size-0 dimensions: K = 0 gives zeros, M or N = 0 gives nothing', () => {
    expect(take(backend.matmul(tensor([], [1, 2, 0]), tensor([], [1, 0, 3]), false, false))).toEqual([
      0, 0, 0, 0, 0, 0,
    ]);
    expect(take(backend.matmul(tensor([], [1, 0, 2]), tensor([1, 2, 3, 4], [1, 2, 2]), false, false))).toEqual([]);
    expect(take(backend.matmul(tensor([], [0, 2, 2]), tensor([], [0, 2, 2]), false, false))).toEqual([]);
  });

  it('float64 keeps double precision; float32 rounds once at the end', () => {
    const a = tensor([0.1, 0.2], [1, 1, 2], 'float64');
    const b = tensor([0.3, 0.4], [1, 2, 1], 'float64');
    expect(take(backend.matmul(a, b, false, false))).toEqual([0.1 * 0.3 + 0.2 * 0.4]);
    const f = (x: number) => Math.fround(x);
    const a32 = tensor([0.1, 0.2], [1, 1, 2]);
    const b32 = tensor([0.3, 0.4], [1, 2, 1]);
    expect(take(backend.matmul(a32, b32, false, false))).toEqual([f(f(0.1) * f(0.3) + f(0.2) * f(0.4))]);
  });

  it('keeps batches apart', () => {
    const a = tensor([1, 2], [2, 1, 1]);
    const b = tensor([3, 4, 5, 6], [2, 1, 2]);
    expect(take(backend.matmul(a, b, false, false))).toEqual([3, 4, 10, 12]);
  });

  it('throws UnsupportedOpError for int32 and bool', () => {
    const x = tensor([1], [1, 1, 1], 'int32');
    expect(() => backend.matmul(x, x, false, false)).toThrow(UnsupportedOpError);
    const y = tensor([1], [1, 1, 1], 'bool');
    expect(() => backend.matmul(y, y, false, false)).toThrow(/matmul/);
  });

  it('leaves no handle behind', () => {
    expect(backend.liveHandles()).toBe(0);
  });
});
