import { ArgumentError, ShapeError, type Conv2dKernelOptions } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from './index.js';

const backend = createCpuBackend({ threads: 2 });
const options = (s = 1, p = 0, d = 1, groups = 1): Conv2dKernelOptions => ({
  stride: [s, s],
  padding: [p, p],
  dilation: [d, d],
  groups,
});
const values = (n: number, seed: number) => Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed));
const size = (s: readonly number[]) => s.reduce((a, d) => a * d, 1);

/**
 * Direct loops in double: y, dx, dw, db for x, w, bias and the output gradient g, and for each
 * value the sum of its terms' magnitudes (what bounds float32's rounding of that sum).
 */
function referenceConv(
  xs: number[],
  ws: number[],
  x: Float64Array,
  w: Float64Array,
  bias: Float64Array,
  g: Float64Array,
  o: Conv2dKernelOptions,
) {
  const [n, c, h, wd] = xs as [number, number, number, number];
  const [oc, cg, kh, kw] = ws as [number, number, number, number];
  const outH = Math.floor((h + 2 * o.padding[0] - o.dilation[0] * (kh - 1) - 1) / o.stride[0]) + 1;
  const outW = Math.floor((wd + 2 * o.padding[1] - o.dilation[1] * (kw - 1) - 1) / o.stride[1]) + 1;
  const y = new Float64Array(n * oc * outH * outW);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  const db = new Float64Array(oc);
  const [ym, dxm, dwm, dbm] = [y, dx, dw, db].map((a) => new Float64Array(a.length)) as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  const og = oc / o.groups;
  for (let b = 0; b < n; b++)
    for (let f = 0; f < oc; f++)
      for (let i = 0; i < outH; i++)
        for (let j = 0; j < outW; j++) {
          const yi = ((b * oc + f) * outH + i) * outW + j;
          let total = bias[f]!;
          let magnitude = Math.abs(bias[f]!);
          db[f] = db[f]! + g[yi]!;
          dbm[f] = dbm[f]! + Math.abs(g[yi]!);
          for (let ch = 0; ch < cg; ch++)
            for (let p = 0; p < kh; p++)
              for (let q = 0; q < kw; q++) {
                const row = i * o.stride[0] - o.padding[0] + p * o.dilation[0];
                const col = j * o.stride[1] - o.padding[1] + q * o.dilation[1];
                if (row < 0 || row >= h || col < 0 || col >= wd) continue;
                const xi = ((b * c + Math.floor(f / og) * cg + ch) * h + row) * wd + col;
                const wi = ((f * cg + ch) * kh + p) * kw + q;
                total += x[xi]! * w[wi]!;
                magnitude += Math.abs(x[xi]! * w[wi]!);
                dx[xi] = dx[xi]! + g[yi]! * w[wi]!;
                dxm[xi] = dxm[xi]! + Math.abs(g[yi]! * w[wi]!);
                dw[wi] = dw[wi]! + g[yi]! * x[xi]!;
                dwm[wi] = dwm[wi]! + Math.abs(g[yi]! * x[xi]!);
              }
          y[yi] = total;
          ym[yi] = magnitude;
        }
  return { out: [y, dx, dw, db], magnitudes: [ym, dxm, dwm, dbm], yShape: [n, oc, outH, outW] };
}

interface ConvCase {
  x: number[];
  w: number[];
  o: Conv2dKernelOptions;
}

