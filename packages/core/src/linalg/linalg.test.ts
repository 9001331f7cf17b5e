import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  DTypeError,
  ShapeError,
  dispose,
  getBackend,
  linalg,
  matmul,
  tensor,
  transpose,
  type Tensor,
} from '@myelin/core';
import { PYTORCH_LINALG } from './linalg-fixture.js';
import { flat } from '../ops/test-helpers.js';

type Case = (typeof PYTORCH_LINALG.cases)[number];

/** What the fixture's case computes, in Myelin: its outputs in torch's order. */
function run(c: Case, inputs: Tensor[]): Tensor[] {
  const a = c.args as Record<string, unknown>;
  const [x, y] = inputs as [Tensor, Tensor];
  const options = Object.fromEntries(
    Object.entries(a).filter(([key]) => key !== 'ord' && key !== 'n' && key !== 'mode'),
  );
  const ord = a['ord'] as number | 'fro' | undefined;
  switch (c.op) {
    case 'vectorNorm':
      return [linalg.vectorNorm(x, ord as number, options)];
    case 'matrixNorm':
      return [linalg.matrixNorm(x, ord, options)];
    case 'norm':
      return [linalg.norm(x, ord, options)];
    case 'det':
      return [linalg.det(x)];
    case 'slogdet': {
      const { sign, logabsdet } = linalg.slogdet(x);
      return [sign, logabsdet];
    }
    case 'logdet':
      return [linalg.logdet(x)];
    case 'inv':
      return [linalg.inv(x)];
    case 'solve':
      return [linalg.solve(x, y, options)];
    case 'solveTriangular':
      return [linalg.solveTriangular(x, y, options as unknown as linalg.SolveTriangularOptions)];
    case 'cholesky':
      return [linalg.cholesky(x, options)];
    case 'choleskyInverse':
      return [linalg.choleskyInverse(x, options)];
    case 'luFactor': {
      const { LU, pivots } = linalg.luFactor(x);
      return [LU, pivots];
    }
    case 'lu': {
      const { P, L, U } = linalg.lu(x);
      return [P, L, U];
    }
    case 'luSolve': {
      const { LU, pivots } = linalg.luFactor(x);
      return [linalg.luSolve(LU, pivots, y, options)];
    }
    case 'qr': {
      const { Q, R } = linalg.qr(x, a['mode'] as linalg.QrMode);
      return [Q, R];
    }
    case 'lstsq':
      return [linalg.lstsq(x, y).solution];
    case 'matrixPower':
      return [linalg.matrixPower(x, a['n'] as number)];
    case 'multiDot':
      return [linalg.multiDot(inputs)];
    case 'vecdot':
      return [linalg.vecdot(x, y, options)];
    case 'matrixExp':
      return [linalg.matrixExp(x)];
    default:
      throw new Error(`no Myelin op for ${c.op}`);
  }
}

/** The largest |ours - torch's| relative to max(1, |torch's|). */
function worst(actual: ArrayLike<number>, expected: readonly number[]): number {
  expect(actual.length).toBe(expected.length);
  let error = 0;
  for (let i = 0; i < expected.length; i++) {
    const want = expected[i]!;
    const got = actual[i]!;
    if (Number.isNaN(want) && Number.isNaN(got)) continue;
    if (want === got) continue;
    error = Math.max(error, Math.abs(got - want) / Math.max(1, Math.abs(want)));
  }
  return error;
}

describe('torch.linalg parity (float64, cpu-reference)', () => {
  for (const c of PYTORCH_LINALG.cases) {
    it(c.name, () => {
      const inputs = c.inputs.map((v) => tensor(v as never, { dtype: 'float64', requiresGrad: true }));
      const outputs = run(c, inputs);
      outputs.forEach((out, i) => {
        const want = c.outputs[i]!;
        expect(out.dtype).toBe(c.dtypes[i] === 'int32' ? 'int32' : 'float64');
        expect(worst(out.dataSync(), flat(want)), `output ${i}`).toBeLessThan(1e-10);
        if (Array.isArray(want) && flat(want).length > 0) expect(out.rank).toBeGreaterThan(0);
      });
      // The loss sum(output_i * w_i) over the float outputs (a constant output adds nothing).
      const weights = c.weights as unknown[];
      const loss = outputs
        .map((out, i) =>
          weights[i] === null ? null : out.mul(tensor(weights[i] as never, { dtype: 'float64' })).sum(),
        )
        .filter((term): term is Tensor => term !== null && term.requiresGrad)
        .reduce((sum: Tensor | null, term) => (sum === null ? term : sum.add(term)), null);
      if ('gradients' in c) {
        loss?.backward();
        inputs.forEach((input, i) => {
          const want = flat((c.gradients as unknown[])[i]);
          const got = input.grad === null ? want.map(() => 0) : input.grad.dataSync();
          expect(worst(got, want), `gradient ${i}`).toBeLessThan(1e-9);
        });
      } else {
        expect(() => loss!.backward()).toThrow(ArgumentError);
      }
    });
  }
});

