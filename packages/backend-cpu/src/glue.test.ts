// The checks backend-cpu's addon takes from the N-API glue it shares with backend-cuda
// (tooling/native-build), where they are stricter than backend-cpu's own were.
import { ArgumentError, DisposedTensorError, NATIVE_CODES, ShapeError } from '@myelin/core/backend';
import { describe, expect, it } from 'vitest';
import { expectOptimizerTablesReadOnce } from '@myelin/conformance';
import { loadAddon } from './native.js';

const addon = loadAddon().addon;
const F32 = NATIVE_CODES.dtype.float32;
const I32 = NATIVE_CODES.dtype.int32;
const BOOL = NATIVE_CODES.dtype.bool;

describe.skipIf(addon === undefined)('shared glue', () => {
  const native = addon!;

  it('releases the tensors an entry point made before it failed', () => {
    const logits = native.fromData(new Float32Array([1, 2, 3, 4]), [2, 2], F32);
    const labels = native.fromData(new Int32Array([0, 1]), [2], I32);
    const live = native.stats().liveTensors;
    // A failing call (a bad reduction code, or a label out of range found after the checks of
    // the shapes) keeps no tensor.
    expect(() => native.softmaxCrossEntropy(logits, labels, true, 1, 7, -100)).toThrow(ArgumentError);
    const outOfRange = native.fromData(new Int32Array([0, 5]), [2], I32);
    expect(() => native.softmaxCrossEntropy(logits, outOfRange, true, 1, 0, -100)).toThrow(
      'softmaxCrossEntropy: label 5 is out of range [0, 2) and is not ignoreIndex -100',
    );
    native.release(outOfRange);
    expect(() => native.softmaxCrossEntropy(logits, labels, true, 1, 7, -100)).toThrow(
      'softmaxCrossEntropy: unknown reduction code 7',
    );
    expect(native.stats().liveTensors).toBe(live);
    native.release(logits);
    native.release(labels);
  });

  it('checks a matmulBiasActivation bias before making the product', () => {
    const x = native.fromData(new Float32Array(6), [1, 2, 3], F32);
    const y = native.fromData(new Float32Array(12), [1, 3, 4], F32);
    const bias = native.fromData(new Float32Array(3), [3], F32);
    const live = native.stats().liveTensors;
    expect(() => native.matmulBiasActivation(x, y, bias, 0, false, false)).toThrow(ShapeError);
    expect(() => native.matmulBiasActivation(x, y, bias, 0, false, false)).toThrow(
      'matmulBiasActivation: bias [3] does not broadcast to [1,2,4]',
    );
    expect(native.stats().liveTensors).toBe(live);
    for (const id of [x, y, bias]) native.release(id);
  });

  it('names the handle of a concat input that is not live', () => {
    const x = native.fromData(new Float32Array(2), [2], F32);
    expect(() => native.concat([x, 9999], 0)).toThrow(DisposedTensorError);
    expect(() => native.concat([x, 9999], 0)).toThrow("backend 'cpu': handle 9999 is not live");
    native.release(x);
  });

  it('reads an int32 argument exactly: 0.5 is not handle 0, 2^32 is not axis 0', () => {
    const x = native.fromData(new Float32Array([1, 2, 3, 4]), [2, 2], F32);
    expect(() => native.unary(0, x + 0.5)).toThrow(ArgumentError);
    expect(() => native.unary(0, x + 0.5)).toThrow(`argument 1 must be a 32-bit integer, got ${x}.500000`);
    expect(() => native.read(NaN)).toThrow('argument 0 must be a 32-bit integer, got nan');
    expect(() => native.argmax(x, 2 ** 32)).toThrow('argument 1 must be a 32-bit integer, got 4294967296.000000');
    expect(() => native.concat([x, x + 0.5], 0)).toThrow('concat: element 1 is not a handle id');
    expect(Array.from(native.read(native.argmax(x, 1)))).toEqual([1, 1]);
    native.release(x);
  });

  it('sorts rows into [values, indices] and refuses bool before making either', () => {
    const flags = native.fromData(new Uint8Array([1, 0]), [2], BOOL);
    const live = native.stats().liveTensors;
    expect(() => native.sort(flags, false)).toThrow(/sort.*bool.*cast to int32 first/);
    expect(native.stats().liveTensors).toBe(live);
    const x = native.fromData(new Float32Array([1, NaN, -0, 0, 1, -Infinity]), [2, 3], F32);
    const [values, indices] = native.sort(x, true);
    expect(Array.from(native.read(values))).toEqual([NaN, 1, -0, 1, 0, -Infinity]);
    expect(Array.from(native.read(indices))).toEqual([1, 0, 2, 1, 0, 2]);
    for (const id of [flags, x, values, indices]) native.release(id);
  });

  it('ignores arguments past the 16th instead of reading past its argument array', () => {
    const x = native.fill([2], 1, F32);
    const y = (native.unary as (...args: unknown[]) => number)(0, x, ...new Array<number>(30).fill(0));
    expect(Array.from(native.read(y))).toEqual([-1, -1]);
    native.release(x);
    native.release(y);
  });

  it('optimizers read the id table once: an out array overlapping it changes nothing', () => {
    expectOptimizerTablesReadOnce({ addon: native, read: (id) => native.read(id) });
  });

  // Sizes past what int64 holds: each would have been a signed overflow (a UBSan report in
  // test:asan) before the check. Only shapes and empty tensors: nothing large is allocated.
  describe('size arithmetic', () => {
    const empty = (shape: number[], dtype = F32) => native.fill(shape, 0, dtype);
    const release = (...ids: number[]) => ids.forEach((id) => native.release(id));

    it('refuses an empty shape whose other dimensions multiply past 2^50 (its strides would overflow)', () => {
      for (const shape of [
        [0, 2 ** 40, 2 ** 40],
        [2 ** 40, 0, 2 ** 40],
      ]) {
        expect(() => native.fill(shape, 0, F32)).toThrow(ShapeError);
        expect(() => native.fill(shape, 0, F32)).toThrow(
          `shape [${shape.join(',')}] is too large: its non-zero dimensions multiply to more than 2^50`,
        );
        expect(() => native.fromData(new Float32Array(0), shape, F32)).toThrow(ShapeError);
      }
      const x = empty([0, 2 ** 40]);
      expect(() => native.reshape(x, [2 ** 40, 0, 2 ** 40])).toThrow(/non-zero dimensions multiply to more than 2\^50/);
      expect(() => native.broadcastTo(empty([1, 0, 1]), [2 ** 40, 0, 2 ** 40])).toThrow(ShapeError);
      release(x);
    });

    it('runs every op on an empty tensor at the limit (2^50 non-zero) without overflowing or looping over it', () => {
      const x = empty([0, 2 ** 25, 2 ** 25]);
      const outs = [
        native.transpose(x, [2, 1, 0]),
        native.slice(x, [0, 1, 1], [0, 2, 2]),
        native.binary(0, x, x),
        native.reduce(0, x, [1], false),
        native.pad(x, [0, 0, 0, 0, 0, 0], 0),
        native.concat([x, x], 0),
      ];
      for (const id of outs) expect(native.read(id).length).toBe(0);
      release(x, ...outs);
      // Empty outputs with 2^48 outer rows (or images, or batch entries): nothing to do, at once.
      const rows = empty([2 ** 48, 0]);
      const none = native.fromData(new Int32Array(0), [0], I32);
      const one = native.fromData(new Int32Array([0]), [1], I32);
      const gathered = native.gather(rows, none, 1);
      const scattered = native.scatterAdd(empty([2 ** 48, 1, 0]), one, 1, 3);
      const product = native.matmul(empty([2 ** 48, 0, 1]), empty([2 ** 48, 1, 0]), false, false);
      const [dx, dw, db] = native.conv2dBackward(
        empty([2 ** 40, 0, 14, 14]),
        empty([2 ** 40, 0, 14, 14]),
        empty([0, 0, 1, 1]),
        1,
        1,
        0,
        0,
        1,
        1,
        1,
        true,
        true,
        true,
      );
      for (const id of [gathered, scattered, product, dx!, dw!, db!]) expect(native.read(id).length).toBe(0);
    });

    it('refuses a broadcast whose output is past 2^50 elements before building its loop', () => {
      const c = empty([2 ** 21, 1, 1], BOOL);
      const a = empty([1, 2 ** 21, 1]);
      const b = empty([1, 1, 2 ** 21]);
      // 2^63 elements: int64 itself overflows.
      expect(() => native.where(c, a, b)).toThrow('shape [2097152,2097152,2097152] is too large');
      const x = empty([2 ** 40, 1, 0]);
      const y = empty([1, 2 ** 40, 0]);
      expect(() => native.binary(0, x, y)).toThrow(ShapeError);
      release(c, a, b, x, y);
    });

    it('refuses a concat whose axis sums past 2^50 before the sum can overflow', () => {
      const x = empty([0, 2 ** 50]);
      expect(() => native.concat(new Array<number>(8200).fill(x), 1)).toThrow(
        /shape \[0,2251799813685248\] is too large/,
      );
      release(x);
    });

    it('refuses a scatterAdd axis past the rank without overflowing int', () => {
      const u = empty([2]);
      const idx = native.fromData(new Int32Array([0, 0]), [2], I32);
      expect(() => native.scatterAdd(u, idx, 2 ** 31 - 1, 4)).toThrow(
        'scatterAdd: updates [2] do not fit indices [2] at axis 2147483647',
      );
      release(u, idx);
    });

    it('refuses windows and columns of an empty input whose products pass 2^50', () => {
      const tall = empty([0, 1, 2 ** 49, 1]);
      const w = empty([1, 1, 1, 1]);
      expect(() => native.unfold(tall, 1, 1, 1, 1, 0, 1e6, 1, 1)).toThrow(
        'unfold: 562949953421312 x 2000001 windows of input [0,1,562949953421312,1] are too many (at most 2^50)',
      );
      expect(() => native.conv2d(tall, w, -1, 1, 1, 0, 1e6, 1, 1, 1)).toThrow(ShapeError);
      // C x kh x kw = 2^63 rows of columns.
      const wide = empty([0, 2 ** 50, 1, 1]);
      expect(() => native.unfold(wide, 8192, 1, 1, 1, 4096, 0, 1, 1)).toThrow(
        /unfold: the columns of one image of \[0,1125899906842624,1,1\] .* are too large/,
      );
      release(tall, w, wide);
    });
  });
});
