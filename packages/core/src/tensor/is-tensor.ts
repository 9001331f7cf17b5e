import type { Tensor } from './tensor.js';

/**
 * Whether `value` is a Myelin tensor. By its brand, not `instanceof`: a tensor made by another
 * copy of core (two versions installed side by side) counts too.
 */
export function isTensor(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && (value as { isMyelinTensor?: unknown }).isMyelinTensor === true;
}
