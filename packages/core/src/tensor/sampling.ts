import type { Backend, DType, TypedArray } from '../backend/contract.js';
import { ArgumentError, DTypeError, ShapeError, describeValue, formatShape } from '../errors.js';
import { checkBoolean, checkOptions } from '../nn/checks.js';
import { noGrad } from '../autograd/grad-mode.js';
import { add, cast, less, log1p, mul, neg, div } from '../ops/elementwise.js';
import { fromHost } from './creation.js';
import { composite } from './scope.js';
import { type Generator, defaultGenerator } from './random.js';
import { broadcastShapes, sizeOf } from './shape.js';
import type { Tensor, TensorLike } from './tensor.js';

/**
 * Random sampling (torch.bernoulli, multinomial, poisson, normal, randperm, and the exponential
 * and standard-gamma draws that torch.distributions uses). Every random number comes from the
 * seeded host generator, so a seed gives the same samples on every backend. bernoulli, normal
 * and exponential combine the host's uniforms or normals with their parameters on the backend
 * (they run everywhere); poisson, standardGamma and multinomial run rejection or search loops
 * on the host and so read their parameters with dataSync: on a backend without synchronous
 * reads they throw, naming the op.
 */

export interface SamplingOptions {
  /** Draw from this generator instead of the default one. */
  generator?: Generator;
}

function generatorOf(op: string, options: unknown, allowed: readonly string[] = ['generator']): Generator {
  checkOptions(op, options, allowed);
  const generator = (options as SamplingOptions).generator ?? defaultGenerator;
  if (typeof generator.uint32 !== 'function')
    throw new ArgumentError(`${op}: generator must be a Generator, got ${describeValue(generator)}`);
  return generator;
}

function requireFloat(op: string, what: string, x: Tensor): void {
  if (x.dtype !== 'float32' && x.dtype !== 'float64')
    throw new DTypeError(`${op}: ${what} must be a float tensor, got dtype ${x.dtype}`);
}

/** The host values of a parameter tensor; a clear error where the backend only reads asynchronously. */
function hostValues(op: string, x: Tensor): TypedArray {
  if (!x.backend.readSync)
    throw new ArgumentError(
      `${op}: draws on the host and reads its parameters synchronously, which backend '${x.backend.name}' cannot; move them to a backend with synchronous reads (cpu, cpu-reference) first`,
    );
  return x.dataSync();
}

/** Checks parameters on the host where that is possible (it is skipped on async-only backends); distributions share it. */
export function checkValues(op: string, x: Tensor, ok: (v: number) => boolean, allowed: string): void {
  if (!x.backend.readSync) return;
  for (const v of x.dataSync()) if (!ok(v)) throw new ArgumentError(`${op}: ${allowed}, got ${v}`);
}

/** Uniforms in [0, 1) with 53 random bits (float64) or 24 (float32: exact there, never rounding to 1). */
function uniforms(generator: Generator, count: number, dtype: DType): Float64Array {
  if (dtype !== 'float64') return generator.uniform(count);
  const words = generator.uint32(2 * count);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = ((words[2 * i]! >>> 5) * 67108864 + (words[2 * i + 1]! >>> 6)) / 2 ** 53;
  return out;
}

/**
 * Uniforms strictly inside (0, 1) and exact in `dtype`: the midpoints of 2^53 (float64) or 2^23
 * (float32) equal cells, so that no draw is 0 or rounds to 1 (distributions' noise, as PyTorch
 * clamps its uniforms to [tiny, 1 - eps]).
 */
export function openUniforms(generator: Generator, count: number, dtype: DType): Float64Array {
  const out = new Float64Array(count);
  if (dtype !== 'float64') {
    const words = generator.uint32(count);
    for (let i = 0; i < count; i++) out[i] = ((words[i]! >>> 9) + 0.5) / 8388608;
    return out;
  }
  const words = generator.uint32(2 * count);
  for (let i = 0; i < count; i++) out[i] = openUniform53(words[2 * i]!, words[2 * i + 1]!);
  return out;
}

function openUniform53(high: number, low: number): number {
  return ((high >>> 5) * 67108864 + (low >>> 6) + 0.5) / 2 ** 53;
}

/** A host stream of uniforms in (0, 1) and standard normals, drawn one at a time from the generator. */
class HostStream {
  readonly #generator: Generator;
  #words: Uint32Array = new Uint32Array(0);
  #next = 0;
  #spareNormal: number | null = null;

  constructor(generator: Generator) {
    this.#generator = generator;
  }

