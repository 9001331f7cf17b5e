import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, DTypeError } from '../errors.js';
import { checkBoolean, checkNumber, checkOptions } from '../nn/checks.js';
import { fullLike } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { isFloat } from './dispatch.js';
import {
  abs,
  add,
  atan,
  cast,
  div,
  equal,
  floor,
  greater,
  greaterEqual,
  less,
  lessEqual,
  logicalAnd,
  logicalNot,
  logicalOr,
  mul,
  notEqual,
  pow,
  round,
  sign,
  sub,
  trunc,
  where,
} from './elementwise.js';
import { readOnHost } from './indexing.js';
import { reshape } from './movement.js';
import { isNaN } from './tensor-math.js';
import { any, all } from './tensor-utils.js';

/*
 * torch's remaining elementwise functions (atan2, fmod, remainder, floor_divide, fmax, fmin,
 * heaviside, signbit, copysign, deg2rad, rad2deg, float_power, clamp_min/max, logical_xor,
 * isclose, allclose, isin), composed from primitives so every backend has them.
 */

/** A number operand as a constant tensor beside `like` (float32 for a fraction next to int32). */
const tensorOf = (x: TensorLike, like: Tensor): Tensor =>
  typeof x !== 'number'
    ? x
    : fullLike(like, x, { dtype: isFloat(like.dtype) || Number.isInteger(x) ? like.dtype : 'float32' });

/** The first tensor operand: its backend hosts any number operand. */
function anchor(op: string, a: TensorLike, b: TensorLike): Tensor {
  if (typeof a !== 'number') return a;
  if (typeof b !== 'number') return b;
  throw new ArgumentError(`${op}: expected at least one tensor, got two numbers ${a} and ${b}`);
}

/**
 * torch.atan2(y, x): the angle of the point (x, y), in (-pi, pi]. The value is atan(y / x)
 * moved into the right quadrant; the gradient is torch's (x, -y) / (x^2 + y^2), attached to the
 * exact value (also where y / x is infinite, at x = 0).
 */
export function atan2(y: Tensor, x: TensorLike): Tensor {
  if (!isFloat(y.dtype)) throw new DTypeError(`atan2: expected a float tensor, got dtype ${y.dtype}`);
  return composite(() => {
    const xs = tensorOf(x, y);
    const value = noGrad(() => {
      const base = where(logicalAnd(equal(xs, 0), equal(y, 0)), 0, atan(div(y, xs)));
      const halfTurn = sub(mul(cast(greaterEqual(y, 0), y.dtype), 2 * Math.PI), Math.PI);
      const turn = where(less(xs, 0), halfTurn, 0);
      return add(base, turn);
    });
    if (!y.requiresGrad && !xs.requiresGrad) return value;
    const [dy, dx] = noGrad(() => {
      const radius = add(mul(xs, xs), mul(y, y));
      const zero = equal(radius, 0);
      const safe = where(zero, 1, radius);
      return [where(zero, 0, div(xs, safe)), where(zero, 0, div(mul(y, -1), safe))];
    });
    // value + dy (y - y') + dx (x - x'): exactly the value, with the gradient (dy, dx).
    return add(add(value, mul(dy, sub(y, y.detach()))), mul(dx, sub(xs, xs.detach())));
  });
}

/** Both operands integral: int32 tensors or integer numbers. */
const integral = (a: TensorLike, b: TensorLike): boolean =>
  [a, b].every((t) => (typeof t === 'number' ? Number.isInteger(t) : !isFloat(t.dtype)));

/**
 * rounding(n / b) for int32 n and b through float32, as int32: exact while |n| < 2^24, otherwise
 * off by at most |n| 2^-23 + 1 (intDivision divides the int32 remainder it leaves once more).
 */
const quotientGuess = (n: Tensor, b: Tensor, rounding: (q: Tensor) => Tensor): Tensor =>
  cast(rounding(div(cast(n, 'float32'), cast(b, 'float32'))), 'int32');

/**
 * r moved by at most one step of |b| into range: the sign `direction` (or 0) and |r| < |b|; with
 * the number of steps added (1, 0 or -1), for the quotient.
 */
