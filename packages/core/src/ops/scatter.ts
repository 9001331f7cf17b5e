import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, DTypeError, ShapeError, describeValue, formatShape } from '../errors.js';
import { checkBoolean, checkOptions } from '../nn/checks.js';
import { fromHost, fullLike } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import { normalizeAxis, sizeOf, stridesOf } from '../tensor/shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { isFloat } from './dispatch.js';
import { add, cast, div, equal, greater, mul, sub, where } from './elementwise.js';
import { checkIndices, concat, gather, pad, permute, reshape, scatterAdd, slice, unsqueeze } from './movement.js';
import { max, min, sum } from './reduce.js';
import { prod } from './scan.js';

/*
 * torch.gather-style addressing (an index of the input's rank, its own coordinates elsewhere) and
 * what is built on it: scatter and scatter_reduce (and take_along_dim's gather, in indexing.ts),
 * composed from gather and scatterAdd, so every backend runs and differentiates them.
 */

export const int32s = (values: ArrayLike<number>, shape: readonly number[], like: Tensor): Tensor =>
  fromHost(Int32Array.from(values), shape, { dtype: 'int32', backend: like.backend });

export function requireInt32(op: string, index: Tensor): void {
  if (index.dtype !== 'int32') throw new DTypeError(`${op}: index must be int32, got dtype ${index.dtype}`);
}

/** An index of torch.gather's kind: int32, x's rank, no longer than x but along dim, in range. */
function checkElementIndex(op: string, index: Tensor, shape: readonly number[], at: number): void {
  requireInt32(op, index);
  if (index.rank !== shape.length)
    throw new ShapeError(
      `${op}: index must have the input's rank ${shape.length}, got shape ${formatShape(index.shape)}`,
    );
  const tooLong = index.shape.findIndex((d, i) => i !== at && d > shape[i]!);
  if (tooLong >= 0)
    throw new ShapeError(
      `${op}: index ${formatShape(index.shape)} is larger than the input ${formatShape(shape)} along dim ${tooLong}`,
    );
  if (index.backend.readSync) checkIndices(op, index, shape[at]!);
}

/**
 * Positions in the flattened `shape` of each entry of an index of x's rank along `at`, as
 * torch.gather addresses them: the index's own coordinates elsewhere.
 */
function linearIndex(op: string, index: Tensor, shape: readonly number[], at: number): Tensor {
  checkElementIndex(op, index, shape, at);
  const strides = stridesOf(shape);
  const indexStrides = stridesOf(index.shape);
  const offsets = new Int32Array(sizeOf(index.shape));
  for (let p = 0; p < offsets.length; p++) {
    let rest = p;
    for (let d = 0; d < index.rank; d++) {
      const coordinate = Math.floor(rest / indexStrides[d]!);
      rest -= coordinate * indexStrides[d]!;
      if (d !== at) offsets[p]! += coordinate * strides[d]!;
    }
  }
  return add(mul(index, strides[at]!), int32s(offsets, index.shape, index));
}

/** torch.gather's addressing: out[p] = x[p with p[dim] replaced by index[p]]. */
export function gatherElements(op: string, x: Tensor, at: number, index: Tensor): Tensor {
  return composite(() =>
    reshape(gather(reshape(x, [-1]), reshape(linearIndex(op, index, x.shape, at), [-1]), 0), index.shape),
  );
}

/** The adjoint of gatherElements: src's entries (over the index's shape) added at their positions. */
function scatterElements(op: string, src: Tensor, at: number, index: Tensor, shape: readonly number[]): Tensor {
  return composite(() => {
    const used = src.shape.some((d, i) => d !== index.shape[i])
      ? slice(
          src,
          index.shape.map(() => 0),
          index.shape,
        )
      : src;
    const linear = reshape(linearIndex(op, index, shape, at), [-1]);
    return reshape(scatterAdd(reshape(used, [-1]), linear, 0, sizeOf(shape)), shape);
  });
}

function checkSrc(op: string, index: Tensor, src: Tensor): void {
  if (src.rank !== index.rank || src.shape.some((d, i) => d < index.shape[i]!))
    throw new ShapeError(
      `${op}: src ${formatShape(src.shape)} must be at least as large as index ${formatShape(index.shape)} in every dim`,
    );
}

export type ScatterReduce = 'sum' | 'prod' | 'mean' | 'amax' | 'amin';
const SCATTER_REDUCES: readonly ScatterReduce[] = ['sum', 'prod', 'mean', 'amax', 'amin'];

export interface ScatterOptions {
  /** Combine with x instead of overwriting: 'add' or 'multiply' (torch's `reduce`). */
  reduce?: 'add' | 'multiply';
}

/**
 * torch.scatter: x with src's entries (or a number) written where index points along dim
 * (out[p with p[dim] = index[p]] = src[p]); repeated targets must be avoided (torch: undefined),
 * unless `reduce` adds or multiplies them into x.
 */
