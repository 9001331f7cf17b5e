import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  DTypeError,
  ShapeError,
  getBackend,
  linalg,
  tensor,
  type Backend,
  type NestedArray,
  type Tensor,
} from '@myelin/core';
import { LINALG_SPECTRAL_FIXTURE } from './spectral-fixture.js';
import { countingBackend } from '../optim/test-helpers.js';
import { spectralMatrixNorm } from './spectral.js';

type Case = (typeof LINALG_SPECTRAL_FIXTURE)[number];

const flat = (v: unknown): number[] =>
  ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : Array.isArray(v) ? v.flatMap(flat) : [v as number];
const input = (c: { input: unknown; shape: number[] }, dtype: 'float32' | 'float64' = 'float64'): Tensor =>
  tensor(c.input as NestedArray, { dtype, requiresGrad: dtype === 'float64' });
const weights = (v: unknown): Tensor => tensor(v as NestedArray, { dtype: 'float64' });

function expectClose(actual: Tensor | number[], expected: unknown, tolerance: number, what: string): void {
  const got = Array.isArray(actual) ? actual : Array.from(actual.dataSync());
  const want = flat(expected);
  expect(got.length, what).toBe(want.length);
  const scale = Math.max(1, ...want.map(Math.abs));
  const worst = Math.max(0, ...got.map((g, i) => Math.abs(g - want[i]!)));
  expect(worst / scale, what).toBeLessThan(tolerance);
}

/** The vectors along `axis` (-1: columns of [..., r, k], -2: rows of [..., k, c]) with a sign flipped to match. */
function alignSigns(actual: Tensor, expected: unknown, vectorsAlongRows: boolean): number[] {
  const got = Array.from(actual.dataSync());
  const want = flat(expected);
  const [r, c] = actual.shape.slice(-2) as [number, number];
  const out = got.slice();
  for (let base = 0; base < got.length; base += r * c) {
    const count = vectorsAlongRows ? r : c;
    for (let v = 0; v < count; v++) {
      const at = (i: number): number => base + (vectorsAlongRows ? v * c + i : i * c + v);
      let dot = 0;
      for (let i = 0; i < (vectorsAlongRows ? c : r); i++) dot += got[at(i)]! * want[at(i)]!;
      if (dot < 0) for (let i = 0; i < (vectorsAlongRows ? c : r); i++) out[at(i)] = -got[at(i)]!;
    }
  }
  return out;
}

const identityError = (q: Tensor, transposeA: boolean): number => {
  const gram = q.matmul(q, transposeA ? { transposeA } : { transposeB: true });
  const n = gram.shape[gram.rank - 1]!;
  const values = gram.dataSync();
  let worst = 0;
  for (let i = 0; i < values.length; i++) {
    const [row, col] = [Math.floor(i / n) % n, i % n];
    worst = Math.max(worst, Math.abs(values[i]! - (row === col ? 1 : 0)));
  }
  return worst;
};

const byOp = (op: string): Case[] => LINALG_SPECTRAL_FIXTURE.filter((c) => c.op === op);

describe('linalg.eigh against PyTorch', () => {
  it.each(byOp('eigh').map((c) => [c.name, c] as const))('%s', (_, c) => {
    const a = input(c);
    const { eigenvalues: L, eigenvectors: V } = linalg.eigh(a, c.options as linalg.EighOptions);
    expectClose(L, c.eigenvalues, 1e-12, 'eigenvalues');
    expectClose(alignSigns(V, c.eigenvectors, false), c.eigenvectors, 1e-10, 'eigenvectors up to sign');
    expect(identityError(V, true)).toBeLessThan(1e-12);
    const w = c.weights as Record<string, unknown>;
    const n = L.shape[L.rank - 1]!;
    const projected = V.mul(weights(w.c).reshape([n]))
      .matmul(V, { transposeB: true })
      .mul(weights(w.WP));
    L.mul(weights(w.wL))
      .sum()
      .add(projected.sum())
      .add(V.abs().mul(weights(w.WV)).sum())
      .backward();
    expectClose(a.grad!, c.grad, 1e-9, 'gradient');
  });
});

