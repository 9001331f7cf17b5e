import { describe, expect, it } from 'vitest';
import { createCpuReferenceBackend } from '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  DTypeError,
  Generator,
  ShapeError,
  adaptiveMaxPool1d,
  adaptiveMaxPool1dWithIndices,
  affineGrid,
  gridSample,
  gumbelSoftmax,
  fractionalMaxPool2d,
  fractionalMaxPool2dWithIndices,
  fromHost,
  lpPool1d,
  lpPool2d,
  ones,
  randn,
  tensor,
  zeros,
  type GridSampleOptions,
  type Tensor,
} from '@myelin/core';
import { PYTORCH_NN_EXTRAS } from './nn-extras-fixture.js';
import { flat, type FixtureCase, type Nested } from './test-helpers.js';

// grid_sample, affine_grid, lp_pool, adaptive_max_pool1d and gumbel_softmax against PyTorch's
// float64 values and gradients (scripts/make-nn-extras-fixture.py); a gradient torch gives as
// zeros (the grid of 'nearest', the given Gumbel noise) must be null or zeros here.

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

describe('lpPool, adaptiveMaxPool1d and gumbelSoftmax match PyTorch', () => {
  for (const [name, fixture] of Object.entries(PYTORCH_NN_EXTRAS.lpPool)) {
    it(`lpPool ${name}`, async () => {
      const { normType, kernelSize, stride, ceilMode, dims } = fixture.args as {
        normType: number;
        kernelSize: number & [number, number];
        stride?: number;
        ceilMode?: boolean;
        dims: number;
      };
      const args = { ...(stride === undefined ? {} : { stride }), ...(ceilMode === undefined ? {} : { ceilMode }) };
      const run = ([x]: Tensor[]) =>
        dims === 1 ? lpPool1d(x!, normType, kernelSize, args) : lpPool2d(x!, normType, kernelSize, args);
      expect(await worst(fixture as unknown as FixtureCase, run)).toBeLessThan(1e-12);
    });
  }
  for (const [name, fixture] of Object.entries(PYTORCH_NN_EXTRAS.adaptiveMaxPool1d)) {
    it(`adaptiveMaxPool1d ${name}, with its indices`, async () => {
      const { outputSize } = fixture.args as { outputSize: number };
      expect(await worst(fixture as unknown as FixtureCase, ([x]) => adaptiveMaxPool1d(x!, outputSize))).toBeLessThan(
        1e-12,
      );
      const x = tensor(fixture.inputs[0] as Nested, { dtype: 'float64', requiresGrad: true });
      const [values, indices] = adaptiveMaxPool1dWithIndices(x, outputSize);
      expect(indices.dtype).toBe('int32');
      expect(await indices.array()).toEqual(fixture.indices);
      expect(flat(await values.array())).toEqual(flat(await adaptiveMaxPool1d(x, outputSize).array()));
      // Without a graph too (the indices outlive the op's scope).
      const [, plain] = adaptiveMaxPool1dWithIndices(x.detach(), outputSize);
      expect(await plain.array()).toEqual(fixture.indices);
      values
        .mul(tensor(fixture.outputWeights, { dtype: 'float64' }))
        .sum()
        .backward();
      const want = flat(fixture.gradients[0]);
      flat(await x.grad!.array()).forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThan(1e-12));
    });
  }
  for (const [name, fixture] of Object.entries(PYTORCH_NN_EXTRAS.gumbelSoftmax)) {
    it(`gumbelSoftmax ${name} (torch's noise given)`, async () => {
      const options = fixture.args as { tau: number; hard: boolean; dim: number };
      const run = ([logits, gumbels]: Tensor[]) => gumbelSoftmax(logits!, { ...options, gumbels: gumbels!.detach() });
      expect(await worst(fixture as unknown as FixtureCase, run)).toBeLessThan(1e-12);
    });
  }

  it('gumbelSoftmax draws its noise from the generator: seeded samples repeat, hard ones are one-hot', async () => {
    const logits = randn([4, 5], { generator: new Generator(1) });
    const draw = (seed: number, hard = false) => gumbelSoftmax(logits, { hard, generator: new Generator(seed) });
    expect(await draw(3).array()).toEqual(await draw(3).array());
    expect(await draw(3).array()).not.toEqual(await draw(4).array());
    const sums = flat(await draw(3).sum(-1).array());
    sums.forEach((s) => expect(s).toBeCloseTo(1, 6));
    const hard = flat(await draw(5, true).array());
    expect(hard.filter((v) => v === 1)).toHaveLength(4);
    expect(hard.filter((v) => v === 0)).toHaveLength(16);
  });

  it('reject bad arguments naming the value and what is allowed', () => {
    const x = ones([1, 2, 4]);
    expect(() => lpPool1d(x, 0, 2)).toThrow('lpPool1d: normType must be a non-zero number, got 0');
    expect(() => lpPool1d(x, 2, 0)).toThrow(/lpPool1d: kernelSize/);
    expect(() => lpPool2d(ones([1, 1, 2, 2]), 2, 2, { padding: 1 } as never)).toThrow(/padding/);
    expect(() => adaptiveMaxPool1d(x, 0)).toThrow(/adaptiveMaxPool1d: outputSize/);
    expect(() => adaptiveMaxPool1d(ones([4]), 2)).toThrow(
      'adaptiveMaxPool1d: expected an input [N, C, L] or unbatched [C, L], got shape [4]',
    );
    expect(() => gumbelSoftmax(x, { tau: 0 })).toThrow('gumbelSoftmax: tau must be a number > 0, got 0');
    expect(() => gumbelSoftmax(x, { dim: 3 })).toThrow(/gumbelSoftmax/);
    expect(() => gumbelSoftmax(x, { gumbels: ones([2]) })).toThrow(
      "gumbelSoftmax: gumbels must have the logits' shape [1,2,4], got [2]",
    );
    expect(() => gumbelSoftmax(x, { temperature: 1 } as never)).toThrow(/temperature/);
  });
});