  /** Strictly inside (0, 1), 53 bits. */
  uniform(): number {
    if (this.#next + 2 > this.#words.length) {
      this.#words = this.#generator.uint32(64);
      this.#next = 0;
    }
    const high = this.#words[this.#next++]!;
    return openUniform53(high, this.#words[this.#next++]!);
  }

  normal(): number {
    if (this.#spareNormal !== null) {
      const spare = this.#spareNormal;
      this.#spareNormal = null;
      return spare;
    }
    const radius = Math.sqrt(-2 * Math.log(this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.#spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }
}

/**
 * 0 or 1 with probability `probs` elementwise (torch.bernoulli), in probs' dtype. Probabilities
 * outside [0, 1] are an error where the backend reads synchronously. No gradient flows.
 */
export function bernoulli(probs: Tensor, options: SamplingOptions = {}): Tensor {
  const generator = generatorOf('bernoulli', options);
  requireFloat('bernoulli', 'probs', probs);
  checkValues('bernoulli', probs, (p) => p >= 0 && p <= 1, 'probabilities must be in [0, 1]');
  return noGrad(() =>
    composite(() => {
      const u = fromHost(uniforms(generator, probs.size, probs.dtype), probs.shape, {
        dtype: probs.dtype,
        backend: probs.backend,
      });
      return cast(less(u, probs), probs.dtype);
    }),
  );
}

export interface NormalOptions extends SamplingOptions {
  /** The output shape when mean and std are both numbers (torch.normal(mean, std, size)). */
  size?: readonly number[];
  /** The dtype when mean and std are both numbers; float32 by default. */
  dtype?: 'float32' | 'float64';
}

/**
 * Normal(mean, std) samples, mean and std tensors or numbers broadcasting together
 * (torch.normal). With two numbers, `size` gives the shape. std must be >= 0 (checked where the
 * backend reads synchronously). No gradient flows (PyTorch's is zero too).
 */
export function normal(mean: TensorLike, std: TensorLike, options: NormalOptions = {}): Tensor {
  const generator = generatorOf('normal', options, ['generator', 'size', 'dtype']);
  const tensors = [mean, std].filter((t): t is Tensor => typeof t !== 'number');
  for (const t of tensors) requireFloat('normal', t === mean ? 'mean' : 'std', t);
  if (typeof std === 'number' && !(std >= 0)) throw new ArgumentError(`normal: std must be >= 0, got ${std}`);
  if (typeof std !== 'number') checkValues('normal', std, (s) => s >= 0, 'std must be >= 0');
  let shape: number[];
  if (tensors.length === 0) {
    if (options.size === undefined)
      throw new ArgumentError('normal: with a number mean and std, pass { size } for the output shape');
    shape = [...options.size];
  } else {
    if (options.size !== undefined)
      throw new ArgumentError(`normal: size is only for number mean and std; the tensors' shapes give the shape`);
    shape = tensors.map((t) => [...t.shape]).reduce((a, b) => broadcastShapes('normal', a, b));
  }
  const first = tensors[0];
  const dtype = first?.dtype ?? options.dtype ?? 'float32';
  return noGrad(() =>
    composite(() => {
      const z = fromHost(generator.normal(sizeOf(shape)), shape, { dtype, backend: first?.backend });
      return add(mul(z, std), mean);
    }),
  );
}

/** Exponential(rate) samples elementwise (torch's Tensor.exponential_ with per-element rates). rate must be > 0. */
export function exponential(rate: Tensor, options: SamplingOptions = {}): Tensor {
  const generator = generatorOf('exponential', options);
  requireFloat('exponential', 'rate', rate);
  checkValues('exponential', rate, (r) => r > 0, 'rate must be > 0');
  return noGrad(() =>
    composite(() => {
      const u = fromHost(uniforms(generator, rate.size, rate.dtype), rate.shape, {
        dtype: rate.dtype,
        backend: rate.backend,
      });
      // -log(1 - u) / rate, u in [0, 1): finite
      return div(neg(log1p(neg(u))), rate);
    }),
  );
}

/** log Gamma(x) for the host's Poisson rejection test (x >= 1): Stirling after shifting to 8. */
function logGammaHost(x: number): number {
  let shift = 0;
  while (x < 8) {
    shift += Math.log(x);
    x += 1;
  }
  const inverse = 1 / x;
  const inverse2 = inverse * inverse;
  const series = inverse * (1 / 12 - inverse2 * (1 / 360 - inverse2 * (1 / 1260 - inverse2 / 1680)));
  return (x - 0.5) * Math.log(x) - x + 0.9189385332046728 + series - shift;
}

function poissonOne(stream: HostStream, rate: number): number {
  if (rate === 0) return 0;
  if (rate < 10) {
    // Knuth: count uniforms until their product drops below exp(-rate)
    const limit = Math.exp(-rate);
    let k = 0;
    let product = stream.uniform();
    while (product > limit) {
      k++;
      product *= stream.uniform();
    }
    return k;
  }
  // Hormann's transformed rejection (PTRS), as PyTorch and NumPy
  const slam = Math.sqrt(rate);
  const logRate = Math.log(rate);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = stream.uniform() - 0.5;
    const v = stream.uniform();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + rate + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <= -rate + k * logRate - logGammaHost(k + 1))
      return k;
  }
}

function hostSampler(
  op: string,
  what: string,
  parameters: Tensor,
  options: unknown,
  ok: (v: number) => boolean,
  allowed: string,
  draw: (stream: HostStream, value: number) => number,
): Tensor {
  const generator = generatorOf(op, options);
  requireFloat(op, what, parameters);
  const values = hostValues(op, parameters);
  const stream = new HostStream(generator);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!ok(v)) throw new ArgumentError(`${op}: ${allowed}, got ${v}`);
    out[i] = draw(stream, v);
  }
  return fromHost(out, parameters.shape, { dtype: parameters.dtype, backend: parameters.backend });
}

