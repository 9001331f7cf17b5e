import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { concat, reshape, slice } from '../ops/movement.js';
import { composite, tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * torch.nn.utils.parameters_to_vector: the parameters flattened and joined into one 1-D tensor,
 * in order (differentiable, as PyTorch's cat of views). All must share a dtype and backend.
 */
export function parametersToVector(parameters: readonly Tensor[]): Tensor {
  checkList('parametersToVector', parameters);
  return composite(() => concat(parameters.map((p) => reshape(p, [p.size]))));
}

/**
 * torch.nn.utils.vector_to_parameters: copies consecutive slices of the 1-D `vector` into the
 * parameters, in place and without recording gradients (`vector` must hold exactly as many
 * elements as the parameters together).
 */
export function vectorToParameters(vector: Tensor, parameters: readonly Tensor[]): void {
  checkList('vectorToParameters', parameters);
  const total = parameters.reduce((n, p) => n + p.size, 0);
  if (vector.rank !== 1 || vector.size !== total)
    throw new ShapeError(
      `vectorToParameters: vector must be 1-D with ${total} elements (the parameters' total), got shape ${formatShape(vector.shape)}`,
    );
  noGrad(() =>
    tidy(() => {
      let at = 0;
      for (const p of parameters) {
        p.assign(reshape(slice(vector, [at], [p.size]), p.shape));
        at += p.size;
      }
    }),
  );
}

function checkList(owner: string, parameters: readonly Tensor[]): void {
  if (!Array.isArray(parameters) || parameters.length === 0)
    throw new ArgumentError(
      `${owner}: expected a non-empty array of parameters (model.parameters()), got ${String(parameters)}`,
    );
}
