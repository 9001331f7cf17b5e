// backend-tfjs's kernels, adjusted for tfjs-backend-webgpu 4.22. Where it departs from tfjs-cpu
// (found by the conformance suite), the compositions used instead, built from contract kernels
// of the base class so nothing leaks:
//  1. MatMul with an inner dimension K = 0 returns garbage instead of zeros, and leaves the
//     backend in a state where a later matmul of other shapes returns wrong values: K = 0 never
//     reaches tfjs (zeros; the fused kernel gets a K = 1 product of zeros, so bias and
//     activation still apply).
//  2. Transpose of an int32 or bool tensor on the GPU does not compile (webgpu-transpose.ts), and
//     tfjs's reductions use it to bring leading reduced axes innermost: integer transposes run
//     our own WGSL program, and integer sum / max over other axes than the innermost, and
//     argmax of any dtype (built from bool and int32 reductions), transpose those innermost first.
//  3. Tile (so broadcastTo) and Select (where) stop at rank 4: Tile then reads the input back
//     synchronously (an OffscreenCanvas in Node, a stall in a browser) and Select throws; Pad's
//     shader does not compile above rank 4 ("cannot index type 'vec5'", zeros out). Above rank 4,
//     a broadcast merges neighbouring axes that broadcast alike (one reshape each way), a where
//     broadcasts its operands first and selects over them flattened, and a pad merges each padded
//     axis with the unpadded ones after it (padding one axis at a time if that is still too many).
// And one speed-up measured on software adapters (llvmpipe, lavapipe, SwiftShader), where the
// GPU-tuned kernel choice does badly: a matmul with transposeB runs 1.5-2.5x slower than a
// transpose followed by an untransposed matmul, so there the operand is transposed first.
// And a fused Adam step in WGSL (webgpu-adam.ts): 3 dispatches per parameter instead of 13; and
// softmax cross-entropy in WGSL (webgpu-softmax-xent.ts): 4 dispatches for loss and gradient
// instead of over twenty; and the activation's derivative of a linear layer's backward in one
// (webgpu-bias-activation.ts) instead of up to four.
import { TfjsBackend, type Tf, type TfjsBackendOptions } from '@myelin/backend-tfjs';
import {
  ShapeError,
  UnsupportedOpError,
  type AdamUpdateOptions,
  type BackendHandle,
  type DType,
  type FusedActivation,
  type FusedKernels,
  type ReduceOp,
} from '@myelin/core/backend';
import { runAdamShaders } from './webgpu-adam.js';
import { runActivationBackwardShader } from './webgpu-bias-activation.js';
import type { WebGpuProgramRunner } from './webgpu-program.js';
import { runSoftmaxCrossEntropyShaders } from './webgpu-softmax-xent.js';
import { runIntegerTranspose } from './webgpu-transpose.js';

const shapeOf = (h: BackendHandle): readonly number[] => (h as unknown as { shape: readonly number[] }).shape;
const dtypeOf = (h: BackendHandle): string => (h as unknown as { dtype: string }).dtype;

/** Inner dimension, batch, rows and columns of `op(a) @ op(b)` for rank-3 operands. */
function dims(
  a: BackendHandle,
  b: BackendHandle,
  transposeA: boolean,
  transposeB: boolean,
): { batch: number; m: number; k: number; n: number } {
  const [batch = 0, a1 = 0, a2 = 0] = shapeOf(a);
  const [, b1 = 0, b2 = 0] = shapeOf(b);
  return { batch, m: transposeA ? a2 : a1, k: transposeA ? a1 : a2, n: transposeB ? b1 : b2 };
}

/**
 * A broadcast of `input` to `output` (its rank or less) with neighbouring axes merged where they
 * broadcast alike (the input's axis is 1 and the output's not: broadcast; equal: copied; both 1:
 * either): `from` for the input, `to` for the output, each of the same rank, often far below it.
 */