describe('linalg.svd against PyTorch', () => {
  it.each(byOp('svd').map((c) => [c.name, c] as const))('%s', (_, c) => {
    const a = input(c);
    const { U, S, Vh } = linalg.svd(a, c.options as linalg.SvdOptions);
    expect(U.shape).toEqual(c.Ushape);
    expect(Vh.shape).toEqual(c.Vhshape);
    expectClose(S, c.S, 1e-12, 'singular values');
    expect(identityError(U, true)).toBeLessThan(1e-12);
    expect(identityError(Vh, false)).toBeLessThan(1e-12);
    const k = S.shape[S.rank - 1]!;
    const Uk = U.slice(
      U.shape.map(() => 0),
      [...U.shape.slice(0, -1).map(() => -1), k],
    );
    const Vhk = Vh.slice(
      Vh.shape.map(() => 0),
      [...Vh.shape.slice(0, -2).map(() => -1), k, -1],
    );
    expectClose(Uk.mul(S.unsqueeze(-2)).matmul(Vhk), c.input, 1e-12, 'reconstruction');
    expectClose(alignSigns(Uk, c.U, false), c.U, 1e-10, 'U up to sign');
    expectClose(alignSigns(Vhk, c.Vh, true), c.Vh, 1e-10, 'Vh up to sign');
    const w = c.weights as Record<string, unknown>;
    const product = Uk.mul(weights(w.c).reshape([k]).unsqueeze(0))
      .matmul(Vhk)
      .mul(weights(w.WP))
      .sum();
    S.mul(weights(w.wS))
      .sum()
      .add(product)
      .add(Uk.abs().mul(weights(w.WU)).sum())
      .add(Vhk.abs().mul(weights(w.WV)).sum())
      .backward();
    expectClose(a.grad!, c.grad, 1e-9, 'gradient');
  });
});

const simpleOps: Record<string, (a: Tensor, options: Record<string, unknown>) => Tensor> = {
  eigvalsh: (a, o) => linalg.eigvalsh(a, o as linalg.EighOptions),
  svdvals: (a) => linalg.svdvals(a),
  pinv: (a, o) => linalg.pinv(a, o as linalg.RankOptions),
  matrixRank: (a, o) => linalg.matrixRank(a, o as linalg.RankOptions),
  cond: (a, o) => linalg.cond(a, o.p as number | undefined),
  matrixNorm: (a, o) => spectralMatrixNorm(a, o.ord as 2 | -2 | 'nuc', o.dim as [number, number], o.keepdim as boolean),
  eighValues: (a) => linalg.eigh(a).eigenvalues,
  svdS: (a, o) => linalg.svd(a, o as linalg.SvdOptions).S,
};

describe('linalg values and gradients against PyTorch', () => {
  const cases = LINALG_SPECTRAL_FIXTURE.filter((c) => c.op in simpleOps);
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const a = input(c);
    const out = simpleOps[c.op]!(a, c.options as Record<string, unknown>);
    expect(out.shape).toEqual(c.outputShape);
    if (c.op === 'matrixRank') {
      expect(out.dtype).toBe('int32');
      expect(Array.from(out.dataSync())).toEqual(flat(c.output));
      return;
    }
    expectClose(out, c.output, 1e-11, 'value');
    if (!('grad' in c)) return;
    out.mul(weights(c.W)).sum().backward();
    expectClose(a.grad!, c.grad, 1e-9, 'gradient');
  });
});

