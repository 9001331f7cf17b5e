import { ArgumentError } from '../errors.js';
import { customGrad } from '../autograd/custom-grad.js';
import { composite } from '../tensor/scope.js';
import { full } from '../tensor/creation.js';
import type { Tensor, TensorLike } from '../tensor/tensor.js';
import { requireFloatInput } from '../ops/dispatch.js';
import {
  abs,
  add,
  cos,
  div,
  equal,
  erf,
  exp,
  floor,
  greater,
  greaterEqual,
  less,
  lessEqual,
  log,
  log1p,
  logicalAnd,
  logicalOr,
  mul,
  neg,
  round,
  sign,
  sin,
  sqrt,
  square,
  sub,
  where,
} from '../ops/elementwise.js';
import { sigmoid } from '../ops/activation.js';

/**
 * torch.special, composed from core's elementwise ops so that it runs on every backend. The
 * series-based functions compute their value and their derivative without a tape and join
 * them with `withDerivative`, so their gradients are the closed forms of PyTorch's
 * derivatives.yaml (lgamma' = digamma, erfinv' = sqrt(pi)/2 exp(erfinv^2), i0' = i1, ...)
 * rather than the derivatives of the approximations.
 */

const LOG_SQRT_2PI = 0.9189385332046728; // log(2 pi) / 2
const SQRT_PI = 1.7724538509055159;

/** Horner's rule with constant coefficients, highest power first. */
function polynomial(z: Tensor, coefficients: readonly number[]): Tensor {
  let out: Tensor = mul(z, coefficients[0]!);
  for (let i = 1; i < coefficients.length - 1; i++) out = mul(add(out, coefficients[i]!), z);
  return add(out, coefficients[coefficients.length - 1]!);
}

/**
 * `value` with derivative `slope` with respect to x, as one custom autograd node: the value is
 * computed off the tape (its intermediates are freed at once) and the slope only in the
 * backward pass, as g * slope, so an infinite slope gives an infinite gradient as PyTorch's.
 */
function withDerivative(x: Tensor, value: () => Tensor, slope: (y: Tensor) => Tensor): Tensor {
  return customGrad((_input: Tensor) => {
    const y = composite(value);
    return { value: y, gradFunc: (g: Tensor) => [composite(() => mul(g, slope(y)))] };
  })(x);
}

function floatInput(name: string, x: Tensor): void {
  requireFloatInput(name, x);
}

/** sin(pi x) (or cos) with the argument reduced to [-1/2, 1/2] first, so sin is exactly 0 at integers. */
function sinPi(x: Tensor, cosine = false): Tensor {
  const n = round(x);
  const f = sub(x, n);
  // cos(pi f) = sin(pi (1/2 - |f|)): exactly 0 at the half-integers (cos(float(pi / 2)) is not)
  const r = mul(cosine ? sub(0.5, abs(f)) : f, Math.PI);
  // (-1)^n: n - 2 floor(n / 2) is 0 or 1
  const parity = sub(n, mul(floor(div(n, 2)), 2));
  return mul(sin(r), sub(1, mul(parity, 2)));
}

/** tan(pi x), reduced the same way (period 1). */
function tanPi(x: Tensor): Tensor {
  const r = mul(sub(x, round(x)), Math.PI);
  return div(sin(r), cos(r));
}

// Stirling's series for lgamma and digamma at y >= 8 (B_2k / (2k (2k - 1)) and B_2k / 2k).
const LGAMMA_SERIES = [-3617 / 122400, 1 / 156, -691 / 360360, 1 / 1188, -1 / 1680, 1 / 1260, -1 / 360, 1 / 12];
const DIGAMMA_SERIES = [-3617 / 8160, 1 / 12, -691 / 32760, 1 / 132, -1 / 240, 1 / 252, -1 / 120, 1 / 12];
const SHIFT = 8;

