import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  DTypeError,
  ShapeError,
  arange,
  interpolate,
  ones,
  pixelShuffle,
  pixelUnshuffle,
  tidy,
  type InterpolateArgs,
  type Tensor,
} from '@myelin/core';
import { PYTORCH_IMAGE_LAYERS } from './image-layers-fixture.js';
import { PYTORCH_RESIZE } from './resize-fixture.js';
import { flat, itMatchesPyTorch } from './test-helpers.js';

const fixture = PYTORCH_IMAGE_LAYERS;

const values = async (t: Tensor) => flat(await t.array());

describe('interpolate and the pixel shuffles match PyTorch (float64 values and gradients)', () => {
  itMatchesPyTorch('interpolate', fixture.interpolate, ([x], args) => interpolate(x!, args as InterpolateArgs));
  itMatchesPyTorch('interpolate', PYTORCH_RESIZE.interpolate, ([x], args) => interpolate(x!, args as InterpolateArgs));
  itMatchesPyTorch('pixelShuffle', fixture.pixelShuffle, ([x], args) =>
    (args['op'] === 'pixelShuffle' ? pixelShuffle : pixelUnshuffle)(x!, args['factor'] as number),
  );
});

describe('interpolate', () => {
  it('repeats pixels in nearest mode and keeps the corners with alignCorners', async () => {
    const x = arange(4, { dtype: 'float32' }).reshape([1, 1, 2, 2]);
    expect(await values(interpolate(x, { scaleFactor: 2 }))).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
    const corners = await values(interpolate(x, { size: [3, 3], mode: 'bilinear', alignCorners: true }));
    expect(corners).toEqual([0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3]);
    expect(interpolate(ones([2, 3, 5]), { scaleFactor: 1.5, mode: 'linear' }).shape).toEqual([2, 3, 7]);
  });

  it('leaves no intermediates behind', () => {
    const x = ones([1, 2, 4, 5]);
    const before = x.backend.liveHandles();
    tidy(() => {
      interpolate(x, { size: [7, 3], mode: 'bilinear' });
      interpolate(x, { scaleFactor: 1, mode: 'nearest' });
      pixelUnshuffle(pixelShuffle(ones([1, 8, 2, 2]), 2), 2);
    });
    expect(x.backend.liveHandles()).toBe(before);
  });

  it('name the value seen and what is expected in their errors', () => {
    const x = ones([1, 2, 4, 5]);
    expect(() => interpolate(ones([2, 4]), { size: 3 })).toThrow(
      /interpolate: expected an input \[N, C, L\], \[N, C, H, W\] or \[N, C, D, H, W\], got shape \[2, ?4\]/,
    );
    expect(() => interpolate(ones([1, 2, 4], { dtype: 'int32' }), { size: 3 })).toThrow(DTypeError);
    expect(() => interpolate(x, {})).toThrow(/give exactly one of size and scaleFactor/);
    expect(() => interpolate(x, { size: 3, scaleFactor: 2 })).toThrow(/give exactly one of size and scaleFactor/);
    expect(() => interpolate(x, { size: [3, 4, 5] })).toThrow(
      /size \[3,4,5\] must have 2 entries for input \[1, ?2, ?4, ?5\]/,
    );
    expect(() => interpolate(x, { scaleFactor: 0.1 })).toThrow(
      /shrinks input \[1, ?2, ?4, ?5\] to an empty 0x0 output/,
    );
    expect(() => interpolate(x, { size: 3, mode: 'linear' })).toThrow(/mode 'linear' needs a 3-D \[N, C, L\] input/);
    expect(() => interpolate(ones([1, 2, 4]), { size: 3, mode: 'bilinear' })).toThrow(
      /mode 'bilinear' needs a 4-D \[N, C, H, W\] input, got shape \[1, ?2, ?4\]/,
    );
    expect(() => interpolate(x, { size: 3, alignCorners: true })).toThrow(
      /alignCorners applies to modes 'linear', 'bilinear', 'bicubic' and 'trilinear' only, got it with mode 'nearest'/,
    );
    expect(() => interpolate(x, { size: 3, mode: 'cubic' as never })).toThrow(ArgumentError);
    expect(() => interpolate(x, { size: 3, mode: 'trilinear' })).toThrow(
      /interpolate: mode 'trilinear' needs a 5-D \[N, C, D, H, W\] input, got shape \[1, ?2, ?4, ?5\]/,
    );
    expect(() => interpolate(ones([1, 2, 3, 3, 3]), { size: 3, mode: 'bicubic' })).toThrow(
      /interpolate: mode 'bicubic' needs a 4-D \[N, C, H, W\] input/,
    );
    expect(() => interpolate(x, { size: 3, mode: 'nearest-exact', alignCorners: false })).toThrow(
      /alignCorners applies to modes .* got it with mode 'nearest-exact'/,
    );
  });
});

describe('pixelShuffle and pixelUnshuffle', () => {
  it('move channels into space and back', async () => {
    const x = arange(16, { dtype: 'float32' }).reshape([1, 4, 2, 2]);
    const y = pixelShuffle(x, 2);
    expect(y.shape).toEqual([1, 1, 4, 4]);
    expect(await values(y)).toEqual([0, 4, 1, 5, 8, 12, 9, 13, 2, 6, 3, 7, 10, 14, 11, 15]);
    expect(await values(pixelUnshuffle(y, 2))).toEqual(await values(x));
  });

  it('check their factors and shapes', () => {
    expect(() => pixelShuffle(ones([1, 6, 2, 2]), 2)).toThrow(
      /pixelShuffle: expected an input \[\*, C\*4, H, W\] \(channels divisible by upscaleFactor² = 4\), got shape \[1, ?6, ?2, ?2\]/,
    );
    expect(() => pixelUnshuffle(ones([1, 1, 5, 4]), 2)).toThrow(
      /H and W divisible by downscaleFactor 2, got shape \[1, ?1, ?5, ?4\]/,
    );
    expect(() => pixelShuffle(ones([1, 4, 2, 2]), 0)).toThrow(/upscaleFactor must be a positive integer, got 0/);
    expect(() => pixelShuffle(ones([4, 2]), 2)).toThrow(ShapeError);
  });
});
