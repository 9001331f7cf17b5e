import { noGrad } from '../autograd/grad-mode.js';
import {
  abs,
  add,
  ceil,
  div,
  equal,
  greater,
  isFinite,
  log2,
  logicalNot,
  logicalOr,
  maximum,
  mul,
  pow,
  sub,
  where,
} from '../ops/elementwise.js';
import { matmul } from '../ops/linalg.js';
import { expand, reshape } from '../ops/movement.js';
import { max, sum } from '../ops/reduce.js';
import { eye } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkMatrices } from './checks.js';
import { solve } from './solve.js';

// Higham (2005), "The scaling and squaring method for the matrix exponential revisited": the
// [13/13] Padé coefficients and the 1-norm up to which it is accurate to float64's precision.
const PADE_13 = [
  64764752532480000, 32382376266240000, 7771770303897600, 1187353796428800, 129060195264000, 10559470521600,
  670442572800, 33522128640, 1323241920, 40840800, 960960, 16380, 182, 1,
];
const THETA_13 = 5.371920351148152;
/** Squarings done where the backend cannot read the norms back: enough for any 1-norm below 2^40 θ. */
const BLIND_SQUARINGS = 40;

/**
 * torch.linalg.matrix_exp: exp(A) by scaling and squaring with the [13/13] Padé approximant,
 * composed from matmul and solve, so it differentiates on every backend. Each matrix is scaled
 * by 2^-s with s from its own 1-norm (at most 1024 squarings for a finite float64 norm, 128 for
 * float32); where the backend cannot read back, the squarings run to 40 and are skipped (selected
 * away) past each matrix's s. A matrix with a non-finite norm (an Infinity or NaN in it) gives all
 * NaN, as torch's.
 */
export function matrixExp(a: Tensor): Tensor {
  checkMatrices('matrixExp', 'A', a, true);
  const n = a.shape[a.rank - 1]!;
  if (n === 0) return composite(() => add(a, 0));
  return composite(() => {
    const [squarings, finite] = noGrad((): [Tensor, Tensor] => {
      const norm = reshape(max(sum(abs(a), -2), -1, true), [...a.shape.slice(0, -2), 1, 1]);
      const s = maximum(ceil(log2(div(norm, THETA_13))), 0);
      const ok = isFinite(norm);
      return [where(logicalOr(equal(norm, 0), logicalNot(ok)), 0, s), ok];
    });
    const scaled = div(a, pow(2, squarings));
    const identity = expand(eye(n, { dtype: a.dtype, backend: a.backend }), a.shape);
    const a2 = matmul(scaled, scaled);
    const a4 = matmul(a2, a2);
    const a6 = matmul(a4, a2);
    const b = PADE_13;
    const combine = (terms: [number, Tensor][]): Tensor =>
      terms.map(([c, t]) => mul(t, c)).reduce((acc, t) => add(acc, t));
    const u = matmul(
      scaled,
      add(
        matmul(
          a6,
          combine([
            [b[13]!, a6],
            [b[11]!, a4],
            [b[9]!, a2],
          ]),
        ),
        combine([
          [b[7]!, a6],
          [b[5]!, a4],
          [b[3]!, a2],
          [b[1]!, identity],
        ]),
      ),
    );
    const v = add(
      matmul(
        a6,
        combine([
          [b[12]!, a6],
          [b[10]!, a4],
          [b[8]!, a2],
        ]),
      ),
      combine([
        [b[6]!, a6],
        [b[4]!, a4],
        [b[2]!, a2],
        [b[0]!, identity],
      ]),
    );
    let result = solve(sub(v, u), add(v, u));
    // Non-finite counts are already 0 (their matrices become NaN below); the filter keeps the loop
    // finite even where a backend's comparisons would let an Infinity through.
    const count = a.backend.readSync
      ? Math.max(0, ...Array.from(squarings.dataSync()).filter(Number.isFinite))
      : BLIND_SQUARINGS;
    for (let i = 0; i < count; i++) {
      const squared = matmul(result, result);
      result = where(greater(squarings, i), squared, result);
    }
    return where(finite, result, NaN);
  });
}
