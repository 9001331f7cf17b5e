import type { Transform, TransformContext } from '../dataset.js';
import { fuseSteps } from './basic.js';

/**
 * Applies transforms left to right, like torchvision.transforms.Compose. A toFloat followed by a
 * normalize runs as one pass over the values (the same results).
 */
export function compose<T>(...transforms: readonly Transform<T, T>[]): Transform<T, T> {
  const steps = fuseSteps(transforms);
  return (value: T, context: TransformContext): T => {
    let result = value;
    for (const transform of steps) result = transform(result, context);
    return result;
  };
}
