import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  AveragedModel,
  BatchNorm1d,
  BatchNorm2d,
  Conv1d,
  Conv2d,
  Conv3d,
  ConvTranspose1d,
  ConvTranspose2d,
  ConvTranspose3d,
  Generator,
  LazyBatchNorm1d,
  LazyBatchNorm2d,
  LazyBatchNorm3d,
  LazyConv1d,
  LazyConv2d,
  LazyConv3d,
  LazyConvTranspose1d,
  LazyConvTranspose2d,
  LazyConvTranspose3d,
  LazyInstanceNorm1d,
  LazyInstanceNorm2d,
  LazyInstanceNorm3d,
  LazyLinear,
  LazyModule,
  Linear,
  ReLU,
  SGD,
  Sequential,
  ShapeError,
  disposeCheckpoint,
  evaluate,
  mseLoss,
  moduleFromConfig,
  packCheckpoint,
  randn,
  summary,
  tensor,
  unpackCheckpoint,
  updateBn,
  xavierUniform_,
  type Module,
  type ModuleConfig,
  type Tensor,
} from '@myelin/core';

const values = async (t: Tensor) => Array.from(await t.data());
const sample = (shape: number[], seed = 4) => randn(shape, { generator: new Generator(seed) });
const stateValues = async (m: Module) =>
  Promise.all(Object.entries(m.stateDict()).map(async ([k, t]) => [k, t.shape, await values(t)]));

