import type { Backend, BackendHandle } from '@myelin/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpuBackend, expectHandle, expectNoLeak, make, take, tf } from './test-helpers.js';

let b: Backend;
beforeAll(async () => {
  b = await cpuBackend();
});

const X23 = [1, 2, 3, 4, 5, 6];

describe('reshape, transpose, broadcastTo', () => {
  it('reshapes (always to a new handle), including size 0 and scalars', async () => {
    const x = make(b, X23, [2, 3]);
    await expectHandle(b, b.reshape(x, [3, 2]), [3, 2], X23);
    const same = b.reshape(x, [2, 3]);
    expect(same).not.toBe(x);
    await expectHandle(b, same, [2, 3], X23);
    const e = make(b, [], [0, 3]);
    await expectHandle(b, b.reshape(e, [3, 0]), [3, 0], []);
    const s = make(b, [9], [1, 1]);
    await expectHandle(b, b.reshape(s, []), [], [9]);
    for (const h of [x, e, s]) b.dispose(h);
  });

  it('transposes to a contiguous copy', async () => {
    const x = make(b, X23, [2, 3]);
    await expectHandle(b, b.transpose(x, [1, 0]), [3, 2], [1, 4, 2, 5, 3, 6]);
    const r3 = make(b, [0, 1, 2, 3, 4, 5, 6, 7], [2, 2, 2]);
    await expectHandle(b, b.transpose(r3, [2, 0, 1]), [2, 2, 2], [0, 2, 4, 6, 1, 3, 5, 7]);
    const c = make(b, [1, 0, 0], [1, 3], 'bool');
    await expectHandle(b, b.transpose(c, [1, 0]), [3, 1], [1, 0, 0], 'bool');
    const s = make(b, [2], []);
    await expectHandle(b, b.transpose(s, []), [], [2]);
    for (const h of [x, r3, c, s]) b.dispose(h);
  });

  it('broadcasts, including to size 0 (tf.broadcastTo keeps [1,2] there)', async () => {
    const x = make(b, [1, 2], [1, 2]);
    await expectHandle(b, b.broadcastTo(x, [3, 2]), [3, 2], [1, 2, 1, 2, 1, 2]);
    await expectHandle(b, b.broadcastTo(x, [1, 2]), [1, 2], [1, 2]);
    await expectHandle(b, b.broadcastTo(x, [0, 2]), [0, 2], []);
    const i = make(b, [7], [1], 'int32');
    await expectHandle(b, b.broadcastTo(i, [2]), [2], [7, 7], 'int32');
    b.dispose(x);
    b.dispose(i);
  });

  it('fills a size-1 input (a sum or mean gradient) instead of tiling it', async () => {
    const g = make(b, [NaN], [1, 1]);
    const t = make(b, [1], [], 'bool');
    const info = await tf.profile(() => [b.broadcastTo(g, [2, 3]), b.broadcastTo(t, [2])] as unknown as tf.Tensor[]);
    expect(info.kernelNames).not.toContain('Tile');
    const [r1, r2] = info.result as unknown as BackendHandle[];
    await expectHandle(b, r1!, [2, 3], [NaN, NaN, NaN, NaN, NaN, NaN]);
    await expectHandle(b, r2!, [2], [1, 1], 'bool');
    b.dispose(g);
    b.dispose(t);
  });
});

