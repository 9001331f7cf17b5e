import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { ArgumentError, ShapeError, instanceNorm, ones, tensor, tidy, type Tensor } from '@myelin/core';
import { PYTORCH_IMAGE_LAYERS } from './image-layers-fixture.js';
import { flat, worstError, type FixtureCase, type Nested } from './test-helpers.js';

const values = async (t: Tensor) => flat(await t.array());

describe('instanceNorm matches PyTorch (float64 values, gradients and running statistics)', () => {
  for (const [name, fixture] of Object.entries(PYTORCH_IMAGE_LAYERS.instanceNorm)) {
    it(name, async () => {
      const args = fixture.args;
      const stats = (v: Nested | null) => (v === null ? null : tensor(v, { dtype: 'float64' }));
      const runningMean = stats(args.runningMean);
      const runningVar = stats(args.runningVar);
      const error = await worstError(fixture as FixtureCase, ([x, weight, bias]) => {
        const input = args.unbatched ? x!.reshape([1, ...x!.shape]) : x!;
        const out = instanceNorm(input, {
          runningMean,
          runningVar,
          weight,
          bias,
          useInputStats: args.useInputStats,
          momentum: args.momentum,
          eps: args.eps,
        });
        return args.unbatched ? out.reshape(x!.shape) : out;
      });
      expect(error).toBeLessThan(1e-12);
      for (const [ours, theirs] of [
        [runningMean, args.updatedMean],
        [runningVar, args.updatedVar],
      ] as const) {
        if (ours === null) continue;
        const want = flat(theirs);
        (await values(ours)).forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-12));
      }
    });
  }
});

describe('instanceNorm', () => {
  it('leaves no intermediates behind, also when it updates running statistics', () => {
    const x = ones([2, 3, 4, 4]);
    const [runningMean, runningVar] = [ones([3]), ones([3])];
    const before = x.backend.liveHandles();
    tidy(() => {
      instanceNorm(x, { runningMean, runningVar, weight: ones([3]), bias: ones([3]) });
      instanceNorm(x, { runningMean, runningVar, useInputStats: false });
    });
    expect(x.backend.liveHandles()).toBe(before);
  });

  it('names the value seen and what is expected in its errors', () => {
    expect(() => instanceNorm(ones([2, 3]))).toThrow(
      /instanceNorm: expected \[N, C, L\], \[N, C, H, W\] or \[N, C, \*\], got \[2, ?3\]/,
    );
    expect(() => instanceNorm(ones([2, 3, 4]), { weight: ones([4]) })).toThrow(/weight must be \[3\], got \[4\]/);
    expect(() => instanceNorm(ones([2, 3, 1]))).toThrow(
      /using input statistics needs more than 1 spatial element, got input \[2, ?3, ?1\]/,
    );
    expect(() => instanceNorm(ones([2, 3, 4]), { useInputStats: false })).toThrow(ArgumentError);
    expect(() => instanceNorm(ones([2, 3, 4]), { runningMean: ones([2]) })).toThrow(ShapeError);
  });
});
