// Elementwise kernels: unary, cast, binary, where. Each runs inside the caller's tf.tidy.
import {
  COMPARISON_OPS,
  UnsupportedOpError,
  type ArithmeticOp,
  type BinaryOp,
  type ComparisonOp,
  type Shape,
  type UnaryOp,
  isFloat,
  sizeOf,
  type DType,
} from '@myelin/core/backend';
import { filled, requireDType, type KernelContext, type Tensor, type TfjsDType } from './context.js';

const INT_UNARY: ReadonlySet<UnaryOp> = new Set(['neg', 'abs', 'sign']);

/** tfjs backends whose relu kernel returns NaN for NaN (checked by the conformance suite). */
const RELU_KEEPS_NAN: ReadonlySet<string> = new Set(['cpu', 'wasm']);

export function unary(ctx: KernelContext, op: UnaryOp, x: Tensor): Tensor {
  const { tf } = ctx;
  // tfjs would silently turn e.g. exp(int32) into float32; the contract says floats only.
  requireDType(ctx, op, x, INT_UNARY.has(op) ? ['float32', 'int32'] : ['float32']);
  switch (op) {
    case 'neg':
      return tf.neg(x);
    case 'exp':
      return tf.exp(x);
    case 'log':
      return tf.log(x);
    case 'sqrt':
      return tf.sqrt(x);
    case 'abs':
      return tf.abs(x);
    case 'sign':
      // tfjs sign(NaN) is 0; Math.sign (the reference) keeps NaN.
      return isFloat(x.dtype as DType) ? tf.where(tf.isNaN(x), x, tf.sign(x)) : tf.sign(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'relu':
      // tfjs-cpu (Math.max) and wasm keep NaN, as the contract wants; webgpu's shader gives 0
      // (and libtensorflow is unchecked), so there a NaN is put back.
      return RELU_KEEPS_NAN.has(tf.getBackend()) ? tf.relu(x) : tf.where(tf.isNaN(x), x, tf.relu(x));
    case 'erf':
      // tfjs's Erf kernels (cpu, wasm, webgpu) use Abramowitz & Stegun 7.1.26: within 1.5e-7 absolute.
      return tf.erf(x);
    case 'sin':
      return tf.sin(x);
    case 'cos':
      return tf.cos(x);
    case 'tan':
      return tf.tan(x);
    case 'asin':
      return tf.asin(x);
    case 'acos':
      return tf.acos(x);
    case 'atan':
      return tf.atan(x);
    case 'sinh':
      return tf.sinh(x);
    case 'cosh':
      return tf.cosh(x);
    case 'asinh':
      return tf.asinh(x);
    case 'acosh':
      return tf.acosh(x);
    case 'atanh':
      return tf.atanh(x);
    case 'log1p':
      return tf.log1p(x);
    case 'expm1':
      return tf.expm1(x);
    case 'floor':
      return tf.floor(x);
    case 'ceil':
      return tf.ceil(x);
    case 'round':
      // tf.round breaks ties to even (banker's rounding) on every tfjs backend, as torch.round.
      return tf.round(x);
    case 'trunc':
      // tfjs has no Trunc kernel: toward zero is ceil below zero and floor elsewhere (-0.5 gives -0).
      return tf.where(tf.less(x, 0), tf.ceil(x), tf.floor(x));
  }
}

/** float -> int32 truncates toward zero (tfjs-cpu does, like Int32Array); -> bool is `!= 0`. */
/**
 * tfjs backends whose cast of bool to int32 or float32 shares the bool's buffer, which later
 * programs misread: tfjs-webgpu 4.22 then compiles an invalid Transpose shader (so a sum over a
 * non-last axis, which transposes first, returns garbage) for a bool computed on the GPU.
 */
const BOOL_CAST_SHARES_BUFFER: ReadonlySet<string> = new Set(['webgpu']);

export function cast(ctx: KernelContext, x: Tensor, dtype: TfjsDType): Tensor {
  const { tf } = ctx;
  if (x.dtype === 'bool' && dtype !== 'bool' && BOOL_CAST_SHARES_BUFFER.has(tf.getBackend())) {
    // A select writes a fresh buffer of the target dtype (over the elements flattened: the
    // WebGPU select stops at rank 4).
    const flat = tf.reshape(x, [x.size]);
    return tf.reshape(tf.where(flat, tf.fill([x.size], 1, dtype), tf.fill([x.size], 0, dtype)), x.shape);
  }
  return tf.cast(x, dtype);
}

const COMPARISONS: ReadonlySet<BinaryOp> = new Set(COMPARISON_OPS);
const isComparison = (op: BinaryOp): op is ComparisonOp => COMPARISONS.has(op);

export function binary(ctx: KernelContext, op: BinaryOp, a: Tensor, b: Tensor, outShape: Shape): Tensor {
  const { tf } = ctx;
  const dtype = a.dtype as TfjsDType;
  if (isComparison(op)) return comparison(ctx, op, a, b);
  // tfjs int32 div is a floor division and pow is integer; core sends floats only, so refuse.
  if ((op === 'div' || op === 'pow') && dtype !== 'float32') throw new UnsupportedOpError(op, dtype, ctx.name);
  if (sizeOf(outShape) === 0) return filled(tf, outShape, 0, dtype);
  if (dtype === 'bool') {
    // tfjs keeps bool dtype yet stores 2 (add) or 255 (sub), and maximum/minimum return
    // int32: compute in int32 and map nonzero to true (add/maximum = or, mul/minimum = and).
    const r = arithmetic(ctx, op, tf.cast(a, 'int32'), tf.cast(b, 'int32'));
    return tf.notEqual(r, tf.scalar(0, 'int32'));
  }
  return arithmetic(ctx, op, a, b);
}

function comparison(ctx: KernelContext, op: ComparisonOp, a: Tensor, b: Tensor): Tensor {
  const { tf } = ctx;
  switch (op) {
    case 'equal':
      return tf.equal(a, b);
    case 'notEqual':
      return tf.notEqual(a, b);
    case 'less':
      return tf.less(a, b);
    case 'lessEqual':
      return tf.lessEqual(a, b);
    case 'greater':
      return tf.greater(a, b);
    case 'greaterEqual':
      return tf.greaterEqual(a, b);
  }
}

function arithmetic(ctx: KernelContext, op: ArithmeticOp, a: Tensor, b: Tensor): Tensor {
  const { tf } = ctx;
  switch (op) {
    case 'add':
      return tf.add(a, b);
    case 'sub':
      return tf.sub(a, b);
    case 'mul':
      return tf.mul(a, b);
    case 'div':
      return tf.div(a, b);
    case 'pow':
      return tf.pow(a, b);
    case 'maximum':
      return tf.maximum(a, b);
    case 'minimum':
      return tf.minimum(a, b);
  }
}

export function where(ctx: KernelContext, condition: Tensor, a: Tensor, b: Tensor, outShape: Shape): Tensor {
  const { tf } = ctx;
  const size = sizeOf(outShape);
  // tf.where broadcasts through tf.broadcastTo, which returns the wrong shape for size-0 targets.
  if (size === 0) return filled(tf, outShape, 0, a.dtype as TfjsDType);
  // tf.where broadcasts every operand with tf.broadcastTo, i.e. the Tile kernel, which on cpu
  // and wasm computes an index per element (relu's `where(x > 0, x, 0)` took 7 ms for 1e5
  // elements on wasm). Where the tensors live in host memory, a size-1 operand is read (one
  // element, no stall) and filled instead: one memset-like pass. Full-size operands of another
  // rank are reshaped (free).
  if (ctx.hostMemory && size > 1 && [condition, a, b].some((t) => t.size === 1)) {
    const full = (t: Tensor): Tensor => {
      if (t.size === size) return t.rank === outShape.length ? t : tf.reshape(t, [...outShape]);
      if (t.size !== 1) return tf.broadcastTo(t, [...outShape]);
      return filled(tf, outShape, t.dataSync()[0]!, t.dtype as TfjsDType);
    };
    return tf.where(full(condition), full(a), full(b));
  }
  return tf.where(condition, a, b);
}