describe('gumbelSoftmax checks the given noise', () => {
  it("refuses gumbels of another dtype, or not a tensor, naming the logits' dtype", () => {
    const logits = zeros([2, 3]);
    expect(() => gumbelSoftmax(logits, { gumbels: zeros([2, 3], { dtype: 'float64' }) })).toThrow(
      new DTypeError("gumbelSoftmax: gumbels must have the logits' dtype float32, got float64"),
    );
    const elsewhere = zeros([2, 3], { backend: createCpuReferenceBackend() });
    expect(() => gumbelSoftmax(logits, { gumbels: elsewhere })).toThrow(
      "gumbelSoftmax: gumbels must be on the logits' backend 'cpu-reference', got another 'cpu-reference' instance",
    );
    expect(() => gumbelSoftmax(logits, { gumbels: [[0, 0, 0]] as never })).toThrow(
      'gumbelSoftmax: gumbels must be a Tensor of Gumbel noise, got',
    );
  });
});

describe("fractionalMaxPool2d matches PyTorch (torch's random samples given)", () => {
  type Args = {
    kernelSize: number | [number, number];
    outputSize: [number, number] | null;
    outputRatio: number | null;
  };
  const argsOf = (fixture: { args: unknown }, samples: Tensor) => {
    const { kernelSize, outputSize, outputRatio } = fixture.args as Args;
    const size = outputSize === null ? { outputRatio: outputRatio! } : { outputSize };
    return [kernelSize, { ...size, randomSamples: samples.detach() }] as const;
  };
  for (const [name, fixture] of Object.entries(PYTORCH_NN_EXTRAS.fractionalMaxPool2d)) {
    it(`fractionalMaxPool2d ${name}, with its indices`, async () => {
      const run = ([x, samples]: Tensor[]) => fractionalMaxPool2d(x!, ...argsOf(fixture, samples!));
      expect(await worst(fixture as unknown as FixtureCase, run)).toBeLessThan(1e-12);
      const x = tensor(fixture.inputs[0] as Nested, { dtype: 'float64' });
      const samples = tensor(fixture.inputs[1] as Nested, { dtype: 'float64' });
      const [, indices] = fractionalMaxPool2dWithIndices(x, ...argsOf(fixture, samples));
      expect(indices.dtype).toBe('int32');
      expect(await indices.array()).toEqual(fixture.indices);
    });
  }

  it('draws its samples from the generator when none are given, and checks its arguments', async () => {
    const x = randn([1, 2, 6, 6], { generator: new Generator(2) });
    const draw = (seed: number) => fractionalMaxPool2d(x, 2, { outputSize: 3, generator: new Generator(seed) });
    expect(await draw(1).array()).toEqual(await draw(1).array());
    expect(draw(1).shape).toEqual([1, 2, 3, 3]);
    expect(() => fractionalMaxPool2d(x, 2)).toThrow(
      'fractionalMaxPool2d: give exactly one of outputSize and outputRatio',
    );
    expect(() => fractionalMaxPool2d(x, 2, { outputRatio: 1.5 })).toThrow(/outputRatio must be in \(0, 1\), got 1.5/);
    expect(() => fractionalMaxPool2d(x, 3, { outputSize: 5 })).toThrow(
      'fractionalMaxPool2d: outputSize 5x5 with kernelSize 3x3 needs an input of at least 7x7, got 6x6',
    );
    expect(() => fractionalMaxPool2d(x, 2, { outputSize: 3, randomSamples: ones([1, 2]) })).toThrow(
      'fractionalMaxPool2d: randomSamples must be [1, 2, 2], got shape [1,2]',
    );
  });
});