// (-1)^k (zeta(k) - 1) / k for k = 2 .. 30, highest first: lgamma(2 + z) = (1 - gamma) z + sum_k c_k z^k,
// which converges for |z| < 2 (used for |z| <= 1/2, where the last term is below 1e-19).
const LGAMMA_NEAR_2 = [
  -1.5021384080754142e-11, 3.1044247747322276e-11, -6.4229645638380996e-11, 1.3304764374244489e-10,
  -2.7595228851242334e-10, 5.7313672416788623e-10, -1.1921401405860912e-9, 2.4836745438024785e-9,
  -5.1834750419700466e-9, 1.0838659214896955e-8, -2.2711094608943164e-8, 4.7698101693639804e-8, -1.0043224823968099e-7,
  2.1207184805554665e-7, -4.4924691987645662e-7, 9.5514121304074194e-7, -2.0392157538013662e-6, 4.3748667899074882e-6,
  -9.4394882752683967e-6, 2.0507212775670691e-5, -4.4926236738133142e-5, 9.9457512781808531e-5, -2.2315475845357939e-4,
  5.0966952474304245e-4, -1.192753911703261e-3, 2.8905103307415234e-3, -7.3855510286739857e-3, 2.0580808427784546e-2,
  -6.7352301053198102e-2, 0.3224670334241132,
];
const ONE_MINUS_EULER = 0.42278433509846713;

/** lgamma(2 + z) for |z| <= 1/2, with its zero at z = 0 as an explicit factor z (full relative precision). */
function lgammaNear2(z: Tensor): Tensor {
  return mul(z, add(mul(polynomial(z, LGAMMA_NEAR_2), z), ONE_MINUS_EULER));
}

/**
 * log Gamma(y) for y >= 1/2. Near the zeros 1 and 2 (y < 5/2) a series in y - 2 (or, below
 * 3/2, lgamma(y + 1) - log(y) with y - 1 exact): a difference of Stirling's values of about 10
 * would lose the relative precision there. Above, shift below 8 up by 8, then Stirling.
 */
function lgammaPositive(y: Tensor): Tensor {
  const small = less(y, SHIFT);
  let product: Tensor = y;
  for (let k = 1; k < SHIFT; k++) product = mul(product, add(y, k));
  const z = where(small, add(y, SHIFT), y);
  const inverse = div(1, z);
  const series = mul(polynomial(square(inverse), LGAMMA_SERIES), inverse);
  const stirling = add(sub(mul(sub(z, 0.5), log(z)), z), add(series, LOG_SQRT_2PI));
  const shifted = where(small, sub(stirling, log(product)), stirling);
  const below = less(y, 1.5);
  const offset = where(below, sub(y, 1), sub(y, 2)); // exact: Sterbenz
  const near = where(less(y, 2.5), offset, 0);
  const nearZeros = sub(lgammaNear2(near), where(below, log1p(near), 0));
  return where(less(y, 2.5), nearZeros, shifted);
}

function lgammaValue(x: Tensor): Tensor {
  const reflect = less(x, 0.5);
  const core = lgammaPositive(where(reflect, sub(1, x), x));
  // log|Gamma(x)| = log(pi) - log|sin(pi x)| - lgamma(1 - x); infinite at the poles 0, -1, ...
  // (the log of the sine, not of pi / sine, which overflows at x = 1e-310)
  const reflected = sub(sub(Math.log(Math.PI), log(abs(sinPi(x)))), core);
  return where(equal(abs(x), Infinity), Infinity, where(reflect, reflected, core));
}

function digammaPositive(y: Tensor): Tensor {
  const small = less(y, SHIFT);
  let harmonic: Tensor = div(1, y);
  for (let k = 1; k < SHIFT; k++) harmonic = add(harmonic, div(1, add(y, k)));
  const z = where(small, add(y, SHIFT), y);
  const inverse2 = div(1, square(z));
  const series = mul(polynomial(inverse2, DIGAMMA_SERIES), inverse2);
  const asymptotic = sub(sub(log(z), div(0.5, z)), series);
  return where(small, sub(asymptotic, harmonic), asymptotic);
}

