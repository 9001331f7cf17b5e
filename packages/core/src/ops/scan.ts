import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, DTypeError } from '../errors.js';
import { fromHost } from '../tensor/creation.js';
import { composite, compositeResults } from '../tensor/scope.js';
import { normalizeAxis, reducedShape } from '../tensor/shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { isFloat } from './dispatch.js';
import { sliceAlong } from './matrix-utils.js';
import { isNaN } from './tensor-math.js';
import {
  add,
  cast,
  exp,
  greaterEqual,
  isFinite,
  log,
  logicalAnd,
  logicalNot,
  logicalOr,
  maximum,
  mul,
  neg,
  sub,
  where,
} from './elementwise.js';
import { concat, gather, pad, reshape, slice } from './movement.js';
import { sum } from './reduce.js';

/*
 * Products and scans along one axis (torch.prod, cumprod, logcumsumexp, cummax, cummin),
 * composed as log-depth trees of a binary op: autograd differentiates each step, so a zero in
 * prod's or cumprod's input gets PyTorch's exact gradient (no division, no exp(sum(log))).
 */

export interface ProdOptions {
  /** The axis to multiply along (may be negative); all elements by default. */
  dim?: number;
  /** Keep the reduced axis (all axes, without a dim) with size 1 (default false). */
  keepdim?: boolean;
}

/** The elements of x along `at` as [before, n, after] (a view-like reshape). */
function threeAxes(x: Tensor, at: number): [number, number, number] {
  const before = x.shape.slice(0, at).reduce((a, b) => a * b, 1);
  const after = x.shape.slice(at + 1).reduce((a, b) => a * b, 1);
  return [before, x.shape[at]!, after];
}

/** bool counts as int32 in products and scans, as PyTorch promotes it to an integer. */
function numeric(x: Tensor): Tensor {
  return x.dtype === 'bool' ? cast(x, 'int32') : x;
}

/**
 * torch.prod: the product over `dim` (of all elements by default), by halving: pairs are
 * multiplied until one is left, each level one elementwise mul. bool multiplies as int32.
 */
export function prod(x: Tensor, options: ProdOptions = {}): Tensor {
  const keepdim = options.keepdim ?? false;
  if (typeof keepdim !== 'boolean')
    throw new ArgumentError(`prod: keepdim must be true or false, got ${String(keepdim)}`);
  if (options.dim === undefined)
    return composite(() => reshape(prod(reshape(x, [-1]), { dim: 0 }), keepdim ? x.shape.map(() => 1) : []));
  const at = normalizeAxis('prod', options.dim, x.rank);
  const outShape = reducedShape(x.shape, [at], keepdim);
  return composite(() => {
    const input = numeric(x);
    const [before, n, after] = threeAxes(x, at);
    // The empty product is 1; the sum keeps x on the graph (its gradient is empty anyway).
    if (n === 0) return reshape(add(sum(input, at, keepdim), 1), outShape);
    let level = reshape(input, [before, n, after]);
    for (let length = n; length > 1; length = Math.ceil(length / 2)) {
      if (length % 2 === 1)
        level = pad(
          level,
          [
            [0, 0],
            [0, 1],
            [0, 0],
          ],
          1,
        );
      const pairs = reshape(level, [before, (length + 1) >> 1, 2, after]);
      const half = (length + 1) >> 1;
      level = reshape(
        mul(slice(pairs, [0, 0, 0, 0], [before, half, 1, after]), slice(pairs, [0, 0, 1, 0], [before, half, 1, after])),
        [before, half, after],
      );
    }
    return reshape(level, outShape);
  });
}

/**
 * An inclusive scan along `at` in ceil(log2 n) steps (Hillis-Steele): at step s, each element
 * from s on combines with the one s before it. `combine(earlier, later)` must be associative.
 */
function scanAlong(parts: Tensor[], at: number, combine: (earlier: Tensor[], later: Tensor[]) => Tensor[]): Tensor[] {
  const n = parts[0]!.shape[at]!;
  let current = parts;
  for (let step = 1; step < n; step *= 2) {
    const combined = combine(
      current.map((t) => sliceAlong(t, at, 0, n - step)),
      current.map((t) => sliceAlong(t, at, step, n - step)),
    );
    current = current.map((t, i) => concat([sliceAlong(t, at, 0, step), combined[i]!], at));
  }
  return current;
}

