import { BACKEND_CONTRACT_VERSION, getBackend, removeBackend, UnsupportedOpError } from '@myelin/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { createTfjsBackend, registerTfjsBackend } from './index.js';
import { cpuBackend, expectHandle, make, meta, take, tf } from './test-helpers.js';
import type { Backend } from '@myelin/core';

let b: Backend;
beforeAll(async () => {
  b = await cpuBackend();
});

describe('identity', () => {
  it('names itself after the tfjs backend and states the contract version', () => {
    expect(b.name).toBe('tfjs-cpu');
    expect(b.contractVersion).toBe(BACKEND_CONTRACT_VERSION);
    expect(b.dtypes).toEqual(['float32', 'int32', 'bool']);
    expect(b.fused?.matmulBiasActivation).toBeTypeOf('function');
  });

  it('takes a name, and exposes readSync only where asked (default: on cpu)', () => {
    expect(createTfjsBackend(tf, { name: 'x' }).name).toBe('x');
    expect(b.readSync).toBeTypeOf('function');
    expect(createTfjsBackend(tf, { syncReads: false }).readSync).toBeUndefined();
  });

  it('selects a tfjs backend on creation, and refuses an unknown one', () => {
    expect(createTfjsBackend(tf, { tfjsBackend: 'cpu' }).name).toBe('tfjs-cpu');
    expect(() => createTfjsBackend(tf, { tfjsBackend: 'nope' })).toThrow(/not registered/);
  });

  it('registers with core under its name', () => {
    expect(registerTfjsBackend(tf, { name: 'tfjs-test' })).toBe('tfjs-test');
    expect(getBackend('tfjs-test').name).toBe('tfjs-test');
    removeBackend('tfjs-test');
  });
});

describe('storage', () => {
  it('round-trips each dtype into the right typed array', async () => {
    const f = make(b, [1.5, -2, 3], [3]);
    const i = make(b, [7, -8], [2, 1], 'int32');
    const c = make(b, [1, 0, 1], [3], 'bool');
    expect(await b.read(f)).toEqual(new Float32Array([1.5, -2, 3]));
    expect(await b.read(i)).toEqual(new Int32Array([7, -8]));
    expect(await b.read(c)).toEqual(new Uint8Array([1, 0, 1]));
    expect(b.readSync?.(i)).toEqual(new Int32Array([7, -8]));
    for (const h of [f, i, c]) b.dispose(h);
  });

  it('copies host data both ways (tfjs-cpu would share the buffers)', async () => {
    const values = new Float32Array([1, 2]);
    const h = b.fromData(values, [2], 'float32');
    values[0] = 99;
    const out = (await b.read(h)) as Float32Array;
    out[1] = 99;
    expect(await take(b, h)).toEqual([1, 2]);
  });

  it('stores scalars and size-0 tensors', async () => {
    await expectHandle(b, make(b, [4], []), [], [4]);
    await expectHandle(b, make(b, [], [0, 3], 'int32'), [0, 3], [], 'int32');
    await expectHandle(b, b.fill([], 2.5, 'float32'), [], [2.5]);
    await expectHandle(b, b.fill([2, 0], 1, 'bool'), [2, 0], [], 'bool');
  });

  it('fills with the value as the dtype stores it', async () => {
    await expectHandle(b, b.fill([2], 3, 'bool'), [2], [1, 1], 'bool');
    await expectHandle(b, b.fill([2], -2.7, 'int32'), [2], [-2, -2], 'int32');
    await expectHandle(b, b.fill([1, 2], -Infinity, 'float32'), [1, 2], [-Infinity, -Infinity]);
  });

  it('normalises bool input to 0/1', async () => {
    const h = b.fromData(new Uint8Array([0, 2, 255]), [3], 'bool');
    expect(await take(b, h)).toEqual([0, 1, 1]);
  });

  it('throws UnsupportedOpError for float64', () => {
    const h = make(b, [1], [1]);
    expect(() => b.fromData(new Float64Array([1]), [1], 'float64')).toThrow(UnsupportedOpError);
    expect(() => b.fill([1], 0, 'float64')).toThrow(/'fill' for dtype float64/);
    expect(() => b.cast(h, 'float64')).toThrow(/backend 'tfjs-cpu' does not support op 'cast'/);
    b.dispose(h);
  });
});

describe('liveHandles', () => {
  it('counts created, undisposed handles; dispose is idempotent', () => {
    const start = b.liveHandles();
    const x = make(b, [1, 2], [2]);
    const y = b.unary('neg', x);
    const z = b.reshape(y, [2]); // same shape still makes a new handle
    expect(z).not.toBe(y);
    expect(b.liveHandles()).toBe(start + 3);
    b.dispose(y);
    b.dispose(y);
    expect(b.liveHandles()).toBe(start + 2);
    b.dispose(x);
    b.dispose(z);
    expect(b.liveHandles()).toBe(start);
  });

  it('keeps handles alive past an enclosing tf.tidy', async () => {
    let h = make(b, [0], [1]);
    b.dispose(h);
    tf.tidy(() => {
      h = make(b, [3], [1]); // not returned: tidy would dispose it but for tf.keep
    });
    expect(meta(h).shape).toEqual([1]);
    expect(await take(b, h)).toEqual([3]);
  });

  it('frees the tfjs tensors on dispose', () => {
    const before = tf.memory().numTensors;
    const h = make(b, [1, 2, 3], [3]);
    const s = b.reduce('sum', h, [0], false);
    expect(tf.memory().numTensors).toBe(before + 2);
    b.dispose(h);
    b.dispose(s);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses to run when another tfjs backend became active', async () => {
    tf.registerBackend('other-cpu', () => new MathBackendCPU(), -1);
    const x = make(b, [1], [1]);
    await tf.setBackend('other-cpu');
    expect(() => b.unary('neg', x)).toThrow(/tfjs now has 'other-cpu' active/);
    await tf.setBackend('cpu');
    b.dispose(x);
    tf.removeBackend('other-cpu');
  });
});
