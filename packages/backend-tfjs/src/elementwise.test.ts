import type { Backend } from '@myelin/core';
import { UnsupportedOpError } from '@myelin/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpuBackend, expectHandle, expectNoLeak, make, take, tf } from './test-helpers.js';

let b: Backend;
beforeAll(async () => {
  b = await cpuBackend();
});

describe('unary', () => {
  it('computes each float op', async () => {
    const x = make(b, [-1, 0, 0.5, 2], [2, 2]);
    const cases = {
      neg: [1, -0, -0.5, -2],
      exp: [Math.exp(-1), 1, Math.exp(0.5), Math.exp(2)],
      log: [NaN, -Infinity, Math.log(0.5), Math.log(2)],
      sqrt: [NaN, 0, Math.sqrt(0.5), Math.SQRT2],
      abs: [1, 0, 0.5, 2],
      sign: [-1, 0, 1, 1],
      sigmoid: [1 / (1 + Math.E), 0.5, 1 / (1 + Math.exp(-0.5)), 1 / (1 + Math.exp(-2))],
      tanh: [Math.tanh(-1), 0, Math.tanh(0.5), Math.tanh(2)],
      relu: [0, 0, 0.5, 2],
    } as const;
    for (const [op, want] of Object.entries(cases)) {
      await expectHandle(b, b.unary(op as keyof typeof cases, x), [2, 2], want);
    }
    b.dispose(x);
  });

  it('round gives -0 for negative values that round to zero (tfjs-cpu gives +0 for -0.5)', async () => {
    const x = make(b, [-0.5, -0.3, 0.5, -1.5, -2.5], [5]);
    const rounded = b.unary('round', x);
    const out = Array.from(await b.read(rounded));
    b.dispose(rounded);
    expect(out).toEqual([-0, -0, 0, -2, -2]);
    expect(Object.is(out[0], -0) && Object.is(out[1], -0) && Object.is(out[2], 0)).toBe(true);
    b.dispose(x);
  });

  it('keeps NaN through sign (tfjs gives 0)', async () => {
    const x = make(b, [NaN, -3, 0], [3]);
    await expectHandle(b, b.unary('sign', x), [3], [NaN, -1, 0]);
    b.dispose(x);
  });

  it('keeps NaN and infinities through relu, as PyTorch does', async () => {
    const x = make(b, [NaN, -Infinity, Infinity, -0], [4]);
    await expectHandle(b, b.unary('relu', x), [4], [NaN, 0, Infinity, 0]);
    b.dispose(x);
  });

  it('runs neg, abs and sign on int32 and refuses the rest', async () => {
    const x = make(b, [-2, 0, 3], [3], 'int32');
    await expectHandle(b, b.unary('neg', x), [3], [2, 0, -3], 'int32');
    await expectHandle(b, b.unary('abs', x), [3], [2, 0, 3], 'int32');
    await expectHandle(b, b.unary('sign', x), [3], [-1, 0, 1], 'int32');
    expect(() => b.unary('exp', x)).toThrow(UnsupportedOpError);
    b.dispose(x);
  });

  it('handles scalars and size 0', async () => {
    const s = make(b, [4], []);
    const e = make(b, [], [0, 2]);
    await expectHandle(b, b.unary('sqrt', s), [], [2]);
    await expectHandle(b, b.unary('exp', e), [0, 2], []);
    b.dispose(s);
    b.dispose(e);
  });
});

describe('cast', () => {
  it('truncates float -> int32 toward zero, and maps nonzero (and NaN) to true', async () => {
    const x = make(b, [-2.7, -0.5, 0, 1.7, NaN], [5]);
    await expectHandle(b, b.cast(x, 'int32'), [5], [-2, 0, 0, 1, 0], 'int32');
    await expectHandle(b, b.cast(x, 'bool'), [5], [1, 1, 0, 1, 1], 'bool');
    await expectHandle(b, b.cast(x, 'float32'), [5], [-2.7, -0.5, 0, 1.7, NaN]);
    b.dispose(x);
  });

  it('converts bool and int32', async () => {
    const c = make(b, [1, 0], [2], 'bool');
    const i = make(b, [0, -3], [2], 'int32');
    await expectHandle(b, b.cast(c, 'float32'), [2], [1, 0]);
    await expectHandle(b, b.cast(c, 'int32'), [2], [1, 0], 'int32');
    await expectHandle(b, b.cast(i, 'bool'), [2], [0, 1], 'bool');
    await expectHandle(b, b.cast(i, 'float32'), [2], [0, -3]);
    b.dispose(c);
    b.dispose(i);
  });
});