export function mergedBroadcast(input: readonly number[], output: readonly number[]): { from: number[]; to: number[] } {
  const aligned = [...new Array<number>(output.length - input.length).fill(1), ...input];
  const from: number[] = [];
  const to: number[] = [];
  let kind: 'copy' | 'broadcast' | undefined;
  output.forEach((d, i) => {
    if (d === 1) return; // a size-1 axis joins any group
    const next = aligned[i] === d ? 'copy' : 'broadcast';
    if (next === kind) {
      from[from.length - 1]! *= aligned[i]!;
      to[to.length - 1]! *= d;
    } else {
      from.push(aligned[i]!);
      to.push(d);
      kind = next;
    }
  });
  return from.length === 0 ? { from: [1], to: [1] } : { from, to };
}

/**
 * A pad of `shape` with axes merged: each padded axis with the unpadded ones after it (its
 * padding scaled by their sizes: padded rows are whole blocks of them), and the unpadded axes
 * before the first padded one into one.
 */
export function mergedPad(
  shape: readonly number[],
  paddings: readonly (readonly [number, number])[],
): { shape: number[]; paddings: [number, number][] } {
  const merged: number[] = [];
  const mergedPaddings: [number, number][] = [];
  shape.forEach((d, i) => {
    const [before, after] = paddings[i]!;
    if (before > 0 || after > 0 || merged.length === 0) {
      merged.push(d);
      mergedPaddings.push([before, after]);
    } else {
      merged[merged.length - 1]! *= d;
      const last = mergedPaddings[mergedPaddings.length - 1]!;
      last[0] *= d;
      last[1] *= d;
    }
  });
  return { shape: merged, paddings: mergedPaddings };
}

/** A TfjsBackend whose kernels avoid the WebGPU quirks listed above, with a WGSL Adam step. */
export class WebGpuTfjsBackend extends TfjsBackend {
  constructor(
    private readonly tfjs: Tf,
    options: TfjsBackendOptions,
    /** Transpose the right operand before a matmul instead of passing transposeB (software adapters). */
    private readonly pretransposeB = false,
  ) {
    super(tfjs, options);
    const inherited = this.fused.matmulBiasActivation;
    if (inherited) {
      const fused: FusedKernels = {
        ...this.fused,
        matmulBiasActivation: (a, b, bias, activation, transposeA, transposeB) => {
          const { batch, m, k, n } = dims(a, b, transposeA, transposeB);
          if (k !== 0 || batch * m * n === 0) {
            return this.withUntransposedB(b, transposeB, (right, flag) =>
              inherited.call(this.fused, a, right, bias, activation, transposeA, flag),
            );
          }
          const zerosA = this.fill(transposeA ? [batch, 1, m] : [batch, m, 1], 0, 'float32');
          const zerosB = this.fill(transposeB ? [batch, n, 1] : [batch, 1, n], 0, 'float32');
          try {
            return inherited.call(this.fused, zerosA, zerosB, bias, activation, transposeA, transposeB);
          } finally {
            this.dispose(zerosA);
            this.dispose(zerosB);
          }
        },
      };
      (this as { fused: FusedKernels }).fused = fused;
    }
    this.composedAdam = this.fused.adamUpdate;
    this.tfjsSoftmaxCrossEntropy = this.fused.softmaxCrossEntropy!;
    (this as { fused: FusedKernels }).fused = {
      ...this.fused,
      adamUpdate: (param, grad, m, v, opts) => this.adamUpdate(param, grad, m, v, opts),
      softmaxCrossEntropy: (logits, labels, reduction, withGrad, ignoreIndex) =>
        this.softmaxCrossEntropy(logits, labels, reduction, withGrad, ignoreIndex),
      biasActivationBackward: (grad, y, activation) => this.biasActivationBackward(grad, y, activation),
    };
  }

  /** backend-tfjs's adamUpdate (tfjs ops), for what the shaders do not cover (other dtypes). */
  private readonly composedAdam: FusedKernels['adamUpdate'];
  /** backend-tfjs's softmaxCrossEntropy (tfjs ops), for what the shaders do not cover (other dtypes, no elements). */
  private readonly tfjsSoftmaxCrossEntropy: NonNullable<FusedKernels['softmaxCrossEntropy']>;