function digammaValue(x: Tensor): Tensor {
  const reflect = less(x, 0.5);
  const core = digammaPositive(where(reflect, sub(1, x), x));
  // psi(x) = psi(1 - x) - pi / tan(pi x); PyTorch: -Infinity at +0, NaN at the negative integers
  const reflected = sub(core, div(Math.PI, tanPi(x)));
  const value = where(reflect, reflected, core);
  const negativeInteger = logicalAnd(less(x, 0), equal(x, floor(x)));
  // -1 / x: -Infinity at +0, Infinity at -0 (as PyTorch)
  return where(equal(x, 0), div(-1, x), where(negativeInteger, NaN, where(equal(x, Infinity), Infinity, value)));
}

// B_2j / (2j)! for the Euler-Maclaurin tail of the Hurwitz zeta function.
const ZETA_TAIL = [
  1 / 12,
  -1 / 720,
  1 / 30240,
  -1 / 1209600,
  1 / 47900160,
  -691 / 1307674368000,
  1 / 74724249600,
  -3617 / 10670622842880000,
];
const ZETA_TERMS = 12;

/** Hurwitz zeta(s, q) for an integer s >= 2 and q > 0 (PyTorch's zeta): direct sum, then Euler-Maclaurin. */
function hurwitzZeta(s: number, q: Tensor): Tensor {
  let sum: Tensor = pow(q, -s);
  for (let k = 1; k < ZETA_TERMS; k++) sum = add(sum, pow(add(q, k), -s));
  const a = add(q, ZETA_TERMS);
  const aPow = pow(a, -s);
  sum = add(sum, add(div(mul(aPow, a), s - 1), mul(aPow, 0.5)));
  // sum_j B_2j/(2j)! s (s+1) ... (s+2j-2) a^(-s-2j+1)
  let rising = s;
  let term: Tensor = div(aPow, a);
  const inverse2 = div(1, square(a));
  for (let j = 0; j < ZETA_TAIL.length; j++) {
    if (j > 0) {
      rising *= (s + 2 * j - 1) * (s + 2 * j);
      term = mul(term, inverse2);
    }
    sum = add(sum, mul(term, ZETA_TAIL[j]! * rising));
  }
  return sum;
}

function pow(x: Tensor, exponent: number): Tensor {
  return x.pow(exponent);
}

function factorial(n: number): number {
  let out = 1;
  for (let k = 2; k <= n; k++) out *= k;
  return out;
}

/**
 * The coefficients of Q_n, highest power first, where d^n/dx^n pi cot(pi x) = pi^(n + 1) Q_n(cot(pi x)):
 * Q_0(c) = c and Q_(k+1)(c) = -(1 + c^2) Q_k'(c).
 */
function cotDerivative(n: number): number[] {
  let q = [0, 1]; // lowest power first
  for (let k = 0; k < n; k++) {
    const derivative = q.slice(1).map((c, i) => c * (i + 1));
    const next = new Array<number>(derivative.length + 2).fill(0);
    derivative.forEach((c, i) => {
      next[i]! -= c;
      next[i + 2]! -= c;
    });
    q = next;
  }
  return q.reverse();
}

function polygammaValue(n: number, x: Tensor): Tensor {
  if (n === 0) return digammaValue(x);
  // psi_n(x) = (-1)^(n+1) n! zeta(n + 1, x) for x >= 0; below 0 the reflection
  // psi_n(x) = (-1)^n psi_n(1 - x) - d^n/dx^n pi cot(pi x)
  const sign = n % 2 === 1 ? 1 : -1;
  const reflect = less(x, 0);
  const direct = mul(hurwitzZeta(n + 1, where(reflect, sub(1, x), x)), sign * factorial(n));
  const cot = div(sinPi(x, true), sinPi(x));
  const reflected = sub(mul(direct, -sign), mul(polynomial(cot, cotDerivative(n)), Math.PI ** (n + 1)));
  // PyTorch: +-Infinity (the sign of (-1)^(n+1)) at 0, -1, -2, ... and at -Infinity (trigamma: NaN
  // there); at +Infinity trigamma is 0 and the higher orders NaN
  const pole = logicalAnd(lessEqual(x, 0), equal(x, floor(x)));
  const finite = where(equal(x, Infinity), n === 1 ? 0 : NaN, where(reflect, reflected, direct));
  const atPoles = where(pole, sign * Infinity, finite);
  return n === 1 ? where(equal(x, -Infinity), NaN, atPoles) : atPoles;
}

