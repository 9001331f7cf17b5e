import { describe, expect, it } from 'vitest';
import { DataError } from '../errors.js';
import type { Sample } from '../host-array.js';
import {
  defaultTransformConfigs,
  parseTransformConfigs,
  resizeOfConfig,
  transformFromConfig,
  type TransformConfig,
} from './config.js';

const at = { index: 0, epoch: 0 };
const image = (): Sample => ({ x: { data: Uint8Array.from([0, 51, 102, 255]), shape: [1, 2, 2] }, y: 3 });

describe('transforms from config', () => {
  it('builds toFloat, normalize, resize and flatten in order', () => {
    const configs: TransformConfig[] = [
      { type: 'toFloat' },
      { type: 'normalize', mean: 0.5, std: 0.5 },
      { type: 'resize', size: [4, 4] },
      { type: 'flatten' },
    ];
    const out = transformFromConfig(configs)(image(), at);
    expect(out.x.shape).toEqual([16]);
    expect(out.y).toBe(3);
    expect(out.x.data[0]).toBeCloseTo(-1);
    const skipped = transformFromConfig(configs, { skipResize: true })(image(), at);
    expect(skipped.x.shape).toEqual([4]);
    expect(Array.from(skipped.x.data)).toEqual([-1, -0.6000000238418579, -0.19999998807907104, 1]);
    expect(resizeOfConfig(configs)).toEqual([4, 4]);
    expect(resizeOfConfig([{ type: 'resize', size: 8 }])).toEqual([8, 8]);
    expect(resizeOfConfig([])).toBeUndefined();
  });

  it('gives each source its default preprocessing', () => {
    expect(defaultTransformConfigs('digits')).toEqual([{ type: 'toFloat', scale: 1 / 16 }]);
    expect(defaultTransformConfigs('csv')).toEqual([]);
    expect(defaultTransformConfigs('mnist')).toEqual([{ type: 'toFloat' }, { type: 'normalize', mean: 0.5, std: 0.5 }]);
    const digits = transformFromConfig(defaultTransformConfigs('digits'));
    expect(Array.from(digits({ x: { data: Float32Array.of(0, 8, 16), shape: [3] }, y: 0 }, at).x.data)).toEqual([
      0, 0.5, 1,
    ]);
  });

  it('augments training data only: evaluation data is not flipped and is cropped at the centre', () => {
    // A 1 x 4 x 4 image of the values 0..15 (row-major).
    const grid = (): Sample => ({
      x: { data: Float32Array.from({ length: 16 }, (_, i) => i), shape: [1, 4, 4] },
      y: 1,
    });
    const configs: TransformConfig[] = [
      { type: 'randomCrop', size: 2, padding: 1, fill: -1 },
      { type: 'randomHorizontalFlip', p: 1 },
    ];
    // Evaluation: the centre 2 x 2 of the 6 x 6 padded image (rows/columns 1-2 of the original), unflipped.
    const evaluation = transformFromConfig(configs);
    expect(Array.from(evaluation(grid(), at).x.data)).toEqual([5, 6, 9, 10]);
    // Training: some crop inside the padded image, always flipped (p = 1), the same for the same
    // (index, epoch) and the same seed, and other windows across samples.
    const training = transformFromConfig(configs, { augment: { seed: 7 } });
    const windows = new Set<string>();
    for (let index = 0; index < 40; index++) {
      const out = training(grid(), { index, epoch: 0 });
      expect(out.x.shape).toEqual([1, 2, 2]);
      const [a, b, c, d] = Array.from(out.x.data);
      // Flipped left-right: each row's right value comes from the column left of its left value's.
      if (a! >= 0 && b! >= 0) expect(a! - b!).toBe(1);
      if (c! >= 0 && d! >= 0) expect(c! - d!).toBe(1);
      windows.add(String([a, b, c, d]));
      expect(Array.from(training(grid(), { index, epoch: 0 }).x.data)).toEqual([a, b, c, d]);
    }
    expect(windows.size).toBeGreaterThan(5);
    const again = transformFromConfig(configs, { augment: { seed: 7 } });
    expect(Array.from(again(grid(), { index: 3, epoch: 2 }).x.data)).toEqual(
      Array.from(training(grid(), { index: 3, epoch: 2 }).x.data),
    );
  });

  it('checks JSON values and names the first bad entry', () => {
    const good = [
      { type: 'toFloat', scale: 0.0625 },
      { type: 'normalize', mean: [1, 2], std: [1, 1] },
      { type: 'flatten' },
    ];
    expect(parseTransformConfigs(good)).toEqual(good);
    expect(() => parseTransformConfigs({ type: 'flatten' })).toThrow(DataError);
    expect(() => parseTransformConfigs([{ type: 'flatten' }, { type: 'sharpen' }], 'the checkpoint')).toThrow(
      'the checkpoint[1]: expected a type among toFloat, normalize, resize, flatten, randomHorizontalFlip, randomCrop, randomVerticalFlip, randomRotation, randomResizedCrop, colorJitter, randomErasing, pad, grayscale, randomGrayscale, gaussianBlur, randomApply, randomChoice, found {"type":"sharpen"}',
    );
    const augmentations = [
      { type: 'randomCrop', size: [28, 30], padding: 2, fill: -1 },
      { type: 'randomHorizontalFlip', p: 0.25 },
    ];
    expect(parseTransformConfigs(augmentations)).toEqual(augmentations);
    expect(() => parseTransformConfigs([{ type: 'randomHorizontalFlip', p: 2 }])).toThrow(/probability p in \[0, 1\]/);
    expect(() => parseTransformConfigs([{ type: 'randomCrop', size: 28, padding: -1 }])).toThrow(
      /integer padding >= 0/,
    );
    expect(() => parseTransformConfigs([{ type: 'randomCrop' }])).toThrow(/randomCrop with a size/);
    expect(() => parseTransformConfigs([{ type: 'normalize', mean: 0.5, std: 0 }])).toThrow(/positive std/);
    expect(() => parseTransformConfigs([{ type: 'resize', size: [8] }])).toThrow(/\[height, width\]/);
    expect(() => parseTransformConfigs([{ type: 'toFloat', factor: 2 }])).toThrow(/not 'factor'/);
  });

  it('builds the torchvision augmentations for training data, and the deterministic ones for evaluation too', () => {
    const configs = parseTransformConfigs([
      { type: 'toFloat', scale: 0.25 },
      { type: 'pad', padding: 1, paddingMode: 'reflect' },
      { type: 'randomResizedCrop', size: 4, scale: [0.5, 1] },
      { type: 'randomVerticalFlip', p: 0.5 },
      { type: 'randomRotation', degrees: 15, interpolation: 'bilinear', fill: 0 },
      { type: 'colorJitter', brightness: 0.2, contrast: [0.8, 1.2], saturation: 0.1, hue: 0.05 },
      { type: 'randomGrayscale', p: 0.2 },
      { type: 'gaussianBlur', kernelSize: 3, sigma: [0.1, 1] },
      { type: 'randomApply', transforms: [{ type: 'randomRotation', degrees: [80, 100] }], p: 0.3 },
      {
        type: 'randomChoice',
        transforms: [{ type: 'grayscale', numOutputChannels: 3 }, { type: 'flatten' }],
        p: [1, 0],
      },
      { type: 'randomErasing', p: 0.5, scale: [0.02, 0.2], ratio: [0.5, 2], value: 'random' },
    ]);
    const rgb = (): Sample => ({
      x: { data: Float32Array.from({ length: 3 * 6 * 6 }, (_, i) => i % 4), shape: [3, 6, 6] },
      y: 1,
    });
    const training = transformFromConfig(configs, { augment: { seed: 9 } });
    const out = training(rgb(), { index: 2, epoch: 1 });
    expect(out.x.shape).toEqual([3, 4, 4]);
    // Seeded: the same (seed, sample, epoch) gives the same augmentation.
    const again = transformFromConfig(configs, { augment: { seed: 9 } })(rgb(), { index: 2, epoch: 1 });
    expect(Array.from(again.x.data)).toEqual(Array.from(out.x.data));
    // Evaluation: pad, then the resized crop's plain resize to 4 x 4; the random steps are left out.
    const evaluation = transformFromConfig(configs)(rgb(), at);
    const padded = transformFromConfig([configs[0]!, configs[1]!, { type: 'resize', size: 4 }])(rgb(), at);
    expect(Array.from(evaluation.x.data)).toEqual(Array.from(padded.x.data));
    expect(transformFromConfig([{ type: 'grayscale' }])(rgb(), at).x.shape).toEqual([1, 6, 6]);
  });

  it('checks the options of the new transforms, nested lists included, naming the entry', () => {
    expect(() => parseTransformConfigs([{ type: 'randomRotation' }])).toThrow(
      'data.transforms[0]: expected randomRotation with degrees, found {"type":"randomRotation"}',
    );
    expect(() => parseTransformConfigs([{ type: 'randomRotation', degrees: -3 }])).toThrow(
      'data.transforms[0]: expected degrees a number >= 0 or a [min, max] pair, found -3',
    );
    expect(() => parseTransformConfigs([{ type: 'pad', padding: 2, paddingMode: 'wrap' }])).toThrow(
      'data.transforms[0]: expected paddingMode among constant, edge, reflect, symmetric, found "wrap"',
    );
    expect(() => parseTransformConfigs([{ type: 'colorJitter', hue: 0.9 }])).toThrow(
      'data.transforms[0]: expected hue a number in [0, 0.5]',
    );
    expect(() => parseTransformConfigs([{ type: 'gaussianBlur', kernelSize: 2 }])).toThrow(
      'data.transforms[0]: expected kernelSize a positive odd integer',
    );
    expect(() => parseTransformConfigs([{ type: 'randomErasing', value: 'noise' }])).toThrow(
      'data.transforms[0]: expected value a finite number, a list of them (one per channel) or \'random\', found "noise"',
    );
    expect(() => parseTransformConfigs([{ type: 'randomResizedCrop', size: 8, scale: { min: 0.1 } }])).toThrow(
      'data.transforms[0]: expected scale a [min, max] pair of positive numbers',
    );
    expect(() => parseTransformConfigs([{ type: 'grayscale', numOutputChannels: 2 }])).toThrow(
      'data.transforms[0]: expected numOutputChannels 1 or 3, found 2',
    );
    expect(() =>
      parseTransformConfigs([
        { type: 'randomApply', transforms: [{ type: 'flatten' }, { type: 'randomVerticalFlip', p: 3 }] },
      ]),
    ).toThrow('data.transforms[0].transforms[1]: expected p in [0, 1], found 3');
    expect(() => parseTransformConfigs([{ type: 'randomChoice', transforms: [] }])).toThrow(
      'data.transforms[0]: expected randomChoice with a non-empty list of transforms',
    );
    expect(() =>
      parseTransformConfigs([{ type: 'randomChoice', transforms: [{ type: 'flatten' }], p: [1, 1] }]),
    ).toThrow('data.transforms[0]: expected p: 1 finite non-negative weights, not all zero, found [1,1]');
    expect(() => parseTransformConfigs([{ type: 'randomRotation', degrees: { low: 1 } }])).toThrow(
      'data.transforms[0]: expected randomRotation options of the documented types',
    );
  });
});
