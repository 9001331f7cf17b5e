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

/**
 * tfjs backends whose Asin and Acos kernels are accurate: webgpu's call WGSL's asin / acos, which
 * Mesa's lavapipe evaluates to within only ~3e-4, so there they are composed from its atan.
 */
const EXACT_ASIN_ACOS: ReadonlySet<string> = new Set(['cpu', 'wasm']);

/**
 * tfjs backends whose Sin, Tan, Sinh, Asinh, Atanh, Log1p and Expm1 kernels keep their relative
 * accuracy near 0 (tfjs-cpu's are Math's). webgpu's evaluate (e^x - e^-x) / 2,
 * log(x + sqrt(x^2 + 1)), log((1 + x) / (1 - x)) / 2, log(1 + x) and e^x - 1, which lose all
 * digits as x -> 0 (expm1(1e-4) off by 20%), and WGSL's sin and tan need only an absolute error
 * of 2^-11; wasm's log1p is log(1 + x) too and its sin is within an absolute 1.6e-7 (sin(-1e-5)
 * 1.6% off). So there a power series takes over near 0.
 */
const EXACT_NEAR_ZERO: ReadonlySet<string> = new Set(['cpu']);

// Taylor coefficients, lowest first: sin x / x, tan x / x, sinh x / x, asinh x / x and atanh x / x
// in x^2, expm1 x / x in x.
const SIN_SERIES = [1, -1 / 6, 1 / 120, -1 / 5040, 1 / 362880, -1 / 39916800];
const TAN_SERIES = [1, 1 / 3, 2 / 15, 17 / 315, 62 / 2835, 1382 / 155925];
const SINH_SERIES = [1, 1 / 6, 1 / 120, 1 / 5040, 1 / 362880, 1 / 39916800];
const ASINH_SERIES = [1, -1 / 6, 3 / 40, -5 / 112, 35 / 1152, -63 / 2816];
const ATANH_SERIES = [1, 1 / 3, 1 / 5, 1 / 7, 1 / 9, 1 / 11, 1 / 13, 1 / 15];
const EXPM1_SERIES = [1, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040, 1 / 40320];

/** c[0] + z (c[1] + z (c[2] + ...)). */
function horner(ctx: KernelContext, z: Tensor, coefficients: readonly number[]): Tensor {
  const { tf } = ctx;
  let sum: Tensor = tf.scalar(coefficients.at(-1)!);
  for (let i = coefficients.length - 2; i >= 0; i--) sum = tf.add(tf.mul(sum, z), coefficients[i]!);
  return sum;
}

/** `kernel` as it is where the backend keeps accuracy near 0; elsewhere `series()` below |x| < `radius`. */
function nearZero(ctx: KernelContext, x: Tensor, radius: number, series: () => Tensor, kernel: Tensor): Tensor {
  const { tf } = ctx;
  if (EXACT_NEAR_ZERO.has(tf.getBackend())) return kernel;
  return tf.where(tf.less(tf.abs(x), radius), series(), kernel);
}

/**
 * sin, cos or tan of x on webgpu: WGSL's sin and cos need only an absolute error of 2^-11, and
 * Chromium's (Tint over SwiftShader or ANGLE) are that coarse (sin off by 1.6e-4 on [-10, 10]),
 * so they are computed here as cephes' sinf/cosf do: x = k pi/2 + r by a three-part Cody-Waite
 * reduction (exact products for |k| < 2^16, so |x| up to ~1e5), then minimax polynomials on
 * |r| <= pi/4 (within a few float32 ulp; relative accuracy kept near 0), picked by k mod 4.
 */
