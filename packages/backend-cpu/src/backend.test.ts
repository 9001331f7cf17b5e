import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  ArgumentError,
  BACKEND_CONTRACT_VERSION,
  BackendError,
  BackendMismatchError,
  DisposedTensorError,
  ShapeError,
  UnsupportedOpError,
} from '@myelin/core/backend';
import { trainMlp } from '@myelin/conformance';
import { describe, expect, it } from 'vitest';
import { createCpuBackend, probe, probeSync } from './index.js';

const backend = createCpuBackend({ threads: 1 });
const f32 = (values: number[], shape: number[]) => backend.fromData(Float32Array.from(values), shape, 'float32');

describe('cpu storage', () => {
  it('states its name, contract version and dtypes', () => {
    expect(backend.name).toBe('cpu');
    expect(backend.contractVersion).toBe(BACKEND_CONTRACT_VERSION);
    expect(backend.dtypes).toEqual(['float32', 'float64', 'int32', 'bool']);
  });

  it('fromData converts like a typed-array store; read returns copies the caller may keep', async () => {
    const ints = backend.fromData(new Float64Array([1.7, -1.7, NaN, 2 ** 32 + 5]), [4], 'int32');
    expect(Array.from(backend.readSync!(ints))).toEqual([1, -1, 0, 5]);
    const bools = backend.fromData(new Float32Array([0, 2, -0.5, NaN]), [2, 2], 'bool');
    expect(backend.readSync!(bools)).toBeInstanceOf(Uint8Array);
    expect(Array.from(backend.readSync!(bools))).toEqual([0, 1, 1, 1]);
    const x = f32([1, 2], [2]);
    const first = await backend.read(x);
    first[0] = 50;
    expect(Array.from(await backend.read(x))).toEqual([1, 2]);
    for (const h of [ints, bools, x]) backend.dispose(h);
  });

  it("readInto copies a handle into the caller's array of its type and length, and refuses any other", () => {
    const x = f32([1, 2, 3, 4, 5, 6], [2, 3]);
    const bucket = new Float32Array(8).fill(-1);
    backend.readInto!(x, bucket.subarray(1, 7));
    expect(Array.from(bucket)).toEqual([-1, 1, 2, 3, 4, 5, 6, -1]);
    expect(() => backend.readInto!(x, new Float64Array(6))).toThrow(
      'readInto: a float32 tensor reads into a Float32Array',
    );
    expect(() => backend.readInto!(x, new Float32Array(5))).toThrow('readInto: the tensor has 6 elements, the array 5');
    backend.dispose(x);
  });

  it('counts live handles exactly; dispose is idempotent; a reshape outlives its source', () => {
    const fresh = createCpuBackend({ threads: 1 });
    const a = fresh.fill([2], 1, 'float32');
    const b = fresh.unary('neg', a);
    const c = fresh.reshape(b, [1, 2]);
    expect(fresh.liveHandles()).toBe(3);
    fresh.dispose(b);
    fresh.dispose(b);
    expect(fresh.liveHandles()).toBe(2);
    expect(Array.from(fresh.readSync!(c))).toEqual([-1, -1]);
    fresh.dispose(a);
    fresh.dispose(c);
    expect(fresh.liveHandles()).toBe(0);
    expect(() => fresh.readSync!(c)).toThrow(DisposedTensorError);
    expect(() => backend.unary('neg', a)).toThrow(BackendMismatchError);
  });

  it('a contiguous slice shares the buffer (no copy) and outlives its source', () => {
    const fresh = createCpuBackend({ threads: 1 });
    const x = fresh.fromData(
      Float32Array.from({ length: 12 }, (_, i) => i),
      [4, 3],
      'float32',
    );
    const buffers = fresh.stats().liveBuffers;
    const rows = fresh.slice(x, [1, 0], [2, 3]);
    expect(fresh.stats().liveBuffers, 'rows 1-2: a view').toBe(buffers);
    const box = fresh.slice(x, [1, 1], [2, 2]);
    expect(fresh.stats().liveBuffers, 'a box inside rows: a copy').toBe(buffers + 1);
    fresh.dispose(x);
    expect(Array.from(fresh.readSync!(rows))).toEqual([3, 4, 5, 6, 7, 8]);
    expect(Array.from(fresh.readSync!(box))).toEqual([4, 5, 7, 8]);
    const doubled = fresh.binary('add', rows, rows, [2, 3]);
    expect(Array.from(fresh.readSync!(doubled))).toEqual([6, 8, 10, 12, 14, 16]);
    const reshaped = fresh.reshape(rows, [3, 2]);
    const inner = fresh.slice(reshaped, [1, 0], [1, 2]);
    expect(Array.from(fresh.readSync!(inner))).toEqual([5, 6]);
    for (const h of [rows, box, doubled, reshaped, inner]) fresh.dispose(h);
    expect(fresh.liveHandles()).toBe(0);
  });

  it('a second training run of the same shapes allocates no buffer from the system', async () => {
    const fresh = createCpuBackend({ threads: 1 });
    await trainMlp(fresh, { steps: 3, optimizer: 'adam' });
    const before = fresh.stats();
    const run = await trainMlp(fresh, { steps: 10, optimizer: 'adam' });
    const after = fresh.stats();
    expect(after.systemAllocations - before.systemAllocations, 'buffers from the system in 10 steady steps').toBe(0);
    expect(after.reuses).toBeGreaterThan(before.reuses);
    expect(run.liveHandles[9]).toBe(run.liveHandles[0]);
    expect(fresh.liveHandles()).toBe(0);
  });
});

