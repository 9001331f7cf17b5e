import type { PrimitiveOp } from '../backend/contract.js';
import { zerosLike } from '../tensor/creation.js';
import { shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { isFloat } from '../ops/dispatch.js';
import {
  add,
  cast,
  cos,
  cosh,
  div,
  equal,
  exp,
  greater,
  greaterEqual,
  less,
  lessEqual,
  log,
  logicalAnd,
  mul,
  neg,
  sign,
  sin,
  sinh,
  sqrt,
  sub,
  where,
} from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { expand, gather, pad, permute, reshape, scatterAdd, slice } from '../ops/movement.js';
import { matmulPrimitive } from '../ops/linalg.js';
import { fold } from '../ops/unfold.js';
import { fusedGradientRules } from './fused-gradients.js';
import type { GradNode, TapeOp } from './node.js';

/**
 * A gradient rule: given the gradient `g` of an op's output, the recorded node and the output
 * itself, returns the gradient of each input (null where none flows). `needs[i]` says whether
 * input i wants one, so rules can skip work. Rules run under noGrad, written in core ops.
 */
export type GradRule<P extends TapeOp = TapeOp> = (
  g: Tensor,
  node: GradNode<P>,
  output: Tensor,
  needs: readonly boolean[],
) => (Tensor | null)[];

/** Sums a broadcast gradient back down to the input's shape. */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  g.shape.forEach((dim, i) => {
    if (i < lead || (shape[i - lead] === 1 && dim !== 1)) axes.push(i);
  });
  return reshape(sum(g, axes, true), shape);
}

/** Gradient of max/min-like selections: ties share the gradient equally, as in PyTorch. */
function tieShare(g: Tensor, winner: Tensor, tie: Tensor): Tensor {
  return mul(g, add(cast(winner, g.dtype), mul(cast(tie, g.dtype), 0.5)));
}

const nonDifferentiable: GradRule = (_g, node) => node.inputs.map(() => null);
const zeroGradient: GradRule = (g) => [zerosLike(g)];

