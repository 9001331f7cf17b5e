import { Generator, dispose, type Tensor } from '@myelin/core';
import { Collator, type Batch, type CollateOptions } from './collate.js';
import type { DatasetLike, SampleContext } from './dataset.js';
import { DataError } from './errors.js';
import type { Sample } from './host-array.js';
import type { Sampler } from './distributed-sampler.js';
import { drawSeed } from './random-split.js';
import { batchesOf, type BatchSamplerLike } from './samplers.js';
import { scheduleMacrotask } from './schedule.js';

export interface DataLoaderOptions<B extends Batch = Batch> extends CollateOptions {
  /** Samples per batch (default 1, like PyTorch). */
  batchSize?: number;
  /** A new order every epoch, a pure function of (seed, epoch). Default false. */
  shuffle?: boolean;
  /** Seeds the shuffle order; by default one is drawn from core's default generator (see manualSeed). */
  seed?: number;
  /** Drop the last batch when it has fewer than batchSize samples. Default false. */
  dropLast?: boolean;
  /** Batches prepared ahead of the one being trained on, during async iteration. Default 2; 0 builds each on demand. */
  prefetch?: number;
  /** Replaces the default collate (contiguous float32 / int32 batches), e.g. collatePadded for variable-length sequences. */
  collate?: (samples: Sample[]) => B;
  /**
   * Picks the indices of each epoch instead of `shuffle` (a RandomSampler, WeightedRandomSampler,
   * SubsetRandomSampler, or a DistributedSampler for data-parallel training). Excludes `shuffle`.
   */
  sampler?: Sampler;
  /**
   * Picks whole batches each epoch (a BatchSampler over a sampler), like PyTorch's batch_sampler:
   * excludes batchSize, shuffle, sampler and dropLast.
   */
  batchSampler?: BatchSamplerLike;
}

/** One epoch's batches, for `for await` (with prefetch) or plain `for` (synchronous datasets only). */
export interface EpochBatches<B extends Batch = Batch> extends AsyncIterable<B>, Iterable<B> {
  readonly epoch: number;
  readonly length: number;
}

/** A value, or a promise of it (a dataset may load its samples asynchronously). */
export type MaybePromise<T> = T | PromiseLike<T>;

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

const OPTIONS = [
  'batchSize',
  'shuffle',
  'seed',
  'dropLast',
  'prefetch',
  'collate',
  'sampler',
  'batchSampler',
  'backend',
  'targetDtype',
];

/** An option the loader does not have (PyTorch's batch_size, num_workers) is an error, not ignored. */
function checkOptions(options: DataLoaderOptions<Batch>): void {
  if (typeof options !== 'object' || options === null)
    throw new DataError({
      source: 'DataLoader',
      expected: 'options as an object like { batchSize: 32 }',
      found: String(options),
    });
  for (const key of Object.keys(options)) {
    if (OPTIONS.includes(key)) continue;
    const camel = key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
    throw new DataError({
      source: 'DataLoader',
      expected: `options among ${OPTIONS.join(', ')}`,
      found: `'${key}'`,
      ...(OPTIONS.includes(camel) ? { detail: `'${key}' is '${camel}' here` } : {}),
    });
  }
  for (const key of ['shuffle', 'dropLast'] as const)
    if (options[key] !== undefined && typeof options[key] !== 'boolean')
      throw new DataError({
        source: 'DataLoader',
        expected: `${key} true or false`,
        found: JSON.stringify(options[key]) ?? String(options[key]),
      });
}

