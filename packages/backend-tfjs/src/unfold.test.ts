import type { Backend } from '@myelin/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpuBackend, expectHandle, make, tf } from './test-helpers.js';

let b: Backend;
beforeAll(async () => {
  b = await cpuBackend();
});

const options = { kernelSize: [2, 2], stride: [1, 1], padding: [1, 0], dilation: [1, 1] } as const;

describe('unfold', () => {
  it('is one gather over the padded image, F.unfold layout', async () => {
    const x = make(b, [1, 2, 3, 4, 5, 6], [1, 1, 2, 3]);
    // padding 1 row on top and bottom: 4x3 image, 3x2 windows, taps (0,0) (0,1) (1,0) (1,1)
    await expectHandle(
      b,
      b.unfold(x, options),
      [1, 4, 6],
      [0, 0, 1, 2, 4, 5, 0, 0, 2, 3, 5, 6, 1, 2, 4, 5, 0, 0, 2, 3, 5, 6, 0, 0],
    );
    b.dispose(x);
  });

  it('reuses its index map and leaks no tfjs tensors', async () => {
    const x = make(b, [1, 2, 3, 4, 5, 6], [1, 1, 2, 3]);
    b.dispose(b.unfold(x, options)); // the map for this geometry is cached
    const before = tf.memory().numTensors;
    const info = await tf.profile(() => {
      const out = b.unfold(x, options);
      b.dispose(out);
      return [] as never;
    });
    expect(info.kernelNames).toContain('GatherV2');
    expect(tf.memory().numTensors).toBe(before);
    b.dispose(x);
  });

  it('gives an empty result for an empty batch', async () => {
    const x = make(b, [], [0, 2, 3, 3]);
    await expectHandle(b, b.unfold(x, { ...options, padding: [0, 0] }), [0, 8, 4], []);
    b.dispose(x);
  });
});