describe('slice and pad', () => {
  it('slices boxes, size-0 boxes and scalars (tf.slice throws on those)', async () => {
    const x = make(b, X23, [2, 3]);
    await expectHandle(b, b.slice(x, [0, 1], [2, 2]), [2, 2], [2, 3, 5, 6]);
    await expectHandle(b, b.slice(x, [2, 0], [0, 3]), [0, 3], []);
    const s = make(b, [5], []);
    await expectHandle(b, b.slice(s, [], []), [], [5]);
    b.dispose(x);
    b.dispose(s);
  });

  it('pads with a value in the dtype, also size-0 inputs and scalars', async () => {
    const x = make(b, [1, 2], [1, 2]);
    await expectHandle(
      b,
      b.pad(
        x,
        [
          [1, 0],
          [0, 2],
        ],
        -1.5,
      ),
      [2, 4],
      [-1.5, -1.5, -1.5, -1.5, 1, 2, -1.5, -1.5],
    );
    const i = make(b, [1, 2], [2], 'int32');
    await expectHandle(b, b.pad(i, [[1, 1]], 7), [4], [7, 1, 2, 7], 'int32');
    const c = make(b, [0], [1], 'bool');
    await expectHandle(b, b.pad(c, [[2, 0]], 5), [3], [1, 1, 0], 'bool');
    const e = make(b, [], [0, 2]);
    await expectHandle(
      b,
      b.pad(
        e,
        [
          [1, 0],
          [0, 1],
        ],
        3,
      ),
      [1, 3],
      [3, 3, 3],
    );
    await expectHandle(
      b,
      b.pad(
        e,
        [
          [0, 0],
          [1, 1],
        ],
        3,
      ),
      [0, 4],
      [],
    );
    const s = make(b, [4], []);
    await expectHandle(b, b.pad(s, [], 0), [], [4]);
    for (const h of [x, i, c, e, s]) b.dispose(h);
  });
});

describe('concat', () => {
  it('joins along an axis, skipping empty pieces', async () => {
    const a = make(b, [1, 2], [1, 2]);
    const c = make(b, [3, 4, 5, 6], [2, 2]);
    const e = make(b, [], [0, 2]);
    await expectHandle(b, b.concat([a, c], 0), [3, 2], [1, 2, 3, 4, 5, 6]);
    await expectHandle(b, b.concat([e, a, e], 0), [1, 2], [1, 2]);
    await expectHandle(b, b.concat([e, e], 0), [0, 2], []);
    const one = b.concat([a], 0);
    expect(one).not.toBe(a);
    await expectHandle(b, one, [1, 2], [1, 2]);
    const col = make(b, [9, 8], [2, 1]);
    await expectHandle(b, b.concat([c, col], 1), [2, 3], [3, 4, 9, 5, 6, 8]);
    for (const h of [a, c, e, col]) b.dispose(h);
  });

  it('joins int32 and bool, and all-empty pieces into size 0 (not tfjs Array data)', async () => {
    const i = make(b, [1], [1], 'int32');
    const j = make(b, [2, 3], [2], 'int32');
    await expectHandle(b, b.concat([i, j], 0), [3], [1, 2, 3], 'int32');
    const t = make(b, [1], [1], 'bool');
    const f = make(b, [0], [1], 'bool');
    await expectHandle(b, b.concat([t, f], 0), [2], [1, 0], 'bool');
    const e = make(b, [], [2, 0]);
    const h = b.concat([e, e], 1);
    expect(await b.read(h)).toBeInstanceOf(Float32Array);
    await expectHandle(b, h, [2, 0], []);
    for (const x of [i, j, t, f, e]) b.dispose(x);
  });
});

