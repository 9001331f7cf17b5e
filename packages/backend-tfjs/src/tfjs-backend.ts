// The Backend contract over a tfjs-core instance. Handles are tfjs tensors; every kernel runs
// in tf.tidy (no leaked intermediates) and its result is tf.keep'd, so an enclosing tfjs
// scope of the caller cannot free a handle core still owns.
import {
  BACKEND_CONTRACT_VERSION,
  BackendError,
  type Backend,
  type BackendHandle,
  type BinaryOp,
  type DType,
  type FusedKernels,
  type ReduceOp,
  type Shape,
  type TypedArray,
  type UnaryOp,
  type UnfoldOptions,
} from '@myelin/core/backend';
import {
  filled,
  HOST_MEMORY_TFJS_BACKENDS,
  normaliseValue,
  tfjsDType,
  TFJS_DTYPES,
  type KernelContext,
  type Tensor,
  type Tf,
} from './context.js';
import { conv2d, conv2dBackward } from './conv.js';
import { binary, cast, unary, where } from './elementwise.js';
import { adamUpdate } from './fused-adam.js';
import { layerNormBackwardRows, layerNormRows, softmaxBackwardRows, softmaxRows } from './rows.js';
import { softmaxCrossEntropy } from './softmax-xent.js';
import { matmul, matmulBiasActivation, type FusedActivation } from './matmul.js';
import { broadcastTo, concat, gather, pad, reshape, scatterAdd, slice, transpose } from './movement.js';
import { maxPool2d, maxPool2dBackward } from './pool.js';
import { unfold } from './unfold.js';
import { argmax, reduce } from './reduce.js';
import { sort } from './sort.js';

export interface TfjsBackendOptions {
  /** Registry name; default `tfjs-${tf.getBackend()}`. */
  name?: string;
  /**
   * A tfjs backend to select with tf.setBackend on creation. Creation is synchronous, so a
   * backend with async initialisation (webgpu, wasm) must already be ready (`await
   * tf.setBackend(...)` first); selecting it here then only checks it is active.
   */
  tfjsBackend?: string;
  /** Expose readSync (via dataSync). Default: only on tfjs 'cpu'; never use it on webgpu. */
  syncReads?: boolean;
}

const asTensor = (h: BackendHandle): Tensor => h as unknown as Tensor;
const asHandle = (t: Tensor): BackendHandle => t as unknown as BackendHandle;

/** Copies tfjs data into a new array of the dtype's type (tfjs hands out its own buffer). */
function toHost(data: ArrayLike<number>, dtype: string): TypedArray {
  if (dtype === 'bool') return Uint8Array.from(data, (v) => (v !== 0 ? 1 : 0));
  return dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data);
}

export class TfjsBackend implements Backend {
  readonly contractVersion = BACKEND_CONTRACT_VERSION;
  readonly dtypes: readonly DType[] = TFJS_DTYPES;
  readonly name: string;
  readonly readSync?: (handle: BackendHandle) => TypedArray;
  readonly fused: FusedKernels;
  /** The tfjs backend every kernel expects to be active. */
  readonly tfjsBackend: string;
  private readonly ctx: KernelContext;
  private readonly live = new Set<Tensor>();

