import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  AdaptiveAvgPool3d,
  AdaptiveMaxPool3d,
  AvgPool3d,
  BatchNorm3d,
  Conv3d,
  ConvTranspose3d,
  Flatten,
  Generator,
  InstanceNorm3d,
  Linear,
  MaxPool3d,
  ReLU,
  Sequential,
  ShapeError,
  disposeCheckpoint,
  moduleFromConfig,
  ones,
  packCheckpoint,
  randn,
  tensor,
  unpackCheckpoint,
  type ModuleConfig,
} from '@myelin/core';
import { PYTORCH_CONV3D } from '../ops/conv3d-fixture.js';
import { flat } from '../ops/test-helpers.js';

const values = async (t: { array(): Promise<unknown> }) => flat(await t.array());

/** A 3-D CNN over [N, 2, 6, 8, 8] with every 3-D layer. */
const model3d = (generator = new Generator(1)) =>
  new Sequential(
    new Conv3d(2, 4, 3, { padding: 'same', paddingMode: 'replicate', generator }),
    new BatchNorm3d(4),
    new ReLU(),
    new MaxPool3d([2, 2, 2], { stride: [1, 2, 2], padding: [1, 0, 0], ceilMode: true }),
    new Conv3d(4, 4, [1, 3, 3], { stride: [1, 2, 2], groups: 2, bias: false, generator }),
    new ConvTranspose3d(4, 4, 2, { stride: [1, 2, 2], padding: [1, 0, 0], outputPadding: [0, 1, 1], generator }),
    new InstanceNorm3d(4, { affine: true, trackRunningStats: true }),
    new AvgPool3d(3, { stride: 1, padding: 1, countIncludePad: false }),
    new AdaptiveAvgPool3d([3, 2, 2]),
    new AdaptiveMaxPool3d(1),
    new Flatten(),
    new Linear(4, 3, { generator }),
  );

