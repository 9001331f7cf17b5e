import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { ones } from '@myelin/core';
import { linearEnds } from './demo-task.js';
import { buildMlp, describeModel } from './network.js';

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
});
