import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { ArgumentError, Generator, type Tensor, getBackend } from '@myelin/core';
import {
  Dropout,
  ELU,
  Flatten,
  Identity,
  LeakyReLU,
  Linear,
  LogSoftmax,
  Module,
  type ModuleConfig,
  ReLU,
  Residual,
  Sequential,
  Sigmoid,
  Softmax,
  Tanh,
  moduleFromConfig,
  registerModuleType,
  registeredModuleTypes,
} from './index.js';

const everyLayer = () =>
  new Sequential(
    new Flatten(1, -1),
    new Linear(6, 4, { generator: new Generator(1) }),
    new ReLU(),
    new Dropout(0.25),
    new Residual(new Sequential(new Linear(4, 4, { bias: false, generator: new Generator(2) }), new Tanh())),
    new LeakyReLU(0.2),
    new ELU(0.5),
    new Sigmoid(),
    new Identity(),
    new Linear(4, 3, { dtype: 'float64', generator: new Generator(3) }),
    new Softmax(1),
    new LogSoftmax(-1),
  );

describe('config round trip', () => {
  it('rebuilds every layer from JSON, nested configs included', async () => {
    const model = everyLayer();
    const config = model.config();
    expect(config.modules).toHaveLength(12);
    expect((config.modules as ModuleConfig[])[1]).toEqual({
      type: 'Linear',
      inFeatures: 6,
      outFeatures: 4,
      bias: true,
    });
    expect((config.modules as ModuleConfig[])[4]).toEqual({
      type: 'Residual',
      module: {
        type: 'Sequential',
        modules: [{ type: 'Linear', inFeatures: 4, outFeatures: 4, bias: false }, { type: 'Tanh' }],
      },
    });
    const json = JSON.parse(JSON.stringify(config)) as ModuleConfig;
    const rebuilt = moduleFromConfig(json, { generator: new Generator(7) });
    expect(rebuilt).toBeInstanceOf(Sequential);
    expect(rebuilt.config()).toEqual(config);
    expect(rebuilt.toString()).toBe(model.toString());
    expect(rebuilt.namedParameters().map(([n, p]) => [n, p.shape, p.dtype])).toEqual(
      model.namedParameters().map(([n, p]) => [n, p.shape, p.dtype]),
    );
    // The generator fixes the rebuilt weights.
    const again = moduleFromConfig(json, { generator: new Generator(7) });
    const first = rebuilt.parameters()[0]!;
    expect(Array.from(await again.parameters()[0]!.data())).toEqual(Array.from(await first.data()));
    for (const m of [model, rebuilt, again]) m.dispose();
  });

  it('fills in defaults for options left out', () => {
    const model = moduleFromConfig({
      type: 'Sequential',
      modules: [{ type: 'Linear', inFeatures: 2, outFeatures: 1 }, { type: 'Dropout' }, { type: 'Flatten' }],
    });
    expect(model.config()).toEqual({
      type: 'Sequential',
      modules: [
        { type: 'Linear', inFeatures: 2, outFeatures: 1, bias: true },
        { type: 'Dropout', p: 0.5 },
        { type: 'Flatten', startAxis: 1, endAxis: -1 },
      ],
    });
    expect(moduleFromConfig({ type: 'Sequential' }).config()).toEqual({ type: 'Sequential', modules: [] });
    model.dispose();
  });
});