  constructor(
    private readonly tf: Tf,
    options: TfjsBackendOptions = {},
  ) {
    if (options.tfjsBackend !== undefined) selectTfjsBackend(tf, options.tfjsBackend);
    this.tfjsBackend = activeTfjsBackend(tf);
    this.name = options.name ?? `tfjs-${this.tfjsBackend}`;
    this.ctx = { tf, name: this.name, hostMemory: HOST_MEMORY_TFJS_BACKENDS.has(this.tfjsBackend) };
    if (options.syncReads ?? this.tfjsBackend === 'cpu') {
      this.readSync = (h) => {
        const t = asTensor(h);
        return toHost(t.dataSync(), t.dtype);
      };
    }
    this.fused = {
      matmulBiasActivation: (a, b, bias, activation: FusedActivation, tA, tB) =>
        this.run([a, b, ...(bias ? [bias] : [])], (ts) =>
          matmulBiasActivation(this.ctx, ts[0]!, ts[1]!, ts[2] ?? null, activation, tA, tB),
        ),
      adamUpdate: (param, grad, m, v, options) => {
        this.checkActive();
        const out = adamUpdate(this.ctx, asTensor(param), asTensor(grad), asTensor(m), asTensor(v), options);
        return { param: this.track(out.param), m: this.track(out.m), v: this.track(out.v) };
      },
      conv2d: (x, weight, bias, options) =>
        this.run([x, weight, ...(bias ? [bias] : [])], (ts) =>
          conv2d(this.ctx, ts[0]!, ts[1]!, ts[2] ?? null, options),
        ),
      conv2dBackward: (grad, x, weight, options, needs) => {
        this.checkActive();
        const out = this.tf.tidy(() => {
          const r = conv2dBackward(this.ctx, asTensor(grad), asTensor(x), asTensor(weight), options, needs);
          return [r.input, r.weight, r.bias].filter((t): t is Tensor => t !== null);
        });
        const [input, weightGrad, bias] = [needs.input, needs.weight, needs.bias].map((needed) =>
          needed ? this.track(out.shift()!) : null,
        ) as [BackendHandle | null, BackendHandle | null, BackendHandle | null];
        return { input, weight: weightGrad, bias };
      },
      softmaxCrossEntropy: (logits, labels, reduction, withGrad, ignoreIndex) => {
        this.checkActive();
        const out = this.tf.tidy(() => {
          const r = softmaxCrossEntropy(this.ctx, asTensor(logits), asTensor(labels), reduction, withGrad, ignoreIndex);
          return r.grad === null ? [r.loss] : [r.loss, r.grad];
        });
        return { loss: this.track(out[0]!), grad: out[1] === undefined ? null : this.track(out[1]) };
      },
      softmax: (x) => this.run([x], ([t]) => softmaxRows(this.ctx, t!)),
      softmaxBackward: (grad, y) => this.run([grad, y], ([g, t]) => softmaxBackwardRows(this.ctx, g!, t!)),
      layerNorm: (x, weight, bias, eps) => {
        this.checkActive();
        const [output, mean, invStd] = this.tf.tidy(() => {
          const r = layerNormRows(
            this.ctx,
            asTensor(x),
            weight === null ? null : asTensor(weight),
            bias === null ? null : asTensor(bias),
            eps,
          );
          return [r.output, r.mean, r.invStd];
        });
        return { output: this.track(output!), mean: this.track(mean!), invStd: this.track(invStd!) };
      },
      layerNormBackward: (grad, x, weight, mean, invStd, needs) => {
        this.checkActive();
        const out = this.tf.tidy(() => {
          const r = layerNormBackwardRows(
            this.ctx,
            asTensor(grad),
            asTensor(x),
            weight === null ? null : asTensor(weight),
            asTensor(mean),
            asTensor(invStd),
            needs,
          );
          return [r.input, r.weight, r.bias].filter((t): t is Tensor => t !== null);
        });
        const [input, weightGrad, bias] = [needs.input, needs.weight, needs.bias].map((needed) =>
          needed ? this.track(out.shift()!) : null,
        ) as [BackendHandle | null, BackendHandle | null, BackendHandle | null];
        return { input, weight: weightGrad, bias };
      },
      maxPool2d: (x, options) => this.run([x], ([t]) => maxPool2d(this.ctx, t!, options)),
      maxPool2dBackward: (grad, x, y, options) =>
        this.run([grad, x, y], ([g, t, out]) => maxPool2dBackward(this.ctx, g!, t!, out!, options)),
    };
  }

  /** Runs a kernel in tf.tidy and tracks its result as a new handle the caller owns. */
  private run(inputs: readonly BackendHandle[], kernel: (ts: Tensor[]) => Tensor): BackendHandle {
    this.checkActive();
    const ts = inputs.map(asTensor);
    const out = this.tf.tidy(() => {
      const r = kernel(ts);
      // The contract wants a new handle even when a tfjs op hands back its input.
      return ts.includes(r) ? this.tf.clone(r) : r;
    });
    return this.track(out);
  }

  /** Throws unless this backend's tfjs backend is tfjs's active one (every kernel checks first). */
  protected checkActive(): void {
    const active = this.tf.getBackend();
    if (active !== this.tfjsBackend) {
      // A switch would make tfjs copy every tensor across backends behind our back.
      throw new BackendError(
        `backend '${this.name}' runs on tfjs backend '${this.tfjsBackend}', but tfjs now has '${active}' active`,
      );
    }
  }

  private track(t: Tensor): BackendHandle {
    this.tf.keep(t);
    this.live.add(t);
    return asHandle(t);
  }

  // ---- storage -------------------------------------------------------------------------
  fromData(values: TypedArray, shape: Shape, dtype: DType): BackendHandle {
    const dt = tfjsDType(this.ctx, 'fromData', dtype);
    // tf.tensor keeps a reference to a typed array of the right type: copy (and normalise).
    const copy = toHost(values, dt);
    return this.run([], () => this.tf.tensor(copy, [...shape], dt));
  }

  fill(shape: Shape, value: number, dtype: DType): BackendHandle {
    const dt = tfjsDType(this.ctx, 'fill', dtype);
    return this.run([], () => filled(this.tf, shape, normaliseValue(value, dt), dt));
  }

  async read(handle: BackendHandle): Promise<TypedArray> {
    // A clone shares t's data and holds it: tfjs-backend-webgpu looks its data up again when the
    // copy arrives, so disposing t meanwhile would throw inside tfjs (and end the process). The
    // contract lets a caller dispose a handle while its read is in flight. Kept, so that a read
    // started inside an enclosing tf.tidy holds it too; made only while this backend is tfjs's
    // active one (a clone runs on the active backend, which would move the data).
    const t = asTensor(handle);
    if (this.tf.getBackend() !== this.tfjsBackend) return toHost(await t.data(), t.dtype);
    const held = this.tf.keep(t.clone());
    try {
      return toHost(await held.data(), held.dtype);
    } finally {
      held.dispose();
    }
  }

