import type { Backend, BackendHandle } from '@myelin/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpuBackend, expectHandle, expectNoLeak, make, take } from './test-helpers.js';

let b: Backend;
beforeAll(async () => {
  b = await cpuBackend();
});

// a: [1,2,3] = [[1,2,3],[4,5,6]]; b: [1,3,2] = [[1,0],[0,1],[1,1]] -> a@b = [[4,5],[10,11]]
const A = [1, 2, 3, 4, 5, 6];
const B = [1, 0, 0, 1, 1, 1];

describe('matmul', () => {
  it('multiplies batches, with every transpose combination', async () => {
    const a = make(b, A, [1, 2, 3]);
    const bb = make(b, B, [1, 3, 2]);
    const aT = make(b, [1, 4, 2, 5, 3, 6], [1, 3, 2]);
    const bT = make(b, [1, 0, 1, 0, 1, 1], [1, 2, 3]);
    const want = [4, 5, 10, 11];
    await expectHandle(b, b.matmul(a, bb, false, false), [1, 2, 2], want);
    await expectHandle(b, b.matmul(aT, bb, true, false), [1, 2, 2], want);
    await expectHandle(b, b.matmul(a, bT, false, true), [1, 2, 2], want);
    await expectHandle(b, b.matmul(aT, bT, true, true), [1, 2, 2], want);
    for (const h of [a, bb, aT, bT]) b.dispose(h);
  });

  it('runs batch > 1 and size-0 dims (K = 0 gives zeros)', async () => {
    const a = make(b, [1, 2, 3, 4], [2, 1, 2]);
    const c = make(b, [1, 1, 2, 0], [2, 2, 1]);
    await expectHandle(b, b.matmul(a, c, false, false), [2, 1, 1], [3, 6]);
    const k0a = make(b, [], [2, 2, 0]);
    const k0b = make(b, [], [2, 0, 3]);
    await expectHandle(b, b.matmul(k0a, k0b, false, false), [2, 2, 3], new Array(12).fill(0));
    const m0 = make(b, [], [0, 2, 3]);
    const n0 = make(b, [], [0, 3, 1]);
    await expectHandle(b, b.matmul(m0, n0, false, false), [0, 2, 1], []);
    for (const h of [a, c, k0a, k0b, m0, n0]) b.dispose(h);
  });
});

describe('fused.matmulBiasActivation', () => {
  const fused = (...args: Parameters<NonNullable<NonNullable<Backend['fused']>['matmulBiasActivation']>>) =>
    b.fused!.matmulBiasActivation!(...args);

  it('adds a broadcast bias and applies each activation (tanh is not fused in tfjs)', async () => {
    const a = make(b, A, [1, 2, 3]);
    const bb = make(b, B, [1, 3, 2]);
    const bias = make(b, [-5, -12], [2]);
    const pre = [-1, -7, 5, -1];
    const act = {
      linear: pre,
      relu: pre.map((v) => Math.max(v, 0)),
      sigmoid: pre.map((v) => 1 / (1 + Math.exp(-v))),
      tanh: pre.map(Math.tanh),
    } as const;
    for (const [name, want] of Object.entries(act)) {
      await expectHandle(b, fused(a, bb, bias, name as keyof typeof act, false, false), [1, 2, 2], want);
    }
    for (const h of [a, bb, bias]) b.dispose(h);
  });

  it('takes no bias, rank-3 and column biases, and transposes', async () => {
    const aT = make(b, [1, 4, 2, 5, 3, 6], [1, 3, 2]);
    const bT = make(b, [1, 0, 1, 0, 1, 1], [1, 2, 3]);
    await expectHandle(b, fused(aT, bT, null, 'linear', true, true), [1, 2, 2], [4, 5, 10, 11]);
    const col = make(b, [100, 200], [1, 2, 1]);
    await expectHandle(b, fused(aT, bT, col, 'relu', true, true), [1, 2, 2], [104, 105, 210, 211]);
    const s = make(b, [1], []);
    await expectHandle(b, fused(aT, bT, s, 'tanh', true, true), [1, 2, 2], [5, 6, 11, 12].map(Math.tanh));
    for (const h of [aT, bT, col, s]) b.dispose(h);
  });

  it('handles size-0 outputs and K = 0', async () => {
    const a = make(b, [], [1, 2, 0]);
    const c = make(b, [], [1, 0, 3]);
    const bias = make(b, [1, -2, 3], [3]);
    await expectHandle(b, fused(a, c, bias, 'relu', false, false), [1, 2, 3], [1, 0, 3, 1, 0, 3]);
    const m0 = make(b, [], [1, 0, 2]);
    const k2 = make(b, [1, 2, 3, 4, 5, 6], [1, 2, 3]);
    await expectHandle(b, fused(m0, k2, bias, 'sigmoid', false, false), [1, 0, 3], []);
    for (const h of [a, c, bias, m0, k2]) b.dispose(h);
  });

  it('leaves only the returned tensors behind', async () => {
    const a = make(b, A, [1, 2, 3]);
    const bb = make(b, B, [1, 3, 2]);
    const bias = make(b, [1, 2], [2]);
    const outs: BackendHandle[] = [];
    expectNoLeak(3, () => {
      outs.push(fused(a, bb, bias, 'tanh', false, false));
      outs.push(fused(a, bb, null, 'relu', false, false));
      outs.push(b.matmul(a, bb, false, false));
    });
    expect(outs).toHaveLength(3);
    for (const h of [...outs, a, bb, bias]) await take(b, h);
  });
});
