import { fromHost, type Backend, type DType, type Tensor } from '@myelin/core';
import { DataError } from './errors.js';
import { batchDTypeOf, formatShape, sameShape, type HostArray, type Sample } from './host-array.js';

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

/** Collates samples with a fresh Collator; loaders keep one Collator to reuse its buffers. */
export function collate(samples: readonly Sample[], options: CollateOptions = {}): Batch {
  return new Collator(options).collate(samples);
}
