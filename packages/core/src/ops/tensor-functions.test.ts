import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  ShapeError,
  addbmm,
  addcdiv,
  addcmul,
  addmm,
  addmv,
  addr,
  baddbmm,
  bmm,
  dot,
  maskedScatterAsync,
  repeatInterleaveAsync,
  allcloseAsync,
  nonzeroAsync,
  argwhereAsync,
  maskedSelectAsync,
  uniqueAsync,
  uniqueConsecutiveAsync,
  bincountAsync,
  nonzero,
  argwhere,
  maskedSelect,
  unique,
  uniqueConsecutive,
  bincount,
  histc,
  bucketize,
  searchsorted,
  type UniqueResult,
  amax,
  amin,
  aminmax,
  countNonzero,
  varMean,
  stdMean,
  nanquantile,
  mode,
  cov,
  corrcoef,
  dist,
  pdist,
  renorm,
  trapezoid,
  cumulativeTrapezoid,
  atan2,
  fmod,
  remainder,
  floorDivide,
  fmax,
  fmin,
  heaviside,
  signbit,
  copysign,
  deg2rad,
  rad2deg,
  floatPower,
  clampMin,
  clampMax,
  logicalXor,
  isclose,
  allclose,
  isin,
  atleast1d,
  atleast2d,
  atleast3d,
  blockDiag,
  broadcastTensors,
  columnStack,
  concat,
  diagflat,
  dsplit,
  dstack,
  fliplr,
  flipud,
  hsplit,
  hstack,
  moveaxis,
  movedim,
  rot90,
  stack,
  tensorSplit,
  trilIndices,
  triuIndices,
  vander,
  vsplit,
  vstack,
  indexAdd,
  indexCopy,
  indexFill,
  indexPut,
  maskedScatter,
  narrow,
  repeatInterleave,
  scatter,
  scatterReduce,
  select,
  take,
  takeAlongDim,
  type ScatterReduce,
  inner,
  mm,
  mv,
  nansum,
  tensor,
  tensordot,
  vdot,
  type DType,
  type NestedArray,
  type Tensor,
} from '@myelin/core';
import { PYTORCH_TENSOR_FUNCTIONS } from './tensor-functions-fixture.js';
import { expectClose, flat } from './test-helpers.js';
import { asyncOnlyBackend } from '../losses/test-helpers.js';

type Args = Record<string, unknown>;
/** A function's output, or mode's values and indices. */
type Run = (inputs: Tensor[], args: Args) => Tensor | { values: Tensor; indices: Tensor };

const addProduct =
  (fn: typeof addmm): Run =>
  ([i, a, b], args) =>
    fn(i!, a!, b!, args);

