// DistributedDataParallel: one model replica per rank, kept identical by broadcasting rank 0's
// state once and averaging gradients after every backward, like torch.nn.parallel.DistributedDataParallel.
import {
  ArgumentError,
  fromHost,
  type EpochLogs,
  type LoadStateDictResult,
  type Tensor,
  type TrainableModel,
} from '@myelin/core';
import type { Communicator, ReducePart } from './communicator.js';
import { DistributedError } from './errors.js';

export interface DistributedDataParallelOptions {
  /** Bytes per gradient all-reduce (default 25 MiB, PyTorch's bucket_cap_mb): a few large messages, not one per tensor. */
  bucketBytes?: number;
  /** Broadcast rank 0's parameters and buffers when wrapping (default true). */
  broadcastState?: boolean;
}

/** Time spent in collectives, for benchmarks and logs. */
export interface CommunicationStats {
  /** Gradient averagings done (optimizer steps). */
  steps: number;
  /** All-reduce calls made for gradients (buckets × steps). */
  allReduces: number;
  /** Seconds inside the gradient all-reduces alone (with the copy of the gradients into the reduction buffer). */
  allReduceSeconds: number;
  /** Seconds of the whole gradient sync: reading gradients, the all-reduces, writing them back. */
  syncSeconds: number;
}

type FloatArray = Float32Array | Float64Array;

interface Bucket {
  values: FloatArray;
  /** [parameter index, offset, length] */
  slots: [number, number, number][];
  /** Each slot's gradient as read this step (a number: that many zeros), for allReduceParts. */
  parts: ReducePart[];
}

const DEFAULT_BUCKET_BYTES = 25 * 1024 * 1024;

/** Keys whose values add up over ranks (throughput) or take the slowest rank (time); the rest are averaged. */
const SUMMED_LOGS = new Set(['samples_per_second', 'samplesPerSecond']);
const MAX_LOGS = new Set(['duration']);
/** Same on every rank by construction: never reduced. */
const SHARED_LOGS = new Set(['lr', 'epoch']);

export class DistributedDataParallel<M extends TrainableModel = TrainableModel> implements TrainableModel {
  readonly module: M;
  readonly comm: Communicator;
  readonly bucketBytes: number;
  readonly stats: CommunicationStats = { steps: 0, allReduces: 0, allReduceSeconds: 0, syncSeconds: 0 };
  #buckets: Bucket[] | null = null;
  #layoutKey = '';

  constructor(module: M, comm: Communicator, options: DistributedDataParallelOptions = {}) {
    this.module = module;
    this.comm = comm;
    this.bucketBytes = options.bucketBytes ?? DEFAULT_BUCKET_BYTES;
    if (!Number.isFinite(this.bucketBytes) || this.bucketBytes < 8)
      throw new ArgumentError(`DistributedDataParallel: bucketBytes must be at least 8, got ${options.bucketBytes}`);
    if (options.broadcastState ?? true) this.broadcastState();
  }

  get rank(): number {
    return this.comm.rank;
  }

  get worldSize(): number {
    return this.comm.size;
  }

  get training(): boolean {
    return this.module.training;
  }

  forward(input: Tensor, ...rest: Tensor[]): Tensor {
    return this.module.forward(input, ...rest);
  }

  train(mode?: boolean): this {
    this.module.train(mode);
    return this;
  }

  eval(): this {
    this.module.eval();
    return this;
  }

  parameters(): Tensor[] {
    return this.module.parameters();
  }

  stateDict(): Record<string, Tensor> {
    return this.module.stateDict?.() ?? Object.fromEntries(this.parameters().map((p, i) => [String(i), p]));
  }

  /** The wrapped model's load; what it returns (a Module: the keys a non-strict load skipped). */
  loadStateDict(state: Record<string, Tensor>, options?: { strict?: boolean }): LoadStateDictResult | void {
    if (!this.module.loadStateDict)
      throw new ArgumentError('DistributedDataParallel: the wrapped model has no loadStateDict');
    return this.module.loadStateDict(state, options);
  }

