// The fused LSTM and GRU cells (native/kernels/kernels-isa.cc) compute each step's activations,
// products and sums as the composed sigmoid, tanh, mul, add and sub kernels do and in the same
// order, so a layer's forward gives the composed layer's bits, in float32 (8 lanes and the tail
// of a row) and float64, on one thread and several; the gradients agree closely.
import { describe, expect, it } from 'vitest';
import { GRU, Generator, LSTM, fromHost, tidy, type Backend, type Tensor } from '@myelin/core';
import { createCpuBackend } from './index.js';

const composedOnly = (backend: Backend): Backend =>
  new Proxy(backend, { get: (target, key) => (key === 'fused' ? undefined : Reflect.get(target, key)) });

/** Output, h_n (and c_n) and the parameters' gradients of a 2-layer bidirectional layer on `b`. */
async function run(
  b: Backend,
  kind: 'LSTM' | 'GRU',
  dtype: 'float32' | 'float64',
  batch: number,
  hidden: number,
): Promise<{ values: number[][]; gradients: number[][] }> {
  const Layer = kind === 'LSTM' ? LSTM : GRU;
  const layer = new Layer(6, hidden, {
    numLayers: 2,
    bidirectional: true,
    generator: new Generator(5),
    dtype,
    backend: b,
  });
  const values = Float64Array.from(new Generator(8).normal(5 * batch * 6));
  const x = fromHost(dtype === 'float32' ? Float32Array.from(values) : values, [5, batch, 6], { backend: b, dtype });
  const outs = tidy(() => {
    const { output, state } = layer.forwardWithState(x);
    const results: Tensor[] = [output, state.h, ...('c' in state ? [state.c as Tensor] : [])];
    results.reduce<Tensor | null>((loss, t) => (loss === null ? t.sum() : loss.add(t.mul(t).sum())), null)!.backward();
    return results.map((t) => t.detach());
  });
  const read = async (t: Tensor) => Array.from(await t.data());
  const result = {
    values: await Promise.all(outs.map(read)),
    gradients: await Promise.all(layer.parameters().map((p) => read(p.grad!))),
  };
  for (const t of [...outs, ...layer.parameters(), x]) {
    t.grad?.dispose();
    t.dispose();
  }
  return result;
}

describe('fused recurrent cells on cpu', () => {
  for (const threads of [1, 4]) {
    const backend = createCpuBackend({ threads });
    for (const kind of ['LSTM', 'GRU'] as const) {
      for (const dtype of ['float32', 'float64'] as const) {
        // hidden 13: a vector and a tail per gate; batch 24 x hidden 64 splits across the threads
        for (const [batch, hidden] of [
          [3, 13],
          [24, 64],
        ] as const) {
          it(`${kind} ${dtype} batch ${batch} hidden ${hidden}, ${threads} thread(s): the composed forward's bits`, async () => {
            const calls = { forward: 0 };
            const fused = backend.fused!;
            const counted = new Proxy(backend, {
              get: (target, key) =>
                key === 'fused'
                  ? {
                      ...fused,
                      lstmCell: (...a: Parameters<NonNullable<typeof fused.lstmCell>>) => (
                        calls.forward++,
                        fused.lstmCell!(...a)
                      ),
                      gruCell: (...a: Parameters<NonNullable<typeof fused.gruCell>>) => (
                        calls.forward++,
                        fused.gruCell!(...a)
                      ),
                    }
                  : Reflect.get(target, key),
            });
            const withKernels = await run(counted, kind, dtype, batch, hidden);
            const composed = await run(composedOnly(backend), kind, dtype, batch, hidden);
            // 2 layers x 2 directions x 5 steps
            expect(calls.forward, 'one fused cell per step').toBe(20);
            withKernels.values.forEach((v, i) => expect(v, `output ${i}`).toEqual(composed.values[i]));
            const tolerance = dtype === 'float32' ? 1e-5 : 1e-12;
            withKernels.gradients.forEach((g, i) => {
              const worst = Math.max(
                ...g.map(
                  (v, j) => Math.abs(v - composed.gradients[i]![j]!) / (1 + Math.abs(composed.gradients[i]![j]!)),
                ),
              );
              expect(worst, `gradient ${i}: the largest relative difference`).toBeLessThanOrEqual(tolerance);
            });
          });
        }
      }
    }
  }
});
