import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  DTypeError,
  ShapeError,
  affineGrid,
  gridSample,
  ones,
  tensor,
  zeros,
  type GridSampleOptions,
  type Tensor,
} from '@myelin/core';
import { PYTORCH_NN_EXTRAS } from './nn-extras-fixture.js';
import { flat, type FixtureCase, type Nested } from './test-helpers.js';

// grid_sample and affine_grid against PyTorch's float64 values and gradients
// (scripts/make-nn-extras-fixture.py); a gradient torch gives as zeros (the grid of 'nearest')
// must be null or zeros here.

async function worst(fixture: FixtureCase, run: (inputs: Tensor[]) => Tensor): Promise<number> {
  const inputs = fixture.inputs.map((v) => tensor(v as Nested, { dtype: 'float64', requiresGrad: true }));
  const out = run(inputs);
  expect(out.shape).toEqual(tensor(fixture.values, { dtype: 'float64' }).shape);
  out
    .mul(tensor(fixture.outputWeights, { dtype: 'float64' }))
    .sum()
    .backward();
  let error = 0;
  const compare = (got: number[], want: number[]) => {
    expect(got.length).toBe(want.length);
    got.forEach((v, i) => (error = Math.max(error, Math.abs(v - want[i]!))));
  };
  compare(flat(await out.array()), flat(fixture.values));
  for (const [i, input] of inputs.entries()) {
    const want = flat(fixture.gradients[i]);
    compare(input.grad === null ? want.map(() => 0) : flat(await input.grad.array()), want);
  }
  return error;
}

describe('gridSample and affineGrid match PyTorch', () => {
  for (const [name, fixture] of Object.entries(PYTORCH_NN_EXTRAS.gridSample)) {
    it(`gridSample ${name}`, async () => {
      const options = fixture.args as GridSampleOptions;
      expect(await worst(fixture as unknown as FixtureCase, ([x, g]) => gridSample(x!, g!, options))).toBeLessThan(
        1e-12,
      );
    });
  }
  for (const [name, fixture] of Object.entries(PYTORCH_NN_EXTRAS.affineGrid)) {
    it(`affineGrid ${name}`, async () => {
      const { size, alignCorners } = fixture.args as { size: number[]; alignCorners: boolean };
      expect(
        await worst(fixture as unknown as FixtureCase, ([t]) => affineGrid(t!, size, { alignCorners })),
      ).toBeLessThan(1e-12);
    });
  }

  it('an identity affineGrid samples the input back (the spatial transformer round trip)', async () => {
    const x = tensor([
      [
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
      ],
    ]);
    const theta = tensor([
      [
        [1, 0, 0],
        [0, 1, 0],
      ],
    ]);
    for (const alignCorners of [false, true]) {
      const grid = affineGrid(theta, [1, 1, 2, 3], { alignCorners });
      expect(flat(await gridSample(x, grid, { alignCorners }).array())).toEqual(flat(await x.array()));
    }
  });

  it('reject bad arguments naming the value and what is allowed', () => {
    const x = zeros([1, 1, 2, 2]);
    const g = zeros([1, 2, 2, 2]);
    expect(() => gridSample(x, g, { mode: 'linear' as never })).toThrow(
      new ArgumentError(`gridSample: mode must be 'bilinear', 'nearest', 'bicubic', got "linear"`),
    );
    expect(() => gridSample(x, g, { paddingMode: 'reflect' as never })).toThrow(
      /paddingMode must be 'zeros', 'border', 'reflection'/,
    );
    expect(() => gridSample(x, g, { align: true } as never)).toThrow(/align/);
    expect(() => gridSample(zeros([1, 2, 2]), g)).toThrow(ShapeError);
    expect(() => gridSample(x, zeros([1, 2, 2, 3]))).toThrow(
      'gridSample: grid must be [N, Ho, Wo, 2] with N = 1 for input of shape [1,1,2,2], got shape [1,2,2,3]',
    );
    expect(() => gridSample(zeros([1, 1, 2, 2, 2]), zeros([1, 1, 1, 1, 3]), { mode: 'bicubic' })).toThrow(
      /mode 'bicubic' takes 4-D input only/,
    );
    expect(() => gridSample(x, g.cast('float64'))).toThrow(DTypeError);
    expect(() => affineGrid(ones([1, 2, 3]), [1, 1, 2])).toThrow(/size must be \[N, C, H, W\] or \[N, C, D, H, W\]/);
    expect(() => affineGrid(ones([1, 3, 4]), [1, 1, 2, 2])).toThrow(
      'affineGrid: theta must be [1, 2, 3] for size [1,1,2,2], got shape [1,3,4]',
    );
  });
});