describe('3-D layers', () => {
  it("have PyTorch's weight shapes, state-dict names and init bounds", async () => {
    const conv = new Conv3d(4, 6, [2, 3, 4], { groups: 2, generator: new Generator(1) });
    expect(conv.weight.shape).toEqual([6, 2, 2, 3, 4]);
    expect(conv.bias!.shape).toEqual([6]);
    expect(Object.keys(conv.stateDict())).toEqual(['weight', 'bias']);
    const bound = 1 / Math.sqrt(2 * 2 * 3 * 4);
    for (const t of [conv.weight, conv.bias!])
      expect(Math.max(...(await values(t)).map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Object.keys(new BatchNorm3d(3).stateDict())).toEqual([
      'weight',
      'bias',
      'running_mean',
      'running_var',
      'num_batches_tracked',
    ]);
    expect(Object.keys(new InstanceNorm3d(3).stateDict())).toEqual([]);
  });

  it("load PyTorch's state dict 1:1 and give its output and running statistics", async () => {
    const { stateDict, input, output, runningAfter } = PYTORCH_CONV3D.module;
    const options = { dtype: 'float64' } as const;
    const model = new Sequential(
      new Conv3d(2, 4, 3, { padding: 1, ...options }),
      new BatchNorm3d(4, options),
      new ReLU(),
      new MaxPool3d(2, { stride: [1, 2, 2], padding: [1, 0, 0] }),
      new Conv3d(4, 4, [2, 3, 3], { padding: 'same', groups: 2, paddingMode: 'reflect', bias: false, ...options }),
      new InstanceNorm3d(4, { affine: true, ...options }),
      new AvgPool3d(3, { stride: 1, padding: 1, countIncludePad: false }),
      new AdaptiveAvgPool3d([3, 2, 3]),
      new AdaptiveMaxPool3d(2),
      new ConvTranspose3d(4, 2, [2, 3, 2], {
        stride: 2,
        padding: [0, 1, 0],
        outputPadding: [1, 1, 0],
        groups: 2,
        ...options,
      }),
    );
    const state = Object.fromEntries(
      Object.entries(stateDict).map(([k, v]) => [
        k,
        tensor(v, k.endsWith('num_batches_tracked') ? { dtype: 'int32' } : options),
      ]),
    );
    expect(Object.keys(model.stateDict()).sort()).toEqual(Object.keys(state).sort());
    expect(model.loadStateDict(state)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const out = model.forward(tensor(input, options));
    expect(out.shape).toEqual([2, 2, 5, 4, 4]);
    const want = flat(output);
    (await values(out)).forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-12));
    const after = model.stateDict();
    for (const [name, expected] of Object.entries(runningAfter)) {
      const got = await values(after[name]!);
      flat(expected).forEach((v, i) => expect(Math.abs(got[i]! - v)).toBeLessThan(1e-12));
    }
  });

  it('round-trip through their configs and a checkpoint, with their reprs', async () => {
    const model = model3d();
    const config = JSON.parse(JSON.stringify(model.config())) as ModuleConfig;
    expect((config['modules'] as ModuleConfig[]).slice(0, 10)).toEqual([
      {
        type: 'Conv3d',
        inChannels: 2,
        outChannels: 4,
        kernelSize: 3,
        stride: 1,
        padding: 'same',
        paddingMode: 'replicate',
        dilation: 1,
        groups: 1,
        bias: true,
      },
      expect.objectContaining({ type: 'BatchNorm3d', numFeatures: 4 }),
      { type: 'ReLU' },
      { type: 'MaxPool3d', kernelSize: 2, stride: [1, 2, 2], padding: [1, 0, 0], dilation: 1, ceilMode: true },
      {
        type: 'Conv3d',
        inChannels: 4,
        outChannels: 4,
        kernelSize: [1, 3, 3],
        stride: [1, 2, 2],
        padding: 0,
        dilation: 1,
        groups: 2,
        bias: false,
      },
      {
        type: 'ConvTranspose3d',
        inChannels: 4,
        outChannels: 4,
        kernelSize: 2,
        stride: [1, 2, 2],
        padding: [1, 0, 0],
        outputPadding: [0, 1, 1],
        dilation: 1,
        groups: 1,
        bias: true,
      },
      expect.objectContaining({ type: 'InstanceNorm3d', affine: true, trackRunningStats: true }),
      { type: 'AvgPool3d', kernelSize: 3, stride: 1, padding: 1, countIncludePad: false },
      { type: 'AdaptiveAvgPool3d', outputSize: [3, 2, 2] },
      { type: 'AdaptiveMaxPool3d', outputSize: 1 },
    ]);
    const text = model.toString();
    expect(text).toContain('Conv3d(2, 4, kernelSize=3x3x3, stride=1x1x1, padding=same, paddingMode=replicate)');
    expect(text).toContain('MaxPool3d(kernelSize=2x2x2, stride=1x2x2, ceilMode=true)');
    expect(text).toContain('AdaptiveAvgPool3d(outputSize=3x2x2)');
    expect(text).toContain('ConvTranspose3d(4, 4, kernelSize=2x2x2, stride=1x2x2, padding=1x0x0, outputPadding=0x1x1)');

    const x = randn([2, 2, 6, 8, 8], { generator: new Generator(4) });
    model.forward(x); // train mode: moves the running statistics off their initial values
    model.eval();
    const bytes = await packCheckpoint({ modelConfig: model.config(), modelState: model.stateDict(), epoch: 1 });
    const loaded = unpackCheckpoint(bytes);
    const rebuilt = moduleFromConfig(loaded.modelConfig as ModuleConfig, { generator: new Generator(9) });
    expect(rebuilt.config()).toEqual(model.config());
    expect(rebuilt.toString()).toBe(text);
    rebuilt.loadStateDict(loaded.modelState);
    rebuilt.eval();
    expect(await values(rebuilt.forward(x))).toEqual(await values(model.forward(x)));
    disposeCheckpoint(loaded);
  });

  it('train: every parameter gets a gradient', () => {
    const model = model3d();
    model
      .forward(randn([2, 2, 6, 8, 8], { generator: new Generator(6) }))
      .sum()
      .backward();
    expect(model.parameters().every((p) => p.grad !== null)).toBe(true);
  });

  it('take unbatched input and refuse other shapes, naming what they expected', () => {
    const conv = new Conv3d(2, 3, 2);
    expect(conv.forward(ones([2, 3, 3, 3])).shape).toEqual([3, 2, 2, 2]);
    expect(new InstanceNorm3d(2).forward(ones([2, 2, 2, 2])).shape).toEqual([2, 2, 2, 2]);
    expect(() => conv.forward(ones([1, 2, 3, 3]))).toThrow(
      /Conv3d\(2 -> 3\) got input of shape \[1, ?2, ?3, ?3\]: expected \[N, 2, D, H, W\] or \[2, D, H, W\]/,
    );
    expect(() => new BatchNorm3d(2).forward(ones([2, 2, 3, 3]))).toThrow(
      /BatchNorm3d\(2\) got input of shape \[2, ?2, ?3, ?3\]: expected \[N, C, D, H, W\] with C = 2/,
    );
    expect(() => new InstanceNorm3d(2, { affine: true }).forward(ones([2, 3, 2, 2, 2]))).toThrow(ShapeError);
    expect(() => new Conv3d(2, 3, [2, 2] as never)).toThrow(
      /Conv3d: kernelSize must be an integer >= 1 or \[depth, height, width\] of them, got \[2,2\]/,
    );
    expect(() => new Conv3d(2, 3, 3, { stride: 2, padding: 'same' })).toThrow(/padding 'same' needs stride 1/);
    expect(() => new MaxPool3d(2, { return: true } as never)).toThrow(/MaxPool3d/);
    expect(() => moduleFromConfig({ type: 'AvgPool3d', kernelSize: [2, 2] })).toThrow(
      /AvgPool3d option 'kernelSize' must be an integer >= 1 or \[depth, height, width\] of them, got \[2,2\]/,
    );
    expect(() =>
      moduleFromConfig({ type: 'Conv3d', inChannels: 2, outChannels: 3, kernelSize: 3, padding: 'full' }),
    ).toThrow(/Conv3d option 'padding' must be 'same', 'valid' or a size/);
  });
});
