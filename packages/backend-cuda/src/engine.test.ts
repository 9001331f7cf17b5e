// The native engine's own behaviour beyond the conformance suite: the caching allocator, views,
// asynchronous reads, indices checked on the device, typed errors, the GEMM choice. On a GPU it
// runs there; elsewhere on the CPU emulator's build of the addon (scripts/build-emulator.mjs)
// when it is built, with cuBLAS from the emulator's stand-in (native/emulator/cublas) unless
// MYELIN_CUBLAS_PATH names another, so that gemm 'auto' and 'builtin' are two code paths there
// too; otherwise it reports itself skipped with the reason.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { NativeCudaBackend } from './index.js';

// Under test:asan (MYELIN_CUDA_SANITIZE=1) the emulator's sanitizer build: its kernels are instrumented too.
const flavour = process.env.MYELIN_CUDA_SANITIZE === '1' ? 'native-emu-asan' : 'native-emu';
const emulator = fileURLToPath(new URL(`../dist/${flavour}/myelin_cuda.node`, import.meta.url));
const standIn = fileURLToPath(new URL(`../dist/${flavour}/cublas/libcublas.so.13`, import.meta.url));
let { probe } = await import('./index.js');
let available = await probe();
if (!available.usable && !process.env.MYELIN_CUDA_ADDON && existsSync(emulator)) {
  // No GPU: the same kernels and glue on the CPU emulator (this file runs in its own worker).
  process.env.MYELIN_CUDA_ADDON = emulator;
  if (!process.env.MYELIN_CUBLAS_PATH && existsSync(standIn)) process.env.MYELIN_CUBLAS_PATH = standIn;
  const { vi } = await import('vitest');
  vi.resetModules();
  ({ probe } = await import('./index.js'));
  available = await probe();
}
const api = await import('./index.js');
// After a module reset, core's error classes must come from the same module graph as the package's.
const { ArgumentError, BackendMismatchError, DisposedTensorError } = await import('@myelin/core/backend');

