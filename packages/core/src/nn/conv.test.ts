import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { Generator, ShapeError, ArgumentError, arange, ones, tensor, tidy, type Tensor } from '@myelin/core';
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  Dropout2d,
  Embedding,
  LayerNorm,
  MaxPool2d,
  Sequential,
  Unflatten,
  cnnConfig,
  moduleFromConfig,
} from './index.js';

const values = async (t: Tensor) => Array.from(await t.data());

describe('Conv2d', () => {
  it('has PyTorch shapes, init bounds and output size', async () => {
    const conv = new Conv2d(4, 6, [3, 5], { stride: 2, padding: 1, groups: 2, generator: new Generator(1) });
    expect(conv.weight.shape).toEqual([6, 2, 3, 5]);
    expect(conv.bias!.shape).toEqual([6]);
    const bound = 1 / Math.sqrt(2 * 3 * 5);
    for (const v of await values(conv.weight)) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
    expect(conv.forward(ones([2, 4, 9, 10])).shape).toEqual([2, 6, 5, 4]);
    expect(new Conv2d(3, 2, 4, { padding: 'same' }).forward(ones([1, 3, 7, 6])).shape).toEqual([1, 2, 7, 6]);
  });

  it('checks its input and arguments', () => {
    expect(() => new Conv2d(3, 4, 3).forward(ones([1, 2, 5, 5]))).toThrow(ShapeError);
    expect(() => new Conv2d(3, 4, 3, { groups: 2 })).toThrow(ArgumentError);
    expect(() => new Conv2d(3, 4, 3, { padding: 'same', stride: 2 })).toThrow(ArgumentError);
    expect(() => new Conv2d(3, 4, 7).forward(ones([1, 3, 5, 5]))).toThrow(/does not fit/);
    expect(() => new Conv2d(3, 4, 3, { pading: 1 } as never)).toThrow(/^Conv2d: unknown option 'pading'/);
    expect(() => new MaxPool2d(2, { ceil_mode: true } as never)).toThrow(/^MaxPool2d: unknown option 'ceil_mode'/);
    expect(() => new BatchNorm2d(3, { track_running_stats: false } as never)).toThrow(
      "'track_running_stats' is 'trackRunningStats' here",
    );
    expect(() => new Embedding(5, 2, { padding_idx: 0 } as never)).toThrow(/^Embedding: unknown option 'padding_idx'/);
  });
});

describe('pooling layers', () => {
  it('MaxPool2d, AvgPool2d and AdaptiveAvgPool2d on a 4x4 ramp', async () => {
    const x = arange(16).reshape([1, 1, 4, 4]);
    expect(await values(new MaxPool2d(2).forward(x))).toEqual([5, 7, 13, 15]);
    expect(await values(new AvgPool2d(2).forward(x))).toEqual([2.5, 4.5, 10.5, 12.5]);
    expect(await values(new AdaptiveAvgPool2d(1).forward(x))).toEqual([7.5]);
    expect(await values(new AdaptiveAvgPool2d([3, 1]).forward(x))).toEqual([3.5, 7.5, 11.5]);
  });
});

describe('BatchNorm', () => {
  it('normalises with batch statistics in train mode and updates the running ones as PyTorch does', async () => {
    const bn = new BatchNorm2d(2);
    const x = tensor([1, 2, 3, 4, 10, 20, 30, 40], { dtype: 'float32' }).reshape([2, 2, 2, 1]);
    // channel 0: [1, 2, 10, 20], channel 1: [3, 4, 30, 40]
    const y = bn.forward(x);
    const c0 = [1, 2, 10, 20];
    const m0 = 8.25;
    const v0 = c0.reduce((s, v) => s + (v - m0) ** 2, 0) / 4;
    expect((await values(y))[0]).toBeCloseTo((1 - m0) / Math.sqrt(v0 + 1e-5), 5);
    expect((await values(bn.runningMean!))[0]).toBeCloseTo(0.1 * m0, 5);
    expect((await values(bn.runningVar!))[0]).toBeCloseTo(0.9 + 0.1 * ((v0 * 4) / 3), 4);
    expect(await values(bn.numBatchesTracked!)).toEqual([1]);
    expect(Object.keys(bn.stateDict())).toEqual([
      'weight',
      'bias',
      'running_mean',
      'running_var',
      'num_batches_tracked',
    ]);
    bn.eval();
    const z = bn.forward(x);
    expect((await values(z))[0]).toBeCloseTo((1 - 0.1 * m0) / Math.sqrt(0.9 + (0.1 * v0 * 4) / 3 + 1e-5), 5);
    expect(await values(bn.numBatchesTracked!)).toEqual([1]);
  });

  it('BatchNorm1d takes [N, C] and [N, C, L]; wrong ranks are refused', () => {
    const bn = new BatchNorm1d(3);
    expect(bn.forward(ones([4, 3])).shape).toEqual([4, 3]);
    expect(bn.forward(ones([4, 3, 5])).shape).toEqual([4, 3, 5]);
    expect(() => bn.forward(ones([4, 3, 5, 5]))).toThrow(ShapeError);
    expect(() => new BatchNorm2d(3).forward(ones([4, 3]))).toThrow(ShapeError);
  });

  it('keeps live handles flat across training steps', () => {
    const bn = new BatchNorm2d(2);
    const x = ones([2, 2, 3, 3]);
    const live = () => x.backend.liveHandles();
    tidy(() => bn.forward(x).sum().backward());
    const before = live();
    for (let i = 0; i < 3; i++) tidy(() => bn.forward(x).sum().backward());
    bn.zeroGrad();
    expect(live()).toBeLessThanOrEqual(before);
  });
});

