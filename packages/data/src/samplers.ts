import { Generator } from '@myelin/core';
import type { Sampler } from './distributed-sampler.js';
import { DataError } from './errors.js';
import { drawSeed } from './random-split.js';

function checkInteger(source: string, name: string, value: number, minimum: number): number {
  if (!Number.isSafeInteger(value) || value < minimum)
    throw new DataError({ source, expected: `${name} an integer >= ${minimum}`, found: `${value}` });
  return value;
}

function checkSeed(source: string, seed: number | undefined): number {
  const value = seed ?? drawSeed();
  if (!Number.isSafeInteger(value) || value < 0)
    throw new DataError({ source, expected: 'seed a non-negative safe integer', found: `${value}` });
  return value;
}

function checkBoolean(source: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new DataError({ source, expected: `${name} true or false`, found: JSON.stringify(value) ?? String(value) });
  return value;
}

/**
 * The generator of `epoch` for a sampler that consumes `blocks` Philox blocks per epoch: the
 * epoch's draws are a function of (seed, epoch) alone, so a resumed run repeats them.
 */
function epochGenerator(seed: number, epoch: number, blocks: number): Generator {
  checkInteger('Sampler', 'epoch', epoch, 0);
  return new Generator(seed).setState({ seed, offset: epoch * blocks });
}

/** `count` uniforms in [0, 1) with 53 random bits each (two words apiece), for fine-grained weights. */
function uniform53(generator: Generator, count: number): Float64Array {
  const words = generator.uint32(2 * count);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = ((words[2 * i]! >>> 5) * 67108864 + (words[2 * i + 1]! >>> 6)) / 2 ** 53;
  return out;
}

function datasetLength(source: string, dataset: number | { readonly length: number }): number {
  return checkInteger(source, 'dataset length', typeof dataset === 'number' ? dataset : dataset.length, 0);
}

/** Visits 0..n-1 in order every epoch, like torch.utils.data.SequentialSampler. */
export class SequentialSampler implements Sampler {
  readonly length: number;
  #order: Int32Array | undefined;

  constructor(dataset: number | { readonly length: number }) {
    this.length = datasetLength('SequentialSampler', dataset);
  }

  indices(epoch: number): Int32Array {
    checkInteger('SequentialSampler', 'epoch', epoch, 0);
    this.#order ??= Int32Array.from({ length: this.length }, (_, i) => i);
    return this.#order;
  }
}

export interface RandomSamplerOptions {
  /** Draw with replacement (default false: each epoch is a permutation). */
  replacement?: boolean;
  /** Indices per epoch (default the dataset length). Beyond it without replacement: whole permutations, then part of one. */
  numSamples?: number;
  /** Seeds every epoch's draw; by default one is drawn from core's default generator (see manualSeed). */
  seed?: number;
}

/**
 * Random indices every epoch, like torch.utils.data.RandomSampler: a permutation of the dataset
 * (the one a DataLoader with `shuffle: true` and the same seed visits), or `numSamples` uniform
 * draws with replacement. Epoch e's order is a function of (seed, e) alone.
 */
export class RandomSampler implements Sampler {
  readonly datasetLength: number;
  readonly replacement: boolean;
  readonly length: number;
  readonly seed: number;

  constructor(dataset: number | { readonly length: number }, options: RandomSamplerOptions = {}) {
    this.datasetLength = datasetLength('RandomSampler', dataset);
    this.replacement = checkBoolean('RandomSampler', 'replacement', options.replacement, false);
    this.length =
      options.numSamples === undefined
        ? this.datasetLength
        : checkInteger('RandomSampler', 'numSamples', options.numSamples, 1);
    this.seed = checkSeed('RandomSampler', options.seed);
    if (this.datasetLength === 0 && options.numSamples !== undefined)
      throw new DataError({ source: 'RandomSampler', expected: 'a non-empty dataset to draw from', found: 'length 0' });
  }

