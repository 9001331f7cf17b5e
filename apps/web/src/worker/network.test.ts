import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { ones } from '@myelin/core';
import { OPTIMIZER_OPTIONS } from '../ui/controls.js';
import { pickTraining } from '../pages/playground-lessons.js';
import { linearEnds } from './demo-task.js';
import { buildMlp, buildOptimizer, describeModel } from './network.js';

describe('the digits models', () => {
  it('builds the MLP by default and a small CNN over the 8x8 image when asked', () => {
    const network = { hidden: [16], activation: 'relu' as const, dropout: 0 };
    const mlp = buildMlp(64, 10, network, { seed: 0 });
    expect(describeModel(mlp).layers).toBe('Linear(64->16) ReLU Linear(16->10)');
    const cnn = buildMlp(64, 10, { ...network, architecture: 'cnn' }, { seed: 0 });
    expect(describeModel(cnn).layers).toBe(
      'Unflatten Conv2d(1->8, 3) BatchNorm2d ReLU MaxPool2d Conv2d(8->16, 3) BatchNorm2d ReLU MaxPool2d Flatten Linear(64->16) ReLU Linear(16->10)',
    );
    expect(cnn.forward(ones([5, 64])).shape).toEqual([5, 10]);
    // An exported CNN is recognised as a 64-input, 10-output digits model when imported.
    expect(linearEnds(cnn.config())).toEqual({ inputs: 64, outputs: 10 });
  });

  it('builds a Transformer encoder over the 8 rows of the image when asked', () => {
    const network = { hidden: [16], activation: 'gelu' as const, dropout: 0.1, architecture: 'transformer' as const };
    const model = buildMlp(64, 10, network, { seed: 0 });
    expect(describeModel(model).layers).toBe(
      'Unflatten Linear(8->32) TransformerEncoderLayer(32, 4 heads) SelectTimeStep Linear(32->16) GELU Dropout(0.1) Linear(16->10)',
    );
    expect((model.config()['modules'] as { activation?: string }[])[2]!.activation).toBe('gelu');
    expect(model.forward(ones([5, 64])).shape).toEqual([5, 10]);
    expect(linearEnds(model.config())).toEqual({ inputs: 64, outputs: 10 });
  });
});

describe('the optimizers the demos offer', () => {
  it('each option of the Optimizer select builds, steps, and comes back from a saved form', () => {
    expect(OPTIMIZER_OPTIONS.map((o) => o.label)).toEqual(['Adam', 'SGD', 'RMSprop', 'Adagrad']);
    for (const { value, label } of OPTIMIZER_OPTIONS) {
      const model = buildMlp(2, 1, { hidden: [4], activation: 'tanh', dropout: 0 }, { seed: 0 });
      const optimizer = buildOptimizer(model, { optimizer: value, lr: 0.01 });
      expect(optimizer.constructor.name, value).toBe(label);
      const before = model.parameters().map((p) => Array.from(p.dataSync()));
      model
        .forward(ones([3, 2]))
        .square()
        .mean()
        .backward();
      optimizer.step();
      expect(
        model.parameters().map((p) => Array.from(p.dataSync())),
        `${value} moved the weights`,
      ).not.toEqual(before);
      expect(pickTraining({ optimizer: value }).optimizer).toBe(value);
      optimizer.dispose();
      model.dispose();
    }
    expect(pickTraining({ optimizer: 'lbfgs' }).optimizer).toBeUndefined();
  });
});
