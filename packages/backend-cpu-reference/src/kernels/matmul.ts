import type { TypedArray } from '@myelin/core/backend';
import { allocate, type HostTensor } from '../handle.js';
import { unsupported } from '../name.js';

// Register tile (MR x NR accumulators) and cache blocks: a KC x NC panel of B and an MC x KC
// block of A are packed once into contiguous Float64Arrays, so the micro-kernel reads both
// sequentially whatever the transpose flags, and never converts float32 in its inner loop.
const MR = 4;
const NR = 4;
const KC = 256;
const MC = 128;
const NC = 512;

/** Scratch for partial tiles at the matrix edges (kernels run one at a time). */
const edgeTile = new Float64Array(MR * NR);

/**
 * Batched a [B,M,K] (or [B,K,M] with transposeA) times b [B,K,N] (or [B,N,K] with
 * transposeB). Products accumulate in double; float32 results are rounded once at the end.
 */
export function matmul(a: HostTensor, b: HostTensor, transposeA: boolean, transposeB: boolean): HostTensor {
  const dtype = a.dtype;
  if (dtype !== 'float32' && dtype !== 'float64')
    throw unsupported('matmul', dtype, 'matmul runs on float32 and float64');
  const [batch, aRows, aCols] = a.shape as [number, number, number];
  const [, bRows, bCols] = b.shape as [number, number, number];
  const m = transposeA ? aCols : aRows;
  const k = transposeA ? aRows : aCols;
  const n = transposeB ? bRows : bCols;
  const out = allocate(dtype, batch * m * n);
  if (out.length === 0) return { data: out, shape: [batch, m, n], dtype };

  if (k <= KC && m * n * k <= SMALL) {
    smallMatmul(a.data, b.data, out, batch, m, n, k, transposeA, transposeB);
    return { data: out, shape: [batch, m, n], dtype };
  }

  const operands: Operands = {
    a: a.data,
    aRowStride: transposeA ? 1 : k,
    aDepthStride: transposeA ? m : 1,
    b: b.data,
    bColumnStride: transposeB ? k : 1,
    bDepthStride: transposeB ? 1 : n,
  };
  const packedA = new Float64Array(roundUp(Math.min(MC, m), MR) * Math.min(KC, k));
  const packedB = new Float64Array(roundUp(Math.min(NC, n), NR) * Math.min(KC, k));
  // float64 accumulates straight into the output; float32 into a double scratch per batch.
  const direct = out instanceof Float64Array;
  const scratch = direct ? out : new Float64Array(m * n);
  for (let batchIndex = 0; batchIndex < batch; batchIndex++) {
    const cBase = direct ? batchIndex * m * n : 0;
    if (!direct) scratch.fill(0);
    gemm(operands, batchIndex * m * k, batchIndex * k * n, scratch, cBase, m, n, k, packedA, packedB);
    if (!direct) out.set(scratch, batchIndex * m * n);
  }
  return { data: out, shape: [batch, m, n], dtype };
}

/** Products up to this many multiply-adds skip packing (the XOR and small-batch case). */
const SMALL = 4096;

/**
 * Each output is one dot product accumulated in double in k order, as the micro-kernel does
 * when k fits one KC block, so the result is bit-identical to the blocked path, without its
 * packed buffers (which dominate for tiny matrices).
 */
function smallMatmul(
  a: TypedArray,
  b: TypedArray,
  out: TypedArray,
  batch: number,
  m: number,
  n: number,
  k: number,
  transposeA: boolean,
  transposeB: boolean,
): void {
  const aRowStride = transposeA ? 1 : k;
  const aDepthStride = transposeA ? m : 1;
  const bColumnStride = transposeB ? k : 1;
  const bDepthStride = transposeB ? 1 : n;
  for (let batchIndex = 0, o = 0; batchIndex < batch; batchIndex++) {
    const aBase = batchIndex * m * k;
    const bBase = batchIndex * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++, o++) {
        let sum = 0;
        let ai = aBase + i * aRowStride;
        let bi = bBase + j * bColumnStride;
        for (let p = 0; p < k; p++, ai += aDepthStride, bi += bDepthStride) sum += a[ai]! * b[bi]!;
        out[o] = sum;
      }
    }
  }
}

interface Operands {
  readonly a: TypedArray;
  readonly aRowStride: number;
  readonly aDepthStride: number;
  readonly b: TypedArray;
  readonly bColumnStride: number;
  readonly bDepthStride: number;
}

