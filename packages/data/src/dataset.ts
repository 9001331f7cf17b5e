import { DataError } from './errors.js';

/** What a sample read knows besides its index: the epoch, so seeded augmentation differs per epoch. */
export interface SampleContext {
  readonly epoch: number;
  /**
   * Which read of this index in the epoch this is, from 0: a sampler with replacement (or more
   * samples than the dataset) reads an index again, and each copy gets augmentations of its own.
   * Absent: 0.
   */
  readonly occurrence?: number;
}

/** What a transform is told about the sample it transforms. */
export interface TransformContext {
  /** The sample's index in the dataset the transform is mapped over. */
  readonly index: number;
  readonly epoch: number;
  /** Which read of the index in the epoch (SampleContext.occurrence); absent: 0. */
  readonly occurrence?: number;
}

/** A function from one sample to another; seeded random transforms use the context. */
export type Transform<In, Out> = (value: In, context: TransformContext) => Out;

/**
 * Anything indexable the DataLoader can batch: a length and a `get`. `get` may return a promise
 * (a sample decoded on demand); the loader awaits those while it prefetches.
 */
export interface DatasetLike<T> {
  readonly length: number;
  get(index: number, context?: SampleContext): T;
}

const EPOCH_ZERO: SampleContext = { epoch: 0 };

/** An indexable dataset, like torch.utils.data.Dataset with a length. */
export abstract class Dataset<T> implements DatasetLike<T> {
  abstract readonly length: number;
  abstract get(index: number, context?: SampleContext): T;

  /** A dataset whose sample i is `transform(this.get(i), { index: i, epoch })`; nothing is copied up front. */
  map<U>(transform: Transform<T, U>): Dataset<U> {
    return new MappedDataset(this, transform);
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.length; i++) yield this.get(i, EPOCH_ZERO);
  }
}

/** Throws a DataError unless `index` is an integer in [0, length). */
export function checkIndex(index: number, length: number, what: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new DataError({ source: what, expected: `an integer index in [0, ${length})`, found: `${index}` });
  }
}

export class MappedDataset<In, Out> extends Dataset<Out> {
  constructor(
    readonly source: DatasetLike<In>,
    readonly transform: Transform<In, Out>,
  ) {
    super();
  }

  get length(): number {
    return this.source.length;
  }

  get(index: number, context: SampleContext = EPOCH_ZERO): Out {
    const { epoch, occurrence } = context;
    return this.transform(
      this.source.get(index, context),
      occurrence ? { index, epoch, occurrence } : { index, epoch },
    );
  }
}

/** The samples of `dataset` at `indices`, in that order (torch.utils.data.Subset). */
export class Subset<T> extends Dataset<T> {
  readonly indices: Int32Array;

  constructor(
    readonly dataset: DatasetLike<T>,
    indices: ArrayLike<number>,
  ) {
    super();
    this.indices = Int32Array.from(indices);
    for (let i = 0; i < indices.length; i++) checkIndex(indices[i]!, dataset.length, `Subset index ${i}`);
  }

  get length(): number {
    return this.indices.length;
  }

  get(index: number, context: SampleContext = EPOCH_ZERO): T {
    checkIndex(index, this.indices.length, 'Subset');
    return this.dataset.get(this.indices[index]!, context);
  }
}

/** Several datasets one after another (torch.utils.data.ConcatDataset). */
export class ConcatDataset<T> extends Dataset<T> {
  readonly datasets: readonly DatasetLike<T>[];
  /** ends[k] = total length of datasets 0..k. */
  readonly #ends: number[];

  constructor(datasets: readonly DatasetLike<T>[]) {
    super();
    if (datasets.length === 0)
      throw new DataError({ source: 'ConcatDataset', expected: 'at least one dataset', found: 'none' });
    this.datasets = [...datasets];
    let total = 0;
    this.#ends = this.datasets.map((d) => (total += d.length));
  }

  get length(): number {
    return this.#ends[this.#ends.length - 1]!;
  }

  get(index: number, context: SampleContext = EPOCH_ZERO): T {
    checkIndex(index, this.length, 'ConcatDataset');
    let low = 0;
    let high = this.#ends.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (index < this.#ends[middle]!) high = middle;
      else low = middle + 1;
    }
    const start = low === 0 ? 0 : this.#ends[low - 1]!;
    return this.datasets[low]!.get(index - start, context);
  }
}
