import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  Conv2d,
  Generator,
  PixelShuffle,
  PixelUnshuffle,
  ReLU,
  Sequential,
  Upsample,
  UpsamplingBilinear2d,
  UpsamplingNearest2d,
  arange,
  disposeCheckpoint,
  interpolate,
  moduleFromConfig,
  packCheckpoint,
  randn,
  summary,
  unpackCheckpoint,
  type ModuleConfig,
  type Tensor,
} from '@myelin/core';
import { flat } from '../ops/test-helpers.js';

const values = async (t: Tensor) => flat(await t.array());

/** A sub-pixel super-resolution head over [N, 3, 5, 6]: every upsampling layer once. */
const upsampler = (generator = new Generator(1)) =>
  new Sequential(
    new Conv2d(3, 8, 3, { padding: 1, generator }),
    new ReLU(),
    new PixelShuffle(2),
    new Upsample({ scaleFactor: 1.5, mode: 'bilinear' }),
    new UpsamplingNearest2d({ size: [20, 24] }),
    new PixelUnshuffle(4),
    new UpsamplingBilinear2d({ scaleFactor: [2, 3] }),
    new Upsample({ size: 7, mode: 'area' }),
  );

describe('Upsample, UpsamplingNearest2d and UpsamplingBilinear2d', () => {
  it('run interpolate with their mode and alignCorners', async () => {
    const x = randn([1, 2, 3, 4], { generator: new Generator(3) });
    const same = async (layer: { forward(x: Tensor): Tensor }, args: Parameters<typeof interpolate>[1]) =>
      expect(await values(layer.forward(x))).toEqual(await values(interpolate(x, args)));
    await same(new Upsample({ scaleFactor: 2 }), { scaleFactor: 2 });
    await same(new Upsample({ size: [5, 7], mode: 'bilinear' }), { size: [5, 7], mode: 'bilinear' });
    await same(new UpsamplingNearest2d({ scaleFactor: 1.5 }), { scaleFactor: 1.5, mode: 'nearest' });
    await same(new UpsamplingBilinear2d({ size: 6 }), { size: 6, mode: 'bilinear', alignCorners: true });
    const ramp = arange(3, { dtype: 'float32' }).reshape([1, 1, 3]);
    expect(await values(new Upsample({ size: 5, mode: 'linear', alignCorners: true }).forward(ramp))).toEqual([
      0, 0.5, 1, 1.5, 2,
    ]);
  });

  it('check their options', () => {
    expect(() => new Upsample()).toThrow(/^Upsample: give exactly one of size and scaleFactor/);
    expect(() => new Upsample({ size: 4, scaleFactor: 2 })).toThrow(/give exactly one of size and scaleFactor/);
    expect(() => new Upsample({ size: 2.5 })).toThrow(
      /^Upsample: size must be a positive integer or a list of them, got 2.5/,
    );
    expect(() => new Upsample({ scaleFactor: [2, -1] })).toThrow(
      /scaleFactor must be a positive number or a list of them/,
    );
    expect(() => new Upsample({ scaleFactor: 2, mode: 'cubic' as never })).toThrow(
      /^Upsample: mode must be 'nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear', 'area', got "cubic"/,
    );
    expect(() => new Upsample({ scaleFactor: 2, alignCorners: true })).toThrow(
      /alignCorners applies to modes 'linear', 'bilinear', 'bicubic' and 'trilinear' only, got it with mode 'nearest'/,
    );
    expect(() => new UpsamplingBilinear2d({ scaleFactor: 2, mode: 'nearest' } as never)).toThrow(
      /^UpsamplingBilinear2d: unknown option 'mode'/,
    );
    expect(() => new Upsample({ scale_factor: 2 } as never)).toThrow(/'scale_factor' is 'scaleFactor' here/);
    expect(() => new PixelShuffle(0)).toThrow(ArgumentError);
    expect(() => new Upsample({ size: [4, 4] }).forward(randn([1, 1, 2, 2, 2]))).toThrow(
      /interpolate: size \[4,4\] must have 3 entries for input \[1, ?1, ?2, ?2, ?2\]/,
    );
    expect(() => new Upsample({ size: 4 }).forward(randn([1, 2, 2, 2, 2, 2]))).toThrow(
      /interpolate: expected an input/,
    );
  });
});