  /**
   * Copies `root`'s parameters and buffers to every rank (in name order), so all replicas start
   * identical: after construction, and after loading a checkpoint on one rank only.
   */
  broadcastState(root = 0): void {
    if (this.comm.size === 1) return;
    const state = this.stateDict();
    const names = Object.keys(state).sort();
    // The layout must agree before any bytes move, or a rank would read another's tensors.
    const layout = names.map((n) => `${n}:${state[n]!.dtype}:${state[n]!.shape.join('x')}`).join(';');
    this.#agree(layout, 'the models differ between ranks (parameter names, dtypes or shapes)');
    for (const name of names) {
      const tensor = state[name]!;
      const values = readHost(tensor).slice();
      this.comm.broadcast(values, root);
      if (this.comm.rank !== root)
        tensor.assign(fromHost(values, tensor.shape, { backend: tensor.backend, dtype: tensor.dtype }));
    }
  }

  /**
   * Averages every parameter's gradient over the ranks, in place, in buckets of about
   * `bucketBytes` (one all-reduce each). A parameter without a gradient on this rank counts as
   * zeros. Call it between backward and the optimizer step (distributedFit does).
   */
  syncGradients(parameters: readonly Tensor[] = this.parameters()): void {
    if (this.comm.size === 1) return;
    const started = performance.now();
    const trained = parameters.filter((p) => p.requiresGrad);
    const buckets = this.#bucketsFor(trained);
    for (const bucket of buckets) {
      const { parts, slots, values } = bucket;
      // Where the backend reads into a given array, each gradient is copied once, straight into
      // its place in the bucket (no host copy allocated per step); else the gradients go from
      // their host copies into the reduction (allReduceParts: no copy into the bucket first)
      // when the communicator can and they have the bucket's type.
      let direct = this.comm.allReduceParts !== undefined;
      let inPlace = true; // every gradient so far was read into its place in the bucket
      let anyInPlace = false;
      for (let k = 0; k < slots.length; k++) {
        const [index, offset, length] = slots[k]!;
        const grad = trained[index]!.grad;
        if (grad === null) {
          values.fill(0, offset, offset + length);
          parts[k] = length;
        } else if (
          inPlace &&
          grad.backend.readInto &&
          grad.dtype === (values instanceof Float64Array ? 'float64' : 'float32')
        ) {
          grad.backend.readInto(grad.handle, values.subarray(offset, offset + length));
          parts[k] = values.subarray(offset, offset + length);
          anyInPlace = true;
        } else {
          inPlace = false;
          const part = readHost(grad);
          if (part.constructor !== values.constructor) direct = false;
          parts[k] = part;
        }
      }
      // Parts that are views of the bucket may not go to allReduceParts (they would overlap it).
      if (anyInPlace) direct = false;
      if (!inPlace && !direct)
        for (let k = 0; k < slots.length; k++) {
          const [, offset, length] = slots[k]!;
          const part = parts[k]!;
          if (typeof part === 'number') values.fill(0, offset, offset + length);
          else values.set(part, offset);
        }
      const reduceStarted = performance.now();
      // The sum and the division by the number of ranks in one native pass.
      if (direct) this.comm.allReduceParts!(parts, values, 'mean');
      else this.comm.allReduce(values, 'mean');
      this.stats.allReduceSeconds += (performance.now() - reduceStarted) / 1000;
      this.stats.allReduces++;
      parts.fill(0); // let the host copies go
      for (const [index, offset, length] of slots) {
        const parameter = trained[index]!;
        const averaged = values.subarray(offset, offset + length);
        parameter.grad = fromHost(averaged, parameter.shape, { backend: parameter.backend, dtype: parameter.dtype });
      }
    }
    this.stats.steps++;
    this.stats.syncSeconds += (performance.now() - started) / 1000;
  }

