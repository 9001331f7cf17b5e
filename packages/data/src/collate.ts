import { fromHost, type Backend, type DType, type Tensor } from '@myelin/core';
import { DataError } from './errors.js';
import { batchDTypeOf, formatShape, sameShape, sizeOfShape, type HostArray, type Sample } from './host-array.js';

/** One batch: inputs `[batch, ...sampleShape]` and targets `[batch]` (class indices) or `[batch, ...targetShape]`. */
export interface Batch {
  x: Tensor;
  y: Tensor;
}

export interface CollateOptions {
  /** A backend instance or registered name; the active backend by default. */
  backend?: Backend | string;
  /** dtype of number targets: int32 class indices (the default) or float32 values. */
  targetDtype?: 'int32' | 'float32';
}

/** A batch of variable-length sequences padded to the longest: x [batch, longest, ...], and each sample's length. */
export interface PaddedBatch extends Batch {
  /** Each sample's number of steps (its x's first axis), in batch order: packPaddedSequence's lengths. */
  lengths: number[];
}

export interface CollatePaddedOptions extends CollateOptions {
  /** The value of the padded steps (default 0). */
  paddingValue?: number;
}

type Staging = Float32Array | Int32Array;

/**
 * Builds contiguous batches from samples. Values are copied straight from each sample's typed
 * array into a staging buffer that is reused from batch to batch (the backend copies it on
 * upload), so a batch costs one `set` per sample and no allocation per element.
 */
export class Collator {
  #x: Staging = new Float32Array(0);
  #y: Staging = new Int32Array(0);
  readonly #options: CollateOptions;

  constructor(options: CollateOptions = {}) {
    this.#options = options;
  }

  collate(samples: readonly Sample[]): Batch {
    const count = samples.length;
    if (count === 0)
      throw new DataError({ source: 'collate', expected: 'at least one sample', found: 'an empty batch' });
    const first = samples[0]!;
    const xDtype = batchDTypeOf(first.x.data);
    const xStaging = (this.#x = this.#stage(this.#x, xDtype, count * first.x.data.length));
    this.#fill(xStaging, samples, 'x', first.x);
    const x = fromHost(xStaging.subarray(0, count * first.x.data.length), [count, ...first.x.shape], {
      dtype: xDtype,
      backend: this.#options.backend,
    });
    try {
      return { x, y: this.#collateTargets(samples) };
    } catch (error) {
      x.dispose();
      throw error;
    }
  }

  /**
   * Samples whose x are sequences [L_i, ...] of one trailing shape, padded after their end to the
   * longest: x [batch, longest, ...] (batch first, as packPaddedSequence(x, lengths, { batchFirst: true }) takes it).
   */
  collatePadded(samples: readonly Sample[], paddingValue = 0): PaddedBatch {
    const count = samples.length;
    if (count === 0)
      throw new DataError({ source: 'collatePadded', expected: 'at least one sample', found: 'an empty batch' });
    const first = samples[0]!.x;
    const trailing = first.shape.slice(1);
    const isInt = first.data instanceof Int32Array;
    const lengths = samples.map(({ x }, i) => {
      if (x.shape.length === 0 || !sameShape(x.shape.slice(1), trailing) || x.data instanceof Int32Array !== isInt)
        throw new DataError({
          source: 'collatePadded',
          expected: `every x a sequence [length, ${trailing.join(', ')}] (${first.data.constructor.name}) like the batch's first sample`,
          found: `shape ${formatShape(x.shape)} (${x.data.constructor.name}) at batch position ${i}`,
        });
      return x.shape[0]!;
    });
    const longest = Math.max(...lengths);
    const step = sizeOfShape(trailing);
    const dtype = batchDTypeOf(first.data);
    const size = count * longest * step;
    const staging = (this.#x = this.#stage(this.#x, dtype, size)).subarray(0, size);
    staging.fill(paddingValue);
    samples.forEach(({ x }, i) => staging.set(x.data, i * longest * step));
    const x = fromHost(staging, [count, longest, ...trailing], { dtype, backend: this.#options.backend });
    try {
      return { x, y: this.#collateTargets(samples), lengths };
    } catch (error) {
      x.dispose();
      throw error;
    }
  }

  #collateTargets(samples: readonly Sample[]): Tensor {
    const count = samples.length;
    const first = samples[0]!.y;
    const backend = this.#options.backend;
    if (typeof first === 'number') {
      const dtype: DType = this.#options.targetDtype ?? 'int32';
      const staging = (this.#y = this.#stage(this.#y, dtype, count));
      for (let i = 0; i < count; i++) {
        const value = samples[i]!.y;
        if (typeof value !== 'number' || (dtype === 'int32' && !Number.isInteger(value))) {
          throw new DataError({
            source: 'collate',
            expected:
              dtype === 'int32'
                ? 'integer class indices as targets (set targetDtype: "float32" for real-valued targets)'
                : 'number targets like the first sample',
            found: `${typeof value === 'number' ? value : 'an array'} at batch position ${i}`,
          });
        }
        staging[i] = value;
      }
      return fromHost(staging.subarray(0, count), [count], { dtype, backend });
    }
    const dtype = batchDTypeOf(first.data);
    const staging = (this.#y = this.#stage(this.#y, dtype, count * first.data.length));
    this.#fill(staging, samples, 'y', first);
    return fromHost(staging.subarray(0, count * first.data.length), [count, ...first.shape], { dtype, backend });
  }

  #stage(current: Staging, dtype: DType, size: number): Staging {
    const wanted = dtype === 'int32' ? Int32Array : Float32Array;
    if (current instanceof wanted && current.length >= size) return current;
    return new wanted(Math.max(size, current instanceof wanted ? current.length * 2 : 0));
  }

  #fill(staging: Staging, samples: readonly Sample[], field: 'x' | 'y', first: HostArray): void {
    const size = first.data.length;
    const shape = first.shape;
    const isInt = staging instanceof Int32Array;
    for (let i = 0; i < samples.length; i++) {
      const value = samples[i]![field];
      if (
        typeof value === 'number' ||
        !sameShape(value.shape, shape) ||
        value.data.length !== size ||
        value.data instanceof Int32Array !== isInt
      ) {
        const found =
          typeof value === 'number' ? 'a number' : `shape ${formatShape(value.shape)} (${value.data.constructor.name})`;
        throw new DataError({
          source: 'collate',
          expected: `every ${field} of shape ${formatShape(shape)} (${first.data.constructor.name}) like the batch's first sample`,
          found: `${found} at batch position ${i}`,
        });
      }
      staging.set(value.data, i * size);
    }
  }
}

/**
 * Collates variable-length sequences (torch's usual collate_fn with pad_sequence): x padded to
 * [batch, longest, ...] with each sample's length. As a DataLoader's collate, keep one Collator:
 * `const collator = new Collator(); new DataLoader(data, { collate: (s) => collator.collatePadded(s) })`.
 */
export function collatePadded(samples: readonly Sample[], options: CollatePaddedOptions = {}): PaddedBatch {
  const { paddingValue, ...collateOptions } = options;
  return new Collator(collateOptions).collatePadded(samples, paddingValue);
}

/** Collates samples with a fresh Collator; loaders keep one Collator to reuse its buffers. */
export function collate(samples: readonly Sample[], options: CollateOptions = {}): Batch {
  return new Collator(options).collate(samples);
}
