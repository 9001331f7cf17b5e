// DistributedDataParallel's gradient sync on a backend without the contract's readSync: it reads
// through the backend's readBlocking where there is one (the native CUDA engine's host staging),
// and names what is missing where there is none. A two-rank communicator in this process stands
// in for MPI: the other rank holds the same gradients, so the mean leaves them as they are.
import { describe, expect, it } from 'vitest';
import { Linear, fromHost, manualSeed, registerBackend, setBackend, type Backend } from '@myelin/core';
import { createCpuReferenceBackend } from '@myelin/backend-cpu-reference';
import type { Communicator, ReducePart } from './communicator.js';
import { DistributedDataParallel } from './ddp.js';

/** Two ranks with equal values: a sum doubles, a mean keeps, max and min keep. */
class MirroredCommunicator implements Communicator {
  readonly rank = 0;
  readonly size = 2;
  readonly processor = 'test';
  allReduce(values: Float32Array | Float64Array | Int32Array, op = 'sum'): void {
    if (op === 'sum') for (let i = 0; i < values.length; i++) values[i] = values[i]! * 2;
  }
  allReduceParts(parts: readonly ReducePart[], out: Float32Array | Float64Array, op: 'sum' | 'mean' = 'sum'): void {
    let at = 0;
    for (const part of parts) {
      if (typeof part === 'number') out.fill(0, at, (at += part));
      else out.set(part, (at += part.length) - part.length);
    }
    if (op === 'sum') for (let i = 0; i < out.length; i++) out[i] = out[i]! * 2;
  }
  broadcast(): void {}
  barrier(): void {}
  abort(): void {}
  finalize(): void {}
}

/** cpu-reference without readSync, with or without a readBlocking. */
function asyncOnly(name: string, blocking: boolean): Backend {
  const base = createCpuReferenceBackend();
  return new Proxy(base, {
    get(target, property, receiver) {
      if (property === 'name') return name;
      if (property === 'readSync') return undefined;
      if (property === 'readBlocking') return blocking ? (handle: never) => target.readSync!(handle) : undefined;
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('DistributedDataParallel.loadStateDict', () => {
  it("returns the wrapped module's report of what a non-strict load skipped, as PyTorch's DDP does", () => {
    setBackend('cpu-reference');
    const model = new Linear(3, 2);
    const ddp = new DistributedDataParallel(model, new MirroredCommunicator());
    const { weight } = model.stateDict();
    expect(ddp.loadStateDict({ weight: weight!, extra: weight! }, { strict: false })).toEqual({
      missingKeys: ['bias'],
      unexpectedKeys: ['extra'],
    });
  });
});

describe('DistributedDataParallel on a backend that reads only asynchronously', () => {
  it("reads the gradients through the backend's readBlocking", () => {
    registerBackend('async-with-blocking', () => asyncOnly('async-with-blocking', true));
    setBackend('async-with-blocking');
    manualSeed(3);
    const model = new Linear(3, 2);
    const x = fromHost(Float32Array.of(1, 2, 3, -1, 0, 2), [2, 3]);
    model.forward(x).square().sum().backward();
    const read = (h: unknown) =>
      (model.weight.backend as unknown as { readBlocking(h: unknown): Float32Array }).readBlocking(h);
    const expected = model.parameters().map((p) => Array.from(read(p.grad!.handle)));
    new DistributedDataParallel(model, new MirroredCommunicator()).syncGradients();
    // The mean over two equal ranks: the same gradients, now synced.
    expect(model.parameters().map((p) => Array.from(read(p.grad!.handle)))).toEqual(expected);
  });

  it('names what is missing on a backend with neither readSync nor readBlocking', () => {
    registerBackend('async-only', () => asyncOnly('async-only', false));
    setBackend('async-only');
    manualSeed(3);
    const model = new Linear(3, 2);
    const x = fromHost(Float32Array.of(1, 2, 3, -1, 0, 2), [2, 3]);
    model.forward(x).square().sum().backward();
    expect(() => new DistributedDataParallel(model, new MirroredCommunicator()).syncGradients()).toThrow(
      "DistributedDataParallel needs a backend that reads synchronously (readSync or readBlocking); 'async-only' has neither",
    );
  });
});
