// The wasm backend's report, and regressions for the tfjs-backend-wasm quirks worked around in
// wasm-quirks.ts (each failed, or corrupted the wasm heap, before its fix).
import { describe, expect, it } from 'vitest';
import { expectFusedMatchesComposed } from '@myelin/conformance';
import { conv2d, fromHost, linear, maxPool2d, noGrad, tidy } from '@myelin/core';
import { getBackend } from '@myelin/core';
import { createWasmBackend, descriptor, probe } from './index.js';

describe('backend-wasm', () => {
  it('reports SIMD and threads, and reads are async only', async () => {
    const backend = await createWasmBackend();
    expect(backend.name).toBe('wasm');
    expect(backend.details.simd).toBe('true');
    expect(backend.readSync).toBeUndefined();
    const result = await probe();
    expect(result).toEqual({
      usable: true,
      summary: `SIMD true, threads ${backend.details.threads}`,
      details: backend.details,
    });
  });

  it('exports a descriptor: priority 20, probe, create and register at that priority', async () => {
    expect(descriptor).toMatchObject({ name: 'wasm', priority: 20, packageName: '@myelin/backend-wasm' });
    expect(await descriptor.probe()).toMatchObject({ usable: true });
    expect((await descriptor.create()).name).toBe('wasm');
    const registered = await descriptor.register();
    expect(getBackend('wasm')).toBe(registered);
  });
});

describe('tfjs-backend-wasm quirks', () => {
  it('cast to bool tests != 0 and stores 0/1', async () => {
    const backend = await createWasmBackend();
    const x = backend.fromData(new Float32Array([0, -1.5, 0.25, 5]), [4], 'float32');
    const asBool = backend.cast(x, 'bool');
    expect(Array.from(await backend.read(asBool))).toEqual([0, 1, 1, 1]);
    const back = backend.cast(asBool, 'int32');
    expect(Array.from(await backend.read(back))).toEqual([0, 1, 1, 1]);
    for (const h of [x, asBool, back]) backend.dispose(h);
  });

  it('where on bool operands with a broadcast condition leaves the heap intact', async () => {
    const backend = await createWasmBackend();
    const condition = backend.fromData(new Uint8Array([1, 0, 1]), [3, 1], 'bool');
    const a = backend.fromData(new Uint8Array([1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 1]), [3, 4], 'bool');
    const b = backend.fromData(new Uint8Array([0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0]), [3, 4], 'bool');
    const picked = backend.where(condition, a, b, [3, 4]);
    expect(Array.from(await backend.read(picked))).toEqual([1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]);
    // Heap corruption showed up in the next kernels: run a few and check their values.
    for (let i = 0; i < 20; i++) {
      const x = backend.fromData(new Float32Array([3, 1, 2, 3]), [2, 2], 'float32');
      const index = backend.argmax(x, 1);
      expect(Array.from(await backend.read(index))).toEqual([0, 1]);
      backend.dispose(x);
      backend.dispose(index);
    }
    for (const h of [condition, a, b, picked]) backend.dispose(h);
  });

  it('argmax takes the first maximum, NaN counting as the maximum', async () => {
    const backend = await createWasmBackend();
    const x = backend.fromData(new Float32Array([1, 3, 3, 0, 1, NaN, 2, NaN, 5, 5, 5, 5]), [3, 4], 'float32');
    const index = backend.argmax(x, 1);
    expect(Array.from(await backend.read(index))).toEqual([1, 1, 0]);
    backend.dispose(x);
    backend.dispose(index);
  });

  it('the fused matmul adds the bias right with transposed operands', async () => {
    const backend = await createWasmBackend();
    const x = fromHost(
      Float32Array.from({ length: 10 }, (_, i) => Math.sin(i + 1)),
      [5, 2],
      { backend },
    );
    const w = fromHost(
      Float32Array.from({ length: 8 }, (_, i) => Math.cos(i + 1)),
      [4, 2],
      { backend },
    );
    const bias = fromHost(new Float32Array([0.1, -0.2, 0.3, -0.4]), [4], { backend });
    const fused = noGrad(() => linear(x, w, bias, 'relu'));
    const composed = noGrad(() => tidy(() => x.matmul(w, { transposeB: true }).add(bias).relu()));
    const [got, expected] = [await fused.data(), await composed.data()];
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    for (const t of [x, w, bias, fused, composed]) t.dispose();
  });

  it('a small slice of a large tensor (taken with gather) has the right values', async () => {
    const backend = await createWasmBackend();
    const [rows, cols] = [300, 300];
    const values = Float32Array.from({ length: rows * cols }, (_, i) => i);
    const x = backend.fromData(values, [rows, cols], 'float32');
    const fullRows = backend.slice(x, [10, 0], [3, cols]);
    const got = await backend.read(fullRows);
    expect(got.length).toBe(3 * cols);
    expect([got[0], got[cols], got[3 * cols - 1]]).toEqual([10 * cols, 11 * cols, 13 * cols - 1]);
    const box = backend.slice(x, [20, 5], [2, 3]);
    expect(Array.from(await backend.read(box))).toEqual([
      20 * cols + 5,
      20 * cols + 6,
      20 * cols + 7,
      21 * cols + 5,
      21 * cols + 6,
      21 * cols + 7,
    ]);
    for (const h of [x, fullRows, box]) backend.dispose(h);
  });
});