function intoRange(r: Tensor, size: Tensor, direction: Tensor): [Tensor, Tensor] {
  const step = mul(size, direction);
  const wrongSign = logicalAnd(notEqual(r, 0), notEqual(sign(r), direction));
  const back = where(wrongSign, add(r, step), r);
  const over = greaterEqual(abs(back), size);
  return [where(over, sub(back, step), back), sub(cast(wrongSign, r.dtype), cast(over, r.dtype))];
}

/**
 * [quotient, remainder] of int32 a and b, exact over the whole int32 range: the float32 quotient
 * leaves an int32 remainder (exact, wrapping) small enough to divide once more, and one step into
 * range settles the rest. The remainder has the sign of a (trunc) or of b (floor).
 */
function intDivision(a: Tensor, b: Tensor, rounding: (q: Tensor) => Tensor, signOf: 'a' | 'b'): [Tensor, Tensor] {
  const first = quotientGuess(a, b, rounding);
  const rest = sub(a, mul(first, b));
  const second = quotientGuess(rest, b, rounding);
  const direction = sign(signOf === 'a' ? a : b);
  const [r, steps] = intoRange(sub(rest, mul(second, b)), abs(b), direction);
  // a = q b + r: each step of |b| direction added to r is direction sign(b) taken from q.
  return [sub(add(first, second), mul(steps, mul(direction, sign(b)))), r];
}

/**
 * The rounding error q b - fl(q b) of a float product (Dekker's two-product, with Veltkamp's split
 * for the dtype's precision), 0 where it is not finite (an overflowing split).
 */
function productError(q: Tensor, b: Tensor, product: Tensor): Tensor {
  const splitter = product.dtype === 'float64' ? 2 ** 27 + 1 : 2 ** 12 + 1;
  const split = (x: Tensor): [Tensor, Tensor] => {
    const c = mul(x, splitter);
    const high = sub(c, sub(c, x));
    return [high, sub(x, high)];
  };
  const [qh, ql] = split(q);
  const [bh, bl] = split(b);
  const error = add(add(add(sub(mul(qh, bh), product), mul(qh, bl)), mul(ql, bh)), mul(ql, bl));
  return where(less(abs(error), Infinity), error, 0);
}

/**
 * a - rounding(a / b) * b, then one step back into range where the rounded division was off by
 * one: the result has the sign of a (fmod) or of b (remainder) and |r| < |b|. A float a - q b
 * has the product's rounding error taken back (exact while q b is near a, as C's fmod: 5 mod 0.1
 * is 0.0999..., not 0); int32 operands stay int32 and exact (intDivision).
 */
function modulo(op: string, a: TensorLike, b: TensorLike, rounding: (q: Tensor) => Tensor, signOf: 'a' | 'b'): Tensor {
  const first = anchor(op, a, b);
  if (typeof a !== 'number' && a.dtype === 'bool') throw new DTypeError(`${op}: expected numbers, got dtype bool`);
  return composite(() => {
    if (integral(a, b)) return intDivision(tensorOf(a, first), tensorOf(b, first), rounding, signOf)[1];
    const q = rounding(div(a, b));
    const product = mul(q, b);
    // a - q b with the rounding error of q b taken back: its sign decides the step into range.
    const r = sub(
      sub(a, product),
      noGrad(() => productError(q, tensorOf(b, first), product)),
    );
    // The gradient to b is torch's -(a / b rounded): fmod's plain trunc(a / b) (the step into
    // range a constant), remainder's exact floor (the step counted).
    const size = signOf === 'a' ? noGrad(() => abs(tensorOf(b, first))) : abs(tensorOf(b, first));
    return intoRange(r, size, sign(tensorOf(signOf === 'a' ? a : b, first)))[0];
  });
}

/** torch.fmod: the C remainder a - trunc(a / b) * b, with the sign of a; int32 or float. */
export const fmod = (a: TensorLike, b: TensorLike): Tensor => modulo('fmod', a, b, trunc, 'a');

