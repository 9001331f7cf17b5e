import type { AdamUpdateOptions } from '@myelin/core/backend';
import { allocate, type HostTensor } from '../handle.js';
import { unsupported } from '../name.js';

/**
 * The fused Adam/AdamW step of the contract in one pass over the elements, instead of about
 * fifteen elementwise kernels. Each intermediate is rounded to the storage type exactly where
 * core's composed ops round it, so both paths give bit-identical results.
 */
export function adamUpdate(
  param: HostTensor,
  grad: HostTensor,
  m: HostTensor,
  v: HostTensor,
  options: AdamUpdateOptions,
): { param: HostTensor; m: HostTensor; v: HostTensor } {
  if (param.dtype !== 'float32' && param.dtype !== 'float64') throw unsupported('adamUpdate', param.dtype);
  const round = param.dtype === 'float32' ? Math.fround : (x: number) => x;
  const size = param.data.length;
  const p = param.data;
  const g = grad.data;
  const m0 = m.data;
  const v0 = v.data;
  const newParam = allocate(param.dtype, size);
  const newM = allocate(param.dtype, size);
  const newV = allocate(param.dtype, size);
  const { lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay } = options;
  const decay = weightDecay !== 0 && decoupledWeightDecay ? round(1 - lr * weightDecay) : 1;
  const coupledDecay = weightDecay !== 0 && !decoupledWeightDecay ? round(weightDecay) : 0;
  const b1 = round(beta1);
  const oneMinusB1 = round(1 - beta1);
  const b2 = round(beta2);
  const oneMinusB2 = round(1 - beta2);
  const stepSize = round(lr / (1 - beta1 ** options.step));
  const correction2 = round(Math.sqrt(1 - beta2 ** options.step));
  const epsilon = round(eps);
  // Two copies of the loop: float32 rounds with direct Math.fround calls (which V8 inlines;
  // a `round` function variable here costs a call per operation and halves the speed).
  if (param.dtype === 'float32') {
    const f = Math.fround;
    for (let i = 0; i < size; i++) {
      let weight = p[i]!;
      if (decay !== 1) weight = f(weight * decay);
      const gradient = coupledDecay !== 0 ? f(g[i]! + f(weight * coupledDecay)) : g[i]!;
      const first = f(f(m0[i]! * b1) + f(gradient * oneMinusB1));
      const second = f(f(v0[i]! * b2) + f(f(gradient * gradient) * oneMinusB2));
      const denominator = f(f(f(Math.sqrt(second)) / correction2) + epsilon);
      newParam[i] = weight - f(f(first / denominator) * stepSize);
      newM[i] = first;
      newV[i] = second;
    }
  } else {
    for (let i = 0; i < size; i++) {
      let weight = p[i]!;
      if (decay !== 1) weight *= decay;
      const gradient = coupledDecay !== 0 ? g[i]! + weight * coupledDecay : g[i]!;
      const first = m0[i]! * b1 + gradient * oneMinusB1;
      const second = v0[i]! * b2 + gradient * gradient * oneMinusB2;
      newParam[i] = weight - (first / (Math.sqrt(second) / correction2 + epsilon)) * stepSize;
      newM[i] = first;
      newV[i] = second;
    }
  }
  const shape = param.shape;
  return {
    param: { data: newParam, shape, dtype: param.dtype },
    m: { data: newM, shape, dtype: param.dtype },
    v: { data: newV, shape, dtype: param.dtype },
  };
}