  indices(epoch: number): Int32Array {
    const n = this.datasetLength;
    if (this.length === 0) return new Int32Array(0);
    if (this.replacement) {
      // 53-bit uniforms: 24-bit ones reach only every 2^k-th index of a dataset over 2^24 samples.
      const uniform = uniform53(epochGenerator(this.seed, epoch, Math.ceil(this.length / 2)), this.length);
      return Int32Array.from(uniform, (u) => Math.floor(u * n));
    }
    const permutations = Math.ceil(this.length / n);
    const generator = epochGenerator(this.seed, epoch, permutations * Math.ceil(n / 4));
    if (permutations === 1) return generator.permutation(n).subarray(0, this.length);
    const out = new Int32Array(this.length);
    for (let p = 0; p < permutations; p++) {
      const permutation = generator.permutation(n);
      out.set(permutation.subarray(0, Math.min(n, this.length - p * n)), p * n);
    }
    return out;
  }
}

export interface SubsetRandomSamplerOptions {
  /** Seeds every epoch's permutation; by default one is drawn from core's default generator. */
  seed?: number;
}

/** The given indices in a new random order every epoch, like torch.utils.data.SubsetRandomSampler. */
export class SubsetRandomSampler implements Sampler {
  readonly subset: Int32Array;
  readonly length: number;
  readonly seed: number;

  constructor(indices: ArrayLike<number>, options: SubsetRandomSamplerOptions = {}) {
    const bad = Array.from(indices).findIndex((v) => !Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1);
    if (bad >= 0)
      throw new DataError({
        source: 'SubsetRandomSampler',
        expected: 'indices that are non-negative integers',
        found: `${indices[bad]} at position ${bad}`,
      });
    this.subset = Int32Array.from(indices);
    this.length = this.subset.length;
    this.seed = checkSeed('SubsetRandomSampler', options.seed);
  }

  indices(epoch: number): Int32Array {
    const permutation = epochGenerator(this.seed, epoch, Math.ceil(this.length / 4)).permutation(this.length);
    return permutation.map((i) => this.subset[i]!);
  }
}

export interface WeightedRandomSamplerOptions {
  /** Draw with replacement (default true, like PyTorch). Without it no index repeats within an epoch. */
  replacement?: boolean;
  /** Seeds every epoch's draw; by default one is drawn from core's default generator. */
  seed?: number;
}

/**
 * `numSamples` indices per epoch, index i with probability weights[i] / sum(weights), like
 * torch.utils.data.WeightedRandomSampler: the usual fix for imbalanced classes (weight each
 * sample by 1 / its class's count). Weights need not sum to 1 but must be finite, non-negative
 * and not all zero. Without replacement an epoch draws distinct indices, each next one with
 * probability proportional to its weight among those left (as torch.multinomial).
 */
export class WeightedRandomSampler implements Sampler {
  readonly weights: Float64Array;
  readonly replacement: boolean;
  readonly length: number;
  readonly seed: number;
  readonly #cumulative: Float64Array;

  constructor(weights: ArrayLike<number>, numSamples: number, options: WeightedRandomSamplerOptions = {}) {
    const source = 'WeightedRandomSampler';
    this.weights = Float64Array.from(weights);
    const bad = this.weights.findIndex((w) => !Number.isFinite(w) || w < 0);
    if (bad >= 0)
      throw new DataError({
        source,
        expected: 'weights that are finite and non-negative',
        found: `${this.weights[bad]} at index ${bad}`,
      });
    this.length = checkInteger(source, 'numSamples', numSamples, 1);
    this.replacement = checkBoolean(source, 'replacement', options.replacement, true);
    this.seed = checkSeed(source, options.seed);
    this.#cumulative = new Float64Array(this.weights.length);
    let total = 0;
    for (let i = 0; i < this.weights.length; i++) this.#cumulative[i] = total += this.weights[i]!;
    if (!(total > 0))
      throw new DataError({
        source,
        expected: 'weights with a positive sum',
        found: this.weights.length === 0 ? 'no weights' : `all ${this.weights.length} weights zero`,
      });
    const positive = this.weights.reduce((count, w) => count + (w > 0 ? 1 : 0), 0);
    if (!this.replacement && this.length > positive)
      throw new DataError({
        source,
        expected: `numSamples at most the ${positive} positive weights without replacement`,
        found: `${this.length}`,
      });
  }