/** What each fixture op computes, in Myelin. */
const RUN: Record<string, Run> = {
  mm: ([a, b]) => mm(a!, b!),
  bmm: ([a, b]) => bmm(a!, b!),
  mv: ([a, b]) => mv(a!, b!),
  dot: ([a, b]) => dot(a!, b!),
  vdot: ([a, b]) => vdot(a!, b!),
  inner: ([a, b]) => inner(a!, b!),
  tensordot: ([a, b], args) => tensordot(a!, b!, args['dims'] as number),
  addmm: addProduct(addmm),
  baddbmm: addProduct(baddbmm),
  addbmm: addProduct(addbmm),
  addmv: addProduct(addmv),
  addr: addProduct(addr),
  addcmul: ([i, a, b], args) => addcmul(i!, a!, b!, args),
  addcdiv: ([i, a, b], args) => addcdiv(i!, a!, b!, args),
  indexAdd: ([x, i, s], args) => indexAdd(x!, args['dim'] as number, i!, s!, { alpha: args['alpha'] as number }),
  indexCopy: ([x, i, s], args) => indexCopy(x!, args['dim'] as number, i!, s!),
  indexFill: ([x, i], args) => indexFill(x!, args['dim'] as number, i!, args['value'] as number),
  indexPut: ([x, ...rest], args) => indexPut(x!, rest.slice(0, -1), rest.at(-1)!, args),
  scatter: ([x, i, s], args) =>
    scatter(
      x!,
      args['dim'] as number,
      i!,
      s ?? (args['value'] as number),
      args['reduce'] ? { reduce: args['reduce'] as 'add' } : {},
    ),
  scatterReduce: ([x, i, s], args) =>
    scatterReduce(
      x!,
      args['dim'] as number,
      i!,
      s!,
      args['reduce'] as ScatterReduce,
      args['includeSelf'] === false ? { includeSelf: false } : {},
    ),
  maskedScatter: ([x, m, s]) => maskedScatter(x!, m!, s!),
  takeAlongDim: ([x, i], args) => takeAlongDim(x!, i!, args['dim'] as number | undefined),
  take: ([x, i]) => take(x!, i!),
  narrow: ([x], args) => narrow(x!, args['dim'] as number, args['start'] as number, args['length'] as number),
  select: ([x], args) => select(x!, args['dim'] as number, args['index'] as number),
  repeatInterleave: ([x, k], args) =>
    repeatInterleave(
      x!,
      k ?? (args['repeats'] as number),
      args['dim'] === undefined ? {} : { dim: args['dim'] as number },
    ),
  movedim: ([x], args) => movedim(x!, args['source'] as number[], args['destination'] as number[]),
  moveaxis: ([x], args) => moveaxis(x!, args['source'] as number, args['destination'] as number),
  atleast3d: ([x]) => atleast3d(x!),
  atleast2d: ([x]) => atleast2d(x!),
  broadcastTensors: (xs) => stack(broadcastTensors(...xs)),
  hstack: (xs) => hstack(xs),
  vstack: (xs) => vstack(xs),
  dstack: (xs) => dstack(xs),
  columnStack: (xs) => columnStack(xs),
  tensorSplit: ([x], args) =>
    joined(
      tensorSplit(x!, (args['sections'] ?? args['indices']) as number, args['dim'] as number),
      args['dim'] as number,
    ),
  hsplit: ([x], args) => joined(hsplit(x!, (args['sections'] ?? args['indices']) as number), 1),
  vsplit: ([x], args) => joined(vsplit(x!, (args['sections'] ?? args['indices']) as number), 0),
  dsplit: ([x], args) => joined(dsplit(x!, (args['sections'] ?? args['indices']) as number), 2),
  fliplr: ([x]) => fliplr(x!),
  flipud: ([x]) => flipud(x!),
  rot90: ([x], args) => rot90(x!, args['k'] as number, args['dims'] as [number, number]),
  blockDiag: (xs) => blockDiag(...xs),
  diagflat: ([x], args) => diagflat(x!, args['offset'] as number),
  trilIndices: (_, args) =>
    trilIndices(args['row'] as number, args['col'] as number, { offset: args['offset'] as number }),
  triuIndices: (_, args) =>
    triuIndices(args['row'] as number, args['col'] as number, { offset: args['offset'] as number }),
  vander: ([x], args) =>
    vander(x!, args['n'] === undefined ? {} : { n: args['n'] as number, increasing: args['increasing'] as boolean }),
  atan2: ([y, x]) => atan2(y!, x!),
  fmod: ([a, b]) => fmod(a!, b!),
  remainder: ([a, b], args) => remainder(a!, b ?? (args['other'] as number)),
  floorDivide: ([a, b]) => floorDivide(a!, b!),
  fmax: ([a, b]) => fmax(a!, b!),
  fmin: ([a, b]) => fmin(a!, b!),
  heaviside: ([x, v]) => heaviside(x!, v!),
  signbit: ([x]) => signbit(x!),
  copysign: ([a, b]) => copysign(a!, b!),
  deg2rad: ([x]) => deg2rad(x!),
  rad2deg: ([x]) => rad2deg(x!),
  floatPower: ([a, b]) => floatPower(a!, b!),
  clampMin: ([x, m]) => clampMin(x!, m!),
  clampMax: ([x], args) => clampMax(x!, args['max'] as number),
  logicalXor: ([a, b]) => logicalXor(a!, b!),
  isclose: ([a, b], args) => isclose(a!, b!, args),
  isin: ([a, b], args) => isin(a!, b!, args),
  amax: ([x], args) => amax(x!, args),
  amin: ([x], args) => amin(x!, args),
  aminmax: ([x], args) => {
    const { min, max } = aminmax(x!, args);
    return stack([min, max]);
  },
  countNonzero: ([x], args) => countNonzero(x!, args),
  varMean: ([x], args) => stack(varMean(x!, args)),
  stdMean: ([x], args) => stack(stdMean(x!, args)),
  nanquantile: ([x], { q, ...options }) => nanquantile(x!, q as number, options),
  mode: ([x], args) => mode(x!, args),
  cov: ([x, f, a], args) => cov(x!, { ...args, ...(f ? { fweights: f, aweights: a } : {}) }),
  corrcoef: ([x]) => corrcoef(x!),
  dist: ([a, b], args) => dist(a!, b!, args['p'] as number),
  pdist: ([x], args) => pdist(x!, args['p'] as number),
  renorm: ([x], args) => renorm(x!, args['p'] as number, args['dim'] as number, args['maxnorm'] as number),
  trapezoid: ([y, x], args) => trapezoid(y!, { ...args, ...(x ? { x } : {}) }),
  cumulativeTrapezoid: ([y, x], args) => cumulativeTrapezoid(y!, { ...args, ...(x ? { x } : {}) }),
  nonzero: ([x], args) => (args['asTuple'] ? stack(nonzero(x!, { asTuple: true })) : nonzero(x!)),
  argwhere: ([x]) => argwhere(x!),
  maskedSelect: ([x, m]) => maskedSelect(x!, m!),
  unique: ([x], args) => joinedUnique(unique(x!, args)),
  uniqueConsecutive: ([x], args) => joinedUnique(uniqueConsecutive(x!, args)),
  bincount: ([x, w], args) => bincount(x!, { ...args, ...(w ? { weights: w } : {}) }),
  histc: ([x], args) => histc(x!, args),
  bucketize: ([v, b], args) => bucketize(v!, b!, args),
  searchsorted: ([s, v, k], args) => searchsorted(s!, v!, { ...args, ...(k ? { sorter: k } : {}) }),
};

