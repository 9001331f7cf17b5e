import { noGrad } from '../autograd/grad-mode.js';
import type { Backend } from '../backend/contract.js';
import { arange, eye, zeros } from '../tensor/creation.js';
import { keep, tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  abs,
  add,
  cast,
  div,
  equal,
  greater,
  greaterEqual,
  maximum,
  mul,
  notEqual,
  sqrt,
  sub,
  where,
} from '../ops/elementwise.js';
import { matmul } from '../ops/linalg.js';
import { tril, triu } from '../ops/matrix-utils.js';
import { expand, reshape, slice, stack, transpose } from '../ops/movement.js';
import { argmax, max, sum } from '../ops/reduce.js';

/*
 * The factorization kernels: column loops of batched tensor ops on [B, m, n] tensors, run
 * without recording (each caller attaches PyTorch's analytic gradient). Every step is one
 * tidy whose result replaces the previous state, so a loop holds O(1) intermediates.
 */

/** Runs `steps` tidy steps over a list of state tensors, freeing each replaced state (never the inputs). */
function loop(initial: Tensor[], steps: number, step: (state: Tensor[], k: number) => Tensor[]): Tensor[] {
  const inputs = new Set(initial);
  let state = initial;
  for (let k = 0; k < steps; k++) {
    const next = tidy(() => step(state, k));
    for (const t of state) if (!inputs.has(t) && !next.includes(t)) t.dispose();
    state = next;
  }
  return state;
}

/**
 * 0..m-1 as int32 [1, m, 1] (or [1, 1, m] as `columns`), made once per kernel: each step
 * compares it with k or a pivot row on the device instead of building a mask on the host.
 */
const indices = (backend: Backend, m: number, columns = false): Tensor =>
  tidy(() => reshape(arange(0, m, 1, { dtype: 'int32', backend }), columns ? [1, 1, m] : [1, m, 1]));

/** Row k of x [B, r, c] as [B, 1, c]. */
const row = (x: Tensor, k: number): Tensor => slice(x, [0, k, 0], [x.shape[0]!, 1, x.shape[2]!]);
/** Column k of x [B, r, c] as [B, r, 1]. */
const column = (x: Tensor, k: number): Tensor => slice(x, [0, 0, k], [x.shape[0]!, x.shape[1]!, 1]);

/** Swaps row k with row p[b] in every matrix b of x [B, r, c] (isP: [B, r, 1] true at p). */
function swapRows(x: Tensor, isK: Tensor, isP: Tensor, k: number): Tensor {
  const rowP = sum(where(isP, x, 0), 1, true);
  return where(isK, rowP, where(isP, row(x, k), x));
}

export interface LuKernelResult {
  /** L below the diagonal (unit diagonal implied) and U on and above it: [B, m, n]. */
  lu: Tensor;
  /** 0-based pivot rows, int32 [B, min(m, n)]. */
  pivots: Tensor;
  /** The permutation Pm (float, [B, m, m]) with Pm A = L U, i.e. torch's P transposed. */
  permutation: Tensor;
}

/**
 * LU with partial pivoting (LAPACK getrf's choice of pivot, as the reference idamax: the first
 * largest |a| in the column, a NaN never beating an earlier entry), or none when `pivot` is false.
 */
