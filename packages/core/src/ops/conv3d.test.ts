import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  DTypeError,
  ShapeError,
  adaptiveAvgPool3d,
  adaptiveMaxPool3d,
  avgPool3d,
  batchNorm,
  conv3d,
  convTranspose3d,
  instanceNorm,
  maxPool3d,
  ones,
  tensor,
  tidy,
  type AdaptiveSize3d,
  type AvgPool3dArgs,
  type Conv3dArgs,
  type ConvTranspose3dArgs,
  type Pool3dArgs,
  type Size3d,
} from '@myelin/core';
import { PYTORCH_CONV3D } from './conv3d-fixture.js';
import { flat, itMatchesPyTorch } from './test-helpers.js';

/** A pooling case's recorded args as (kernelSize, options). */
const pool = <Options>(args: Record<string, unknown>): [Size3d, Options] => {
  const { kernelSize, ...rest } = args;
  return [kernelSize as Size3d, rest as Options];
};

describe('3-D convolution, pooling and normalisation match PyTorch (float64 values and gradients)', () => {
  itMatchesPyTorch('conv3d', PYTORCH_CONV3D.conv3d, ([x, w, b], args) => conv3d(x!, w!, b ?? null, args as Conv3dArgs));
  itMatchesPyTorch('convTranspose3d', PYTORCH_CONV3D.convTranspose3d, ([x, w, b], args) =>
    convTranspose3d(x!, w!, b ?? null, args as ConvTranspose3dArgs),
  );
  itMatchesPyTorch('maxPool3d', PYTORCH_CONV3D.maxPool3d, ([x], args) => maxPool3d(x!, ...pool<Pool3dArgs>(args)));
  itMatchesPyTorch('avgPool3d', PYTORCH_CONV3D.avgPool3d, ([x], args) => avgPool3d(x!, ...pool<AvgPool3dArgs>(args)));
  itMatchesPyTorch('adaptiveAvgPool3d', PYTORCH_CONV3D.adaptiveAvgPool3d, ([x], args) =>
    adaptiveAvgPool3d(x!, args['outputSize'] as AdaptiveSize3d),
  );
  itMatchesPyTorch('adaptiveMaxPool3d', PYTORCH_CONV3D.adaptiveMaxPool3d, ([x], args) =>
    adaptiveMaxPool3d(x!, args['outputSize'] as AdaptiveSize3d),
  );
  const { instanceNorm: instance, ...batch } = PYTORCH_CONV3D.norm;
  itMatchesPyTorch('instanceNorm', { '5-D': instance }, ([x, w, b]) => instanceNorm(x!, { weight: w!, bias: b! }));
  for (const [name, fixture] of Object.entries(batch)) {
    const [mean, variance] = fixture.runningBefore as [number[], number[]];
    const running = {
      runningMean: tensor(mean, { dtype: 'float64' }),
      runningVar: tensor(variance, { dtype: 'float64' }),
    };
    itMatchesPyTorch('batchNorm 5-D', { [name]: fixture }, ([x, w, b], args) =>
      batchNorm(x!, { ...running, ...args, weight: w!, bias: b! }),
    );
    if ('runningAfter' in fixture)
      it(`batchNorm 5-D ${name} updates the running statistics as PyTorch`, async () => {
        const [meanAfter, varianceAfter] = fixture.runningAfter as [number[], number[]];
        const x = tensor(fixture.inputs[0]!, { dtype: 'float64' });
        const stats = {
          runningMean: tensor(mean, { dtype: 'float64' }),
          runningVar: tensor(variance, { dtype: 'float64' }),
        };
        batchNorm(x, { ...stats, ...fixture.args });
        for (const [got, want] of [
          [stats.runningMean, meanAfter],
          [stats.runningVar, varianceAfter],
        ] as const) {
          const actual = flat(await got.array());
          want.forEach((v, i) => expect(Math.abs(actual[i]! - v)).toBeLessThan(1e-12));
        }
      });
  }
});

