import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  DTypeError,
  ShapeError,
  cartesianProd,
  cdist,
  cross,
  cummax,
  cummin,
  cumprod,
  diag,
  diagEmbed,
  diagonal,
  diff,
  einsum,
  hypot,
  isInf,
  isNaN,
  isNegInf,
  isPosInf,
  kron,
  lerp,
  linspace,
  logaddexp,
  logcumsumexp,
  logspace,
  meshgrid,
  nanToNum,
  nanmean,
  normalize,
  nansum,
  outer,
  prod,
  roll,
  stack,
  tensor,
  trace,
  tril,
  triu,
  unbind,
  xlogy,
  type DType,
  type NestedArray,
  type Tensor,
} from '@myelin/core';
import { PYTORCH_TENSOR_MATH } from './tensor-math-fixture.js';
import { expectClose, flat } from './test-helpers.js';

type Case = (typeof PYTORCH_TENSOR_MATH.cases)[number];

/** What the fixture's case computes, in Myelin. */
function run(c: Case, [x, y, z]: Tensor[]): { out: Tensor; indices?: Tensor } {
  const a = c.args as Record<string, unknown>;
  const n = (key: string): number | undefined => a[key] as number | undefined;
  switch (c.op) {
    case 'prod':
      return { out: prod(x!, { dim: n('dim'), keepdim: a['keepdim'] as boolean | undefined }) };
    case 'cumprod':
      return { out: cumprod(x!, n('dim')!) };
    case 'logcumsumexp':
      return { out: logcumsumexp(x!, n('dim')!) };
    case 'cummax':
    case 'cummin': {
      const { values, indices } = (c.op === 'cummax' ? cummax : cummin)(x!, n('dim')!);
      return { out: values, indices };
    }
    case 'nansum':
      return { out: nansum(x!, { dim: a['dim'] as number | number[] | undefined, keepdim: a['keepdim'] as boolean }) };
    case 'nanmean':
      return { out: nanmean(x!, { dim: a['dim'] as number | number[] | undefined, keepdim: a['keepdim'] as boolean }) };
    case 'logaddexp':
      return { out: logaddexp(x!, y!) };
    case 'hypot':
      return { out: hypot(x!, y!) };
    case 'lerp':
      return { out: lerp(x!, y!, z ?? n('weight')!) };
    case 'nanToNum':
      return { out: nanToNum(x!, { nan: n('nan'), posinf: n('posinf'), neginf: n('neginf') }) };
    case 'isNaN':
      return { out: isNaN(x!) };
    case 'isInf':
      return { out: isInf(x!) };
    case 'isPosInf':
      return { out: isPosInf(x!) };
    case 'isNegInf':
      return { out: isNegInf(x!) };
    case 'normalize':
      return { out: normalize(x!, { p: n('p'), dim: n('dim'), eps: n('eps') }) };
    case 'xlogy':
      return { out: xlogy(x!, y ?? n('y')!) };
    case 'cdist':
      return { out: cdist(x!, y!, a['p'] === 'Infinity' ? Infinity : n('p')) };
    case 'tril':
      return { out: tril(x!, n('diagonal')) };
    case 'triu':
      return { out: triu(x!, n('diagonal')) };
    case 'diag':
      return { out: diag(x!, n('diagonal')) };
    case 'diagonal':
      return { out: diagonal(x!, n('offset'), n('dim1'), n('dim2')) };
    case 'diagEmbed':
      return { out: diagEmbed(x!, n('offset'), n('dim1'), n('dim2')) };
    case 'trace':
      return { out: trace(x!) };
    case 'outer':
      return { out: outer(x!, y!) };
    case 'kron':
      return { out: kron(x!, y!) };
    case 'roll':
      return { out: roll(x!, a['shifts'] as number | number[], a['dims'] as number | number[] | undefined) };
    case 'unbind':
      return { out: stack(unbind(x!, n('dim')).map((p, i) => p.mul(i + 1))) };
    case 'meshgrid':
      return { out: stack(meshgrid(x!, y!, z!, { indexing: a['indexing'] as 'ij' | 'xy' })) };
    case 'cartesianProd':
      return { out: cartesianProd(x!, y!, z!) };
    case 'diff':
      return { out: diff(x!, { n: n('n'), dim: n('dim'), prepend: y, append: z }) };
    case 'cross':
      return { out: cross(x!, y!, n('dim')) };
    case 'einsum':
      return { out: einsum(a['equation'] as string, ...[x, y, z].filter((t): t is Tensor => t !== undefined)) };
  }
  throw new Error(`unknown op ${c.op}`);
}

