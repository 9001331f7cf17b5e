import { ShapeError, formatShape } from '../errors.js';
import { fromHost } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import { normalizeAxis } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { runPrimitive } from './dispatch.js';

/**
 * The entries of x along `axis` at indices computed on the host (a padding's or an
 * interpolation's source positions): one `gather`, differentiable through its scatterAdd
 * adjoint on every backend. The indices are checked here, so no backend reads them back.
 */
export function selectAlong(x: Tensor, axis: number, indices: ArrayLike<number>): Tensor {
  const at = normalizeAxis('selectAlong', axis, x.rank);
  const size = x.shape[at]!;
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    if (!Number.isInteger(index) || index < 0 || index >= size)
      throw new ShapeError(
        `selectAlong: index ${index} is out of range for axis ${at} of shape ${formatShape(x.shape)}`,
      );
  }
  const outShape = x.shape.map((d, i) => (i === at ? indices.length : d));
  return composite(() => {
    const picked = fromHost(Int32Array.from(indices), [indices.length], { dtype: 'int32', backend: x.backend });
    return runPrimitive('gather', [x, picked], { axis: at }, outShape, x.dtype, (h, i) => x.backend.gather(h!, i!, at));
  });
}