/** PyTorch's rules: a batchSampler decides batching and order alone; a sampler decides order without shuffle. */
function checkExclusive(options: DataLoaderOptions<Batch>): void {
  const conflict = (expected: string, found: string, detail: string): never => {
    throw new DataError({ source: 'DataLoader', expected, found, detail });
  };
  if (options.batchSampler !== undefined) {
    const given = [
      options.batchSize !== undefined && options.batchSize !== 1 ? `batchSize ${options.batchSize}` : '',
      options.shuffle ? 'shuffle true' : '',
      options.sampler !== undefined ? 'a sampler' : '',
      options.dropLast ? 'dropLast true' : '',
    ].filter((text) => text !== '');
    if (given.length > 0)
      conflict(
        'batchSampler alone, without batchSize, shuffle, sampler or dropLast',
        `batchSampler with ${given.join(', ')}`,
        'the batch sampler decides the batches; set batch size and dropLast on it',
      );
    if (
      typeof options.batchSampler !== 'object' ||
      options.batchSampler === null ||
      typeof options.batchSampler.batches !== 'function'
    )
      conflict(
        'batchSampler an object with length and batches(epoch), like a BatchSampler',
        String(options.batchSampler),
        'wrap a sampler in new BatchSampler(sampler, { batchSize })',
      );
  }
  if (options.sampler !== undefined) {
    if (options.shuffle)
      conflict('either shuffle or a sampler', 'sampler with shuffle true', 'the sampler orders the samples');
    if (
      typeof options.sampler !== 'object' ||
      options.sampler === null ||
      typeof options.sampler.indices !== 'function'
    )
      conflict(
        'sampler an object with length and indices(epoch), like a RandomSampler',
        String(options.sampler),
        'pass index lists through a SubsetRandomSampler',
      );
  }
}

function checkCount(name: string, value: number, minimum: number): number {
  if (!Number.isSafeInteger(value) || value < minimum)
    throw new DataError({ source: 'DataLoader', expected: `${name} an integer >= ${minimum}`, found: `${value}` });
  return value;
}

/**
 * Batches a dataset, like torch.utils.data.DataLoader. Each batch is `{ x, y }` tensors that
 * belong to the consumer (dispose them after the step; the fit loop does).
 *
 * The shuffle order of epoch e is the e-th permutation drawn from Generator(seed), so it is
 * a function of (seed, epoch) alone: set `nextEpoch` to resume a run in the same order.
 * Iterating the loader itself runs epoch `nextEpoch` and advances it; `epoch(e)` runs epoch e.
 */
export class DataLoader<B extends Batch = Batch> implements AsyncIterable<B>, Iterable<B> {
  readonly dataset: DatasetLike<MaybePromise<Sample>>;
  /** Samples per batch: the option, or a batch sampler's batchSize (1 for one that has none). */
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly prefetch: number;
  readonly sampler: Sampler | undefined;
  readonly batchSampler: BatchSamplerLike | undefined;
  /** The epoch that iterating the loader runs next; settable to resume a run. */
  nextEpoch = 0;
  /** Every batch is new and the consumer's: core's fit and evaluate dispose them after use. */
  readonly yieldsFreshBatches = true;
  readonly #collate: (samples: Sample[]) => B;
  #identity: Int32Array | undefined;

  constructor(dataset: DatasetLike<MaybePromise<Sample>>, options: DataLoaderOptions<B> = {}) {
    this.dataset = dataset;
    checkOptions(options);
    checkExclusive(options);
    this.batchSampler = options.batchSampler;
    this.batchSize = checkCount('batchSize', options.batchSize ?? this.batchSampler?.batchSize ?? 1, 1);
    this.prefetch = checkCount('prefetch', options.prefetch ?? 2, 0);
    this.shuffle = options.shuffle ?? false;
    this.dropLast = options.dropLast ?? false;
    this.sampler = options.sampler;
    this.seed = options.seed ?? this.sampler?.seed ?? this.batchSampler?.seed ?? drawSeed();
    const collator = new Collator(options);
    this.#collate = options.collate ?? ((samples) => collator.collate(samples) as B); // B is Batch without a collate
  }