describe('linalg spectral identities', () => {
  it('completes U and Vh to orthonormal bases for rank-deficient inputs', () => {
    const rank2 = tensor(
      [
        [1, 2, 3, 4],
        [2, 4, 6, 8],
        [1, 0, 1, 0],
        [3, 4, 7, 8],
        [0, 0, 0, 0],
      ],
      { dtype: 'float64' },
    );
    for (const a of [rank2, rank2.transpose()]) {
      const { U, S, Vh } = linalg.svd(a);
      expect(identityError(U, true)).toBeLessThan(1e-12);
      expect(identityError(Vh, false)).toBeLessThan(1e-12);
      const k = S.shape[0]!;
      const Uk = U.slice([0, 0], [-1, k]);
      const Vhk = Vh.slice([0, 0], [k, -1]);
      expectClose(Uk.mul(S.unsqueeze(0)).matmul(Vhk), a.dataSync(), 1e-12, 'reconstruction');
      expect(Array.from(linalg.matrixRank(a).dataSync())).toEqual([2]);
    }
  });

  it('eigh of a matrix with repeated eigenvalues: orthonormal vectors that rebuild it', () => {
    const a = tensor(
      [
        [2, 1, 1],
        [1, 2, 1],
        [1, 1, 2],
      ],
      { dtype: 'float64' },
    );
    const { eigenvalues, eigenvectors: V } = linalg.eigh(a);
    expectClose(eigenvalues, [1, 1, 4], 1e-13, 'eigenvalues');
    expect(identityError(V, true)).toBeLessThan(1e-13);
    expectClose(V.mul(eigenvalues.unsqueeze(0)).matmul(V, { transposeB: true }), a.dataSync(), 1e-13, 'rebuilt');
  });

  it('runs on float32 with float32 accuracy', () => {
    const c = byOp('svd')[0]!;
    const a = input(c, 'float32');
    const { U, S, Vh } = linalg.svd(a);
    expect(S.dtype).toBe('float32');
    expectClose(S, c.S, 1e-5, 'singular values');
    expect(identityError(U, true)).toBeLessThan(1e-5);
    expect(identityError(Vh, false)).toBeLessThan(1e-5);
    const e = byOp('eigh')[0]!;
    expectClose(linalg.eigvalsh(input(e, 'float32')), e.eigenvalues, 1e-5, 'eigenvalues');
  });
});

describe('linalg on a backend without synchronous reads (a fixed number of sweeps)', () => {
  // cpu-reference with readSync hidden, as wasm and webgpu are: no convergence check on the host
  const asyncOnly: Backend = Object.assign(Object.create(getBackend('cpu-reference')) as Backend, {
    readSync: undefined,
    readInto: undefined,
  });
  const onAsync = (c: { input: unknown }): Tensor =>
    tensor(c.input as NestedArray, { dtype: 'float64', backend: asyncOnly });

  it('eigh and svd reach float64 accuracy', async () => {
    for (const c of byOp('eigh')) {
      const { eigenvalues } = linalg.eigh(onAsync(c), c.options as linalg.EighOptions);
      expectClose(Array.from(await eigenvalues.data()), c.eigenvalues, 1e-12, `${c.name}: eigenvalues`);
    }
    for (const c of byOp('svd')) {
      const { U, S, Vh } = linalg.svd(onAsync(c), c.options as linalg.SvdOptions);
      expect(S.backend.readSync).toBeUndefined();
      expectClose(Array.from(await S.data()), c.S, 1e-12, `${c.name}: singular values`);
      const gramU = U.matmul(U, { transposeA: true });
      const gramV = Vh.matmul(Vh, { transposeB: true });
      for (const gram of [gramU, gramV]) {
        const n = gram.shape[gram.rank - 1]!;
        const values = await gram.data();
        const worst = Math.max(
          ...Array.from(values, (v, i) => Math.abs(v - (Math.floor(i / n) % n === i % n ? 1 : 0))),
        );
        expect(worst, `${c.name}: orthogonality`).toBeLessThan(1e-12);
      }
    }
  });
});

