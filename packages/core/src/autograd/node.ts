import type { Conv2dKernelOptions, DType, FusedActivation, PrimitiveOp, UnfoldOptions } from '../backend/contract.js';
import type { Tensor } from '../tensor/tensor.js';

/** The attributes each primitive carries besides its tensor inputs. */
export interface OpAttributes {
  cast: { dtype: DType };
  sum: { axes: number[]; keepDims: boolean };
  max: { axes: number[]; keepDims: boolean };
  argmax: { axis: number };
  reshape: { shape: number[] };
  transpose: { perm: number[] };
  broadcastTo: { shape: number[] };
  slice: { begin: number[]; size: number[] };
  pad: { paddings: [number, number][]; value: number };
  concat: { axis: number };
  gather: { axis: number };
  scatterAdd: { axis: number; dimSize: number };
  unfold: UnfoldOptions;
  matmul: { transposeA: boolean; transposeB: boolean };
  // fused tape ops (ops/fused.ts): `grad` is the kernel's gradient, owned by the op's output
  softmaxCrossEntropy: { reduction: 'none' | 'sum' | 'mean'; grad: Tensor };
  binaryCrossEntropy: { grad: Tensor };
  // preactivation: z = x W^T + b where the activation's derivative needs it (gelu, silu), owned by the output
  linearActivation: { activation: FusedActivation; preactivation: Tensor | null };
  conv2d: Conv2dKernelOptions;
  maxPool2d: UnfoldOptions;
  // the [C] mean and invStd the forward used, owned by the op's output
  batchNorm: { training: boolean; mean: Tensor; invStd: Tensor; hasWeight: boolean; hasBias: boolean };
  // over the last axis; the output is all its backward needs
  softmax: { axis: number };
  // the [rows] mean and invStd the forward used, owned by the op's output
  layerNorm: { mean: Tensor; invStd: Tensor; hasWeight: boolean; hasBias: boolean };
  // one recurrent cell step (inputs: gates and state; gx, gh and h): the backward recomputes from them
  lstmCell: Record<string, never>;
  gruCell: Record<string, never>;
  // customGrad: the user's backward, already bound to the forward's saved state
  custom: { name: string; gradFunc: (g: Tensor) => (Tensor | null)[] };
}

/** Ops recorded on the tape besides the primitives: fused kernels with their own gradient rules. */
export type FusedOp =
  | 'softmaxCrossEntropy'
  | 'binaryCrossEntropy'
  | 'linearActivation'
  | 'conv2d'
  | 'maxPool2d'
  | 'batchNorm'
  | 'softmax'
  | 'layerNorm'
  | 'lstmCell'
  | 'gruCell';
/** What a tape node can record: a primitive, a fused op, or a function with its own gradient (customGrad). */
export type TapeOp = PrimitiveOp | FusedOp | 'custom';

export type AttributesOf<P extends TapeOp> = P extends keyof OpAttributes ? OpAttributes[P] : Record<string, never>;

/** One recorded op on the tape: enough to run its gradient rule later. */
export interface GradNode<P extends TapeOp = TapeOp> {
  readonly op: P;
  readonly inputs: readonly Tensor[];
  readonly attrs: AttributesOf<P>;
  /** Each input's version when recorded: an in-place `assign` after that makes backward fail. */
  readonly inputVersions: readonly number[];
}

/**
 * Per-tensor slots that backward() uses instead of a Map and a Set (declared on Tensor so every
 * tensor has the same layout): the gradient waiting to flow into the tensor, and the number of
 * the last backward pass that visited it.
 */
export const PENDING_GRAD: unique symbol = Symbol('myelin.pendingGrad');
export const VISITED_IN: unique symbol = Symbol('myelin.visitedIn');
