import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  ShapeError,
  argsort,
  kthvalue,
  median,
  msort,
  nanmedian,
  quantile,
  sort,
  tensor,
  topk,
  type DType,
  type NestedArray,
  type Tensor,
} from '@myelin/core';
import { SORT_FIXTURE } from './sort-fixture.js';

type Case = (typeof SORT_FIXTURE)[number];

/** The fixture's encoding back to numbers: 'NaN' and '+-Infinity' travel as strings. */
const decode = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(decode)
    : v === 'NaN'
      ? NaN
      : v === 'Infinity'
        ? Infinity
        : v === '-Infinity'
          ? -Infinity
          : v;
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

/** What the case computes in Myelin: [values or null, indices or null]. */
function run(c: Case, x: Tensor): [Tensor | null, Tensor | null] {
  const a = c.args as Record<string, unknown>;
  const dim = a['dim'] as number | undefined;
  const keepdim = a['keepdim'] as boolean | undefined;
  switch (c.op) {
    case 'sort': {
      const r = sort(x, { dim, descending: a['descending'] as boolean, stable: true });
      return [r.values, r.indices];
    }
    case 'argsort':
      return [null, argsort(x, { dim, descending: a['descending'] as boolean })];
    case 'msort':
      return [msort(x), null];
    case 'topk': {
      const r = topk(x, a['k'] as number, { dim, largest: a['largest'] as boolean });
      return [r.values, r.indices];
    }
    case 'kthvalue': {
      const r = kthvalue(x, a['k'] as number, { dim, keepdim });
      return [r.values, r.indices];
    }
    case 'median':
    case 'nanmedian': {
      const f = c.op === 'median' ? median : nanmedian;
      if (dim === undefined) return [f(x), null];
      const r = f(x, { dim, keepdim });
      return [r.values, r.indices];
    }
    case 'quantile': {
      const q = a['q'] as number | number[];
      const interpolation = a['interpolation'] as 'linear' | undefined;
      return [quantile(x, q, { dim, keepdim, interpolation }), null];
    }
    default:
      throw new Error(`no such op ${c.op}`);
  }
}

/** Equal as the fixture's numbers, NaN equal to NaN, -0 told from +0; floats within `tol`. */
function expectClose(actual: number[], expected: number[], tol: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((v, i) => {
    const want = expected[i]!;
    if (Number.isNaN(want)) expect(v, `${what}[${i}]`).toBeNaN();
    else if (want === 0 || !Number.isFinite(want))
      expect(Object.is(v, want), `${what}[${i}]: ${v} vs ${want}`).toBe(true);
    else
      expect(Math.abs(v - want), `${what}[${i}]: ${v} vs ${want}`).toBeLessThanOrEqual(
        tol * Math.max(1, Math.abs(want)),
      );
  });
}

describe('sort and the order statistics match PyTorch 1.13', () => {
  for (const c of SORT_FIXTURE) {
    it(c.name, async () => {
      const dtype = c.dtype as DType;
      const floating = dtype !== 'int32';
      const x = tensor(decode(c.input) as NestedArray, { dtype, requiresGrad: floating });
      const [values, indices] = run(c, x);
      const tol = dtype === 'float32' ? 1e-6 : 1e-12;
      const fixture = c as Case & { values?: unknown; indices?: unknown; weights?: unknown; gradient?: unknown };
      if (fixture.values !== undefined) {
        expect(values).not.toBeNull();
        expectClose(flat(await values!.array()), flat(decode(fixture.values)), tol, 'values');
      }
      if (fixture.indices !== undefined) {
        expect(indices!.dtype).toBe('int32');
        expect(flat(await indices!.array())).toEqual(flat(fixture.indices));
      }
      if (fixture.gradient !== undefined) {
        values!
          .mul(tensor(fixture.weights as NestedArray, { dtype }))
          .sum()
          .backward();
        expectClose(flat(await x.grad!.array()), flat(decode(fixture.gradient)), tol * 10, 'gradient');
      }
    });
  }
});

describe('edge cases a review found (checked against torch 1.13 by hand)', () => {
  it('an all-element median spreads its gradient over the entries equal to it', async () => {
    const x = tensor([1, 2, 2, 3], { dtype: 'float64', requiresGrad: true });
    const m = median(x);
    expect(await m.item()).toBe(2);
    m.backward();
    expect(Array.from(await x.grad!.data())).toEqual([0, 0.5, 0.5, 0]); // torch: [0, .5, .5, 0]
    const y = tensor([1, NaN, 2, NaN], { dtype: 'float64', requiresGrad: true });
    const n = median(y);
    expect(await n.item()).toBeNaN();
    n.backward();
    expect(Array.from(await y.grad!.data())).toEqual([0, 0.5, 0, 0.5]); // torch: [0, .5, 0, .5]
    const z = tensor([4, NaN, 1, 4], { dtype: 'float64', requiresGrad: true });
    nanmedian(z).backward();
    expect(Array.from(await z.grad!.data())).toEqual([0.5, 0, 0, 0.5]);
  });

  it('quantile of a scalar along dim 0, and of an empty tensor refused', async () => {
    const s = tensor(5);
    expect(await quantile(s, 0.5, { dim: 0 }).item()).toBe(5);
    expect(Array.from(await quantile(s, [0.2, 0.5], { dim: -1 }).data())).toEqual([5, 5]);
    expect(() => quantile(tensor([[], []]), 0.5, { dim: 0 })).toThrow('quantile: x must not be empty, got shape [2,0]');
  });
});

