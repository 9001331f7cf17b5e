import { expect, type TestContext } from 'vitest';
import {
  GRU,
  Generator,
  LSTM,
  ShapeError,
  fromHost,
  packPaddedSequence,
  tidy,
  type Backend,
  type FusedKernelName,
  type PackedSequence,
  type Tensor,
} from '@myelin/core';
import { expectClose, type Tolerance } from '../compare.js';

// The recurrent cells' fused kernels (lstmCell, gruCell and their backward) against the composed
// steps on the same backend: whole layers (2 layers, bidirectional, batchFirst), dense and packed
// with shrinking batch sizes, with and without an initial state, float32 and float64. A hidden
// size of 9 gives a row a full 8-lane vector and a tail.

/** The name of the case below, for FUSED_KERNEL_CASES. */
export const RECURRENT_KERNEL_CASE = 'lstmCell / gruCell: forward and gradients, fused vs composed';

const BATCH = 4;
const SEQ = 4;
const INPUT = 3;
const HIDDEN = 9;
const LAYERS = 2;
const STATES = LAYERS * 2;

interface Variant {
  label: string;
  /** Each sequence's length when packed (unsorted), or null for the dense batch. */
  lengths: number[] | null;
  withState: boolean;
}

const VARIANTS: Variant[] = [
  { label: 'dense, zero state', lengths: null, withState: false },
  { label: 'dense, given state', lengths: null, withState: true },
  { label: 'packed lengths [3, 4, 1, 3], given state', lengths: [3, 4, 1, 3], withState: true },
  { label: 'packed lengths [2, 4, 4, 1], zero state', lengths: [2, 4, 4, 1], withState: false },
];

/**
 * The output, final state and every gradient (parameters, input, initial state) of one layer run
 * on `b`, the outputs seeded by a fixed ramp; checks that nothing but what it made survives.
 */
async function runLayer(
  b: Backend,
  kind: 'LSTM' | 'GRU',
  dtype: 'float32' | 'float64',
  variant: Variant,
  values: { x: number[]; h: number[]; c: number[] },
): Promise<number[][]> {
  const array = (v: number[]) => (dtype === 'float32' ? Float32Array.from(v) : Float64Array.from(v));
  const before = b.liveHandles();
  const Layer = kind === 'LSTM' ? LSTM : GRU;
  const layer = new Layer(INPUT, HIDDEN, {
    numLayers: LAYERS,
    bidirectional: true,
    batchFirst: true,
    generator: new Generator(11),
    dtype,
    backend: b,
  });
  const x = fromHost(array(values.x), [BATCH, SEQ, INPUT], { backend: b, dtype, requiresGrad: true });
  const stateShape = [STATES, BATCH, HIDDEN];
  const h0 = fromHost(array(values.h), stateShape, { backend: b, dtype, requiresGrad: true });
  const c0 = fromHost(array(values.c), stateShape, { backend: b, dtype, requiresGrad: true });
  const outs = tidy(() => {
    const input: Tensor | PackedSequence =
      variant.lengths === null ? x : packPaddedSequence(x, variant.lengths, { batchFirst: true, enforceSorted: false });
    const given = variant.withState ? (kind === 'LSTM' ? { h: h0, c: c0 } : { h: h0 }) : undefined;
    const { output, state } = (layer as LSTM).forwardWithState(input as Tensor, given as { h: Tensor; c: Tensor });
    const data = variant.lengths === null ? (output as Tensor) : (output as unknown as PackedSequence).data;
    const results = [data, state.h, ...(kind === 'LSTM' ? [state.c] : [])];
    let loss: Tensor | null = null;
    for (const t of results) {
      const ramp = fromHost(array(Array.from({ length: t.size }, (_, i) => 0.5 + ((i * 7) % 5) / 4)), [...t.shape], {
        backend: b,
        dtype,
      });
      const term = t.mul(ramp).sum();
      loss = loss === null ? term : loss.add(term);
    }
    loss!.backward();
    return results.map((t) => t.detach());
  });
  const read = async (t: Tensor) => Array.from(await t.data());
  const results = await Promise.all(outs.map(read));
  const watched = [...layer.parameters(), x, ...(variant.withState ? [h0, ...(kind === 'LSTM' ? [c0] : [])] : [])];
  for (const t of watched) results.push(await read(t.grad!));
  for (const t of [...outs, ...layer.parameters(), x, h0, c0]) {
    t.grad?.dispose();
    t.dispose();
  }
  expect(b.liveHandles(), `${kind} ${dtype} ${variant.label}: no handle left behind`).toBe(before);
  return results;
}

