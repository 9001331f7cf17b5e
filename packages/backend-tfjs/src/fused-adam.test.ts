import { Adam, AdamW, fromHost, type AdamUpdateOptions, type Backend } from '@myelin/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpuBackend, expectHandle, make, take, tf } from './test-helpers.js';

let b: Backend;
beforeAll(async () => {
  b = await cpuBackend();
});

const adamUpdate = (...args: Parameters<NonNullable<NonNullable<Backend['fused']>['adamUpdate']>>) =>
  b.fused!.adamUpdate!(...args);
const base: AdamUpdateOptions = {
  lr: 0.1,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
  decoupledWeightDecay: false,
  step: 1,
};

/** The contract's formula in float64 for one element. */
function reference(p: number, g: number, m: number, v: number, o: AdamUpdateOptions): [number, number, number] {
  if (o.decoupledWeightDecay) p *= 1 - o.lr * o.weightDecay;
  else g += o.weightDecay * p;
  const m1 = o.beta1 * m + (1 - o.beta1) * g;
  const v1 = o.beta2 * v + (1 - o.beta2) * g * g;
  const p1 = p - (o.lr * (m1 / (1 - o.beta1 ** o.step))) / (Math.sqrt(v1 / (1 - o.beta2 ** o.step)) + o.eps);
  return [p1, m1, v1];
}

describe('fused.adamUpdate', () => {
  const P = [1, -2, 0.5, 3];
  const G = [0.5, -1, 0.25, 2];
  const M = [0.1, 0, -0.2, 0.3];
  const V = [0.01, 0.02, 0.03, 0.5];

  for (const [name, options] of [
    ['Adam, first step', base],
    ['Adam with L2 weight decay, step 3', { ...base, weightDecay: 0.1, step: 3 }],
    [
      'AdamW (decoupled decay), step 7',
      { ...base, weightDecay: 0.1, decoupledWeightDecay: true, step: 7, beta1: 0.8, beta2: 0.99, eps: 1e-6 },
    ],
  ] as const) {
    it(`${name}: param, m and v follow the contract's formula; inputs unchanged`, async () => {
      const [p, g, m, v] = [P, G, M, V].map((values) => make(b, values, [2, 2]));
      const out = adamUpdate(p!, g!, m!, v!, options);
      const want = P.map((_, i) => reference(P[i]!, G[i]!, M[i]!, V[i]!, options));
      const close = async (h: typeof p, values: number[]) => {
        const got = await take(b, h!);
        got.forEach((x, i) =>
          expect(Math.abs(x - values[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(values[i]!))),
        );
      };
      await close(
        out.param,
        want.map((w) => w[0]),
      );
      await close(
        out.m,
        want.map((w) => w[1]),
      );
      await close(
        out.v,
        want.map((w) => w[2]),
      );
      await expectHandle(b, p!, [2, 2], P);
      await expectHandle(b, m!, [2, 2], M);
      for (const h of [g!, v!]) b.dispose(h);
    });
  }

  it('leaks nothing: three new tfjs tensors, tracked as three live handles', () => {
    const handles = [P, G, M, V].map((values) => make(b, values, [4]));
    const tensorsBefore = tf.memory().numTensors;
    const liveBefore = b.liveHandles();
    const out = adamUpdate(handles[0]!, handles[1]!, handles[2]!, handles[3]!, {
      ...base,
      weightDecay: 0.1,
      decoupledWeightDecay: true,
    });
    expect(tf.memory().numTensors - tensorsBefore).toBe(3);
    expect(b.liveHandles() - liveBefore).toBe(3);
    for (const h of [out.param, out.m, out.v, ...handles]) b.dispose(h);
    expect(tf.memory().numTensors).toBe(tensorsBefore - 4);
  });

  it('rejects non-float32 handles with UnsupportedOpError', () => {
    const i = make(b, [1, 2], [2], 'int32');
    expect(() => adamUpdate(i, i, i, i, base)).toThrow(
      "backend 'tfjs-cpu' does not support op 'adamUpdate' for dtype int32",
    );
    b.dispose(i);
  });

  it("core's Adam and AdamW use it, with the same numbers as composed ops and flat memory", async () => {
    for (const Optimizer of [Adam, AdamW]) {
      const start = Float32Array.from([0.5, -1.5, 2, 0.1]);
      const [fused, composed] = [0, 1].map(() => fromHost(start, [4], { backend: b, requiresGrad: true }));
      const a = new Optimizer([fused!], { lr: 0.05, weightDecay: 0.1, fused: true });
      const c = new Optimizer([composed!], { lr: 0.05, weightDecay: 0.1, fused: false });
      const live: number[] = [];
      for (let step = 0; step < 5; step++) {
        for (const p of [fused!, composed!])
          p.grad = fromHost(Float32Array.from([0.3, -0.2, 1, step]), [4], { backend: b });
        a.step();
        c.step();
        live.push(tf.memory().numTensors);
      }
      expect(live[4]).toBe(live[0]);
      const [x, y] = await Promise.all([fused!.data(), composed!.data()]);
      expect(Array.from(x)).toEqual(Array.from(y));
      for (const o of [a, c]) o.dispose();
      for (const p of [fused!, composed!]) p.dispose();
    }
  });
});