describe('sort', () => {
  it('sorts a scalar, a length-1 axis and an empty axis', async () => {
    const scalar = sort(tensor(4));
    expect(scalar.values.shape).toEqual([]);
    expect(await scalar.indices.array()).toBe(0);
    expect(() => sort(tensor(4), { dim: 1 })).toThrow(/axis 1 is out of range for a tensor of rank 1/);
    const x = tensor(3, { dtype: 'float64', requiresGrad: true });
    const picked = topk(x, 1).values;
    expect(picked.shape).toEqual([]);
    picked.mul(2).backward();
    expect(await x.grad!.array()).toBe(2);
    const one = sort(tensor([[2], [1]]), { descending: true });
    expect(await one.values.array()).toEqual([[2], [1]]);
    expect(await one.indices.array()).toEqual([[0], [0]]);
    const empty = sort(tensor([[], []]));
    expect(empty.values.shape).toEqual([2, 0]);
    expect(empty.indices.shape).toEqual([2, 0]);
    expect(topk(tensor([[1, 2]]), 0).values.shape).toEqual([1, 0]);
  });

  it('sorts bool as 0 < 1, keeping the dtype', async () => {
    const r = sort(tensor([true, false, true, false], { dtype: 'bool' }), { descending: true });
    expect(r.values.dtype).toBe('bool');
    expect(await r.values.array()).toEqual([true, true, false, false]);
    expect(await r.indices.array()).toEqual([0, 2, 1, 3]);
  });

  it('runs as Tensor methods', async () => {
    const x = tensor([[3, 1, 2]]);
    expect(await x.sort().indices.array()).toEqual([[1, 2, 0]]);
    expect(await x.argsort({ descending: true }).array()).toEqual([[0, 2, 1]]);
    expect(await x.topk(2).values.array()).toEqual([[3, 2]]);
    expect(await x.kthvalue(2).values.array()).toEqual([2]);
    expect(await x.median().array()).toBe(2);
    expect(await x.median({ dim: 1 }).indices.array()).toEqual([2]);
    expect(await x.nanmedian().array()).toBe(2);
    expect(await x.quantile(0.5).array()).toBe(2);
    expect(await x.msort().array()).toEqual([[3, 1, 2]]);
  });

  it('rejects bad arguments with what was wrong and what is allowed', () => {
    const x = tensor([[3, 1, 2]]);
    expect(() => sort(x, { dim: 2 })).toThrow(/axis 2 .*rank 2|out of range/);
    expect(() => sort(x, { descending: 1 as unknown as boolean })).toThrow(/descending must be true or false, got 1/);
    expect(() => sort(x, { dims: 1 } as never)).toThrow(ArgumentError);
    expect(() => topk(x, 4)).toThrow(/k must be an integer in \[0, 3\].*got 4/);
    expect(() => kthvalue(x, 0)).toThrow(/k must be an integer in \[1, 3\].*got 0/);
    expect(() => quantile(x.cast('int32'), 0.5)).toThrow(/quantile: x must be float32 or float64, got int32/);
    expect(() => quantile(x.cast('float32'), 1.5)).toThrow(/q must be in \[0, 1\], got 1.5/);
    expect(() => quantile(x.cast('float32'), [])).toThrow(/non-empty array/);
    expect(() => quantile(x.cast('float32'), 0.5, { interpolation: 'cubic' as never })).toThrow(
      /interpolation must be one of 'linear', 'lower', 'higher', 'nearest', 'midpoint', got "cubic"/,
    );
    expect(() => median(tensor([[], []]), { dim: 1 })).toThrow(ShapeError);
    expect(() => msort(tensor(1))).toThrow(/msort: x must have at least one dimension/);
  });

  it('frees its intermediates', () => {
    const x = tensor(
      [
        [3, 1, 2, 5],
        [0, 4, 4, 1],
      ],
      { dtype: 'float32' },
    );
    const one = tensor(1);
    const before = x.backend.liveHandles();
    const dispose = (...ts: Tensor[]): void => ts.forEach((t) => t.dispose());
    const s = sort(x, { dim: 0 });
    dispose(s.values, s.indices);
    const k = topk(x, 2);
    dispose(k.values, k.indices);
    const m = median(x, { dim: 1 });
    dispose(m.values, m.indices);
    dispose(median(x), nanmedian(x), quantile(x, [0.2, 0.8], { dim: 1 }), argsort(x), msort(x));
    const scalar = sort(one);
    dispose(scalar.values, scalar.indices);
    expect(x.backend.liveHandles()).toBe(before);
  });
});