/** Poisson(rates) counts elementwise, in rates' dtype (torch.poisson). rates must be finite and >= 0. */
export function poisson(rates: Tensor, options: SamplingOptions = {}): Tensor {
  return hostSampler(
    'poisson',
    'rates',
    rates,
    options,
    (r) => r >= 0 && Number.isFinite(r),
    'rates must be finite and >= 0',
    poissonOne,
  );
}

/** The smallest normal number of a float dtype, where PyTorch floors its gamma draws. */
function smallestNormal(dtype: DType): number {
  return dtype === 'float64' ? 2.2250738585072014e-308 : 1.1754943508222875e-38;
}

/** A Gamma(concentration, 1) draw in float64 (it can underflow to 0 for a small concentration). */
function standardGammaOne(stream: HostStream, concentration: number): number {
  // Marsaglia & Tsang (2000); below 1, Gamma(a) = Gamma(a + 1) U^(1/a)
  const boost = concentration < 1 ? Math.pow(stream.uniform(), 1 / concentration) : 1;
  const d = (concentration < 1 ? concentration + 1 : concentration) - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = stream.normal();
    const t = 1 + c * x;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = stream.uniform();
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * boost;
  }
}

const positiveConcentration = (a: number) => a > 0 && Number.isFinite(a);
const CONCENTRATION_RULE = 'concentration must be finite and > 0';

/**
 * Gamma(concentration, rate 1) samples elementwise (torch._standard_gamma). concentration must be
 * > 0. Like PyTorch, a draw never falls below the dtype's smallest normal number (not 0: below
 * 1 the U^(1/a) boost underflows, and float32 flushes denormals).
 */
export function standardGamma(concentration: Tensor, options: SamplingOptions = {}): Tensor {
  const floor = smallestNormal(concentration.dtype);
  return hostSampler(
    'standardGamma',
    'concentration',
    concentration,
    options,
    positiveConcentration,
    CONCENTRATION_RULE,
    (stream, a) => Math.max(standardGammaOne(stream, a), floor),
  );
}

/**
 * Dirichlet(concentration) draws over the last axis (torch._sample_dirichlet), in
 * concentration's dtype: the gamma draws and their ratios are taken in float64 on the host, and
 * each component clamped as PyTorch to [smallest normal, 1 - eps / 2] of the dtype, so that none
 * is exactly 0 or 1 (or 0 / 0) even for concentrations of 0.01. Beta draws are its two-component case.
 */
export function sampleDirichlet(concentration: Tensor, options: SamplingOptions = {}): Tensor {
  const op = 'Dirichlet.sample';
  const generator = generatorOf(op, options);
  requireFloat(op, 'concentration', concentration);
  const values = hostValues(op, concentration);
  const k = concentration.shape[concentration.rank - 1] ?? 1;
  const stream = new HostStream(generator);
  const out = new Float64Array(values.length);
  const float64 = concentration.dtype === 'float64';
  const low = smallestNormal(concentration.dtype);
  const high = 1 - (float64 ? 2 ** -53 : 2 ** -24);
  for (let start = 0; start < values.length; start += k) {
    let total = 0;
    for (let i = start; i < start + k; i++) {
      const a = values[i]!;
      if (!positiveConcentration(a)) throw new ArgumentError(`${op}: ${CONCENTRATION_RULE}, got ${a}`);
      out[i] = Math.max(standardGammaOne(stream, a), smallestNormal('float64'));
      total += out[i]!;
    }
    for (let i = start; i < start + k; i++) out[i] = Math.min(Math.max(out[i]! / total, low), high);
  }
  return fromHost(out, concentration.shape, { dtype: concentration.dtype, backend: concentration.backend });
}

export interface MultinomialOptions extends SamplingOptions {
  /** Draw with replacement (default false: each category at most once per row). */
  replacement?: boolean;
}

/**
 * Category indices drawn from the rows of `probs` ([k] or [n, k], non-negative weights that need
 * not sum to 1), as int32 [numSamples] or [n, numSamples] (torch.multinomial; PyTorch's are int64).
 */
