import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { checkNumber, checkOptions } from '../nn/checks.js';
import { composite } from '../tensor/scope.js';
import { broadcastShapes, normalizeAxis, shapesEqual } from '../tensor/shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { add, div, mul } from './elementwise.js';
import { matmul } from './linalg.js';
import { permute, reshape } from './movement.js';
import { sum } from './reduce.js';

/*
 * torch's named products (mm, bmm, mv, dot, vdot, inner, tensordot) and the fused
 * "beta * input + alpha * product" family (addmm, addbmm, baddbmm, addmv, addr, addcmul,
 * addcdiv), composed from matmul, mul and sum, so they differentiate on every backend.
 */

function requireRank(op: string, role: string, x: Tensor, rank: number): void {
  if (x.rank !== rank) throw new ShapeError(`${op}: ${role} must be ${rank}-D, got shape ${formatShape(x.shape)}`);
}

/** torch.mm: the product of two matrices [n, m] x [m, p]. */
export function mm(a: Tensor, b: Tensor): Tensor {
  requireRank('mm', 'input', a, 2);
  requireRank('mm', 'mat2', b, 2);
  return matmul(a, b);
}

/** torch.bmm: batched matrix products [B, n, m] x [B, m, p], with one batch size (no broadcasting). */
export function bmm(a: Tensor, b: Tensor): Tensor {
  requireRank('bmm', 'input', a, 3);
  requireRank('bmm', 'mat2', b, 3);
  if (a.shape[0] !== b.shape[0])
    throw new ShapeError(`bmm: batch sizes differ: input ${formatShape(a.shape)}, mat2 ${formatShape(b.shape)}`);
  return matmul(a, b);
}

/** torch.mv: a matrix [n, m] times a vector [m]. */
export function mv(a: Tensor, v: Tensor): Tensor {
  requireRank('mv', 'input', a, 2);
  requireRank('mv', 'vec', v, 1);
  return matmul(a, v);
}

function vectorProduct(op: string, a: Tensor, b: Tensor): Tensor {
  requireRank(op, 'input', a, 1);
  requireRank(op, 'other', b, 1);
  if (a.shape[0] !== b.shape[0])
    throw new ShapeError(`${op}: the vectors' lengths differ: ${a.shape[0]} and ${b.shape[0]}`);
  return matmul(a, b);
}

/** torch.dot: the inner product of two 1-D tensors of one length (a 0-D tensor). */
export const dot = (a: Tensor, b: Tensor): Tensor => vectorProduct('dot', a, b);
/** torch.vdot: dot with the first argument conjugated; Myelin's tensors are real, so it is dot. */
export const vdot = (a: Tensor, b: Tensor): Tensor => vectorProduct('vdot', a, b);

/** The axes of tensordot's `dims`: a count (the last n of a with the first n of b) or two lists. */
function contractedAxes(a: Tensor, b: Tensor, dims: number | readonly [readonly number[], readonly number[]]) {
  if (typeof dims === 'number') {
    if (!Number.isInteger(dims) || dims < 0 || dims > a.rank || dims > b.rank)
      throw new ArgumentError(
        `tensordot: dims must be an integer in 0..${Math.min(a.rank, b.rank)} for shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}, got ${String(dims)}`,
      );
    return {
      axesA: Array.from({ length: dims }, (_, i) => a.rank - dims + i),
      axesB: Array.from({ length: dims }, (_, i) => i),
    };
  }
  if (!Array.isArray(dims) || dims.length !== 2 || !Array.isArray(dims[0]) || !Array.isArray(dims[1]))
    throw new ArgumentError(`tensordot: dims must be a count or two lists of axes [[...], [...]], got ${String(dims)}`);
  const [listA, listB] = dims;
  if (listA.length !== listB.length)
    throw new ArgumentError(
      `tensordot: dims must list as many axes of a as of b, got ${listA.length} and ${listB.length}`,
    );
  const axesA = listA.map((axis) => normalizeAxis('tensordot', axis, a.rank));
  const axesB = listB.map((axis) => normalizeAxis('tensordot', axis, b.rank));
  if (new Set(axesA).size !== axesA.length || new Set(axesB).size !== axesB.length)
    throw new ArgumentError(`tensordot: an axis repeats in dims [[${listA.join(', ')}], [${listB.join(', ')}]]`);
  return { axesA, axesB };
}

/**
 * torch.tensordot(a, b, dims): the sum over the contracted axes (the last `dims` of a with the
 * first `dims` of b, or the paired lists `[[axes of a], [axes of b]]`); the free axes of a, then
 * those of b. One matmul after moving the contracted axes together.
 */
