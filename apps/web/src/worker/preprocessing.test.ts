import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '@myelin/core';
import { ImportError } from './demo-task.js';
import { describeLayers } from './network.js';
import {
  DIGITS_TRANSFORMS,
  describeTransforms,
  digitsTransforms,
  pixelTransform,
  transformsOfCheckpoint,
} from './preprocessing.js';

describe('digits preprocessing from a run config', () => {
  it('reads myelin train transforms: toFloat scale, normalize, flatten', () => {
    const scaled = digitsTransforms([{ type: 'toFloat', scale: 0.0625 }, { type: 'flatten' }], 'x');
    expect(Array.from(pixelTransform(scaled)([0, 8, 16]))).toEqual([0, 0.5, 1]);
    expect(describeTransforms(scaled)).toBe('pixels / 16');
    expect(describeTransforms(digitsTransforms([{ type: 'toFloat', scale: 1 }], 'x'))).toBe('raw pixel values 0-16');
    expect(digitsTransforms(null, 'x')).toEqual(DIGITS_TRANSFORMS);
    const p = digitsTransforms([{ type: 'toFloat' }, { type: 'normalize', mean: 8, std: 4 }], 'x');
    expect(Array.from(pixelTransform(p)(Array.from({ length: 64 }, (_, i) => [0, 8, 16][i % 3]!)).slice(0, 3))).toEqual(
      [-2, 0, 2],
    );
    expect(describeTransforms(p)).toBe('raw pixel values 0-16, then (x - 8) / 4');
  });

  it('refuses what it cannot apply to 8x8 digits', () => {
    expect(() => digitsTransforms([{ type: 'resize', size: 28 }], 'x')).toThrow(ImportError);
    expect(digitsTransforms([{ type: 'resize', size: [8, 8] }], 'x')).toEqual([{ type: 'resize', size: [8, 8] }]);
    expect(() => digitsTransforms([{ type: 'normalize', mean: [1, 2], std: [1, 1] }], 'x')).toThrow(/64 of each/);
    expect(() => digitsTransforms([{ type: 'sharpen' }], 'x')).toThrow(ImportError);
  });

  it("reads a checkpoint's transforms, the older pages' { scale, mean, std } and myelin train's config", () => {
    const withExtra = (extra: Record<string, unknown>) => ({ extra }) as unknown as Checkpoint;
    const transforms = [{ type: 'toFloat', scale: 0.5 }];
    expect(transformsOfCheckpoint(withExtra({ web: { transforms } }))).toEqual(transforms);
    expect(transformsOfCheckpoint(withExtra({ web: { preprocessing: { scale: 1 / 16 } } }))).toEqual(DIGITS_TRANSFORMS);
    expect(transformsOfCheckpoint(withExtra({ web: { preprocessing: { scale: 1, mean: [8], std: [4] } } }))).toEqual([
      { type: 'toFloat', scale: 1 },
      { type: 'normalize', mean: [8], std: [4] },
    ]);
    expect(
      transformsOfCheckpoint(withExtra({ myelin: { config: { data: { source: 'digits', transforms } } } })),
    ).toEqual(transforms);
    expect(() => transformsOfCheckpoint(withExtra({ myelin: { config: { data: { source: 'mnist' } } } }))).toThrow(
      /not on the 8x8 digits/,
    );
    expect(transformsOfCheckpoint(withExtra({}))).toEqual(DIGITS_TRANSFORMS);
  });
});

describe('network configs', () => {
  it('describes the layers', () => {
    const mlp = {
      type: 'Sequential',
      modules: [
        { type: 'Linear', inFeatures: 64, outFeatures: 32 },
        { type: 'ReLU' },
        { type: 'Dropout', p: 0.2 },
        { type: 'Linear', inFeatures: 32, outFeatures: 10 },
      ],
    };
    expect(describeLayers(mlp)).toBe('Linear(64->32) ReLU Dropout(0.2) Linear(32->10)');
  });
});
