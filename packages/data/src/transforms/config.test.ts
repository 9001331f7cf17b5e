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
      'the checkpoint[1]: expected a type among toFloat, normalize, resize, flatten, randomHorizontalFlip, randomCrop, found {"type":"sharpen"}',
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
});