/** log |Gamma(x)| (torch.lgamma / torch.special.gammaln): +Infinity at 0, -1, -2, ... */
export function lgamma(x: Tensor): Tensor {
  floatInput('lgamma', x);
  return withDerivative(
    x,
    () => lgammaValue(x),
    () => digammaValue(x),
  );
}

/** The logarithmic derivative of Gamma (torch.digamma, torch.special.psi). */
export function digamma(x: Tensor): Tensor {
  floatInput('digamma', x);
  return withDerivative(
    x,
    () => digammaValue(x),
    () => polygammaValue(1, x),
  );
}

/** The n-th derivative of digamma (torch.polygamma(n, x)); n = 0 is digamma. */
export function polygamma(n: number, x: Tensor): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new ArgumentError(`polygamma: n must be a non-negative integer, got ${n}`);
  floatInput('polygamma', x);
  return withDerivative(
    x,
    () => polygammaValue(n, x),
    () => polygammaValue(n + 1, x),
  );
}

/**
 * The multivariate log-gamma function of dimension p (torch.mvlgamma / special.multigammaln):
 * p (p - 1) / 4 log(pi) + sum_j lgamma(x - j / 2). Like PyTorch it wants every x > (p - 1) / 2;
 * that check reads x on the host where the backend reads synchronously.
 */
export function multigammaln(x: Tensor, p: number): Tensor {
  if (!Number.isInteger(p) || p < 1) throw new ArgumentError(`multigammaln: p must be a positive integer, got ${p}`);
  floatInput('multigammaln', x);
  if (x.backend.readSync) {
    const bound = (p - 1) / 2;
    const values = x.dataSync();
    for (const v of values)
      if (!(v > bound))
        throw new ArgumentError(`multigammaln: all elements must be greater than (p - 1) / 2 = ${bound}, got ${v}`);
  }
  return composite(() => {
    let sum: Tensor = lgamma(x);
    for (let j = 1; j < p; j++) sum = add(sum, lgamma(sub(x, j / 2)));
    return add(sum, ((p * (p - 1)) / 4) * Math.log(Math.PI));
  });
}

// erfcx(x) for x >= 2 from its continued fraction 1 / (sqrt(pi) (x + 1/2 / (x + 1 / (x + 3/2 / ...))))
const ERFCX_DEPTH = 60;
const ERFCX_SPLIT = 2;

function erfcxValue(x: Tensor): Tensor {
  const large = greaterEqual(x, ERFCX_SPLIT);
  const y = where(large, x, ERFCX_SPLIT);
  let t: Tensor = y;
  for (let k = ERFCX_DEPTH; k >= 1; k--) t = add(y, div(k / 2, t));
  const fraction = div(1 / SQRT_PI, t);
  // below 2, 1 - erf(x) keeps its relative precision (erfc(2) is 0.005)
  const small = mul(exp(square(x)), sub(1, erf(x)));
  return where(large, fraction, small);
}

function erfcValue(x: Tensor): Tensor {
  const large = greaterEqual(x, ERFCX_SPLIT);
  return where(large, mul(exp(neg(square(x))), erfcxValue(x)), sub(1, erf(x)));
}

/** The complementary error function 1 - erf(x), accurate in the tail (torch.erfc). */
export function erfc(x: Tensor): Tensor {
  floatInput('erfc', x);
  return withDerivative(
    x,
    () => erfcValue(x),
    () => mul(exp(neg(square(x))), -2 / SQRT_PI),
  );
}

