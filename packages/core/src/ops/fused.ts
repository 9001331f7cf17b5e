import {
  type Conv2dKernelOptions,
  type FusedActivation,
  PREACTIVATION_ACTIVATIONS,
  type UnfoldOptions,
} from '../backend/contract.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import type { FusedOp, OpAttributes } from '../autograd/node.js';
import { Tensor } from '../tensor/tensor.js';
import { isFloat } from './dispatch.js';

/**
 * The training step's fused kernels on the tape. Each op here runs ONE optional kernel of the
 * backend (see FusedKernels in the contract) and records itself as a fused tape op, whose
 * gradient rule (autograd/fused-gradients.ts) uses the kernel's own gradient or another fused
 * kernel. Callers check that the backend has the kernel; without it they compose primitives.
 */

/** Records `output` as made by fused op `op` from `inputs` (the caller checked it should be). */
function recordFused<P extends FusedOp>(output: Tensor, op: P, inputs: Tensor[], attrs: OpAttributes[P]): Tensor {
  output.requiresGrad = true;
  const inputVersions = new Array<number>(inputs.length);
  for (let i = 0; i < inputs.length; i++) inputVersions[i] = inputs[i]!.version;
  output.gradNode = { op, inputs, attrs, inputVersions };
  return output;
}

/**
 * Softmax cross-entropy of float logits [rows, classes] at int32 labels [rows] through the
 * backend's `softmaxCrossEntropy` kernel: per-row losses ('none') or their sum or mean over the
 * rows not labelled `ignoreIndex` (those add nothing). When recorded, the kernel's gradient
 * (computed in the same pass) is kept on the node and scaled by the incoming gradient in backward.
 */
export function softmaxCrossEntropyFused(
  logits: Tensor,
  labels: Tensor,
  reduction: 'none' | 'sum' | 'mean',
  ignoreIndex: number,
): Tensor {
  const backend = logits.backend;
  const kernel = backend.fused!.softmaxCrossEntropy!;
  const recording = logits.requiresGrad && isGradEnabled() && isFloat(logits.dtype);
  const { loss, grad } = kernel.call(backend.fused, logits.handle, labels.handle, reduction, recording, ignoreIndex);
  const shape = reduction === 'none' ? [logits.shape[0]!] : [];
  const output = new Tensor(loss, shape, logits.dtype, backend);
  if (grad === null) return output;
  const gradient = new Tensor(grad, logits.shape, logits.dtype, backend);
  if (!recording) {
    gradient.dispose();
    return output;
  }
  recordFused(output, 'softmaxCrossEntropy', [logits, labels], { reduction, grad: gradient });
  // The gradient lives exactly as long as the node: owned by the output, freed with it.
  output.adoptConstant(gradient);
  return output;
}

/**
 * Binary cross-entropy of float probabilities against a float target of the same shape through
 * the backend's `binaryCrossEntropy` kernel (PyTorch's log clamp at -100): elementwise losses
 * ('none') or their sum or mean. Like softmaxCrossEntropyFused, the kernel's gradient with
 * respect to the probabilities is kept on the node; the target gets none (callers use this
 * only when it does not require one).
 */
export function binaryCrossEntropyFused(
  probabilities: Tensor,
  target: Tensor,
  reduction: 'none' | 'sum' | 'mean',
): Tensor {
  const backend = probabilities.backend;
  const kernel = backend.fused!.binaryCrossEntropy!;
  const recording = probabilities.requiresGrad && isGradEnabled();
  const { loss, grad } = kernel.call(backend.fused, probabilities.handle, target.handle, reduction, recording);
  const output = new Tensor(loss, reduction === 'none' ? probabilities.shape : [], probabilities.dtype, backend);
  if (grad === null) return output;
  const gradient = new Tensor(grad, probabilities.shape, probabilities.dtype, backend);
  if (!recording) {
    gradient.dispose();
    return output;
  }
  recordFused(output, 'binaryCrossEntropy', [probabilities, target], { grad: gradient });
  output.adoptConstant(gradient);
  return output;
}

/**
 * `activation(x @ weight^T + bias)` for x [rows, in], weight [out, in], bias [out] (or null)
 * through `matmulBiasActivation`, recorded as one op when any input requires gradients: its
 * backward uses `biasActivationBackward` where the backend has it (and composes it otherwise),
 * then two matmuls. For an activation whose derivative needs its input (gelu, gelu_tanh, silu)
 * a recording call runs `matmulBiasActivationWithPreactivation` (the caller checked the backend
 * has it) and keeps z = x W^T + b on the node, owned by the output.
 */
