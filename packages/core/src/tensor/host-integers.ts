import { ArgumentError, describeValue, formatShape } from '../errors.js';
import { isTensor } from './is-tensor.js';

/**
 * A list of integers an op needs on the host (sequence lengths, bag offsets): a number[], an
 * Int32Array, or a 1-D int32 or float tensor of whole numbers on a backend that reads
 * synchronously (PyTorch keeps such lengths on the CPU too). Anything else is an error naming
 * `where`, `name` and the value seen.
 */
export function hostIntegers(where: string, name: string, value: unknown): number[] {
  const expected = `${name} must be a number[] of integers, an Int32Array or a 1-D tensor of them`;
  let list: unknown = value;
  if (isTensor(value)) {
    if (value.rank !== 1 || value.dtype === 'bool')
      throw new ArgumentError(
        `${where}: ${expected}, got a tensor of dtype ${value.dtype} and shape ${formatShape(value.shape)}`,
      );
    if (!value.backend.readSync)
      throw new ArgumentError(
        `${where}: ${name} are read on the host and backend '${value.backend.name}' reads only asynchronously; pass them as a number[] (PyTorch keeps them on the CPU too)`,
      );
    list = Array.from(value.dataSync());
  } else if (value instanceof Int32Array) {
    list = Array.from(value);
  }
  if (!Array.isArray(list) || !list.every((v) => Number.isInteger(v)))
    throw new ArgumentError(`${where}: ${expected}, got ${describeValue(value)}`);
  return list as number[];
}
