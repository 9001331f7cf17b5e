import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  BatchNorm2d,
  ConvTranspose2d,
  Generator,
  GroupNorm,
  Linear,
  ReLU,
  Sequential,
  ShapeError,
  Tanh,
  Unflatten,
  conv2d,
  convTranspose2d,
  groupNorm,
  moduleFromConfig,
  ones,
  randn,
  type ConvTranspose2dArgs,
  type ModuleConfig,
} from '@myelin/core';
import { PYTORCH_CONV_TRANSPOSE } from './conv-transpose-fixture.js';
import { flat, worstError, type FixtureCase } from './test-helpers.js';

describe('convTranspose2d and groupNorm match PyTorch (float64 values and gradients)', () => {
  for (const [name, fixture] of Object.entries(PYTORCH_CONV_TRANSPOSE.convTranspose2d)) {
    it(`convTranspose2d ${name}`, async () => {
      const args = fixture.args as ConvTranspose2dArgs;
      const error = await worstError(fixture as FixtureCase, ([x, w, b]) => convTranspose2d(x!, w!, b ?? null, args));
      expect(error).toBeLessThan(1e-12);
    });
  }
  for (const [name, fixture] of Object.entries(PYTORCH_CONV_TRANSPOSE.groupNorm)) {
    it(`groupNorm ${name}`, async () => {
      const { numGroups, eps } = fixture.args as { numGroups: number; eps: number };
      const error = await worstError(fixture as FixtureCase, ([x, w, b]) => groupNorm(x!, numGroups, w, b, eps));
      expect(error).toBeLessThan(1e-12);
    });
  }
});

describe('convTranspose2d', () => {
  it('is the adjoint of conv2d: <conv2d(x), y> = <x, convTranspose2d(y)>', async () => {
    const gen = new Generator(3);
    const x = randn([2, 4, 7, 6], { dtype: 'float64', generator: gen });
    const w = randn([6, 2, 3, 2], { dtype: 'float64', generator: gen });
    const args = { stride: 2, padding: [1, 0] as const, dilation: [1, 2] as const, groups: 2 };
    const y = randn(conv2d(x, w, null, args).shape, { dtype: 'float64', generator: gen });
    const back = convTranspose2d(y, w, null, { ...args, outputPadding: [0, 1] });
    expect(back.shape).toEqual(x.shape);
    const lhs = (await conv2d(x, w, null, args).mul(y).sum().item()) as number;
    const rhs = (await x.mul(back).sum().item()) as number;
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-10);
  });

  it('checks shapes, groups and outputPadding', () => {
    const x = ones([1, 4, 3, 3]);
    expect(() => convTranspose2d(ones([4, 3]), ones([4, 2, 3, 3]))).toThrow(
      /expected an input \[N, C, H, W\] or unbatched \[C, H, W\]/,
    );
    expect(() => convTranspose2d(x, ones([3, 2, 3, 3]))).toThrow(ShapeError);
    expect(() => convTranspose2d(x, ones([4, 2, 3]))).toThrow(/weight must be \[inChannels, outChannels\/groups/);
    expect(() => convTranspose2d(x, ones([4, 2, 3, 3]), null, { groups: 3 })).toThrow(/3 group\(s\) does not fit/);
    expect(() => convTranspose2d(x, ones([4, 2, 3, 3]), ones([3]))).toThrow(/bias must be \[2\]/);
    expect(() => convTranspose2d(x, ones([4, 2, 3, 3]), null, { stride: 2, outputPadding: 2 })).toThrow(
      /outputPadding 2x2 must be smaller than the stride 2x2 or the dilation 1x1/,
    );
    expect(() => convTranspose2d(x, ones([4, 2, 1, 1]), null, { padding: 2 })).toThrow(/gives an empty/);
    expect(convTranspose2d(x, ones([4, 2, 3, 3]), null, { dilation: 3, outputPadding: 2 }).shape).toEqual([
      1, 2, 11, 11,
    ]);
  });
});

