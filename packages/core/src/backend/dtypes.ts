import type { DType, DTypeArrayMap, TypedArray } from './contract.js';

/** The floating-point dtypes: the ones that carry gradients. */
export type FloatDType = 'float32' | 'float64';

/** Whether `dtype` is a floating-point dtype (float32 or float64). */
export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float64';
}

/** A zeroed host array for `size` elements of `dtype` (bool as 0/1 bytes). */
export function allocateArray<D extends DType>(dtype: D, size: number): DTypeArrayMap[D];
export function allocateArray(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
  }
}
