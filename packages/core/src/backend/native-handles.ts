// The JavaScript side of a native addon's tensor table, shared by backend-cpu and backend-cuda:
// handles that are ids into the addon's table, ownership checks, a FinalizationRegistry for
// handles dropped without dispose(), and the primitive kernels whose addon entry points take
// and return ids in the same way in both addons.
import type { AdamUpdateOptions, Backend, BackendHandle, FusedKernels, Shape, TypedArray } from './contract.js';
import { BackendError, BackendMismatchError, DisposedTensorError } from '../errors.js';
import { NATIVE_CODES } from './native-codes.js';

/** A native backend's handle: an id into its addon's tensor table; -1 once disposed. */
export class NativeHandle implements BackendHandle {
  declare readonly __myelinHandle?: never;
  /** Whether the finalization registry watches this handle (see `nativeHandleTable`). */
  watched = false;
  constructor(
    public id: number,
    readonly owner: object,
  ) {}
}

/**
 * Handles are watched by a FinalizationRegistry only once they outlive this many newer handles:
 * most handles live for part of one training step and are disposed long before, and registering
 * each would cost ~0.2 us per op.
 */
const WATCH_AFTER = 1024;

export interface NativeHandleTable {
  /** A new handle for an id the addon just returned (counted as live). */
  own(id: number): NativeHandle;
  /** The id of one of this table's live handles; throws on another backend's or a disposed one. */
  open(handle: BackendHandle): number;
  /** Releases a handle's id once (a second dispose, or another backend's handle, is a no-op). */
  dispose(handle: BackendHandle): void;
  /** Handles created and not yet disposed. */
  live(): number;
  /** Runs the table's `beforeUse` (what `open` runs): for entry points that take no handle. */
  prepare(): void;
}

/**
 * The handle table of one backend instance named `name` over an addon whose ids `release`
 * frees. `beforeUse` runs before each `open` (a backend that applies its settings lazily).
 */
export function nativeHandleTable(
  name: string,
  release: (id: number) => void,
  beforeUse: () => void = () => {},
): NativeHandleTable {
  const owner = {};
  let live = 0;
  // A handle dropped without dispose() gives its storage back when it is garbage-collected
  // (live() still counts it, so leak tests see the leak).
  const registry = new FinalizationRegistry<number>(release);
  const recent = new Array<NativeHandle | undefined>(WATCH_AFTER);
  let cursor = 0;
  return {
    own(id) {
      live++;
      const handle = new NativeHandle(id, owner);
      const older = recent[cursor];
      if (older !== undefined && older.id >= 0 && !older.watched) {
        older.watched = true;
        registry.register(older, older.id, older);
      }
      recent[cursor] = handle;
      cursor = cursor + 1 === WATCH_AFTER ? 0 : cursor + 1;
      return handle;
    },
    open(handle) {
      if (!(handle instanceof NativeHandle) || handle.owner !== owner) {
        throw new BackendMismatchError(`backend '${name}' was given a handle it did not create`);
      }
      if (handle.id < 0) throw new DisposedTensorError(`backend '${name}': handle used after dispose`);
      beforeUse();
      return handle.id;
    },
    dispose(handle) {
      if (!(handle instanceof NativeHandle) || handle.owner !== owner || handle.id < 0) return;
      release(handle.id);
      handle.id = -1;
      if (handle.watched) registry.unregister(handle);
      live--;
    },
    live: () => live,
    prepare: beforeUse,
  };
}

/** The entry points of the primitive kernels, alike in both native addons: ids in, an id out. */
export interface NativePrimitiveAddon {
  fromData(values: TypedArray, shape: Shape, dtype: number): number;
  fill(shape: Shape, value: number, dtype: number): number;
  unary(op: number, id: number): number;
  cast(id: number, dtype: number): number;
  binary(op: number, a: number, b: number): number;
  where(c: number, a: number, b: number): number;
  reduce(op: number, id: number, axes: readonly number[], keepDims: boolean): number;
  argmax(id: number, axis: number): number;
  /** Returns [values, indices]. */
  sort(id: number, descending: boolean): [number, number];
  reshape(id: number, shape: readonly number[]): number;
  reshapeN(id: number, rank: number, d0?: number, d1?: number, d2?: number, d3?: number): number;
  transpose(id: number, perm: readonly number[]): number;
  broadcastTo(id: number, shape: readonly number[]): number;
  slice(id: number, begin: readonly number[], size: readonly number[]): number;
  pad(id: number, paddings: readonly number[], value: number): number;
  concat(ids: readonly number[], axis: number): number;
  gather(x: number, indices: number, axis: number): number;
  scatterAdd(updates: number, indices: number, axis: number, dimSize: number): number;
  unfold(
    x: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
    dh: number,
    dw: number,
  ): number;
  matmul(a: number, b: number, transposeA: boolean, transposeB: boolean): number;
}

