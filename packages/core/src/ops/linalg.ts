import {
  type Backend,
  CLASSIC_FUSED_ACTIVATIONS,
  type FusedActivation,
  PREACTIVATION_ACTIVATIONS,
} from '../backend/contract.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { composite } from '../tensor/scope.js';
import { broadcastShapes } from '../tensor/shape.js';
import { type Tensor } from '../tensor/tensor.js';
import { isFloat, runPrimitive } from './dispatch.js';
import { add } from './elementwise.js';
import { expand, reshape } from './movement.js';
import { gelu, relu, sigmoid, silu, tanh } from './activation.js';
import { linearFused } from './fused.js';

export interface MatmulOptions {
  /** Use the transpose of the last two axes of `a`. */
  transposeA?: boolean;
  /** Use the transpose of the last two axes of `b`. */
  transposeB?: boolean;
}

/**
 * Matrix product with NumPy semantics: 1-D operands are promoted to a row (lhs) or column
 * (rhs) and the added axis removed again; leading batch axes broadcast.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const transposeA = options.transposeA ?? false;
  const transposeB = options.transposeB ?? false;
  if (!isFloat(a.dtype) || a.dtype !== b.dtype) {
    throw new DTypeError(`matmul: expected two float tensors of one dtype, got ${a.dtype} and ${b.dtype}`);
  }
  if (a.rank === 0 || b.rank === 0) {
    throw new ShapeError(
      `matmul: operands must have at least one dimension, got lhs ${formatShape(a.shape)}, rhs ${formatShape(b.shape)}`,
    );
  }
  const aShape = a.rank === 1 ? [1, a.shape[0]!] : [...a.shape];
  const bShape = b.rank === 1 ? [b.shape[0]!, 1] : [...b.shape];
  const [aRows, aCols] = aShape.slice(-2) as [number, number];
  const [bRows, bCols] = bShape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [aCols, aRows] : [aRows, aCols];
  const [kB, n] = transposeB ? [bCols, bRows] : [bRows, bCols];
  if (k !== kB) {
    throw new ShapeError(
      `matmul: inner dimensions differ (${k} vs ${kB}): lhs ${formatShape(a.shape)}${transposeA ? ' (transposed)' : ''}, rhs ${formatShape(b.shape)}${transposeB ? ' (transposed)' : ''}`,
    );
  }
  const batch = broadcastShapes('matmul', aShape.slice(0, -2), bShape.slice(0, -2));
  const batchSize = batch.reduce((x, y) => x * y, 1);
  const outShape = [...batch, m, n];
  if (a.rank === 1) outShape.splice(-2, 1);
  if (b.rank === 1) outShape.splice(-1, 1);
  return composite(() => {
    // A batch of matrices times one matrix (a Linear layer on [N, L, E]): the batch folds into
    // the rows, one GEMM [B*M, K] x [K, N], instead of copying b B times and summing B gradients.
    if (batch.length > 0 && bShape.length === 2 && !transposeA)
      return reshape(
        matmulPrimitive(reshape(a, [1, batchSize * aRows, aCols]), reshape(b, [1, bRows, bCols]), false, transposeB),
        outShape,
      );
    // Without batch axes (matrices and vectors, the usual case) one reshape to [1, rows, cols]
    // does; otherwise align, broadcast and merge the batch axes.
    const a3 =
      batch.length === 0
        ? reshape(a, [1, aRows, aCols])
        : reshape(expand(reshape(a, aShape), [...batch, aRows, aCols]), [batchSize, aRows, aCols]);
    const b3 =
      batch.length === 0
        ? reshape(b, [1, bRows, bCols])
        : reshape(expand(reshape(b, bShape), [...batch, bRows, bCols]), [batchSize, bRows, bCols]);
    return reshape(matmulPrimitive(a3, b3, transposeA, transposeB), outShape);
  });
}

/** The rank-3 primitive: [B,M,K] x [B,K,N] (before the transpose flags) with equal batch. */
export function matmulPrimitive(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): Tensor {
  const m = a.shape[transposeA ? 2 : 1]!;
  const n = b.shape[transposeB ? 1 : 2]!;
  return runPrimitive(
    'matmul',
    [a, b],
    { transposeA, transposeB },
    Object.freeze([a.shape[0]!, m, n]),
    a.dtype,
    (x, y) => a.backend.matmul(x!, y!, transposeA, transposeB),
  );
}