/** torch.remainder: Python's modulus a - floor(a / b) * b, with the sign of b; int32 or float. */
export const remainder = (a: TensorLike, b: TensorLike): Tensor => modulo('remainder', a, b, floor, 'b');

/**
 * torch.floor_divide (torch 1.13: rounding toward minus infinity): floor(a / b), taken from the
 * remainder so that (a - remainder(a, b)) / b is an integer; int32 operands give int32, exact
 * (intDivision). No gradient.
 */
export function floorDivide(a: TensorLike, b: TensorLike): Tensor {
  const first = anchor('floorDivide', a, b);
  return noGrad(() =>
    composite(() => {
      if (integral(a, b)) return intDivision(tensorOf(a, first), tensorOf(b, first), floor, 'b')[0];
      const out = round(div(sub(a, remainder(a, b)), b));
      // Division by zero: the quotient itself (±inf or NaN), as torch.
      return where(equal(tensorOf(b, first), 0), div(a, b), out);
    }),
  );
}

/** fmax/fmin: a where pick(a, b) holds or b is NaN (unless a is NaN too), else b; ties pick a, as torch's gradient. */
function nanIgnoring(op: string, a: Tensor, b: TensorLike, pick: (a: Tensor, b: TensorLike) => Tensor): Tensor {
  if (a.dtype === 'bool') throw new DTypeError(`${op}: expected numbers, got dtype bool`);
  return composite(() => {
    const bNaN = isNaN(tensorOf(b, a));
    return where(logicalOr(bNaN, logicalAnd(logicalNot(isNaN(a)), pick(a, b))), a, b);
  });
}

/** torch.fmax: elementwise maximum where NaN loses to a number (NaN only where both are). */
export const fmax = (a: Tensor, b: TensorLike): Tensor => nanIgnoring('fmax', a, b, greaterEqual);
/** torch.fmin: elementwise minimum where NaN loses to a number (NaN only where both are). */
export const fmin = (a: Tensor, b: TensorLike): Tensor => nanIgnoring('fmin', a, b, lessEqual);

/** torch.heaviside: 0 where x < 0, `values` where x == 0, 1 where x > 0 (no gradient, as torch). */
export function heaviside(x: Tensor, values: TensorLike): Tensor {
  if (typeof values !== 'number' && values.dtype !== x.dtype)
    throw new DTypeError(`heaviside: values must have x's dtype ${x.dtype}, got ${values.dtype}`);
  return noGrad(() => composite(() => where(equal(x, 0), values, cast(greater(x, 0), x.dtype))));
}

/** torch.signbit: true where the sign bit is set (negative numbers and -0). */
export function signbit(x: Tensor): Tensor {
  if (!isFloat(x.dtype)) return less(x, 0);
  return composite(() => logicalOr(less(x, 0), logicalAnd(equal(x, 0), less(div(1, x), 0))));
}

/** torch.copysign: |a| with the sign bit of b (-0 counts as negative); the gradient to a is sign(a) * ±1, to b none. */
export function copysign(a: Tensor, b: TensorLike): Tensor {
  if (!isFloat(a.dtype)) throw new DTypeError(`copysign: expected a float tensor, got dtype ${a.dtype}`);
  return composite(() => {
    const negative = signbit(typeof b === 'number' ? tensorOf(b, a) : b);
    return where(negative, mul(abs(a), -1), abs(a));
  });
}

/** torch.deg2rad: degrees to radians. */
export const deg2rad = (x: Tensor): Tensor => mul(x, Math.PI / 180);
/** torch.rad2deg: radians to degrees. */
export const rad2deg = (x: Tensor): Tensor => mul(x, 180 / Math.PI);

/**
 * torch.float_power: a ** b in float64 where the backend stores float64 (cpu-reference); the
 * others have no float64, so there it is float32's pow.
 */
export function floatPower(a: TensorLike, b: TensorLike): Tensor {
  const first = anchor('floatPower', a, b);
  const wide = first.backend.dtypes.includes('float64') ? 'float64' : 'float32';
  const widen = (t: TensorLike): TensorLike => (typeof t === 'number' || t.dtype === wide ? t : cast(t, wide));
  return composite(() => pow(widen(a), widen(b)));
}