describe('config validation', () => {
  const fails = (config: unknown) => () => moduleFromConfig(config as ModuleConfig);

  it('lists the known types for an unknown one', () => {
    const known =
      'AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d, AlphaDropout, AvgPool1d, AvgPool2d, AvgPool3d, BatchNorm1d, BatchNorm2d, BatchNorm3d, Bilinear, CELU, ChannelShuffle, ConstantPad1d, ConstantPad2d, ConstantPad3d, Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, CosineSimilarity, Dropout, Dropout1d, Dropout2d, Dropout3d, ELU, Embedding, EmbeddingBag, FeatureAlphaDropout, Flatten, Fold, FractionalMaxPool2d, GELU, GLU, GRU, GRUCell, GroupNorm, Hardshrink, Hardsigmoid, Hardswish, Hardtanh, Identity, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, LPPool1d, LPPool2d, LSTM, LSTMCell, LayerNorm, LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyConv1d, LazyConv2d, LazyConv3d, LazyConvTranspose1d, LazyConvTranspose2d, LazyConvTranspose3d, LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d, LazyLinear, LeakyReLU, Linear, LocalResponseNorm, LogSigmoid, LogSoftmax, MaxPool1d, MaxPool2d, MaxPool3d, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d, Mish, ModuleDict, ModuleList, MultiheadAttention, PReLU, PairwiseDistance, ParameterDict, ParameterList, PixelShuffle, PixelUnshuffle, RMSNorm, RNN, RNNCell, RReLU, ReLU, ReLU6, ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d, ReplicationPad3d, Residual, SELU, SelectTimeStep, Sequential, SiLU, Sigmoid, Softmax, Softmax2d, Softmin, Softplus, Softshrink, Softsign, Tanh, Tanhshrink, Threshold, Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer, Unflatten, Unfold, Upsample, UpsamplingBilinear2d, UpsamplingNearest2d, ZeroPad1d, ZeroPad2d, ZeroPad3d';
    expect(fails({ type: 'Conv9d' })).toThrow(
      `moduleFromConfig: unknown module type "Conv9d"; known types are ${known}`,
    );
    expect(fails({ type: 'linear' })).toThrow(/unknown module type "linear" \(did you mean 'Linear'\?\)/);
    expect(fails({ inFeatures: 2 })).toThrow(
      `moduleFromConfig: the config needs a "type" string, got undefined; known types are ${known}`,
    );
    expect(fails(42)).toThrow('moduleFromConfig: expected a module config object like {"type": "Linear", ...}, got 42');
  });

  it('names the option, the value and what is allowed', () => {
    expect(fails({ type: 'Linear', inFeatures: -3, outFeatures: 2 })).toThrow(ArgumentError);
    expect(fails({ type: 'Linear', inFeatures: -3, outFeatures: 2 })).toThrow(
      "moduleFromConfig: Linear option 'inFeatures' must be a positive integer, got -3",
    );
    expect(fails({ type: 'Linear', inFeatures: '2', outFeatures: 2 })).toThrow(
      'Linear option \'inFeatures\' must be a positive integer, got "2"',
    );
    expect(fails({ type: 'Linear', inFeatures: 2 })).toThrow(
      "moduleFromConfig: Linear option 'outFeatures' is required (a positive integer)",
    );
    expect(fails({ type: 'Linear', inFeatures: 2, outFeatures: 2, bias: 'no' })).toThrow(
      'Linear option \'bias\' must be true or false, got "no"',
    );
    expect(fails({ type: 'Dropout', p: 1.5 })).toThrow(
      "moduleFromConfig: Dropout option 'p' must be a number in [0, 1], got 1.5",
    );
    expect(fails({ type: 'Softmax', axis: 0.5 })).toThrow("Softmax option 'axis' must be an integer, got 0.5");
    expect(fails({ type: 'Linear', inFeatures: 2, outFeature: 3 })).toThrow(
      "moduleFromConfig: Linear has no option 'outFeature'; its options are inFeatures, outFeatures, bias, dtype",
    );
    expect(fails({ type: 'ReLU', inplace: true })).toThrow(
      "moduleFromConfig: ReLU has no option 'inplace'; it takes no options",
    );
    expect(fails({ type: 'Sequential', modules: { type: 'ReLU' } })).toThrow(
      'Sequential option \'modules\' must be an array, got {"type":"ReLU"}',
    );
    expect(fails({ type: 'Residual' })).toThrow(
      "moduleFromConfig: Residual option 'module' is required (a module config)",
    );
  });

  it('says where a nested config is wrong, and frees what it built before', () => {
    const backend = getBackend();
    const before = backend.liveHandles();
    const config = {
      type: 'Sequential',
      modules: [
        { type: 'Linear', inFeatures: 2, outFeatures: 2 },
        { type: 'Residual', module: { type: 'Sequential', modules: [{ type: 'ELU', alpha: 'big' }] } },
      ],
    };
    expect(fails(config)).toThrow(
      'moduleFromConfig: at modules[1].module.modules[0]: ELU option \'alpha\' must be a finite number, got "big"',
    );
    expect(backend.liveHandles()).toBe(before);
  });
});

describe('custom module types', () => {
  class Scale extends Module {
    readonly factor: number;
    constructor(factor: number) {
      super();
      this.factor = factor;
    }
    forward(x: Tensor): Tensor {
      return x.mul(this.factor);
    }
    override config(): ModuleConfig {
      return { type: 'Scale', factor: this.factor };
    }
    protected override extraRepr(): string {
      return `factor=${this.factor}`;
    }
  }

  it('round-trips through registerModuleType, also nested in built-ins', () => {
    registerModuleType('Scale', (config) => new Scale(config.factor as number));
    expect(registeredModuleTypes()).toContain('Scale');
    const model = new Sequential(new Scale(2), new ReLU());
    const rebuilt = moduleFromConfig(JSON.parse(JSON.stringify(model.config())) as ModuleConfig);
    expect(rebuilt.toString()).toBe(
      'Sequential(\n  (0): Scale(factor=2)\n  (1): ReLU()\n)\nParameters: 0 (trainable 0)',
    );
    expect(() => registerModuleType('', () => new ReLU())).toThrow(/type must be a non-empty string/);
    registerModuleType('Broken', () => 3 as never);
    expect(() => moduleFromConfig({ type: 'Broken' })).toThrow(
      "moduleFromConfig: the factory registered for 'Broken' returned 3, not a Module",
    );
  });
});