export function luKernel(a: Tensor, pivot = true): LuKernelResult {
  return noGrad(() => {
    const [batch, m, n] = a.shape as [number, number, number];
    const steps = Math.min(m, n);
    const rowIndex = indices(a.backend, m);
    const columnIndex = indices(a.backend, n, true);
    const pivotList: Tensor[] = [];
    const square = eye(m, { dtype: a.dtype, backend: a.backend });
    const identity = expand(square, [batch, m, m]);
    square.dispose();
    const [lu, permutation] = loop([a, identity], steps, ([x, perm], k) => {
      const isK = equal(rowIndex, k);
      const magnitude = abs(column(x!, k));
      // idamax starts from row k and takes a later row only when strictly larger: a NaN at k
      // wins (+Infinity, first among ties), a NaN below never does (-1, as rows above k).
      const nan = notEqual(magnitude, magnitude);
      const scored = where(isK, where(nan, Infinity, magnitude), where(nan, -1, magnitude));
      const candidates = where(pivot ? greaterEqual(rowIndex, k) : isK, scored, -1);
      const p = argmax(reshape(candidates, [batch, m]), 1);
      pivotList.push(keep(p));
      const isP = equal(rowIndex, reshape(p, [batch, 1, 1]));
      const swapped = swapRows(x!, isK, isP, k);
      const swappedPerm = swapRows(perm!, isK, isP, k);
      const pivotValue = slice(swapped, [0, k, k], [batch, 1, 1]);
      // A zero pivot means a zero column below it: LAPACK leaves it unscaled (multipliers 0).
      const below = greater(rowIndex, k);
      const multipliers = where(below, div(column(swapped, k), where(equal(pivotValue, 0), 1, pivotValue)), 0);
      const right = where(greater(columnIndex, k), row(swapped, k), 0);
      const updated = sub(swapped, mul(multipliers, right));
      return [where(equal(columnIndex, k), where(below, multipliers, updated), updated), swappedPerm];
    });
    const pivots = steps === 0 ? zeros([batch, 0], { dtype: 'int32', backend: a.backend }) : stack(pivotList, 1);
    for (const p of pivotList) p.dispose();
    rowIndex.dispose();
    columnIndex.dispose();
    if (steps === 0) return { lu: add(a, 0), pivots, permutation: identity };
    identity.dispose();
    return { lu: lu!, pivots, permutation: permutation! };
  });
}

export interface TriangularOptions {
  upper: boolean;
  unitriangular: boolean;
}

/**
 * Solves T X = B for X (T [B, n, n] triangular, B [B, n, k]) by substitution, one row per step.
 * Only T's triangle is read (without its diagonal when unitriangular): the rest is zeroed once
 * up front, so a NaN or Infinity there never meets the zeros of rows not yet solved.
 */
export function triangularSolveKernel(t: Tensor, b: Tensor, options: TriangularOptions): Tensor {
  return noGrad(() => {
    const [batch, n] = t.shape as [number, number, number];
    const columns = b.shape[2]!;
    const shift = options.unitriangular ? 1 : 0;
    const triangle = options.upper ? triu(t, shift) : tril(t, -shift);
    const rowIndex = indices(t.backend, n);
    const start = zeros([batch, n, columns], { dtype: b.dtype, backend: b.backend });
    const [x] = loop([start], n, ([solved], step) => {
      const i = options.upper ? n - 1 - step : step;
      let r = sub(row(b, i), matmul(row(triangle, i), solved!));
      if (!options.unitriangular) r = div(r, slice(t, [0, i, i], [batch, 1, 1]));
      return [where(equal(rowIndex, i), r, solved!)];
    });
    triangle.dispose();
    rowIndex.dispose();
    if (n === 0) return add(start, 0);
    start.dispose();
    return x!;
  });
}

/** Cholesky A = L Lᵀ from A's lower triangle, right-looking; a failed pivot leaves NaN from there on. */
export function choleskyKernel(a: Tensor): Tensor {
  return noGrad(() => {
    const [batch, n] = a.shape as [number, number, number];
    const lower = tril(a);
    const strict = tril(a, -1);
    const symmetric = add(lower, transpose(strict, -2, -1));
    lower.dispose();
    strict.dispose();
    const rowIndex = indices(a.backend, n);
    const columnIndex = indices(a.backend, n, true);
    const start = zeros([batch, n, n], { dtype: a.dtype, backend: a.backend });
    const [, factor] = loop([symmetric, start], n, ([w, l], k) => {
      const d = sqrt(slice(w!, [0, k, k], [batch, 1, 1]));
      const c = where(greaterEqual(rowIndex, k), div(column(w!, k), d), 0);
      return [sub(w!, mul(c, reshape(c, [batch, 1, n]))), where(equal(columnIndex, k), c, l!)];
    });
    symmetric.dispose();
    rowIndex.dispose();
    columnIndex.dispose();
    if (n === 0) return add(start, 0);
    start.dispose();
    return factor!;
  });
}