type PrimitiveKernels = Pick<
  Backend,
  | 'fromData'
  | 'fill'
  | 'unary'
  | 'cast'
  | 'binary'
  | 'where'
  | 'reduce'
  | 'argmax'
  | 'sort'
  | 'reshape'
  | 'transpose'
  | 'broadcastTo'
  | 'slice'
  | 'pad'
  | 'concat'
  | 'gather'
  | 'scatterAdd'
  | 'unfold'
  | 'matmul'
>;

/** The contract's creation, elementwise, reduction, movement and matmul kernels over a native addon. */
export function nativePrimitiveKernels(addon: NativePrimitiveAddon, table: NativeHandleTable): PrimitiveKernels {
  const { own, open, prepare } = table;
  const { dtype: DTYPE, unary: UNARY, binary: BINARY, reduce: REDUCE } = NATIVE_CODES;
  return {
    fromData(values, shape, dtype) {
      prepare();
      return own(addon.fromData(values, shape, DTYPE[dtype]));
    },
    fill(shape, value, dtype) {
      prepare();
      return own(addon.fill(shape, value, DTYPE[dtype]));
    },
    unary: (op, x) => own(addon.unary(UNARY[op], open(x))),
    cast: (x, dtype) => own(addon.cast(open(x), DTYPE[dtype])),
    binary: (op, a, b) => own(addon.binary(BINARY[op], open(a), open(b))),
    where: (condition, a, b) => own(addon.where(open(condition), open(a), open(b))),
    reduce: (op, x, axes, keepDims) => own(addon.reduce(REDUCE[op], open(x), axes, keepDims)),
    argmax: (x, axis) => own(addon.argmax(open(x), axis)),
    sort(x, descending) {
      const [values, indices] = addon.sort(open(x), descending);
      return [own(values), own(indices)];
    },
    // A reshape shares the input's storage (reference-counted in the addon): no copy.
    reshape(x, shape) {
      const id = open(x);
      const rank = shape.length;
      // Up to rank 4 the dimensions travel as numbers: reading a JS array costs the addon ~0.15 us.
      return own(
        rank <= 4 ? addon.reshapeN(id, rank, shape[0], shape[1], shape[2], shape[3]) : addon.reshape(id, shape),
      );
    },
    transpose: (x, perm) => own(addon.transpose(open(x), perm)),
    broadcastTo: (x, shape) => own(addon.broadcastTo(open(x), shape)),
    slice: (x, begin, size) => own(addon.slice(open(x), begin, size)),
    pad: (x, paddings, value) => own(addon.pad(open(x), paddings.flat(), value)),
    concat: (xs, axis) => own(addon.concat(xs.map(open), axis)),
    gather: (x, indices, axis) => own(addon.gather(open(x), open(indices), axis)),
    scatterAdd: (updates, indices, axis, dimSize) => own(addon.scatterAdd(open(updates), open(indices), axis, dimSize)),
    unfold: (x, { kernelSize: [kh, kw], stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw] }) =>
      own(addon.unfold(open(x), kh, kw, sh, sw, ph, pw, dh, dw)),
    matmul: (a, b, transposeA, transposeB) => own(addon.matmul(open(a), open(b), transposeA, transposeB)),
  };
}

