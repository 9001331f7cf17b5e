import { Tensor } from '../tensor/tensor.js';
import { CLASSIC_FUSED_ACTIVATIONS, type FusedActivation } from '../backend/contract.js';
import { add, erf, exp, lessEqual, mul, sub, where } from '../ops/elementwise.js';
import { sigmoid, tanh } from '../ops/activation.js';
import { sum } from '../ops/reduce.js';
import { unsqueeze } from '../ops/movement.js';
import type { FusedOp } from './node.js';
import type { GradRule } from './gradients.js';

/**
 * Gradient rules of the fused tape ops (ops/fused.ts). Like every rule they run under noGrad
 * and are written in core ops, plus the backend's fused backward kernels where it has them.
 */
export const fusedGradientRules: { [P in FusedOp]: GradRule<P> } = {
  // The kernel computed d(loss)/d(logits) with the forward pass: scale it by the incoming
  // gradient (a scalar for sum/mean, one value per row for 'none').
  softmaxCrossEntropy: (g, { attrs }) => [mul(attrs.grad, attrs.reduction === 'none' ? unsqueeze(g, 1) : g), null],
  // Likewise, elementwise ('none': g has the input's shape; sum/mean: a scalar).
  binaryCrossEntropy: (g, { attrs }) => [mul(attrs.grad, g), null],
  // y = act(x W^T + b): dz = g * act'(y), db = sum of dz's rows, dx = dz W, dW = dz^T x.
  linearActivation: (g, { inputs, attrs }, y, needs) => {
    const [x, w, b] = inputs as [Tensor, Tensor, Tensor | undefined];
    const backend = g.backend;
    const kernel = backend.fused?.biasActivationBackward;
    let dz: Tensor;
    let db: Tensor | null = null;
    // gelu and silu differentiate from z (kept by the forward), the others from y.
    const saved = attrs.preactivation ?? y;
    const listed: readonly FusedActivation[] = backend.fusedActivations ?? CLASSIC_FUSED_ACTIVATIONS;
    // Without an activation dz is g itself: its column sum alone gives db (no copy of g).
    if (kernel !== undefined && attrs.activation !== 'linear' && listed.includes(attrs.activation)) {
      const result = kernel.call(backend.fused, g.handle, saved.handle, attrs.activation);
      dz = new Tensor(result.input, g.shape, g.dtype, backend);
      db = new Tensor(result.bias, [g.shape[1]!], g.dtype, backend);
    } else {
      dz = activationBackward(g, saved, attrs.activation);
      if (b !== undefined && needs[2]) db = sum(dz, [0]);
    }
    const rows = g.shape[0]!;
    const outFeatures = g.shape[1]!;
    const inFeatures = x.shape[1]!;
    // On handles, as the forward (linearFused): the rank-3 views and products are intermediates.
    const product = (a: Tensor, b: Tensor, aRows: number, bRows: number, transposeA: boolean, shape: number[]) => {
      const a3 = backend.reshape(a.handle, [1, aRows, a.shape[1]!]);
      let out3;
      try {
        const b3 = backend.reshape(b.handle, [1, bRows, b.shape[1]!]);
        try {
          out3 = backend.matmul(a3, b3, transposeA, false);
        } finally {
          backend.dispose(b3);
        }
      } finally {
        backend.dispose(a3);
      }
      try {
        return new Tensor(backend.reshape(out3, shape), shape, g.dtype, backend);
      } finally {
        backend.dispose(out3);
      }
    };
    const dx = needs[0] ? product(dz, w, rows, outFeatures, false, [rows, inFeatures]) : null;
    const dw = needs[1] ? product(dz, x, rows, rows, true, [outFeatures, inFeatures]) : null;
    return b === undefined ? [dx, dw] : [dx, dw, db];
  },
  // The backend's conv2dBackward (core records conv2d as a fused op only when it has one).
  conv2d: (g, { inputs, attrs }, _y, needs) => {
    const [x, w, b] = inputs as [Tensor, Tensor, Tensor | undefined];
    const backend = g.backend;
    const result = backend.fused!.conv2dBackward!.call(backend.fused, g.handle, x.handle, w.handle, attrs, {
      input: needs[0] ?? false,
      weight: needs[1] ?? false,
      bias: b !== undefined && (needs[2] ?? false),
    });
    const wrap = (handle: typeof result.input, shape: readonly number[]) =>
      handle === null ? null : new Tensor(handle, [...shape], g.dtype, backend);
    const dx = wrap(result.input, x.shape);
    const dw = wrap(result.weight, w.shape);
    return b === undefined ? [dx, dw] : [dx, dw, wrap(result.bias, b.shape)];
  },
  // The backend's maxPool2dBackward (recorded only when the backend has one).
  maxPool2d: (g, { inputs: [x], attrs }, y) => {
    const backend = g.backend;
    const handle = backend.fused!.maxPool2dBackward!.call(backend.fused, g.handle, x!.handle, y.handle, attrs);
    return [new Tensor(handle, [...x!.shape], g.dtype, backend)];
  },
  // The backend's batchNormBackward (recorded only when the backend has one); inputs are x, then
  // the weight and the bias where the forward had them.
  batchNorm: (g, { inputs, attrs }, _y, needs) => {
    const x = inputs[0]!;
    const weight = attrs.hasWeight ? inputs[1]! : null;
    const biasAt = attrs.hasWeight ? 2 : 1;
    const backend = g.backend;
    const result = backend.fused!.batchNormBackward!.call(
      backend.fused,
      g.handle,
      x.handle,
      weight?.handle ?? null,
      attrs.mean.handle,
      attrs.invStd.handle,
      attrs.training,
      {
        input: needs[0] ?? false,
        weight: attrs.hasWeight && (needs[1] ?? false),
        bias: attrs.hasBias && (needs[biasAt] ?? false),
      },
    );
    const channels = [x.shape[1]!];
    const wrap = (handle: typeof result.input, shape: readonly number[]) =>
      handle === null ? null : new Tensor(handle, [...shape], g.dtype, backend);
    const grads: (Tensor | null)[] = [wrap(result.input, x.shape)];
    if (attrs.hasWeight) grads.push(wrap(result.weight, channels));
    if (attrs.hasBias) grads.push(wrap(result.bias, channels));
    return grads;
  },
  // The backend's softmaxBackward on the output (recorded only when the backend has one).
  softmax: (g, _node, y) => {
    const backend = g.backend;
    return [
      new Tensor(backend.fused!.softmaxBackward!.call(backend.fused, g.handle, y.handle), y.shape, g.dtype, backend),
    ];
  },
  // The backend's layerNormBackward (recorded only when the backend has one); inputs are x, then
  // the weight and the bias where the forward had them.
  layerNorm: (g, { inputs, attrs }, _y, needs) => {
    const x = inputs[0]!;
    const weight = attrs.hasWeight ? inputs[1]! : null;
    const biasAt = attrs.hasWeight ? 2 : 1;
    const backend = g.backend;
    const result = backend.fused!.layerNormBackward!.call(
      backend.fused,
      g.handle,
      x.handle,
      weight?.handle ?? null,
      attrs.mean.handle,
      attrs.invStd.handle,
      {
        input: needs[0] ?? false,
        weight: attrs.hasWeight && (needs[1] ?? false),
        bias: attrs.hasBias && (needs[biasAt] ?? false),
      },
    );
    const features = [x.shape[x.rank - 1]!];
    const wrap = (handle: typeof result.input, shape: readonly number[]) =>
      handle === null ? null : new Tensor(handle, [...shape], g.dtype, backend);
    const grads: (Tensor | null)[] = [wrap(result.input, x.shape)];
    if (attrs.hasWeight) grads.push(wrap(result.weight, features));
    if (attrs.hasBias) grads.push(wrap(result.bias, features));
    return grads;
  },
  // The backend's lstmCellBackward (recorded only when the backend has one): both gradients in one pass.
  lstmCell: (g, { inputs: [gates, state] }) => {
    const backend = g.backend;
    const result = backend.fused!.lstmCellBackward!.call(backend.fused, g.handle, gates!.handle, state!.handle);
    return [
      new Tensor(result.gates, [...gates!.shape], g.dtype, backend),
      new Tensor(result.state, [...state!.shape], g.dtype, backend),
    ];
  },
  // The backend's gruCellBackward (recorded only when the backend has one).
  gruCell: (g, { inputs: [gx, gh, h] }) => {
    const backend = g.backend;
    const result = backend.fused!.gruCellBackward!.call(backend.fused, g.handle, gx!.handle, gh!.handle, h!.handle);
    return [
      new Tensor(result.gx, [...gx!.shape], g.dtype, backend),
      new Tensor(result.gh, [...gh!.shape], g.dtype, backend),
      new Tensor(result.h, [...h!.shape], g.dtype, backend),
    ];
  },
};