describe('gather and scatterAdd', () => {
  it('gathers with indices of any shape along any axis', async () => {
    const x = make(b, X23, [3, 2]);
    const idx = make(b, [2, 0, 1, 1], [2, 2], 'int32');
    await expectHandle(b, b.gather(x, idx, 0), [2, 2, 2], [5, 6, 1, 2, 3, 4, 3, 4]);
    const s = make(b, [1], [], 'int32');
    await expectHandle(b, b.gather(x, s, 1), [3], [2, 4, 6]);
    const e = make(b, [], [0], 'int32');
    await expectHandle(b, b.gather(x, e, 0), [0, 2], []);
    const c = make(b, [1, 0, 1], [3], 'bool');
    const two = make(b, [1, 1], [2], 'int32');
    await expectHandle(b, b.gather(c, two, 0), [2], [0, 0], 'bool');
    for (const h of [x, idx, s, e, c, two]) b.dispose(h);
  });

  it('accumulates repeated indices', async () => {
    const u = make(b, [1, 2, 3, 4], [4]);
    const idx = make(b, [0, 0, 2, 0], [4], 'int32');
    await expectHandle(b, b.scatterAdd(u, idx, 0, 3), [3], [7, 0, 3]);
    b.dispose(u);
    b.dispose(idx);
  });

  it('is the adjoint of gather for 2-D indices on a middle axis', async () => {
    // x [2,3,2], indices [2,2] on axis 1 -> updates [2,2,2,2]
    const idx = make(b, [2, 0, 2, 2], [2, 2], 'int32');
    const upd = make(
      b,
      Array.from({ length: 16 }, (_, k) => k + 1),
      [2, 2, 2, 2],
    );
    // batch 0: row 2 <- (1,2)+(5,6)+(7,8), row 0 <- (3,4); batch 1: the same rows, each value + 8
    const want = [3, 4, 0, 0, 13, 16, 11, 12, 0, 0, 37, 40];
    await expectHandle(b, b.scatterAdd(upd, idx, 1, 3), [2, 3, 2], want);
    b.dispose(idx);
    b.dispose(upd);
  });

  it('takes scalar indices, int32 updates, and Inf without NaN elsewhere', async () => {
    const s = make(b, [1], [], 'int32');
    const u = make(b, [5, 6], [2]);
    await expectHandle(b, b.scatterAdd(u, s, 1, 3), [2, 3], [0, 5, 0, 0, 6, 0]);
    const iu = make(b, [16777217, 1], [2], 'int32');
    const idx = make(b, [0, 0], [2], 'int32');
    await expectHandle(b, b.scatterAdd(iu, idx, 0, 2), [2], [16777218, 0], 'int32');
    const inf = make(b, [Infinity], [1]);
    const z = make(b, [0], [1], 'int32');
    await expectHandle(b, b.scatterAdd(inf, z, 0, 2), [2], [Infinity, 0]);
    for (const h of [s, u, iu, idx, inf, z]) b.dispose(h);
  });

  it('builds zeros for empty updates or a size-0 result, and keeps bool 0/1', async () => {
    const e = make(b, [], [0, 2]);
    const ei = make(b, [], [0], 'int32');
    await expectHandle(b, b.scatterAdd(e, ei, 0, 3), [3, 2], [0, 0, 0, 0, 0, 0]);
    const e2 = make(b, [], [0]);
    await expectHandle(b, b.scatterAdd(e2, ei, 0, 0), [0], []);
    const c = make(b, [1, 1, 0], [3], 'bool');
    const idx = make(b, [1, 1, 0], [3], 'int32');
    await expectHandle(b, b.scatterAdd(c, idx, 0, 2), [2], [0, 1], 'bool');
    for (const h of [e, ei, e2, c, idx]) b.dispose(h);
  });
});

describe('memory', () => {
  it('leaves only the returned tensors behind', async () => {
    const x = make(b, X23, [2, 3]);
    const e = make(b, [], [0, 3]);
    const idx = make(b, [1, 1, 0], [3], 'int32');
    const c = make(b, [1, 0, 1], [3], 'bool');
    const outs: BackendHandle[] = [];
    expectNoLeak(9, () => {
      outs.push(b.reshape(x, [6]));
      outs.push(b.transpose(x, [1, 0]));
      outs.push(b.broadcastTo(e, [0, 3]));
      outs.push(b.slice(x, [0, 0], [1, 3]));
      outs.push(
        b.pad(
          x,
          [
            [1, 1],
            [0, 0],
          ],
          2,
        ),
      );
      outs.push(b.concat([x, e, x], 0));
      outs.push(b.gather(x, idx, 1));
      outs.push(b.scatterAdd(x, idx, 1, 4));
      outs.push(b.scatterAdd(c, idx, 0, 2));
    });
    for (const h of [...outs, x, e, idx, c]) await take(b, h);
  });
});