function trigByReduction(ctx: KernelContext, op: 'sin' | 'cos' | 'tan', x: Tensor): Tensor {
  const { tf } = ctx;
  const k = tf.round(tf.mul(x, 2 / Math.PI));
  const r = tf.sub(
    tf.sub(tf.sub(x, tf.mul(k, 1.5703125)), tf.mul(k, 4.837512969970703e-4)),
    tf.mul(k, 7.549789954891882e-8),
  );
  const r2 = tf.square(r);
  const sinR = tf.add(r, tf.mul(tf.mul(r, r2), horner(ctx, r2, [-1.6666654611e-1, 8.3321608736e-3, -1.9515295891e-4])));
  const cosR = tf.add(
    tf.sub(1, tf.mul(r2, 0.5)),
    tf.mul(tf.square(r2), horner(ctx, r2, [4.166664568298827e-2, -1.388731625493765e-3, 2.443315711809948e-5])),
  );
  // The quadrant k mod 4 in 0..3 (k is a whole float32; exact below 2^24).
  const quadrant = tf.sub(k, tf.mul(tf.floor(tf.div(k, 4)), 4));
  const odd = tf.equal(tf.mod(quadrant, 2), 1);
  const sinX = tf.where(odd, cosR, sinR);
  const cosX = tf.where(odd, sinR, cosR);
  // sin is negated in quadrants 2 and 3, cos in 1 and 2.
  const sinSigned = tf.where(tf.greaterEqual(quadrant, 2), tf.neg(sinX), sinX);
  const cosSigned = tf.where(
    tf.logicalAnd(tf.greaterEqual(quadrant, 1), tf.lessEqual(quadrant, 2)),
    tf.neg(cosX),
    cosX,
  );
  if (op === 'sin') return sinSigned;
  if (op === 'cos') return cosSigned;
  return tf.div(sinSigned, cosSigned);
}

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
      if (tf.getBackend() === 'webgpu') return trigByReduction(ctx, 'sin', x);
      // near 0: x (1 - x^2 / 3! + x^4 / 5! - ...), within 1e-13 below |x| = 1/2
      return nearZero(ctx, x, 0.5, () => tf.mul(x, horner(ctx, tf.square(x), SIN_SERIES)), tf.sin(x));
    case 'cos':
      if (tf.getBackend() === 'webgpu') return trigByReduction(ctx, 'cos', x);
      return tf.cos(x);
    case 'tan':
      if (tf.getBackend() === 'webgpu') return trigByReduction(ctx, 'tan', x);
      // near 0: x (1 + x^2 / 3 + 2 x^4 / 15 + ...), within 1e-9 below |x| = 1/4
      return nearZero(ctx, x, 0.25, () => tf.mul(x, horner(ctx, tf.square(x), TAN_SERIES)), tf.tan(x));
    case 'asin':
      if (!EXACT_ASIN_ACOS.has(tf.getBackend())) {
        // asin x = atan(x / sqrt((1 - x)(1 + x))): +-pi/2 at +-1, NaN beyond, as the contract wants.
        return tf.atan(tf.div(x, tf.sqrt(tf.mul(tf.sub(1, x), tf.add(1, x)))));
      }
      return tf.asin(x);
    case 'acos':
      if (!EXACT_ASIN_ACOS.has(tf.getBackend())) {
        // acos x = 2 atan(sqrt((1 - x) / (1 + x))): 0 at 1, pi at -1 (2 / 0 = Infinity), NaN beyond.
        return tf.mul(tf.atan(tf.sqrt(tf.div(tf.sub(1, x), tf.add(1, x)))), 2);
      }
      return tf.acos(x);
    case 'atan':
      return tf.atan(x);
    case 'sinh':
      // near 0: x (1 + x^2 / 3! + x^4 / 5! + ...), within 2e-10 below |x| = 1
      return nearZero(ctx, x, 1, () => tf.mul(x, horner(ctx, tf.square(x), SINH_SERIES)), tf.sinh(x));
    case 'cosh':
      return tf.cosh(x);
    case 'asinh':
      // near 0: x (1 - x^2 / 6 + 3 x^4 / 40 - ...), within 1e-9 below |x| = 1/4
      return nearZero(ctx, x, 0.25, () => tf.mul(x, horner(ctx, tf.square(x), ASINH_SERIES)), tf.asinh(x));
    case 'acosh':
      return tf.acosh(x);
    case 'atanh':
      // near 0: x (1 + x^2 / 3 + x^4 / 5 + ...), within 2e-9 below |x| = 1/3
      return nearZero(ctx, x, 1 / 3, () => tf.mul(x, horner(ctx, tf.square(x), ATANH_SERIES)), tf.atanh(x));
    case 'log1p':
      // near 0: 2 atanh(x / (2 + x)), the series above (|x / (2 + x)| < 1/3 below |x| = 1/2)
      return nearZero(
        ctx,
        x,
        0.5,
        () => {
          const t = tf.div(x, tf.add(x, 2));
          return tf.mul(tf.mul(t, horner(ctx, tf.square(t), ATANH_SERIES)), 2);
        },
        // Chromium's WebGPU gives log(0) as -88.03 (the float32 minimum's log) and log of a
        // negative number as 0: -1 is the pole and below it is NaN, as C's log1p.
        tf.where(tf.less(x, -1), tf.scalar(NaN), tf.where(tf.equal(x, -1), tf.scalar(-Infinity), tf.log1p(x))),
      );
    case 'expm1':
      // near 0: x (1 + x / 2 + x^2 / 3! + ... + x^7 / 8!), within 1e-8 below |x| = 1/2
      return nearZero(ctx, x, 0.5, () => tf.mul(x, horner(ctx, x, EXPM1_SERIES)), tf.expm1(x));
    case 'floor':
      return tf.floor(x);
    case 'ceil':
      return tf.ceil(x);
    case 'round': {
      // tf.round breaks ties to even (banker's rounding) on every tfjs backend, as torch.round;
      // but tfjs-cpu's gives +0 for -0.5 (floor, then +1): a zero result takes x's sign (x * 0).
      const r = tf.round(x);
      return tf.where(tf.equal(r, 0), tf.mul(x, 0), r);
    }
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
