import { Generator } from '@myelin/core';
import { DataError } from './errors.js';
import { drawSeed } from './random-split.js';

/** Chooses which samples a DataLoader visits, and in what order, each epoch. */
export interface Sampler {
  /** Indices per epoch (the same every epoch). */
  readonly length: number;
  /** The dataset indices of `epoch`, in visiting order. */
  indices(epoch: number): Int32Array;
  /** The seed of a shuffling sampler (reported as the loader's seed). */
  readonly seed?: number;
}

export interface DistributedSamplerOptions {
  /** This process's rank, 0..worldSize-1. */
  rank: number;
  /** Number of ranks. */
  worldSize: number;
  /** A new order every epoch (default true, like PyTorch's DistributedSampler). */
  shuffle?: boolean;
  /** Must be the same on every rank; by default drawn from core's default generator (seed it the same everywhere). */
  seed?: number;
  /**
   * Drop the samples that do not divide evenly among ranks (default false: repeat the first ones,
   * so every rank gets the same count and the ranks stay in step).
   */
  dropLast?: boolean;
}

function checkInteger(name: string, value: number, minimum: number, maximum = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < minimum || value > maximum)
    throw new DataError({
      source: 'DistributedSampler',
      expected: `${name} an integer in ${minimum}..${maximum}`,
      found: `${value}`,
    });
  return value;
}

/**
 * Splits a dataset among ranks for data-parallel training, like torch's DistributedSampler:
 * every epoch one global order (a function of seed and epoch alone, the same permutation a
 * DataLoader with that seed shuffles into), padded to a multiple of `worldSize`, and rank r takes
 * positions r, r + worldSize, ... — disjoint shards of equal length. With a per-rank batch of B,
 * step k of all ranks together covers global positions [k·B·worldSize, (k+1)·B·worldSize): the
 * batch one process with batch B × worldSize would train on.
 *
 * ```ts
 * const sampler = new DistributedSampler(dataset.length, { rank, worldSize, seed: 42 });
 * const loader = new DataLoader(dataset, { batchSize: 32, sampler }); // global batch 32 × worldSize
 * ```
 */
export class DistributedSampler implements Sampler {
  readonly datasetLength: number;
  readonly rank: number;
  readonly worldSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** Samples per rank per epoch. */
  readonly length: number;

  constructor(dataset: number | { readonly length: number }, options: DistributedSamplerOptions) {
    this.datasetLength = checkInteger('dataset length', typeof dataset === 'number' ? dataset : dataset.length, 0);
    this.worldSize = checkInteger('worldSize', options.worldSize, 1);
    this.rank = checkInteger('rank', options.rank, 0, this.worldSize - 1);
    this.shuffle = options.shuffle ?? true;
    this.dropLast = options.dropLast ?? false;
    this.seed = options.seed ?? drawSeed();
    this.length = this.dropLast
      ? Math.floor(this.datasetLength / this.worldSize)
      : Math.ceil(this.datasetLength / this.worldSize);
    if (this.length === 0 && this.datasetLength > 0)
      throw new DataError({
        source: 'DistributedSampler',
        expected: `at least ${this.worldSize} samples for ${this.worldSize} ranks with dropLast`,
        found: `${this.datasetLength}`,
      });
  }

  /** The global order of `epoch` before sharding (what a one-process DataLoader with this seed visits). */
  globalOrder(epoch: number): Int32Array {
    checkInteger('epoch', epoch, 0);
    const n = this.datasetLength;
    if (!this.shuffle) return Int32Array.from({ length: n }, (_, i) => i);
    // The e-th permutation of Generator(seed), exactly as DataLoader draws it.
    return new Generator(this.seed).setState({ seed: this.seed, offset: epoch * Math.ceil(n / 4) }).permutation(n);
  }

  /** This rank's indices for `epoch`. */
  indices(epoch: number): Int32Array {
    const order = this.globalOrder(epoch);
    const out = new Int32Array(this.length);
    for (let i = 0; i < this.length; i++) {
      const position = i * this.worldSize + this.rank;
      // Padding repeats the order from its start (position >= n only without dropLast).
      out[i] = order[position % order.length]!;
    }
    return out;
  }
}