/** unique's values, then its inverse indices and counts flattened, as one vector (as the fixture). */
const joinedUnique = ({ values, inverse, counts }: UniqueResult): Tensor =>
  concat([
    values.reshape([-1]),
    ...[inverse, counts].filter((t) => t !== undefined).map((t) => t.reshape([-1]).cast(values.dtype)),
  ]);

/** Split pieces weighted 1, 2, ... and joined again along dim, as the fixture does. */
const joined = (pieces: Tensor[], dim: number): Tensor =>
  concat(
    pieces.map((p, i) => p.mul(i + 1)),
    dim,
  );

for (const [family, cases] of Object.entries(PYTORCH_TENSOR_FUNCTIONS)) {
  describe(`${family} against PyTorch 1.13 (float64 values and gradients, cpu-reference)`, () => {
    for (const c of cases) {
      it(c.name, async () => {
        const inputs = c.inputs.map((values, i) => {
          const dtype = c.dtypes[i] as DType;
          return tensor(values as NestedArray, { dtype, requiresGrad: dtype === 'float64' });
        });
        const result = RUN[c.op]!(inputs, c.args as Args);
        const out = 'values' in result ? result.values : result;
        if ('indices' in c) {
          expect('indices' in result && result.indices.dtype).toBe('int32');
          expect(Array.from(await (result as { indices: Tensor }).indices.data())).toEqual(flat(c.indices));
        }
        expect(out.shape, 'shape').toEqual(c.shape);
        expectClose(await out.data(), c.output, 'value');
        const { gradients, weights } = c as { gradients?: unknown[]; weights?: unknown };
        if (gradients === undefined) return;
        nansum(out.mul(tensor(weights as NestedArray, { dtype: 'float64' }))).backward();
        // The fixture lists the gradients of the float inputs, in order.
        const floats = inputs.filter((t) => t.requiresGrad);
        for (const [i, want] of gradients.entries()) {
          if (want === null) continue;
          const grad = floats[i]!.grad;
          if (grad === null)
            expect(
              flat(want).every((v) => v === 0),
              `gradient of input ${i}`,
            ).toBe(true);
          else expectClose(await grad.data(), want, `gradient of input ${i}`);
        }
      });
    }
  });
}

