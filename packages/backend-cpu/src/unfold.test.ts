import { ArgumentError, ShapeError, UnsupportedOpError, type UnfoldOptions } from '@myelin/core';
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from './index.js';

const backend = createCpuBackend({ threads: 2 });
const window = (k: number, s = 1, p = 0, d = 1): UnfoldOptions => ({
  kernelSize: [k, k],
  stride: [s, s],
  padding: [p, p],
  dilation: [d, d],
});

describe('unfold (native)', () => {
  it('writes F.unfold columns with zeros in the padding, float32 and float64', async () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = backend.fromData(
        new (dtype === 'float32' ? Float32Array : Float64Array)([1, 2, 3, 4]),
        [1, 1, 2, 2],
        dtype,
      );
      const out = backend.unfold(x, window(2, 1, 1));
      // 3x3 windows of the zero-padded 4x4 image; row 0 is tap (0,0)
      expect(Array.from(await backend.read(out)).slice(0, 9)).toEqual([0, 0, 0, 0, 1, 2, 0, 3, 4]);
      backend.dispose(out);
      backend.dispose(x);
    }
  });

  it('runs in parallel over planes with the same result as a plain loop', async () => {
    const [planes, height, width] = [32, 33, 31];
    const values = Float32Array.from({ length: planes * height * width }, (_, i) => Math.sin(i));
    const x = backend.fromData(values, [4, 8, height, width], 'float32');
    const out = backend.unfold(x, window(3, 2, 1, 2));
    const got = await backend.read(out);
    // outH = floor((33 + 2 - 4 - 1) / 2) + 1 = 16, outW = 15
    const [outH, outW] = [16, 15];
    let mismatches = 0;
    let t = 0;
    for (let p = 0; p < planes; p++)
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++)
          for (let oh = 0; oh < outH; oh++)
            for (let ow = 0; ow < outW; ow++, t++) {
              const [r, c] = [oh * 2 - 1 + i * 2, ow * 2 - 1 + j * 2];
              const want = r < 0 || r >= height || c < 0 || c >= width ? 0 : values[(p * height + r) * width + c]!;
              if (got[t] !== want) mismatches++;
            }
    expect(t).toBe(got.length);
    expect(mismatches).toBe(0);
    backend.dispose(out);
    backend.dispose(x);
  });

  it('checks ranks, dtypes and window arguments in the glue before the kernel runs', () => {
    const x = backend.fromData(new Float32Array(12), [1, 3, 4], 'float32');
    expect(() => backend.unfold(x, window(2))).toThrow(ShapeError);
    const ints = backend.fromData(new Int32Array(4), [1, 1, 2, 2], 'int32');
    expect(() => backend.unfold(ints, window(2))).toThrow(UnsupportedOpError);
    const image = backend.fromData(new Float32Array(4), [1, 1, 2, 2], 'float32');
    expect(() => backend.unfold(image, window(3))).toThrow(ShapeError);
    expect(() => backend.unfold(image, window(0))).toThrow(ArgumentError);
    expect(() => backend.unfold(image, window(1, 1, -1))).toThrow(ArgumentError);
    expect(() => backend.unfold(image, { ...window(1), stride: [1.5, 1] })).toThrow(ArgumentError);
    for (const h of [x, ints, image]) backend.dispose(h);
  });
});