describe.runIf(available.usable)(`the native engine on ${available.details?.device ?? '?'}`, () => {
  const create = (options: Parameters<typeof api.createCudaBackend>[0] = {}) =>
    api.createCudaBackend(options) as Promise<NativeCudaBackend>;

  it('is the default engine and describes its GPU and GEMM', async () => {
    const backend = await create();
    expect(backend.engine).toBe('native');
    expect(backend.name).toBe('cuda');
    expect(['cublas', 'builtin']).toContain(backend.details.gemm);
    expect(backend.details.tf32).toBe('false');
    expect(backend.readSync).toBeUndefined();
    expect(typeof backend.readBlocking).toBe('function');
    expect((await create({ syncReads: true })).readSync).toBeTypeOf('function');
  });

  it('a repeated step allocates device memory only in its first run; reshapes share their block', async () => {
    const b = await create();
    const opts = {
      lr: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      decoupledWeightDecay: false,
      step: 1,
    };
    let w = b.fill([1, 784, 128], 0.01, 'float32');
    let m = b.fill([1, 784, 128], 0, 'float32');
    let v = b.fill([1, 784, 128], 0, 'float32');
    // One MLP-like training step: fused forward, loss, backward, a multi-tensor Adam update.
    const step = () => {
      const x = b.fromData(new Float32Array(64 * 784).fill(0.5), [1, 64, 784], 'float32');
      const labels = b.fromData(new Int32Array(64).fill(3), [64], 'int32');
      const y = b.fused!.matmulBiasActivation!(x, w, null, 'relu', false, false);
      const flat = b.reshape(y, [64, 128]);
      const { loss, grad } = b.fused!.softmaxCrossEntropy!(flat, labels, 'mean', true, -100);
      const back = b.fused!.biasActivationBackward!(grad!, flat, 'relu');
      const dz = b.reshape(back.input, [1, 64, 128]);
      const dw = b.matmul(x, dz, true, false);
      const s = b.reduce('sum', flat, [0], false);
      const next = b.fused!.adamUpdateMany!([w], [dw], [m], [v], opts);
      for (const h of [x, labels, y, flat, loss, grad!, back.input, back.bias, dz, dw, s, w, m, v]) b.dispose(h);
      [w, m, v] = [next.params[0]!, next.ms[0]!, next.vs[0]!];
    };
    step();
    b.synchronize();
    const first = b.memoryStats().cudaMallocs;
    for (let i = 0; i < 20; i++) step();
    b.synchronize();
    expect(b.memoryStats().cudaMallocs).toBe(first);
    const x = b.fill([1000], 1, 'float32');
    const blocks = b.memoryStats().liveBlocks;
    const view = b.reshape(x, [10, 100]);
    expect(b.memoryStats().liveBlocks).toBe(blocks);
    b.dispose(x);
    expect(Array.from((await b.read(view)).slice(0, 3))).toEqual([1, 1, 1]);
    b.dispose(view);
    b.emptyCache();
    expect(b.memoryStats().cachedBytes).toBe(0);
  });

  it('softmaxCrossEntropy skips rows labelled ignoreIndex on the one-launch path and the many-rows path', async () => {
    const b = await create();
    const classes = 3;
    // 100 rows: one launch counts and reduces; 8200 (over 8192): a count launch, the rows, the sum.
    for (const rows of [100, 8200]) {
      const logits = Float32Array.from({ length: rows * classes }, (_, i) => Math.sin(i * 0.37) * 3);
      const labels = Int32Array.from({ length: rows }, (_, r) => (r % 5 === 0 ? -100 : r % classes));
      // Expected in float64 on the host: per-row losses and softmax - onehot.
      const losses: number[] = [];
      const grads = new Float64Array(rows * classes);
      let kept = 0;
      for (let r = 0; r < rows; r++) {
        if (labels[r] === -100) {
          losses.push(0);
          continue;
        }
        kept++;
        const row = Array.from(logits.subarray(r * classes, (r + 1) * classes));
        const max = Math.max(...row);
        const total = row.reduce((s, v) => s + Math.exp(v - max), 0);
        losses.push(max + Math.log(total) - row[labels[r]!]!);
        row.forEach((v, c) => (grads[r * classes + c] = Math.exp(v - max) / total - (c === labels[r] ? 1 : 0)));
      }
      const sum = losses.reduce((s, v) => s + v, 0);
      const x = b.fromData(logits, [rows, classes], 'float32');
      const y = b.fromData(labels, [rows], 'int32');
      for (const [reduction, expected, scale] of [
        ['mean', [sum / kept], 1 / kept],
        ['sum', [sum], 1],
        ['none', losses, 1],
      ] as const) {
        const { loss, grad } = b.fused!.softmaxCrossEntropy!(x, y, reduction, true, -100);
        const got = await b.read(loss);
        expected.forEach((v, i) => expect(got[i]).toBeCloseTo(v, reduction === 'none' ? 5 : 2));
        const g = await b.read(grad!);
        for (let i = 0; i < rows * classes; i++) expect(g[i]).toBeCloseTo(grads[i]! * scale, 6);
        b.dispose(loss);
        b.dispose(grad!);
      }
      // Nothing kept: a NaN mean and a zero gradient.
      const none = b.fromData(new Int32Array(rows).fill(-100), [rows], 'int32');
      const empty = b.fused!.softmaxCrossEntropy!(x, none, 'mean', true, -100);
      expect((await b.read(empty.loss))[0]).toBeNaN();
      expect((await b.read(empty.grad!)).every((v) => v === 0)).toBe(true);
      for (const h of [x, y, none, empty.loss, empty.grad!]) b.dispose(h);
    }
  });

  it('read() is a promise that settles off the event loop; readBlocking gives the same values', async () => {
    const b = await create();
    const x = b.fromData(new Int32Array([3, -1, 7]), [3], 'int32');
    const pending = b.read(x);
    expect(pending).toBeInstanceOf(Promise);
    b.dispose(x); // the copy was enqueued before: disposing now is safe
    expect(Array.from(await pending)).toEqual([3, -1, 7]);
    const y = b.fromData(new Float64Array([0.1, 0.2]), [2], 'float64');
    expect(Array.from(b.readBlocking(y))).toEqual([0.1, 0.2]);
  });

  it('an index out of range is caught on the device: the next read fails naming the op, later reads work', async () => {
    const b = await create();
    const x = b.fromData(new Float32Array([1, 2, 3]), [3], 'float32');
    const bad = b.fromData(new Int32Array([0, 5]), [2], 'int32');
    const gathered = b.gather(x, bad, 0);
    const error = await b.read(gathered).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArgumentError);
    expect((error as Error).message).toMatch(/out of range in gather/);
    expect(Array.from(await b.read(x))).toEqual([1, 2, 3]);

    const scattered = b.scatterAdd(x, b.fromData(new Int32Array([0, 1, -1]), [3], 'int32'), 0, 2);
    await expect(b.read(scattered)).rejects.toThrow(/scatterAdd/);

    const logits = b.fill([2, 3], 0, 'float32');
    const labels = b.fromData(new Int32Array([1, 3]), [2], 'int32');
    const { loss } = b.fused!.softmaxCrossEntropy!(logits, labels, 'mean', true, -100);
    expect(() => b.readBlocking(loss)).toThrow(/softmaxCrossEntropy/);
    expect(Array.from(b.readBlocking(x))).toEqual([1, 2, 3]);
  });

  it('typed errors: a GPU index out of range, a foreign or disposed handle', async () => {
    await expect(create({ device: 7 })).rejects.toBeInstanceOf(api.CudaNoDeviceError);
    await expect(create({ device: 7 })).rejects.toThrow(/GPU index 7 was asked for/);
    const a = await create();
    const b = await create();
    const x = a.fill([2], 1, 'float32');
    expect(() => b.unary('neg', x)).toThrow(BackendMismatchError);
    a.dispose(x);
    expect(() => a.unary('neg', x)).toThrow(DisposedTensorError);
  });

  it('an allocation that cannot fit is a CudaOutOfMemoryError naming the request and the free memory', async () => {
    const a = await create();
    const error = (() => {
      try {
        a.fill([2 ** 43], 0, 'float32'); // 32 TiB
        return null;
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(api.CudaOutOfMemoryError);
    const oom = error as InstanceType<typeof api.CudaOutOfMemoryError>;
    expect(oom.requestedBytes).toBeGreaterThanOrEqual(2 ** 45);
    expect(oom.freeBytes).toBeGreaterThan(0);
    expect(oom.message).toMatch(/requested \d+ bytes .* free of/);
  });

  it('column reductions over many rows (8 warps per column block) match the host, NaN and int32 wrap included', async () => {
    const b = await create();
    const rows = 203;
    const cols = 45;
    const values = Float32Array.from({ length: 3 * rows * cols }, (_, i) => Math.fround(Math.cos(i * 0.71) * 3));
    values[5 * cols + 7] = NaN;
    const x = b.fromData(values, [3, rows, cols], 'float32');
    const sums = (await b.read(b.reduce('sum', x, [1], false))) as Float32Array;
    const maxes = (await b.read(b.reduce('max', x, [1], false))) as Float32Array;
    for (let o = 0; o < 3; o++) {
      for (let c = 0; c < cols; c++) {
        let sum = 0;
        let max = -Infinity;
        for (let r = 0; r < rows; r++) {
          const v = values[(o * rows + r) * cols + c]!;
          sum += v;
          max = Number.isNaN(v) || v > max ? v : max;
          if (Number.isNaN(max)) break;
        }
        if (Number.isNaN(max)) {
          expect(sums[o * cols + c]).toBeNaN();
          expect(maxes[o * cols + c]).toBeNaN();
        } else {
          expect(sums[o * cols + c]).toBeCloseTo(sum, 3);
          expect(maxes[o * cols + c]).toBe(Math.fround(max));
        }
      }
    }
    const big = b.fromData(new Int32Array(100).fill(2 ** 30), [100, 1], 'int32');
    expect(Array.from(await b.read(b.reduce('sum', big, [0], false)))).toEqual([0]); // 100 * 2^30 wraps to 0
    const grads = b.fromData(
      Float32Array.from({ length: 300 * 10 }, (_, i) => (i % 7) - 3),
      [300, 10],
      'float32',
    );
    const { bias } = b.fused!.biasActivationBackward!(grads, b.fill([300, 10], 1, 'float32'), 'relu');
    const expected = Array.from({ length: 10 }, (_, c) => {
      let s = 0;
      for (let r = 0; r < 300; r++) s += ((r * 10 + c) % 7) - 3;
      return s;
    });
    expect(Array.from(await b.read(bias))).toEqual(expected);
  });

  it('batchNorm over more channels than blocks (each block takes several) matches the host, forward and backward', async () => {
    const b = await create();
    const [n, c] = [3, 1030]; // 1024 blocks: channels 1024.. are each a block's second
    const xs = Float32Array.from({ length: n * c }, (_, i) => Math.fround(Math.sin(i * 0.37) * 2));
    const gs = Float32Array.from({ length: n * c }, (_, i) => Math.fround(Math.cos(i * 0.11)));
    const x = b.fromData(xs, [n, c], 'float32');
    const forward = b.fused!.batchNorm!(x, null, null, null, 1e-5);
    const mean = (await b.read(forward.mean)) as Float32Array;
    const variance = (await b.read(forward.variance)) as Float32Array;
    const back = b.fused!.batchNormBackward!(
      b.fromData(gs, [n, c], 'float32'),
      x,
      null,
      forward.mean,
      forward.invStd,
      true,
      {
        input: false,
        weight: true,
        bias: true,
      },
    );
    const dw = (await b.read(back.weight!)) as Float32Array;
    const db = (await b.read(back.bias!)) as Float32Array;
    for (const ch of [0, 1, 1023, 1024, 1025, 1029]) {
      const column = [0, 1, 2].map((r) => xs[r * c + ch]!);
      const m = column.reduce((s, v) => s + v, 0) / n;
      const v = column.reduce((s, x) => s + (x - m) ** 2, 0) / n;
      const inv = 1 / Math.sqrt(v + 1e-5);
      expect(mean[ch]).toBeCloseTo(m, 5);
      expect(variance[ch]).toBeCloseTo(v, 5);
      expect(db[ch]).toBeCloseTo(
        [0, 1, 2].reduce((s, r) => s + gs[r * c + ch]!, 0),
        5,
      );
      expect(dw[ch]).toBeCloseTo(
        [0, 1, 2].reduce((s, r) => s + gs[r * c + ch]! * (xs[r * c + ch]! - m) * inv, 0),
        4,
      );
    }
  });

  it('long rows (a block per row) reduce like the host: float32 sums in double, NaN-aware max, int32 wrap, bool max', async () => {
    const b = await create();
    const n = 5000;
    const values = Float32Array.from({ length: 3 * n }, (_, i) => Math.fround(Math.sin(i * 0.017) * 100 + 1e-3 * i));
    values[n + 17] = NaN;
    const x = b.fromData(values, [3, n], 'float32');
    const sums = await b.read(b.reduce('sum', x, [1], false));
    const maxes = await b.read(b.reduce('max', x, [1], true));
    for (const row of [0, 2]) {
      const slice = values.subarray(row * n, (row + 1) * n);
      expect(sums[row]).toBe(Math.fround(slice.reduce((s, v) => s + v, 0)));
      expect(maxes[row]).toBe(slice.reduce((m, v) => (v > m ? v : m), -Infinity));
    }
    expect(sums[1]).toBeNaN();
    expect(maxes[1]).toBeNaN();
    const ints = b.fromData(
      Int32Array.from({ length: n }, (_, i) => (i === 4321 ? 2 ** 31 - 1 : i % 5)),
      [n],
      'int32',
    );
    const intSum =
      Array.from({ length: n }, (_, i) => (i === 4321 ? 2 ** 31 - 1 : i % 5)).reduce((s, v) => s + v, 0) | 0;
    expect(Array.from(await b.read(b.reduce('sum', ints, [0], false)))).toEqual([intSum]);
    expect(Array.from(await b.read(b.reduce('max', ints, [0], false)))).toEqual([2 ** 31 - 1]);
    const flags = new Uint8Array(n);
    flags[4999] = 1;
    const bools = b.fromData(flags, [1, n], 'bool');
    expect(Array.from(await b.read(b.reduce('max', bools, [1], false)))).toEqual([1]);
    expect(Array.from(await b.read(b.argmax(x, 1)))).toEqual([
      values.subarray(0, n).indexOf(Math.max(...values.subarray(0, n))),
      17,
      values.subarray(2 * n).indexOf(Math.max(...values.subarray(2 * n))),
    ]);
  });

  it('sorts rows on either side of the shared-memory tile (2048) and through the merge passes', async () => {
    const b = await create();
    // The contract's order on the host: NaN above everything, -0 equal to 0, ties by index.
    const key = (v: number): number => (Number.isNaN(v) ? Infinity : v);
    const hostSort = (row: number[], descending: boolean): number[] =>
      row
        .map((_, i) => i)
        .sort((i, j) => {
          const a = row[i]!;
          const c = row[j]!;
          const nanA = Number.isNaN(a);
          const nanC = Number.isNaN(c);
          const order = nanA || nanC ? Number(nanA) - Number(nanC) : key(a) - key(c);
          return (descending ? -order : order) || i - j;
        });
    for (const n of [1, 3, 2047, 2048, 2049, 4097, 6145]) {
      for (const dtype of ['float32', 'float64', 'int32'] as const) {
        const rows = 2;
        const host = Array.from({ length: rows * n }, (_, i) =>
          dtype !== 'int32' && i % 97 === 5 ? NaN : dtype !== 'int32' && i % 89 === 3 ? -0 : ((i * 7919) % 13) - 6,
        );
        const x = b.fromData(dtype === 'int32' ? Int32Array.from(host) : Float64Array.from(host), [rows, n], dtype);
        for (const descending of [false, true]) {
          const [values, indices] = b.sort(x, descending);
          const want = Array.from({ length: rows }, (_, r) =>
            hostSort(host.slice(r * n, (r + 1) * n), descending),
          ).flat();
          const got = Array.from(await b.read(indices));
          expect(got, `${dtype} n=${n} descending=${descending}`).toEqual(want);
          const gotValues = Array.from(await b.read(values));
          expect(gotValues).toEqual(want.map((i, k) => host[Math.floor(k / n) * n + i]));
          b.dispose(values);
          b.dispose(indices);
        }
        b.dispose(x);
      }
    }
  });

  it('the built-in GEMM matches the host on large float32 outputs (its 128x128 tiles) and on float64', async () => {
    const b = await create({ gemm: 'builtin' });
    const [batch, m, n, k] = [2, 300, 260, 70];
    const av = Float64Array.from({ length: batch * m * k }, (_, i) => Math.sin(i * 0.13));
    const bv = Float64Array.from({ length: batch * k * n }, (_, i) => Math.cos(i * 0.29));
    for (const [ta, tb] of [
      [false, false],
      [true, true],
    ] as const) {
      // Stored transposed where asked: A as [k, m], B as [n, k].
      const at = (bi: number, i: number, p: number) => av[bi * m * k + (ta ? p * m + i : i * k + p)]!;
      const bt = (bi: number, p: number, j: number) => bv[bi * k * n + (tb ? j * k + p : p * n + j)]!;
      const x = b.fromData(Float32Array.from(av), ta ? [batch, k, m] : [batch, m, k], 'float32');
      const y = b.fromData(Float32Array.from(bv), tb ? [batch, n, k] : [batch, k, n], 'float32');
      const x64 = b.fromData(av, ta ? [batch, k, m] : [batch, m, k], 'float64');
      const y64 = b.fromData(bv, tb ? [batch, n, k] : [batch, k, n], 'float64');
      const got = await b.read(b.matmul(x, y, ta, tb));
      const got64 = await b.read(b.matmul(x64, y64, ta, tb));
      for (let bi = 0; bi < batch; bi++) {
        for (let i = 0; i < m; i += 7) {
          for (let j = 0; j < n; j += 3) {
            let sum = 0;
            for (let p = 0; p < k; p++) sum += at(bi, i, p) * bt(bi, p, j);
            expect(Math.abs(got[(bi * m + i) * n + j]! - sum)).toBeLessThan(1e-4 * (1 + Math.abs(sum)));
            expect(Math.abs(got64[(bi * m + i) * n + j]! - sum)).toBeLessThan(1e-12 * (1 + Math.abs(sum)));
          }
        }
      }
    }
  });

  it("gemm 'builtin' and 'auto' agree (cuBLAS where it is found), every transpose pair and batches included", async () => {
    const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed));
    const pairs = [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const;
    const results: Float32Array[][] = [];
    for (const gemm of ['builtin', 'auto'] as const) {
      const b = await create({ gemm });
      // On the emulator with its cuBLAS stand-in, 'auto' is cuBLAS's call path, not the built-in kernel again.
      if (gemm === 'builtin' || process.env.MYELIN_CUBLAS_PATH === standIn)
        expect(b.details.gemm).toBe(gemm === 'auto' ? 'cublas' : 'builtin');
      const products: Float32Array[] = [];
      for (const [ta, tb] of pairs) {
        // [3, 70, 33] x [3, 33, 65], each operand stored transposed where asked.
        const x = b.fromData(values(3 * 70 * 33, 1), ta ? [3, 33, 70] : [3, 70, 33], 'float32');
        const y = b.fromData(values(3 * 65 * 33, 2), tb ? [3, 65, 33] : [3, 33, 65], 'float32');
        products.push((await b.read(b.matmul(x, y, ta, tb))) as Float32Array);
      }
      results.push(products);
    }
    // A call cuBLAS refused would have run on the built-in kernel (and agreed): none did.
    const after = await api.probe();
    if (after.details?.gemm === 'cublas') expect(after.details.cublas).not.toContain('ran on the built-in GEMM');
    for (let p = 0; p < pairs.length; p++) {
      const [builtin, auto] = [results[0]![p]!, results[1]![p]!];
      expect(builtin.length).toBe(3 * 70 * 65);
      // The element furthest apart (NaN counts as furthest), checked once.
      let [worst, furthest] = [0, -1];
      for (let i = 0; i < builtin.length; i++) {
        const apart = Math.abs(auto[i]! - builtin[i]!);
        if (!(apart <= furthest)) [worst, furthest] = [i, Number.isNaN(apart) ? Infinity : apart];
      }
      expect(auto[worst], `transposes ${pairs[p]!.join(', ')}, element ${worst}`).toBeCloseTo(builtin[worst]!, 3);
    }
  });
});

// Only where it cannot run (a runIf(false) block would still list this as skipped).
if (!available.usable) {
  describe('the native engine', () => {
    it.skip(`its own tests (skipped: ${available.reason}; build the emulator with scripts/build-emulator.mjs to run them without a GPU)`, () => {});
  });
}