describe('cpu checks every size before a kernel runs', () => {
  const x = f32([1, 2, 3, 4, 5, 6], [2, 3]);
  const y = f32([1, 2], [2]);
  const idx = backend.fromData(new Int32Array([0, 3]), [2], 'int32');

  it.each([
    ['fromData with the wrong count', () => backend.fromData(new Float32Array(5), [2, 3], 'float32'), ShapeError],
    ['binary of shapes that do not broadcast', () => backend.binary('add', x, y, [2, 3]), ShapeError],
    [
      'matmul with mismatched inner dimensions',
      () => backend.matmul(backend.reshape(x, [1, 2, 3]), backend.reshape(x, [1, 2, 3]), false, false),
      ShapeError,
    ],
    ['matmul of rank 2', () => backend.matmul(x, x, false, true), ShapeError],
    ['reshape to another size', () => backend.reshape(x, [4]), ShapeError],
    ['broadcastTo a shape that does not fit', () => backend.broadcastTo(x, [3, 3]), ShapeError],
    ['slice out of bounds', () => backend.slice(x, [1, 1], [2, 1]), ArgumentError],
    ['gather with an index out of range', () => backend.gather(x, idx, 1), ArgumentError],
    ['scatterAdd with an index out of range', () => backend.scatterAdd(x, idx, 1, 3), ShapeError],
    ['transpose with a bad permutation', () => backend.transpose(x, [0, 0]), ArgumentError],
    ['reduce over an axis out of range', () => backend.reduce('sum', x, [2], false), ArgumentError],
    ['a shape with a negative dimension', () => backend.fill([-1], 0, 'float32'), ShapeError],
    ['rank above 16', () => backend.fill(new Array(17).fill(1), 0, 'float32'), UnsupportedOpError],
    ['exp of int32', () => backend.unary('exp', idx), UnsupportedOpError],
    [
      'matmul of int32',
      () => backend.matmul(backend.reshape(idx, [1, 1, 2]), backend.reshape(idx, [1, 2, 1]), false, false),
      UnsupportedOpError,
    ],
    ['sum of bool', () => backend.reduce('sum', backend.fill([2], 1, 'bool'), [0], false), UnsupportedOpError],
  ] as const)('%s throws', (_, run, type) => {
    const live = backend.liveHandles();
    expect(run).toThrow(type);
    // Operands made inside the callback (reshapes) may stay live; the failed kernel adds none.
    expect(backend.liveHandles()).toBeGreaterThanOrEqual(live);
  });

  it('the error names the op and dtype', () => {
    expect(() => backend.unary('log', idx)).toThrow("backend 'cpu' does not support op 'log' for dtype int32");
  });
});

describe('probe and options', () => {
  it('probe reports the GEMM, SIMD level and threads', async () => {
    const result = await probe();
    expect(result.usable).toBe(true);
    expect(result.gemm).toMatch(/^(openblas \(.+\)|built-in (avx512|avx2|generic))$/);
    expect(result.simd).toMatch(/^(avx512|avx2|generic)$/);
    expect(probeSync().details?.addon).toMatch(/myelin_cpu\.node$/);
  });

  it('gemm: builtin shows in probe; bad options are one BackendError', () => {
    const builtin = createCpuBackend({ threads: 1, gemm: 'builtin' });
    builtin.fill([1], 0, 'float32');
    expect(probeSync().gemm).toMatch(/^built-in /);
    expect(() => createCpuBackend({ threads: 0 })).toThrow(BackendError);
    expect(() => createCpuBackend({ gemm: 'mkl' as never })).toThrow(BackendError);
  });
});