describe('products: errors name the shapes and options', () => {
  const m = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  it('ranks and sizes', () => {
    expect(() => mm(m, tensor([1, 2, 3]))).toThrow(/mm: mat2 must be 2-D, got shape \[3\]/);
    expect(() => mm(m, m)).toThrow(ShapeError);
    expect(() => bmm(m.reshape([1, 2, 3]), m.reshape([2, 3, 1]))).toThrow(/bmm: batch sizes differ/);
    expect(() => dot(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(/dot: the vectors' lengths differ: 2 and 3/);
    expect(() => tensordot(m, m, [[1], [1, 0]])).toThrow(/as many axes of a as of b, got 1 and 2/);
    expect(() => tensordot(m, m, [[0], [1]])).toThrow(/contracted axes differ in size/);
    expect(() => tensordot(m, m, 3)).toThrow(/dims must be an integer in 0\.\.2/);
    expect(() => addmm(m.reshape([3, 2, 1]), m, m.transpose())).toThrow(
      /addmm: input of shape \[3,2,1\] does not broadcast to the product's shape \[2,2\]/,
    );
  });
  it('options', () => {
    const square = m.slice([0, 0], [2, 2]);
    expect(() => addmm(square, square, square, { betta: 1 } as never)).toThrow(ArgumentError);
    expect(() => addmm(square, square, square, { alpha: Number.NaN })).toThrow(/addmm: alpha must be a finite number/);
    expect(() => addcmul(square, square, square, { value: '2' } as never)).toThrow(/addcmul: value must be/);
  });
});

describe('indexing: errors name the index, the shapes and the allowed range', () => {
  const x = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const i32 = (v: number[]) => tensor(v, { dtype: 'int32' });
  it('index dtype, rank and range', () => {
    expect(() => indexAdd(x, 1, tensor([0, 1]), x.slice([0, 0], [2, 2]))).toThrow(/indexAdd: index must be int32/);
    expect(() => indexAdd(x, 1, i32([0, 5]), x.slice([0, 0], [2, 2]))).toThrow(/index 5 at position 1 is out of range/);
    expect(() => indexAdd(x, 1, i32([0, 1]), x)).toThrow(/source must have shape \[2,2\]/);
    expect(() => indexCopy(x, 1, i32([1, 1]), x.slice([0, 0], [2, 2]))).toThrow(/index 1 repeats/);
    expect(() => scatter(x, 1, i32([0, 1]), x)).toThrow(/index must have the input's rank 2/);
    expect(() => scatter(x, 1, tensor([[0, 1]], { dtype: 'int32' }), 1, { reduce: 'max' as 'add' })).toThrow(
      /reduce must be 'add' or 'multiply', got "max"/,
    );
    expect(() => scatterReduce(x, 1, tensor([[0]], { dtype: 'int32' }), x, 'max' as ScatterReduce)).toThrow(
      /reduce must be one of sum, prod, mean, amax, amin, got "max"/,
    );
    expect(() => takeAlongDim(x, i32([0]), 1)).toThrow(/indices must have x's rank 2/);
  });
  it('narrow, select and repeatInterleave bounds', () => {
    expect(() => narrow(x, 1, 2, 2)).toThrow(/start 2 and length 2 do not fit in dim 1 of size 3/);
    expect(() => select(x, 0, 2)).toThrow(/select: index 2 is out of range for dim 0 of size 2 \(expected -2\.\.1\)/);
    expect(() => repeatInterleave(x, -1)).toThrow(/repeats must be a non-negative integer, got -1/);
    expect(() => repeatInterleave(x, i32([1, 2]), { dim: 1 })).toThrow(/repeats must hold 1 or 3 counts/);
    expect(() => repeatInterleave(x, 2, { outputSize: 5 })).toThrow(/outputSize is 5, but the repeats make 12/);
  });
  it('maskedScatter needs enough source elements', () => {
    const mask = tensor([true, false, true]).cast('bool');
    expect(() => maskedScatter(x, mask, tensor([1, 2, 3]))).toThrow(/selects 4 elements, but source \[3\] has only 3/);
  });
});

describe('shapes: lists, ranks and errors', () => {
  const m = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  it('atleast1d of a scalar and of a list', () => {
    expect(atleast1d(tensor(2)).shape).toEqual([1]);
    expect(atleast1d([tensor(2), m]).map((t) => t.shape)).toEqual([[1], [2, 3]]);
  });
  it('errors', () => {
    expect(() => movedim(m, [0, 1], [1])).toThrow(
      /movedim: source and destination must name as many axes, got 2 and 1/,
    );
    expect(() => hsplit(m, 2)).toThrow(/hsplit: 2 sections do not divide dim 1 of shape \[2,3\] evenly/);
    expect(() => vsplit(tensor([1, 2]), 2)).toThrow(/vsplit: expected a tensor of rank 2 or more, got shape \[2\]/);
    expect(() => tensorSplit(m, 0)).toThrow(/tensorSplit: sections must be at least 1, got 0/);
    expect(() => rot90(m, 1, [1, -1])).toThrow(/rot90: the two dims must differ, both are axis 1/);
    expect(() => blockDiag(m.reshape([1, 2, 3]))).toThrow(/blockDiag: expected tensors of rank 2 or less/);
    expect(() => trilIndices(-1, 2)).toThrow(/trilIndices: row must be >= 0, got -1/);
    expect(() => vander(m)).toThrow(/vander: x must be 1-D, got shape \[2,3\]/);
    expect(() => hstack([])).toThrow(/hstack: expected a non-empty list of tensors/);
  });
});

describe('elementwise extras', () => {
  it('allclose is a boolean read on the host', () => {
    const a = tensor([1, 2, Number.NaN]);
    expect(allclose(a, tensor([1, 2 + 1e-6, Number.NaN]), { equalNan: true })).toBe(true);
    expect(allclose(a, tensor([1, 2 + 1e-6, Number.NaN]))).toBe(false);
    expect(allclose(a.slice([0], [2]), tensor([1, 2.1]))).toBe(false);
  });
  it('floatPower computes in float64 where the backend has it; isclose checks its options', () => {
    expect(floatPower(tensor([2, 3], { dtype: 'int32' }), 2).dtype).toBe('float64');
    expect(() => isclose(tensor([1]), 1, { rtol: -1 })).toThrow(/isclose: rtol must be a number >= 0, got -1/);
    expect(() => isin(tensor([1]), 1, { invert: 1 } as never)).toThrow(/isin: invert must be true or false, got 1/);
    expect(() => fmod(2, 3)).toThrow(/fmod: expected at least one tensor, got two numbers 2 and 3/);
  });
});

describe('statistics: errors', () => {
  const m = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  it('names the option and the value', () => {
    expect(() => amax(m, { dims: 1 } as never)).toThrow(ArgumentError);
    expect(() => amax(tensor([]))).toThrow(/amax: cannot reduce over dim 0 of size 0 \(shape \[0\]\)/);
    expect(() => nanquantile(m, 1.5)).toThrow(/nanquantile: q must be a number in \[0, 1\]/);
    expect(() => cov(m, { aweights: tensor([1, 2]) })).toThrow(/cov: aweights must be a vector of 3 weights/);
    expect(() => pdist(tensor([1, 2]))).toThrow(/pdist: x must be a matrix \[N, M\], got shape \[2\]/);
    expect(() => trapezoid(m, { x: tensor([1, 2]) })).toThrow(/trapezoid: x has 2 points, y has 3 along dim 1/);
    expect(() => trapezoid(m, { x: tensor([1, 2, 3]), dx: 2 })).toThrow(/give x or dx, not both/);
    expect(() => renorm(m, 2, 0, -1)).toThrow(/renorm: maxnorm must be a number >= 0, got -1/);
  });
});

describe('data-dependent shapes: async twins and errors', () => {
  const backend = asyncOnlyBackend();
  const x = tensor(
    [
      [0, 2, 0],
      [3, 3, 0],
    ],
    { backend },
  );
  it('without synchronous reads the sync form names its async twin, which gives the same result', async () => {
    expect(() => nonzero(x)).toThrow(/nonzero: backend .* only reads asynchronously .* use await nonzeroAsync/);
    expect(() => unique(x)).toThrow(/use await uniqueAsync/);
    expect(() => maskedSelect(x, x.greater(0))).toThrow(/use await maskedSelectAsync/);
    expect(await ((await nonzeroAsync(x)) as Tensor).array()).toEqual([
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    expect(await (await argwhereAsync(x)).array()).toEqual([
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    expect(Array.from(await (await maskedSelectAsync(x, x.greater(0))).data())).toEqual([2, 3, 3]);
    const { values, counts } = await uniqueAsync(x, { returnCounts: true });
    expect(Array.from(await values.data())).toEqual([0, 2, 3]);
    expect(Array.from(await counts!.data())).toEqual([3, 1, 2]);
    const runs = await uniqueConsecutiveAsync(x.reshape([-1]));
    expect(Array.from(await runs.values.data())).toEqual([0, 2, 0, 3, 0]);
    expect(Array.from(await (await bincountAsync(tensor([1, 1, 3], { dtype: 'int32', backend }))).data())).toEqual([
      0, 2, 0, 1,
    ]);
  });
  it('maskedScatter, repeatInterleave and allclose: the sync form names the async twin', async () => {
    const mask = tensor([true, false, true], { backend }).cast('bool');
    const source = tensor([7, 8, 9, 10], { backend });
    expect(() => maskedScatter(x, mask, source)).toThrow(/use await maskedScatterAsync/);
    expect(await (await maskedScatterAsync(x, mask, source)).array()).toEqual([
      [7, 2, 8],
      [9, 3, 10],
    ]);
    const counts = tensor([2, 0, 1], { dtype: 'int32', backend });
    expect(() => repeatInterleave(x, counts, { dim: 1 })).toThrow(/use await repeatInterleaveAsync/);
    expect(await (await repeatInterleaveAsync(x, counts, { dim: 1 })).array()).toEqual([
      [0, 0, 0],
      [3, 3, 0],
    ]);
    expect(() => allclose(x, x)).toThrow(/use await allcloseAsync/);
    expect(await allcloseAsync(x, x.add(1e-9))).toBe(true);
    expect(await allcloseAsync(x, x.add(1))).toBe(false);
  });
  it('histc, bucketize and searchsorted need no read', async () => {
    expect(Array.from(await histc(x, { bins: 3 }).data())).toEqual([3, 0, 3]);
    expect(Array.from(await bucketize(x, tensor([1, 2], { backend })).data())).toEqual([0, 1, 0, 2, 2, 0]);
  });
  it('errors', () => {
    expect(() => bincount(tensor([1, -2], { dtype: 'int32' }))).toThrow(
      /bincount: x must be non-negative, got -2 at position 1/,
    );
    expect(() => bincount(tensor([1.5]))).toThrow(/bincount: x must be int32, got dtype float32/);
    expect(() => histc(tensor([1]), { min: 2, max: 1 })).toThrow(
      /histc: min must be a number no larger than max, got 2 and 1/,
    );
    expect(() => searchsorted(tensor([1, 2]), tensor([1]), { side: 'middle' as 'left' })).toThrow(
      /side must be 'left' or 'right', got "middle"/,
    );
    expect(() => unique(tensor([1]), { sorted: 1 } as never)).toThrow(/unique: sorted must be true or false/);
  });
});

describe('review fixes: no handles left behind', () => {
  const rows = [
    [1, 2, 2],
    [3, 3, 1],
  ];
  const index = tensor(
    [
      [0, 1],
      [2, 0],
    ],
    { dtype: 'int32' },
  );
  /** The handles fn leaves alive beyond its results (which it disposes), with and without backward. */
  const leftBehind = (fn: (x: Tensor) => Tensor[]): number[] =>
    [false, true].map((withGrad) => {
      const input = tensor(rows, { dtype: 'float64', requiresGrad: withGrad });
      const before = input.backend.liveHandles();
      const results = fn(input);
      if (withGrad && results.length > 0) {
        const loss = nansum(results[0]!);
        loss.backward();
        loss.dispose();
        input.grad?.dispose();
      }
      results.forEach((t) => t.dispose());
      return input.backend.liveHandles() - before;
    });
  it('mode, scatter with a number and allclose free their intermediates', () => {
    expect(leftBehind((t) => Object.values(mode(t, { dim: 1 })))).toEqual([0, 0]);
    expect(leftBehind((t) => [scatter(t, 1, index, 5)])).toEqual([0, 0]);
    expect(leftBehind((t) => [scatter(t, 1, index, 2, { reduce: 'multiply' })])).toEqual([0, 0]);
    expect(leftBehind((t) => (allclose(t, t) ? [] : [t]))).toEqual([0, 0]);
  });
});

describe('review fixes: negative indices', () => {
  const x = tensor([1, 2, 3], { dtype: 'float64' });
  const i32 = (v: number[]) => tensor(v, { dtype: 'int32' });
  it('take and indexPut count negative indices from the end and name the allowed range', () => {
    expect(Array.from(take(x, i32([-1, -3, 0])).dataSync())).toEqual([3, 1, 1]);
    expect(() => take(x, i32([-4]))).toThrow(/take: index -4 at position 0 is out of range .* \(expected -3\.\.2\)/);
    expect(() => indexPut(x, [i32([3])], x.slice([0], [1]))).toThrow(/indexPut: index 3 .* \(expected -3\.\.2\)/);
    expect(() => indexPut(x, [i32([-1, 2])], x.slice([0], [2]))).toThrow(/indexPut: index 2 repeats/);
  });
});