export function tensordot(
  a: Tensor,
  b: Tensor,
  dims: number | readonly [readonly number[], readonly number[]] = 2,
): Tensor {
  const { axesA, axesB } = contractedAxes(a, b, dims);
  axesA.forEach((axis, i) => {
    if (a.shape[axis] !== b.shape[axesB[i]!])
      throw new ShapeError(
        `tensordot: contracted axes differ in size: axis ${axis} of a ${formatShape(a.shape)} is ${a.shape[axis]}, axis ${axesB[i]} of b ${formatShape(b.shape)} is ${b.shape[axesB[i]!]}`,
      );
  });
  const freeA = a.shape.map((_, i) => i).filter((i) => !axesA.includes(i));
  const freeB = b.shape.map((_, i) => i).filter((i) => !axesB.includes(i));
  const size = (x: Tensor, axes: number[]): number => axes.reduce((n, axis) => n * x.shape[axis]!, 1);
  const inner = size(a, axesA);
  return composite(() => {
    const left = reshape(permute(a, [...freeA, ...axesA]), [size(a, freeA), inner]);
    const right = reshape(permute(b, [...axesB, ...freeB]), [inner, size(b, freeB)]);
    return reshape(matmul(left, right), [...freeA.map((i) => a.shape[i]!), ...freeB.map((i) => b.shape[i]!)]);
  });
}

/** torch.inner: the sum over the last axes of a and b (a product when either is 0-D). */
export function inner(a: Tensor, b: Tensor): Tensor {
  if (a.rank === 0 || b.rank === 0) return mul(a, b);
  return tensordot(a, b, [[-1], [-1]]);
}

export interface AddProductOptions {
  /** The factor of `input` (default 1; with 0, input's NaN and infinity do not propagate, as torch). */
  beta?: number;
  /** The factor of the product (default 1). */
  alpha?: number;
}

/** beta * input + alpha * product, input broadcast to the product's shape (torch's add-product family). */
function scaledSum(op: string, input: Tensor, product: () => Tensor, options: AddProductOptions): Tensor {
  checkOptions(op, options, ['beta', 'alpha']);
  const beta = checkNumber(`${op}: beta`, options.beta ?? 1);
  const alpha = checkNumber(`${op}: alpha`, options.alpha ?? 1);
  return composite(() => {
    const p = product();
    if (!shapesEqual(broadcastShapes(op, input.shape, p.shape), p.shape))
      throw new ShapeError(
        `${op}: input of shape ${formatShape(input.shape)} does not broadcast to the product's shape ${formatShape(p.shape)}`,
      );
    const scaled = alpha === 1 ? p : mul(p, alpha);
    if (beta === 0) return scaled;
    return add(beta === 1 ? input : mul(input, beta), scaled);
  });
}

/** torch.addmm: beta * input + alpha * (mat1 @ mat2). */
export const addmm = (input: Tensor, mat1: Tensor, mat2: Tensor, options: AddProductOptions = {}): Tensor =>
  scaledSum('addmm', input, () => mm(mat1, mat2), options);

/** torch.baddbmm: beta * input + alpha * bmm(batch1, batch2). */
export const baddbmm = (input: Tensor, batch1: Tensor, batch2: Tensor, options: AddProductOptions = {}): Tensor =>
  scaledSum('baddbmm', input, () => bmm(batch1, batch2), options);

/** torch.addbmm: beta * input + alpha * the sum over the batch of batch1[i] @ batch2[i]. */
export const addbmm = (input: Tensor, batch1: Tensor, batch2: Tensor, options: AddProductOptions = {}): Tensor =>
  scaledSum('addbmm', input, () => sum(bmm(batch1, batch2), 0), options);

/** torch.addmv: beta * input + alpha * (mat @ vec). */
export const addmv = (input: Tensor, mat: Tensor, vec: Tensor, options: AddProductOptions = {}): Tensor =>
  scaledSum('addmv', input, () => mv(mat, vec), options);

/** torch.addr: beta * input + alpha * the outer product of vec1 and vec2. */
export function addr(input: Tensor, vec1: Tensor, vec2: Tensor, options: AddProductOptions = {}): Tensor {
  requireRank('addr', 'vec1', vec1, 1);
  requireRank('addr', 'vec2', vec2, 1);
  return scaledSum('addr', input, () => mul(reshape(vec1, [-1, 1]), vec2), options);
}

export interface AddcOptions {
  /** The factor of the product or quotient (default 1). */
  value?: number;
}

function addPointwise(op: string, input: Tensor, term: () => Tensor, options: AddcOptions): Tensor {
  checkOptions(op, options, ['value']);
  const value = checkNumber(`${op}: value`, options.value ?? 1);
  return composite(() => {
    const t = term();
    return add(input, value === 1 ? t : mul(t, value));
  });
}

/** torch.addcmul: input + value * tensor1 * tensor2 (broadcasting). */
export const addcmul = (input: Tensor, tensor1: TensorLike, tensor2: TensorLike, options: AddcOptions = {}): Tensor =>
  addPointwise('addcmul', input, () => mul(tensor1, tensor2), options);

/** torch.addcdiv: input + value * tensor1 / tensor2 (broadcasting). */
export const addcdiv = (input: Tensor, tensor1: TensorLike, tensor2: TensorLike, options: AddcOptions = {}): Tensor =>
  addPointwise('addcdiv', input, () => div(tensor1, tensor2), options);