/** torch.cumprod: running products along `dim`; exact with zeros and negatives, and so is its gradient. */
export function cumprod(x: Tensor, dim: number): Tensor {
  const at = normalizeAxis('cumprod', dim, x.rank);
  return composite(() => {
    const input = numeric(x);
    return scanAlong([input], at, ([a], [b]) => [mul(a!, b!)])[0]!;
  });
}

/**
 * torch.logaddexp: log(exp(a) + exp(b)) without overflow, shifted by the (detached) larger
 * operand; -inf with -inf is -inf, +inf with anything +inf.
 */
export function logaddexp(a: TensorLike, b: TensorLike): Tensor {
  for (const [role, t] of [
    ['a', a],
    ['b', b],
  ] as const)
    if (typeof t !== 'number' && !isFloat(t.dtype))
      throw new DTypeError(`logaddexp: ${role} must be a float tensor, got dtype ${t.dtype}`);
  return composite(() => {
    const shift = noGrad(() => {
      const m = maximum(a, b);
      return where(isFinite(m), m, 0);
    });
    return add(log(add(exp(sub(a, shift)), exp(sub(b, shift)))), shift);
  });
}

/** torch.logcumsumexp: log of the running sums of exp(x) along `dim`, stably (a scan of logaddexp). */
export function logcumsumexp(x: Tensor, dim: number): Tensor {
  if (!isFloat(x.dtype)) throw new DTypeError(`logcumsumexp: expected a float tensor, got dtype ${x.dtype}`);
  const at = normalizeAxis('logcumsumexp', dim, x.rank);
  return composite(() => scanAlong([x], at, ([a], [b]) => [logaddexp(a!, b!)])[0]!);
}

/** The result of cummax / cummin: the running extreme values and the int32 index each came from. */
export interface ValuesAndIndices {
  values: Tensor;
  indices: Tensor;
}

/**
 * torch.cummax: the running maximum along `dim` and, as int32, where it was found (the last
 * position of a tie, as PyTorch; once a NaN is met the values stay NaN, indexed by the latest NaN). The values are gathered from x at those indices, so the
 * gradient goes to the arg positions.
 */
export function cummax(x: Tensor, dim: number): ValuesAndIndices {
  return cumulativeExtreme('cummax', x, dim, false);
}

/** torch.cummin: the running minimum along `dim` and its int32 indices (the last of a tie). */
export function cummin(x: Tensor, dim: number): ValuesAndIndices {
  return cumulativeExtreme('cummin', x, dim, true);
}

function cumulativeExtreme(op: string, x: Tensor, dim: number, minimum: boolean): ValuesAndIndices {
  if (x.dtype === 'bool') throw new DTypeError(`${op}: expected a numeric tensor, got dtype bool (cast it first)`);
  const at = normalizeAxis(op, dim, x.rank);
  const [, n, after] = threeAxes(x, at);
  const [values, indices] = compositeResults(() => {
    const indices = noGrad(() => {
      // An order-reversing map turns the running minimum into a running maximum.
      const keys = minimum ? (x.dtype === 'int32' ? sub(-1, x) : neg(x)) : x;
      const positions = Int32Array.from({ length: x.size }, (_, i) => Math.floor(i / after) % n);
      const start = fromHost(positions, x.shape, { dtype: 'int32', backend: x.backend });
      const [, found] = scanAlong([keys, start], at, ([keyA, indexA], [keyB, indexB]) => {
        // PyTorch's rule, associative as the scan needs: a NaN wins and stays (the latest NaN's
        // index), otherwise the later of a tie.
        const later = logicalOr(isNaN(keyB!), logicalAnd(logicalNot(isNaN(keyA!)), greaterEqual(keyB!, keyA!)));
        return [where(later, keyB!, keyA!), where(later, indexB!, indexA!)];
      });
      return found!;
    });
    // Take along `at`: flat index (b * n + found) * after + a into the flattened x.
    const offsets = Int32Array.from({ length: x.size }, (_, i) => i - (Math.floor(i / after) % n) * after);
    const flatIndex = add(mul(indices, after), fromHost(offsets, x.shape, { dtype: 'int32', backend: x.backend }));
    return [gather(reshape(x, [-1]), flatIndex, 0), indices];
  });
  return { values: values!, indices: indices! };
}