describe('denormals', () => {
  it('are flushed to zero inside the kernels by default, kept with flushDenormals: false; JS math is untouched', () => {
    const product = (flushDenormals: boolean): number => {
      const b = createCpuBackend({ threads: 1, flushDenormals });
      const x = b.fill([4], 1e-20, 'float32');
      const y = b.binary('mul', x, x, [4]);
      const value = b.readSync!(y)[0]!;
      b.dispose(x);
      b.dispose(y);
      return value;
    };
    expect(product(true)).toBe(0);
    expect(product(false)).toBe(Math.fround(Math.fround(1e-20) * Math.fround(1e-20)));
    expect(product(false)).toBeGreaterThan(0);
    // The caller's floating-point mode is restored: V8's double arithmetic keeps its subnormals.
    const tiny = Number('1e-310');
    expect(tiny * 0.5).toBeGreaterThan(0);
  });
});

describe('fused.softmaxCrossEntropy', () => {
  const kernel = () => backend.fused!.softmaxCrossEntropy!;
  it('gives per-row losses and softmax - onehot (/ rows for mean), also for extreme logits', () => {
    const logits = [1, 2, 3, -1e4, 0, 1e4, 0.5, 0.5, -0.5];
    const labels = [2, 0, 1];
    const x = backend.fromData(Float32Array.from(logits), [3, 3], 'float32');
    const y = backend.fromData(Int32Array.from(labels), [3], 'int32');
    const { loss, grad } = kernel()(x, y, 'none', true, -100);
    const mean = kernel()(x, y, 'mean', true, -100);
    const lossValues = Array.from(backend.readSync!(loss));
    const gradValues = Array.from(backend.readSync!(grad!));
    const meanGrad = Array.from(backend.readSync!(mean.grad!));
    let total = 0;
    for (let r = 0; r < 3; r++) {
      const row = logits.slice(r * 3, r * 3 + 3).map(Math.fround);
      const max = Math.max(...row);
      const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
      const expectedLoss = max + Math.log(sum) - row[labels[r]!]!;
      total += expectedLoss;
      expect(lossValues[r]).toBeCloseTo(expectedLoss, 3);
      row.forEach((v, c) => {
        const expected = Math.exp(v - max) / sum - (c === labels[r] ? 1 : 0);
        expect(gradValues[r * 3 + c]).toBeCloseTo(expected, 6);
        expect(meanGrad[r * 3 + c]).toBeCloseTo(expected / 3, 6);
      });
    }
    expect(backend.readSync!(mean.loss)[0]).toBeCloseTo(total / 3, 3);
    const summed = kernel()(x, y, 'sum', false, -100);
    expect(summed.grad).toBeNull();
    expect(backend.readSync!(summed.loss)[0]).toBeCloseTo(total, 3);
    const bad = backend.fromData(Int32Array.from([0, 3, 1]), [3], 'int32');
    const before = backend.liveHandles();
    expect(() => kernel()(x, bad, 'none', false, -100)).toThrow(ArgumentError);
    expect(backend.liveHandles()).toBe(before);
    for (const h of [x, y, loss, grad!, mean.loss, mean.grad!, summed.loss, bad]) backend.dispose(h);
  });

  it('gives rows labelled ignoreIndex no loss and no gradient, and divides a mean by the others', () => {
    const x = backend.fromData(Float32Array.from([1, 2, 3, 0, 0, 5, 0.5, 0.5, -0.5]), [3, 3], 'float32');
    const all = backend.fromData(Int32Array.from([2, 0, 1]), [3], 'int32');
    const some = backend.fromData(Int32Array.from([2, 7, 1]), [3], 'int32');
    const full = kernel()(x, all, 'none', true, 7);
    const none = kernel()(x, some, 'none', true, 7);
    const mean = kernel()(x, some, 'mean', true, 7);
    const fullLoss = Array.from(backend.readSync!(full.loss));
    const fullGrad = Array.from(backend.readSync!(full.grad!));
    expect(Array.from(backend.readSync!(none.loss))).toEqual([fullLoss[0], 0, fullLoss[2]]);
    const gradValues = Array.from(backend.readSync!(none.grad!));
    const meanGrad = Array.from(backend.readSync!(mean.grad!));
    for (let i = 0; i < 9; i++) {
      const expected = i >= 3 && i < 6 ? 0 : fullGrad[i]!;
      expect(gradValues[i]).toBe(expected);
      expect(meanGrad[i]).toBeCloseTo(expected / 2, 7);
    }
    expect(backend.readSync!(mean.loss)[0]).toBeCloseTo((fullLoss[0]! + fullLoss[2]!) / 2, 5);
    const ignored = backend.fromData(Int32Array.from([-100, -100, -100]), [3], 'int32');
    const empty = kernel()(x, ignored, 'mean', true, -100);
    expect(backend.readSync!(empty.loss)[0]).toBeNaN();
    expect(Array.from(backend.readSync!(empty.grad!))).toEqual(new Array(9).fill(0));
    for (const h of [x, all, some, ignored, full.loss, full.grad!, none.loss, none.grad!, mean.loss, mean.grad!])
      backend.dispose(h);
    for (const h of [empty.loss, empty.grad!]) backend.dispose(h);
  });
});