/** The scaled complementary error function exp(x^2) erfc(x) (torch.special.erfcx). */
export function erfcx(x: Tensor): Tensor {
  floatInput('erfcx', x);
  return withDerivative(
    x,
    () => erfcxValue(x),
    (y) => sub(mul(mul(x, y), 2), 2 / SQRT_PI),
  );
}

// Giles' single-precision erfinv ("Approximating the erfinv function", 2010), then refined.
const ERFINV_CENTRAL = [
  2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164,
  0.246640727, 1.50140941,
];
const ERFINV_TAIL = [
  -0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047,
  1.00167406, 2.83297682,
];

function erfinvValue(x: Tensor): Tensor {
  const inside = less(abs(x), 1);
  const safe = where(inside, x, 0);
  const a = abs(safe);
  // 1 - a is exact for a >= 1/2 (Sterbenz): the tail's residual is taken against it
  const complement = sub(1, a);
  const w = neg(log(mul(complement, add(1, a))));
  const central = polynomial(sub(w, 2.5), ERFINV_CENTRAL);
  const tail = polynomial(sub(sqrt(w), 3), ERFINV_TAIL);
  let y: Tensor = mul(where(less(w, 5), central, tail), a);
  // Up to 1/2, Halley steps on erf(y) = a: y -= f / (f' (1 + y f)), f = erf(y) - a. Above, where
  // erf(y) rounds near 1 (1 - a can be 1e-16), Newton steps on log erfc(y) = log(1 - a), nearly
  // linear in y: g = log erfcx(y) - y^2 - log(1 - a), g' = -2 / (sqrt(pi) erfcx(y)).
  const upper = greater(a, 0.5);
  const logComplement = log(complement);
  for (let step = 0; step < 4; step++) {
    const f = sub(erf(y), a);
    const slope = mul(exp(neg(square(y))), 2 / SQRT_PI);
    const halley = div(f, mul(slope, add(1, mul(y, f))));
    const scaled = erfcxValue(y);
    const g = sub(sub(log(scaled), square(y)), logComplement);
    const newton = mul(mul(g, scaled), -SQRT_PI / 2);
    y = sub(y, where(upper, newton, halley));
  }
  // x / 0 is +-Infinity at +-1; erfinv is odd (sign(-0) keeps -0)
  return where(
    inside,
    where(less(safe, 0), neg(y), where(equal(safe, 0), safe, y)),
    where(equal(abs(x), 1), div(x, 0), NaN),
  );
}

/** The inverse error function on [-1, 1] (torch.erfinv): +-Infinity at +-1, NaN outside. */
export function erfinv(x: Tensor): Tensor {
  floatInput('erfinv', x);
  return withDerivative(
    x,
    () => erfinvValue(x),
    (y) => mul(exp(square(y)), SQRT_PI / 2),
  );
}

// Modified Bessel functions: power series up to 20, Hankel's asymptotic series above.
const BESSEL_SPLIT = 20;
const BESSEL_SERIES_TERMS = 40;
const BESSEL_ASYMPTOTIC_TERMS = 25;

/** sum_k (x^2/4)^k / (k! (k + order)!) */
function besselSeries(x: Tensor, order: number): Tensor {
  const coefficients: number[] = [];
  for (let k = BESSEL_SERIES_TERMS - 1; k >= 0; k--) coefficients.push(1 / (factorial(k) * factorial(k + order)));
  return polynomial(div(square(x), 4), coefficients);
}

/** e^-x I_order(x) sqrt(2 pi x) for large x: sum_k (-1)^k a_k(order) / x^k. */
function besselAsymptotic(x: Tensor, order: number): Tensor {
  const mu = 4 * order * order;
  const coefficients = [1];
  for (let k = 1; k < BESSEL_ASYMPTOTIC_TERMS; k++)
    coefficients.push((coefficients[k - 1]! * -(mu - (2 * k - 1) ** 2)) / (8 * k));
  return polynomial(div(1, x), coefficients.reverse());
}