describe('linalg spectral errors', () => {
  const square = tensor(
    [
      [1, 2],
      [3, 4],
    ],
    { dtype: 'float64' },
  );
  const wide = tensor(
    [
      [1, 2, 3],
      [4, 5, 6],
    ],
    { dtype: 'float64' },
  );
  it('names what was wrong', () => {
    expect(() => linalg.eigh(wide)).toThrow(ShapeError);
    expect(() => linalg.eigh(wide)).toThrow(/square matrices, but they are 2 by 3 matrices/);
    expect(() => linalg.eigvalsh(tensor([1, 2], { dtype: 'float64' }))).toThrow(/at least 2 dimensions/);
    expect(() => linalg.svd(tensor([[1, 2]], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(() => linalg.eigh(square, { UPLO: 'X' as 'L' })).toThrow(/UPLO must be 'L' or 'U', got "X"/);
    expect(() => linalg.svd(square, { full_matrices: false } as never)).toThrow(ArgumentError);
    expect(() => linalg.svd(square, { fullMatrices: 1 as never })).toThrow(/fullMatrices must be true or false/);
    expect(() => linalg.pinv(square, { atol: -1 })).toThrow(/atol must be a number >= 0, got -1/);
    expect(() => linalg.matrixRank(wide, { hermitian: true })).toThrow(/square matrices with hermitian: true/);
    expect(() => linalg.cond(wide, 'fro')).toThrow(/square/);
    expect(() => linalg.cond(square, 3)).toThrow(/p must be undefined, 2, -2/);
    expect(() => spectralMatrixNorm(square, 2, [1, -1], false)).toThrow(/two different dims/);
    expect(() => spectralMatrixNorm([1, 2] as never, 2, [0, 1], false)).toThrow(ArgumentError);
    expect(() => spectralMatrixNorm([1, 2] as never, 2, [0, 1], false)).toThrow(
      /^linalg.matrixNorm: A must be a Tensor/,
    );
    expect(() => spectralMatrixNorm(tensor([[1]], { dtype: 'int32' }), 2, [0, 1], false)).toThrow(
      /^linalg.matrixNorm: A must be float32 or float64, got int32/,
    );
    expect(() => spectralMatrixNorm(tensor([], { dtype: 'float64', shape: [3, 0] }), 2, [0, 1], false)).toThrow(
      /ord 2 needs at least one row and one column, got shape \[3,0\]/,
    );
  });
});

describe('linalg spectral robustness', () => {
  /** The largest error of each matrix of a batch relative to that matrix's largest |value|. */
  function expectEachClose(actual: Tensor, expected: unknown, tolerance: number, what: string): void {
    const got = Array.from(actual.dataSync());
    const want = flat(expected);
    const per = want.length / actual.shape[0]!;
    for (let b = 0; b < actual.shape[0]!; b++) {
      const wanted = want.slice(b * per, (b + 1) * per);
      const scale = Math.max(...wanted.map(Math.abs));
      const worst = Math.max(...wanted.map((w, i) => Math.abs(got[b * per + i]! - w)));
      expect(worst / scale, `${what}, matrix ${b}`).toBeLessThan(tolerance);
    }
  }
  const named = (name: string): Case => LINALG_SPECTRAL_FIXTURE.find((c) => c.name === name)!;

  it('converges each matrix of a batch that mixes scales on its own scale', () => {
    const e = named('eigvalsh batch of a small and a 1e14 matrix');
    expectEachClose(linalg.eigvalsh(input(e)), e.output, 1e-12, 'eigenvalues');
    const s = named('svdvals batch of a small and a 1e10 matrix');
    expectEachClose(linalg.svdvals(input(s)), s.output, 1e-12, 'singular values');
    const { U, Vh } = linalg.svd(input(s));
    expect(identityError(U, true)).toBeLessThan(1e-12);
    expect(identityError(Vh, false)).toBeLessThan(1e-12);
  });

  it('scales each matrix: no overflow or underflow of squared entries, float32 and float64', () => {
    const c = byOp('svd')[0]!;
    const e = byOp('eigh')[0]!;
    const times = (v: unknown, factor: number): number[] => flat(v).map((x) => x * factor);
    const scaledInput = (v: unknown, shape: number[], factor: number, dtype: 'float32' | 'float64'): Tensor =>
      tensor(times(v, factor), { dtype, shape });
    for (const factor of [1e10, 1e-10]) {
      const S = linalg.svdvals(scaledInput(c.input, c.shape, factor, 'float32'));
      expectClose(times(Array.from(S.dataSync()), 1 / factor), c.S, 1e-5, `float32 svdvals x ${factor}`);
    }
    for (const factor of [1e20, 1e-20]) {
      const L = linalg.eigvalsh(scaledInput(e.input, e.shape, factor, 'float32'));
      expectClose(times(Array.from(L.dataSync()), 1 / factor), e.eigenvalues, 1e-5, `float32 eigvalsh x ${factor}`);
    }
    for (const factor of [1e160, 1e-160]) {
      const { U, S, Vh } = linalg.svd(scaledInput(c.input, c.shape, factor, 'float64'));
      expectClose(times(Array.from(S.dataSync()), 1 / factor), c.S, 1e-12, `float64 svd x ${factor}`);
      expect(identityError(U, true)).toBeLessThan(1e-12);
      expect(identityError(Vh, false)).toBeLessThan(1e-12);
      const L = linalg.eigvalsh(scaledInput(e.input, e.shape, factor, 'float64'));
      expectClose(times(Array.from(L.dataSync()), 1 / factor), e.eigenvalues, 1e-12, `float64 eigvalsh x ${factor}`);
    }
  });

  it('stops after one sweep for a zero matrix and at once for NaN input', () => {
    // host reads: one convergence check per sweep, plus the sort's; a diagonal matrix takes one sweep
    for (const dtype of ['float32', 'float64'] as const) {
      const { backend, reads } = countingBackend();
      const readsOf = (values: number[], op: (a: Tensor) => Tensor): { count: number; out: number[] } => {
        const a = tensor(values, { dtype, shape: [4, 4], backend });
        const start = reads();
        const out = op(a);
        const count = reads() - start;
        return { count, out: Array.from(out.dataSync()) };
      };
      const diagonal = [1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4];
      const zeros = new Array<number>(16).fill(0);
      const nan = diagonal.map((v, i) => (i === 9 ? NaN : v)); // in the lower triangle, which eigvalsh reads
      for (const [name, op] of [
        ['eigvalsh', (a: Tensor) => linalg.eigvalsh(a)],
        ['svdvals', (a: Tensor) => linalg.svdvals(a)],
      ] as const) {
        const once = readsOf(diagonal, op).count;
        const zero = readsOf(zeros, op);
        expect(zero.count, `${dtype} ${name} of zeros`).toBe(once);
        expect(zero.out).toEqual([0, 0, 0, 0]);
        const poisoned = readsOf(nan, op);
        expect(poisoned.count, `${dtype} ${name} of NaN`).toBe(once);
        expect(poisoned.out.every(Number.isNaN), `${dtype} ${name} of NaN`).toBe(true);
      }
    }
  });

  it('completes U for a tall rank-deficient input without an l x l eigenproblem', () => {
    // rank 2 of 60 x 4: U is 60 x 60, its 58 completing columns orthonormal to the first two
    const columns = [0, 1, 2, 3].map((j) => Array.from({ length: 60 }, (_, i) => Math.sin(i * (j + 1) * 0.37 + j)));
    const values = Array.from({ length: 60 }, (_, i) => [
      columns[0]![i]!,
      columns[1]![i]!,
      columns[0]![i]! + columns[1]![i]!,
      columns[0]![i]! * 2,
    ]);
    const a = tensor(values, { dtype: 'float64' });
    const { U, S, Vh } = linalg.svd(a);
    expect(U.shape).toEqual([60, 60]);
    expect(identityError(U, true)).toBeLessThan(1e-12);
    expect(identityError(Vh, false)).toBeLessThan(1e-12);
    expectClose(U.slice([0, 0], [-1, 4]).mul(S.unsqueeze(0)).matmul(Vh), flat(values), 1e-12, 'reconstruction');
    expect(Array.from(linalg.matrixRank(a).dataSync())).toEqual([2]);
  });

  it('leaves no handles behind, and a recorded decomposition keeps only its factors', () => {
    const backend = getBackend();
    const a = tensor(flat(byOp('svd')[0]!.input), { dtype: 'float64', shape: [4, 4] });
    const ops: [string, () => Tensor][] = [
      ['cond', () => linalg.cond(a)],
      ['matrixRank', () => linalg.matrixRank(a)],
      ['matrixRank hermitian', () => linalg.matrixRank(a, { hermitian: true })],
      ['matrixNorm', () => spectralMatrixNorm(a, 'nuc', [0, 1], true)],
      ['svdvals', () => linalg.svdvals(a)],
      ['pinv', () => linalg.pinv(a)],
    ];
    for (const [name, op] of ops) {
      const before = backend.liveHandles();
      const out = op();
      expect(backend.liveHandles() - before, name).toBe(1);
      out.dispose();
    }
    const recorded = tensor(
      Array.from({ length: 120 }, (_, i) => Math.sin(i)),
      { dtype: 'float64', shape: [40, 3], requiresGrad: true },
    );
    const before = backend.liveHandles();
    const { U, S, Vh } = linalg.svd(recorded);
    // the factors, their recorded packing and the narrowed factors gradFunc reads (was 121)
    expect(backend.liveHandles() - before).toBeLessThanOrEqual(15);
    S.sum().add(U.sum()).add(Vh.sum()).backward();
    expect(recorded.grad!.shape).toEqual([40, 3]);
  });
});

describe('linalg spectral functions of empty inputs (as PyTorch)', () => {
  const empty = (shape: number[]): Tensor => tensor([], { dtype: 'float64', shape, requiresGrad: true });
  it('give empty or identity results of the right shapes', () => {
    expect(linalg.eigvalsh(empty([0, 3, 3])).shape).toEqual([0, 3]);
    const { eigenvalues, eigenvectors } = linalg.eigh(empty([2, 0, 0]));
    expect([eigenvalues.shape, eigenvectors.shape]).toEqual([
      [2, 0],
      [2, 0, 0],
    ]);
    const full = linalg.svd(empty([3, 0]));
    expect([full.U.shape, full.S.shape, full.Vh.shape]).toEqual([[3, 3], [0], [0, 0]]);
    expect(Array.from(full.U.dataSync())).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const reduced = linalg.svd(empty([3, 0]), { fullMatrices: false });
    expect([reduced.U.shape, reduced.Vh.shape]).toEqual([
      [3, 0],
      [0, 0],
    ]);
    expect(linalg.svd(empty([0, 2, 3])).U.shape).toEqual([0, 2, 2]);
    expect(linalg.svdvals(empty([2, 0, 3])).shape).toEqual([2, 0]);
    expect(linalg.pinv(empty([3, 0])).shape).toEqual([0, 3]);
    expect(linalg.pinv(empty([0, 3, 2])).shape).toEqual([0, 2, 3]);
    expect(Array.from(linalg.matrixRank(empty([0, 3])).dataSync())).toEqual([0]);
    expect(linalg.matrixRank(empty([0, 2, 3])).shape).toEqual([0]);
    expect(linalg.cond(empty([0, 2, 2])).shape).toEqual([0]);
    expect(() => linalg.cond(empty([3, 0]))).toThrow(/at least one row and one column, got shape \[3,0\]/);
  });

  it('give empty gradients', () => {
    const a = empty([3, 0]);
    linalg.svdvals(a).sum().backward();
    expect(a.grad!.shape).toEqual([3, 0]);
    const b = empty([0, 3, 3]);
    const { eigenvalues, eigenvectors } = linalg.eigh(b);
    eigenvalues.sum().add(eigenvectors.sum()).backward();
    expect(b.grad!.shape).toEqual([0, 3, 3]);
  });
});
