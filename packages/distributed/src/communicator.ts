// The collectives data-parallel training uses, over MPI or (one process) over nothing.
import { DistributedError, MPI_INSTALL_HINT } from './errors.js';
import { loadAddon, type MpiAddon } from './native.js';

/** `mean` is the sum divided by the number of ranks (float arrays only). */
export type ReduceOp = 'sum' | 'max' | 'min' | 'mean';
const OPS: Record<ReduceOp, number> = { sum: 0, max: 1, min: 2, mean: 3 };

/** A piece of `allReduceParts`' input: a float array, or a number: that many zeros. */
export type ReducePart = Float32Array | Float64Array | number;

/** A group of processes (ranks) that run the same program; every call is collective and blocking. */
export interface Communicator {
  readonly rank: number;
  readonly size: number;
  /** Where this rank runs (the host name under MPI). */
  readonly processor: string;
  /**
   * Replaces `values` on every rank by the element-wise sum (max, min, mean) over ranks. Every
   * rank gets the same bits.
   */
  allReduce(values: Float32Array | Float64Array | Int32Array, op?: ReduceOp): void;
  /**
   * Optional: the same as copying `parts` end to end into `out` and then `allReduce(out, op)`,
   * without that copy. Every part has out's type, their lengths add up to out's, none overlaps it.
   */
  allReduceParts?(parts: readonly ReducePart[], out: Float32Array | Float64Array, op?: 'sum' | 'mean'): void;
  /** Copies `root`'s `values` into every rank's `values` (same length everywhere). */
  broadcast(values: ArrayBufferView, root?: number): void;
  barrier(): void;
  /** Ends every rank of the job with `code` (MPI_Abort); does not return under MPI. */
  abort(code?: number): void;
  finalize(): void;
}

/** The one-process group: every collective is the identity. */
export class LocalCommunicator implements Communicator {
  readonly rank = 0;
  readonly size = 1;
  readonly processor = 'local';
  allReduce(): void {}
  allReduceParts(parts: readonly ReducePart[], out: Float32Array | Float64Array): void {
    let at = 0;
    for (const part of parts) {
      if (typeof part === 'number') out.fill(0, at, (at += part));
      else {
        out.set(part, at);
        at += part.length;
      }
    }
    if (at !== out.length)
      throw new DistributedError(`allReduceParts: the parts hold ${at} elements, out ${out.length}`);
  }
  broadcast(): void {}
  barrier(): void {}
  abort(code = 1): void {
    process.exit(code);
  }
  finalize(): void {}
}

/** MPI_COMM_WORLD through the addon. Create it with `initMpi()`. */
export class MpiCommunicator implements Communicator {
  readonly #addon: MpiAddon;
  readonly rank: number;
  readonly size: number;
  readonly processor: string;

  constructor(addon: MpiAddon) {
    this.#addon = addon;
    const { rank, size, processor } = addon.init();
    this.rank = rank;
    this.size = size;
    this.processor = processor;
  }

  allReduce(values: Float32Array | Float64Array | Int32Array, op: ReduceOp = 'sum'): void {
    const code = Object.hasOwn(OPS, op) ? OPS[op] : undefined;
    if (code === undefined)
      throw new DistributedError(`allReduce: op must be 'sum', 'max', 'min' or 'mean', got '${op}'`);
    if (!(values instanceof Float32Array || values instanceof Float64Array || values instanceof Int32Array))
      throw new DistributedError(
        `allReduce: expected a Float32Array, Float64Array or Int32Array, got ${(values as object)?.constructor?.name ?? typeof values}`,
      );
    if (op === 'mean' && values instanceof Int32Array)
      throw new DistributedError('allReduce: mean needs a Float32Array or Float64Array, got Int32Array');
    if (values.length > 0) native(() => this.#addon.allReduce(values, code));
  }

  allReduceParts(parts: readonly ReducePart[], out: Float32Array | Float64Array, op: 'sum' | 'mean' = 'sum'): void {
    if (op !== 'sum' && op !== 'mean')
      throw new DistributedError(`allReduceParts: op must be 'sum' or 'mean', got '${op}'`);
    if (!(out instanceof Float32Array || out instanceof Float64Array))
      throw new DistributedError('allReduceParts: out must be a Float32Array or Float64Array');
    native(() => this.#addon.allReduceParts(parts, out, OPS[op]));
  }

  broadcast(values: ArrayBufferView, root = 0): void {
    if (!Number.isInteger(root) || root < 0 || root >= this.size)
      throw new DistributedError(`broadcast: root ${root} is not a rank of 0..${this.size - 1}`);
    if (!ArrayBuffer.isView(values) || values instanceof DataView)
      throw new DistributedError('broadcast: expected a typed array or Buffer');
    if (values.byteLength > 0) native(() => this.#addon.broadcast(values, root));
  }

  barrier(): void {
    native(() => this.#addon.barrier());
  }

  abort(code = 1): void {
    this.#addon.abort(code);
  }

  /** Ends MPI in this process (once; later collectives throw). */
  finalize(): void {
    this.#addon.finalize();
  }

  /**
   * Whether float sums and means go through an MPI-3 shared-memory window instead of
   * MPI_Allreduce: every rank runs on this node, and none has MYELIN_MPI_SHARED_MEMORY=0.
   */
  get sharedMemory(): boolean {
    return this.#addon.sharedMemory();
  }

  get finalized(): boolean {
    return this.#addon.finalized();
  }
}

/** Runs an addon call, turning its errors (code MYELIN_MPI) into DistributedErrors. */
function native<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    if ((error as { code?: unknown }).code === 'MYELIN_MPI') throw new DistributedError((error as Error).message);
    throw error;
  }
}

let world: MpiCommunicator | null = null;

/**
 * Initialises MPI (once per process) and returns MPI_COMM_WORLD. Throws one DistributedError
 * naming what to install when the addon is missing or libmpi does not load.
 */
export function initMpi(): MpiCommunicator {
  if (world !== null) return world;
  const result = loadAddon();
  if (result.addon === undefined) throw new DistributedError(`MPI is not usable: ${result.error}`);
  try {
    world = new MpiCommunicator(result.addon);
  } catch (error) {
    if (error instanceof DistributedError) throw error;
    throw new DistributedError(`MPI could not start: ${(error as Error).message}; ${MPI_INSTALL_HINT}`);
  }
  return world;
}