/** e^-|x| I_order(|x|) (even order) or its odd extension. */
function besselScaled(x: Tensor, order: 0 | 1): Tensor {
  const ax = abs(x);
  const large = greater(ax, BESSEL_SPLIT);
  const big = where(large, ax, BESSEL_SPLIT);
  const asymptotic = div(besselAsymptotic(big, order), sqrt(mul(big, 2 * Math.PI)));
  const near = where(large, 0, ax);
  let series = mul(besselSeries(near, order), exp(neg(near)));
  if (order === 1) series = mul(series, div(near, 2));
  const value = where(large, asymptotic, series);
  return order === 1 ? mul(value, sign(x)) : value;
}

function besselValue(x: Tensor, order: 0 | 1, scaled: boolean): Tensor {
  const value = besselScaled(x, order);
  return scaled ? value : mul(value, exp(abs(x)));
}

/** I1(x) / x with its limit 1/2 at 0 (i1's derivative is i0 - i1 / x). */
function besselRatio(x: Tensor, i1: Tensor): Tensor {
  return where(equal(x, 0), 0.5, div(i1, where(equal(x, 0), 1, x)));
}

/** The modified Bessel function of the first kind, order 0 (torch.i0). */
export function i0(x: Tensor): Tensor {
  floatInput('i0', x);
  return withDerivative(
    x,
    () => besselValue(x, 0, false),
    () => besselValue(x, 1, false),
  );
}

/** exp(-|x|) i0(x) (torch.special.i0e). */
export function i0e(x: Tensor): Tensor {
  floatInput('i0e', x);
  return withDerivative(
    x,
    () => besselValue(x, 0, true),
    (y) => sub(besselValue(x, 1, true), mul(sign(x), y)),
  );
}

/** The modified Bessel function of the first kind, order 1 (torch.special.i1). */
export function i1(x: Tensor): Tensor {
  floatInput('i1', x);
  return withDerivative(
    x,
    () => besselValue(x, 1, false),
    (y) => sub(besselValue(x, 0, false), besselRatio(x, y)),
  );
}

/** exp(-|x|) i1(x) (torch.special.i1e). */
export function i1e(x: Tensor): Tensor {
  floatInput('i1e', x);
  return withDerivative(
    x,
    () => besselValue(x, 1, true),
    (y) => sub(sub(besselValue(x, 0, true), mul(sign(x), y)), besselRatio(x, y)),
  );
}

/** The standard normal CDF (torch.special.ndtr). */
export function ndtr(x: Tensor): Tensor {
  floatInput('ndtr', x);
  return composite(() => mul(erfc(mul(x, -Math.SQRT1_2)), 0.5));
}

/** log of the standard normal CDF, accurate far into the left tail (torch.special.log_ndtr). */
export function logNdtr(x: Tensor): Tensor {
  floatInput('logNdtr', x);
  return composite(() => {
    const t = mul(x, Math.SQRT1_2);
    const left = less(x, -1);
    // as PyTorch: log(erfcx(-t) / 2) - t^2 left of -1, log1p(-erfc(t) / 2) elsewhere
    const tail = sub(log(mul(erfcx(neg(where(left, t, -1))), 0.5)), square(where(left, t, -1)));
    const body = log1p(mul(erfc(where(left, 0, t)), -0.5));
    return where(left, tail, body);
  });
}

function ndtrValue(x: Tensor): Tensor {
  return mul(erfcValue(mul(x, -Math.SQRT1_2)), 0.5);
}