/**
 * dz = g * act'(y), written with the activation's output y exactly as the primitives' rules; for
 * gelu, gelu_tanh and silu `saved` is the pre-activation z and the derivatives are PyTorch's.
 */
function activationBackward(g: Tensor, saved: Tensor, activation: FusedActivation): Tensor {
  const y = saved;
  const z = saved;
  switch (activation) {
    case 'relu':
      return where(lessEqual(y, 0), 0, g);
    case 'sigmoid':
      return mul(g, mul(y, sub(1, y)));
    case 'tanh':
      return mul(g, sub(1, mul(y, y)));
    case 'gelu': {
      // Phi(z) + z phi(z): 0.5 (1 + erf(z / sqrt 2)) + z exp(-z^2 / 2) / sqrt(2 pi).
      const cdf = mul(add(erf(mul(z, Math.SQRT1_2)), 1), 0.5);
      const pdf = mul(exp(mul(mul(z, z), -0.5)), 1 / Math.sqrt(2 * Math.PI));
      return mul(g, add(cdf, mul(z, pdf)));
    }
    case 'gelu_tanh': {
      const beta = Math.sqrt(2 / Math.PI);
      const kappa = 0.044715;
      const zz = mul(z, z);
      const t = tanh(mul(add(z, mul(mul(zz, z), kappa)), beta));
      const left = mul(add(t, 1), 0.5);
      const right = mul(mul(mul(mul(z, 0.5), sub(1, mul(t, t))), beta), add(mul(zz, 3 * kappa), 1));
      return mul(g, add(left, right));
    }
    case 'silu': {
      const s = sigmoid(z);
      return mul(g, mul(s, add(mul(z, sub(1, s)), 1)));
    }
    case 'linear':
      return g;
  }
}