  /** Batches per epoch. */
  get length(): number {
    if (this.batchSampler) return this.batchSampler.length;
    const n = this.sampler ? this.sampler.length : this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /**
   * The sample order of `epoch`: the batch sampler's batches end to end, the sampler's indices,
   * a permutation when shuffling, 0..n-1 otherwise.
   */
  order(epoch: number): Int32Array {
    checkCount('epoch', epoch, 0);
    if (this.batchSampler) {
      const batches = this.batchSampler.batches(epoch);
      const out = new Int32Array(batches.reduce((total, batch) => total + batch.length, 0));
      let at = 0;
      for (const batch of batches) out.set(batch, (at += batch.length) - batch.length);
      return out;
    }
    if (this.sampler) return this.sampler.indices(epoch);
    const n = this.dataset.length;
    if (!this.shuffle) {
      if (this.#identity?.length !== n) this.#identity = Int32Array.from({ length: n }, (_, i) => i);
      return this.#identity;
    }
    // permutation(n) consumes ceil(n/4) Philox blocks, so this is the e-th permutation of the stream.
    return new Generator(this.seed).setState({ seed: this.seed, offset: epoch * Math.ceil(n / 4) }).permutation(n);
  }

  /** The batches of epoch `epoch`. */
  epoch(epoch: number): EpochBatches<B> {
    checkCount('epoch', epoch, 0);
    return {
      epoch,
      length: this.length,
      [Symbol.asyncIterator]: () => this.#iterateAsync(epoch),
      [Symbol.iterator]: () => this.#iterateSync(epoch),
    };
  }

  [Symbol.asyncIterator](): AsyncIterator<B> {
    return this.epoch(this.nextEpoch++)[Symbol.asyncIterator]();
  }

  [Symbol.iterator](): Iterator<B> {
    return this.epoch(this.nextEpoch++)[Symbol.iterator]();
  }

  /** The dataset indices of each batch of `epoch`. */
  batches(epoch: number): Int32Array[] {
    checkCount('epoch', epoch, 0);
    const batches = this.batchSampler
      ? this.batchSampler.batches(epoch)
      : batchesOf(this.order(epoch), this.batchSize, this.length);
    const empty = batches.findIndex((batch) => batch.length === 0);
    if (empty >= 0)
      throw new DataError({ source: 'DataLoader', expected: 'non-empty batches', found: `batch ${empty} empty` });
    return batches;
  }

  #samples(indices: Int32Array, context: SampleContext, reads: Map<number, number>): MaybePromise<Sample>[] {
    const samples = new Array<MaybePromise<Sample>>(indices.length);
    for (let i = 0; i < indices.length; i++) {
      const index = indices[i]!;
      // A sampler with replacement reads an index again: that copy is told so (its augmentation
      // draws its own numbers), the first read is as a run without repeats.
      const occurrence = reads.get(index) ?? 0;
      reads.set(index, occurrence + 1);
      samples[i] = this.dataset.get(index, occurrence === 0 ? context : { ...context, occurrence });
    }
    return samples;
  }

  *#iterateSync(epoch: number): IterableIterator<B> {
    const batches = this.batches(epoch);
    const context: SampleContext = { epoch };
    const reads = new Map<number, number>();
    for (const indices of batches) {
      const samples = this.#samples(indices, context, reads);
      if (samples.some(isPromiseLike)) {
        throw new DataError({
          source: 'DataLoader',
          expected: 'synchronous samples for a plain for-of loop',
          found: 'a promise (an async dataset)',
          detail: 'iterate with for await',
        });
      }
      yield this.#collate(samples as Sample[]);
    }
  }

  #build(indices: Int32Array, context: SampleContext, reads: Map<number, number>): Promise<B> {
    return new Promise<B>((resolve, reject) => {
      scheduleMacrotask(() => {
        try {
          const samples = this.#samples(indices, context, reads);
          if (samples.some(isPromiseLike))
            Promise.all(samples)
              .then((resolved) => this.#collate(resolved))
              .then(resolve, reject);
          else resolve(this.#collate(samples as Sample[]));
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  async *#iterateAsync(epoch: number): AsyncGenerator<B> {
    const batches = this.batches(epoch);
    const context: SampleContext = { epoch };
    const reads = new Map<number, number>();
    const total = batches.length;
    const queue: Promise<B>[] = [];
    let started = 0;
    const startNext = (): void => {
      const pending = this.#build(batches[started++]!, context, reads);
      pending.catch(() => undefined); // awaited later; this only stops an early rejection counting as unhandled
      queue.push(pending);
    };
    try {
      for (let batch = 0; batch < total; batch++) {
        while (started < total && queue.length <= this.prefetch) startNext();
        yield await queue.shift()!;
      }
    } finally {
      // A consumer that stops early (break, throw) leaves prefetched batches: free them.
      for (const pending of queue.splice(0))
        pending.then(
          (batch) => dispose([batch.x, batch.y] as Tensor[]),
          () => undefined,
        );
    }
  }
}
