// The JavaScript side of a native addon's tensor table, shared by backend-cpu and backend-cuda:
// handles that are ids into the addon's table, ownership checks, a FinalizationRegistry for
// handles dropped without dispose(), and the primitive kernels whose addon entry points take
// and return ids in the same way in both addons.
import type { Backend, BackendHandle } from './contract.js';
import { BackendMismatchError, DisposedTensorError } from '../errors.js';
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
  };
}

/** The entry points of the primitive kernels, alike in both native addons: ids in, an id out. */
export interface NativePrimitiveAddon {
  unary(op: number, id: number): number;
  cast(id: number, dtype: number): number;
  binary(op: number, a: number, b: number): number;
  where(c: number, a: number, b: number): number;
  reduce(op: number, id: number, axes: readonly number[], keepDims: boolean): number;
  argmax(id: number, axis: number): number;
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
  | 'unary'
  | 'cast'
  | 'binary'
  | 'where'
  | 'reduce'
  | 'argmax'
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

/** The contract's elementwise, reduction, movement and matmul kernels over a native addon. */
export function nativePrimitiveKernels(addon: NativePrimitiveAddon, table: NativeHandleTable): PrimitiveKernels {
  const { own, open } = table;
  const { dtype: DTYPE, unary: UNARY, binary: BINARY, reduce: REDUCE } = NATIVE_CODES;
  return {
    unary: (op, x) => own(addon.unary(UNARY[op], open(x))),
    cast: (x, dtype) => own(addon.cast(open(x), DTYPE[dtype])),
    binary: (op, a, b) => own(addon.binary(BINARY[op], open(a), open(b))),
    where: (condition, a, b) => own(addon.where(open(condition), open(a), open(b))),
    reduce: (op, x, axes, keepDims) => own(addon.reduce(REDUCE[op], open(x), axes, keepDims)),
    argmax: (x, axis) => own(addon.argmax(open(x), axis)),
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