/** conv2d and conv2dBackward (every gradient) of each case against referenceConv. */
async function matchesReference(cases: readonly ConvCase[], dtype: 'float32' | 'float64'): Promise<void> {
  const Array_ = dtype === 'float32' ? Float32Array : Float64Array;
  for (const { x, w, o } of cases) {
    // values rounded to the dtype first, so both sides see the same inputs
    const [xv, wv, bv] = [values(size(x), 1), values(size(w), 2), values(w[0]!, 3)].map(
      (v) => new Float64Array(new Array_(v)),
    ) as [Float64Array, Float64Array, Float64Array];
    const probe = referenceConv(x, w, xv, wv, bv, new Float64Array(0), o);
    const gv = new Float64Array(new Array_(values(size(probe.yShape), 4)));
    const reference = referenceConv(x, w, xv, wv, bv, gv, o);
    const theirs = reference.out.map((v) => Array.from(v));
    const xh = backend.fromData(new Array_(xv), x, dtype);
    const wh = backend.fromData(new Array_(wv), w, dtype);
    const bh = backend.fromData(new Array_(bv), [w[0]!], dtype);
    const y = backend.fused!.conv2d!(xh, wh, bh, o);
    const g = backend.fromData(new Array_(gv), probe.yShape, dtype);
    const grads = backend.fused!.conv2dBackward!(g, xh, wh, o, { input: true, weight: true, bias: true });
    const handles = [y, grads.input!, grads.weight!, grads.bias!];
    const ours = await Promise.all(handles.map(async (h) => Array.from(await backend.read(h))));
    for (const h of [...handles, xh, wh, bh, g]) backend.dispose(h);
    // Relative to the sum of the terms' magnitudes: a weight gradient sums thousands of products,
    // and float32's rounding grows with them (a wrong tap is off by the size of its terms).
    const tolerance = dtype === 'float32' ? 2e-5 : 1e-12;
    ours.forEach((got, i) => {
      expect(got.length).toBe(theirs[i]!.length);
      const magnitudes = reference.magnitudes[i]!;
      const worst = got.reduce((m, v, j) => Math.max(m, Math.abs(v - theirs[i]![j]!) / (1 + magnitudes[j]!)), 0);
      expect(worst, `${dtype} x [${x.join(', ')}] output ${i}`).toBeLessThan(tolerance);
    });
  }
}