  /**
   * The epoch logs of every rank combined, the same on all ranks: losses and metrics averaged
   * (each rank saw as many samples: DistributedSampler pads), throughput summed, duration the slowest.
   */
  reduceLogs(logs: EpochLogs): EpochLogs {
    if (this.comm.size === 1) return { ...logs };
    const keys = Object.keys(logs)
      .filter((k) => !SHARED_LOGS.has(k))
      .sort();
    this.#agree(keys.join(','), `the ranks logged different quantities (${keys.join(', ')} here)`);
    const sums = Float64Array.from(keys.filter((k) => !MAX_LOGS.has(k)).map((k) => logs[k]!));
    const maxima = Float64Array.from(keys.filter((k) => MAX_LOGS.has(k)).map((k) => logs[k]!));
    this.comm.allReduce(sums, 'sum');
    this.comm.allReduce(maxima, 'max');
    const out: EpochLogs = { ...logs };
    let s = 0;
    let m = 0;
    for (const key of keys) {
      if (MAX_LOGS.has(key)) out[key] = maxima[m++]!;
      else out[key] = SUMMED_LOGS.has(key) ? sums[s++]! : sums[s++]! / this.comm.size;
    }
    return out;
  }

  /** One number averaged over ranks (a monitored value for a schedule). */
  averageScalar(value: number): number {
    if (this.comm.size === 1) return value;
    const buffer = Float64Array.of(value);
    this.comm.allReduce(buffer, 'sum');
    return buffer[0]! / this.comm.size;
  }

  #bucketsFor(parameters: readonly Tensor[]): Bucket[] {
    const key = parameters.map((p) => `${p.dtype}:${p.size}`).join(',');
    if (this.#buckets !== null && key === this.#layoutKey) return this.#buckets;
    this.#agree(key, 'the ranks train different parameters (count, dtypes or sizes)');
    const buckets: { dtype: string; slots: [number, number, number][]; length: number }[] = [];
    const open = new Map<string, (typeof buckets)[number]>();
    parameters.forEach((p, index) => {
      if (p.dtype !== 'float32' && p.dtype !== 'float64')
        throw new DistributedError(
          `syncGradients: parameter ${index} is ${p.dtype}; only float32 and float64 gradients are averaged`,
        );
      const bytesPer = p.dtype === 'float64' ? 8 : 4;
      let bucket = open.get(p.dtype);
      if (bucket === undefined || (bucket.length + p.size) * bytesPer > this.bucketBytes) {
        bucket = { dtype: p.dtype, slots: [], length: 0 };
        buckets.push(bucket);
        open.set(p.dtype, bucket);
      }
      bucket.slots.push([index, bucket.length, p.size]);
      bucket.length += p.size;
    });
    this.#buckets = buckets.map((b) => ({
      values: b.dtype === 'float64' ? new Float64Array(b.length) : new Float32Array(b.length),
      slots: b.slots,
      parts: b.slots.map(() => 0),
    }));
    this.#layoutKey = key;
    return this.#buckets;
  }

  /** Throws on every rank when `text` differs between ranks (compared by a 64-bit hash). */
  #agree(text: string, problem: string): void {
    const hash = Int32Array.from(fnv(text));
    const low = hash.slice();
    this.comm.allReduce(hash, 'max');
    this.comm.allReduce(low, 'min');
    if (hash[0] !== low[0] || hash[1] !== low[1]) throw new DistributedError(`DistributedDataParallel: ${problem}`);
  }
}

/**
 * A tensor's values on the host, now. A GPU backend that keeps the contract's `readSync` off
 * (it stalls the device) may offer `readBlocking` for code that must wait anyway, as the
 * gradient sync does between backward and the optimizer step (host staging, as PyTorch's
 * Gloo path copies CUDA gradients to the host).
 */
function readHost(tensor: Tensor): FloatArray {
  if (tensor.backend.readSync) return tensor.dataSync() as FloatArray;
  const blocking = (tensor.backend as { readBlocking?: (handle: unknown) => unknown }).readBlocking;
  if (typeof blocking === 'function') return blocking.call(tensor.backend, tensor.handle) as FloatArray;
  throw new DistributedError(
    `DistributedDataParallel needs a backend that reads synchronously (readSync or readBlocking); '${tensor.backend.name}' has neither`,
  );
}

/** Two 32-bit FNV-1a hashes (different seeds) of a string. */
function fnv(text: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return [a | 0, b | 0];
}