describe('ConvTranspose2d', () => {
  it('takes unbatched [C, H, W] input as a batch of one, and refuses other channel counts', async () => {
    const layer = new ConvTranspose2d(3, 2, 3, { stride: 2, padding: 1, outputPadding: 1, dtype: 'float64' });
    const x = randn([3, 4, 5], { dtype: 'float64', generator: new Generator(5) });
    const unbatched = layer.forward(x);
    expect(unbatched.shape).toEqual([2, 8, 10]);
    expect(await unbatched.array()).toEqual(
      await layer
        .forward(x.reshape([1, 3, 4, 5]))
        .reshape([2, 8, 10])
        .array(),
    );
    expect(() => layer.forward(ones([4, 4, 5], { dtype: 'float64' }))).toThrow(
      /ConvTranspose2d\(3 -> 2\) got input of shape \[4, ?4, ?5\]: expected \[N, 3, H, W\] or \[3, H, W\]/,
    );
  });

  it("has PyTorch's weight shape, state-dict names and init bounds (fanIn = out/groups * kh * kw)", async () => {
    const layer = new ConvTranspose2d(4, 6, [3, 2], { groups: 2, generator: new Generator(1) });
    expect(layer.weight.shape).toEqual([4, 3, 3, 2]);
    expect(Object.keys(layer.stateDict())).toEqual(['weight', 'bias']);
    const bound = 1 / Math.sqrt(3 * 3 * 2); // kaiming_uniform a = sqrt(5) and the bias share this bound
    const weights = flat(await layer.weight.array());
    for (const v of [...weights, ...flat(await layer.bias!.array())]) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
    expect(Math.max(...weights.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    expect(new ConvTranspose2d(2, 3, 2, { bias: false }).bias).toBeNull();
  });

  it('checks its arguments and input', () => {
    expect(() => new ConvTranspose2d(3, 4, 3, { groups: 2 })).toThrow(ArgumentError);
    expect(() => new ConvTranspose2d(4, 4, 3, { stride: 2, outputPadding: 2 })).toThrow(/outputPadding 2x2 must/);
    expect(() => new ConvTranspose2d(3, 4, 3).forward(ones([1, 2, 5, 5]))).toThrow(
      /ConvTranspose2d\(3 -> 4\) got input of shape \[1, ?2, ?5, ?5\]/,
    );
    expect(() => new ConvTranspose2d(3, 4, 3, { output_padding: 1 } as never)).toThrow(/unknown option/);
  });

  it('round-trips through its config, with its repr', async () => {
    const layer = new ConvTranspose2d(4, 2, [3, 2], {
      stride: [2, 1],
      padding: 1,
      outputPadding: [1, 0],
      dilation: 2,
      groups: 2,
      bias: false,
      dtype: 'float64',
    });
    const config = JSON.parse(JSON.stringify(layer.config())) as ModuleConfig;
    expect(config).toEqual({
      type: 'ConvTranspose2d',
      inChannels: 4,
      outChannels: 2,
      kernelSize: [3, 2],
      stride: [2, 1],
      padding: 1,
      outputPadding: [1, 0],
      dilation: 2,
      groups: 2,
      bias: false,
      dtype: 'float64',
    });
    const rebuilt = moduleFromConfig(config) as ConvTranspose2d;
    expect(rebuilt.config()).toEqual(config);
    expect(rebuilt.toString()).toBe(layer.toString());
    expect(layer.toString()).toContain(
      'ConvTranspose2d(4, 2, kernelSize=3x2, stride=2x1, padding=1x1, outputPadding=1x0)',
    );
    rebuilt.loadStateDict(layer.stateDict());
    const x = randn([1, 4, 3, 3], { dtype: 'float64', generator: new Generator(2) });
    expect(await rebuilt.forward(x).array()).toEqual(await layer.forward(x).array());
  });

  it('builds a DCGAN-style generator: [N, 16] -> [N, 1, 28, 28]', async () => {
    const g = new Generator(5);
    const model = new Sequential(
      new Linear(16, 32 * 7 * 7, { generator: g }),
      new Unflatten(1, [32, 7, 7]),
      new ConvTranspose2d(32, 16, 4, { stride: 2, padding: 1, generator: g }), // 7 -> 14
      new BatchNorm2d(16),
      new ReLU(),
      new ConvTranspose2d(16, 1, 4, { stride: 2, padding: 1, generator: g }), // 14 -> 28
      new Tanh(),
    );
    const out = model.forward(randn([3, 16], { generator: g }));
    expect(out.shape).toEqual([3, 1, 28, 28]);
    for (const v of flat(await out.array())) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    out.sum().backward();
    expect(model.parameters().every((p) => p.grad !== null)).toBe(true);
  });
});

describe('GroupNorm', () => {
  it('starts as ones and zeros, and normalises each sample group to mean 0, variance 1', async () => {
    const layer = new GroupNorm(2, 4, { dtype: 'float64' });
    expect(flat(await layer.weight!.array())).toEqual([1, 1, 1, 1]);
    expect(flat(await layer.bias!.array())).toEqual([0, 0, 0, 0]);
    expect(Object.keys(layer.stateDict())).toEqual(['weight', 'bias']);
    const out = flat(await layer.forward(randn([2, 4, 3], { dtype: 'float64', generator: new Generator(4) })).array());
    for (let group = 0; group < 4; group++) {
      const values = out.slice(group * 6, group * 6 + 6);
      const mean = values.reduce((a, b) => a + b, 0) / 6;
      const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / 6;
      expect(Math.abs(mean)).toBeLessThan(1e-12);
      expect(variance).toBeCloseTo(1, 3); // eps 1e-5 keeps it just below 1
    }
  });

  it('checks its arguments and input', () => {
    expect(() => new GroupNorm(3, 4)).toThrow(/GroupNorm: numChannels 4 must be divisible by numGroups 3/);
    expect(() => new GroupNorm(2, 4).forward(ones([2, 6, 3]))).toThrow(
      /GroupNorm\(2, 4\) got input of shape \[2, ?6, ?3\]: expected \[N, 4, \*\]/,
    );
    expect(() => groupNorm(ones([2, 6]), 4)).toThrow(/6 channels .* do not split into 4 groups/);
    expect(() => groupNorm(ones([2, 6]), 2, ones([3]))).toThrow(/weight must be \[6\]/);
    expect(() => new GroupNorm(2, 4, { momentum: 0.1 } as never)).toThrow(/unknown option/);
  });

  it('round-trips through its config, with its repr', () => {
    const layer = new GroupNorm(3, 6, { eps: 1e-3, affine: false });
    const config = JSON.parse(JSON.stringify(layer.config())) as ModuleConfig;
    expect(config).toEqual({ type: 'GroupNorm', numGroups: 3, numChannels: 6, eps: 1e-3, affine: false });
    const rebuilt = moduleFromConfig(config);
    expect(rebuilt.config()).toEqual(config);
    expect(rebuilt.toString()).toBe(layer.toString());
    expect(layer.toString()).toContain('GroupNorm(3, 6, eps=0.001, affine=false)');
    expect(Object.keys(rebuilt.stateDict())).toEqual([]);
  });
});
