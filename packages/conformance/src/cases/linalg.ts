import { concat, eye, full, linalg, matmul, transpose, tril, triu, where } from '@myelin/core';
import type { Backend, Tensor } from '@myelin/core';
import type { OpCase } from './types.js';

// torch.linalg's solves and factorizations (core's linalg/): column loops of batched ops with
// PyTorch's gradients attached by customGrad. These cases run them, with their gradients, on
// every backend; core checks each against PyTorch (linalg/linalg.test.ts). Inputs are made
// well-conditioned (x + 4 I, x xᵀ + I) so float32 backends and finite differences agree.

const flat = (x: Tensor): Tensor => x.reshape([-1]);
const shifted = (x: Tensor, backend: Backend, by = 4): Tensor =>
  x.add(eye(x.shape[x.rank - 1]!, { dtype: x.dtype, backend }).mul(by));
const positiveDefinite = (x: Tensor, backend: Backend): Tensor => shifted(matmul(x, transpose(x)), backend, 1);

export const linalgCases: OpCase[] = [
  {
    name: 'linalg.solve (matrix, broadcast batch) and linalg.inv times linalg.det',
    covers: ['matmul', 'argmax', 'where', 'slice', 'sum'],
    inputs: [{ shape: [2, 3, 3] }, { shape: [3, 2] }],
    run: ([x, b], backend) => {
      const a = shifted(x!, backend);
      return concat([flat(linalg.solve(a, b!)), flat(linalg.inv(a).mul(linalg.det(a).reshape([2, 1, 1])))], 0);
    },
  },
  {
    name: 'linalg.cholesky (lower and upper), choleskyInverse and logdet of a positive-definite matrix',
    covers: ['sqrt', 'div', 'mul', 'sub', 'where'],
    inputs: [{ shape: [4, 4] }],
    run: ([x], backend) => {
      const a = positiveDefinite(x!, backend);
      return concat(
        [
          flat(linalg.cholesky(a)),
          flat(linalg.cholesky(a, { upper: true }).mul(0.5)),
          flat(linalg.choleskyInverse(linalg.cholesky(a))),
          linalg.logdet(a).reshape([1]),
        ],
        0,
      );
    },
  },
  {
    name: 'linalg.qr (tall, reduced) and linalg.lstsq',
    covers: ['matmul', 'sqrt', 'greaterEqual', 'where', 'transpose'],
    inputs: [{ shape: [4, 3] }, { shape: [4, 2] }],
    run: ([a, b]) => {
      const { Q, R } = linalg.qr(a!);
      return concat([flat(Q), flat(R), flat(linalg.lstsq(a!, b!).solution)], 0);
    },
  },
  {
    name: 'linalg.lu (L and U), luSolve with the adjoint, slogdet, luFactor of a wide matrix',
    covers: ['argmax', 'equal', 'where', 'sum', 'matmul'],
    // Distinct column magnitudes: the pivot order holds within a finite difference's step.
    inputs: [{ shape: [3, 3], values: [0.5, 2.0, -1.0, 3.5, -1.0, 0.5, -1.5, 1.2, 2.4] }, { shape: [3, 2] }],
    run: ([a, b]) => {
      const { L, U } = linalg.lu(a!);
      const { LU, pivots } = linalg.luFactor(a!);
      return concat(
        [
          flat(L),
          flat(U),
          flat(linalg.luSolve(LU, pivots, b!, { adjoint: true })),
          linalg.slogdet(a!).logabsdet.reshape([1]),
          flat(linalg.luFactor(a!.slice([0, 0], [2, 3])).LU),
        ],
        0,
      );
    },
  },
  {
    name: 'linalg.solveTriangular (upper, right side), matrixNorm, vectorNorm, matrixPower',
    covers: ['abs', 'max', 'sum', 'matmul', 'where'],
    inputs: [{ shape: [3, 3] }, { shape: [2, 3] }],
    run: ([x, b], backend) => {
      const a = shifted(x!, backend);
      return concat(
        [
          flat(linalg.solveTriangular(a, b!, { upper: true, left: false })),
          linalg.matrixNorm(x!, 1).reshape([1]),
          linalg.vectorNorm(b!, 3, { dim: 1 }),
          flat(linalg.matrixPower(a, -2)),
        ],
        0,
      );
    },
  },
  {
    name: 'linalg.solveTriangular never reads the ignored triangle (Infinity there), qr of huge and tiny columns',
    covers: ['where', 'max', 'maximum', 'sqrt', 'matmul'],
    inputs: [{ shape: [3, 3] }, { shape: [3, 2] }, { shape: [3, 2] }],
    run: ([x, b, c], backend) => {
      const a = shifted(x!, backend);
      const options = { dtype: a.dtype, backend };
      const below = tril(full([3, 3], 1, options), -1).equal(1);
      const upper = where(below, Infinity, triu(a));
      const lower = where(triu(full([3, 3], 1, options)).equal(1), Infinity, tril(a, -1));
      // Squares of these overflow (or underflow) the dtype; qr scales them as LAPACK's dnrm2.
      const huge = a.dtype === 'float32' ? 1e20 : 1e160;
      const tiny = a.dtype === 'float32' ? 1e-25 : 1e-160;
      const big = linalg.qr(c!.mul(huge));
      const small = linalg.qr(c!.mul(tiny));
      return concat(
        [
          flat(linalg.solveTriangular(upper, b!, { upper: true })),
          flat(linalg.solveTriangular(lower, b!, { upper: false, unitriangular: true })),
          flat(big.Q),
          flat(big.R.mul(1 / huge)),
          flat(small.Q),
          flat(small.R.mul(1 / tiny)),
        ],
        0,
      );
    },
  },
];
