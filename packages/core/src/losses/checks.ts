import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { isFloat } from '../ops/dispatch.js';
import { broadcastShapes, shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

export function requireFloat(owner: string, role: string, x: Tensor, hint = ''): void {
  if (!isFloat(x.dtype)) throw new DTypeError(`${owner}: ${role} must be a float tensor, got dtype ${x.dtype}${hint}`);
}

/** Elementwise losses need equal shapes: silently broadcasting [N,1] against [N] makes [N,N]. */
export function requireSameShape(owner: string, input: Tensor, target: Tensor, inputRole = 'input'): void {
  if (!shapesEqual(input.shape, target.shape)) {
    throw new ShapeError(
      `${owner}: ${inputRole} ${formatShape(input.shape)} and target ${formatShape(target.shape)} must have the same shape`,
    );
  }
}

/** An optional weight tensor must be float and broadcast to the input's shape without growing it. */
export function requireBroadcastWeight(owner: string, role: string, weight: Tensor, input: Tensor): void {
  requireFloat(owner, role, weight);
  let fits = weight.rank <= input.rank;
  if (fits) {
    try {
      fits = shapesEqual(broadcastShapes(owner, weight.shape, input.shape), input.shape);
    } catch {
      fits = false;
    }
  }
  if (!fits)
    throw new ShapeError(
      `${owner}: ${role} ${formatShape(weight.shape)} does not broadcast to the input's shape ${formatShape(input.shape)}`,
    );
}

/**
 * Host-side check that class indices lie in 0..numClasses-1 or equal `ignoreIndex` (when given), only where
 * the values can be read without stalling a device (like gather's index check); returns whether
 * any equals `ignoreIndex`, or undefined where they were not read. Elsewhere an out-of-range
 * index selects no class: its row contributes 0 to the loss and to the weight sum.
 */
export function checkClassIndices(
  owner: string,
  target: Tensor,
  numClasses: number,
  ignoreIndex?: number,
  ignoreName = 'ignoreIndex',
): boolean | undefined {
  if (!target.backend.readSync) return undefined;
  const values = target.dataSync();
  let ignored = false;
  for (let i = 0; i < values.length; i++) {
    const index = values[i]!;
    if (index === ignoreIndex) ignored = true;
    else if (index < 0 || index >= numClasses) {
      throw new ArgumentError(
        `${owner}: target class ${index} at position ${i} is out of range for ${numClasses} classes (expected 0..${numClasses - 1}${ignoreIndex === undefined ? '' : `, or ${ignoreName} ${ignoreIndex}`})`,
      );
    }
  }
  return ignored;
}

/**
 * PyTorch rejects BCE probabilities outside [0, 1] (and NaN); so do we where the values can be
 * read without stalling a device. Elsewhere they pass unchecked: see binaryCrossEntropy.
 */
export function checkProbabilities(owner: string, probabilities: Tensor): void {
  if (!probabilities.backend.readSync) return;
  const values = probabilities.dataSync();
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!(value >= 0 && value <= 1)) {
      throw new ArgumentError(
        `${owner}: probabilities must lie in [0, 1], got ${value} at position ${i} (apply sigmoid first, or use binaryCrossEntropyWithLogits on raw scores)`,
      );
    }
  }
}