// backend-tfjs's fused convolution kernels map three more wasm quirks (see its src/conv.ts): no
// Conv2DBackpropFilter, a slow Conv2DBackpropInput (replaced by a convolution) and non-square
// filters convolved wrongly (padded to square). These cases reach the mapped paths that the shared
// suite does not.
describe('fused convolution kernels on tfjs-backend-wasm', () => {
  it('conv2d: a 1x1 kernel with padding 1 and stride 2 (input gradient as a convolution, cut at the ends)', async () => {
    const b = await createWasmBackend();
    await expectFusedMatchesComposed(
      b,
      [{ shape: [2, 3, 5, 6] }, { shape: [4, 3, 1, 1] }, { shape: [4] }],
      (x, w, bias) => conv2d(x!, w!, bias!, { padding: 1, stride: 2 }),
    );
  });

  it('conv2d: grouped, dilated, strided 3x2 filters (padded to square)', async () => {
    const b = await createWasmBackend();
    await expectFusedMatchesComposed(b, [{ shape: [2, 4, 9, 8] }, { shape: [6, 2, 3, 2] }], (x, w) =>
      conv2d(x!, w!, null, { groups: 2, stride: [2, 1], dilation: [1, 2], padding: [1, 0] }),
    );
  });

  it('maxPool2d: 2x2 windows tiling a 7x5 image (the last row and column get no gradient), with ties', async () => {
    const b = await createWasmBackend();
    const ties = Array.from({ length: 2 * 2 * 7 * 5 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    await expectFusedMatchesComposed(b, [{ shape: [2, 2, 7, 5], values: ties }], (x) => maxPool2d(x!, 2));
    // A window holding a NaN gives NaN and sends NaN back to its taps (tfjs's MaxPool skips NaN).
    const nan = Array.from({ length: 2 * 2 * 7 * 5 }, (_, i) => (i % 17 === 3 ? NaN : Math.cos(i)));
    await expectFusedMatchesComposed(b, [{ shape: [2, 2, 7, 5], values: nan }], (x) => maxPool2d(x!, 2));
    await expectFusedMatchesComposed(b, [{ shape: [2, 2, 7, 5], values: nan }], (x) =>
      maxPool2d(x!, 3, { stride: 2, padding: 1 }),
    );
    await expectFusedMatchesComposed(b, [{ shape: [2, 2, 7, 5] }], (x) => maxPool2d(x!, 2));
  });
});