describe('gridSample and fractionalMaxPool2d address pixels past 2^24 exactly', () => {
  // Flat indices past 2^24 are not all float32 numbers: the row arithmetic must be int32. One
  // float32 input of 2^24 + 2 pixels (67 MB), valued flat index mod 7, so a pixel read one off shows.
  const width = 2 ** 23 + 1;
  const big = () => {
    const values = new Float32Array(2 * width);
    for (let i = 0; i < values.length; i++) values[i] = i % 7;
    return fromHost(values, [2, 1, 1, width], { dtype: 'float32' });
  };

  it('gridSample reads the last pixel of the second sample (flat index 2^24 + 1), not its neighbour', async () => {
    const x = big();
    const grid = tensor([[[[1, 0]]], [[[1, 0]]]]); // x = 1: the last pixel with alignCorners
    const out = gridSample(x, grid, { mode: 'nearest', alignCorners: true });
    expect(flat(await out.array())).toEqual([(width - 1) % 7, (2 * width - 1) % 7]);
  });

  it('fractionalMaxPool2d gathers and indexes the second plane past 2^24', async () => {
    // The window over the last two pixels of each plane; their values are its flat index mod 7.
    const x = big();
    const [values, indices] = fractionalMaxPool2dWithIndices(x, [1, 2], {
      outputSize: [1, 1],
      randomSamples: zeros([2, 1, 2]),
    });
    const last = 2 * width - 1;
    expect(flat(await values.array())).toEqual([
      Math.max((width - 2) % 7, (width - 1) % 7),
      Math.max((last - 1) % 7, last % 7),
    ]);
    const at = (v: number, w: number) => (v % 7 >= (v - 1) % 7 ? w - 1 : w - 2);
    expect(flat(await indices.array())).toEqual([at(width - 1, width), at(last, width)]);
  });
});

describe('the new max pools give a tie its gradient at the first maximum only, as torch does', () => {
  it('fractionalMaxPool2d on zeros (torch: 1 at each window start)', async () => {
    const x = zeros([1, 1, 4, 4], { requiresGrad: true });
    fractionalMaxPool2d(x, 2, { outputSize: 2, randomSamples: tensor([[[0.3, 0.6]]]) })
      .sum()
      .backward();
    expect(flat(await x.grad!.array())).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
  });

  it('adaptiveMaxPool1d on zeros (torch: [1, 0, 1, 0, 0])', async () => {
    const x = zeros([1, 1, 5], { requiresGrad: true });
    adaptiveMaxPool1d(x, 2).sum().backward();
    expect(flat(await x.grad!.array())).toEqual([1, 0, 1, 0, 0]);
  });
});
