import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  DTypeError,
  Generator,
  ShapeError,
  adaptiveAvgPool1d,
  avgPool1d,
  conv1d,
  convTranspose1d,
  maxPool1d,
  ones,
  randn,
  tidy,
  type AvgPool1dArgs,
  type Conv1dArgs,
  type ConvTranspose1dArgs,
  type Pool1dArgs,
  type Size1d,
  type Tensor,
} from '@myelin/core';
import { PYTORCH_CONV1D } from './conv1d-fixture.js';
import { worstError, type FixtureCase } from './test-helpers.js';

/** Runs every case of one op's fixture; `run` maps the recorded inputs and args to our op. */
function matchesPyTorch(
  op: Exclude<keyof typeof PYTORCH_CONV1D, 'module'>,
  run: (inputs: (Tensor | null)[], args: Record<string, unknown>) => Tensor,
): void {
  for (const [name, fixture] of Object.entries(PYTORCH_CONV1D[op])) {
    it(`${op} ${name}`, async () => {
      const error = await worstError(fixture as FixtureCase, (inputs) => run(inputs, fixture.args));
      expect(error).toBeLessThan(1e-12);
    });
  }
}

/** A pooling case's recorded args as (kernelSize, options). */
const pool = <Options>(args: Record<string, unknown>): [Size1d, Options] => {
  const { kernelSize, ...rest } = args;
  return [kernelSize as Size1d, rest as Options];
};

describe('1-D convolution and pooling match PyTorch (float64 values and gradients)', () => {
  matchesPyTorch('conv1d', ([x, w, b], args) => conv1d(x!, w!, b ?? null, args as Conv1dArgs));
  matchesPyTorch('convTranspose1d', ([x, w, b], args) =>
    convTranspose1d(x!, w!, b ?? null, args as ConvTranspose1dArgs),
  );
  matchesPyTorch('maxPool1d', ([x], args) => maxPool1d(x!, ...pool<Pool1dArgs>(args)));
  matchesPyTorch('avgPool1d', ([x], args) => avgPool1d(x!, ...pool<AvgPool1dArgs>(args)));
  matchesPyTorch('adaptiveAvgPool1d', ([x], args) => adaptiveAvgPool1d(x!, args['outputSize'] as number));
});

describe('1-D ops', () => {
  it('equal their 2-D forms on [N, C, 1, L], and take sizes as n or [n]', async () => {
    const gen = new Generator(2);
    const x = randn([2, 4, 9], { dtype: 'float64', generator: gen });
    const w = randn([6, 2, 3], { dtype: 'float64', generator: gen });
    const a = conv1d(x, w, null, { stride: [2], padding: [1], dilation: [2], groups: 2 });
    const b = conv1d(x, w, null, { stride: 2, padding: 1, dilation: 2, groups: 2 });
    expect(a.shape).toEqual([2, 6, 4]);
    expect(await a.array()).toEqual(await b.array());
    expect(maxPool1d(x, [3]).shape).toEqual([2, 4, 3]);
  });

  it('leave no intermediates behind', () => {
    const x = ones([2, 3, 8]);
    const w = ones([4, 3, 3]);
    const live = () => x.backend.liveHandles();
    const before = live();
    tidy(() => {
      conv1d(x, w, null, { padding: 'same' });
      convTranspose1d(x, ones([3, 2, 2]), null, { stride: 2 });
      maxPool1d(x, 2);
      avgPool1d(x, 3, { padding: 1, countIncludePad: false });
      adaptiveAvgPool1d(x, 3);
    });
    expect(live()).toBe(before);
  });

  it('name the value seen and what is expected in their errors', () => {
    const x = ones([1, 4, 6]);
    expect(() => conv1d(ones([1, 4, 1, 6]), ones([2, 4, 3]))).toThrow(
      /conv1d: expected an input \[N, C, L\] or unbatched \[C, L\], got shape \[1, ?4, ?1, ?6\]/,
    );
    expect(() => conv1d(ones([1, 4, 6], { dtype: 'int32' }), ones([2, 4, 3]))).toThrow(DTypeError);
    expect(() => conv1d(x, ones([2, 4, 3, 1]))).toThrow(/weight must be \[outChannels, inChannels\/groups, k\]/);
    expect(() => conv1d(x, ones([2, 3, 3]))).toThrow(
      /conv1d: input \[1, ?4, ?6\] with 1 group\(s\) does not fit weight \[2, ?3, ?3\]/,
    );
    expect(() => conv1d(x, ones([2, 4, 3]), ones([3]))).toThrow(/conv1d: bias must be \[2\], got \[3\]/);
    expect(() => conv1d(x, ones([2, 4, 3]), null, { padding: 'same', stride: 2 })).toThrow(
      /padding 'same' needs stride 1, got 2/,
    );
    expect(() => conv1d(x, ones([2, 4, 4]), null, { dilation: 2 })).toThrow(
      /conv1d: a window of 7 \(kernel 4, dilation 2\) does not fit input \[1, ?4, ?6\] with padding 0/,
    );
    expect(() => conv1d(x, ones([2, 4, 3]), null, { stride: [1, 1] as never })).toThrow(
      /conv1d: stride must be an integer >= 1 or \[one of them\], got \[1,1\]/,
    );
    expect(() => convTranspose1d(x, ones([4, 2, 3]), null, { stride: 2, outputPadding: 2 })).toThrow(
      /convTranspose1d: outputPadding 2 must be smaller than the stride 2 or the dilation 1/,
    );
    expect(() => convTranspose1d(x, ones([3, 2, 3]))).toThrow(/need inChannels = 3, divisible by groups/);
    expect(() => convTranspose1d(ones([1, 4, 1]), ones([4, 2, 1]), null, { padding: 1 })).toThrow(
      /gives an empty output of length -1/,
    );
    expect(() => maxPool1d(x, 3, { padding: 2 })).toThrow(/maxPool1d: padding 2 must be at most half the kernel 3/);
    expect(() => avgPool1d(x, 7)).toThrow(/avgPool1d: a window of 7 \(kernel 7, dilation 1\) does not fit/);
    expect(() => adaptiveAvgPool1d(x, 0)).toThrow(ArgumentError);
    expect(() => maxPool1d(ones([6]), 2)).toThrow(ShapeError);
  });
});
