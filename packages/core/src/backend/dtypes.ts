import type { DType } from './contract.js';

/** The floating-point dtypes: the ones that carry gradients. */
export type FloatDType = 'float32' | 'float64';

/** Whether `dtype` is a floating-point dtype (float32 or float64). */
export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float64';
}
