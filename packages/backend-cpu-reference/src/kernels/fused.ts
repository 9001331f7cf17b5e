import { ArgumentError, ShapeError, type FusedActivation, type SgdUpdateOptions } from '@myelin/core/backend';
import { allocate, type HostTensor } from '../handle.js';
import { unsupported } from '../name.js';

/**
 * The training step's fused kernels of the contract (softmax cross-entropy, the backward of
 * bias + activation, the SGD step), as plain loops. Intermediates round to the storage type
 * where core's composed ops round them (float32 through Math.fround), so the composed path
 * differs only where it sums in another order.
 */

const identity = (x: number): number => x;

/**
 * Elementwise -(y clog(p) + (1 - y) clog(1 - p)), log clamped at -100 (reduced), and the exact
 * derivative of the clamped loss with respect to p (scaled for 'mean') when withGrad.
 */
export function binaryCrossEntropy(
  probabilities: HostTensor,
  target: HostTensor,
  reduction: 'none' | 'sum' | 'mean',
  withGrad: boolean,
): { loss: HostTensor; grad: HostTensor | null } {
  const dtype = probabilities.dtype;
  if (dtype !== 'float32' && dtype !== 'float64') throw unsupported('binaryCrossEntropy', dtype);
  if (target.dtype !== dtype) {
    throw new ArgumentError(`binaryCrossEntropy: target dtype ${target.dtype} differs from ${dtype}`);
  }
  const size = probabilities.data.length;
  if (target.data.length !== size) {
    throw new ArgumentError(`binaryCrossEntropy: target has ${target.data.length} elements, probabilities ${size}`);
  }
  const round = dtype === 'float32' ? Math.fround : identity;
  const p = probabilities.data;
  const y = target.data;
  const losses = allocate(dtype, size);
  const grad = withGrad ? allocate(dtype, size) : null;
  const scale = reduction === 'mean' ? 1 / size : 1;
  for (let i = 0; i < size; i++) {
    const pi = p[i]!;
    const yi = y[i]!;
    const q = round(1 - pi);
    const logP = pi > 0 ? round(Math.log(pi)) : -Infinity;
    const logQ = q > 0 ? round(Math.log(q)) : -Infinity;
    const clampP = logP > -100 ? logP : -100;
    const clampQ = logQ > -100 ? logQ : -100;
    losses[i] = -(round(yi * clampP) + round(round(1 - yi) * clampQ));
    if (grad !== null) {
      const dp = logP > -100 ? round(-yi / pi) : 0;
      const dq = logQ > -100 ? round(round(1 - yi) / q) : 0;
      grad[i] = round(dp + dq) * scale;
    }
  }
  let loss: HostTensor;
  if (reduction === 'none') {
    loss = { data: losses, shape: probabilities.shape.slice(), dtype };
  } else {
    let total = 0;
    for (let i = 0; i < size; i++) total += losses[i]!;
    const data = allocate(dtype, 1);
    data[0] = reduction === 'mean' ? total / size : total;
    loss = { data, shape: [], dtype };
  }
  return { loss, grad: grad === null ? null : { data: grad, shape: probabilities.shape.slice(), dtype } };
}

/**
 * Per-row logsumexp(x) - x[label] (reduced over the rows not labelled ignoreIndex, which add 0),
 * and softmax - onehot (scaled; 0 on ignored rows) when withGrad.
 */
export function softmaxCrossEntropy(
  logits: HostTensor,
  labels: HostTensor,
  reduction: 'none' | 'sum' | 'mean',
  withGrad: boolean,
  ignoreIndex: number,
): { loss: HostTensor; grad: HostTensor | null } {
  const dtype = logits.dtype;
  if (dtype !== 'float32' && dtype !== 'float64') throw unsupported('softmaxCrossEntropy', dtype);
  const round = dtype === 'float32' ? Math.fround : identity;
  const [rows, classes] = logits.shape as [number, number];
  const x = logits.data;
  const y = labels.data;
  let kept = 0;
  for (let r = 0; r < rows; r++) {
    const label = y[r]!;
    if (label === ignoreIndex) continue;
    if (!(label >= 0 && label < classes)) {
      throw new ArgumentError(
        `softmaxCrossEntropy: label ${label} at row ${r} is out of range for ${classes} classes (and is not ignoreIndex ${ignoreIndex})`,
      );
    }
    kept++;
  }
  const losses = new Float64Array(rows);
  const grad = withGrad ? allocate(dtype, rows * classes) : null;
  const scale = reduction === 'mean' ? 1 / kept : 1;
  for (let r = 0; r < rows; r++) {
    const label = y[r]!;
    if (label === ignoreIndex) continue; // loss 0, gradient row 0 (allocate zero-fills)
    const base = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      const v = x[base + c]!;
      if (v > max || Number.isNaN(v)) max = v;
    }
    let total = 0;
    for (let c = 0; c < classes; c++) total += Math.exp(x[base + c]! - max);
    losses[r] = max + Math.log(total) - x[base + label]!;
    if (grad !== null) {
      for (let c = 0; c < classes; c++) grad[base + c] = (Math.exp(x[base + c]! - max) / total) * scale;
      grad[base + label] = grad[base + label]! - scale;
    }
  }
  let loss: HostTensor;
  if (reduction === 'none') {
    const data = allocate(dtype, rows);
    data.set(losses);
    loss = { data, shape: [rows], dtype };
  } else {
    let total = 0;
    for (let r = 0; r < rows; r++) total += round(losses[r]!);
    const data = allocate(dtype, 1);
    data[0] = reduction === 'mean' ? total / kept : total;
    loss = { data, shape: [], dtype };
  }
  return { loss, grad: grad === null ? null : { data: grad, shape: [rows, classes], dtype } };
}

