import { noGrad } from '../autograd/grad-mode.js';
import { composite } from '../tensor/scope.js';
import { normalizeAxis } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { isFloat } from '../backend/dtypes.js';
import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { fromHost } from '../tensor/creation.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { requireFloatInput } from './dispatch.js';
import { softmaxFused } from './fused.js';
import {
  abs,
  add,
  div,
  erf,
  exp,
  greater,
  greaterEqual,
  less,
  lessEqual,
  log,
  maximum,
  mul,
  neg,
  reluPrimitive,
  sigmoidPrimitive,
  sub,
  tanhPrimitive,
  where,
} from './elementwise.js';
import { slice } from './movement.js';
import { max, sum } from './reduce.js';

/**
 * max(x, 0) as one kernel on floats; NaN stays NaN and the gradient at 0 is 0, as in PyTorch.
 * Integer tensors (which the kernel does not take) use the composed form, NaN-free anyway.
 */
export const relu = (x: Tensor): Tensor =>
  isFloat(x.dtype) ? reluPrimitive(x) : composite(() => where(lessEqual(x, 0), 0, x));

/** x for x > 0, negativeSlope * x otherwise (NaN stays NaN); no scalar branch for `where` to broadcast. */
export const leakyRelu = (x: Tensor, negativeSlope = 0.01): Tensor =>
  composite(() => where(greater(x, 0), x, mul(x, negativeSlope)));

/** x for x > 0, alpha * (exp(x) - 1) otherwise. */
export const elu = (x: Tensor, alpha = 1): Tensor => composite(() => eluOf(x, alpha, 1));

/**
 * scale * (x for x > 0, alpha (exp(x) - 1) otherwise); the gradient at 0 is the second branch's,
 * scale * alpha, as in PyTorch. exp only sees the non-positive part (x itself, 0 elsewhere): exp
 * of a large positive x would be Infinity, and the unused branch's zero gradient times Infinity
 * is NaN. (A minimum(x, 0) there would share the gradient at the tie x = 0, halving it.)
 */
function eluOf(x: Tensor, alpha: number, scale: number): Tensor {
  const positive = greater(x, 0);
  const negativePart = where(positive, 0, x);
  const negative = mul(sub(exp(negativePart), 1), alpha * scale);
  return where(positive, scale === 1 ? x : mul(x, scale), negative);
}

export const sigmoid = (x: Tensor): Tensor => sigmoidPrimitive(x);
export const tanh = (x: Tensor): Tensor => tanhPrimitive(x);

/** exp(x) / sum(exp(x)) along `axis`, shifted by the (detached) max for stability. */
export function softmax(x: Tensor, axis = -1): Tensor {
  const at = normalizeAxis('softmax', axis, x.rank);
  const fused = x.backend.fused;
  // Over the last axis (attention's scores): one kernel each way where the backend has them.
  // (Rows of no values stay composed, unshifted: an empty result, as PyTorch's.)
  if (
    at === x.rank - 1 &&
    x.shape[at]! > 0 &&
    isFloat(x.dtype) &&
    fused?.softmax !== undefined &&
    fused.softmaxBackward !== undefined
  )
    return softmaxFused(x);
  return composite(() => {
    const e = exp(shiftedByMax(x, at));
    return div(e, sum(e, at, true));
  });
}

/** x - logsumexp(x) along `axis`, stable for extreme logits. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const at = normalizeAxis('logSoftmax', axis, x.rank);
  return composite(() => {
    const shifted = shiftedByMax(x, at);
    return sub(shifted, log(sum(exp(shifted), at, true)));
  });
}

/**
 * x less its max along `axis` (which cancels out of softmax, so it takes no gradient): exp of it
 * never overflows. An empty axis has no max and nothing to shift: x itself (the result is empty,
 * as PyTorch's softmax of no values).
 */
function shiftedByMax(x: Tensor, axis: number): Tensor {
  if (x.shape[axis] === 0) return x;
  return sub(
    x,
    noGrad(() => max(x, axis, true)),
  );
}

