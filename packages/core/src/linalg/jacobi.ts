import type { FloatDType } from '../backend/dtypes.js';
import { noGrad } from '../autograd/grad-mode.js';
import { eye, fromHost } from '../tensor/creation.js';
import { dispose, tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { cast, where } from '../ops/elementwise.js';
import { diagonal } from '../ops/matrix-utils.js';
import { machineEpsilon } from '../ops/normalization.js';
import { concat, gather, pad } from '../ops/movement.js';

/*
 * Parallel cyclic Jacobi, composed from core's batched ops so every backend runs it. A round
 * rotates the N/2 disjoint index pairs (0,1), (2,3), ... of every matrix of the batch at once,
 * then permutes the indices (the round-robin "circle" schedule), so N - 1 rounds meet every pair
 * once and return the indices to their order: a sweep. Where the backend reads synchronously the
 * sweeps stop when the off-diagonal part is at rounding level, or stalls a little above it;
 * elsewhere they run a fixed count that is ample for the quadratic convergence.
 */

const MAX_SWEEPS = 40;

function fixedSweeps(dtype: FloatDType, size: number): number {
  return (dtype === 'float64' ? 12 : 8) + Math.ceil(Math.log2(Math.max(size, 2)));
}

/** The gather index that moves every row to its next round-robin position (size even). */
function roundRobinSource(size: number): Int32Array {
  const half = size / 2;
  const positionOfSlot = (slot: number): number => (slot < half ? 2 * slot : 2 * (size - 1 - slot) + 1);
  const previousSlot = (slot: number): number => (slot === 0 ? 0 : slot === 1 ? size - 1 : slot - 1);
  const source = new Int32Array(size);
  for (let slot = 0; slot < size; slot++) source[positionOfSlot(slot)] = positionOfSlot(previousSlot(slot));
  return source;
}

/**
 * The transposed rotations [[c, -s], [s, c]] ([B, N/2, 2, 2]) that diagonalise the symmetric
 * 2x2 blocks [[p, r], [r, q]] ([B, N/2, 2, 2]); a zero block gets the identity.
 */
function rotationsFor(blocks: Tensor): Tensor {
  const p = blocks.slice([0, 0, 0, 0], [-1, -1, 1, 1]);
  const r = blocks.slice([0, 0, 0, 1], [-1, -1, 1, 1]);
  const q = blocks.slice([0, 0, 1, 1], [-1, -1, 1, 1]);
  const d = q.sub(p);
  // t = sign(ζ) / (|ζ| + √(1 + ζ²)), ζ = d / 2r (Golub and Van Loan): no square of d or r, and
  // where ζ² overflows the true t (about 1 / 2|ζ|) is below rounding, so the 0 it gives is right
  const positive = (x: Tensor): Tensor => cast(x.greaterEqual(0), x.dtype).mul(2).sub(1);
  const sign = positive(d).mul(positive(r));
  const zeta = d.abs().div(r.abs().mul(2));
  const t = where(r.equal(0), 0, sign.div(zeta.add(zeta.square().add(1).sqrt())));
  const c = t.square().add(1).rsqrt();
  const s = t.mul(c);
  return concat([concat([c, s.neg()], -1), concat([s, c], -1)], -2);
}

/** Applies the pair rotations to the rows of x ([B, N, L]) and moves the rows one round on. */
function rotateRows(x: Tensor, rotationsT: Tensor, source: Tensor): Tensor {
  const [batch, size, length] = x.shape as [number, number, number];
  const pairs = x.reshape([batch, size / 2, 2, length]);
  return gather(rotationsT.matmul(pairs).reshape([batch, size, length]), source, 1);
}

function padToEven(x: Tensor, rows: boolean, cols: boolean): Tensor {
  return pad(x, [
    [0, 0],
    [0, rows ? 1 : 0],
    [0, cols ? 1 : 0],
  ]);
}

/** Identity matrices [B, rows, cols] (cols = rows by default) of x's dtype and backend. */
export function identities(batch: number, rows: number, like: Tensor, cols = rows): Tensor {
  return eye(rows, cols, { dtype: like.dtype, backend: like.backend }).unsqueeze(0).expand([batch, rows, cols]).mul(1);
}

/** Each matrix of x ([B, r, c]) over its largest |entry| (1 for a zero matrix), and that scale ([B, 1, 1]). */
function scaled(x: Tensor): { unit: Tensor; scale: Tensor } {
  const largest = x.abs().max([1, 2], true);
  const scale = where(largest.equal(0), 1, largest);
  return { unit: x.div(scale), scale };
}

interface JacobiState {
  /** The matrix being diagonalised (eigh) or the rows being orthogonalised (svd). */
  work: Tensor;
  /** The accumulated rotations, transposed: its rows are the eigen- or right singular vectors. */
  rotations: Tensor;
}

/**
 * Runs sweeps of `round` until `offDiagonal(state)` (read on the host: the largest over the
 * batch of each matrix's relative measure) is at rounding level or stalls below its square
 * root; a fixed count where the backend cannot read synchronously.
 */
function sweep(
  state: JacobiState,
  size: number,
  round: (state: JacobiState, source: Tensor) => JacobiState,
  offDiagonal: (state: JacobiState) => Tensor,
): JacobiState {
  const dtype = state.work.dtype as FloatDType;
  const backend = state.work.backend;
  const source = fromHost(roundRobinSource(size), [size], { dtype: 'int32', backend });
  const tolerance = size * machineEpsilon(dtype);
  const limit = backend.readSync ? MAX_SWEEPS : fixedSweeps(dtype, size);
  let previous = Infinity;
  for (let s = 0; s < limit; s++) {
    for (let r = 0; r < size - 1; r++) {
      const next = tidy(() => {
        const { work, rotations } = round(state, source);
        return [work, rotations];
      });
      dispose([state.work, state.rotations]);
      state = { work: next[0]!, rotations: next[1]! };
    }
    if (!backend.readSync) continue;
    const measure = tidy(() => offDiagonal(state));
    const off = measure.dataSync()[0]!;
    measure.dispose();
    // done at rounding level, or once it stalls (rounding noise) below the square root of it; a
    // NaN or infinite input gives a NaN measure: no sweep will change that
    if (!Number.isFinite(off) || off <= tolerance || (off <= Math.sqrt(tolerance) && off >= previous / 2)) break;
    previous = off;
  }
  source.dispose();
  return state;
}

/**
 * Eigen-decomposition of symmetric matrices a ([B, n, n]): the eigenvalues in the order found
 * ([B, n]) and the eigenvectors as rows ([B, n, n]). Runs without recording.
 */
export function jacobiEigh(a: Tensor): { values: Tensor; vectorsT: Tensor } {
  return noGrad(() => {
    const [batch, n] = a.shape as [number, number, number];
    const odd = n % 2 === 1;
    const size = n + (odd ? 1 : 0);
    const half = size / 2;
    const blockMask = identities(1, half, a).reshape([1, half, 1, half, 1]);
    const offMask = identities(1, size, a).neg().add(1);
    const { unit, scale } = scaled(a);
    const start: JacobiState = { work: padToEven(unit, odd, odd), rotations: identities(batch, size, a) };
    const done = sweep(
      start,
      size,
      ({ work, rotations }, source) => {
        const blocks = work.reshape([batch, half, 2, half, 2]).mul(blockMask).sum(3);
        const rotationsT = rotationsFor(blocks);
        const rowsTurned = rotateRows(work, rotationsT, source);
        return {
          work: rotateRows(rowsTurned.transpose(1, 2), rotationsT, source),
          rotations: rotateRows(rotations, rotationsT, source),
        };
      },
      ({ work }) => {
        // per matrix: |off-diagonal part| / |matrix| (Frobenius; a zero matrix is converged)
        const total = work.square().sum([1, 2]);
        return work
          .mul(offMask)
          .square()
          .sum([1, 2])
          .div(where(total.equal(0), 1, total))
          .sqrt()
          .max();
      },
    );
    blockMask.dispose();
    offMask.dispose();
    const values = diagonal(done.work, 0, 1, 2)
      .slice([0, 0], [-1, n])
      .mul(scale.reshape([batch, 1]));
    const vectorsT = done.rotations.slice([0, 0, 0], [-1, n, n]);
    dispose([done.work, done.rotations, unit, scale]);
    return { values, vectorsT };
  });
}

/**
 * One-sided Jacobi on the rows of x ([B, k, l], k <= l): rotates them until mutually orthogonal.
 * Returns the orthogonal rows of x over its largest |entry| ([B, k, l]: a multiple of the left
 * vectors), their lengths times that scale ([B, k]: the singular values, never squared at the
 * input's scale) and the rotations (rows: right vectors, [B, k, k]). Runs without recording.
 */
export function jacobiOrthogonalRows(x: Tensor): { rows: Tensor; lengths: Tensor; rotationsT: Tensor } {
  return noGrad(() => {
    const [batch, k, length] = x.shape as [number, number, number];
    const odd = k % 2 === 1;
    const size = k + (odd ? 1 : 0);
    const offMask = identities(1, size, x).neg().add(1);
    const { unit, scale } = scaled(x);
    const start: JacobiState = { work: padToEven(unit, odd, false), rotations: identities(batch, size, x) };
    const done = sweep(
      start,
      size,
      ({ work, rotations }, source) => {
        const pairs = work.reshape([batch, size / 2, 2, length]);
        const rotationsT = rotationsFor(pairs.matmul(pairs, { transposeB: true }));
        return { work: rotateRows(work, rotationsT, source), rotations: rotateRows(rotations, rotationsT, source) };
      },
      ({ work }) => {
        // per matrix, the max over pairs of |<x_i, x_j>| / (|x_i| |x_j|): the cosine still to rotate
        // away, damped for rows negligible beside the matrix's longest (padding, a rank-deficient
        // input's noise); then the max over the batch
        const gram = work.matmul(work, { transposeB: true });
        const norms = diagonal(gram, 0, 1, 2).sqrt();
        const floor = gram.max([1, 2], true).mul(Math.sqrt(machineEpsilon(x.dtype)));
        const denominator = norms.unsqueeze(2).mul(norms.unsqueeze(1)).add(floor);
        return gram
          .mul(offMask)
          .abs()
          .div(where(denominator.equal(0), 1, denominator))
          .max();
      },
    );
    offMask.dispose();
    const rows = done.work.slice([0, 0, 0], [-1, k, -1]);
    const lengths = rows
      .square()
      .sum(2)
      .sqrt()
      .mul(scale.reshape([batch, 1]));
    const rotationsT = done.rotations.slice([0, 0, 0], [-1, k, k]);
    dispose([done.work, done.rotations, unit, scale]);
    return { rows, lengths, rotationsT };
  });
}