/** The fused kernels' entry points, alike in both native addons (`-1` stands for an absent handle). */
export interface NativeFusedAddon {
  matmulBiasActivation(
    a: number,
    b: number,
    bias: number,
    activation: number,
    transposeA: boolean,
    transposeB: boolean,
  ): number;
  /** After the four ids, the constants `adamConstants` computes. Returns [p', m', v']. */
  adamUpdate(p: number, g: number, m: number, v: number, ...constants: number[]): [number, number, number];
  /** `ids` holds [p, g, m, v] per parameter; `out` receives [p', m', v'] per parameter. */
  adamUpdateMany(ids: Int32Array, out: Int32Array, ...constants: number[]): void;
  /** `ids` holds [p, g, buffer or -1] per parameter; `out` receives [p', buffer' or -1] per parameter. */
  sgdUpdateMany(
    ids: Int32Array,
    out: Int32Array,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
  ): void;
  /**
   * scale -1: divide the gradient by the rows not labelled ignoreIndex (for 'mean'). reduction:
   * 0 none, 1 sum, 2 mean (over those rows).
   */
  softmaxCrossEntropy(
    logits: number,
    labels: number,
    withGrad: boolean,
    scale: number,
    reduction: number,
    ignoreIndex: number,
  ): [number, number | null];
  binaryCrossEntropy(
    probabilities: number,
    target: number,
    withGrad: boolean,
    reduction: number,
  ): [number, number | null];
  biasActivationBackward(grad: number, y: number, activation: number): [number, number];
  accumulate(sum: number, x: number, scale: number): number;
  /** After the ids: stride, padding, dilation (height, width each) and groups. */
  conv2d(x: number, weight: number, bias: number, ...geometry: number[]): number;
  conv2dBackward(
    grad: number,
    x: number,
    weight: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
    dh: number,
    dw: number,
    groups: number,
    needInput: boolean,
    needWeight: boolean,
    needBias: boolean,
  ): [number | null, number | null, number | null];
  /** Window arguments: kernel, stride, padding, dilation (height, width each). */
  maxPool2d(x: number, ...window: number[]): number;
  maxPool2dBackward(grad: number, x: number, y: number, ...window: number[]): number;
  /** Returns [y, mean, variance, invStd]. */
  batchNorm(
    x: number,
    weight: number,
    bias: number,
    mean: number,
    variance: number,
    eps: number,
  ): [number, number, number, number];
  batchNormBackward(
    grad: number,
    x: number,
    weight: number,
    mean: number,
    invStd: number,
    training: boolean,
    needInput: boolean,
    needWeight: boolean,
    needBias: boolean,
  ): [number | null, number | null, number | null];
}

/**
 * The Adam constants the native kernels take, computed as cpu-reference computes them (JS `**`)
 * and rounded to the storage type in the kernel: decoupled decay factor, coupled decay, beta1,
 * 1 - beta1, beta2, 1 - beta2, step size, sqrt of the second-moment correction, eps.
 */
function adamConstants(options: AdamUpdateOptions): number[] {
  const { lr, beta1, beta2, eps, weightDecay, decoupledWeightDecay, step } = options;
  return [
    weightDecay !== 0 && decoupledWeightDecay ? 1 - lr * weightDecay : 1,
    weightDecay !== 0 && !decoupledWeightDecay ? weightDecay : 0,
    beta1,
    1 - beta1,
    beta2,
    1 - beta2,
    lr / (1 - beta1 ** step),
    Math.sqrt(1 - beta2 ** step),
    eps,
  ];
}

/**
 * The contract's fused kernels that every native addon has, over one (backend `name`, for its
 * errors); the row kernels (softmax, layerNorm and their backward) are in nativeRowKernels; the
 * recurrent cells are backend-cpu's own.
 */
export function nativeFusedKernels(
  addon: NativeFusedAddon,
  table: NativeHandleTable,
  name: string,
): Required<
  Omit<
    FusedKernels,
    | 'softmax'
    | 'softmaxBackward'
    | 'layerNorm'
    | 'layerNormBackward'
    | 'matmulBiasActivationWithPreactivation'
    | 'lstmCell'
    | 'lstmCellBackward'
    | 'gruCell'
    | 'gruCellBackward'
  >
