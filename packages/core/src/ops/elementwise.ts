import type { ArithmeticOp, ComparisonOp, DType, UnaryOp } from '../backend/contract.js';
import { ArgumentError, DTypeError } from '../errors.js';
import { noGrad } from '../autograd/grad-mode.js';
import { composite } from '../tensor/scope.js';
import { broadcastOutShape } from '../tensor/shape.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import {
  adoptAll,
  coerceOperands,
  isFloat,
  requireFloatInput,
  runBinary,
  runPrimitive,
  runUnary,
  runWhere,
} from './dispatch.js';

/** Elementwise unary kernels that need a float input. */
function floatUnary(op: UnaryOp, x: Tensor): Tensor {
  requireFloatInput(op, x);
  return runUnary(op, x);
}

/** Kernels that also run on int32 (neg, abs, sign). */
function numericUnary(op: UnaryOp, x: Tensor): Tensor {
  if (x.dtype === 'bool') throw new DTypeError(`${op}: expected a numeric tensor, got dtype bool (cast it first)`);
  return runUnary(op, x);
}

export const neg = (x: Tensor): Tensor => numericUnary('neg', x);
export const abs = (x: Tensor): Tensor => numericUnary('abs', x);
export const sign = (x: Tensor): Tensor => numericUnary('sign', x);
export const exp = (x: Tensor): Tensor => floatUnary('exp', x);
export const log = (x: Tensor): Tensor => floatUnary('log', x);
export const sqrt = (x: Tensor): Tensor => floatUnary('sqrt', x);
export const sigmoidPrimitive = (x: Tensor): Tensor => floatUnary('sigmoid', x);
export const tanhPrimitive = (x: Tensor): Tensor => floatUnary('tanh', x);
export const reluPrimitive = (x: Tensor): Tensor => floatUnary('relu', x);
/** The error function, (2 / sqrt(pi)) times the integral of exp(-t^2) from 0 to x (torch.erf). */
export const erf = (x: Tensor): Tensor => floatUnary('erf', x);
export const sin = (x: Tensor): Tensor => floatUnary('sin', x);
export const cos = (x: Tensor): Tensor => floatUnary('cos', x);
export const tan = (x: Tensor): Tensor => floatUnary('tan', x);
/** Inverse sine in [-pi/2, pi/2]; NaN outside [-1, 1] (torch.asin). */
export const asin = (x: Tensor): Tensor => floatUnary('asin', x);
/** Inverse cosine in [0, pi]; NaN outside [-1, 1] (torch.acos). */
export const acos = (x: Tensor): Tensor => floatUnary('acos', x);
export const atan = (x: Tensor): Tensor => floatUnary('atan', x);
export const sinh = (x: Tensor): Tensor => floatUnary('sinh', x);
export const cosh = (x: Tensor): Tensor => floatUnary('cosh', x);
export const asinh = (x: Tensor): Tensor => floatUnary('asinh', x);
/** Inverse hyperbolic cosine; NaN below 1 (torch.acosh). */
export const acosh = (x: Tensor): Tensor => floatUnary('acosh', x);
/** Inverse hyperbolic tangent; +-Infinity at +-1 and NaN beyond (torch.atanh). */
export const atanh = (x: Tensor): Tensor => floatUnary('atanh', x);
/** log(1 + x), exact for small x (torch.log1p). */
export const log1p = (x: Tensor): Tensor => floatUnary('log1p', x);
/** exp(x) - 1, exact for small x (torch.expm1). */
export const expm1 = (x: Tensor): Tensor => floatUnary('expm1', x);

/** Rounding kernels: an int32 tensor is already whole, so it is copied (as torch returns it). */
function roundingUnary(op: UnaryOp, x: Tensor): Tensor {
  if (x.dtype === 'int32') return x.detach();
  return floatUnary(op, x);
}

/** The largest whole number <= x (torch.floor); the gradient is 0, as in PyTorch. */
export const floor = (x: Tensor): Tensor => roundingUnary('floor', x);
/** The smallest whole number >= x (torch.ceil); the gradient is 0. */
export const ceil = (x: Tensor): Tensor => roundingUnary('ceil', x);
/** The nearest whole number, ties to even: round(0.5) = 0, round(1.5) = 2 (torch.round); gradient 0. */
export const round = (x: Tensor): Tensor => roundingUnary('round', x);
/** x rounded toward zero (torch.trunc); the gradient is 0. */
export const trunc = (x: Tensor): Tensor => roundingUnary('trunc', x);