describe('tensor math against PyTorch 1.13 (float64 values and gradients, int32, cpu-reference)', () => {
  for (const c of PYTORCH_TENSOR_MATH.cases) {
    it(c.name, async () => {
      const inputs = c.inputs.map((values, i) => {
        const dtype = c.dtypes[i] as DType;
        return tensor(values as NestedArray, { dtype, requiresGrad: dtype === 'float64' });
      });
      const { out, indices } = run(c, inputs);
      expect(out.shape, 'shape').toEqual(c.shape);
      expectClose(await out.data(), c.output, 'value');
      if ('indices' in c) {
        expect(indices!.dtype).toBe('int32');
        expect(Array.from(await indices!.data())).toEqual(flat(c.indices));
      }
      const { gradients, weights } = c as { gradients?: unknown[]; weights?: unknown };
      if (gradients === undefined) return;
      if (!out.requiresGrad) {
        // A step function (cdist with p = 0): PyTorch's gradient is all zeros, Myelin records none.
        for (const want of gradients) expect(flat(want).every((v) => v === 0)).toBe(true);
        return;
      }
      // nansum, as the fixture's: NaN outputs send no gradient back.
      nansum(out.mul(tensor(weights as NestedArray, { dtype: 'float64' }))).backward();
      for (const [i, want] of gradients.entries()) {
        if (want === null || !inputs[i]!.requiresGrad) continue;
        expectClose(await inputs[i]!.grad!.data(), want, `gradient of input ${i}`);
      }
    });
  }
});

describe('linspace and logspace against PyTorch 1.13', () => {
  for (const s of PYTORCH_TENSOR_MATH.spacings) {
    const label = `${s.op}(${s.start}, ${s.end}, ${s.steps}${'base' in s ? `, base ${s.base}` : ''}) ${s.dtype}`;
    it(label, async () => {
      const dtype = s.dtype as DType;
      const t =
        s.op === 'linspace'
          ? linspace(s.start, s.end, s.steps, { dtype })
          : logspace(s.start, s.end, s.steps, { dtype, base: s.base });
      expect(t.dtype).toBe(dtype);
      expect(t.shape).toEqual([s.steps]);
      const got = Array.from(await t.data());
      if (dtype === 'float64') return expectClose(got, s.values, label);
      // The fixture holds each float32 as its shortest decimal: rounded to float32, exactly it.
      const want = s.values.map((v) => (dtype === 'float32' ? Math.fround(v) : v));
      if (s.op === 'logspace' && s.base === 2 && s.start === 0.1) {
        // One element of PyTorch's differs by a unit in the last place from the double power
        // rounded once to float32 (glibc's pow from Python gives the same as ours): all others exact.
        const differing = got.filter((v, i) => v !== want[i]);
        expect(differing.length).toBe(1);
        got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(2 ** -23 * Math.abs(v)));
      } else expect(got).toEqual(want);
    });
  }
});

describe('einsum errors name the equation and the mismatch', () => {
  const a = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  it('operand count', () => {
    expect(() => einsum('ij,jk->ik', a)).toThrow(
      /einsum 'ij,jk->ik': the equation has 2 operands, but 1 tensor was given/,
    );
  });
  it('sizes of a label', () => {
    expect(() => einsum('ij,jk->ik', a, a)).toThrow(ShapeError);
    expect(() => einsum('ij,jk->ik', a, a)).toThrow(/label 'j' has size 3 in an earlier operand and 2 in operand 1/);
  });
  it('rank against the labels', () => {
    expect(() => einsum('ijk->i', a)).toThrow(/operand 0 'ijk' has 3 labels, but the operand has rank 2/);
  });
  it('bad labels and outputs', () => {
    expect(() => einsum('i1->i', a)).toThrow(/labels are letters/);
    expect(() => einsum('ij->k', a)).toThrow(/output label 'k' appears in no operand/);
    expect(() => einsum('ij->ii', a)).toThrow(/output label 'i' appears twice/);
    expect(() => einsum('ii->i', a)).toThrow(/label 'i' repeats in operand 0 over axes of sizes 2 and 3/);
    expect(() => einsum('ij', a.cast('bool'))).toThrow(DTypeError);
  });
});

