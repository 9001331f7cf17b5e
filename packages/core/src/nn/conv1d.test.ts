import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  AdaptiveAvgPool1d,
  ArgumentError,
  AvgPool1d,
  BatchNorm1d,
  Conv1d,
  ConvTranspose1d,
  Flatten,
  Generator,
  Linear,
  MaxPool1d,
  ReLU,
  Sequential,
  ShapeError,
  arange,
  disposeCheckpoint,
  moduleFromConfig,
  ones,
  packCheckpoint,
  randn,
  summary,
  tensor,
  unpackCheckpoint,
  type ModuleConfig,
} from '@myelin/core';
import { PYTORCH_CONV1D } from '../ops/conv1d-fixture.js';
import { flat } from '../ops/test-helpers.js';

const values = async (t: { array(): Promise<unknown> }) => flat(await t.array());

/** A 1-D CNN over [N, 2, 16] with every 1-D layer: 16 -> 8 -> 16 -> 16 -> 4 positions. */
const model1d = (generator = new Generator(1)) =>
  new Sequential(
    new Conv1d(2, 4, 3, { padding: 'same', generator }),
    new BatchNorm1d(4),
    new ReLU(),
    new MaxPool1d(2),
    new ConvTranspose1d(4, 6, 4, { stride: 2, padding: 1, groups: 2, generator }),
    new AvgPool1d(3, { stride: 1, padding: 1, countIncludePad: false }),
    new AdaptiveAvgPool1d(4),
    new Flatten(),
    new Linear(24, 3, { generator }),
  );

