import type { Transform, TransformContext } from '../dataset.js';

/** Applies transforms left to right, like torchvision.transforms.Compose. */
export function compose<T>(...transforms: readonly Transform<T, T>[]): Transform<T, T> {
  return (value: T, context: TransformContext): T => {
    let result = value;
    for (const transform of transforms) result = transform(result, context);
    return result;
  };
}
