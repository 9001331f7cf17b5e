import type { AdamUpdateOptions } from '@myelin/core';
import { allocate, type HostTensor } from '../handle.js';
import { unsupported } from '../name.js';

/**
 * The fused Adam/AdamW step of the contract in one pass over the elements, instead of about
 * fifteen elementwise kernels. Each intermediate is rounded to the storage type exactly where
 * core's composed ops round it, so both paths give bit-identical results.
 */
export function adamUpdate(param: HostTensor, grad: HostTensor, m: HostTensor, v: HostTensor, options: AdamUpdateOptions): { param: HostTensor; m: HostTensor; v: HostTensor } {
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
  for (let i = 0; i < size; i++) {
    let weight = p[i]!;
    if (decay !== 1) weight = round(weight * decay);
    const gradient = coupledDecay !== 0 ? round(g[i]! + round(weight * coupledDecay)) : g[i]!;
    const first = round(round(m0[i]! * b1) + round(gradient * oneMinusB1));
    const second = round(round(v0[i]! * b2) + round(round(gradient * gradient) * oneMinusB2));
    const denominator = round(round(round(Math.sqrt(second)) / correction2) + epsilon);
    newParam[i] = round(weight - round(round(first / denominator) * stepSize));
    newM[i] = first;
    newV[i] = second;
  }
  const shape = param.shape;
  return {
    param: { data: newParam, shape, dtype: param.dtype },
    m: { data: newM, shape, dtype: param.dtype },
    v: { data: newV, shape, dtype: param.dtype },
  };
}