describe('NaN-aware reductions', () => {
  it('nanmean of a slice with no numbers is NaN, and its gradient 0 (PyTorch: NaN, from 0 / 0)', async () => {
    const x = tensor(
      [
        [Number.NaN, Number.NaN],
        [1, Number.NaN],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    const m = nanmean(x, { dim: 1 });
    expect(Array.from(await m.data())).toEqual([Number.NaN, 1]);
    nansum(m).backward();
    expect(Array.from(await x.grad!.data())).toEqual([0, 0, 1, 0]);
  });
});

describe('infinities (values only: PyTorch 1.13 gives NaN or Infinity gradients there)', () => {
  it('xlogy(0, Infinity) is 0 and hypot(Infinity, NaN) is Infinity, as PyTorch', async () => {
    const zero = tensor([0, 0, 1], { dtype: 'float64' });
    expect(Array.from(await xlogy(zero, tensor([Infinity, NaN, Infinity], { dtype: 'float64' })).data())).toEqual([
      0,
      NaN,
      Infinity,
    ]);
    expect(Array.from(await hypot(tensor([Infinity, NaN, 3]), tensor([NaN, -Infinity, 4])).data())).toEqual([
      Infinity,
      Infinity,
      5,
    ]);
    expect(Array.from(await hypot(tensor([NaN, 1]), -Infinity).data())).toEqual([Infinity, Infinity]);
  });
});

describe('empty tensors', () => {
  it('prod is 1, scans and cummax stay empty (as PyTorch)', async () => {
    const empty = tensor([], { dtype: 'float64', shape: [0, 3] });
    expect(Array.from(await prod(empty).data())).toEqual([1]);
    expect(Array.from(await prod(empty, { dim: 0 }).data())).toEqual([1, 1, 1]);
    expect(prod(empty, { keepdim: true }).shape).toEqual([1, 1]);
    expect(cumprod(empty, 0).shape).toEqual([0, 3]);
    expect(logcumsumexp(empty, 1).shape).toEqual([0, 3]);
    const { values, indices } = cummax(empty, 0);
    expect([values.shape, indices.shape, indices.dtype]).toEqual([[0, 3], [0, 3], 'int32']);
    expect(Array.from(await einsum('ij->j', empty).data())).toEqual([0, 0, 0]);
    expect(diff(empty, { dim: 0 }).shape).toEqual([0, 3]);
  });
});

describe('argument checks', () => {
  const x = tensor([
    [1, 2],
    [3, 4],
  ]);
  it('names the bad value', () => {
    expect(() => prod(x, { dim: 2 })).toThrow(/prod: axis 2 is out of range/);
    expect(() => tril(tensor([1, 2]))).toThrow(/tril: expected a tensor of rank 2 or more, got shape \[2\]/);
    expect(() => diagonal(x, 0, 1, -1)).toThrow(ArgumentError);
    expect(() => roll(x, [1, 2], [0])).toThrow(/roll: shifts \[1, 2\] and dims \[0\] must have the same length/);
    expect(() => cross(x, x)).toThrow(/cross: axis 1 must have size 3, got 2/);
    expect(() => cross(tensor([[1, 2, 3]]), tensor([1, 2, 3]))).toThrow(/same rank/);
    expect(() => cdist(x, tensor([[1, 2, 3]]))).toThrow(/cdist: expected x1 \[\.\.\., P, M\] and x2 \[\.\.\., R, M\]/);
    expect(() => cdist(x, x, -1)).toThrow(/cdist: p must be/);
    expect(() => diff(x, { n: -1 })).toThrow(/diff: n must be a non-negative integer, got -1/);
    expect(() => meshgrid(x)).toThrow(/meshgrid: every input must be a scalar or a vector, got shape \[2,2\] at 0/);
    expect(() => linspace(0, 1, 2.5)).toThrow(/linspace: steps must be a non-negative integer, got 2.5/);
    expect(() => logspace(0, 1, 3, { base: Number.NaN })).toThrow(/logspace: base must be a number/);
    expect(() => nanToNum(x, { nan: Number.NaN })).toThrow(/nanToNum: nan must be a number/);
    expect(() => logcumsumexp(x.cast('int32'), 0)).toThrow(DTypeError);
  });
});

describe('Tensor methods', () => {
  it('call the functions', async () => {
    const x = tensor([
      [1, -2, 3],
      [0, 5, -1],
      [2, 2, 4],
    ]);
    expect(Array.from(await x.prod({ dim: 1 }).data(), (v) => v + 0)).toEqual([-6, 0, 16]);
    expect(Array.from(await x.cumprod(0).slice([2, 0], [1, 3]).data())).toEqual([0, -20, -12]);
    expect(Array.from(await x.trace().data())).toEqual([10]);
    expect(Array.from(await x.tril(-1).data())).toEqual([0, 0, 0, 0, 0, 0, 2, 2, 0]);
    expect(Array.from(await x.triu(1).data())).toEqual([0, -2, 3, 0, 0, -1, 0, 0, 0]);
    expect(Array.from(await x.diag().data())).toEqual([1, 5, 4]);
    expect(Array.from(await x.roll(1, 1).data())).toEqual([3, 1, -2, -1, 0, 5, 4, 2, 2]);
    expect(Array.from(await x.cummax(1).indices.data())).toEqual([0, 0, 2, 0, 1, 1, 0, 1, 2]);
    expect(x.unbind(1).map((t) => t.shape)).toEqual([[3], [3], [3]]);
    expect(Array.from(await x.diff().data())).toEqual([-3, 5, 5, -6, 0, 2]);
    expect(Array.from(await x.nansum({ dim: 0 }).data())).toEqual([3, 5, 6]);
    expect(Array.from(await x.isNaN().cast('int32').sum().data())).toEqual([0]);
    expect(
      Array.from(
        await tensor([1, 2])
          .outer(tensor([1, 3]))
          .data(),
      ),
    ).toEqual([1, 3, 2, 6]);
  });
});