> {
  const { own, open } = table;
  const { activation: ACTIVATION, reduction: REDUCTION } = NATIVE_CODES;
  const optional = (handle: BackendHandle | null): number => (handle === null ? -1 : open(handle));
  const wrap = (id: number | null): BackendHandle | null => (id === null ? null : own(id));
  // Scratch id arrays of the multi-tensor optimizer kernels, grown as needed.
  let idsIn = new Int32Array(64);
  let idsOut = new Int32Array(64);
  const ids = (inCount: number, outCount: number): void => {
    if (idsIn.length < inCount) idsIn = new Int32Array(inCount * 2);
    if (idsOut.length < outCount) idsOut = new Int32Array(outCount * 2);
  };
  return {
    matmulBiasActivation(a, b, bias, activation, transposeA, transposeB) {
      const biasId = optional(bias);
      return own(addon.matmulBiasActivation(open(a), open(b), biasId, ACTIVATION[activation], transposeA, transposeB));
    },
    adamUpdate(param, grad, m, v, options) {
      const [p, m1, v1] = addon.adamUpdate(open(param), open(grad), open(m), open(v), ...adamConstants(options));
      return { param: own(p), m: own(m1), v: own(v1) };
    },
    adamUpdateMany(params, grads, ms, vs, options) {
      const n = params.length;
      if (grads.length !== n || ms.length !== n || vs.length !== n)
        throw new BackendError(`backend '${name}': adamUpdateMany needs one grad, m and v per parameter`);
      ids(4 * n, 3 * n);
      for (let i = 0; i < n; i++) {
        idsIn[4 * i] = open(params[i]!);
        idsIn[4 * i + 1] = open(grads[i]!);
        idsIn[4 * i + 2] = open(ms[i]!);
        idsIn[4 * i + 3] = open(vs[i]!);
      }
      addon.adamUpdateMany(idsIn.subarray(0, 4 * n), idsOut.subarray(0, 3 * n), ...adamConstants(options));
      const result = {
        params: new Array<BackendHandle>(n),
        ms: new Array<BackendHandle>(n),
        vs: new Array<BackendHandle>(n),
      };
      for (let i = 0; i < n; i++) {
        result.params[i] = own(idsOut[3 * i]!);
        result.ms[i] = own(idsOut[3 * i + 1]!);
        result.vs[i] = own(idsOut[3 * i + 2]!);
      }
      return result;
    },
    sgdUpdateMany(params, grads, buffers, options) {
      const n = params.length;
      if (grads.length !== n || buffers.length !== n)
        throw new BackendError(`backend '${name}': sgdUpdateMany needs one grad and buffer slot per parameter`);
      ids(3 * n, 2 * n);
      for (let i = 0; i < n; i++) {
        idsIn[3 * i] = open(params[i]!);
        idsIn[3 * i + 1] = open(grads[i]!);
        idsIn[3 * i + 2] = optional(buffers[i] ?? null);
      }
      const { lr, momentum, dampening, weightDecay, nesterov } = options;
      addon.sgdUpdateMany(
        idsIn.subarray(0, 3 * n),
        idsOut.subarray(0, 2 * n),
        lr,
        momentum,
        dampening,
        weightDecay,
        nesterov,
      );
      const result = { params: new Array<BackendHandle>(n), buffers: new Array<BackendHandle | null>(n) };
      for (let i = 0; i < n; i++) {
        result.params[i] = own(idsOut[2 * i]!);
        const buffer = idsOut[2 * i + 1]!;
        result.buffers[i] = buffer < 0 ? null : own(buffer);
      }
      return result;
    },
    softmaxCrossEntropy(logits, labels, reduction, withGrad, ignoreIndex) {
      // 'mean' divides the gradient by the kept rows, which the addon counts: scale -1 asks it to.
      const [loss, grad] = addon.softmaxCrossEntropy(
        open(logits),
        open(labels),
        withGrad,
        reduction === 'mean' ? -1 : 1,
        REDUCTION[reduction],
        ignoreIndex,
      );
      return { loss: own(loss), grad: wrap(grad) };
    },
    binaryCrossEntropy(probabilities, target, reduction, withGrad) {
      const [loss, grad] = addon.binaryCrossEntropy(open(probabilities), open(target), withGrad, REDUCTION[reduction]);
      return { loss: own(loss), grad: wrap(grad) };
    },
    conv2d: (x, weight, bias, { stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], groups }) =>
      own(addon.conv2d(open(x), open(weight), optional(bias), sh, sw, ph, pw, dh, dw, groups)),
    conv2dBackward(grad, x, weight, { stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], groups }, needs) {
      const [input, dWeight, bias] = addon.conv2dBackward(
        open(grad),
        open(x),
        open(weight),
        sh,
        sw,
        ph,
        pw,
        dh,
        dw,
        groups,
        needs.input,
        needs.weight,
        needs.bias,
      );
      return { input: wrap(input), weight: wrap(dWeight), bias: wrap(bias) };
    },
    maxPool2d: (x, { kernelSize: [kh, kw], stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw] }) =>
      own(addon.maxPool2d(open(x), kh, kw, sh, sw, ph, pw, dh, dw)),
    maxPool2dBackward: (
      grad,
      x,
      y,
      { kernelSize: [kh, kw], stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw] },
    ) => own(addon.maxPool2dBackward(open(grad), open(x), open(y), kh, kw, sh, sw, ph, pw, dh, dw)),
    batchNorm(x, weight, bias, stats, eps) {
      const [output, mean, variance, invStd] = addon.batchNorm(
        open(x),
        optional(weight),
        optional(bias),
        stats === null ? -1 : open(stats.mean),
        stats === null ? -1 : open(stats.variance),
        eps,
      );
      return { output: own(output), mean: own(mean), variance: own(variance), invStd: own(invStd) };
    },
    batchNormBackward(grad, x, weight, mean, invStd, training, needs) {
      const [input, dWeight, bias] = addon.batchNormBackward(
        open(grad),
        open(x),
        optional(weight),
        open(mean),
        open(invStd),
        training,
        needs.input,
        needs.weight,
        needs.bias,
      );
      return { input: wrap(input), weight: wrap(dWeight), bias: wrap(bias) };
    },
    biasActivationBackward(grad, y, activation) {
      const [input, bias] = addon.biasActivationBackward(open(grad), open(y), ACTIVATION[activation]);
      return { input: own(input), bias: own(bias) };
    },
    accumulate: (sum, x, scale) => own(addon.accumulate(open(sum), open(x), scale)),
  };
}

