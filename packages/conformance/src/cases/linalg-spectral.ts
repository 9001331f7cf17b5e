import { concat, fromHost, linalg, type Backend, type Tensor } from '@myelin/core';
import type { OpCase } from './types.js';

// linalg's spectral functions: a Jacobi iteration composed from core's ops (no primitive of their
// own) with PyTorch's analytic backward. Eigen- and singular vectors are defined up to sign, so
// the programs return sign-free quantities (V diag(c) Vᵀ, |V|); the inputs have well-separated
// spectra, where those are smooth. Core's PyTorch fixture (linalg/spectral.test.ts) checks the rest.

/** 4x4 with eigenvalues of its symmetric part -1.26, 0.47, 1.79, 3.50 and singular values 3.55 .. 0.47. */
const MATRIX = [2, 0.3, -0.5, 0.8, 0.1, -1, 0.6, 0.2, -0.7, 0.4, 0.5, -0.3, 0.6, 0.9, -0.2, 3];
/** Two 3x3 with separated eigenvalues (symmetric parts) and singular values. */
const PAIR = [1.5, 0.2, -0.4, 0.7, -0.8, 0.3, -0.2, 0.5, 2.4, 0.6, -1.1, 0.9, 0.3, 0.4, -0.6, 1, 0.8, 0.2];
const TALL = [2, 0.3, -0.5, 0.1, -1, 0.6, -0.7, 0.4, 0.5, 0.6, 0.9, -0.2];
const COVERS: OpCase['covers'] = ['matmul', 'gather', 'sort', 'reshape', 'transpose', 'sqrt', 'where', 'div'];

const symmetricPart = (a: Tensor): Tensor => a.add(a.transpose(-2, -1)).mul(0.5);
const weightsFor = (size: number, like: Tensor, backend: Backend): Tensor =>
  fromHost(
    Array.from({ length: size }, (_, i) => 1 + 0.5 * i),
    [size],
    { dtype: like.dtype, backend },
  );

/** Sign-free functions of the vectors: Q diag(c) Qᵀ-like products and |Q|, flattened beside `values`. */
function signFree(values: Tensor, left: Tensor, right: Tensor, backend: Backend): Tensor {
  const k = values.shape[values.rank - 1]!;
  const product = left.mul(weightsFor(k, left, backend)).matmul(right);
  return concat([values.flatten(), product.flatten(), left.abs().flatten(), right.abs().flatten()]);
}

export const linalgSpectralCases: OpCase[] = [
  {
    name: 'linalg.eigh of a 4x4 symmetric matrix: eigenvalues, V diag(c) Vᵀ and |V|; eigvalsh',
    covers: COVERS,
    inputs: [{ shape: [4, 4], values: MATRIX }],
    run: ([a], backend) => {
      const s = symmetricPart(a!);
      const { eigenvalues, eigenvectors } = linalg.eigh(s);
      const values = eigenvalues.add(linalg.eigvalsh(s).mul(0.5));
      return signFree(values, eigenvectors, eigenvectors.transpose(), backend);
    },
  },
  {
    // a non-symmetric matrix: the symmetric part with a constant added below the diagonal, which
    // UPLO 'U' must not read (the gradient, as PyTorch's, is that of the symmetric part)
    name: 'linalg.eigh batched 2x3x3 reading the upper triangle of a non-symmetric matrix',
    covers: COVERS,
    inputs: [{ shape: [2, 3, 3], values: PAIR }],
    run: ([a], backend) => {
      const below = fromHost([0, 0, 0, 3, 0, 0, -2, 5, 0], [3, 3], { dtype: a!.dtype, backend });
      const { eigenvalues, eigenvectors } = linalg.eigh(symmetricPart(a!).add(below), { UPLO: 'U' });
      return signFree(eigenvalues, eigenvectors, eigenvectors.transpose(1, 2), backend);
    },
  },
  {
    name: 'linalg.svd of a tall 4x3 matrix: S, U diag(c) Vh, |U| and |Vh| (full U)',
    covers: COVERS,
    inputs: [{ shape: [4, 3], values: TALL }],
    run: ([a], backend) => {
      const { U, S, Vh } = linalg.svd(a!);
      return signFree(S, U.slice([0, 0], [-1, 3]), Vh, backend);
    },
  },
  {
    name: 'linalg.svd of a wide 3x4 matrix, reduced: S, U diag(c) Vh, |U| and |Vh|',
    covers: COVERS,
    inputs: [{ shape: [3, 4], values: TALL }],
    run: ([a], backend) => {
      const { U, S, Vh } = linalg.svd(a!, { fullMatrices: false });
      return signFree(S, U, Vh, backend);
    },
  },
  {
    name: 'linalg.pinv and cond of a 4x3 matrix',
    covers: COVERS,
    inputs: [{ shape: [4, 3], values: TALL }],
    run: ([a]) => concat([linalg.pinv(a!).flatten(), linalg.cond(a!).reshape([1])]),
  },
  {
    name: 'linalg.pinv of a symmetric 3x3 matrix (hermitian), and its svdvals',
    covers: COVERS,
    inputs: [{ shape: [3, 3], values: PAIR.slice(0, 9) }],
    run: ([b]) => {
      const s = symmetricPart(b!);
      return concat([linalg.pinv(s, { hermitian: true }).flatten(), linalg.svdvals(s)]);
    },
  },
];