export function linearFused(x: Tensor, weight: Tensor, bias: Tensor | null, activation: FusedActivation): Tensor {
  const backend = x.backend;
  const rows = x.shape[0]!;
  const inFeatures = x.shape[1]!;
  const outFeatures = weight.shape[0]!;
  const recording =
    (x.requiresGrad || weight.requiresGrad || (bias?.requiresGrad ?? false)) && isGradEnabled() && isFloat(x.dtype);
  const keepsInput = recording && PREACTIVATION_ACTIVATIONS.includes(activation);
  const fused = backend.fused!;
  const x3 = backend.reshape(x.handle, [1, rows, inFeatures]);
  let w3 = null;
  let out3;
  let z3 = null;
  try {
    w3 = backend.reshape(weight.handle, [1, outFeatures, inFeatures]);
    if (keepsInput) {
      const result = fused.matmulBiasActivationWithPreactivation!.call(
        fused,
        x3,
        w3,
        bias?.handle ?? null,
        activation,
        false,
        true,
      );
      out3 = result.output;
      z3 = result.preactivation;
    } else {
      out3 = fused.matmulBiasActivation!.call(fused, x3, w3, bias?.handle ?? null, activation, false, true);
    }
  } finally {
    backend.dispose(x3);
    if (w3 !== null) backend.dispose(w3);
  }
  const flat = (handle3: typeof out3) => {
    try {
      return new Tensor(backend.reshape(handle3, [rows, outFeatures]), [rows, outFeatures], x.dtype, backend);
    } finally {
      backend.dispose(handle3);
    }
  };
  let preactivation: Tensor | null = null;
  try {
    if (z3 !== null) preactivation = flat(z3);
  } catch (error) {
    backend.dispose(out3);
    throw error;
  }
  let output: Tensor;
  try {
    output = flat(out3);
  } catch (error) {
    preactivation?.dispose();
    throw error;
  }
  if (!recording) return output;
  recordFused(output, 'linearActivation', bias === null ? [x, weight] : [x, weight, bias], {
    activation,
    preactivation,
  });
  // z lives exactly as long as the node: owned by the output, freed with it.
  if (preactivation !== null) output.adoptConstant(preactivation);
  return output;
}

/**
 * conv2d through the backend's fused `conv2d` kernel (symmetric zero padding), recorded as one
 * op whose backward is the backend's `conv2dBackward`; the caller checked the backend has both.
 */
export function conv2dFused(x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dKernelOptions): Tensor {
  const backend = x.backend;
  const handle = backend.fused!.conv2d!.call(backend.fused, x.handle, weight.handle, bias?.handle ?? null, options);
  const [n, , height, width] = x.shape as [number, number, number, number];
  const [o, , kh, kw] = weight.shape as [number, number, number, number];
  const size = (extent: number, k: number, axis: 0 | 1) =>
    Math.floor((extent + 2 * options.padding[axis] - options.dilation[axis] * (k - 1) - 1) / options.stride[axis]) + 1;
  const output = new Tensor(handle, [n, o, size(height, kh, 0), size(width, kw, 1)], x.dtype, backend);
  const recording =
    (x.requiresGrad || weight.requiresGrad || (bias?.requiresGrad ?? false)) && isGradEnabled() && isFloat(x.dtype);
  if (!recording) return output;
  return recordFused(output, 'conv2d', bias === null ? [x, weight] : [x, weight, bias], options);
}

/**
 * Max pooling through the backend's fused `maxPool2d` kernel, recorded as one op whose backward
 * is `maxPool2dBackward`; the caller checked the backend has both.
 */
export function maxPool2dFused(x: Tensor, options: UnfoldOptions): Tensor {
  const backend = x.backend;
  const handle = backend.fused!.maxPool2d!.call(backend.fused, x.handle, options);
  const [n, c, height, width] = x.shape as [number, number, number, number];
  const size = (extent: number, axis: 0 | 1) =>
    Math.floor(
      (extent + 2 * options.padding[axis] - options.dilation[axis] * (options.kernelSize[axis] - 1) - 1) /
        options.stride[axis],
    ) + 1;
  const output = new Tensor(handle, [n, c, size(height, 0), size(width, 1)], x.dtype, backend);
  if (!(x.requiresGrad && isGradEnabled())) return output;
  return recordFused(output, 'maxPool2d', [x], options);
}

/**
 * Batch normalisation through the backend's fused `batchNorm` kernel, recorded as one op whose
 * backward is `batchNormBackward`; the caller checked the backend has both. `stats` null: the
 * batch's statistics (training). Returns the output and the [C] mean and (biased) variance used;
 * the caller disposes those two.
 */