/** Converts to another dtype; float -> int truncates toward zero, nonzero -> true. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (!x.backend.dtypes.includes(dtype)) {
    throw new DTypeError(
      `cast: backend '${x.backend.name}' has no dtype ${dtype} (it has ${x.backend.dtypes.join(', ')})`,
    );
  }
  return runPrimitive('cast', [x], { dtype }, x.shape, dtype, (h) => x.backend.cast(h, dtype));
}

function arithmetic(op: ArithmeticOp, a: TensorLike, b: TensorLike, minimumDtype?: DType): Tensor {
  // Two float tensors of one dtype (most ops, all of autograd's): nothing to coerce or adopt.
  if (typeof a !== 'number' && typeof b !== 'number' && a.dtype === b.dtype && isFloat(a.dtype)) {
    return runBinary(op, a, b, broadcastOutShape(op, a.shape, b.shape), a.dtype);
  }
  const operands = coerceOperands(op, a, b, minimumDtype);
  if (operands.a.dtype === 'bool')
    throw new DTypeError(`${op}: expected numeric tensors, got dtype bool (cast them first)`);
  const outShape = broadcastOutShape(op, operands.a.shape, operands.b.shape);
  const output = runBinary(op, operands.a, operands.b, outShape, operands.a.dtype);
  return adoptAll(output, operands.created);
}

function comparison(op: ComparisonOp, a: TensorLike, b: TensorLike): Tensor {
  const operands = coerceOperands(op, a, b);
  const outShape = broadcastOutShape(op, operands.a.shape, operands.b.shape);
  const output = runBinary(op, operands.a, operands.b, outShape, 'bool');
  return adoptAll(output, operands.created);
}

export const add = (a: TensorLike, b: TensorLike): Tensor => arithmetic('add', a, b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => arithmetic('sub', a, b);
export const mul = (a: TensorLike, b: TensorLike): Tensor => arithmetic('mul', a, b);
/** True division: int operands are promoted to float32, as in PyTorch. */
export const div = (a: TensorLike, b: TensorLike): Tensor => arithmetic('div', a, b, 'float32');
export const pow = (a: TensorLike, b: TensorLike): Tensor => arithmetic('pow', a, b, 'float32');
export const maximum = (a: TensorLike, b: TensorLike): Tensor => arithmetic('maximum', a, b);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => arithmetic('minimum', a, b);

export const equal = (a: TensorLike, b: TensorLike): Tensor => comparison('equal', a, b);
export const notEqual = (a: TensorLike, b: TensorLike): Tensor => comparison('notEqual', a, b);
export const less = (a: TensorLike, b: TensorLike): Tensor => comparison('less', a, b);
export const lessEqual = (a: TensorLike, b: TensorLike): Tensor => comparison('lessEqual', a, b);
export const greater = (a: TensorLike, b: TensorLike): Tensor => comparison('greater', a, b);
export const greaterEqual = (a: TensorLike, b: TensorLike): Tensor => comparison('greaterEqual', a, b);

/** `condition ? a : b` elementwise, broadcasting all three. */
export function where(condition: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (condition.dtype !== 'bool')
    throw new DTypeError(
      `where: condition must be bool, got dtype ${condition.dtype} (compare first, e.g. x.greater(0))`,
    );
  const operands = coerceOperands('where', a, b);
  const outShape = broadcastOutShape(
    'where',
    broadcastOutShape('where', condition.shape, operands.a.shape),
    operands.b.shape,
  );
  const output = runWhere(condition, operands.a, operands.b, outShape);
  return adoptAll(output, operands.created);
}

/** True where the value is neither infinite nor NaN. */
export const isFinite = (x: Tensor): Tensor => composite(() => equal(sub(x, x), 0));

/** Elementwise AND of two bool tensors (broadcasting). */
export const logicalAnd = (a: Tensor, b: Tensor): Tensor =>
  composite(() => equal(mul(cast(a, 'int32'), cast(b, 'int32')), 1));
/** Elementwise OR of two bool tensors (broadcasting). */
export const logicalOr = (a: Tensor, b: Tensor): Tensor =>
  composite(() => greater(add(cast(a, 'int32'), cast(b, 'int32')), 0));
/** Elementwise NOT of a bool tensor. */
export const logicalNot = (a: Tensor): Tensor => composite(() => equal(cast(a, 'int32'), 0));

export const square = (x: Tensor): Tensor => mul(x, x);
export const reciprocal = (x: Tensor): Tensor => div(1, x);

/** Base-2 logarithm (torch.log2); exact at powers of 2, as libm's. */
export const log2 = (x: Tensor): Tensor => composite(() => logBase(x, 2, Math.LN2));
/** Base-10 logarithm (torch.log10); exact at powers of 10 the backend's pow reproduces (log10(1000) is 3). */
export const log10 = (x: Tensor): Tensor => composite(() => logBase(x, 10, Math.LN10));

/**
 * log(x) / ln(base), moved onto the integer r where base^r is x: log(1000) / ln 10 is
 * 2.9999999999999996, and floor(log10(x)) counts digits. The correction is a constant, so the
 * gradient stays 1 / (x ln base); y + (r - y) is exactly r (Sterbenz: r - y is exact).
 */
function logBase(x: Tensor, base: number, lnBase: number): Tensor {
  const y = div(log(x), lnBase);
  const snap = noGrad(() => {
    const r = round(y);
    return where(logicalAnd(isFinite(r), equal(pow(base, r), x)), sub(r, y), 0);
  });
  return add(y, snap);
}
/** 2 to the power x (torch.exp2). */
export function exp2(x: Tensor): Tensor {
  requireFloatInput('exp2', x);
  return pow(2, x);
}
/** 1 / sqrt(x) (torch.rsqrt): Infinity at 0, NaN below. */
export const rsqrt = (x: Tensor): Tensor => composite(() => div(1, sqrt(x)));
/** The fractional part, x - trunc(x), with x's sign (torch.frac); the gradient is 1. */
export function frac(x: Tensor): Tensor {
  requireFloatInput('frac', x);
  return composite(() => sub(x, trunc(x)));
}

/**
 * Limits values to [min, max] (either bound may be null). Like PyTorch, the gradient is 1 on
 * the bounds themselves and 0 outside them.
 */
export function clamp(x: Tensor, min: number | null, max: number | null): Tensor {
  if (min !== null && max !== null && min > max)
    throw new ArgumentError(`clamp: min ${min} is greater than max ${max}`);
  return composite(() => {
    let out = x;
    if (min !== null) out = where(less(out, min), min, out);
    if (max !== null) out = where(greater(out, max), max, out);
    return out === x ? mul(x, 1) : out;
  });
}
