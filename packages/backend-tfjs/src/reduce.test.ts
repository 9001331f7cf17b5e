import type { Backend, BackendHandle } from '@myelin/core';
import { beforeAll, describe, it } from 'vitest';
import { cpuBackend, expectHandle, expectNoLeak, make, take } from './test-helpers.js';

let b: Backend;
beforeAll(async () => {
  b = await cpuBackend();
});

describe('reduce', () => {
  it('sums and maxes over axes, with and without keepDims', async () => {
    const x = make(b, [1, 2, 3, 4, 5, 6], [2, 3]);
    await expectHandle(b, b.reduce('sum', x, [0], false), [3], [5, 7, 9]);
    await expectHandle(b, b.reduce('sum', x, [1], true), [2, 1], [6, 15]);
    await expectHandle(b, b.reduce('sum', x, [0, 1], false), [], [21]);
    await expectHandle(b, b.reduce('max', x, [0, 1], true), [1, 1], [6]);
    await expectHandle(b, b.reduce('max', x, [1], false), [2], [3, 6]);
    b.dispose(x);
  });

  it('copies for empty axes, also on a scalar', async () => {
    const x = make(b, [1, 2], [2]);
    const s = make(b, [7], []);
    await expectHandle(b, b.reduce('sum', x, [], false), [2], [1, 2]);
    await expectHandle(b, b.reduce('max', s, [], true), [], [7]);
    b.dispose(x);
    b.dispose(s);
  });

  it('gives 0 and -Infinity over size-0 axes (tfjs max gives NaN)', async () => {
    const x = make(b, [], [2, 0]);
    await expectHandle(b, b.reduce('sum', x, [1], false), [2], [0, 0]);
    await expectHandle(b, b.reduce('max', x, [1], true), [2, 1], [-Infinity, -Infinity]);
    await expectHandle(b, b.reduce('max', x, [0], false), [0], []);
    const i = make(b, [], [0, 2], 'int32');
    await expectHandle(b, b.reduce('max', i, [0], false), [2], [-2147483648, -2147483648], 'int32');
    await expectHandle(b, b.reduce('sum', i, [0], false), [2], [0, 0], 'int32');
    b.dispose(x);
    b.dispose(i);
  });

  it('keeps int32 and bool dtypes', async () => {
    const i = make(b, [2147483647, 1, -3, 4], [2, 2], 'int32');
    await expectHandle(b, b.reduce('sum', i, [0], false), [2], [2147483644, 5], 'int32');
    await expectHandle(b, b.reduce('max', i, [1], false), [2], [2147483647, 4], 'int32');
    const c = make(b, [0, 0, 1, 0], [2, 2], 'bool');
    await expectHandle(b, b.reduce('sum', c, [1], false), [2], [0, 1], 'bool');
    await expectHandle(b, b.reduce('max', c, [1], false), [2], [0, 1], 'bool');
    b.dispose(i);
    b.dispose(c);
  });

  it('propagates NaN through max', async () => {
    const x = make(b, [1, NaN, 3, 4], [2, 2]);
    await expectHandle(b, b.reduce('max', x, [1], false), [2], [NaN, 4]);
    b.dispose(x);
  });
});

describe('argmax', () => {
  it('returns the first maximum along an axis, as int32', async () => {
    const x = make(b, [1, 5, 5, 7, 7, 0], [2, 3]);
    await expectHandle(b, b.argmax(x, 1), [2], [1, 0], 'int32');
    await expectHandle(b, b.argmax(x, 0), [3], [1, 1, 0], 'int32');
    b.dispose(x);
  });

  it('counts NaN as the maximum (tf.argMax skips a later NaN)', async () => {
    const x = make(b, [1, NaN, 3, Infinity, 2, NaN, NaN, 0, NaN], [3, 3]);
    await expectHandle(b, b.argmax(x, 1), [3], [1, 2, 0], 'int32');
    const v = make(b, [-Infinity, -Infinity], [2]);
    await expectHandle(b, b.argmax(v, 0), [], [0], 'int32');
    b.dispose(x);
    b.dispose(v);
  });

  it('runs on int32 and bool, rank 3 and size 0', async () => {
    const i = make(b, [3, 9, 9, 1], [2, 2], 'int32');
    await expectHandle(b, b.argmax(i, 1), [2], [1, 0], 'int32');
    const c = make(b, [0, 1, 1, 0, 0, 0], [1, 3, 2], 'bool');
    await expectHandle(b, b.argmax(c, 1), [1, 2], [1, 0], 'int32');
    const e = make(b, [], [0, 3]);
    await expectHandle(b, b.argmax(e, 1), [0], [], 'int32');
    for (const h of [i, c, e]) b.dispose(h);
  });
});

describe('memory', () => {
  it('leaves only the returned tensors behind', async () => {
    const x = make(b, [1, NaN, 3, 4], [2, 2]);
    const e = make(b, [], [0, 2]);
    const c = make(b, [1, 0], [2], 'bool');
    const outs: BackendHandle[] = [];
    expectNoLeak(5, () => {
      outs.push(b.argmax(x, 1));
      outs.push(b.reduce('sum', x, [0, 1], true));
      outs.push(b.reduce('max', e, [0], false));
      outs.push(b.reduce('sum', c, [0], false));
      outs.push(b.reduce('max', x, [], false));
    });
    for (const h of [...outs, x, e, c]) await take(b, h);
  });
});