describe('fused.binaryCrossEntropy', () => {
  const kernel = () => backend.fused!.binaryCrossEntropy!;
  it('gives clamped-log losses and their exact gradient (/ size for mean) in float32 and float64', () => {
    const p = [0.25, 0.9, 0, 1, 0.5, 1e-3];
    const t = [1, 0, 1, 0, 0.25, 0];
    const clog = (v: number) => (v > 0 ? Math.max(Math.log(v), -100) : -100);
    const losses = p.map((v, i) => -(t[i]! * clog(v) + (1 - t[i]!) * clog(1 - v)));
    const grads = p.map((v, i) => (v > 0 ? -t[i]! / v : 0) + (1 - v > 0 ? (1 - t[i]!) / (1 - v) : 0));
    for (const dtype of ['float32', 'float64'] as const) {
      const digits = dtype === 'float32' ? 4 : 10;
      const probabilities = backend.fromData(Float64Array.from(p), [2, 3], dtype);
      const target = backend.fromData(Float64Array.from(t), [2, 3], dtype);
      const none = kernel()(probabilities, target, 'none', true);
      Array.from(backend.readSync!(none.loss)).forEach((v, i) => expect(v).toBeCloseTo(losses[i]!, digits));
      Array.from(backend.readSync!(none.grad!)).forEach((v, i) => expect(v).toBeCloseTo(grads[i]!, digits));
      const mean = kernel()(probabilities, target, 'mean', true);
      const total = losses.reduce((s, v) => s + v, 0);
      expect(backend.readSync!(mean.loss)[0]).toBeCloseTo(total / 6, digits);
      Array.from(backend.readSync!(mean.grad!)).forEach((v, i) => expect(v).toBeCloseTo(grads[i]! / 6, digits));
      const sum = kernel()(probabilities, target, 'sum', false);
      expect(sum.grad).toBeNull();
      expect(backend.readSync!(sum.loss)[0]).toBeCloseTo(total, digits - 2);
      const wrong = backend.fromData(Float64Array.from(t), [3, 2], dtype);
      const before = backend.liveHandles();
      expect(() => kernel()(probabilities, wrong, 'none', true)).toThrow(ShapeError);
      expect(backend.liveHandles()).toBe(before);
      for (const h of [probabilities, target, none.loss, none.grad!, mean.loss, mean.grad!, sum.loss, wrong])
        backend.dispose(h);
    }
  });
});

describe('handles dropped without dispose', () => {
  it('return their buffers to the pool when garbage-collected; liveHandles still counts them', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const backend = createCpuBackend({ threads: 1 }); // its own count: the leak stays in this test
    const before = backend.liveHandles();
    const nativeBefore = backend.stats().liveTensors;
    // Enough newer handles for the dropped ones to be watched (see WATCH_AFTER), then drop all.
    for (let i = 0; i < 3000; i++) backend.fill([4], i, 'float32');
    expect(backend.liveHandles()).toBe(before + 3000);
    for (let i = 0; i < 20 && backend.stats().liveTensors > nativeBefore + 1100; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // The newest 1024 wait in the ring (not yet watched); the rest were collected and released.
    expect(backend.stats().liveTensors).toBeLessThanOrEqual(nativeBefore + 1100);
    expect(backend.liveHandles(), 'leaked handles still count as live').toBe(before + 3000);
  });
});
