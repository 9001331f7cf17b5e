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

  it('checks JSON values and names the first bad entry', () => {
    const good = [
      { type: 'toFloat', scale: 0.0625 },
      { type: 'normalize', mean: [1, 2], std: [1, 1] },
      { type: 'flatten' },
    ];
    expect(parseTransformConfigs(good)).toEqual(good);
    expect(() => parseTransformConfigs({ type: 'flatten' })).toThrow(DataError);
    expect(() => parseTransformConfigs([{ type: 'flatten' }, { type: 'sharpen' }], 'the checkpoint')).toThrow(
      'the checkpoint[1]: expected a type among toFloat, normalize, resize, flatten, found {"type":"sharpen"}',
    );
    expect(() => parseTransformConfigs([{ type: 'normalize', mean: 0.5, std: 0 }])).toThrow(/positive std/);
    expect(() => parseTransformConfigs([{ type: 'resize', size: [8] }])).toThrow(/\[height, width\]/);
    expect(() => parseTransformConfigs([{ type: 'toFloat', factor: 2 }])).toThrow(/not 'factor'/);
  });
});