/** Shape with the reduced axes kept as size 1, to broadcast a reduction's gradient back. */
function keptShape(inputShape: readonly number[], axes: readonly number[]): number[] {
  return inputShape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/**
 * One rule per primitive and fused tape op; the mapped type makes an op without a rule a
 * compile error.
 */
export const gradientRules: { [P in TapeOp]: GradRule<P> } = {
  ...fusedGradientRules,
  // customGrad: the user's gradFunc (checked and cast there)
  custom: (g, { attrs }) => attrs.gradFunc(g),
  // d(-x) = -dx
  neg: (g) => [neg(g)],
  // d exp(x) = exp(x) dx
  exp: (g, _node, y) => [mul(g, y)],
  // d log(x) = dx / x
  log: (g, { inputs: [x] }) => [div(g, x!)],
  // d sqrt(x) = dx / (2 sqrt(x))
  sqrt: (g, _node, y) => [div(g, mul(y, 2))],
  // d |x| = sign(x) dx (0 at 0, as in PyTorch)
  abs: (g, { inputs: [x] }) => [mul(g, sign(x!))],
  sign: nonDifferentiable,
  // d sigmoid(x) = y (1 - y) dx
  sigmoid: (g, _node, y) => [mul(g, mul(y, sub(1, y)))],
  // d tanh(x) = (1 - y^2) dx
  tanh: (g, _node, y) => [mul(g, sub(1, mul(y, y)))],
  // d erf(x) = (2 / sqrt(pi)) exp(-x^2) dx
  erf: (g, { inputs: [x] }) => [mul(g, mul(exp(neg(mul(x!, x!))), 2 / Math.sqrt(Math.PI)))],
  // The math functions, as PyTorch's derivatives.yaml writes them (so the domain edges agree:
  // asin'(1) and acosh'(1) are Infinity, asin'(2) is NaN).
  sin: (g, { inputs: [x] }) => [mul(g, cos(x!))],
  cos: (g, { inputs: [x] }) => [mul(g, neg(sin(x!)))],
  // d tan(x) = (1 + y^2) dx
  tan: (g, _node, y) => [mul(g, add(mul(y, y), 1))],
  // d asin(x) = dx / sqrt(1 - x^2); d acos(x) = -dx / sqrt(1 - x^2)
  asin: (g, { inputs: [x] }) => [div(g, sqrt(sub(1, mul(x!, x!))))],
  acos: (g, { inputs: [x] }) => [neg(div(g, sqrt(sub(1, mul(x!, x!)))))],
  // d atan(x) = dx / (1 + x^2)
  atan: (g, { inputs: [x] }) => [div(g, add(mul(x!, x!), 1))],
  sinh: (g, { inputs: [x] }) => [mul(g, cosh(x!))],
  cosh: (g, { inputs: [x] }) => [mul(g, sinh(x!))],
  // d asinh(x) = dx / sqrt(x^2 + 1); d acosh(x) = dx / sqrt(x^2 - 1); d atanh(x) = dx / (1 - x^2)
  asinh: (g, { inputs: [x] }) => [div(g, sqrt(add(mul(x!, x!), 1)))],
  acosh: (g, { inputs: [x] }) => [div(g, sqrt(sub(mul(x!, x!), 1)))],
  atanh: (g, { inputs: [x] }) => [div(g, sub(1, mul(x!, x!)))],
  // d log1p(x) = dx / (1 + x); d expm1(x) = exp(x) dx = (y + 1) dx
  log1p: (g, { inputs: [x] }) => [div(g, add(x!, 1))],
  expm1: (g, _node, y) => [mul(g, add(y, 1))],
  // step functions: zero almost everywhere, and PyTorch takes 0 at the steps too (zeros, not
  // g * 0, so an infinite upstream gradient gives 0 as in torch)
  floor: zeroGradient,
  ceil: zeroGradient,
  round: zeroGradient,
  trunc: zeroGradient,
  // d relu(x) = 0 where y <= 0 (the kink included), else dx: PyTorch's threshold_backward, so a NaN
  // input passes its gradient through (NaN <= 0 is false), as torch.relu does
  relu: (g, _node, y) => [where(lessEqual(y, 0), 0, g)],
  // a cast between floats passes the gradient back in the input's dtype
  cast: (g, { inputs: [x] }) => [isFloat(x!.dtype) ? cast(g, x!.dtype) : null],

  add: (g, { inputs: [a, b] }, _y, needs) => [
    needs[0] ? unbroadcast(g, a!.shape) : null,
    needs[1] ? unbroadcast(g, b!.shape) : null,
  ],
  sub: (g, { inputs: [a, b] }, _y, needs) => [
    needs[0] ? unbroadcast(g, a!.shape) : null,
    needs[1] ? unbroadcast(neg(g), b!.shape) : null,
  ],
  // d(ab) = b da + a db
  mul: (g, { inputs: [a, b] }, _y, needs) => [
    needs[0] ? unbroadcast(mul(g, b!), a!.shape) : null,
    needs[1] ? unbroadcast(mul(g, a!), b!.shape) : null,
  ],
  // d(a/b) = da / b - (a/b) db / b
  div: (g, { inputs: [a, b] }, y, needs) => [
    needs[0] ? unbroadcast(div(g, b!), a!.shape) : null,
    needs[1] ? unbroadcast(neg(div(mul(g, y), b!)), b!.shape) : null,
  ],
  // d(a^b) = b a^(b-1) da + a^b log(a) db; da is 0 where b = 0 and db is 0 where a = 0 and b >= 0 (PyTorch)
  pow: (g, { inputs: [a, b] }, y, needs) => [
    needs[0] ? unbroadcast(where(equal(b!, 0), 0, mul(g, mul(b!, a!.pow(sub(b!, 1))))), a!.shape) : null,
    needs[1]
      ? unbroadcast(mul(g, where(logicalAnd(equal(a!, 0), greaterEqual(b!, 0)), 0, mul(y, log(a!)))), b!.shape)
      : null,
  ],
  maximum: (g, { inputs: [a, b] }, _y, needs) => [
    needs[0] ? unbroadcast(tieShare(g, greater(a!, b!), equal(a!, b!)), a!.shape) : null,
    needs[1] ? unbroadcast(tieShare(g, less(a!, b!), equal(a!, b!)), b!.shape) : null,
  ],
  minimum: (g, { inputs: [a, b] }, _y, needs) => [
    needs[0] ? unbroadcast(tieShare(g, less(a!, b!), equal(a!, b!)), a!.shape) : null,
    needs[1] ? unbroadcast(tieShare(g, greater(a!, b!), equal(a!, b!)), b!.shape) : null,
  ],
  equal: nonDifferentiable,
  notEqual: nonDifferentiable,
  less: nonDifferentiable,
  lessEqual: nonDifferentiable,
  greater: nonDifferentiable,
  greaterEqual: nonDifferentiable,
  // the gradient goes to whichever branch was chosen
  where: (g, { inputs: [c, a, b] }, _y, needs) => [
    null,
    needs[1] ? unbroadcast(where(c!, g, 0), a!.shape) : null,
    needs[2] ? unbroadcast(where(c!, 0, g), b!.shape) : null,
  ],

  // every summed element gets the gradient of its sum
  sum: (g, { inputs: [x], attrs }) => [expand(reshape(g, keptShape(x!.shape, attrs.axes)), x!.shape)],
  // the maximum's gradient is shared equally among the elements that attain it
  max: (g, { inputs: [x], attrs }, y) => {
    const kept = keptShape(x!.shape, attrs.axes);
    const isMax = cast(equal(x!, reshape(y, kept)), g.dtype);
    const count = sum(isMax, attrs.axes, true);
    return [mul(div(reshape(g, kept), count), isMax)];
  },
  argmax: nonDifferentiable,
  // core's sort ops take the values' gradient through a gather of the indices (ops/sort.ts)
  sort: nonDifferentiable,

  reshape: (g, { inputs: [x] }) => [reshape(g, x!.shape)],
  transpose: (g, { attrs }) => {
    const inverse = new Array<number>(attrs.perm.length);
    attrs.perm.forEach((axis, i) => (inverse[axis] = i));
    return [permute(g, inverse)];
  },
  broadcastTo: (g, { inputs: [x] }) => [unbroadcast(g, x!.shape)],
  // a slice's gradient is zero-padded back to the input's extent
  slice: (g, { inputs: [x], attrs }) => [
    pad(
      g,
      x!.shape.map((d, i) => [attrs.begin[i]!, d - attrs.begin[i]! - attrs.size[i]!] as [number, number]),
    ),
  ],
  pad: (g, { inputs: [x], attrs }) => [
    slice(
      g,
      attrs.paddings.map(([before]) => before),
      x!.shape,
    ),
  ],
  concat: (g, { inputs, attrs }, _y, needs) => {
    let offset = 0;
    return inputs.map((x, i) => {
      const begin = x.shape.map((_, axis) => (axis === attrs.axis ? offset : 0));
      offset += x.shape[attrs.axis]!;
      return needs[i] ? slice(g, begin, x.shape) : null;
    });
  },
  // gather's adjoint adds each picked slice's gradient back at its index
  gather: (g, { inputs: [x, indices], attrs }) => [scatterAdd(g, indices!, attrs.axis, x!.shape[attrs.axis]!), null],
  scatterAdd: (g, { inputs: [, indices], attrs }) => [gather(g, indices!, attrs.axis), null],
  // unfold reads each input element into the columns of the windows covering it: its adjoint
  // (fold, a scatterAdd over the padded image) adds those columns' gradients back
  unfold: (g, { inputs: [x], attrs }) => [fold(g, [x!.shape[2]!, x!.shape[3]!], attrs.kernelSize, attrs)],

  // C = op(A) op(B): each case below is dC pushed through the transposes
  matmul: (g, { inputs: [a, b], attrs: { transposeA, transposeB } }, _y, needs) => {
    const gradA = !needs[0]
      ? null
      : transposeA
        ? matmulPrimitive(b!, g, transposeB, true) // A^T: dA = op(B) dC^T
        : matmulPrimitive(g, b!, false, !transposeB); // dA = dC op(B)^T
    const gradB = !needs[1]
      ? null
      : transposeB
        ? matmulPrimitive(g, a!, true, transposeA) // B^T: dB = dC^T op(A)
        : matmulPrimitive(a!, g, !transposeA, false); // dB = op(A)^T dC
    return [gradA, gradB];
  },
};

/** The primitives through which no gradient flows (comparisons, argmax, sign). */
export const nonDifferentiableOps: ReadonlySet<PrimitiveOp> = new Set(
  (Object.keys(gradientRules) as TapeOp[]).filter(
    (op): op is PrimitiveOp => (gradientRules[op] as GradRule) === nonDifferentiable,
  ),
);