const seeded = (shape: number[], seed: number, dtype: 'float32' | 'float64' = 'float64'): Tensor => {
  // A fixed pseudo-random fill (no Math.random in tests): a linear congruential sequence in [-1, 1).
  let state = seed;
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: size }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state / 2147483648) * 2 - 1;
  });
  return tensor(values, { dtype }).reshape(shape);
};
const eyeLike = (n: number, dtype: 'float32' | 'float64' = 'float64'): Tensor =>
  tensor(
    Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0)),
    { dtype },
  ).reshape([n, n]);
const maxAbsDiff = (x: Tensor, y: Tensor): number => Math.max(...x.sub(y).abs().dataSync());

describe('linalg identities', () => {
  const a = seeded([2, 5, 5], 7).add(eyeLike(5).mul(3));
  it('A inv(A) = I and A solve(A, B) = B', () => {
    expect(maxAbsDiff(matmul(a, linalg.inv(a)), eyeLike(5))).toBeLessThan(1e-12);
    const b = seeded([5, 3], 11);
    expect(maxAbsDiff(matmul(a, linalg.solve(a, b)), b)).toBeLessThan(1e-12);
  });
  it('L Lᵀ = A for a symmetric positive-definite A', () => {
    const spd = matmul(a, transpose(a)).add(eyeLike(5));
    const l = linalg.cholesky(spd);
    expect(maxAbsDiff(matmul(l, transpose(l)), spd)).toBeLessThan(1e-12);
    expect(maxAbsDiff(linalg.cholesky(spd, { upper: true }), transpose(l))).toBe(0);
  });
  it('P L U = A', () => {
    const { P, L, U } = linalg.lu(a);
    expect(maxAbsDiff(matmul(P, matmul(L, U)), a)).toBeLessThan(1e-12);
  });
  it('QᵀQ = I and Q R = A, tall, wide and complete', () => {
    for (const [shape, mode] of [
      [[2, 6, 3], 'reduced'],
      [[3, 5], 'reduced'],
      [[6, 3], 'complete'],
    ] as const) {
      const x = seeded([...shape], 3);
      const { Q, R } = linalg.qr(x, mode);
      const k = Q.shape[Q.rank - 1]!;
      expect(maxAbsDiff(matmul(transpose(Q), Q), eyeLike(k))).toBeLessThan(1e-12);
      expect(maxAbsDiff(matmul(Q, R), x)).toBeLessThan(1e-12);
    }
  });
  it('det agrees with exp(logabsdet) and the sign; a singular matrix has det 0', () => {
    const { sign, logabsdet } = linalg.slogdet(a);
    expect(maxAbsDiff(linalg.det(a), sign.mul(logabsdet.exp()))).toBeLessThan(1e-9);
    const singular = tensor(PYTORCH_LINALG.errors.singular, { dtype: 'float64' });
    expect(Math.abs(linalg.det(singular).dataSync()[0]!)).toBe(Math.abs(PYTORCH_LINALG.errors.detSingular));
  });
  it('runs in float32', () => {
    const a32 = a.cast('float32');
    const b32 = seeded([5, 2], 5, 'float32');
    const x = linalg.solve(a32, b32);
    expect(x.dtype).toBe('float32');
    expect(maxAbsDiff(matmul(a32, x), b32)).toBeLessThan(1e-5);
    const { Q, R } = linalg.qr(a32);
    expect(maxAbsDiff(matmul(Q, R), a32)).toBeLessThan(1e-5);
    expect(linalg.det(a32).dtype).toBe('float32');
  });
});