describe('fused conv2d (native: im2col + GEMM)', () => {
  it('matches the reference loops forward and backward, float32 and float64, with groups, stride, padding and dilation', async () => {
    const cases: ConvCase[] = [
      { x: [3, 4, 9, 8], w: [6, 2, 3, 3], o: options(2, 1, 2, 2) },
      { x: [2, 1, 28, 28], w: [6, 1, 5, 5], o: options(1, 2) },
      { x: [2, 6, 14, 14], w: [16, 6, 5, 5], o: options() },
      // columns of (1 + 4) x 120^2 elements per image: chunks of 1 image (2^17 elements at most)
      { x: [3, 1, 120, 120], w: [4, 1, 1, 1], o: options() },
      // (9 + 2) x 10^2 per image: chunks of 119 images and 1
      { x: [120, 1, 10, 10], w: [2, 1, 3, 3], o: options(1, 1) },
      // float32's direct kernels: 7 channels (a block of 6 + 1), 7x6 taps (kernel rows of 5 + 1
      // taps for the weight gradient), 14 of 16 columns; then two threads' chunks of images (4 + 5)
      { x: [5, 3, 11, 13], w: [7, 3, 7, 6], o: options(1, 3) },
      { x: [9, 6, 14, 14], w: [16, 6, 5, 5], o: options() },
      // AVX-512's blocks (4 rows x 6 channels forward, 4 channels x 5 taps for the weights) and
      // their remainders: 15 rows (3 blocks + 3), 20 columns (16 + 4), 13 channels (6 + 6 + 1;
      // 4 + 4 + 4 + 1), 12 taps (5 + 5 + 2); 6 rows (4 + 2), 4 taps; 9 rows (4 + 4 + 1) of a 1x1 kernel
      { x: [2, 5, 15, 21], w: [13, 5, 3, 4], o: options(1, 1) },
      { x: [2, 3, 7, 16], w: [5, 3, 2, 2], o: options() },
      { x: [2, 2, 9, 12], w: [3, 2, 1, 1], o: options() },
      // the fashion-mnist-cnn preset's second layer (32 -> 64 channels, 5x5, 14x14, padding 2)
      { x: [3, 32, 14, 14], w: [64, 32, 5, 5], o: options(1, 2) },
    ];
    for (const dtype of ['float32', 'float64'] as const) await matchesReference(cases, dtype);
  });

  it('matches the reference loops on 60 seeded random shapes of the direct kernels (stride 1, one group) and around them', async () => {
    // Every remainder of the kernels' blocks: rows (4 per block), 16-column steps, channel blocks
    // (6 forward, 4 vectors of 16 for the weights), taps (5 per block), and strided or grouped
    // shapes that take im2col + GEMM instead.
    let state = 20261206;
    const pick = (lo: number, hi: number) => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return lo + ((state >>> 0) % (hi - lo + 1));
    };
    const cases: ConvCase[] = [];
    for (let i = 0; i < 60; i++) {
      const [kh, kw] = [pick(1, 6), pick(1, 6)];
      const groups = i % 10 === 9 ? 2 : 1;
      const c = groups * pick(1, 5);
      const o = groups * pick(1, i % 3 === 0 ? 70 : 21); // up to 5 vectors of 16 channels
      const stride = i % 10 === 8 ? 2 : 1;
      // Rows and columns padded apart (ph != pw), each below its kernel size (the direct kernels' limit).
      const [ph, pw] = [Math.min(pick(0, 2), kh - 1), Math.min(pick(0, 2), kw - 1)];
      const h = pick(Math.max(1, kh - 2 * ph), 19);
      const w = pick(Math.max(1, kw - 2 * pw), 40);
      // Every fourth case: 8 images, so both threads take chunks of images and their partial
      // weight gradients are summed.
      const n = i % 4 === 1 ? 8 : pick(1, 3);
      const window = { ...options(stride, 0, 1, groups), padding: [ph, pw] as const };
      cases.push({ x: [n, c, h, w], w: [o, c / groups, kh, kw], o: window });
    }
    await matchesReference(cases, 'float32');
  });

  it('keeps infinities and NaN where the products have them (float32 direct kernels agree with float64 GEMM)', async () => {
    // The direct weight gradient multiplies padding columns by inputs: 0 * inf must not leak in.
    const xs = [2, 1, 12, 12];
    const ws = [3, 1, 3, 3];
    const xv = values(size(xs), 1);
    xv[3 * 12 + 11] = Infinity; // last column: read next to the padding columns
    xv[5 * 12] = -Infinity; // first column
    xv[144 + 7 * 12 + 4] = Infinity; // inside
    const wv = values(size(ws), 2);
    const gv = values(2 * 3 * 12 * 12, 3);
    const run = async (dtype: 'float32' | 'float64') => {
      const Array_ = dtype === 'float32' ? Float32Array : Float64Array;
      const [xh, wh, gh] = [
        backend.fromData(new Array_(xv), xs, dtype),
        backend.fromData(new Array_(wv), ws, dtype),
        backend.fromData(new Array_(gv), [2, 3, 12, 12], dtype),
      ];
      const y = backend.fused!.conv2d!(xh, wh, null, options(1, 1));
      const grads = backend.fused!.conv2dBackward!(gh, xh, wh, options(1, 1), {
        input: true,
        weight: true,
        bias: true,
      });
      const handles = [y, grads.input!, grads.weight!, grads.bias!];
      const out = await Promise.all(handles.map(async (h) => Array.from(await backend.read(h))));
      for (const h of [...handles, xh, wh, gh]) backend.dispose(h);
      return out;
    };
    const [single, double] = [await run('float32'), await run('float64')];
    single.forEach((got, i) =>
      got.forEach((v, j) => {
        const want = double[i]![j]!;
        if (!Number.isFinite(want)) expect(v, `output ${i}[${j}]`).toBe(want);
        else expect(Math.abs(v - want), `output ${i}[${j}]`).toBeLessThan(1e-4 * (1 + Math.abs(want)));
      }),
    );
    expect(single[2]!.some((v) => !Number.isFinite(v))).toBe(true);
  });

  it('returns only the gradients asked for', () => {
    const x = backend.fromData(new Float32Array(2 * 3 * 5 * 5), [2, 3, 5, 5], 'float32');
    const w = backend.fromData(new Float32Array(4 * 3 * 3 * 3), [4, 3, 3, 3], 'float32');
    const g = backend.fromData(new Float32Array(2 * 4 * 3 * 3), [2, 4, 3, 3], 'float32');
    const before = backend.liveHandles();
    const result = backend.fused!.conv2dBackward!(g, x, w, options(), { input: false, weight: true, bias: false });
    expect(result.input).toBeNull();
    expect(result.bias).toBeNull();
    expect(result.weight).not.toBeNull();
    backend.dispose(result.weight!);
    expect(backend.liveHandles()).toBe(before);
    for (const h of [x, w, g]) backend.dispose(h);
  });

  it('checks every size in the glue', async () => {
    const x = backend.fromData(new Float32Array(2 * 4 * 5 * 5), [2, 4, 5, 5], 'float32');
    const w = backend.fromData(new Float32Array(6 * 2 * 3 * 3), [6, 2, 3, 3], 'float32');
    const wide = backend.fromData(new Float32Array(6 * 2 * 7 * 7), [6, 2, 7, 7], 'float32');
    const x64 = backend.fromData(new Float64Array(2 * 4 * 5 * 5), [2, 4, 5, 5], 'float64');
    const bias = backend.fromData(new Float32Array(5), [5], 'float32');
    const conv = backend.fused!.conv2d!;
    expect(() => conv(x, w, null, options())).toThrow(ShapeError); // 4 channels, weight takes 2 (1 group)
    expect(() => conv(x, w, null, options(1, 0, 1, 3))).toThrow(ShapeError); // 4 channels in 3 groups
    expect(() => conv(x, w, bias, options(1, 0, 1, 2))).toThrow(ShapeError); // bias [5] for 6 outputs
    expect(() => conv(x, wide, null, options(1, 0, 1, 2))).toThrow(ShapeError); // 7x7 window on 5x5
    expect(() => conv(x64, w, null, options(1, 0, 1, 2))).toThrow(ArgumentError); // dtypes differ
    expect(() => conv(x, w, null, options(0, 0, 1, 2))).toThrow(ArgumentError); // stride 0
    expect(() => conv(x, w, null, options(1, -1, 1, 2))).toThrow(ArgumentError); // negative padding
    const y = conv(x, w, null, options(1, 0, 1, 2));
    expect((await backend.read(y)).length).toBe(2 * 6 * 3 * 3);
    const needs = { input: true, weight: true, bias: true };
    expect(() => backend.fused!.conv2dBackward!(x, x, w, options(1, 0, 1, 2), needs)).toThrow(ShapeError); // grad shape
    for (const h of [x, w, wide, x64, bias, y]) backend.dispose(h);
  });
});