/**
 * The activations `linear` applies: none, ReLU, sigmoid, tanh, exact GELU, GELU's tanh
 * approximation ('gelu_tanh', PyTorch's `approximate='tanh'`) and SiLU.
 */
export type LinearActivation = FusedActivation;

/** Whether `backend` runs `activation` fused with a linear layer (recording: with its backward too). */
function fusesActivation(backend: Backend, activation: LinearActivation, recording: boolean): boolean {
  const fused = backend.fused;
  if (fused?.matmulBiasActivation === undefined) return false;
  const listed: readonly FusedActivation[] = backend.fusedActivations ?? CLASSIC_FUSED_ACTIVATIONS;
  if (!listed.includes(activation)) return false;
  // gelu and silu keep z for their backward: the kernel that returns it too.
  return (
    !recording ||
    !PREACTIVATION_ACTIVATIONS.includes(activation) ||
    fused.matmulBiasActivationWithPreactivation !== undefined
  );
}

const LINEAR_ACTIVATIONS: readonly LinearActivation[] = [
  'linear',
  'relu',
  'sigmoid',
  'tanh',
  'gelu',
  'gelu_tanh',
  'silu',
];

/**
 * `activation(x @ weight^T + bias)` with PyTorch's Linear layout (weight is [out, in]).
 * Uses the backend's fused `matmulBiasActivation` kernel when it has one (2-D input), recorded
 * on the tape as one op whose backward uses `biasActivationBackward` where the backend has it.
 * GELU and SiLU fuse only on backends that list them in `fusedActivations`; elsewhere they
 * compose (the same values up to float rounding).
 */
export function linear(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  activation: LinearActivation = 'linear',
): Tensor {
  const inFeatures = weight.shape[1];
  if (weight.rank !== 2 || x.rank < 1 || x.shape[x.rank - 1] !== inFeatures) {
    throw new ShapeError(
      `linear: input of shape ${formatShape(x.shape)} does not fit weight ${formatShape(weight.shape)}: last dimension must be ${inFeatures}`,
    );
  }
  if (!LINEAR_ACTIVATIONS.includes(activation))
    throw new ArgumentError(
      `linear: activation must be one of ${LINEAR_ACTIVATIONS.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(activation)}`,
    );
  const backend = x.backend;
  const recording =
    (x.requiresGrad || weight.requiresGrad || (bias?.requiresGrad ?? false)) && isGradEnabled() && isFloat(x.dtype);
  if (
    fusesActivation(backend, activation, recording) &&
    x.rank >= 2 &&
    x.dtype === weight.dtype &&
    isFloat(x.dtype) &&
    weight.backend === backend &&
    (bias === null ||
      (bias.backend === backend && bias.dtype === x.dtype && bias.rank === 1 && bias.shape[0] === weight.shape[0]))
  ) {
    if (x.rank === 2) return linearFused(x, weight, bias, activation);
    // [..., in]: the leading axes fold into the rows of one fused call.
    const rows = x.shape.reduce((product, d, i) => (i < x.rank - 1 ? product * d : product), 1);
    return composite(() =>
      reshape(linearFused(reshape(x, [rows, inFeatures!]), weight, bias, activation), [
        ...x.shape.slice(0, -1),
        weight.shape[0]!,
      ]),
    );
  }
  return composite(() => {
    let out = matmul(x, weight, { transposeB: true });
    if (bias !== null) out = add(out, bias);
    return applyLinearActivation(out, activation);
  });
}

/** One of linear's activations applied on its own (unfused); call inside a composite. */
export function applyLinearActivation(out: Tensor, activation: LinearActivation): Tensor {
  switch (activation) {
    case 'relu':
      return relu(out);
    case 'sigmoid':
      return sigmoid(out);
    case 'tanh':
      return tanh(out);
    case 'gelu':
      return gelu(out);
    case 'gelu_tanh':
      return gelu(out, 'tanh');
    case 'silu':
      return silu(out);
    case 'linear':
      return out;
  }
}