describe('torch.linalg parity (float32 values, cpu-reference)', () => {
  for (const c of PYTORCH_LINALG.float32) {
    it(c.name, () => {
      const [x, y] = c.inputs.map((v) => tensor(v as never, { dtype: 'float32' })) as [Tensor, Tensor];
      const outputs =
        c.name === 'solve'
          ? [linalg.solve(x, y)]
          : c.name === 'det'
            ? [linalg.det(x)]
            : (({ Q, R }) => [Q, R])(linalg.qr(x));
      outputs.forEach((out, i) => {
        expect(out.dtype).toBe('float32');
        const want = flat(c.outputs[i]);
        // Relative to each of torch's values (R's entries span 1e-25 to 1): a few float32 ulps.
        out
          .dataSync()
          .forEach((got, j) => expect(Math.abs(got - want[j]!)).toBeLessThan(1e-6 * Math.abs(want[j]!) + 1e-30));
      });
    });
  }
});

describe('linalg edge cases', () => {
  it('matrixExp of 0x0 matrices is empty, as torch', () => {
    const empty = tensor([], { dtype: 'float64' }).reshape([2, 0, 0]);
    const result = linalg.matrixExp(empty);
    expect(result.shape).toEqual([2, 0, 0]);
  });
  it('a zero pivot of U leaves the determinant 0 with the gradient 0, as torch', () => {
    const x = tensor(
      [
        [1, 2],
        [2, 4],
      ],
      { dtype: 'float32', requiresGrad: true },
    );
    linalg.det(x).backward();
    expect(Array.from(x.grad!.dataSync())).toEqual([0, -0, -0, 0]);
  });
});