/** dz = grad * activation'(y) (written with y, as core's rules) and its sum over rows. */
export function biasActivationBackward(
  grad: HostTensor,
  y: HostTensor,
  activation: FusedActivation,
): { input: HostTensor; bias: HostTensor } {
  const dtype = grad.dtype;
  if (dtype !== 'float32' && dtype !== 'float64') throw unsupported('biasActivationBackward', dtype);
  const f = dtype === 'float32' ? Math.fround : identity;
  const [rows, n] = grad.shape as [number, number];
  const g = grad.data;
  const out = y.data;
  const dz = allocate(dtype, rows * n);
  const size = rows * n;
  switch (activation) {
    case 'relu':
      for (let i = 0; i < size; i++) dz[i] = out[i]! <= 0 ? 0 : g[i]!;
      break;
    case 'sigmoid':
      for (let i = 0; i < size; i++) dz[i] = g[i]! * f(out[i]! * f(1 - out[i]!));
      break;
    case 'tanh':
      for (let i = 0; i < size; i++) dz[i] = g[i]! * f(1 - f(out[i]! * out[i]!));
      break;
    case 'linear':
      dz.set(g as ArrayLike<number>);
      break;
    case 'gelu':
    case 'gelu_tanh':
    case 'silu':
      // Their derivative needs the pre-activation, not y; this backend does not list them in
      // fusedActivations, so core composes them and never asks for this.
      throw new ArgumentError(
        `biasActivationBackward: activation '${activation}' is not fused on cpu-reference (its fusedActivations are the classic four)`,
      );
  }
  const sums = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    for (let c = 0; c < n; c++) sums[c] = sums[c]! + dz[base + c]!;
  }
  const bias = allocate(dtype, n);
  bias.set(sums);
  return { input: { data: dz, shape: [rows, n], dtype }, bias: { data: bias, shape: [n], dtype } };
}

/** One SGD step of one parameter (torch.optim.SGD), rounding as core's composed ops do. */
export function sgdUpdate(
  param: HostTensor,
  grad: HostTensor,
  buffer: HostTensor | null,
  options: SgdUpdateOptions,
): { param: HostTensor; buffer: HostTensor | null } {
  const dtype = param.dtype;
  if (dtype !== 'float32' && dtype !== 'float64') throw unsupported('sgdUpdateMany', dtype);
  const f = dtype === 'float32' ? Math.fround : identity;
  const size = param.data.length;
  const p = param.data;
  const g = grad.data;
  const b = buffer?.data;
  const momentum = options.momentum !== 0;
  const newParam = allocate(dtype, size);
  const newBuffer = momentum ? allocate(dtype, size) : null;
  // Core's composed ops multiply by scalars of the parameter's dtype.
  const lr = f(options.lr);
  const mom = f(options.momentum);
  const keep = f(1 - options.dampening);
  const decay = f(options.weightDecay);
  for (let i = 0; i < size; i++) {
    let d = options.weightDecay !== 0 ? f(g[i]! + f(p[i]! * decay)) : g[i]!;
    if (newBuffer !== null) {
      const next = b === undefined ? d : f(f(b[i]! * mom) + f(d * keep));
      newBuffer[i] = next;
      d = options.nesterov ? f(d + f(next * mom)) : next;
    }
    newParam[i] = p[i]! - f(d * lr);
  }
  return {
    param: { data: newParam, shape: param.shape, dtype },
    buffer: newBuffer === null ? null : { data: newBuffer, shape: param.shape, dtype },
  };
}

/**
 * A running sum's step: sum + cast(x) * scale elementwise, for a float sum and an x of its shape
 * (float32, float64 or int32), the product rounded to the sum's dtype before the add.
 */
export function accumulate(sum: HostTensor, x: HostTensor, scale: number): HostTensor {
  const dtype = sum.dtype;
  if (dtype !== 'float32' && dtype !== 'float64')
    throw unsupported('accumulate', dtype, 'the sum must be float32 or float64');
  if (x.dtype === 'bool') throw unsupported('accumulate', x.dtype, 'the value added must be float32, float64 or int32');
  if (x.shape.length !== sum.shape.length || x.shape.some((d, i) => d !== sum.shape[i])) {
    throw new ShapeError(
      `accumulate: the value added [${x.shape.join(', ')}] must have the sum's shape [${sum.shape.join(', ')}]`,
    );
  }
  const f = dtype === 'float32' ? Math.fround : identity;
  const s = f(scale);
  const out = allocate(dtype, sum.data.length);
  for (let i = 0; i < out.length; i++) out[i] = sum.data[i]! + f(f(x.data[i]!) * s);
  return { data: out, shape: [...sum.shape], dtype };
}
