import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  AvgPool1d,
  AvgPool2d,
  AvgPool3d,
  MaxPool1d,
  MaxPool2d,
  MaxPool3d,
  MaxUnpool1d,
  MaxUnpool2d,
  MaxUnpool3d,
  Sequential,
  avgPool1d,
  avgPool2d,
  avgPool3d,
  maxPool1dWithIndices,
  maxPool2dWithIndices,
  maxPool3dWithIndices,
  maxUnpool1d,
  maxUnpool2d,
  maxUnpool3d,
  moduleFromConfig,
  ones,
  randn,
  tensor,
  type AvgPool2dArgs,
  type Size2d,
  type Tensor,
} from '@myelin/core';
import { PYTORCH_POOL_OPTIONS } from './pool-options-fixture.js';
import { flat, itMatchesPyTorch, type Nested } from './test-helpers.js';

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

/** The max pool with indices, or the max unpool, of the case's rank. */
const withIndices = { '1d': maxPool1dWithIndices, '2d': maxPool2dWithIndices, '3d': maxPool3dWithIndices } as const;
const unpools = { '1d': maxUnpool1d, '2d': maxUnpool2d, '3d': maxUnpool3d } as const;
const rankOf = (name: string) => name.slice(0, 2) as '1d' | '2d' | '3d';

describe('max pooling indices and max unpooling match PyTorch', () => {
  for (const [name, fixture] of Object.entries(PYTORCH_POOL_OPTIONS.maxPoolIndices)) {
    it(`maxPool${rankOf(name)}WithIndices ${name}: the values and the flat index of each maximum`, async () => {
      const { kernelSize, ...options } = fixture.args as Record<string, unknown>;
      const pool = withIndices[rankOf(name)] as (x: Tensor, k: unknown, o: unknown) => [Tensor, Tensor];
      const [values, indices] = pool(tensor(fixture.input as Nested, { dtype: 'float64' }), kernelSize, options);
      expect(indices.dtype).toBe('int32');
      expect(flat(await indices.array())).toEqual(flat(fixture.indices));
      const want = flat(fixture.values);
      flat(await values.array()).forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(1e-12));
    });
  }
  for (const [name, fixture] of Object.entries(PYTORCH_POOL_OPTIONS.maxUnpool)) {
    const { kernelSize, indices, ...options } = fixture.args as Record<string, unknown>;
    const unpool = unpools[rankOf(name)] as (x: Tensor, i: Tensor, k: unknown, o: unknown) => Tensor;
    itMatchesPyTorch(`maxUnpool${rankOf(name)}`, { [name]: fixture }, ([x]) =>
      unpool(x!, tensor(indices as Nested, { dtype: 'int32' }), kernelSize, options),
    );
  }

  it('refuse indices of another shape or dtype, and output sizes PyTorch refuses', () => {
    const x = ones([1, 2, 3, 3]);
    const [values, indices] = maxPool2dWithIndices(ones([1, 2, 6, 6]), 2);
    expect(maxUnpool2d(values, indices, 2).shape).toEqual([1, 2, 6, 6]);
    expect(() => maxUnpool2d(x, ones([1, 2, 3, 3]), 2)).toThrow(
      /maxUnpool2d: indices must be int32 of the input's shape \[1, ?2, ?3, ?3\], got float32 \[1, ?2, ?3, ?3\]/,
    );
    expect(() => maxUnpool2d(x, indices, 2, { outputSize: [8, 6] })).toThrow(
      /maxUnpool2d: outputSize \[8,6\] must be between 5x5 and 7x7 for input \[1, ?2, ?3, ?3\]/,
    );
    expect(() => maxUnpool2d(x, indices, 2, { outputSize: [6] })).toThrow(/outputSize must have 2 entries/);
    expect(() => maxUnpool3d(ones([2, 3, 3]), indices, 2)).toThrow(/maxUnpool3d: expected an input of rank 5/);
  });
});

describe('MaxPool forwardWithIndices and the MaxUnpool layers', () => {
  it('undo each other, match the functions, and round-trip through configs', async () => {
    const x = randn([2, 3, 4, 6]).abs().add(0.1); // positive: each maximum beats the zeros unpooling adds
    const [values, indices] = new MaxPool2d(2).forwardWithIndices(x);
    const unpool = new MaxUnpool2d(2);
    const back = unpool.forward(values, indices);
    expect(back.shape).toEqual([2, 3, 4, 6]);
    expect(await back.array()).toEqual(await maxUnpool2d(values, indices, 2).array());
    // Each window's maximum back in place, zeros elsewhere: pooling it again gives the same maxima.
    expect(await new MaxPool2d(2).forward(back).array()).toEqual(await values.array());
    const [v1, i1] = new MaxPool1d(2).forwardWithIndices(randn([2, 7]));
    expect(new MaxUnpool1d(2).unpool(v1, i1, [7]).shape).toEqual([2, 7]);
    const [v3, i3] = new MaxPool3d([1, 2, 2], { stride: [1, 2, 2] }).forwardWithIndices(randn([1, 2, 3, 4, 4]));
    expect(new MaxUnpool3d([1, 2, 2]).forward(v3, i3).shape).toEqual([1, 2, 3, 4, 4]);
    for (const layer of [
      new MaxUnpool1d(3, { stride: 2, padding: 1 }),
      new MaxUnpool3d([1, 2, 2], { stride: [1, 2, 2] }),
    ]) {
      const config = layer.config();
      expect(moduleFromConfig(config).config()).toEqual(config);
    }
    expect(new MaxUnpool3d([1, 2, 2], { stride: [1, 2, 2] }).config()).toEqual({
      type: 'MaxUnpool3d',
      kernelSize: [1, 2, 2],
      stride: [1, 2, 2],
      padding: 0,
    });
    expect(new Sequential(new MaxUnpool2d(2, { padding: 1 })).toString()).toContain(
      'MaxUnpool2d(kernelSize=2x2, stride=2x2, padding=1x1)',
    );
  });

  it('name what is wrong', () => {
    expect(() => new MaxUnpool2d(2).forward(ones([1, 1, 2, 2]))).toThrow(
      /MaxUnpool2d takes two inputs, forward\(input, indices\); got only the input/,
    );
    expect(() => new MaxUnpool2d(2, { ceilMode: true } as never)).toThrow(/MaxUnpool2d/);
    expect(() => new MaxUnpool3d([2, 2] as never)).toThrow(
      /MaxUnpool3d: kernelSize must be an integer >= 1 or \[depth, height, width\]/,
    );
  });
});