describe('fused maxPool2d (native)', () => {
  const pool = (k: number, s = k, p = 0, d = 1) => ({
    kernelSize: [k, k] as const,
    stride: [s, s] as const,
    padding: [p, p] as const,
    dilation: [d, d] as const,
  });

  it('takes each window max (padding never picked) and sends the gradient to it, ties shared, float32 and float64', async () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const Array_ = dtype === 'float32' ? Float32Array : Float64Array;
      const x = backend.fromData(new Array_([-1, -5, 2, 2, -3, -4, 0, 1, -2]), [1, 1, 3, 3], dtype);
      const y = backend.fused!.maxPool2d!(x, pool(2, 2, 1));
      // the windows' taps inside the image: [-1], [-5, 2], [2, 0], [-3, -4, 1, -2]
      expect(Array.from(await backend.read(y))).toEqual([-1, 2, 2, 1]);
      const g = backend.fromData(new Array_([1, 2, 3, 4]), [1, 1, 2, 2], dtype);
      const dx = backend.fused!.maxPool2dBackward!(g, x, y, pool(2, 2, 1));
      expect(Array.from(await backend.read(dx))).toEqual([1, 0, 2, 3, 0, 0, 0, 4, 0]);
      const tied = backend.fromData(new Array_([0, 0, 0, 0]), [1, 1, 2, 2], dtype);
      const ty = backend.fused!.maxPool2d!(tied, pool(2));
      const tg = backend.fromData(new Array_([1]), [1, 1, 1, 1], dtype);
      const tdx = backend.fused!.maxPool2dBackward!(tg, tied, ty, pool(2));
      expect(Array.from(await backend.read(tdx))).toEqual([0.25, 0.25, 0.25, 0.25]);
      for (const h of [x, y, g, dx, tied, ty, tg, tdx]) backend.dispose(h);
    }
  });

  it('tiled windows (stride = kernel) match direct loops: odd sizes, ties, NaN, the vector and scalar paths', async () => {
    // Values from a small set, so windows tie; a few NaN. 2x2 runs 4 windows at a time plus a tail.
    const shape = [2, 3, 11, 13];
    const total = size(shape);
    const xs = Float64Array.from({ length: total }, (_, i) =>
      i % 37 === 5 ? NaN : Math.floor(Math.abs(Math.sin(i * 1.7)) * 4),
    );
    for (const k of [2, 3]) {
      for (const dtype of ['float32', 'float64'] as const) {
        const Array_ = dtype === 'float32' ? Float32Array : Float64Array;
        const [n, c, h, w] = shape as [number, number, number, number];
        const [oh, ow] = [Math.floor(h / k), Math.floor(w / k)];
        const gs = Float64Array.from({ length: n * c * oh * ow }, (_, i) => new Array_([Math.cos(i)])[0]!);
        const y = new Float64Array(n * c * oh * ow);
        const dx = new Float64Array(total);
        for (let p = 0; p < n * c; p++)
          for (let i = 0; i < oh; i++)
            for (let j = 0; j < ow; j++) {
              const taps: number[] = [];
              for (let a = 0; a < k; a++)
                for (let b = 0; b < k; b++) taps.push(p * h * w + (i * k + a) * w + j * k + b);
              const best = taps.some((t) => Number.isNaN(xs[t])) ? NaN : Math.max(...taps.map((t) => xs[t]!));
              const yi = (p * oh + i) * ow + j;
              y[yi] = best;
              const hits = taps.filter((t) => xs[t] === best);
              if (hits.length === 0) for (const t of taps) dx[t] = NaN;
              else for (const t of hits) dx[t] = new Array_([gs[yi]! / hits.length])[0]!;
            }
        const xh = backend.fromData(new Array_(xs), shape, dtype);
        const gh = backend.fromData(new Array_(gs), [n, c, oh, ow], dtype);
        const yh = backend.fused!.maxPool2d!(xh, pool(k));
        expect(Array.from(await backend.read(yh))).toEqual(Array.from(y));
        const dh = backend.fused!.maxPool2dBackward!(gh, xh, yh, pool(k));
        expect(Array.from(await backend.read(dh))).toEqual(Array.from(dx));
        for (const handle of [xh, gh, yh, dh]) backend.dispose(handle);
      }
    }
  });

  it('splits planes over the threads with the same results as one thread: tiled, overlapping and padded windows', async () => {
    // 32 planes of 33x35: past the glue's threshold for parallel work, so two threads take 16 each.
    const one = createCpuBackend({ threads: 1 });
    const shape = [4, 8, 33, 35];
    const total = size(shape);
    const xs = Float32Array.from({ length: total }, (_, i) =>
      i % 53 === 7 ? NaN : Math.floor(Math.abs(Math.sin(i * 1.3)) * 5),
    );
    for (const [k, s, p] of [
      [2, 2, 0],
      [3, 3, 0],
      [3, 2, 1],
    ] as const) {
      const window = pool(k, s, p);
      const out = (n: number) => Math.floor((n + 2 * p - k) / s) + 1;
      const yShape = [4, 8, out(33), out(35)];
      const results = [];
      for (const b of [backend, one]) {
        const x = b.fromData(xs, shape, 'float32');
        const y = b.fused!.maxPool2d!(x, window);
        const ys = await b.read(y);
        const g = b.fromData(
          Float32Array.from({ length: size(yShape) }, (_, i) => Math.cos(i)),
          yShape,
          'float32',
        );
        const dx = b.fused!.maxPool2dBackward!(g, x, y, window);
        results.push([Array.from(ys), Array.from(await b.read(dx))]);
        for (const h of [x, y, g, dx]) b.dispose(h);
      }
      expect(results[0]).toEqual(results[1]);
    }
  });

  it('checks every size in the glue', () => {
    const x = backend.fromData(new Float32Array(2 * 3 * 4 * 4), [2, 3, 4, 4], 'float32');
    const y = backend.fused!.maxPool2d!(x, pool(2));
    const wrong = backend.fromData(new Float32Array(2 * 3 * 3 * 3), [2, 3, 3, 3], 'float32');
    const flat = backend.fromData(new Float32Array(16), [16], 'float32');
    expect(() => backend.fused!.maxPool2d!(flat, pool(2))).toThrow(ShapeError);
    expect(() => backend.fused!.maxPool2d!(x, pool(5))).toThrow(ShapeError); // 5x5 window on 4x4
    expect(() => backend.fused!.maxPool2d!(x, pool(2, 2, 2))).toThrow(ArgumentError); // padding > half
    expect(() => backend.fused!.maxPool2d!(x, pool(2, 0))).toThrow(ArgumentError); // stride 0
    expect(() => backend.fused!.maxPool2dBackward!(wrong, x, y, pool(2))).toThrow(ShapeError); // grad shape
    expect(() => backend.fused!.maxPool2dBackward!(y, x, wrong, pool(2))).toThrow(ShapeError); // y shape
    for (const h of [x, y, wrong, flat]) backend.dispose(h);
  });
});