export function batchNormFused(
  x: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  stats: { mean: Tensor; variance: Tensor } | null,
  eps: number,
): { output: Tensor; mean: Tensor; variance: Tensor } {
  const backend = x.backend;
  const result = backend.fused!.batchNorm!.call(
    backend.fused,
    x.handle,
    weight?.handle ?? null,
    bias?.handle ?? null,
    stats === null ? null : { mean: stats.mean.handle, variance: stats.variance.handle },
    eps,
  );
  const channels = [x.shape[1]!];
  const output = new Tensor(result.output, x.shape, x.dtype, backend);
  const mean = new Tensor(result.mean, channels, x.dtype, backend);
  const variance = new Tensor(result.variance, channels, x.dtype, backend);
  const invStd = new Tensor(result.invStd, channels, x.dtype, backend);
  const recording =
    (x.requiresGrad || (weight?.requiresGrad ?? false) || (bias?.requiresGrad ?? false)) && isGradEnabled();
  if (!recording) {
    invStd.dispose();
    return { output, mean, variance };
  }
  const savedMean = new Tensor(backend.reshape(result.mean, channels), channels, x.dtype, backend);
  const inputs = [x, ...(weight === null ? [] : [weight]), ...(bias === null ? [] : [bias])];
  recordFused(output, 'batchNorm', inputs, {
    training: stats === null,
    mean: savedMean,
    invStd,
    hasWeight: weight !== null,
    hasBias: bias !== null,
  });
  // The saved statistics live exactly as long as the node: owned by the output, freed with it.
  output.adoptConstant(savedMean);
  output.adoptConstant(invStd);
  return { output, mean, variance };
}

/**
 * Softmax over the last axis through the backend's `softmax` kernel, recorded as one op whose
 * backward is `softmaxBackward` on the output; the caller checked the backend has both.
 */
export function softmaxFused(x: Tensor): Tensor {
  const backend = x.backend;
  const output = new Tensor(backend.fused!.softmax!.call(backend.fused, x.handle), x.shape, x.dtype, backend);
  if (!(x.requiresGrad && isGradEnabled())) return output;
  return recordFused(output, 'softmax', [x], { axis: x.rank - 1 });
}

/**
 * Layer normalisation over the last axis (weight and bias [n] or null) through the backend's
 * `layerNorm` kernel, recorded as one op whose backward is `layerNormBackward`; the caller
 * checked the backend has both.
 */
export function layerNormFused(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
  const backend = x.backend;
  const result = backend.fused!.layerNorm!.call(
    backend.fused,
    x.handle,
    weight?.handle ?? null,
    bias?.handle ?? null,
    eps,
  );
  const output = new Tensor(result.output, x.shape, x.dtype, backend);
  const rows = [x.shape.reduce((product, d, i) => (i < x.rank - 1 ? product * d : product), 1)];
  const mean = new Tensor(result.mean, rows, x.dtype, backend);
  const invStd = new Tensor(result.invStd, rows, x.dtype, backend);
  const recording =
    (x.requiresGrad || (weight?.requiresGrad ?? false) || (bias?.requiresGrad ?? false)) && isGradEnabled();
  if (!recording) {
    mean.dispose();
    invStd.dispose();
    return output;
  }
  const inputs = [x, ...(weight === null ? [] : [weight]), ...(bias === null ? [] : [bias])];
  recordFused(output, 'layerNorm', inputs, { mean, invStd, hasWeight: weight !== null, hasBias: bias !== null });
  // The saved statistics live exactly as long as the node: owned by the output, freed with it.
  output.adoptConstant(mean);
  output.adoptConstant(invStd);
  return output;
}

/**
 * One LSTM step through the backend's `lstmCell` kernel: gates [B, 4H] (i, f, g, o) and state
 * [B, 2H] = [h | c] give [h' | c'], recorded as one op whose backward is `lstmCellBackward`; the
 * caller checked the backend has both and that the dtypes agree.
 */
export function lstmCellFused(gates: Tensor, state: Tensor): Tensor {
  const backend = gates.backend;
  const output = new Tensor(
    backend.fused!.lstmCell!.call(backend.fused, gates.handle, state.handle),
    state.shape,
    state.dtype,
    backend,
  );
  if (!((gates.requiresGrad || state.requiresGrad) && isGradEnabled())) return output;
  return recordFused(output, 'lstmCell', [gates, state], {});
}

/**
 * One GRU step through the backend's `gruCell` kernel: gx and gh [B, 3H] (r, z, n) and h [B, H]
 * give h', recorded as one op whose backward is `gruCellBackward`; the caller checked the backend
 * has both and that the dtypes agree.
 */
export function gruCellFused(gx: Tensor, gh: Tensor, h: Tensor): Tensor {
  const backend = gx.backend;
  const output = new Tensor(
    backend.fused!.gruCell!.call(backend.fused, gx.handle, gh.handle, h.handle),
    h.shape,
    h.dtype,
    backend,
  );
  if (!((gx.requiresGrad || gh.requiresGrad || h.requiresGrad) && isGradEnabled())) return output;
  return recordFused(output, 'gruCell', [gx, gh, h], {});
}