/** The row kernels' entry points (a native addon's own: backend-cpu's and backend-cuda's have them). */
export interface NativeRowAddon {
  softmax(x: number): number;
  softmaxBackward(grad: number, y: number): number;
  /** weight and bias -1 when absent; returns [y, mean, invStd]. */
  layerNorm(x: number, weight: number, bias: number, eps: number): [number, number, number];
  layerNormBackward(
    grad: number,
    x: number,
    weight: number,
    mean: number,
    invStd: number,
    needInput: boolean,
    needWeight: boolean,
    needBias: boolean,
  ): [number | null, number | null, number | null];
}

/** The fused kernels over the last axis (softmax, layerNorm and their backward) over an addon that has them. */
export function nativeRowKernels(
  addon: NativeRowAddon,
  { own, open }: NativeHandleTable,
): Required<Pick<FusedKernels, 'softmax' | 'softmaxBackward' | 'layerNorm' | 'layerNormBackward'>> {
  const optional = (handle: BackendHandle | null): number => (handle === null ? -1 : open(handle));
  const wrap = (id: number | null): BackendHandle | null => (id === null ? null : own(id));
  return {
    softmax: (x) => own(addon.softmax(open(x))),
    softmaxBackward: (grad, y) => own(addon.softmaxBackward(open(grad), open(y))),
    layerNorm(x, weight, bias, eps) {
      const [output, mean, invStd] = addon.layerNorm(open(x), optional(weight), optional(bias), eps);
      return { output: own(output), mean: own(mean), invStd: own(invStd) };
    },
    layerNormBackward(grad, x, weight, mean, invStd, needs) {
      const [input, dWeight, bias] = addon.layerNormBackward(
        open(grad),
        open(x),
        optional(weight),
        open(mean),
        open(invStd),
        needs.input,
        needs.weight,
        needs.bias,
      );
      return { input: wrap(input), weight: wrap(dWeight), bias: wrap(bias) };
    },
  };
}