/** torch.clamp_min: x where x >= min, else min (a number or a broadcasting tensor); the gradient goes to the one taken. */
export function clampMin(x: Tensor, min: TensorLike): Tensor {
  return composite(() => where(less(x, min), min, x));
}

/** torch.clamp_max: x where x <= max, else max (a number or a broadcasting tensor). */
export function clampMax(x: Tensor, max: TensorLike): Tensor {
  return composite(() => where(greater(x, max), max, x));
}

/** torch.logical_xor: true where exactly one of a and b is non-zero. */
export function logicalXor(a: Tensor, b: Tensor): Tensor {
  const truth = (t: Tensor): Tensor => (t.dtype === 'bool' ? t : notEqual(t, 0));
  return composite(() => notEqual(cast(truth(a), 'int32'), cast(truth(b), 'int32')));
}

export interface IsCloseOptions {
  /** Relative tolerance (default 1e-5). */
  rtol?: number;
  /** Absolute tolerance (default 1e-8). */
  atol?: number;
  /** Count NaN as equal to NaN (default false). */
  equalNan?: boolean;
}

function closeOptions(op: string, options: IsCloseOptions): Required<IsCloseOptions> {
  checkOptions(op, options, ['rtol', 'atol', 'equalNan']);
  return {
    rtol: checkNumber(`${op}: rtol`, options.rtol ?? 1e-5, { min: 0 }),
    atol: checkNumber(`${op}: atol`, options.atol ?? 1e-8, { min: 0 }),
    equalNan: checkBoolean(`${op}: equalNan`, options.equalNan ?? false),
  };
}

/** torch.isclose: |a - b| finite and <= atol + rtol * |b| elementwise (equal infinities are close; NaN only with equalNan). */
export function isclose(a: Tensor, b: TensorLike, options: IsCloseOptions = {}): Tensor {
  const { rtol, atol, equalNan } = closeOptions('isclose', options);
  return noGrad(() =>
    composite(() => {
      // torch: a finite difference within the tolerance (1 and Infinity are not close).
      const difference = abs(sub(a, b));
      const near = logicalAnd(
        less(difference, Infinity),
        lessEqual(difference, add(mul(abs(tensorOf(b, a)), rtol), atol)),
      );
      const same = logicalOr(equal(a, b), near);
      if (!equalNan || !isFloat(a.dtype)) return same;
      return logicalOr(same, logicalAnd(isNaN(a), isNaN(tensorOf(b, a))));
    }),
  );
}

/** torch.allclose: whether every element is close (a boolean: read on the host). */
export function allclose(a: Tensor, b: TensorLike, options: IsCloseOptions = {}): boolean {
  const every = composite(() => all(isclose(a, b, options)));
  try {
    return readOnHost('allclose', every)[0] === 1;
  } finally {
    every.dispose();
  }
}

/** allclose for backends that read asynchronously. */
export async function allcloseAsync(a: Tensor, b: TensorLike, options: IsCloseOptions = {}): Promise<boolean> {
  const every = composite(() => all(isclose(a, b, options)));
  try {
    return (await every.data())[0] === 1;
  } finally {
    every.dispose();
  }
}

export interface IsinOptions {
  /** Return the opposite: true where the element is not among testElements (default false). */
  invert?: boolean;
}

/** torch.isin: true where an element of `elements` equals some element of `testElements` (memory n x m). */
export function isin(elements: Tensor, testElements: TensorLike, options: IsinOptions = {}): Tensor {
  checkOptions('isin', options, ['invert']);
  const invert = checkBoolean('isin: invert', options.invert ?? false);
  return composite(() => {
    const tests =
      typeof testElements === 'number' ? tensorOf(testElements, elements).reshape([1]) : reshape(testElements, [-1]);
    const found = any(equal(reshape(elements, [...elements.shape, 1]), tests), -1);
    return invert ? logicalNot(found) : found;
  });
}
