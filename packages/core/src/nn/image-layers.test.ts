import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  AdaptiveMaxPool2d,
  InstanceNorm1d,
  InstanceNorm2d,
  PixelShuffle,
  PixelUnshuffle,
  ReLU,
  Upsample,
  UpsamplingNearest2d,
  tensor,
  AvgPool1d,
  AvgPool2d,
  Conv1d,
  Conv2d,
  ConvTranspose2d,
  Flatten,
  Generator,
  MaxPool1d,
  MaxPool2d,
  Sequential,
  conv2d,
  disposeCheckpoint,
  moduleFromConfig,
  ones,
  packCheckpoint,
  pad,
  randn,
  summary,
  unpackCheckpoint,
  type ModuleConfig,
  type Tensor,
} from '@myelin/core';
import { PYTORCH_IMAGE_LAYERS } from '../ops/image-layers-fixture.js';
import { flat, type Nested } from '../ops/test-helpers.js';

const values = async (t: Tensor) => flat(await t.array());

/** Every new option of the 2-D layers once: padding modes, ceil mode, adaptive max pooling. */
const imageModel = (generator = new Generator(1)) =>
  new Sequential(
    new Conv2d(2, 4, 3, { padding: 2, paddingMode: 'reflect', generator }),
    new MaxPool2d(2, { ceilMode: true }),
    new Conv2d(4, 4, [3, 2], { padding: 'same', paddingMode: 'circular', generator }),
    new AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
    new Conv2d(4, 3, 2, { padding: 1, paddingMode: 'replicate', bias: false, generator }),
    new AdaptiveMaxPool2d([3, 2]),
    new Flatten(),
  );