export function scatter(x: Tensor, dim: number, index: Tensor, src: TensorLike, options: ScatterOptions = {}): Tensor {
  checkOptions('scatter', options, ['reduce']);
  const at = normalizeAxis('scatter', dim, x.rank);
  checkElementIndex('scatter', index, x.shape, at);
  if (typeof src !== 'number') checkSrc('scatter', index, src);
  if (options.reduce !== undefined && options.reduce !== 'add' && options.reduce !== 'multiply')
    throw new ArgumentError(`scatter: reduce must be 'add' or 'multiply', got ${describeValue(options.reduce)}`);
  return composite(() => {
    // A number source is a constant made here, so that this scope frees it.
    const source = typeof src === 'number' ? fullLike(index, src, { dtype: x.dtype }) : src;
    if (options.reduce !== undefined)
      return scatterReduce(x, at, index, source, options.reduce === 'add' ? 'sum' : 'prod');
    const hits = scatterElements('scatter', fullLike(index, 1, { dtype: 'float32' }), at, index, x.shape);
    return where(greater(hits, 0), scatterElements('scatter', source, at, index, x.shape), x);
  });
}

export interface ScatterReduceOptions {
  /** Whether x's own values take part in the reduction (default true). */
  includeSelf?: boolean;
}

/** The fill that takes no part in a reduction of the dtype. */
function identityOf(reduce: ScatterReduce, x: Tensor): number {
  const largest = isFloat(x.dtype) ? Infinity : 2 ** 31 - 1;
  return { sum: 0, mean: 0, prod: 1, amax: isFloat(x.dtype) ? -largest : -(2 ** 31), amin: largest }[reduce];
}

/**
 * torch.scatter_reduce: x with src's entries reduced into the positions index points to along
 * dim ('sum', 'prod', 'mean', 'amax', 'amin'), with or without x's own values. Exact: each output
 * row compares its position with every index along dim (memory index.size x input's dim size);
 * prod is a product tree, amax/amin share the gradient evenly among tied values, as torch.
 */
export function scatterReduce(
  x: Tensor,
  dim: number,
  index: Tensor,
  src: Tensor,
  reduce: ScatterReduce,
  options: ScatterReduceOptions = {},
): Tensor {
  checkOptions('scatterReduce', options, ['includeSelf']);
  const includeSelf = checkBoolean('scatterReduce: includeSelf', options.includeSelf ?? true);
  if (!SCATTER_REDUCES.includes(reduce))
    throw new ArgumentError(
      `scatterReduce: reduce must be one of ${SCATTER_REDUCES.join(', ')}, got ${describeValue(reduce)}`,
    );
  if (src.dtype !== x.dtype)
    throw new DTypeError(`scatterReduce: src must have x's dtype ${x.dtype}, got ${src.dtype}`);
  const at = normalizeAxis('scatterReduce', dim, x.rank);
  checkElementIndex('scatterReduce', index, x.shape, at);
  checkSrc('scatterReduce', index, src);
  if (reduce === 'mean' && !isFloat(x.dtype))
    throw new DTypeError(`scatterReduce: 'mean' wants a float tensor, got dtype ${x.dtype}`);
  const toLast = [...x.shape.keys()].filter((i) => i !== at).concat(at);
  const back = x.shape.map((_, i) => toLast.indexOf(i));
  return composite(() => {
    const used = slice(
      src,
      index.shape.map(() => 0),
      index.shape,
    );
    // The index with dim moved last, [..., 1, n], against the output positions [n_out, 1].
    const positions = int32s(
      Array.from({ length: x.shape[at]! }, (_, i) => i),
      [x.shape[at]!, 1],
      x,
    );
    const hit = equal(unsqueeze(permute(index, toLast), -2), positions);
    // Where the index is shorter than x in the other dims, those rows take nothing.
    const grow: [number, number][] = [
      ...toLast.slice(0, -1).map((axis): [number, number] => [0, x.shape[axis]! - index.shape[axis]!]),
      [0, 0],
      [0, 0],
    ];
    const fill = identityOf(reduce, x);
    const mask = pad(cast(hit, 'int32'), grow, 0);
    const values = pad(where(hit, unsqueeze(permute(used, toLast), -2), fill), grow, fill);
    const count = sum(mask, -1);
    const self = permute(x, toLast);
    const touched = greater(count, 0);
    let out: Tensor;
    if (reduce === 'sum' || reduce === 'mean') {
      const total = sum(values, -1);
      if (reduce === 'sum') out = includeSelf ? add(self, total) : where(touched, total, self);
      else {
        const n = includeSelf ? add(count, 1) : count;
        const numerator = includeSelf ? add(self, total) : total;
        out = where(greater(n, 0), div(numerator, cast(n, x.dtype)), self);
      }
    } else if (reduce === 'prod') {
      const total = prod(values, { dim: -1 });
      out = includeSelf ? mul(self, total) : where(touched, total, self);
    } else {
      const candidates = includeSelf ? concat([unsqueeze(self, -1), values], -1) : values;
      const extreme = noGrad(() => (reduce === 'amax' ? max : min)(candidates, -1, true));
      const ties = equal(candidates, extreme);
      const share = div(sum(where(ties, sub(candidates, extreme), 0), -1), cast(sum(cast(ties, 'int32'), -1), x.dtype));
      const picked = add(reshape(extreme, self.shape), share);
      out = where(touched, picked, self);
    }
    return permute(out, back);
  });
}
