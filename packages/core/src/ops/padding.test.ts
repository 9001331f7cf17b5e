import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  arange,
  conv1d,
  conv2d,
  ones,
  pad,
  tidy,
  type Conv1dArgs,
  type Conv2dArgs,
  type PadMode,
  type Tensor,
} from '@myelin/core';
import { PYTORCH_IMAGE_LAYERS } from './image-layers-fixture.js';
import { flat, itMatchesPyTorch } from './test-helpers.js';

const values = async (t: Tensor) => flat(await t.array());

describe("pad's modes match PyTorch's F.pad (float64 values and gradients)", () => {
  itMatchesPyTorch('pad', PYTORCH_IMAGE_LAYERS.pad, ([x], args) =>
    pad(x!, args['paddings'] as [number, number][], { mode: args['mode'] as PadMode }),
  );
  // Conv2d and Conv1d with PyTorch's padding_mode: F.pad with the mode, then an unpadded convolution.
  itMatchesPyTorch('conv', PYTORCH_IMAGE_LAYERS.conv, ([x, w, b], args) => {
    const { op, ...rest } = args;
    return op === 'conv2d'
      ? conv2d(x!, w!, b ?? null, rest as Conv2dArgs)
      : conv1d(x!, w!, b ?? null, rest as Conv1dArgs);
  });
});

describe('pad modes', () => {
  it('reflect, replicate and circular on a ramp', async () => {
    const x = arange(4, { dtype: 'float32' });
    expect(await values(pad(x, [[2, 3]], { mode: 'reflect' }))).toEqual([2, 1, 0, 1, 2, 3, 2, 1, 0]);
    expect(await values(pad(x, [[2, 1]], { mode: 'replicate' }))).toEqual([0, 0, 0, 1, 2, 3, 3]);
    expect(await values(pad(x, [[4, 2]], { mode: 'circular' }))).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 0, 1]);
    expect(await values(pad(x, [[1, 1]], { value: 9 }))).toEqual([9, 0, 1, 2, 3, 9]);
    expect(await values(x.pad([[1, 0]], 7))).toEqual([7, 0, 1, 2, 3]);
  });

  it('leaves no intermediates behind', () => {
    const x = ones([1, 2, 4, 5]);
    const before = x.backend.liveHandles();
    tidy(() => {
      pad(
        x,
        [
          [0, 0],
          [0, 0],
          [2, 1],
          [1, 3],
        ],
        { mode: 'reflect' },
      );
    });
    expect(x.backend.liveHandles()).toBe(before);
  });

  it('check the padding fits the mode', () => {
    const x = ones([2, 3]);
    expect(() =>
      pad(
        x,
        [
          [0, 0],
          [3, 0],
        ],
        { mode: 'reflect' },
      ),
    ).toThrow(/pad: reflect padding \[3, 0\] of axis 1 of shape \[2, ?3\] needs below the size 3/);
    expect(() =>
      pad(
        x,
        [
          [0, 0],
          [1, 4],
        ],
        { mode: 'circular' },
      ),
    ).toThrow(/needs at most the size 3/);
    expect(() => pad(x, [[1, 1]], { mode: 'reflect', value: 2 })).toThrow(/mode 'reflect' takes no value, got 2/);
    expect(() => pad(x, [[1, 1]], { mode: 'mirror' as never })).toThrow(
      /pad: mode must be 'constant', 'reflect', 'replicate', 'circular', got "mirror"/,
    );
  });
});