/**
 * Householder QR as LAPACK's geqrf: reflector k maps column k below the diagonal to
 * beta = -sign(alpha) |x| (no reflection, tau = 0, when the part below is already 0). |x| is
 * taken with the column scaled by its largest |entry|, as dnrm2 and dlapy2 do, so squares
 * neither overflow nor underflow.
 * Returns Q [B, m, m] (the product of the reflectors) and R [B, m, n].
 */
export function householderKernel(a: Tensor): { q: Tensor; r: Tensor } {
  return noGrad(() => {
    const [batch, m, n] = a.shape as [number, number, number];
    const square = eye(m, { dtype: a.dtype, backend: a.backend });
    const identity = expand(square, [batch, m, m]);
    square.dispose();
    const rowIndex = indices(a.backend, m);
    const columnIndex = indices(a.backend, n, true);
    const [q, r] = loop([identity, a], Math.min(m - 1, n), ([qk, rk], k) => {
      const below = greater(rowIndex, k);
      const isK = equal(rowIndex, k);
      const x = column(rk!, k);
      const alpha = slice(rk!, [0, k, k], [batch, 1, 1]);
      const belowMax = max(where(below, abs(x), 0), 1, true);
      const trivial = equal(belowMax, 0);
      const amax = maximum(belowMax, abs(alpha));
      const scaled = div(where(greaterEqual(rowIndex, k), x, 0), where(equal(amax, 0), 1, amax));
      const length = mul(sqrt(sum(mul(scaled, scaled), 1, true)), amax);
      const beta = where(greaterEqual(alpha, 0), mul(length, -1), length);
      const tau = where(trivial, 0, div(sub(beta, alpha), beta));
      const scale = div(1, where(trivial, 1, sub(alpha, beta)));
      const v = where(below, mul(x, scale), cast(isK, a.dtype));
      const reflected = sub(rk!, mul(mul(tau, v), matmul(v, rk!, { transposeA: true })));
      // The reflected column is exactly (beta, 0, ..., 0); write it so, as LAPACK does.
      const cleaned = where(
        equal(columnIndex, k),
        where(below, 0, where(isK, where(trivial, alpha, beta), reflected)),
        reflected,
      );
      const qv = matmul(qk!, v);
      return [sub(qk!, mul(mul(tau, qv), reshape(v, [batch, 1, m]))), cleaned];
    });
    rowIndex.dispose();
    columnIndex.dispose();
    if (q === identity) return { q: identity, r: add(a, 0) };
    identity.dispose();
    return { q: q!, r: r! };
  });
}

/** The permutation Pm (float [B, m, m], Pm A = L U) that 0-based LAPACK pivots [B, k] describe. */
export function permutationFromPivots(pivots: Tensor, m: number, dtype: Tensor['dtype']): Tensor {
  return noGrad(() => {
    const [batch, steps] = pivots.shape as [number, number];
    const square = eye(m, { dtype, backend: pivots.backend });
    const identity = expand(square, [batch, m, m]);
    square.dispose();
    const rowIndex = indices(pivots.backend, m);
    const [permutation] = loop([identity], steps, ([perm], k) => {
      const p = slice(pivots, [0, k], [batch, 1]);
      const isP = equal(rowIndex, reshape(p, [batch, 1, 1]));
      return [swapRows(perm!, equal(rowIndex, k), isP, k)];
    });
    rowIndex.dispose();
    if (permutation !== identity) identity.dispose();
    return permutation!;
  });
}
