import { DTypeError, ShapeError, formatShape } from '../errors.js';
import { noGrad } from '../autograd/grad-mode.js';
import { composite } from '../tensor/scope.js';
import { normalizeAxes, normalizeAxis, reducedShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { runPrimitive } from './dispatch.js';
import { add, cast, div, exp, isFinite, log, neg, sub, where } from './elementwise.js';

/** Sum over `axes` (all by default). bool and int32 sum to int32. */
export function sum(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  // Only a bool input needs an intermediate (its cast), hence a composite.
  if (x.dtype === 'bool') return composite(() => sumPrimitive(cast(x, 'int32'), axes, keepDims));
  return sumPrimitive(x, axes, keepDims);
}

function sumPrimitive(input: Tensor, axes: number | number[] | undefined, keepDims: boolean): Tensor {
  const normalized = normalizeAxes('sum', axes, input.rank);
  return runPrimitive(
    'sum',
    [input],
    { axes: normalized, keepDims },
    Object.freeze(reducedShape(input.shape, normalized, keepDims)),
    input.dtype,
    (h) => input.backend.reduce('sum', h, normalized, keepDims),
  );
}

/** Largest value over `axes`. Reducing an empty axis is an error, as in PyTorch. */
export function max(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  if (x.dtype === 'bool') throw new DTypeError('max: expected a numeric tensor, got dtype bool');
  const normalized = normalizeAxes('max', axes, x.rank);
  checkNotEmpty('max', x, normalized);
  return runPrimitive(
    'max',
    [x],
    { axes: normalized, keepDims },
    Object.freeze(reducedShape(x.shape, normalized, keepDims)),
    x.dtype,
    (h) => x.backend.reduce('max', h, normalized, keepDims),
  );
}

export function min(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  return composite(() => reverseOrder(max(reverseOrder(x), axes, keepDims)));
}

/** An order-reversing map: -x for floats, -1 - x for int32 (negating -2^31 would overflow). */
function reverseOrder(x: Tensor): Tensor {
  return x.dtype === 'int32' ? sub(-1, x) : neg(x);
}

/** Arithmetic mean over `axes`; int tensors give float32. */
export function mean(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  const normalized = normalizeAxes('mean', axes, x.rank);
  const count = normalized.reduce((n, axis) => n * x.shape[axis]!, 1);
  return composite(() => {
    const input = x.dtype === 'float32' || x.dtype === 'float64' ? x : cast(x, 'float32');
    return div(sum(input, normalized, keepDims), count);
  });
}

/** Index of the largest value along `axis`; with no axis, of the flattened tensor. int32. */
export function argmax(x: Tensor, axis?: number): Tensor {
  if (axis === undefined) return composite(() => argmax(x.reshape([-1]), 0));
  const normalized = normalizeAxis('argmax', axis, x.rank);
  checkNotEmpty('argmax', x, [normalized]);
  if (x.dtype === 'bool') return composite(() => argmax(cast(x, 'int32'), normalized));
  return runPrimitive('argmax', [x], { axis: normalized }, reducedShape(x.shape, [normalized], false), 'int32', (h) =>
    x.backend.argmax(h, normalized),
  );
}

export function argmin(x: Tensor, axis?: number): Tensor {
  return composite(() => argmax(reverseOrder(x.dtype === 'bool' ? cast(x, 'int32') : x), axis));
}

/** log(sum(exp(x))) over `axes`, computed stably by shifting by the (detached) maximum. */
export function logsumexp(x: Tensor, axes?: number | number[], keepDims = false): Tensor {
  const normalized = normalizeAxes('logsumexp', axes, x.rank);
  // Over an empty axis: -Infinity (the log of an empty sum), as PyTorch; max has no value there
  // to shift by. Added to the empty sum (0), not as log(0), which some GPUs' log flushes to -88.
  if (normalized.some((axis) => x.shape[axis] === 0))
    return composite(() => add(sum(x, normalized, keepDims), Number.NEGATIVE_INFINITY));
  return composite(() => {
    // The shift cancels out mathematically, so it needs no gradient; an all -inf row uses 0.
    const shift = noGrad(() => {
      const m = max(x, normalized, true);
      return where(isFinite(m), m, 0);
    });
    const summed = log(sum(exp(sub(x, shift)), normalized, true));
    const result = add(summed, shift);
    return keepDims ? result : result.reshape(reducedShape(x.shape, normalized, false));
  });
}

function checkNotEmpty(op: string, x: Tensor, axes: readonly number[]): void {
  if (axes.some((axis) => x.shape[axis] === 0) || (x.size === 0 && axes.length === 0 && x.rank === 0)) {
    throw new ShapeError(
      `${op}: cannot reduce an empty dimension of a tensor of shape ${formatShape(x.shape)} (it has no identity)`,
    );
  }
}