export function multinomial(probs: Tensor, numSamples: number, options: MultinomialOptions = {}): Tensor {
  const generator = generatorOf('multinomial', options, ['generator', 'replacement']);
  const replacement = checkBoolean('multinomial: replacement', options.replacement ?? false);
  requireFloat('multinomial', 'probs', probs);
  if (probs.rank !== 1 && probs.rank !== 2)
    throw new ShapeError(`multinomial: probs must be 1-D or 2-D, got shape ${formatShape(probs.shape)}`);
  if (!Number.isInteger(numSamples) || numSamples < 1)
    throw new ArgumentError(`multinomial: numSamples must be a positive integer, got ${numSamples}`);
  const categories = probs.shape[probs.rank - 1]!;
  if (!replacement && numSamples > categories)
    throw new ArgumentError(
      `multinomial: cannot draw ${numSamples} samples without replacement from ${categories} categories`,
    );
  const values = hostValues('multinomial', probs);
  const rows = values.length / categories;
  const stream = new HostStream(generator);
  const out = new Int32Array(rows * numSamples);
  const weights = new Float64Array(categories);
  for (let r = 0; r < rows; r++) {
    let positive = 0;
    for (let c = 0; c < categories; c++) {
      const w = values[r * categories + c]!;
      if (!(w >= 0) || !Number.isFinite(w))
        throw new ArgumentError(`multinomial: probabilities must be finite and >= 0, got ${w} in row ${r}`);
      weights[c] = w;
      if (w > 0) positive++;
    }
    if (positive === 0) throw new ArgumentError(`multinomial: row ${r} of probs sums to 0`);
    if (!replacement && positive < numSamples)
      throw new ArgumentError(
        `multinomial: row ${r} has ${positive} categories with nonzero probability, fewer than the ${numSamples} samples to draw without replacement`,
      );
    const row = out.subarray(r * numSamples, (r + 1) * numSamples);
    if (replacement) drawWithReplacement(stream, weights, row);
    else drawWithoutReplacement(stream, weights, row);
  }
  const shape = probs.rank === 1 ? [numSamples] : [rows, numSamples];
  return fromHost(out, shape, { dtype: 'int32', backend: probs.backend });
}

/** One prefix sum, then a binary search per draw for the first cumulative weight above u * total. */
function drawWithReplacement(stream: HostStream, weights: Float64Array, out: Int32Array): void {
  const cumulative = new Float64Array(weights.length);
  let total = 0;
  let last = 0;
  for (let c = 0; c < weights.length; c++) {
    total += weights[c]!;
    cumulative[c] = total;
    if (weights[c]! > 0) last = c;
  }
  for (let s = 0; s < out.length; s++) {
    const target = stream.uniform() * total;
    let low = 0;
    let high = last; // a zero-weight category never has the first cumulative weight above target
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle]! > target) high = middle;
      else low = middle + 1;
    }
    out[s] = low;
  }
}

/**
 * Successive draws without replacement as an exponential race (the Gumbel top-k trick): each
 * category with weight w gets the key E / w, E ~ Exp(1), and the smallest keys in order are
 * distributed as drawing, removing and renormalising one at a time.
 */
function drawWithoutReplacement(stream: HostStream, weights: Float64Array, out: Int32Array): void {
  const keys = new Float64Array(weights.length).fill(Infinity);
  for (let c = 0; c < weights.length; c++) if (weights[c]! > 0) keys[c] = -Math.log(stream.uniform()) / weights[c]!;
  // the k-th smallest key by a numeric typed-array sort, then order only the k winners
  const threshold = keys.slice().sort()[out.length - 1]!;
  const winners: number[] = [];
  for (let c = 0; c < keys.length; c++) if (keys[c]! <= threshold) winners.push(c);
  winners.sort((a, b) => keys[a]! - keys[b]! || a - b);
  for (let s = 0; s < out.length; s++) out[s] = winners[s]!;
}

export interface RandpermOptions extends SamplingOptions {
  /** int32 by default (PyTorch's int64); float32 or float64 also. */
  dtype?: DType;
  /** A backend instance or registered name; the active backend by default. */
  backend?: Backend | string;
}

/** A random permutation of 0 .. n - 1 (torch.randperm). */
export function randperm(n: number, options: RandpermOptions = {}): Tensor {
  const generator = generatorOf('randperm', options, ['generator', 'dtype', 'backend']);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new ArgumentError(`randperm: n must be a non-negative integer, got ${n}`);
  const dtype = options.dtype ?? 'int32';
  if (dtype === 'bool') throw new DTypeError(`randperm: dtype must be int32, float32 or float64, got bool`);
  return fromHost(generator.permutation(n), [n], { dtype, backend: options.backend });
}