describe('padding modes, ceil mode and AdaptiveMaxPool2d in layers', () => {
  it('Conv2d pads with its mode, then convolves without padding', async () => {
    const conv = new Conv2d(2, 3, 3, { padding: [2, 1], paddingMode: 'reflect', generator: new Generator(2) });
    const x = randn([1, 2, 5, 6], { generator: new Generator(3) });
    const padded = pad(
      x,
      [
        [0, 0],
        [0, 0],
        [2, 2],
        [1, 1],
      ],
      { mode: 'reflect' },
    );
    expect(await values(conv.forward(x))).toEqual(await values(conv2d(padded, conv.weight, conv.bias)));
    expect(conv.forward(x).shape).toEqual([1, 3, 7, 6]);
    expect(conv.forward(randn([2, 5, 6])).shape).toEqual([3, 7, 6]);
    expect(new Conv1d(2, 3, 4, { padding: 'same', paddingMode: 'circular' }).forward(ones([2, 2, 7])).shape).toEqual([
      2, 3, 7,
    ]);
  });

  it('check their options and inputs', () => {
    expect(() => new Conv2d(2, 3, 3, { paddingMode: 'mirror' as never })).toThrow(
      /^Conv2d: paddingMode must be 'zeros', 'reflect', 'replicate', 'circular', got "mirror"/,
    );
    expect(() => new Conv2d(2, 3, 3, { padding_mode: 'reflect' } as never)).toThrow(
      /'padding_mode' is 'paddingMode' here/,
    );
    expect(() => new ConvTranspose2d(2, 3, 3, { paddingMode: 'reflect' } as never)).toThrow(
      /^ConvTranspose2d: unknown option 'paddingMode'/,
    );
    expect(() => new MaxPool2d(2, { ceilMode: 'yes' as never })).toThrow(/^MaxPool2d: ceilMode must be true or false/);
    expect(() => new Conv2d(2, 3, 3, { padding: 3, paddingMode: 'reflect' }).forward(ones([1, 2, 3, 3]))).toThrow(
      /pad: reflect padding \[3, 3\] of axis 2 of shape \[1, ?2, ?3, ?3\] needs below the size 3/,
    );
    expect(() => new Conv2d(3, 4, 3).forward(ones([2, 5, 5]))).toThrow(
      /^Conv2d\(3 -> 4\) got input of shape \[2, ?5, ?5\]: expected \[N, 3, H, W\] or \[3, H, W\]/,
    );
    expect(() => new AdaptiveMaxPool2d(0)).toThrow(/^AdaptiveMaxPool2d: outputSize must be an integer >= 1/);
  });

  it('round-trip through their configs and a checkpoint, with their reprs', async () => {
    const model = imageModel();
    const config = JSON.parse(JSON.stringify(model.config())) as ModuleConfig;
    const layers = config['modules'] as ModuleConfig[];
    expect(layers[0]).toMatchObject({ type: 'Conv2d', padding: 2, paddingMode: 'reflect' });
    expect(layers[1]).toEqual({ type: 'MaxPool2d', kernelSize: 2, stride: 2, padding: 0, dilation: 1, ceilMode: true });
    expect(layers[2]).toMatchObject({ padding: 'same', paddingMode: 'circular' });
    expect(layers[3]).toEqual({
      type: 'AvgPool2d',
      kernelSize: 3,
      stride: 2,
      padding: 1,
      countIncludePad: false,
      ceilMode: true,
    });
    expect(layers[5]).toEqual({ type: 'AdaptiveMaxPool2d', outputSize: [3, 2] });
    expect(new Conv2d(1, 1, 1).config()).not.toHaveProperty('paddingMode');
    expect(new MaxPool1d(2).config()).not.toHaveProperty('ceilMode');
    const text = model.toString();
    expect(text).toContain('Conv2d(2, 4, kernelSize=3x3, stride=1x1, padding=2x2, paddingMode=reflect)');
    expect(text).toContain('MaxPool2d(kernelSize=2x2, stride=2x2, ceilMode=true)');
    expect(text).toContain('AdaptiveMaxPool2d(outputSize=3x2)');

    const bytes = await packCheckpoint({ modelConfig: model.config(), modelState: model.stateDict(), epoch: 1 });
    const loaded = unpackCheckpoint(bytes);
    const rebuilt = moduleFromConfig(loaded.modelConfig as ModuleConfig, { generator: new Generator(9) });
    expect(rebuilt.config()).toEqual(model.config());
    expect(rebuilt.toString()).toBe(text);
    rebuilt.loadStateDict(loaded.modelState);
    const x = randn([2, 2, 9, 8], { generator: new Generator(4) });
    expect(await values(rebuilt.forward(x))).toEqual(await values(model.forward(x)));
    disposeCheckpoint(loaded);

    const pools = [
      new MaxPool1d(3, { stride: 2, ceilMode: true }),
      new AvgPool1d(2, { padding: 1, ceilMode: true }),
      new Conv1d(2, 2, 3, { padding: 2, paddingMode: 'replicate' }),
    ];
    for (const layer of pools) expect(moduleFromConfig(layer.config()).config()).toEqual(layer.config());
    expect(() =>
      moduleFromConfig({ type: 'Conv2d', inChannels: 1, outChannels: 1, kernelSize: 1, paddingMode: 'same' }),
    ).toThrow(/Conv2d option 'paddingMode' must be 'zeros' or 'reflect' or 'replicate' or 'circular', got "same"/);
  });

  it('show their output shapes in summary()', () => {
    const result = summary(imageModel(), [2, 9, 8], { batchSize: 2 });
    expect(result.layers.map((l) => [l.type, l.outputShape])).toEqual([
      ['Conv2d', [2, 4, 11, 10]],
      ['MaxPool2d', [2, 4, 6, 5]],
      ['Conv2d', [2, 4, 6, 5]],
      ['AvgPool2d', [2, 4, 4, 3]],
      ['Conv2d', [2, 3, 5, 4]],
      ['AdaptiveMaxPool2d', [2, 3, 3, 2]],
      ['Flatten', [2, 18]],
    ]);
    // Unbatched: the model's own input shape, without a batch axis, through the 2-D layers.
    expect(new Sequential([...imageModel()].slice(0, 6)).forward(randn([2, 9, 8])).shape).toEqual([3, 3, 2]);
  });

  it('train: every parameter gets a gradient', () => {
    const model = imageModel();
    model
      .forward(randn([2, 2, 9, 8], { generator: new Generator(6) }))
      .sum()
      .backward();
    expect(model.parameters().every((p) => p.grad !== null)).toBe(true);
  });
});

