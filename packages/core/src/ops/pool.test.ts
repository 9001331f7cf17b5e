import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  arange,
  avgPool1d,
  avgPool2d,
  conv2d,
  convTranspose2d,
  maxPool1d,
  maxPool2d,
  ones,
  randn,
  tidy,
  Generator,
  type AdaptiveSize2d,
  type AvgPool1dArgs,
  type AvgPool2dArgs,
  type Pool1dArgs,
  type Pool2dArgs,
  type Size2d,
  type Tensor,
} from '@myelin/core';
import { PYTORCH_IMAGE_LAYERS } from './image-layers-fixture.js';
import { flat, itMatchesPyTorch } from './test-helpers.js';

const values = async (t: Tensor) => flat(await t.array());

/** A pooling case's recorded args as (kernelSize, options). */
const pooling = ([x]: (Tensor | null)[], args: Record<string, unknown>): Tensor => {
  const { op, kernelSize, ...rest } = args;
  const k = kernelSize as Size2d;
  if (op === 'maxPool2d') return maxPool2d(x!, k, rest as Pool2dArgs);
  if (op === 'avgPool2d') return avgPool2d(x!, k, rest as AvgPool2dArgs);
  if (op === 'maxPool1d') return maxPool1d(x!, k as number, rest as Pool1dArgs);
  return avgPool1d(x!, k as number, rest as AvgPool1dArgs);
};

describe('pooling matches PyTorch: ceil mode, unbatched input, adaptive max (float64 values and gradients)', () => {
  itMatchesPyTorch('pool', PYTORCH_IMAGE_LAYERS.pool, pooling);
  itMatchesPyTorch('adaptiveMaxPool2d', PYTORCH_IMAGE_LAYERS.adaptiveMaxPool2d, ([x], args) =>
    adaptiveMaxPool2d(x!, args['outputSize'] as AdaptiveSize2d),
  );
});

describe('ceil mode', () => {
  it('adds a last, partial window where it starts inside the input', async () => {
    const x = arange(5, { dtype: 'float32' }).reshape([1, 1, 5]);
    expect(await values(maxPool1d(x, 2))).toEqual([1, 3]);
    expect(await values(maxPool1d(x, 2, { ceilMode: true }))).toEqual([1, 3, 4]);
    // The window after [3, 4] would start in the right padding: none.
    expect(await values(avgPool1d(x, 2, { padding: 1, ceilMode: true }))).toEqual([0, 1.5, 3.5]);
    expect(maxPool2d(ones([1, 1, 8, 7]), 3, { stride: 2, ceilMode: true }).shape).toEqual([1, 1, 4, 3]);
  });
});

describe('unbatched [C, H, W] input', () => {
  it('gives the batched result without the batch axis, for every 2-D op', async () => {
    const gen = new Generator(5);
    const x = randn([2, 5, 6], { generator: gen });
    const batch = x.reshape([1, 2, 5, 6]);
    const w = randn([3, 2, 3, 3], { generator: gen });
    const ops: ((t: Tensor) => Tensor)[] = [
      (t) => conv2d(t, w, null, { padding: 1, paddingMode: 'reflect' }),
      (t) => convTranspose2d(t, randn([2, 3, 2, 2], { generator: new Generator(1) }), null, { stride: 2 }),
      (t) => maxPool2d(t, 2, { ceilMode: true }),
      (t) => avgPool2d(t, 3, { padding: 1, countIncludePad: false }),
      (t) => adaptiveAvgPool2d(t, [3, 4]),
      (t) => adaptiveMaxPool2d(t, [4, 4]),
    ];
    for (const op of ops) {
      const unbatched = op(x);
      const batched = op(batch);
      expect(unbatched.shape).toEqual(batched.shape.slice(1));
      expect(await values(unbatched)).toEqual(await values(batched));
    }
  });
});

describe('pooling', () => {
  it('leaves no intermediates behind', () => {
    const x = ones([1, 2, 7, 6]);
    const before = x.backend.liveHandles();
    tidy(() => {
      maxPool2d(x, 3, { stride: 2, ceilMode: true });
      avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false });
      adaptiveMaxPool2d(x, [3, 4]);
      adaptiveMaxPool2d(ones([2, 7, 6]), 4);
    });
    expect(x.backend.liveHandles()).toBe(before);
  });

  it('name the value seen and what is expected in their errors', () => {
    expect(() => maxPool2d(ones([2, 3]), 2)).toThrow(
      /maxPool2d: expected an input \[N, C, H, W\] or unbatched \[C, H, W\], got shape \[2, ?3\]/,
    );
    expect(() => adaptiveMaxPool2d(ones([1, 1, 4, 4]), 0)).toThrow(
      /adaptiveMaxPool2d: outputSize must be an integer >= 1/,
    );
    expect(() => maxPool2d(ones([1, 1, 4, 4]), 2, { ceilMode: 1 as never })).toThrow(
      /maxPool2d: ceilMode must be true or false, got 1/,
    );
    expect(() => avgPool2d(ones([1, 1, 2, 2]), 3)).toThrow(
      /avgPool2d: a 3x3 window .* does not fit input \[1, ?1, ?2, ?2\]/,
    );
  });
});