describe('lazy layers', () => {
  it('LazyLinear infers inFeatures at the first forward and becomes a Linear with torch init from its generator', async () => {
    const lazy = new LazyLinear(3, { generator: new Generator(7) });
    expect(lazy.hasUninitializedParameters()).toBe(true);
    expect(lazy.toString()).toBe('LazyLinear(inFeatures=0, outFeatures=3, bias=true)\nParameters: 0 (trainable 0)');
    expect(lazy.config()).toEqual({ type: 'LazyLinear', outFeatures: 3, bias: true });
    expect(lazy.stateDict()).toEqual({});
    expect(() => lazy.parameters()).toThrow(
      'LazyLinear.parameters: LazyLinear creates its parameters at its first forward (it infers inFeatures from the input): run a forward on a sample batch first',
    );
    const x = sample([2, 5]);
    const y = lazy.forward(x);
    const eager = new Linear(5, 3, { generator: new Generator(7) });
    expect(await values(y)).toEqual(await values(eager.forward(x)));
    expect(lazy.hasUninitializedParameters()).toBe(false);
    expect(lazy.materialized).toBeInstanceOf(Linear);
    expect(lazy.typeName).toBe('Linear');
    expect(lazy.config()).toEqual(eager.config());
    expect(lazy.toString()).toBe(eager.toString());
    expect(await stateValues(lazy)).toEqual(await stateValues(eager));
    expect(lazy.parameters().map((p) => p.shape)).toEqual([[3, 5], [3]]);
    // Its parameters are the live ones: an optimizer made now trains the forward's weights.
    const optimizer = new SGD(lazy.parameters(), { lr: 0.5 });
    lazy.forward(x).sum().backward();
    optimizer.step();
    expect(await values(lazy.forward(x))).not.toEqual(await values(y));
    // A second forward with another size is the Linear's own error.
    expect(() => lazy.forward(sample([2, 4]))).toThrow('Linear(5 -> 3) got input of shape [2,4]');
    lazy.dispose();
    eager.dispose();
  });

  it('every lazy convolution matches its eager layer (batched and unbatched input, groups, options)', async () => {
    const cases: [Module, Module, number[]][] = [
      [
        new LazyConv1d(4, 3, { generator: new Generator(1), padding: 1 }),
        new Conv1d(2, 4, 3, { generator: new Generator(1), padding: 1 }),
        [2, 2, 6],
      ],
      [
        new LazyConv2d(4, [2, 3], { generator: new Generator(2), groups: 2 }),
        new Conv2d(6, 4, [2, 3], { generator: new Generator(2), groups: 2 }),
        [1, 6, 4, 5],
      ],
      [
        new LazyConv2d(2, 3, { generator: new Generator(3), bias: false }),
        new Conv2d(3, 2, 3, { generator: new Generator(3), bias: false }),
        [3, 4, 4],
      ],
      [
        new LazyConv3d(2, 2, { generator: new Generator(4) }),
        new Conv3d(1, 2, 2, { generator: new Generator(4) }),
        [1, 1, 3, 3, 3],
      ],
      [
        new LazyConvTranspose1d(3, 2, { generator: new Generator(5), stride: 2 }),
        new ConvTranspose1d(2, 3, 2, { generator: new Generator(5), stride: 2 }),
        [1, 2, 4],
      ],
      [
        new LazyConvTranspose2d(2, 3, { generator: new Generator(6) }),
        new ConvTranspose2d(3, 2, 3, { generator: new Generator(6) }),
        [2, 3, 3, 3],
      ],
      [
        new LazyConvTranspose3d(2, 2, { generator: new Generator(7) }),
        new ConvTranspose3d(2, 2, 2, { generator: new Generator(7) }),
        [1, 2, 2, 2, 2],
      ],
    ];
    for (const [lazy, eager, shape] of cases) {
      const x = sample(shape);
      expect(await values(lazy.forward(x))).toEqual(await values(eager.forward(x)));
      expect(lazy.config()).toEqual(eager.config());
      expect(await stateValues(lazy)).toEqual(await stateValues(eager));
      lazy.dispose();
      eager.dispose();
    }
  });

  it('lazy norms infer numFeatures from axis 1 and keep running statistics; eval follows the lazy module', async () => {
    const lazy = new LazyBatchNorm2d({ momentum: 0.2 });
    const eager = new BatchNorm2d(3, { momentum: 0.2 });
    const x = sample([2, 3, 2, 2]);
    expect(await values(lazy.forward(x))).toEqual(await values(eager.forward(x)));
    expect(Object.keys(lazy.stateDict())).toEqual([
      'weight',
      'bias',
      'running_mean',
      'running_var',
      'num_batches_tracked',
    ]);
    expect(await stateValues(lazy)).toEqual(await stateValues(eager));
    lazy.eval();
    eager.eval();
    expect(await values(lazy.forward(x))).toEqual(await values(eager.forward(x)));
    const shapes: [Module, number[], number][] = [
      [new LazyBatchNorm1d(), [4, 3], 3],
      [new LazyBatchNorm1d(), [4, 2, 5], 2],
      [new LazyBatchNorm3d(), [2, 2, 2, 2, 2], 2],
      [new LazyInstanceNorm1d({ affine: true }), [2, 3, 4], 3],
      [new LazyInstanceNorm2d({ trackRunningStats: true }), [2, 2, 3, 3], 2],
      [new LazyInstanceNorm3d({ affine: true }), [1, 2, 2, 2, 2], 2],
    ];
    for (const [norm, shape, features] of shapes) {
      expect(norm.forward(sample(shape)).shape).toEqual(shape);
      expect(norm.config()['numFeatures']).toBe(features);
      norm.dispose();
    }
    for (const m of [lazy, eager]) m.dispose();
  });

  it('check their arguments at construction and the first input, naming the layer', () => {
    expect(() => new LazyLinear(0)).toThrow('Linear: outFeatures must be a positive integer, got 0');
    expect(() => new LazyLinear(2, { bais: false } as never)).toThrow(/bais/);
    expect(() => new LazyConv2d(4, 0)).toThrow(/Conv2d: kernelSize/);
    expect(() => new LazyConv2d(3, 2, { groups: 2 })).toThrow(/must both be divisible by groups 2/);
    expect(() => new LazyConv2d(4, 2, { groups: 0 })).toThrow('Conv2d: groups must be a positive integer, got 0');
    expect(() => new LazyBatchNorm1d({ momentum: 2 })).toThrow(
      /BatchNorm1d: momentum must be a number in \[0, 1\], got 2/,
    );
    expect(() => new LazyConv2d(2, 2).forward(sample([2, 2]))).toThrow(
      new ShapeError('LazyConv2d got input of shape [2,2]: expected [N, C, H, W] or [C, H, W]'),
    );
    expect(() => new LazyBatchNorm2d().forward(sample([2, 2]))).toThrow(
      'LazyBatchNorm2d got input of shape [2,2]: expected [N, C, H, W]',
    );
    expect(() => new LazyConv2d(4, 2, { groups: 2 }).forward(sample([1, 3, 4, 4]))).toThrow(/divisible by groups 2/);
  });

  it('refuse an optimizer before the dry run; summary or a forward materialises a model of them', () => {
    const model = new Sequential(new LazyLinear(4, { generator: new Generator(1) }), new ReLU(), new LazyLinear(2));
    expect(() => new SGD(model.parameters(), { lr: 0.1 })).toThrow(
      /^Sequential\.parameters: '0' LazyLinear creates its parameters at its first forward .*; '2' LazyLinear creates/,
    );
    expect(model.namedParameters()).toEqual([]);
    expect(() => model.loadStateDict({ '0.weight': sample([4, 3]) })).toThrow(
      /unexpected keys: 0\.weight\n {2}'0' LazyLinear creates its parameters at its first forward/,
    );
    const table = summary(model, [3], { batchSize: 2 });
    expect(table.layers.map((l) => [l.name, l.type, l.outputShape, l.parameters])).toEqual([
      ['0', 'Linear', [2, 4], 16],
      ['1', 'ReLU', [2, 4], 0],
      ['2', 'Linear', [2, 2], 10],
    ]);
    expect(model.parameters()).toHaveLength(4);
    model.dispose();
  });

  it('round-trip through configs and checkpoints: a fresh one stays lazy, a run one saves its concrete layer', async () => {
    const fresh = new Sequential(
      new LazyConv2d(2, 3, { padding: 'same', paddingMode: 'reflect' }),
      new LazyBatchNorm2d({ eps: 1e-3 }),
    );
    const config = JSON.parse(JSON.stringify(fresh.config())) as ModuleConfig;
    expect(config['modules']).toEqual([
      {
        type: 'LazyConv2d',
        outChannels: 2,
        kernelSize: 3,
        stride: 1,
        padding: 'same',
        paddingMode: 'reflect',
        dilation: 1,
        groups: 1,
        bias: true,
      },
      { type: 'LazyBatchNorm2d', eps: 1e-3, momentum: 0.1, affine: true, trackRunningStats: true },
    ]);
    const rebuilt = moduleFromConfig(config, { generator: new Generator(3) }) as Sequential;
    expect(rebuilt.at(0)).toBeInstanceOf(LazyConv2d);
    expect(rebuilt.at(1)).toBeInstanceOf(LazyBatchNorm2d);
    expect(rebuilt.config()).toEqual(config);
    expect(rebuilt.toString()).toBe(fresh.toString());
    expect(moduleFromConfig({ type: 'LazyLinear', outFeatures: 2 }).config()).toEqual({
      type: 'LazyLinear',
      outFeatures: 2,
      bias: true,
    });

    const x = sample([1, 3, 4, 4]);
    const y = await values(rebuilt.forward(x));
    const bytes = await packCheckpoint({ modelConfig: rebuilt.config(), modelState: rebuilt.stateDict(), epoch: 1 });
    const loaded = unpackCheckpoint(bytes);
    expect((loaded.modelConfig as ModuleConfig)['modules']).toMatchObject([
      { type: 'Conv2d', inChannels: 3 },
      { type: 'BatchNorm2d', numFeatures: 2 },
    ]);
    const concrete = moduleFromConfig(loaded.modelConfig as ModuleConfig) as Sequential;
    concrete.loadStateDict(loaded.modelState);
    disposeCheckpoint(loaded);
    rebuilt.eval();
    concrete.eval();
    expect(await values(concrete.forward(x))).toEqual(await values(rebuilt.forward(x)));
    expect(y).toHaveLength(32);
    for (const m of [fresh, rebuilt, concrete]) m.dispose();
  });

  it('reject bad lazy configs naming where', () => {
    const fails = (config: unknown) => () => moduleFromConfig(config as ModuleConfig);
    expect(fails({ type: 'LazyLinear', outFeatures: 2, inFeatures: 3 })).toThrow(
      /LazyLinear has no option 'inFeatures'; its options are outFeatures, bias, dtype/,
    );
    expect(fails({ type: 'LazyLinear' })).toThrow("moduleFromConfig: LazyLinear option 'outFeatures' is required");
    expect(
      fails({ type: 'Sequential', modules: [{ type: 'LazyConv1d', outChannels: 2, kernelSize: 2, stride: 0 }] }),
    ).toThrow('moduleFromConfig: at modules[0]: LazyConv1d: Conv1d: stride must be');
    expect(fails({ type: 'LazyBatchNorm1d', numFeatures: 3 })).toThrow(/LazyBatchNorm1d has no option 'numFeatures'/);
  });
});

