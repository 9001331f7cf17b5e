import type { Backend } from '../backend/contract.js';
import { ShapeError, formatShape } from '../errors.js';
import { full } from '../tensor/creation.js';
import { keep } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * The dtype of the device-side epoch sums: float64 where the backend has it, so the sums are
 * exact for float64 models and lose nothing over many float32 batches; float32 elsewhere.
 */
export function sumDType(backend: Backend): 'float32' | 'float64' {
  return backend.dtypes.includes('float64') ? 'float64' : 'float32';
}

/**
 * A sum kept on the device across steps (fit's and evaluate's loss and metric sums; one number,
 * or a vector of counts for a metric's statistics), read back only when somebody looks. `add(x, scale)` adds x * scale in the sum's
 * dtype: one `accumulate` kernel where the backend has it; else core's composed cast, multiply
 * and add, with the scale as a device scalar made again only when it changes (a number would
 * be filled into a new scalar on every call, one more launch per step).
 *
 * Call `add` without gradients and inside a `tidy` (the composed path makes temporaries).
 */
export class RunningSum {
  /** The sum so far, in the sums' dtype and the sum's shape; it survives the caller's tidy scopes. */
  readonly total: Tensor;
  #scale: Tensor | null = null;
  #scaleValue = Number.NaN;

  /** `what` names the values added, for the error when one does not fit `shape` (default: one number). */
  constructor(
    backend: Backend,
    private readonly what: string,
    shape: readonly number[] = [],
  ) {
    this.total = keep(full(shape, 0, { backend, dtype: sumDType(backend) }));
  }

  /** total += x * scale, for `x` of any numeric dtype with the sum's shape (one element for a scalar sum). */
  add(x: Tensor, scale = 1): void {
    const total = this.total;
    const fits =
      total.rank === 0 ? x.size === 1 : x.shape.length === total.rank && x.shape.every((d, i) => d === total.shape[i]);
    if (!fits) {
      throw new ShapeError(
        total.rank === 0
          ? `${this.what} must be a single number per batch, got shape ${formatShape(x.shape)}`
          : `${this.what} must have shape ${formatShape(total.shape)} in every batch (its first batch's), got ${formatShape(x.shape)}`,
      );
    }
    const value = total.rank === 0 && x.rank !== 0 ? x.reshape([]) : x;
    const fused = total.backend.fused;
    if (fused?.accumulate !== undefined && value.dtype !== 'bool') {
      total.replaceHandle(fused.accumulate(total.handle, value.handle, scale));
      return;
    }
    let term = value.dtype === total.dtype ? value : value.cast(total.dtype);
    if (scale !== 1) term = term.mul(this.#scalar(scale));
    total.assign(total.add(term));
  }

  /** `scale` as a device scalar in the sum's dtype, kept while the scale stays the same. */
  #scalar(scale: number): Tensor {
    if (this.#scale === null || this.#scaleValue !== scale) {
      this.#scale?.dispose();
      this.#scale = keep(full([], scale, { backend: this.total.backend, dtype: this.total.dtype }));
      this.#scaleValue = scale;
    }
    return this.#scale;
  }

  dispose(): void {
    this.#scale?.dispose();
    this.#scale = null;
    this.total.dispose();
  }
}