describe('LayerNorm, Embedding and Dropout2d', () => {
  it('LayerNorm gives zero mean and unit variance over the last axes', async () => {
    const y = new LayerNorm([3]).forward(tensor([[1, 2, 3]]));
    const [a, b, c] = await values(y);
    expect(a! + b! + c!).toBeCloseTo(0, 6);
    expect(c!).toBeCloseTo(Math.sqrt(1.5), 4);
  });

  it('Embedding looks rows up by int32 ids and sends gradients back to them', async () => {
    const emb = new Embedding(4, 2);
    const ids = tensor([[3, 0, 3]], { dtype: 'int32' });
    const y = emb.forward(ids);
    expect(y.shape).toEqual([1, 3, 2]);
    y.sum().backward();
    expect(await values(emb.weight.grad!)).toEqual([1, 1, 0, 0, 0, 0, 2, 2]);
  });

  it('Dropout2d zeroes whole channels and scales the rest; eval is the identity', async () => {
    const drop = new Dropout2d(0.5, { generator: new Generator(3) });
    const y = await values(drop.forward(ones([4, 8, 2, 2])));
    for (let c = 0; c < 32; c++) {
      const channel = y.slice(c * 4, c * 4 + 4);
      expect(channel.every((v) => v === channel[0]) && (channel[0] === 0 || channel[0] === 2)).toBe(true);
    }
    expect(drop.eval().forward(ones([1, 1, 1, 1])).shape).toEqual([1, 1, 1, 1]);
  });
});

describe('configs', () => {
  it('every new layer rebuilds from its config with the same state dict keys', () => {
    const model = new Sequential([
      new Conv2d(1, 4, 3, { padding: 'same' }),
      new BatchNorm2d(4),
      new MaxPool2d(2),
      new AvgPool2d(2, { stride: 1, padding: 1, countIncludePad: false }),
      new AdaptiveAvgPool2d([2, 3]),
      new Dropout2d(0.1),
      new LayerNorm([2, 3]),
    ]);
    const rebuilt = moduleFromConfig(model.config());
    expect(rebuilt.config()).toEqual(model.config());
    expect(Object.keys(rebuilt.stateDict())).toEqual(Object.keys(model.stateDict()));
    expect(rebuilt.forward(ones([2, 1, 8, 8])).shape).toEqual([2, 4, 2, 3]);
    for (const config of [
      new Embedding(5, 3).config(),
      new BatchNorm1d(3, { affine: false, momentum: 0.2 }).config(),
      new Conv2d(2, 4, [1, 3], { stride: [2, 1], dilation: 2, groups: 2, bias: false }).config(),
    ])
      expect(moduleFromConfig(config).config()).toEqual(config);
  });

  it('hand-written configs are checked with the option named', () => {
    expect(() => moduleFromConfig({ type: 'Conv2d', inChannels: 1, outChannels: 2 })).toThrow(
      /'kernelSize' is required/,
    );
    expect(() =>
      moduleFromConfig({ type: 'Conv2d', inChannels: 1, outChannels: 2, kernelSize: 3, padding: 'full' }),
    ).toThrow(/'padding' must be 'same', 'valid' or a size/);
    expect(() => moduleFromConfig({ type: 'MaxPool2d', kernelSize: [2, 0] })).toThrow(/'kernelSize'/);
  });
});

describe('cnnConfig', () => {
  it('lays out conv blocks, pooling and the MLP head for [C, H, W] and [H, W] inputs', () => {
    const config = cnnConfig({ inputShape: [28, 28], outFeatures: 10, channels: [4, 8], head: { hidden: [16] } });
    const types = (config['modules'] as { type: string }[]).map((m) => m.type);
    expect(types).toEqual([
      'Unflatten',
      'Conv2d',
      'BatchNorm2d',
      'ReLU',
      'MaxPool2d',
      'Conv2d',
      'BatchNorm2d',
      'ReLU',
      'MaxPool2d',
      'Flatten',
      'Linear',
      'ReLU',
      'Linear',
    ]);
    const model = moduleFromConfig(config);
    expect(model.forward(ones([2, 28, 28])).shape).toEqual([2, 10]);
    const global = moduleFromConfig(
      cnnConfig({ inputShape: [3, 9, 7], outFeatures: 4, channels: [5], batchNorm: false, globalPool: true }),
    );
    expect(global.forward(ones([1, 3, 9, 7])).shape).toEqual([1, 4]);
    expect(() => cnnConfig({ inputShape: [5], outFeatures: 2, channels: [3] })).toThrow(/inputShape/);
    expect(() => new Unflatten(1, [2, 3]).forward(ones([1, 5]))).toThrow(ShapeError);
  });
});