describe('a built lazy layer shows its concrete layer to code that looks for one', () => {
  it("passes weight, bias and a norm's running statistics through; before its forward they throw", async () => {
    const linear = new LazyLinear(2, { generator: new Generator(1) });
    expect(() => linear.weight).toThrow(
      'LazyLinear.weight: LazyLinear creates its parameters at its first forward (it infers inFeatures from the input)',
    );
    linear.forward(sample([4, 3]));
    expect(linear.weight).toBe(linear.materialized!.weight);
    expect(linear.bias).toBe(linear.namedParameters()[1]![1]);
    const conv = new LazyConv2d(2, 3, { bias: false });
    expect(() => conv.bias).toThrow(/^LazyConv2d.bias: LazyConv2d creates its parameters/);
    conv.forward(sample([1, 2, 4, 4]));
    expect(conv.bias).toBeNull();
    expect(conv.weight!.shape).toEqual([2, 2, 3, 3]);
    const norm = new LazyBatchNorm2d();
    expect(() => norm.runningMean).toThrow(/^LazyBatchNorm2d.runningMean: /);
    norm.forward(sample([2, 3, 2, 2]));
    expect(norm.runningMean).toBe(norm.stateDict()['running_mean']);
    expect(norm.runningVar).toBe(norm.stateDict()['running_var']);
    expect(norm.numBatchesTracked).toBe(norm.stateDict()['num_batches_tracked']);
  });

  it('an init through apply reaches a lazy Linear by its materialized layer', async () => {
    const model = new Sequential(new LazyLinear(3, { generator: new Generator(2) }), new ReLU());
    model.forward(sample([2, 4]));
    const before = await values(model.parameters()[0]!);
    model.apply((m) => {
      const layer = m instanceof LazyModule ? m.materialized : m;
      if (layer instanceof Linear) xavierUniform_(layer.weight, { generator: new Generator(9) });
    });
    expect(await values(model.parameters()[0]!)).not.toEqual(before);
  });

  it('updateBn recomputes a lazy BatchNorm1d running mean as an eager one (mean 10 data)', async () => {
    const data = [tensor([[9], [11]]), tensor([[10], [10]])];
    const lazy = new Sequential(new LazyBatchNorm1d());
    lazy.forward(tensor([[0], [0]]));
    const eager = new Sequential(new BatchNorm1d(1));
    await updateBn(data, lazy);
    await updateBn(data, eager);
    expect(await values(lazy.stateDict()['0.running_mean']!)).toEqual([10]);
    expect(await values(lazy.stateDict()['0.running_mean']!)).toEqual(
      await values(eager.stateDict()['0.running_mean']!),
    );
  });

  it('evaluate and AveragedModel take an unbuilt lazy model (parameters() would refuse)', async () => {
    const model = new Sequential(new LazyLinear(1, { generator: new Generator(3) }));
    expect(() => model.parameters()).toThrow(/dry run/);
    const averaged = new AveragedModel(model);
    expect(averaged.stateDict()['n_averaged']!.dtype).toBe('int32');
    const x = sample([4, 2]);
    const result = await evaluate(model, [{ x, y: sample([4, 1], 5) }], { loss: mseLoss });
    expect(Number.isFinite(result['loss'])).toBe(true);
    expect(model.parameters()).toHaveLength(2);
  });

  it('summary reports a built lazy Linear in a Sequential with its activation', () => {
    const model = new Sequential(new LazyLinear(3, { generator: new Generator(4) }), new ReLU(), new Linear(3, 1));
    expect(summary(model, [5]).layers.map((l) => [l.name, l.type, l.outputShape, l.parameters])).toEqual([
      ['0', 'Linear', [1, 3], 18],
      ['1', 'ReLU', [1, 3], 0],
      ['2', 'Linear', [1, 1], 4],
    ]);
  });
});