  private adamUpdate(
    param: BackendHandle,
    grad: BackendHandle,
    m: BackendHandle,
    v: BackendHandle,
    options: AdamUpdateOptions,
  ): { param: BackendHandle; m: BackendHandle; v: BackendHandle } {
    const inputs = [param, grad, m, v];
    const shape = shapeOf(param);
    const float = inputs.every((h) => dtypeOf(h) === 'float32');
    if (!float || shape.some((d) => d === 0)) {
      if (this.composedAdam === undefined) throw new Error('adamUpdate: backend-tfjs has no adamUpdate for this case');
      return this.composedAdam(param, grad, m, v, options);
    }
    this.checkActive();
    const results = runAdamShaders(this.tfjs.backend() as unknown as WebGpuProgramRunner, inputs, shape, options);
    return {
      param: this.adopt(results.param, shape),
      m: this.adopt(results.m, shape),
      v: this.adopt(results.v, shape),
    };
  }

  private softmaxCrossEntropy(
    logits: BackendHandle,
    labels: BackendHandle,
    reduction: 'none' | 'sum' | 'mean',
    withGrad: boolean,
    ignoreIndex: number,
  ): { loss: BackendHandle; grad: BackendHandle | null } {
    const [rows = 0, classes = 0] = shapeOf(logits);
    const labelsShape = shapeOf(labels);
    // A WGSL program given other inputs would not compile, and tfjs only logs that (zeros result).
    if (dtypeOf(labels) !== 'int32' || labelsShape.length !== 1 || labelsShape[0] !== rows) {
      throw new ShapeError(
        `softmaxCrossEntropy: labels must be int32 [${rows}] for logits [${rows}, ${classes}], got ${dtypeOf(labels)} [${labelsShape.join(', ')}]`,
      );
    }
    if (dtypeOf(logits) !== 'float32' || rows === 0 || classes === 0) {
      return this.tfjsSoftmaxCrossEntropy(logits, labels, reduction, withGrad, ignoreIndex);
    }
    this.checkActive();
    const results = runSoftmaxCrossEntropyShaders(
      this.tfjs.backend() as unknown as WebGpuProgramRunner,
      logits,
      labels,
      rows,
      classes,
      ignoreIndex,
      reduction === 'mean',
      withGrad,
    );
    this.dispose(this.adopt(results.lse, [rows]));
    const kept = results.kept === null ? null : this.adopt(results.kept, []);
    const perRow = this.adopt(results.loss, [rows]);
    const grad = results.grad === null ? null : this.adopt(results.grad, [rows, classes]);
    if (reduction === 'none') return { loss: perRow, grad };
    const total = this.reduce('sum', perRow, [0], false);
    this.dispose(perRow);
    if (kept === null) return { loss: total, grad };
    try {
      // 0 / 0 = NaN when every row is ignored, as the composed mean (and PyTorch).
      return { loss: this.binary('div', total, kept, []), grad };
    } finally {
      this.dispose(total);
      this.dispose(kept);
    }
  }

  private biasActivationBackward(
    grad: BackendHandle,
    y: BackendHandle,
    activation: FusedActivation,
  ): { input: BackendHandle; bias: BackendHandle } {
    const dtype = dtypeOf(grad);
    if (dtype !== 'float32') {
      throw new UnsupportedOpError('biasActivationBackward', dtype as DType, this.name, 'grad must be float32');
    }
    const shape = shapeOf(grad);
    const yShape = shapeOf(y);
    if (dtypeOf(y) !== 'float32' || yShape.length !== shape.length || yShape.some((d, i) => d !== shape[i])) {
      throw new ShapeError(
        `biasActivationBackward: the output must be float32 [${shape.join(', ')}] like grad, got ${dtypeOf(y)} [${yShape.join(', ')}]`,
      );
    }
    this.checkActive();
    let input: BackendHandle;
    if (activation === 'linear')
      input = this.reshape(grad, shape); // dz = grad, as a new handle
    else if (shape.some((d) => d === 0)) input = this.fill(shape, 0, 'float32');
    else if (activation !== 'relu' && activation !== 'sigmoid' && activation !== 'tanh')
      // gelu, gelu_tanh, silu: not in this backend's (absent) fusedActivations, so core composes them.
      throw new UnsupportedOpError('biasActivationBackward', 'float32', this.name, `activation '${activation}'`);
    else {
      const runner = this.tfjs.backend() as unknown as WebGpuProgramRunner;
      input = this.adopt(runActivationBackwardShader(runner, grad, y, shape, activation), shape);
    }
    return { input, bias: this.reduce('sum', input, [0], false) };
  }