describe('Conv1d and ConvTranspose1d', () => {
  it("have PyTorch's weight shapes, state-dict names and init bounds", async () => {
    const conv = new Conv1d(4, 6, 5, { groups: 2, generator: new Generator(1) });
    expect(conv.weight.shape).toEqual([6, 2, 5]);
    expect(conv.bias!.shape).toEqual([6]);
    expect(conv.kernelSize).toEqual([5]);
    expect(Object.keys(conv.stateDict())).toEqual(['weight', 'bias']);
    const transposed = new ConvTranspose1d(4, 6, 3, { groups: 2, generator: new Generator(2) });
    expect(transposed.weight.shape).toEqual([4, 3, 3]);
    expect(transposed.bias!.shape).toEqual([6]);
    // kaiming_uniform a = sqrt(5) and the bias share the bound 1/sqrt(fanIn), fanIn = weight.size(1) * k.
    for (const [layer, fanIn] of [
      [conv, 2 * 5],
      [transposed, 3 * 3],
    ] as const) {
      const bound = 1 / Math.sqrt(fanIn);
      const weights = await values(layer.weight);
      for (const v of [...weights, ...(await values(layer.bias!))]) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
      expect(Math.max(...weights.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    }
    expect(new Conv1d(2, 3, 2, { bias: false }).bias).toBeNull();
  });

  it('give output lengths as PyTorch does, batched and unbatched', () => {
    const conv = new Conv1d(3, 4, 3, { stride: 2, padding: 1, dilation: 2 });
    expect(conv.forward(ones([2, 3, 10])).shape).toEqual([2, 4, 4]);
    expect(conv.forward(ones([3, 10])).shape).toEqual([4, 4]);
    expect(new Conv1d(3, 2, 4, { padding: 'same' }).forward(ones([1, 3, 7])).shape).toEqual([1, 2, 7]);
    expect(new Conv1d(3, 2, 4, { padding: 'valid' }).forward(ones([1, 3, 7])).shape).toEqual([1, 2, 4]);
    const up = new ConvTranspose1d(3, 2, 4, { stride: 2, padding: 1, outputPadding: 1 });
    expect(up.forward(ones([2, 3, 5])).shape).toEqual([2, 2, 11]);
    expect(up.forward(ones([3, 5])).shape).toEqual([2, 11]);
  });

  it('check their arguments and name the input they got', () => {
    expect(() => new Conv1d(3, 4, 3).forward(ones([1, 2, 5]))).toThrow(
      /^Conv1d\(3 -> 4\) got input of shape \[1, ?2, ?5\]: expected \[N, 3, L\] or \[3, L\]/,
    );
    expect(() => new Conv1d(3, 4, 3).forward(ones([1, 3, 5, 5]))).toThrow(ShapeError);
    expect(() => new ConvTranspose1d(3, 4, 3).forward(ones([2, 5]))).toThrow(
      /^ConvTranspose1d\(3 -> 4\) got input of shape \[2, ?5\]: expected \[N, 3, L\] or \[3, L\]/,
    );
    expect(() => new Conv1d(3, 4, 3, { groups: 2 })).toThrow(
      /Conv1d: inChannels 3 and outChannels 4 must both be divisible by groups 2/,
    );
    expect(() => new Conv1d(3, 4, 3, { padding: 'same', stride: 2 })).toThrow(
      /^Conv1d: padding 'same' needs stride 1, got 2/,
    );
    expect(() => new Conv1d(3, 4, [3, 3] as never)).toThrow(
      /^Conv1d: kernelSize must be an integer >= 1 or \[one of them\], got \[3,3\]/,
    );
    expect(() => new Conv1d(3, 4, 7).forward(ones([1, 3, 5]))).toThrow(/does not fit/);
    expect(() => new Conv1d(3, 4, 3, { pading: 1 } as never)).toThrow(/^Conv1d: unknown option 'pading'/);
    expect(() => new ConvTranspose1d(4, 4, 3, { stride: 2, outputPadding: 2 })).toThrow(
      /^ConvTranspose1d: outputPadding 2 must be smaller than the stride 2 or the dilation 1/,
    );
    expect(() => new MaxPool1d(2, { ceil_mode: true } as never)).toThrow(/^MaxPool1d: unknown option 'ceil_mode'/);
    expect(() => new AvgPool1d(0)).toThrow(ArgumentError);
    expect(() => new AdaptiveAvgPool1d(0)).toThrow(/AdaptiveAvgPool1d: outputSize must be an integer >= 1/);
  });
});

describe('1-D pooling layers', () => {
  it('MaxPool1d, AvgPool1d and AdaptiveAvgPool1d on a ramp', async () => {
    const x = arange(8).reshape([1, 1, 8]);
    expect(await values(new MaxPool1d(2).forward(x))).toEqual([1, 3, 5, 7]);
    expect(await values(new MaxPool1d(3, { stride: 2, padding: 1 }).forward(x))).toEqual([1, 3, 5, 7]);
    expect(await values(new AvgPool1d(4).forward(x))).toEqual([1.5, 5.5]);
    expect(await values(new AvgPool1d(2, { stride: 2, padding: 1 }).forward(x))).toEqual([0, 1.5, 3.5, 5.5, 3.5]);
    expect(await values(new AvgPool1d(2, { padding: 1, countIncludePad: false }).forward(x))).toEqual([
      0, 1.5, 3.5, 5.5, 7,
    ]);
    expect(await values(new AdaptiveAvgPool1d(3).forward(x))).toEqual([1, 3.5, 6]);
    expect(new AdaptiveAvgPool1d(3).forward(arange(8).reshape([1, 8])).shape).toEqual([1, 3]);
  });
});

describe('1-D models', () => {
  it("load PyTorch's state dict 1:1 and give its output", async () => {
    const { stateDict, input, output } = PYTORCH_CONV1D.module;
    const options = { dtype: 'float64' } as const;
    const model = new Sequential(
      new Conv1d(2, 4, 3, { padding: 1, ...options }),
      new ReLU(),
      new MaxPool1d(2),
      new ConvTranspose1d(4, 6, 4, { stride: 2, padding: 1, groups: 2, ...options }),
      new AvgPool1d(3, { stride: 1, padding: 1, countIncludePad: false }),
      new Conv1d(6, 3, 2, { padding: 'same', bias: false, ...options }),
      new AdaptiveAvgPool1d(5),
    );
    const state = Object.fromEntries(Object.entries(stateDict).map(([k, v]) => [k, tensor(v, options)]));
    expect(Object.keys(model.stateDict()).sort()).toEqual(Object.keys(state).sort());
    expect(model.loadStateDict(state)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const out = model.forward(tensor(input, options));
    expect(out.shape).toEqual([2, 3, 5]);
    const want = flat(output);
    (await values(out)).forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-12));
  });

  it('round-trip through their configs and a checkpoint, with their reprs', async () => {
    const model = model1d();
    const config = JSON.parse(JSON.stringify(model.config())) as ModuleConfig;
    expect((config['modules'] as ModuleConfig[]).slice(0, 7)).toEqual([
      {
        type: 'Conv1d',
        inChannels: 2,
        outChannels: 4,
        kernelSize: 3,
        stride: 1,
        padding: 'same',
        dilation: 1,
        groups: 1,
        bias: true,
      },
      expect.objectContaining({ type: 'BatchNorm1d' }),
      { type: 'ReLU' },
      { type: 'MaxPool1d', kernelSize: 2, stride: 2, padding: 0, dilation: 1 },
      {
        type: 'ConvTranspose1d',
        inChannels: 4,
        outChannels: 6,
        kernelSize: 4,
        stride: 2,
        padding: 1,
        outputPadding: 0,
        dilation: 1,
        groups: 2,
        bias: true,
      },
      { type: 'AvgPool1d', kernelSize: 3, stride: 1, padding: 1, countIncludePad: false },
      { type: 'AdaptiveAvgPool1d', outputSize: 4 },
    ]);
    const text = model.toString();
    expect(text).toContain('Conv1d(2, 4, kernelSize=3, stride=1, padding=same)');
    expect(text).toContain('ConvTranspose1d(4, 6, kernelSize=4, stride=2, padding=1, outputPadding=0)');
    expect(text).toContain('MaxPool1d(kernelSize=2, stride=2)');
    expect(text).toContain('AdaptiveAvgPool1d(outputSize=4)');

    model.eval();
    const bytes = await packCheckpoint({ modelConfig: model.config(), modelState: model.stateDict(), epoch: 1 });
    const loaded = unpackCheckpoint(bytes);
    const rebuilt = moduleFromConfig(loaded.modelConfig as ModuleConfig, { generator: new Generator(9) });
    expect(rebuilt.config()).toEqual(model.config());
    expect(rebuilt.toString()).toBe(text);
    rebuilt.loadStateDict(loaded.modelState);
    rebuilt.eval();
    const x = randn([2, 2, 16], { generator: new Generator(4) });
    expect(await values(rebuilt.forward(x))).toEqual(await values(model.forward(x)));
    disposeCheckpoint(loaded);
  });

  it('read sizes written as 1-tuples in hand-written configs, and refuse pairs', () => {
    const conv = moduleFromConfig({ type: 'Conv1d', inChannels: 2, outChannels: 3, kernelSize: [3], padding: [1] });
    expect(conv.config()).toMatchObject({ kernelSize: 3, padding: 1 });
    expect(() => moduleFromConfig({ type: 'MaxPool1d', kernelSize: [2, 2] })).toThrow(
      /MaxPool1d option 'kernelSize' must be an integer >= 1 or \[one of them\], got \[2,2\]/,
    );
    expect(() =>
      moduleFromConfig({ type: 'Conv1d', inChannels: 2, outChannels: 3, kernelSize: 3, padding: 'full' }),
    ).toThrow(/Conv1d option 'padding' must be 'same', 'valid' or a size, got "full"/);
  });

  it('show their output shapes in summary()', () => {
    const result = summary(model1d(), [2, 16], { batchSize: 3 });
    expect(result.layers.map((l) => [l.type, l.outputShape, l.parameters])).toEqual([
      ['Conv1d', [3, 4, 16], 4 * 2 * 3 + 4],
      ['BatchNorm1d', [3, 4, 16], 8],
      ['ReLU', [3, 4, 16], 0],
      ['MaxPool1d', [3, 4, 8], 0],
      ['ConvTranspose1d', [3, 6, 16], 4 * 3 * 4 + 6],
      ['AvgPool1d', [3, 6, 16], 0],
      ['AdaptiveAvgPool1d', [3, 6, 4], 0],
      ['Flatten', [3, 24], 0],
      ['Linear', [3, 3], 24 * 3 + 3],
    ]);
  });

  it('train: every parameter gets a gradient', () => {
    const model = model1d();
    model
      .forward(randn([4, 2, 16], { generator: new Generator(6) }))
      .sum()
      .backward();
    expect(model.parameters().every((p) => p.grad !== null)).toBe(true);
  });
});