describe('3-D ops', () => {
  it('take sizes as n or [d, h, w], and unbatched [C, D, H, W] input', async () => {
    const x = ones([2, 3, 4, 5, 6], { dtype: 'float64' });
    const w = ones([4, 3, 2, 2, 2], { dtype: 'float64' });
    const a = conv3d(x, w, null, { stride: [2, 2, 2], padding: [1, 1, 1] });
    const b = conv3d(x, w, null, { stride: 2, padding: 1 });
    expect(a.shape).toEqual([2, 4, 3, 3, 4]);
    expect(await a.array()).toEqual(await b.array());
    expect(maxPool3d(ones([3, 4, 4, 4]), [2, 2, 1]).shape).toEqual([3, 2, 2, 4]);
    expect(avgPool3d(ones([1, 3, 4, 4, 4]), 2, { stride: 1 }).shape).toEqual([1, 3, 3, 3, 3]);
    expect(adaptiveMaxPool3d(ones([2, 3, 5, 4]), [null, 2, 1]).shape).toEqual([2, 3, 2, 1]);
  });

  it('leave no intermediates behind', () => {
    const x = ones([2, 3, 4, 4, 4]);
    const live = () => x.backend.liveHandles();
    const before = live();
    tidy(() => {
      conv3d(x, ones([2, 3, 2, 3, 3]), ones([2]), { padding: 'same', paddingMode: 'reflect' });
      convTranspose3d(x, ones([3, 2, 2, 2, 2]), ones([2]), { stride: 2, padding: 1, outputPadding: 1 });
      maxPool3d(x, 3, { stride: 2, padding: 1, ceilMode: true });
      avgPool3d(x, 3, { padding: 1, countIncludePad: false });
      adaptiveAvgPool3d(x, [3, 2, 3]);
      adaptiveMaxPool3d(x, 3);
      batchNorm(x, { training: true });
    });
    expect(live()).toBe(before);
  });

  it('name the value seen and what is expected in their errors', () => {
    const x = ones([1, 4, 5, 5, 5]);
    expect(() => conv3d(ones([4, 5, 5]), ones([2, 4, 3, 3, 3]))).toThrow(
      /conv3d: expected an input \[N, C, D, H, W\] or unbatched \[C, D, H, W\], got shape \[4, ?5, ?5\]/,
    );
    expect(() => conv3d(ones([1, 4, 5, 5, 5], { dtype: 'int32' }), ones([2, 4, 3, 3, 3]))).toThrow(DTypeError);
    expect(() => conv3d(x, ones([2, 4, 3, 3]))).toThrow(
      /conv3d: weight must be \[outChannels, inChannels\/groups, kd, kh, kw\], got \[2, ?4, ?3, ?3\]/,
    );
    expect(() => conv3d(x, ones([2, 3, 3, 3, 3]))).toThrow(
      /conv3d: input \[1, ?4, ?5, ?5, ?5\] with 1 group\(s\) does not fit weight \[2, ?3, ?3, ?3, ?3\]/,
    );
    expect(() => conv3d(x, ones([2, 4, 3, 3, 3]), ones([3]))).toThrow(/conv3d: bias must be \[2\], got \[3\]/);
    expect(() => conv3d(x, ones([2, 4, 3, 3, 3]), null, { padding: 'same', stride: [1, 2, 1] })).toThrow(
      /conv3d: padding 'same' needs stride 1, got 1x2x1/,
    );
    expect(() => conv3d(x, ones([2, 4, 3, 3, 3]), null, { dilation: [3, 1, 1] })).toThrow(
      /conv3d: a 7x3x3 window \(kernel 3x3x3, dilation 3x1x1\) does not fit input \[1, ?4, ?5, ?5, ?5\] with padding 0x0x0/,
    );
    expect(() => conv3d(x, ones([2, 4, 3, 3, 3]), null, { stride: [1, 1] as never })).toThrow(
      /conv3d: stride must be an integer >= 1 or \[depth, height, width\] of them, got \[1,1\]/,
    );
    expect(() => conv3d(x, ones([2, 4, 3, 3, 3]), null, { paddingMode: 'mirror' as never })).toThrow(
      /conv3d: paddingMode must be 'zeros', 'reflect', 'replicate', 'circular', got "mirror"/,
    );
    expect(() => convTranspose3d(x, ones([4, 2, 3, 3, 3]), null, { stride: 2, outputPadding: [0, 2, 0] })).toThrow(
      /convTranspose3d: outputPadding 0x2x0 must be smaller than the stride 2x2x2 or the dilation 1x1x1/,
    );
    expect(() => convTranspose3d(x, ones([3, 2, 3, 3, 3]))).toThrow(
      /convTranspose3d: input \[1, ?4, ?5, ?5, ?5\] with 1 group\(s\) does not fit weight \[3, ?2, ?3, ?3, ?3\] \(need inChannels = 3, divisible by groups\)/,
    );
    expect(() => convTranspose3d(ones([1, 4, 1, 2, 2]), ones([4, 2, 1, 1, 1]), null, { padding: 1 })).toThrow(
      /convTranspose3d: .* gives an empty -1x0x0 output/,
    );
    expect(() => convTranspose3d(x, ones([4, 2, 3, 3]))).toThrow(
      /convTranspose3d: weight must be \[inChannels, outChannels\/groups, kd, kh, kw\]/,
    );
    expect(() => maxPool3d(x, 3, { padding: [1, 2, 1] })).toThrow(
      /maxPool3d: padding 1x2x1 must be at most half the kernel 3x3x3/,
    );
    expect(() => avgPool3d(x, [6, 2, 2])).toThrow(
      /avgPool3d: a 6x2x2 window .* does not fit input \[1, ?4, ?5, ?5, ?5\]/,
    );
    expect(() => maxPool3d(x, 2, { ceilMode: 1 as never })).toThrow(/maxPool3d: ceilMode must be true or false, got 1/);
    expect(() => adaptiveAvgPool3d(x, [2, 2] as never)).toThrow(
      /adaptiveAvgPool3d: outputSize must be a positive integer or \[depth, height, width\]/,
    );
    expect(() => adaptiveMaxPool3d(x, 0)).toThrow(ArgumentError);
    expect(() => maxPool3d(ones([4, 4, 4]), 2)).toThrow(ShapeError);
    expect(() => batchNorm(ones([1, 2, 2, 2, 2, 2]), { training: true })).toThrow(
      /batchNorm: expected \[N, C\], \[N, C, L\], \[N, C, H, W\] or \[N, C, D, H, W\]/,
    );
  });
});
