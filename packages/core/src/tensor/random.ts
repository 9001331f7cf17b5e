import { ArgumentError } from '../errors.js';

/**
 * Myelin's one source of randomness: Philox4x32-10, a counter-based generator (Salmon et
 * al., SC'11; the generator behind PyTorch's CUDA RNG and JAX's default). Every random number
 * is a pure function of (seed, counter), so a seed gives the same numbers on every backend,
 * and the whole state is two integers that a checkpoint can store.
 *
 * All random numbers are made on the host and uploaded: parameter init, dropout masks and
 * data shuffling all draw from here.
 */

const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;
const TWO_POW_32 = 4294967296;

/** High 32 bits of the 64-bit product of two uint32 (JS numbers lose the exact 64-bit product). */
function mulHigh(a: number, b: number): number {
  const aHi = a >>> 16;
  const aLo = a & 0xffff;
  const bHi = b >>> 16;
  const bLo = b & 0xffff;
  const lh = aLo * bHi;
  const hl = aHi * bLo;
  const middle = ((aLo * bLo) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (aHi * bHi + (lh >>> 16) + (hl >>> 16) + (middle >>> 16)) >>> 0;
}

/** One Philox4x32-10 block: four uint32 words for `counter` under `key`, written to `out`. */
export function philox4x32(
  counterLo: number,
  counterHi: number,
  keyLo: number,
  keyHi: number,
  out: Uint32Array,
  counter2 = 0,
  counter3 = 0,
): void {
  let c0 = counterLo >>> 0;
  let c1 = counterHi >>> 0;
  let c2 = counter2 >>> 0;
  let c3 = counter3 >>> 0;
  let k0 = keyLo >>> 0;
  let k1 = keyHi >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulHigh(PHILOX_M0, c0);
    const lo0 = Math.imul(PHILOX_M0, c0) >>> 0;
    const hi1 = mulHigh(PHILOX_M1, c2);
    const lo1 = Math.imul(PHILOX_M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + PHILOX_W0) >>> 0;
    k1 = (k1 + PHILOX_W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/** The serialisable state of a generator: enough to continue the exact same stream. */
export interface GeneratorState {
  seed: number;
  /** Number of 4-word blocks consumed so far. */
  offset: number;
}

export class Generator {
  #seed: number;
  #offset = 0;
  readonly #block = new Uint32Array(4);

  constructor(seed = 0) {
    this.#seed = checkSeed(seed);
  }

  get seed(): number {
    return this.#seed;
  }

  /** Restarts the stream of `seed`. */
  manualSeed(seed: number): this {
    this.#seed = checkSeed(seed);
    this.#offset = 0;
    return this;
  }

  getState(): GeneratorState {
    return { seed: this.#seed, offset: this.#offset };
  }

  setState(state: GeneratorState): this {
    this.#seed = checkSeed(state.seed);
    if (!Number.isSafeInteger(state.offset) || state.offset < 0) {
      throw new ArgumentError(`Generator.setState: offset must be a non-negative integer, got ${state.offset}`);
    }
    this.#offset = state.offset;
    return this;
  }

  /** `count` raw uint32 words, continuing the stream. */
  uint32(count: number): Uint32Array {
    const out = new Uint32Array(count);
    const block = this.#block;
    const keyLo = (this.#seed % TWO_POW_32) >>> 0;
    const keyHi = Math.floor(this.#seed / TWO_POW_32) >>> 0;
    for (let i = 0; i < count; i += 4) {
      const counter = this.#offset++;
      philox4x32(counter % TWO_POW_32, Math.floor(counter / TWO_POW_32), keyLo, keyHi, block);
      const take = Math.min(4, count - i);
      for (let j = 0; j < take; j++) out[i + j] = block[j]!;
    }
    return out;
  }

  /** `count` floats uniform in [low, high), with 24 random bits each (exact in float32). */
  uniform(count: number, low = 0, high = 1): Float64Array {
    const words = this.uint32(count);
    const out = new Float64Array(count);
    const scale = (high - low) / 16777216;
    for (let i = 0; i < count; i++) out[i] = low + (words[i]! >>> 8) * scale;
    return out;
  }

  /** `count` normally distributed floats (Box-Muller on pairs of words). */
  normal(count: number, mean = 0, std = 1): Float64Array {
    const words = this.uint32(count + (count % 2));
    const out = new Float64Array(count);
    for (let i = 0; i < count; i += 2) {
      // (w + 0.5) / 2^32 lies strictly inside (0, 1), so the log is finite.
      const u1 = (words[i]! + 0.5) / TWO_POW_32;
      const u2 = (words[i + 1]! + 0.5) / TWO_POW_32;
      const radius = Math.sqrt(-2 * Math.log(u1));
      const angle = 2 * Math.PI * u2;
      out[i] = mean + std * radius * Math.cos(angle);
      if (i + 1 < count) out[i + 1] = mean + std * radius * Math.sin(angle);
    }
    return out;
  }

  /** `count` integers uniform in [low, high). */
  integers(count: number, low: number, high: number): Int32Array {
    if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
      throw new ArgumentError(`Generator.integers: need integers low < high, got low=${low}, high=${high}`);
    }
    const uniform = this.uniform(count);
    const out = new Int32Array(count);
    const span = high - low;
    for (let i = 0; i < count; i++) out[i] = low + Math.floor(uniform[i]! * span);
    return out;
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    const uniform = this.uniform(n);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(uniform[i]! * (i + 1));
      const tmp = out[i]!;
      out[i] = out[j]!;
      out[j] = tmp;
    }
    return out;
  }
}

function checkSeed(seed: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new ArgumentError(`seed must be a non-negative safe integer, got ${seed}`);
  }
  return seed;
}

/** The process-wide default generator used when no generator is passed. */
export const defaultGenerator = new Generator(0);

/** Seeds the default generator, like torch.manual_seed. */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}