describe('binary', () => {
  it('broadcasts NumPy-style', async () => {
    const a = make(b, [1, 2, 3], [3, 1]);
    const c = make(b, [10, 20], [2]);
    await expectHandle(b, b.binary('add', a, c, [3, 2]), [3, 2], [11, 21, 12, 22, 13, 23]);
    await expectHandle(b, b.binary('sub', a, c, [3, 2]), [3, 2], [-9, -19, -8, -18, -7, -17]);
    await expectHandle(b, b.binary('mul', a, c, [3, 2]), [3, 2], [10, 20, 20, 40, 30, 60]);
    await expectHandle(b, b.binary('div', a, c, [3, 2]), [3, 2], [0.1, 0.05, 0.2, 0.1, 0.3, 0.15]);
    await expectHandle(b, b.binary('less', a, c, [3, 2]), [3, 2], [1, 1, 1, 1, 1, 1], 'bool');
    b.dispose(a);
    b.dispose(c);
  });

  it('computes each op on floats, with scalars', async () => {
    const a = make(b, [-2, 0, 2, NaN], [4]);
    const s = make(b, [2], []);
    await expectHandle(b, b.binary('pow', a, s, [4]), [4], [4, 0, 4, NaN]);
    await expectHandle(b, b.binary('maximum', a, s, [4]), [4], [2, 2, 2, NaN]);
    await expectHandle(b, b.binary('minimum', a, s, [4]), [4], [-2, 0, 2, NaN]);
    await expectHandle(b, b.binary('equal', a, s, [4]), [4], [0, 0, 1, 0], 'bool');
    await expectHandle(b, b.binary('notEqual', a, s, [4]), [4], [1, 1, 0, 1], 'bool');
    await expectHandle(b, b.binary('lessEqual', a, s, [4]), [4], [1, 1, 1, 0], 'bool');
    await expectHandle(b, b.binary('greater', a, s, [4]), [4], [0, 0, 0, 0], 'bool');
    await expectHandle(b, b.binary('greaterEqual', a, s, [4]), [4], [0, 0, 1, 0], 'bool');
    await expectHandle(b, b.binary('div', s, a, [4]), [4], [-1, Infinity, 1, NaN]);
    await expectHandle(b, b.binary('add', s, s, []), [], [4]);
    b.dispose(a);
    b.dispose(s);
  });

  it('keeps int32 and wraps like Int32Array', async () => {
    const a = make(b, [2147483647, -5, 7], [3], 'int32');
    const c = make(b, [1, 3, 7], [3], 'int32');
    await expectHandle(b, b.binary('add', a, c, [3]), [3], [-2147483648, -2, 14], 'int32');
    await expectHandle(b, b.binary('maximum', a, c, [3]), [3], [2147483647, 3, 7], 'int32');
    await expectHandle(b, b.binary('equal', a, c, [3]), [3], [0, 0, 1], 'bool');
    expect(() => b.binary('div', a, c, [3])).toThrow(UnsupportedOpError);
    b.dispose(a);
    b.dispose(c);
  });

  it('keeps bool arithmetic 0/1 (tfjs stores 2 and 255)', async () => {
    const a = make(b, [1, 1, 0, 0], [4], 'bool');
    const c = make(b, [1, 0, 1, 0], [4], 'bool');
    await expectHandle(b, b.binary('add', a, c, [4]), [4], [1, 1, 1, 0], 'bool');
    await expectHandle(b, b.binary('sub', a, c, [4]), [4], [0, 1, 1, 0], 'bool');
    await expectHandle(b, b.binary('mul', a, c, [4]), [4], [1, 0, 0, 0], 'bool');
    await expectHandle(b, b.binary('maximum', a, c, [4]), [4], [1, 1, 1, 0], 'bool');
    await expectHandle(b, b.binary('minimum', a, c, [4]), [4], [1, 0, 0, 0], 'bool');
    await expectHandle(b, b.binary('less', a, c, [4]), [4], [0, 0, 1, 0], 'bool');
    b.dispose(a);
    b.dispose(c);
  });

  it('gives size-0 results', async () => {
    const a = make(b, [], [0, 1]);
    const c = make(b, [1, 2, 3], [1, 3]);
    await expectHandle(b, b.binary('add', a, c, [0, 3]), [0, 3], []);
    await expectHandle(b, b.binary('equal', a, c, [0, 3]), [0, 3], [], 'bool');
    b.dispose(a);
    b.dispose(c);
  });
});

