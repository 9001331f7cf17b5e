import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { ArgumentError, Generator, Linear, ReLU, Sequential, Sigmoid, moduleFromConfig, tensor } from '@myelin/core';
import { MLP_ACTIVATIONS, mlpConfig, mlpLayersOfConfig } from './mlp.js';

describe('mlpConfig', () => {
  it('lays out Flatten, Linear, activation, Dropout and a head as a Sequential config', () => {
    expect(
      mlpConfig({
        inputShape: [1, 2, 2],
        outFeatures: 1,
        hidden: [8],
        activation: 'tanh',
        dropout: 0.1,
        head: 'sigmoid',
      }),
    ).toEqual({
      type: 'Sequential',
      modules: [
        { type: 'Flatten' },
        { type: 'Linear', inFeatures: 4, outFeatures: 8 },
        { type: 'Tanh' },
        { type: 'Dropout', p: 0.1 },
        { type: 'Linear', inFeatures: 8, outFeatures: 1 },
        { type: 'Sigmoid' },
      ],
    });
    expect(mlpConfig({ inputShape: [3], outFeatures: 2, hidden: [4, 4], activation: 'linear' })).toEqual({
      type: 'Sequential',
      modules: [
        { type: 'Linear', inFeatures: 3, outFeatures: 4 },
        { type: 'Linear', inFeatures: 4, outFeatures: 4 },
        { type: 'Linear', inFeatures: 4, outFeatures: 2 },
      ],
    });
  });

  it('builds every activation, with the same weights as the layers made by hand', async () => {
    for (const activation of MLP_ACTIVATIONS) {
      const model = moduleFromConfig(mlpConfig({ inputShape: [2], outFeatures: 1, hidden: [3], activation }));
      // PReLU's slope is a parameter too.
      expect(model.parameters()).toHaveLength(activation === 'prelu' ? 5 : 4);
      model.dispose();
    }
    const built = moduleFromConfig(mlpConfig({ inputShape: [2], outFeatures: 1, hidden: [3], head: 'sigmoid' }), {
      generator: new Generator(5),
    });
    const generator = new Generator(5);
    const byHand = new Sequential(
      new Linear(2, 3, { generator }),
      new ReLU(),
      new Linear(3, 1, { generator }),
      new Sigmoid(),
    );
    const x = tensor([[0.5, -1]]);
    expect(await built.forward(x).array()).toEqual(await byHand.forward(x).array());
  });

  it('rejects bad options by name', () => {
    const base = { inputShape: [2], outFeatures: 1, hidden: [3] };
    expect(() => mlpConfig({ ...base, hidden: [0] })).toThrow(ArgumentError);
    expect(() => mlpConfig({ ...base, outFeatures: 1.5 })).toThrow(/outFeatures must be a positive integer, got 1.5/);
    expect(() => mlpConfig({ ...base, inputShape: [2, -1] })).toThrow(/inputShape/);
    expect(() => mlpConfig({ ...base, activation: 'swish' as never })).toThrow(
      "mlpConfig: activation must be one of relu, tanh, sigmoid, leaky-relu, elu, gelu, silu, mish, softplus, selu, relu6, hardswish, prelu, celu, rrelu, log-sigmoid, tanhshrink, softshrink, hardshrink, linear, got 'swish'",
    );
    expect(() => mlpConfig({ ...base, dropout: 1 })).toThrow(/dropout must be a number in \[0, 1\)/);
  });
});

describe('mlpLayersOfConfig', () => {
  it('recovers the layers of an MLP config, also as module.config() gives it', () => {
    const options = { hidden: [32, 16], activation: 'elu', dropout: 0.2 } as const;
    const config = mlpConfig({ inputShape: [8, 8], outFeatures: 10, ...options });
    expect(mlpLayersOfConfig(config)).toEqual(options);
    const model = moduleFromConfig(config);
    expect(mlpLayersOfConfig(model.config())).toEqual(options);
    model.dispose();
    expect(mlpLayersOfConfig(mlpConfig({ inputShape: [2], outFeatures: 1, hidden: [], head: 'sigmoid' }))).toEqual({
      hidden: [],
      activation: 'relu',
      dropout: 0,
    });
    expect(
      mlpLayersOfConfig(mlpConfig({ inputShape: [2], outFeatures: 1, hidden: [4], activation: 'linear' })),
    ).toEqual({ hidden: [4], activation: 'linear', dropout: 0 });
  });

  it('gives null for what is not such an MLP', () => {
    expect(mlpLayersOfConfig({ type: 'Linear', inFeatures: 2, outFeatures: 1 })).toBeNull();
    expect(
      mlpLayersOfConfig({
        type: 'Sequential',
        modules: [
          { type: 'Linear', inFeatures: 2, outFeatures: 4 },
          { type: 'ReLU' },
          { type: 'Linear', inFeatures: 4, outFeatures: 4 },
          { type: 'Tanh' },
          { type: 'Linear', inFeatures: 4, outFeatures: 1 },
        ],
      }),
    ).toBeNull();
    expect(
      mlpLayersOfConfig({ type: 'Sequential', modules: [{ type: 'Residual', module: { type: 'Identity' } }] }),
    ).toBeNull();
  });
});