describe('image upsampling models', () => {
  it('round-trip through their configs and a checkpoint, with their reprs', async () => {
    const model = upsampler();
    const config = JSON.parse(JSON.stringify(model.config())) as ModuleConfig;
    expect((config['modules'] as ModuleConfig[]).slice(2)).toEqual([
      { type: 'PixelShuffle', upscaleFactor: 2 },
      { type: 'Upsample', scaleFactor: 1.5, mode: 'bilinear', alignCorners: false },
      { type: 'UpsamplingNearest2d', size: [20, 24] },
      { type: 'PixelUnshuffle', downscaleFactor: 4 },
      { type: 'UpsamplingBilinear2d', scaleFactor: [2, 3] },
      { type: 'Upsample', size: 7, mode: 'area' },
    ]);
    const text = model.toString();
    expect(text).toContain('PixelShuffle(upscaleFactor=2)');
    expect(text).toContain('Upsample(scaleFactor=1.5, mode=bilinear, alignCorners=false)');
    expect(text).toContain('UpsamplingNearest2d(size=[20, 24], mode=nearest)');
    expect(text).toContain('UpsamplingBilinear2d(scaleFactor=[2, 3], mode=bilinear, alignCorners=true)');

    const bytes = await packCheckpoint({ modelConfig: model.config(), modelState: model.stateDict(), epoch: 1 });
    const loaded = unpackCheckpoint(bytes);
    const rebuilt = moduleFromConfig(loaded.modelConfig as ModuleConfig, { generator: new Generator(9) });
    expect(rebuilt.config()).toEqual(model.config());
    expect(rebuilt.toString()).toBe(text);
    rebuilt.loadStateDict(loaded.modelState);
    const x = randn([2, 3, 5, 6], { generator: new Generator(4) });
    expect(await values(rebuilt.forward(x))).toEqual(await values(model.forward(x)));
    disposeCheckpoint(loaded);
  });

  it('read hand-written configs and name what is wrong', () => {
    expect(moduleFromConfig({ type: 'Upsample', scaleFactor: 2 }).config()).toEqual({
      type: 'Upsample',
      scaleFactor: 2,
      mode: 'nearest',
    });
    expect(moduleFromConfig({ type: 'Upsample', size: [4, 6], mode: 'bilinear' }).config()).toMatchObject({
      alignCorners: false,
    });
    const bicubic = moduleFromConfig({ type: 'Upsample', scaleFactor: 2, mode: 'bicubic', alignCorners: true });
    expect(bicubic.config()).toEqual({ type: 'Upsample', scaleFactor: 2, mode: 'bicubic', alignCorners: true });
    expect(bicubic.toString()).toContain('Upsample(scaleFactor=2, mode=bicubic, alignCorners=true)');
    const trilinear = moduleFromConfig({ type: 'Upsample', size: [3, 4, 5], mode: 'trilinear' });
    expect(trilinear.config()).toEqual({ type: 'Upsample', size: [3, 4, 5], mode: 'trilinear', alignCorners: false });
    expect(trilinear.forward(randn([1, 2, 2, 2, 2])).shape).toEqual([1, 2, 3, 4, 5]);
    const exact = moduleFromConfig({ type: 'Upsample', scaleFactor: 0.5, mode: 'nearest-exact' });
    expect(exact.config()).toEqual({ type: 'Upsample', scaleFactor: 0.5, mode: 'nearest-exact' });
    expect(exact.forward(randn([2, 1, 4, 6])).shape).toEqual([2, 1, 2, 3]);
    expect(() => moduleFromConfig({ type: 'Upsample', scaleFactor: 'x' })).toThrow(
      /Upsample option 'scaleFactor' must be a positive number or a list of them, got "x"/,
    );
    expect(() => moduleFromConfig({ type: 'Upsample', scaleFactor: 2, mode: 'cubic' })).toThrow(
      /Upsample option 'mode' must be 'nearest' or 'nearest-exact' or 'linear' or 'bilinear' or 'bicubic' or 'trilinear' or 'area', got "cubic"/,
    );
    expect(() => moduleFromConfig({ type: 'UpsamplingNearest2d' })).toThrow(/give exactly one of size and scaleFactor/);
    expect(() => moduleFromConfig({ type: 'PixelShuffle' })).toThrow(/PixelShuffle option 'upscaleFactor' is required/);
  });

  it('show their output shapes in summary()', () => {
    const result = summary(upsampler(), [3, 5, 6], { batchSize: 2 });
    expect(result.layers.map((l) => [l.type, l.outputShape])).toEqual([
      ['Conv2d', [2, 8, 5, 6]],
      ['ReLU', [2, 8, 5, 6]],
      ['PixelShuffle', [2, 2, 10, 12]],
      ['Upsample', [2, 2, 15, 18]],
      ['UpsamplingNearest2d', [2, 2, 20, 24]],
      ['PixelUnshuffle', [2, 32, 5, 6]],
      ['UpsamplingBilinear2d', [2, 32, 10, 18]],
      ['Upsample', [2, 32, 7, 7]],
    ]);
  });

  it('train: gradients flow through every upsampling layer to the convolution', () => {
    const model = upsampler();
    model
      .forward(randn([2, 3, 5, 6], { generator: new Generator(6) }))
      .sum()
      .backward();
    expect(model.parameters().every((p) => p.grad !== null)).toBe(true);
  });
});