  /** Wraps a TensorInfo a program produced as a tracked handle (a reshape shares its data). */
  private adopt(info: unknown, shape: readonly number[]): BackendHandle {
    const tensor = this.tfjs
      .engine()
      .makeTensorFromTensorInfo(info as Parameters<ReturnType<Tf['engine']>['makeTensorFromTensorInfo']>[0]);
    try {
      return this.reshape(tensor as unknown as BackendHandle, shape);
    } finally {
      tensor.dispose();
    }
  }

  override transpose(x: BackendHandle, perm: readonly number[]): BackendHandle {
    const dtype = dtypeOf(x);
    if (dtype !== 'int32' && dtype !== 'bool') return super.transpose(x, perm);
    const shape = shapeOf(x);
    const outShape = perm.map((axis) => shape[axis]!);
    // Nothing to move (an identity order, or no elements): a reshape shares the data.
    if (perm.every((axis, i) => axis === i) || outShape.some((d) => d === 0)) return this.reshape(x, outShape);
    this.checkActive();
    const runner = this.tfjs.backend() as unknown as WebGpuProgramRunner;
    return this.adopt(runIntegerTranspose(runner, x, shape, perm, dtype), outShape);
  }

  override reduce(op: ReduceOp, x: BackendHandle, axes: readonly number[], keepDims: boolean): BackendHandle {
    if (!this.needsInnermost(x, axes)) return super.reduce(op, x, axes, keepDims);
    return this.overInnermost(x, axes, keepDims, (inner, innerAxes) => super.reduce(op, inner, innerAxes, false));
  }

  override argmax(x: BackendHandle, axis: number): BackendHandle {
    // Of any dtype: backend-tfjs builds argmax from bool and int32 reductions (any, min) over the axis.
    if (!this.needsInnermost(x, [axis], true)) return super.argmax(x, axis);
    return this.overInnermost(x, [axis], false, (inner, [last]) => super.argmax(inner, last!));
  }

  /**
   * Whether x (an integer tensor, or any with `anyDType`; with elements) is reduced over axes that
   * are not its innermost ones.
   */
  private needsInnermost(x: BackendHandle, axes: readonly number[], anyDType = false): boolean {
    const dtype = dtypeOf(x);
    const shape = shapeOf(x);
    if ((!anyDType && dtype !== 'int32' && dtype !== 'bool') || shape.some((d) => d === 0)) return false;
    const sorted = [...axes].sort((a, b) => a - b);
    return !sorted.every((axis, i) => axis === shape.length - sorted.length + i);
  }

  /** `reduction` of x transposed so that `axes` are innermost (their new indices passed), reshaped to keep them if asked. */
  private overInnermost(
    x: BackendHandle,
    axes: readonly number[],
    keepDims: boolean,
    reduction: (inner: BackendHandle, innerAxes: readonly number[]) => BackendHandle,
  ): BackendHandle {
    const shape = shapeOf(x);
    const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const transposed = this.transpose(x, [...kept, ...axes]);
    let reduced: BackendHandle;
    try {
      reduced = reduction(
        transposed,
        axes.map((_, i) => kept.length + i),
      );
    } finally {
      this.dispose(transposed);
    }
    if (!keepDims) return reduced;
    try {
      return this.reshape(
        reduced,
        shape.map((d, i) => (axes.includes(i) ? 1 : d)),
      );
    } finally {
      this.dispose(reduced);
    }
  }