interface RecurrentKernelOptions {
  test: (name: string, fn: (context: TestContext) => Promise<void>) => void;
  needs: (context: TestContext, ...kernels: FusedKernelName[]) => Promise<Backend | undefined>;
  composedOnly: (backend: Backend) => Backend;
  tolerance: { forward: Tolerance; gradient: Tolerance };
  floats: (n: number, scale?: number) => Float32Array;
}

/** Each cell's kernel pair: a backend may implement either pair alone. */
const PAIRS = {
  LSTM: ['lstmCell', 'lstmCellBackward'],
  GRU: ['gruCell', 'gruCellBackward'],
} as const satisfies Record<string, readonly [FusedKernelName, FusedKernelName]>;

/** `backend` with its fused kernels' calls counted into `counts`, so the case can tell the kernels ran. */
function counting(backend: Backend, counts: Map<string, number>): Backend {
  const fused = backend.fused;
  if (fused === undefined) return backend;
  const wrapped = new Proxy(fused, {
    get: (target, key) => {
      const value: unknown = Reflect.get(target, key);
      if (typeof value !== 'function' || typeof key !== 'string') return value;
      return (...args: unknown[]) => {
        counts.set(key, (counts.get(key) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return new Proxy(backend, { get: (target, key) => (key === 'fused' ? wrapped : Reflect.get(target, key)) });
}

/** Registers the recurrent cells' case (called inside describeFusedConformance's describe block). */
export function recurrentKernelTests({ test, needs, composedOnly, tolerance, floats }: RecurrentKernelOptions): void {
  const float64Tolerance: Tolerance = { atol: 1e-12, rtol: 1e-10 };
  test(RECURRENT_KERNEL_CASE, async (context) => {
    const b = await needs(context, 'lstmCell', 'lstmCellBackward', 'gruCell', 'gruCellBackward');
    if (b === undefined) return;
    const values = {
      x: Array.from(floats(BATCH * SEQ * INPUT)),
      h: Array.from(floats(STATES * BATCH * HIDDEN, 0.5)),
      c: Array.from(floats(STATES * BATCH * HIDDEN, 0.5)),
    };
    const has = (kind: keyof typeof PAIRS) => PAIRS[kind].every((k) => b.fused?.[k] !== undefined);
    for (const kind of ['LSTM', 'GRU'] as const) {
      if (!has(kind)) continue;
      for (const dtype of ['float32', 'float64'] as const) {
        if (!b.dtypes.includes(dtype)) continue;
        const [forward, gradient] =
          dtype === 'float32' ? [tolerance.forward, tolerance.gradient] : [float64Tolerance, float64Tolerance];
        for (const variant of VARIANTS) {
          const label = `${kind} ${dtype} ${variant.label}`;
          const counts = new Map<string, number>();
          const fused = await runLayer(counting(b, counts), kind, dtype, variant, values);
          // The kernels really ran (a routing regression would compare composed with composed).
          for (const kernel of PAIRS[kind])
            expect(counts.get(kernel) ?? 0, `${label}: ${kernel} calls`).toBeGreaterThan(0);
          const composed = await runLayer(composedOnly(b), kind, dtype, variant, values);
          expect(fused.length, label).toBe(composed.length);
          const outputs = kind === 'LSTM' ? 3 : 2;
          fused.forEach((v, i) =>
            expectClose(
              v,
              composed[i]!,
              i < outputs ? forward : gradient,
              `${label}: ${i < outputs ? 'output' : 'gradient'} ${i}`,
            ),
          );
        }
      }
    }
    // The kernels refuse operands that do not fit together, naming the op and the shapes.
    const t = (shape: number[]) => fromHost(new Float32Array(shape[0]! * shape[1]!), shape, { backend: b });
    const gates = t([2, 12]);
    const state = t([2, 5]);
    const gx = t([2, 9]);
    const h = t([2, 4]);
    const before = b.liveHandles();
    const fused = b.fused!;
    if (has('LSTM')) {
      expect(() => fused.lstmCell!.call(fused, gates.handle, state.handle)).toThrow(ShapeError);
      expect(() => fused.lstmCell!.call(fused, gates.handle, state.handle)).toThrow(
        /lstmCell.*state.*\[2, ?5\].*\[2, ?6\]/,
      );
      expect(() => fused.lstmCellBackward!.call(fused, state.handle, gates.handle, state.handle)).toThrow(ShapeError);
    }
    if (has('GRU')) {
      expect(() => fused.gruCell!.call(fused, gx.handle, gx.handle, h.handle)).toThrow(
        /gruCell.*h.*\[2, ?4\].*\[2, ?3\]/,
      );
      expect(() => fused.gruCellBackward!.call(fused, h.handle, gx.handle, gx.handle, h.handle)).toThrow(ShapeError);
    }
    expect(b.liveHandles(), 'a refused call leaves no handle').toBe(before);
    for (const x of [gates, state, gx, h]) x.dispose();
  });
}