  dispose(handle: BackendHandle): void {
    const t = asTensor(handle);
    if (this.live.delete(t)) t.dispose();
  }

  liveHandles(): number {
    return this.live.size;
  }

  // ---- kernels -------------------------------------------------------------------------
  unary(op: UnaryOp, x: BackendHandle): BackendHandle {
    return this.run([x], ([t]) => unary(this.ctx, op, t!));
  }

  cast(x: BackendHandle, dtype: DType): BackendHandle {
    const dt = tfjsDType(this.ctx, 'cast', dtype);
    return this.run([x], ([t]) => cast(this.ctx, t!, dt));
  }

  binary(op: BinaryOp, a: BackendHandle, b: BackendHandle, outShape: Shape): BackendHandle {
    return this.run([a, b], ([ta, tb]) => binary(this.ctx, op, ta!, tb!, outShape));
  }

  where(condition: BackendHandle, a: BackendHandle, b: BackendHandle, outShape: Shape): BackendHandle {
    return this.run([condition, a, b], ([c, ta, tb]) => where(this.ctx, c!, ta!, tb!, outShape));
  }

  reduce(op: ReduceOp, x: BackendHandle, axes: readonly number[], keepDims: boolean): BackendHandle {
    return this.run([x], ([t]) => reduce(this.ctx, op, t!, axes, keepDims));
  }

  argmax(x: BackendHandle, axis: number): BackendHandle {
    return this.run([x], ([t]) => argmax(this.ctx, t!, axis));
  }

  sort(x: BackendHandle, descending: boolean): [BackendHandle, BackendHandle] {
    this.checkActive();
    const t = asTensor(x);
    // tf.tidy keeps the tensors of a returned array; a size-0 or length-1 sort clones x.
    const [values, indices] = this.tf.tidy(() => sort(this.ctx, t, descending));
    return [this.track(values!), this.track(indices!)];
  }

  reshape(x: BackendHandle, shape: Shape): BackendHandle {
    return this.run([x], ([t]) => reshape(this.ctx, t!, shape));
  }

  transpose(x: BackendHandle, perm: readonly number[]): BackendHandle {
    return this.run([x], ([t]) => transpose(this.ctx, t!, perm));
  }

  broadcastTo(x: BackendHandle, shape: Shape): BackendHandle {
    return this.run([x], ([t]) => broadcastTo(this.ctx, t!, shape));
  }

  slice(x: BackendHandle, begin: readonly number[], size: readonly number[]): BackendHandle {
    return this.run([x], ([t]) => slice(this.ctx, t!, begin, size));
  }

  pad(x: BackendHandle, paddings: readonly (readonly [number, number])[], value: number): BackendHandle {
    return this.run([x], ([t]) => pad(this.ctx, t!, paddings, value));
  }

  concat(xs: readonly BackendHandle[], axis: number): BackendHandle {
    return this.run(xs, (ts) => concat(this.ctx, ts, axis));
  }

  gather(x: BackendHandle, indices: BackendHandle, axis: number): BackendHandle {
    return this.run([x, indices], ([t, i]) => gather(this.ctx, t!, i!, axis));
  }

  scatterAdd(updates: BackendHandle, indices: BackendHandle, axis: number, dimSize: number): BackendHandle {
    return this.run([updates, indices], ([u, i]) => scatterAdd(this.ctx, u!, i!, axis, dimSize));
  }

  unfold(x: BackendHandle, options: UnfoldOptions): BackendHandle {
    return this.run([x], ([t]) => unfold(this.ctx, t!, options));
  }

  matmul(a: BackendHandle, b: BackendHandle, transposeA: boolean, transposeB: boolean): BackendHandle {
    return this.run([a, b], ([ta, tb]) => matmul(this.ctx, ta!, tb!, transposeA, transposeB));
  }
}

/**
 * tf.setBackend is async, but for a backend that is already initialised or initialises
 * synchronously (cpu) it takes effect before the promise is returned.
 */
function selectTfjsBackend(tf: Tf, name: string): void {
  const registry = tf.engine().registry;
  if (registry[name] == null && tf.findBackendFactory(name) == null) {
    throw new BackendError(`tfjs backend '${name}' is not registered: import its package first`);
  }
  void tf.setBackend(name);
  if (registry[name] == null || tf.getBackend() !== name) {
    throw new BackendError(
      `tfjs backend '${name}' is not ready (it initialises asynchronously or failed): await tf.setBackend('${name}') before creating the Myelin backend`,
    );
  }
}

/** The active tfjs backend's name, initialising tfjs's best backend if none is yet. */
export function activeTfjsBackend(tf: Tf): string {
  if (!tf.getBackend()) tf.backend(); // throws tfjs's own "await tf.ready()" error if async
  return tf.getBackend();
}
