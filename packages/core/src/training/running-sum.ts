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
 * A one-number sum kept on the device across steps (fit's and evaluate's loss and metric
 * sums), read back only when somebody looks. `add(x, scale)` adds x * scale in the sum's
 * dtype: one `accumulate` kernel where the backend has it; else core's composed cast, multiply
 * and add, with the scale as a device scalar made again only when it changes (a number would
 * be filled into a new scalar on every call, one more launch per step).
 *
 * Call `add` without gradients and inside a `tidy` (the composed path makes temporaries).
 */
export class RunningSum {
  /** The sum so far, a scalar tensor in the sums' dtype; it survives the caller's tidy scopes. */
  readonly total: Tensor;
  #scale: Tensor | null = null;
  #scaleValue = Number.NaN;

  /** `what` names the values added, for the error when one is not a single number. */
  constructor(
    backend: Backend,
    private readonly what: string,
  ) {
    this.total = keep(full([], 0, { backend, dtype: sumDType(backend) }));
  }

  /** total += x * scale, for a one-element `x` of any numeric dtype. */
  add(x: Tensor, scale = 1): void {
    if (x.size !== 1) {
      throw new ShapeError(`${this.what} must be a single number per batch, got shape ${formatShape(x.shape)}`);
    }
    const total = this.total;
    const value = x.rank === 0 ? x : x.reshape([]);
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