describe('InstanceNorm1d and InstanceNorm2d', () => {
  it("have PyTorch's defaults, buffers and state-dict names", () => {
    const plain = new InstanceNorm2d(3);
    expect(plain.weight).toBeNull();
    expect(plain.runningMean).toBeNull();
    expect(Object.keys(plain.stateDict())).toEqual([]);
    const full = new InstanceNorm1d(3, { affine: true, trackRunningStats: true });
    expect(Object.keys(full.stateDict())).toEqual([
      'weight',
      'bias',
      'running_mean',
      'running_var',
      'num_batches_tracked',
    ]);
    expect(full.toString().split('\n')[0]).toBe(
      'InstanceNorm1d(3, eps=0.00001, momentum=0.1, affine=true, trackRunningStats=true)',
    );
  });

  it('normalise each sample and channel, batched or not, and use running statistics in eval', async () => {
    const norm = new InstanceNorm2d(2, { trackRunningStats: true });
    const x = randn([3, 2, 4, 5], { generator: new Generator(1) });
    const y = await values(norm.forward(x));
    const first = y.slice(0, 20);
    expect(Math.abs(first.reduce((a, b) => a + b, 0) / 20)).toBeLessThan(1e-6);
    expect(await values(norm.runningMean!)).not.toEqual([0, 0]);
    expect(await values(norm.numBatchesTracked!)).toEqual([0]); // PyTorch's InstanceNorm never counts
    const unbatched = x.slice([0], [1]).reshape([2, 4, 5]);
    norm.eval();
    const evaluated = norm.forward(unbatched);
    expect(evaluated.shape).toEqual([2, 4, 5]);
    expect(await values(evaluated)).toEqual(await values(norm.forward(x.slice([0], [1]))));
    // Without running statistics, eval mode keeps using each input's own.
    const stateless = new InstanceNorm1d(4).eval();
    expect(await values(stateless.forward(ones([4, 6])))).toEqual(new Array<number>(24).fill(0));
  });

  it('check their input', () => {
    expect(() => new InstanceNorm2d(3, { affine: true }).forward(ones([2, 4, 5, 5]))).toThrow(
      /^InstanceNorm2d\(3\) got input of shape \[2, ?4, ?5, ?5\]: expected \[N, 3, H, W\] or \[3, H, W\]/,
    );
    expect(() => new InstanceNorm1d(3).forward(ones([2, 3, 4, 4]))).toThrow(/expected \[N, C, L\] or \[C, L\]/);
    // Without weights or statistics per channel, any channel count passes (PyTorch only warns).
    expect(new InstanceNorm1d(3).forward(ones([2, 5, 4])).shape).toEqual([2, 5, 4]);
    expect(() => new InstanceNorm2d(3, { track_running_stats: true } as never)).toThrow(
      /'track_running_stats' is 'trackRunningStats' here/,
    );
  });

  it('round-trip through their configs', () => {
    for (const layer of [new InstanceNorm1d(4), new InstanceNorm2d(3, { affine: true, eps: 1e-3, momentum: 0.2 })]) {
      expect(moduleFromConfig(layer.config()).config()).toEqual(layer.config());
    }
    expect(new InstanceNorm2d(3).config()).toEqual({
      type: 'InstanceNorm2d',
      numFeatures: 3,
      eps: 1e-5,
      momentum: 0.1,
      affine: false,
      trackRunningStats: false,
    });
    expect(moduleFromConfig({ type: 'InstanceNorm2d', numFeatures: 2 }).stateDict()).toEqual({});
  });
});

describe('an image model of the new layers', () => {
  it("loads PyTorch's state dict 1:1 and gives its outputs and running statistics in train and eval mode", async () => {
    const { initialState, stateAfterTrain, input, trainOutput, evalOutput } = PYTORCH_IMAGE_LAYERS.module;
    const options = { dtype: 'float64' } as const;
    const model = new Sequential(
      new Conv2d(2, 4, 3, { padding: 2, paddingMode: 'reflect', ...options }),
      new InstanceNorm2d(4, { affine: true, trackRunningStats: true, ...options }),
      new ReLU(),
      new MaxPool2d(2, { ceilMode: true }),
      new Upsample({ scaleFactor: 1.5, mode: 'bilinear' }),
      new Conv2d(4, 8, 3, { padding: 1, paddingMode: 'circular', ...options }),
      new PixelShuffle(2),
      new AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
      new UpsamplingNearest2d({ scaleFactor: 1.5 }),
      new Conv2d(2, 4, 3, { padding: 1, paddingMode: 'replicate', bias: false, ...options }),
      new PixelUnshuffle(2),
      new AdaptiveMaxPool2d([3, 2]),
    );
    const load = (state: Record<string, Nested>) =>
      Object.fromEntries(
        Object.entries(state).map(([k, v]) => [
          k,
          tensor(v, { dtype: k.endsWith('num_batches_tracked') ? 'int32' : 'float64' }),
        ]),
      );
    expect(model.loadStateDict(load(initialState))).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const close = async (t: Tensor, want: Nested) => {
      const expected = flat(want);
      const got = await values(t);
      expect(got.length).toBe(expected.length);
      got.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThan(1e-12));
    };
    const x = tensor(input, options);
    const trained = model.forward(x);
    expect(trained.shape).toEqual([2, 16, 3, 2]);
    await close(trained, trainOutput);
    const state = model.stateDict();
    for (const [name, value] of Object.entries(stateAfterTrain)) await close(state[name]!, value);
    model.eval();
    await close(model.forward(x), evalOutput);
  });
});
