import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  AvgPool1d,
  AvgPool2d,
  AvgPool3d,
  avgPool1d,
  avgPool2d,
  avgPool3d,
  moduleFromConfig,
  ones,
  type AvgPool2dArgs,
  type Size2d,
  type Tensor,
} from '@myelin/core';
import { PYTORCH_POOL_OPTIONS } from './pool-options-fixture.js';
import { flat, itMatchesPyTorch } from './test-helpers.js';

/** The avg pool of the input's rank: 1-D, 2-D (batched or not) or 3-D. */
function avgPool(x: Tensor, args: Record<string, unknown>, name: string): Tensor {
  const { kernelSize, ...options } = args;
  if (name.startsWith('1d')) return avgPool1d(x, kernelSize as number, options);
  if (name.startsWith('3d')) return avgPool3d(x, kernelSize as number, options);
  return avgPool2d(x, kernelSize as Size2d, options as AvgPool2dArgs);
}

describe('avg pooling with divisorOverride matches PyTorch (float64 values and gradients)', () => {
  for (const [name, fixture] of Object.entries(PYTORCH_POOL_OPTIONS.avgPool))
    itMatchesPyTorch('avgPool', { [name]: fixture }, ([x], args) => avgPool(x!, args, name));
});

describe('divisorOverride', () => {
  it('divides every window sum by it, in the layers too, and round-trips through configs', async () => {
    const x = ones([1, 1, 4, 4, 4]);
    expect(flat(await avgPool3d(x, 2, { divisorOverride: 4 }).array())).toEqual(new Array(8).fill(2));
    expect(flat(await new AvgPool2d(2, { divisorOverride: 2 }).forward(ones([1, 4, 4])).array())).toEqual(
      new Array(4).fill(2),
    );
    for (const layer of [
      new AvgPool1d(3, { divisorOverride: 2 }),
      new AvgPool2d(3, { divisorOverride: -1 }),
      new AvgPool3d([1, 2, 2], { divisorOverride: 3, countIncludePad: false }),
    ]) {
      const config = layer.config();
      expect(config['divisorOverride']).toBe(layer.divisorOverride);
      expect(moduleFromConfig(config).config()).toEqual(config);
    }
    expect(new AvgPool2d(2).config()).not.toHaveProperty('divisorOverride');
  });

  it('must be a non-zero integer or null', () => {
    expect(() => avgPool2d(ones([1, 1, 4, 4]), 2, { divisorOverride: 0 })).toThrow(
      /avgPool2d: divisorOverride must be a non-zero integer or null, got 0/,
    );
    expect(() => new AvgPool3d(2, { divisorOverride: 1.5 })).toThrow(
      /AvgPool3d: divisorOverride must be a non-zero integer or null, got 1.5/,
    );
    expect(() => moduleFromConfig({ type: 'AvgPool1d', kernelSize: 2, divisorOverride: 'x' })).toThrow(
      /AvgPool1d option 'divisorOverride'/,
    );
  });
});