  override broadcastTo(x: BackendHandle, shape: readonly number[]): BackendHandle {
    if (shape.length <= 4 || shape.some((d) => d === 0)) return super.broadcastTo(x, shape);
    const { from, to } = mergedBroadcast(shapeOf(x), shape);
    const dtype = dtypeOf(x);
    if (to.length > 4) {
      // Axes that alternate between broadcast and copied more than four times: an add of zeros.
      const numeric = dtype === 'bool' ? this.cast(x, 'int32') : x;
      const zeros = this.fill(shape, 0, dtype === 'bool' ? 'int32' : (dtype as DType));
      try {
        const sum = this.binary('add', numeric, zeros, shape);
        if (dtype !== 'bool') return sum;
        try {
          return this.cast(sum, 'bool');
        } finally {
          this.dispose(sum);
        }
      } finally {
        this.dispose(zeros);
        if (numeric !== x) this.dispose(numeric);
      }
    }
    const merged = this.reshape(x, from);
    try {
      const broadcast = super.broadcastTo(merged, to);
      try {
        return this.reshape(broadcast, shape);
      } finally {
        this.dispose(broadcast);
      }
    } finally {
      this.dispose(merged);
    }
  }

  override where(
    condition: BackendHandle,
    a: BackendHandle,
    b: BackendHandle,
    outShape: readonly number[],
  ): BackendHandle {
    if (outShape.length <= 4 || outShape.some((d) => d === 0)) return super.where(condition, a, b, outShape);
    const size = outShape.reduce((p, d) => p * d, 1);
    const flat = [condition, a, b].map((h) => {
      const full = this.broadcastTo(h, outShape);
      try {
        return this.reshape(full, [size]);
      } finally {
        this.dispose(full);
      }
    });
    try {
      const selected = super.where(flat[0]!, flat[1]!, flat[2]!, [size]);
      try {
        return this.reshape(selected, outShape);
      } finally {
        this.dispose(selected);
      }
    } finally {
      for (const h of flat) this.dispose(h);
    }
  }

  override pad(x: BackendHandle, paddings: readonly (readonly [number, number])[], value: number): BackendHandle {
    const shape = shapeOf(x);
    if (shape.length <= 4 || shape.some((d) => d === 0)) return super.pad(x, paddings, value);
    const outShape = shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]);
    const merged = mergedPad(shape, paddings);
    if (merged.shape.length > 4) {
      // Too many padded axes to merge into four: the first one alone, then the rest.
      const first = paddings.findIndex(([before, after]) => before > 0 || after > 0);
      const once = this.pad(
        x,
        paddings.map((p, i) => (i === first ? p : ([0, 0] as const))),
        value,
      );
      try {
        return this.pad(
          once,
          paddings.map((p, i) => (i === first ? ([0, 0] as const) : p)),
          value,
        );
      } finally {
        this.dispose(once);
      }
    }
    const flat = this.reshape(x, merged.shape);
    try {
      const padded = super.pad(flat, merged.paddings, value);
      try {
        return this.reshape(padded, outShape);
      } finally {
        this.dispose(padded);
      }
    } finally {
      this.dispose(flat);
    }
  }

  override matmul(a: BackendHandle, b: BackendHandle, transposeA: boolean, transposeB: boolean): BackendHandle {
    const { batch, m, k, n } = dims(a, b, transposeA, transposeB);
    if (k === 0) return this.fill([batch, m, n], 0, 'float32');
    return this.withUntransposedB(b, transposeB, (right, flag) => super.matmul(a, right, transposeA, flag));
  }

  /** Calls `product` with b transposed in memory (and the flag cleared) where that is faster. */
  private withUntransposedB(
    b: BackendHandle,
    transposeB: boolean,
    product: (b: BackendHandle, transposeB: boolean) => BackendHandle,
  ): BackendHandle {
    if (!transposeB || !this.pretransposeB) return product(b, transposeB);
    const transposed = this.transpose(b, [0, 2, 1]);
    try {
      return product(transposed, false);
    } finally {
      this.dispose(transposed);
    }
  }
}
