import { DTypeError, ShapeError, formatShape } from '../errors.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { isFloat } from './dispatch.js';
import { add, mul } from './elementwise.js';
import { matmul } from './linalg.js';
import { permute, reshape } from './movement.js';
import { sum } from './reduce.js';

/**
 * torch.nn.functional.bilinear: y_o = x1^T A_o x2 + b_o for input1 [..., in1], input2 [..., in2]
 * (the same leading axes), weight [out, in1, in2] and an optional bias [out]; y is [..., out].
 * One matmul x1 [rows, in1] by A as [in1, out * in2], then a product with x2 summed over in2.
 */
export function bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  if (weight.rank !== 3)
    throw new ShapeError(`bilinear: weight must be [out, in1, in2], got ${formatShape(weight.shape)}`);
  const [out, in1, in2] = weight.shape as [number, number, number];
  const leading = input1.shape.slice(0, -1);
  if (
    input1.rank < 1 ||
    input2.rank !== input1.rank ||
    input1.shape[input1.rank - 1] !== in1 ||
    input2.shape[input2.rank - 1] !== in2 ||
    leading.some((d, i) => d !== input2.shape[i])
  )
    throw new ShapeError(
      `bilinear: inputs ${formatShape(input1.shape)} and ${formatShape(input2.shape)} must be [..., ${in1}] and [..., ${in2}] with the same leading axes (weight ${formatShape(weight.shape)})`,
    );
  if (bias !== null && (bias.rank !== 1 || bias.shape[0] !== out))
    throw new ShapeError(`bilinear: bias must be [${out}], got ${formatShape(bias.shape)}`);
  for (const t of [input1, input2, weight])
    if (!isFloat(t.dtype)) throw new DTypeError(`bilinear: expected float tensors, got dtype ${t.dtype}`);
  const rows = leading.reduce((a, d) => a * d, 1);
  return composite(() => {
    const a = reshape(permute(weight, [1, 0, 2]), [in1, out * in2]);
    const left = reshape(matmul(reshape(input1, [rows, in1]), a), [rows, out, in2]);
    let y = sum(mul(left, reshape(input2, [rows, 1, in2])), 2);
    if (bias !== null) y = add(y, bias);
    return reshape(y, [...leading, out]);
  });
}