/** The inverse of ndtr (torch.special.ndtri): -Infinity at 0, Infinity at 1, NaN outside [0, 1]. */
export function ndtri(p: Tensor): Tensor {
  floatInput('ndtri', p);
  return withDerivative(
    p,
    () => {
      // Solve on the lower half, q = min(p, 1 - p) (1 - p is exact above 1/2), where ndtr is accurate.
      const upper = greater(p, 0.5);
      const inside = logicalAnd(greater(p, 0), less(p, 1));
      const q = where(inside, where(upper, sub(1, p), p), 0.5);
      // Abramowitz & Stegun 26.2.23 (error < 4.5e-4), then three Halley steps
      const t = sqrt(mul(log(q), -2));
      const numerator = polynomial(t, [0.010328, 0.802853, 2.515517]);
      const denominator = polynomial(t, [0.001308, 0.189269, 1.432788, 1]);
      let y: Tensor = neg(sub(t, div(numerator, denominator)));
      for (let step = 0; step < 3; step++) {
        const f = sub(ndtrValue(y), q);
        const density = mul(exp(mul(square(y), -0.5)), 1 / Math.sqrt(2 * Math.PI));
        y = sub(y, div(f, add(density, mul(mul(f, y), 0.5))));
      }
      const signed = where(upper, neg(y), y);
      // (p - 1/2) / 0 is -Infinity at 0 and Infinity at 1
      const edge = where(logicalOr(equal(p, 0), equal(p, 1)), div(sub(p, 0.5), 0), NaN);
      // the iteration stops 2e-18 short of ndtri(1/2) = 0
      return where(equal(p, 0.5), 0, where(inside, signed, edge));
    },
    (y) => mul(exp(mul(square(y), 0.5)), Math.sqrt(2 * Math.PI)),
  );
}

/** x * log1p(y), 0 where x is 0 unless y is NaN (torch.special.xlog1py). */
export function xlog1py(x: Tensor, y: TensorLike): Tensor {
  floatInput('xlog1py', x);
  return composite(() => {
    // a number y as a scalar tensor (x * 0 + y would be NaN where x is infinite), as xlogy does
    const other = typeof y === 'number' ? full([], y, { dtype: x.dtype, backend: x.backend }) : y;
    const noLog = logicalAnd(equal(x, 0), logicalOr(lessEqual(other, -1), equal(other, Infinity)));
    return add(mul(x, where(noLog, 0, log1p(where(noLog, 0, other)))), 0);
  });
}

/** -x log(x) elementwise: 0 at 0, -Infinity below (torch.special.entr). */
export function entr(x: Tensor): Tensor {
  floatInput('entr', x);
  return withDerivative(
    x,
    () => {
      const positive = greater(x, 0);
      const safe = where(positive, x, 1);
      const value = neg(mul(safe, log(safe)));
      return where(positive, value, where(equal(x, 0), 0, where(less(x, 0), -Infinity, x)));
    },
    () => neg(add(log(x), 1)),
  );
}

/** log(x / (1 - x)), with x first clamped to [eps, 1 - eps] when eps is given (torch.logit). */
export function logit(x: Tensor, eps?: number): Tensor {
  floatInput('logit', x);
  if (eps !== undefined && !(eps >= 0 && eps <= 0.5))
    throw new ArgumentError(`logit: eps must be in [0, 0.5], got ${eps}`);
  const clamped = () => (eps === undefined ? x : where(less(x, eps), eps, where(greater(x, 1 - eps), 1 - eps, x)));
  return withDerivative(
    x,
    () => {
      const z = clamped();
      return log(div(z, sub(1, z)));
    },
    () => {
      // 1 / (x (1 - x)); PyTorch's is 0 outside [eps, 1 - eps] and NaN outside [0, 1] without eps
      const slope = div(1, mul(x, sub(1, x)));
      const outside = logicalOr(less(x, eps ?? 0), greater(x, 1 - (eps ?? 0)));
      return where(outside, eps === undefined ? NaN : 0, slope);
    },
  );
}

/** The logistic sigmoid (torch.special.expit). */
export const expit = (x: Tensor): Tensor => sigmoid(x);

/** sin(pi x) / (pi x), 1 at 0 (torch.sinc). */
export function sinc(x: Tensor): Tensor {
  floatInput('sinc', x);
  return composite(() => {
    const zero = equal(x, 0);
    const scaled = mul(where(zero, 1, x), Math.PI);
    return where(zero, 1, div(sin(scaled), scaled));
  });
}