  indices(epoch: number): Int32Array {
    const out = new Int32Array(this.length);
    const n = this.weights.length;
    if (this.replacement) {
      const cumulative = this.#cumulative;
      const total = cumulative[n - 1]!;
      const uniform = uniform53(epochGenerator(this.seed, epoch, Math.ceil(this.length / 2)), this.length);
      for (let s = 0; s < this.length; s++) {
        // The first index whose cumulative weight exceeds u · total (binary search); zero weights are never picked.
        const target = uniform[s]! * total;
        let low = 0;
        let high = n - 1;
        while (low < high) {
          const mid = (low + high) >>> 1;
          if (cumulative[mid]! > target) high = mid;
          else low = mid + 1;
        }
        out[s] = low;
      }
      return out;
    }
    // Efraimidis-Spirakis: the numSamples largest keys log(u) / w are a draw without replacement
    // with exactly torch.multinomial's sequential probabilities.
    const uniform = uniform53(epochGenerator(this.seed, epoch, Math.ceil(n / 2)), n);
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const w = this.weights[i]!;
      keys[i] = w > 0 ? Math.log(uniform[i]! + 2 ** -54) / w : -Infinity;
    }
    const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[b]! - keys[a]! || a - b);
    out.set(order.subarray(0, this.length));
    return out;
  }
}

/** Groups a sampler's indices into batches each epoch (what DataLoader's `batchSampler` takes). */
export interface BatchSamplerLike {
  /** Batches per epoch. */
  readonly length: number;
  /** The batches of `epoch`: each the dataset indices of one batch. */
  batches(epoch: number): Int32Array[];
  /** The seed of a shuffling sampler (reported as the loader's seed). */
  readonly seed?: number;
  /** The size of a full batch, when there is one. */
  readonly batchSize?: number;
}

export interface BatchSamplerOptions {
  /** Indices per batch. */
  batchSize: number;
  /** Drop the last batch when it has fewer than batchSize indices. Default false. */
  dropLast?: boolean;
}

/**
 * Cuts a sampler's indices of each epoch into batches of `batchSize`, like
 * torch.utils.data.BatchSampler; pass it to a DataLoader as `batchSampler`.
 *
 * ```ts
 * const batches = new BatchSampler(new RandomSampler(dataset, { seed: 1 }), { batchSize: 32, dropLast: true });
 * const loader = new DataLoader(dataset, { batchSampler: batches });
 * ```
 */
export class BatchSampler implements BatchSamplerLike {
  readonly sampler: Sampler;
  readonly batchSize: number;
  readonly dropLast: boolean;

  constructor(sampler: Sampler, options: BatchSamplerOptions) {
    if (typeof sampler !== 'object' || sampler === null || typeof sampler.indices !== 'function')
      throw new DataError({
        source: 'BatchSampler',
        expected: 'a sampler (an object with length and indices(epoch))',
        found: String(sampler),
      });
    if (typeof options !== 'object' || options === null)
      throw new DataError({
        source: 'BatchSampler',
        expected: 'options like { batchSize: 32 }',
        found: String(options),
      });
    this.sampler = sampler;
    this.batchSize = checkInteger('BatchSampler', 'batchSize', options.batchSize, 1);
    this.dropLast = checkBoolean('BatchSampler', 'dropLast', options.dropLast, false);
  }

  get seed(): number | undefined {
    return this.sampler.seed;
  }

  get length(): number {
    const n = this.sampler.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  batches(epoch: number): Int32Array[] {
    return batchesOf(this.sampler.indices(epoch), this.batchSize, this.length);
  }
}

/** The first `count` consecutive batches of `size` indices of `order` (the last may be short). */
export function batchesOf(order: Int32Array, size: number, count: number): Int32Array[] {
  const out: Int32Array[] = [];
  for (let b = 0; b < count; b++) out.push(order.subarray(b * size, Math.min((b + 1) * size, order.length)));
  return out;
}