describe('where', () => {
  it('broadcasts all three operands', async () => {
    const cond = make(b, [1, 0], [2, 1], 'bool');
    const a = make(b, [1, 2, 3], [1, 3]);
    const z = make(b, [-1], []);
    await expectHandle(b, b.where(cond, a, z, [2, 3]), [2, 3], [1, 2, 3, -1, -1, -1]);
    b.dispose(cond);
    b.dispose(a);
    b.dispose(z);
  });

  it('selects int32 and bool, and builds size-0 results (tf.broadcastTo mis-shapes them)', async () => {
    const cond = make(b, [1, 0], [2], 'bool');
    const i = make(b, [5, 6], [2], 'int32');
    const j = make(b, [7], [1], 'int32');
    await expectHandle(b, b.where(cond, i, j, [2]), [2], [5, 7], 'int32');
    await expectHandle(b, b.where(cond, cond, cond, [2]), [2], [1, 0], 'bool');
    const c1 = make(b, [1], [1], 'bool');
    const e = make(b, [], [0]);
    const one = make(b, [1], [1]);
    await expectHandle(b, b.where(c1, e, one, [0]), [0], []);
    for (const h of [cond, i, j, c1, e, one]) b.dispose(h);
  });

  it('fills a size-1 branch or condition instead of tiling it (tfjs Tile walks every index)', async () => {
    const cond = make(b, [1, 0, 1, 0, 0, 1], [2, 3], 'bool');
    const x = make(b, [NaN, Infinity, -2, -Infinity, 5, 6], [2, 3]);
    const zero = make(b, [0], []);
    const one = make(b, [-0.5], [1, 1]);
    const yes = make(b, [1], [1], 'bool');
    const info = await tf.profile(() => {
      const outs = [
        b.where(cond, x, zero, [2, 3]),
        b.where(cond, one, x, [2, 3]),
        b.where(cond, zero, one, [2, 3]),
        b.where(yes, x, zero, [2, 3]),
      ];
      return outs as unknown as ReturnType<typeof tf.tensor>[];
    });
    expect(info.kernelNames).not.toContain('Tile');
    const [r1, r2, r3, r4] = info.result as unknown as ReturnType<Backend['where']>[];
    await expectHandle(b, r1!, [2, 3], [NaN, 0, -2, 0, 0, 6]);
    await expectHandle(b, r2!, [2, 3], [-0.5, Infinity, -0.5, -Infinity, 5, -0.5]);
    await expectHandle(b, r3!, [2, 3], [0, -0.5, 0, -0.5, -0.5, 0]);
    await expectHandle(b, r4!, [2, 3], [NaN, Infinity, -2, -Infinity, 5, 6]);
    for (const h of [cond, x, zero, one, yes]) b.dispose(h);
  });
});

describe('memory', () => {
  it('leaves only the returned tensors behind', async () => {
    const x = make(b, [NaN, -1, 2], [3]);
    const c = make(b, [1, 0, 1], [3], 'bool');
    const outs: ReturnType<Backend['unary']>[] = [];
    expectNoLeak(5, () => {
      outs.push(b.unary('sign', x));
      outs.push(b.cast(x, 'int32'));
      outs.push(b.binary('add', c, c, [3]));
      outs.push(b.binary('minimum', c, c, [3]));
      outs.push(b.where(c, x, x, [3]));
    });
    for (const h of outs) await take(b, h);
    b.dispose(x);
    b.dispose(c);
  });
});