// ---- the activations of PyTorch's torch.nn beyond the classic ones ---------------------------
// Each composes primitives (so every backend runs it and autograd differentiates it) and takes
// float tensors only, as PyTorch's kernels do. Gradients at the kinks are PyTorch's.

/**
 * log(1 + exp(z)) = m + log(exp(-m) + exp(z - m)) with m = max(z, 0): both exponents are <= 0,
 * so nothing overflows and the gradient is sigmoid(z) everywhere. m cancels out mathematically,
 * so it needs no gradient. (Call inside a composite.)
 */
export function stableSoftplus(z: Tensor): Tensor {
  const shift = noGrad(() => maximum(z, 0));
  return add(shift, log(add(exp(neg(shift)), exp(sub(z, shift)))));
}

/** PyTorch's `approximate` argument of GELU: the exact form or the tanh approximation. */
export type GeluApproximation = 'none' | 'tanh';

/**
 * GELU, x * Phi(x) (torch.nn.functional.gelu): `approximate: 'none'` (the default, as in
 * PyTorch) is x (1 + erf(x / sqrt 2)) / 2; `'tanh'` is the tanh approximation
 * 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
 */
export function gelu(x: Tensor, approximate: GeluApproximation = 'none'): Tensor {
  requireFloatInput('gelu', x);
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new ArgumentError(`gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
  }
  return composite(() => {
    if (approximate === 'none') return mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
    const inner = mul(add(x, mul(mul(mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
    return mul(mul(x, 0.5), add(tanhPrimitive(inner), 1));
  });
}

/** SiLU (swish), x * sigmoid(x). */
export function silu(x: Tensor): Tensor {
  requireFloatInput('silu', x);
  return composite(() => mul(x, sigmoidPrimitive(x)));
}

/**
 * Softplus, log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's
 * defaults: beta 1, threshold 20). Stable for any x.
 */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  requireFloatInput('softplus', x);
  if (!Number.isFinite(beta) || beta === 0)
    throw new ArgumentError(`softplus: beta must be a finite non-zero number, got ${beta}`);
  if (Number.isNaN(threshold)) throw new ArgumentError(`softplus: threshold must be a number, got ${threshold}`);
  return composite(() => {
    const scaled = beta === 1 ? x : mul(x, beta);
    const smooth = beta === 1 ? stableSoftplus(scaled) : div(stableSoftplus(scaled), beta);
    return where(greater(scaled, threshold), x, smooth);
  });
}

/** Mish, x * tanh(softplus(x)). */
export function mish(x: Tensor): Tensor {
  requireFloatInput('mish', x);
  return composite(() => mul(x, tanhPrimitive(stableSoftplus(x))));
}

/** Softsign, x / (1 + |x|). */
export function softsign(x: Tensor): Tensor {
  requireFloatInput('softsign', x);
  return composite(() => div(x, add(abs(x), 1)));
}

/**
 * Hardtanh: x clamped to [minVal, maxVal] (defaults -1, 1). Unlike clamp, and as PyTorch's
 * hardtanh, the gradient is 0 on the bounds themselves.
 */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  requireFloatInput('hardtanh', x);
  if (!(minVal <= maxVal))
    throw new ArgumentError(`hardtanh: minVal ${minVal} must not be greater than maxVal ${maxVal}`);
  return composite(() => where(lessEqual(x, minVal), minVal, where(greaterEqual(x, maxVal), maxVal, x)));
}

/** ReLU6, min(max(x, 0), 6): hardtanh(x, 0, 6). */
export const relu6 = (x: Tensor): Tensor => hardtanh(x, 0, 6);

/** SELU's constants (Klambauer et al. 2017, as in PyTorch). */
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** SELU, scale * (x for x > 0, alpha (exp(x) - 1) otherwise), with PyTorch's constants. */
export function selu(x: Tensor): Tensor {
  requireFloatInput('selu', x);
  return composite(() => eluOf(x, SELU_ALPHA, SELU_SCALE));
}

/** Hardsigmoid, 0 for x <= -3, 1 for x >= 3, x / 6 + 1/2 between (gradient 0 on the bounds, as in PyTorch). */
export function hardsigmoid(x: Tensor): Tensor {
  requireFloatInput('hardsigmoid', x);
  return composite(() => where(lessEqual(x, -3), 0, where(greaterEqual(x, 3), 1, add(div(x, 6), 0.5))));
}

/**
 * Hardswish, x * hardsigmoid(x): 0 for x < -3, x for x > 3, x (x + 3) / 6 between. The gradient
 * on the bounds is PyTorch's: the middle piece's (-1/2 at -3, 3/2 at 3).
 */
export function hardswish(x: Tensor): Tensor {
  requireFloatInput('hardswish', x);
  return composite(() => where(less(x, -3), 0, where(lessEqual(x, 3), div(mul(x, add(x, 3)), 6), x)));
}

/**
 * PReLU, x for x > 0 and weight * x otherwise. `weight` has one element (shared) or one per
 * channel, axis 1 of the input (as torch.nn.functional.prelu).
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  requireFloatInput('prelu', x);
  if (weight.rank !== 1) throw new ShapeError(`prelu: weight must be 1-D, got shape ${formatShape(weight.shape)}`);
  const channels = weight.shape[0]!;
  if (channels !== 1) {
    const inputChannels = x.rank >= 2 ? x.shape[1] : undefined;
    if (inputChannels !== channels)
      throw new ShapeError(
        `prelu: weight has ${channels} elements, so the input needs ${channels} channels on axis 1, got input shape ${formatShape(x.shape)}`,
      );
  }
  return composite(() => {
    // One element broadcasts as it is; per channel, [C] becomes [C, 1, ...] to line up with axis 1.
    const w =
      channels === 1 || x.rank === 2 ? weight : weight.reshape([channels, ...new Array<number>(x.rank - 2).fill(1)]);
    return where(greater(x, 0), x, mul(x, w));
  });
}

// ---- the rest of torch.nn's activations: CELU, LogSigmoid, Softmin, the shrinks, Threshold,
// GLU, RReLU and Softmax2d. Composed like those above; gradients at the kinks are PyTorch's.

/**
 * CELU, max(0, x) + min(0, alpha (exp(x / alpha) - 1)) (torch.nn.functional.celu, alpha 1 by
 * default); the gradient at 0 is 1, as in PyTorch. exp only sees the non-positive part.
 */
export function celu(x: Tensor, alpha = 1): Tensor {
  requireFloatInput('celu', x);
  if (!Number.isFinite(alpha) || alpha === 0)
    throw new ArgumentError(`celu: alpha must be a finite non-zero number, got ${alpha}`);
  return composite(() => {
    const positive = greater(x, 0);
    const negativePart = where(positive, 0, x);
    return where(positive, x, mul(sub(exp(div(negativePart, alpha)), 1), alpha));
  });
}

/** LogSigmoid, log(1 / (1 + exp(-x))) = -softplus(-x), stable for any x. */
export function logSigmoid(x: Tensor): Tensor {
  requireFloatInput('logSigmoid', x);
  return composite(() => neg(stableSoftplus(neg(x))));
}

/** Softmin, softmax(-x) along `axis` (default -1). */
export function softmin(x: Tensor, axis = -1): Tensor {
  requireFloatInput('softmin', x);
  return composite(() => softmax(neg(x), axis));
}

/** Tanhshrink, x - tanh(x). */
export function tanhshrink(x: Tensor): Tensor {
  requireFloatInput('tanhshrink', x);
  return composite(() => sub(x, tanhPrimitive(x)));
}

function checkLambd(op: string, lambd: number): void {
  if (!(lambd >= 0) || !Number.isFinite(lambd))
    throw new ArgumentError(`${op}: lambd must be a finite number >= 0, got ${lambd}`);
}

/**
 * Softshrink, x - lambd for x > lambd, x + lambd for x < -lambd, 0 between (lambd 0.5 by
 * default, >= 0 as PyTorch requires); the gradient is 0 on the bounds.
 */
export function softshrink(x: Tensor, lambd = 0.5): Tensor {
  requireFloatInput('softshrink', x);
  checkLambd('softshrink', lambd);
  return composite(() => where(greater(x, lambd), sub(x, lambd), where(less(x, -lambd), add(x, lambd), 0)));
}

/** Hardshrink, x where |x| > lambd and 0 elsewhere (lambd 0.5 by default); the gradient is 0 on the bounds. */
export function hardshrink(x: Tensor, lambd = 0.5): Tensor {
  requireFloatInput('hardshrink', x);
  checkLambd('hardshrink', lambd);
  return composite(() => where(lessEqual(abs(x), lambd), 0, x)); // NaN stays NaN, as in PyTorch
}

/** Threshold, x where x > threshold and `value` elsewhere (torch.nn.functional.threshold). */
export function threshold(x: Tensor, thresholdValue: number, value: number): Tensor {
  requireFloatInput('threshold', x);
  if (Number.isNaN(thresholdValue) || Number.isNaN(value))
    throw new ArgumentError(`threshold: threshold and value must be numbers, got ${thresholdValue} and ${value}`);
  return composite(() => where(lessEqual(x, thresholdValue), value, x)); // NaN stays NaN
}

/**
 * GLU, a * sigmoid(b) where a and b are the first and second halves of x along `axis`
 * (default -1), whose size must be even.
 */
export function glu(x: Tensor, axis = -1): Tensor {
  requireFloatInput('glu', x);
  const at = normalizeAxis('glu', axis, x.rank);
  const size = x.shape[at]!;
  if (size % 2 !== 0)
    throw new ShapeError(`glu: axis ${axis} of shape ${formatShape(x.shape)} must have an even size, got ${size}`);
  return composite(() => {
    const half = x.shape.map((d, i) => (i === at ? size / 2 : d));
    const a = slice(
      x,
      x.shape.map(() => 0),
      half,
    );
    const b = slice(
      x,
      x.shape.map((_, i) => (i === at ? size / 2 : 0)),
      half,
    );
    return mul(a, sigmoidPrimitive(b));
  });
}

export interface RReLUArgs {
  /** Random slopes (default false): false uses the fixed slope (lower + upper) / 2, as PyTorch's eval mode. */
  training?: boolean;
  /** Draws the slopes in training; the default generator otherwise (whose state checkpoints save). */
  generator?: Generator;
}

/**
 * RReLU (torch.nn.functional.rrelu): x for x > 0, a x otherwise. In training each element's
 * slope a is drawn from U(lower, upper) by the seeded host generator (so a seed gives the same
 * slopes on every backend); otherwise a = (lower + upper) / 2. Defaults lower 1/8, upper 1/3.
 */
export function rrelu(x: Tensor, lower = 1 / 8, upper = 1 / 3, args: RReLUArgs = {}): Tensor {
  requireFloatInput('rrelu', x);
  if (!Number.isFinite(lower) || !Number.isFinite(upper) || lower > upper)
    throw new ArgumentError(`rrelu: lower ${lower} and upper ${upper} must be finite with lower <= upper`);
  if (args.training !== true) return leakyRelu(x, (lower + upper) / 2);
  const slopes = (args.generator ?? defaultGenerator).uniform(x.size, lower, upper);
  return composite(() =>
    where(greater(x, 0), x, mul(x, fromHost(slopes, x.shape, { dtype: x.dtype, backend: x.backend }))),
  );
}

/** Softmax2d: softmax over the channels (axis -3) at every position of [N, C, H, W] or [C, H, W]. */
export function softmax2d(x: Tensor): Tensor {
  if (x.rank !== 3 && x.rank !== 4)
    throw new ShapeError(`softmax2d: expected [N, C, H, W] or [C, H, W] input, got shape ${formatShape(x.shape)}`);
  return softmax(x, -3);
}