describe('linalg errors', () => {
  const singular = tensor(PYTORCH_LINALG.errors.singular, { dtype: 'float64' });
  const indefinite = tensor(PYTORCH_LINALG.errors.indefinite, { dtype: 'float64' });
  it("reports singular and indefinite inputs as torch's messages do", () => {
    expect(() => linalg.solve(singular, tensor([1, 1, 1], { dtype: 'float64' }))).toThrow(
      /^linalg\.solve: The solver failed because the input matrix is singular/,
    );
    expect(() => linalg.inv(singular)).toThrow(
      /^linalg\.inv: The diagonal element 3 is zero, the inversion could not be completed because the input matrix is singular\.$/,
    );
    expect(() => linalg.cholesky(indefinite)).toThrow(PYTORCH_LINALG.errors.cholesky);
    const batch = tensor(
      [
        PYTORCH_LINALG.errors.indefinite.map((row, i) => row.map((_, j) => (i === j ? 2 : 0))),
        PYTORCH_LINALG.errors.indefinite,
      ],
      {
        dtype: 'float64',
      },
    );
    expect(() => linalg.cholesky(batch)).toThrow(PYTORCH_LINALG.errors.choleskyBatch);
  });
  it('names wrong shapes, dtypes and options', () => {
    const rect = seeded([3, 4], 1);
    expect(() => linalg.inv(rect)).toThrow(ShapeError);
    expect(() => linalg.det(rect)).toThrow(
      /linalg\.det: A must be a batch of square matrices, got shape \[3, ?4\] \(3 x 4\)/,
    );
    expect(() => linalg.det(tensor([1, 2], { dtype: 'float64' }))).toThrow(/matrix or a batch of matrices/);
    expect(() =>
      linalg.cholesky(
        tensor(
          [
            [1, 0],
            [0, 1],
          ],
          { dtype: 'int32' },
        ),
      ),
    ).toThrow(DTypeError);
    expect(() => linalg.solve(seeded([3, 3], 2), seeded([4, 2], 3))).toThrow(/do not fit A X = B \(3 vs 4\)/);
    expect(() => linalg.solve(seeded([3, 3], 2), seeded([3, 2], 3, 'float32'))).toThrow(DTypeError);
    expect(() => linalg.solve(seeded([3, 3], 2), seeded([3], 3), { left: false })).toThrow(/read as a column \[3, 1\]/);
    expect(() => linalg.solve(seeded([2, 3, 3], 2), seeded([4, 3, 1], 3))).toThrow(ShapeError);
    expect(() => linalg.cholesky(seeded([3, 3], 2), { uper: true } as never)).toThrow(ArgumentError);
    expect(() => linalg.solveTriangular(seeded([3, 3], 2), seeded([3, 1], 3), {} as never)).toThrow(
      /upper must be true or false, got undefined/,
    );
    expect(() => linalg.qr(rect, 'full' as never)).toThrow(/mode must be one of 'reduced', 'complete', 'r', got full/);
    expect(() => linalg.norm(seeded([2, 2, 2], 1), 1)).toThrow(/1-D \(vector\) or 2-D \(matrix\) input, got rank 3/);
    expect(() => linalg.norm(rect, undefined, { dim: [0, 1, 1] })).toThrow(/one or two axes/);
    expect(() => linalg.vectorNorm(rect, Number.NaN)).toThrow(ArgumentError);
    expect(() => linalg.matrixPower(seeded([3, 3], 1), 1.5)).toThrow(/n must be an integer, got 1\.5/);
    expect(() => linalg.multiDot([rect])).toThrow(/at least 2 tensors/);
    expect(() => linalg.multiDot([rect, rect])).toThrow(
      /tensors 0 and 1 cannot be multiplied: \[3, ?4\] and \[3, ?4\]/,
    );
    const { LU, pivots } = linalg.luFactor(seeded([3, 3], 4));
    expect(() => linalg.luSolve(LU, pivots.cast('float64'), seeded([3, 1], 3))).toThrow(/pivots must be int32/);
    expect(() => linalg.lstsq(seeded([4, 2], 1), seeded([3, 1], 2))).toThrow(/must have A's 4 rows/);
  });
  it("refuses qr's gradient where torch does", () => {
    const x = seeded([4, 3], 9);
    x.requiresGrad = true;
    expect(() => linalg.qr(x, 'r').R.sum().backward()).toThrow(/mode='r'/);
  });
});

describe('linalg memory', () => {
  const spd = (): Tensor => {
    const x = seeded([2, 4, 4], 5);
    return matmul(x, transpose(x)).add(eyeLike(4));
  };
  const pivots = tensor(
    [
      [2, 2, 4, 4],
      [1, 3, 3, 4],
    ],
    { dtype: 'int32' },
  );
  const wide = seeded([2, 4], 4);
  const wideRhs = seeded([2], 6);
  const ops: [string, (a: Tensor, b: Tensor) => Tensor[]][] = [
    ['solve', (a, b) => [linalg.solve(a, b)]],
    ['inv', (a) => [linalg.inv(a)]],
    ['det', (a) => [linalg.det(a)]],
    ['slogdet', (a) => Object.values(linalg.slogdet(a))],
    ['cholesky', (a) => [linalg.cholesky(a)]],
    ['choleskyInverse', (a) => [linalg.choleskyInverse(a, { upper: true })]],
    ['qr', (a) => Object.values(linalg.qr(a))],
    ['lu', (a) => Object.values(linalg.lu(a))],
    ['luFactor', (a) => Object.values(linalg.luFactor(a))],
    ['solveTriangular', (a, b) => [linalg.solveTriangular(a, b, { upper: true })]],
    ['lstsq', (a, b) => Object.values(linalg.lstsq(a, b))],
    ['lstsq wide', () => Object.values(linalg.lstsq(wide, wideRhs))],
    ['matrixExp', (a) => [linalg.matrixExp(a)]],
    ['luSolve', (a, b) => [linalg.luSolve(a, pivots, b)]],
    ['matrixNorm', (a) => [linalg.matrixNorm(a, 1)]],
  ];
  for (const [name, op] of ops) {
    it(`${name} leaks nothing, with and without a gradient`, () => {
      const backend = getBackend();
      const a = spd().mul(0.1);
      const b = seeded([4, 2], 8);
      const before = backend.liveHandles();
      dispose(op(a, b));
      expect(backend.liveHandles()).toBe(before);
      for (const input of [a, b, wide]) input.requiresGrad = true;
      const outputs = op(a, b);
      const sums = outputs.filter((o) => o.requiresGrad).map((o) => o.sum());
      const totals = sums.slice(1).reduce((partial: Tensor[], t) => [...partial, partial.at(-1)!.add(t)], [sums[0]!]);
      totals.at(-1)!.backward();
      expect([a, b, wide].some((input) => input.grad !== null)).toBe(true);
      dispose([sums, totals, outputs]);
      for (const input of [a, b, wide]) input.grad = null;
      expect(backend.liveHandles()).toBe(before);
    });
  }

  it("matrixNorm's spectral orders (2, -2, 'nuc') through svdvals, values and gradients as torch", () => {
    // torch.linalg.matrix_norm(tensor([[3., 0.], [4., 5.]], dtype=float64), ord) and its gradient
    const expected: [2 | -2 | 'nuc', number, number[]][] = [
      [2, 6.70820393249937, [0.223606797749979, 0.223606797749979, 0.6708203932499367, 0.6708203932499367]],
      [-2, 2.2360679774997894, [0.6708203932499367, -0.6708203932499367, -0.2236067977499789, 0.2236067977499789]],
      ['nuc', 8.94427190999916, [0.8944271909999156, -0.4472135954999577, 0.44721359549995776, 0.8944271909999156]],
    ];
    for (const [ord, value, gradient] of expected) {
      const a = tensor(
        [
          [3, 0],
          [4, 5],
        ],
        { dtype: 'float64', requiresGrad: true },
      );
      const n = linalg.matrixNorm(a, ord);
      expect(n.dataSync()[0]).toBeCloseTo(value, 12);
      n.backward();
      Array.from(a.grad!.dataSync()).forEach((g, i) => expect(g).toBeCloseTo(gradient[i]!, 10));
      // norm dispatches a 2-D input to matrixNorm; keepdim keeps both axes
      expect(linalg.norm(a, ord).dataSync()[0]).toBeCloseTo(value, 12);
      expect(linalg.matrixNorm(a, ord, { keepdim: true }).shape).toEqual([1, 1]);
    }
  });

  it("cond's inverse-based orders (1, -1, ±Infinity, 'fro', 'nuc'): torch's values, Infinity when singular", () => {
    // torch.linalg.cond(A, p); gradients of matrix_norm(A, p) * matrix_norm(inv(A), p), as torch
    // 1.13's own cond backward fails for these p (an in-place inverse)
    const expected: [number | string, number, number[]][] = [
      [
        1,
        4.444444444444445,
        [
          -2.71604938271605, 1.432098765432099, -0.24691358024691362, 2.3765432098765435, -0.4197530864197531,
          0.6604938271604939, -1.358024691358025, 0.9382716049382717, 0.3209876543209877,
        ],
      ],
      [
        -Infinity,
        1.3333333333333335,
        [
          0.29629629629629634, 0.5740740740740742, -0.07407407407407408, 0.2962962962962963, -0.2592592592592593,
          0.14814814814814817, -0.7407407407407407, 0.6481481481481483, -0.3703703703703704,
        ],
      ],
      [
        'fro',
        5.066228051190222,
        [
          -1.7636760712116026, 1.5205994727959105, -0.46239383006894874, 1.5205994727959107, -0.705470428484641,
          0.595811812658013, -0.46239383006894874, 0.595811812658013, 0.3527352142423207,
        ],
      ],
      [
        'nuc',
        12.000000000000002,
        [
          -2.5000000000000044, 2.1666666666666687, -0.6666666666666673, 2.1666666666666683, -1.0000000000000004,
          0.8333333333333343, -0.6666666666666671, 0.8333333333333338, 0.5000000000000004,
        ],
      ],
    ];
    for (const [p, value, gradient] of expected) {
      const a = tensor(
        [
          [2, 1, 0],
          [1, 3, 1],
          [0, 1, 4],
        ],
        { dtype: 'float64', requiresGrad: true },
      );
      const c = linalg.cond(a, p);
      expect(c.dataSync()[0]).toBeCloseTo(value, 12);
      c.backward();
      Array.from(a.grad!.dataSync()).forEach((g, i) => expect(g).toBeCloseTo(gradient[i]!, 10));
    }
    const singular = tensor(
      [
        [1, 2],
        [2, 4],
      ],
      { dtype: 'float64' },
    );
    for (const p of [1, 'fro', Infinity]) expect(linalg.cond(singular, p).dataSync()[0]).toBe(Infinity);
    expect(() => linalg.cond(singular, 3)).toThrow(
      /p must be undefined, 2, -2, 1, -1, Infinity, -Infinity, 'fro' or 'nuc', got 3/,
    );
  });
});
