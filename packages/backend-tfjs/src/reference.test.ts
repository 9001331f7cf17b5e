// Seeded comparisons against plain-loop references, for the kernels with index arithmetic.
import type { Backend } from '@myelin/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpuBackend, expectHandle, make, meta, take } from './test-helpers.js';

let b: Backend;
beforeAll(async () => {
  b = await cpuBackend();
});

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const size = (s: readonly number[]): number => s.reduce((a, d) => a * d, 1);
const floats = (r: () => number, n: number): number[] =>
  Array.from({ length: n }, () => Math.fround(Math.round((r() * 8 - 4) * 4) / 4));

describe('gather / scatterAdd adjointness', () => {
  it('<gather(x, i), u> equals <x, scatterAdd(u, i)> for random shapes and axes', async () => {
    const r = rng(7);
    for (let trial = 0; trial < 40; trial++) {
      const rank = 1 + Math.floor(r() * 3);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(r() * 3));
      const axis = Math.floor(r() * rank);
      const idxShape = Array.from({ length: Math.floor(r() * 3) }, () => Math.floor(r() * 3));
      const dim = shape[axis]!;
      const idxVals = Array.from({ length: size(idxShape) }, () => Math.floor(r() * dim));
      const outShape = [...shape.slice(0, axis), ...idxShape, ...shape.slice(axis + 1)];
      const xv = floats(r, size(shape));
      const uv = floats(r, size(outShape));
      const x = make(b, xv, shape);
      const i = make(b, idxVals, idxShape, 'int32');
      const u = make(b, uv, outShape);
      const g = b.gather(x, i, axis);
      const s = b.scatterAdd(u, i, axis, dim);
      expect(meta(g).shape).toEqual(outShape);
      expect(meta(s).shape).toEqual(shape);
      const gv = await take(b, g);
      const sv = await take(b, s);
      const lhs = gv.reduce((acc, v, k) => acc + v * uv[k]!, 0);
      const rhs = sv.reduce((acc, v, k) => acc + v * xv[k]!, 0);
      expect(lhs).toBeCloseTo(rhs, 9); // quarter-integers: exact in float32
      for (const h of [x, i, u]) b.dispose(h);
    }
  });
});

/** Reference batched matmul with transpose flags, accumulated in double, rounded once. */
function refMatmul(a: number[], b: number[], [B, M, K, N]: number[], tA: boolean, tB: boolean): number[] {
  const out: number[] = [];
  for (let p = 0; p < B!; p++)
    for (let m = 0; m < M!; m++)
      for (let n = 0; n < N!; n++) {
        let acc = 0;
        for (let k = 0; k < K!; k++) {
          const av = a[p * M! * K! + (tA ? k * M! + m : m * K! + k)]!;
          const bv = b[p * K! * N! + (tB ? n * K! + k : k * N! + n)]!;
          acc += av * bv;
        }
        out.push(acc);
      }
  return out;
}

describe('matmul against a loop', () => {
  it('matches for random sizes and flags', async () => {
    const r = rng(11);
    for (let trial = 0; trial < 24; trial++) {
      const [B, M, K, N] = Array.from({ length: 4 }, () => Math.floor(r() * 4)) as [number, number, number, number];
      const tA = r() < 0.5;
      const tB = r() < 0.5;
      const av = floats(r, B * M * K);
      const bv = floats(r, B * K * N);
      const a = make(b, av, tA ? [B, K, M] : [B, M, K]);
      const c = make(b, bv, tB ? [B, N, K] : [B, K, N]);
      await expectHandle(b, b.matmul(a, c, tA, tB), [B, M, N], refMatmul(av, bv, [B, M, K, N], tA, tB));
      b.dispose(a);
      b.dispose(c);
    }
  });
});

describe('reductions and argmax against loops', () => {
  it('match over every axis subset of a rank-3 tensor', async () => {
    const r = rng(3);
    const shape = [2, 3, 4];
    const xv = floats(r, 24);
    xv[5] = xv[6]!; // a tie
    const x = make(b, xv, shape);
    const at = (i: number, j: number, k: number): number => xv[i * 12 + j * 4 + k]!;
    for (let mask = 1; mask < 8; mask++) {
      const axes = [0, 1, 2].filter((a) => mask & (1 << a));
      const sums = new Map<string, number>();
      const maxs = new Map<string, number>();
      for (let i = 0; i < 2; i++)
        for (let j = 0; j < 3; j++)
          for (let k = 0; k < 4; k++) {
            const key = [i, j, k].filter((_, a) => !axes.includes(a)).join(',');
            sums.set(key, (sums.get(key) ?? 0) + at(i, j, k));
            maxs.set(key, Math.max(maxs.get(key) ?? -Infinity, at(i, j, k)));
          }
      const outShape = shape.filter((_, a) => !axes.includes(a));
      await expectHandle(b, b.reduce('sum', x, axes, false), outShape, [...sums.values()]);
      await expectHandle(b, b.reduce('max', x, axes, false), outShape, [...maxs.values()]);
    }
    for (let axis = 0; axis < 3; axis++) {
      const want: number[] = [];
      const outShape = shape.filter((_, a) => a !== axis);
      const strides = [12, 4, 1];
      for (let o = 0; o < size(outShape); o++) {
        const coords = outShape.map((_, d) => Math.floor(o / size(outShape.slice(d + 1))) % outShape[d]!);
        coords.splice(axis, 0, 0);
        let best = 0;
        for (let t = 0; t < shape[axis]!; t++) {
          coords[axis] = t;
          const v = xv[coords.reduce((acc, c, d) => acc + c * strides[d]!, 0)]!;
          coords[axis] = best;
          if (v > xv[coords.reduce((acc, c, d) => acc + c * strides[d]!, 0)]!) best = t;
        }
        want.push(best);
      }
      await expectHandle(b, b.argmax(x, axis), outShape, want, 'int32');
    }
    b.dispose(x);
  });
});

describe('handles', () => {
  it('were all disposed by the tests above', () => {
    expect(b.liveHandles()).toBe(0);
  });
});
