import { Generator, dispose, type Tensor } from '@myelin/core';
import { Collator, type Batch, type CollateOptions } from './collate.js';
import type { DatasetLike, SampleContext } from './dataset.js';
import { DataError } from './errors.js';
import type { Sample } from './host-array.js';
import type { Sampler } from './distributed-sampler.js';
import { drawSeed } from './random-split.js';
import { scheduleMacrotask } from './schedule.js';

export interface DataLoaderOptions extends CollateOptions {
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
  /** Replaces the default collate (contiguous float32 / int32 batches). */
  collate?: (samples: Sample[]) => Batch;
  /** Picks the indices of each epoch instead of `shuffle` (a DistributedSampler for data-parallel training). */
  sampler?: Sampler;
}

/** One epoch's batches, for `for await` (with prefetch) or plain `for` (synchronous datasets only). */
export interface EpochBatches extends AsyncIterable<Batch>, Iterable<Batch> {
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
  'backend',
  'targetDtype',
];

/** An option the loader does not have (PyTorch's batch_size, num_workers) is an error, not ignored. */
function checkOptions(options: DataLoaderOptions): void {
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
export class DataLoader implements AsyncIterable<Batch>, Iterable<Batch> {
  readonly dataset: DatasetLike<MaybePromise<Sample>>;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly prefetch: number;
  readonly sampler: Sampler | undefined;
  /** The epoch that iterating the loader runs next; settable to resume a run. */
  nextEpoch = 0;
  /** Every batch is new and the consumer's: core's fit and evaluate dispose them after use. */
  readonly yieldsFreshBatches = true;
  readonly #collate: (samples: Sample[]) => Batch;
  #identity: Int32Array | undefined;

  constructor(dataset: DatasetLike<MaybePromise<Sample>>, options: DataLoaderOptions = {}) {
    this.dataset = dataset;
    checkOptions(options);
    this.batchSize = checkCount('batchSize', options.batchSize ?? 1, 1);
    this.prefetch = checkCount('prefetch', options.prefetch ?? 2, 0);
    this.shuffle = options.shuffle ?? false;
    this.dropLast = options.dropLast ?? false;
    this.sampler = options.sampler;
    if (this.sampler && options.shuffle)
      throw new DataError({
        source: 'DataLoader',
        expected: 'either shuffle or a sampler',
        found: 'both',
        detail: 'the sampler orders the samples',
      });
    this.seed = options.seed ?? this.sampler?.seed ?? drawSeed();
    const collator = new Collator(options);
    this.#collate = options.collate ?? ((samples) => collator.collate(samples));
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.sampler ? this.sampler.length : this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The sample order of `epoch`: the sampler's indices, a permutation when shuffling, 0..n-1 otherwise. */
  order(epoch: number): Int32Array {
    checkCount('epoch', epoch, 0);
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
  epoch(epoch: number): EpochBatches {
    checkCount('epoch', epoch, 0);
    return {
      epoch,
      length: this.length,
      [Symbol.asyncIterator]: () => this.#iterateAsync(epoch),
      [Symbol.iterator]: () => this.#iterateSync(epoch),
    };
  }

  [Symbol.asyncIterator](): AsyncIterator<Batch> {
    return this.epoch(this.nextEpoch++)[Symbol.asyncIterator]();
  }

  [Symbol.iterator](): Iterator<Batch> {
    return this.epoch(this.nextEpoch++)[Symbol.iterator]();
  }

  #samples(order: Int32Array, batch: number, context: SampleContext): MaybePromise<Sample>[] {
    const start = batch * this.batchSize;
    const end = Math.min(start + this.batchSize, order.length);
    const samples = new Array<MaybePromise<Sample>>(end - start);
    for (let i = start; i < end; i++) samples[i - start] = this.dataset.get(order[i]!, context);
    return samples;
  }

  *#iterateSync(epoch: number): IterableIterator<Batch> {
    const order = this.order(epoch);
    const context: SampleContext = { epoch };
    for (let batch = 0; batch < this.length; batch++) {
      const samples = this.#samples(order, batch, context);
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

  #build(order: Int32Array, batch: number, context: SampleContext): Promise<Batch> {
    return new Promise<Batch>((resolve, reject) => {
      scheduleMacrotask(() => {
        try {
          const samples = this.#samples(order, batch, context);
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

  async *#iterateAsync(epoch: number): AsyncGenerator<Batch> {
    const order = this.order(epoch);
    const context: SampleContext = { epoch };
    const total = this.length;
    const queue: Promise<Batch>[] = [];
    let started = 0;
    const startNext = (): void => {
      const pending = this.#build(order, started++, context);
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
