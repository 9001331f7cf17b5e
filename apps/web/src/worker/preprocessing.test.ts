import { describe, expect, it } from 'vitest';
import { ImportError } from './demo-task.js';
import { describeLayers, networkOfConfig } from './network.js';
import {
  DEFAULT_DIGITS_PREPROCESSING,
  applyPreprocessing,
  describePreprocessing,
  preprocessingOfTransforms,
} from './preprocessing.js';

describe('digits preprocessing from a run config', () => {
  it('reads myelin train transforms: toFloat scale, normalize, flatten', () => {
    expect(preprocessingOfTransforms([{ type: 'toFloat', scale: 0.0625 }, { type: 'flatten' }], 'x')).toEqual({
      scale: 0.0625,
    });
    expect(preprocessingOfTransforms([{ type: 'toFloat', scale: 1 }], 'x')).toEqual({ scale: 1 });
    expect(preprocessingOfTransforms(null, 'x')).toEqual(DEFAULT_DIGITS_PREPROCESSING);
    const p = preprocessingOfTransforms([{ type: 'toFloat' }, { type: 'normalize', mean: 8, std: 4 }], 'x');
    expect(Array.from(applyPreprocessing(p, [0, 8, 16]))).toEqual([-2, 0, 2]);
    expect(describePreprocessing(p)).toBe('raw pixel values 0-16, then (x - 8) / 4');
  });

  it('refuses what it cannot apply to 8x8 digits', () => {
    expect(() => preprocessingOfTransforms([{ type: 'resize', size: 28 }], 'x')).toThrow(ImportError);
    expect(() => preprocessingOfTransforms([{ type: 'normalize', mean: [1, 2], std: [1, 1] }], 'x')).toThrow(
      /64 of each/,
    );
    expect(() => preprocessingOfTransforms([{ type: 'sharpen' }], 'x')).toThrow(/unknown transform/);
  });
});

describe('network configs', () => {
  const mlp = {
    type: 'Sequential',
    modules: [
      { type: 'Linear', inFeatures: 64, outFeatures: 32 },
      { type: 'ReLU' },
      { type: 'Dropout', p: 0.2 },
      { type: 'Linear', inFeatures: 32, outFeatures: 10 },
    ],
  };

  it('describes the layers and recovers the form settings', () => {
    expect(describeLayers(mlp)).toBe('Linear(64->32) ReLU Dropout(0.2) Linear(32->10)');
    expect(networkOfConfig(mlp)).toEqual({ hidden: [32], activation: 'relu', dropout: 0.2 });
    expect(
      networkOfConfig({
        type: 'Sequential',
        modules: [{ type: 'Linear', inFeatures: 2, outFeatures: 1 }, { type: 'Sigmoid' }],
      }),
    ).toEqual({ hidden: [], activation: 'relu', dropout: 0 });
  });

  it('gives null for a model the form cannot show', () => {
    expect(networkOfConfig({ type: 'Linear', inFeatures: 2, outFeatures: 1 })).toBeNull();
    expect(
      networkOfConfig({
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
  });
});