/** c[cBase..] (row-major m x n) += A(m x k) B(k x n) for one batch entry. */
function gemm(
  ops: Operands,
  aBase: number,
  bBase: number,
  c: Float64Array,
  cBase: number,
  m: number,
  n: number,
  k: number,
  packedA: Float64Array,
  packedB: Float64Array,
): void {
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      const bOffset = bBase + pc * ops.bDepthStride + jc * ops.bColumnStride;
      pack(ops.b, bOffset, ops.bColumnStride, ops.bDepthStride, nc, kc, NR, packedB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        pack(
          ops.a,
          aBase + ic * ops.aRowStride + pc * ops.aDepthStride,
          ops.aRowStride,
          ops.aDepthStride,
          mc,
          kc,
          MR,
          packedA,
        );
        for (let jr = 0; jr < nc; jr += NR) {
          const bPanel = jr * kc;
          const cols = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const aPanel = ir * kc;
            const rows = Math.min(MR, mc - ir);
            const cOffset = cBase + (ic + ir) * n + jc + jr;
            if (rows === MR && cols === NR) {
              microKernel(packedA, aPanel, packedB, bPanel, kc, c, cOffset, n);
            } else {
              // Partial tile at the right or bottom edge: compute a full tile, add its valid part.
              edgeTile.fill(0);
              microKernel(packedA, aPanel, packedB, bPanel, kc, edgeTile, 0, NR);
              for (let r = 0; r < rows; r++) {
                for (let col = 0; col < cols; col++) c[cOffset + r * n + col]! += edgeTile[r * NR + col]!;
              }
            }
          }
        }
      }
    }
  }
}

/**
 * Packs `lines` lines (rows of A or columns of B) of `depth` values into panels of `width`
 * lines, laid out [panel][depth][width] and zero-padded to a whole panel.
 */
function pack(
  source: TypedArray,
  base: number,
  lineStride: number,
  depthStride: number,
  lines: number,
  depth: number,
  width: number,
  target: Float64Array,
): void {
  let t = 0;
  for (let first = 0; first < lines; first += width) {
    const live = Math.min(width, lines - first);
    const panelBase = base + first * lineStride;
    for (let d = 0; d < depth; d++) {
      const s = panelBase + d * depthStride;
      let line = 0;
      for (; line < live; line++) target[t++] = source[s + line * lineStride]!;
      for (; line < width; line++) target[t++] = 0;
    }
  }
}

/** c[4x4 at co, row stride ldc] += packed A panel (4 x kc) times packed B panel (kc x 4). */
function microKernel(
  a: Float64Array,
  ai: number,
  b: Float64Array,
  bi: number,
  kc: number,
  c: Float64Array,
  co: number,
  ldc: number,
): void {
  let c00 = 0,
    c01 = 0,
    c02 = 0,
    c03 = 0;
  let c10 = 0,
    c11 = 0,
    c12 = 0,
    c13 = 0;
  let c20 = 0,
    c21 = 0,
    c22 = 0,
    c23 = 0;
  let c30 = 0,
    c31 = 0,
    c32 = 0,
    c33 = 0;
  for (let p = 0; p < kc; p++, ai += MR, bi += NR) {
    const b0 = b[bi]!,
      b1 = b[bi + 1]!,
      b2 = b[bi + 2]!,
      b3 = b[bi + 3]!;
    let x = a[ai]!;
    c00 += x * b0;
    c01 += x * b1;
    c02 += x * b2;
    c03 += x * b3;
    x = a[ai + 1]!;
    c10 += x * b0;
    c11 += x * b1;
    c12 += x * b2;
    c13 += x * b3;
    x = a[ai + 2]!;
    c20 += x * b0;
    c21 += x * b1;
    c22 += x * b2;
    c23 += x * b3;
    x = a[ai + 3]!;
    c30 += x * b0;
    c31 += x * b1;
    c32 += x * b2;
    c33 += x * b3;
  }
  c[co]! += c00;
  c[co + 1]! += c01;
  c[co + 2]! += c02;
  c[co + 3]! += c03;
  co += ldc;
  c[co]! += c10;
  c[co + 1]! += c11;
  c[co + 2]! += c12;
  c[co + 3]! += c13;
  co += ldc;
  c[co]! += c20;
  c[co + 1]! += c21;
  c[co + 2]! += c22;
  c[co + 3]! += c23;
  co += ldc;
  c[co]! += c30;
  c[co + 1]! += c31;
  c[co + 2]! += c32;
  c[co + 3]! += c33;
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}
