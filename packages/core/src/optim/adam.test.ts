import { describe, expect, it } from 'vitest';
import { createCpuReferenceBackend } from '@myelin/backend-cpu-reference';
import { Adam, AdamW, ArgumentError, fromHost, type Tensor } from '@myelin/core';
import { fakeFusedBackend, param, quadraticGrad, setGrad, values } from './test-helpers.js';

interface Reference {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  decoupled: boolean;
}

/** torch.optim.Adam / AdamW written out in float64 from the documented algorithm, one scalar parameter. */
function referenceAdam(p0: number, grads: number[], o: Reference): number[] {
  let [p, m, v] = [p0, 0, 0];
  return grads.map((grad, i) => {
    const t = i + 1;
    let g = grad;
    if (o.decoupled) p = p * (1 - o.lr * o.weightDecay);
    else g = g + o.weightDecay * p;
    m = o.beta1 * m + (1 - o.beta1) * g;
    v = o.beta2 * v + (1 - o.beta2) * g * g;
    const mHat = m / (1 - o.beta1 ** t);
    const vHat = v / (1 - o.beta2 ** t);
    p = p - (o.lr * mHat) / (Math.sqrt(vHat) + o.eps);
    return p;
  });
}

function run(make: (p: Tensor) => Adam, grads: number[]): number[] {
  const p = param([1]);
  const opt = make(p);
  return grads.map((g) => {
    setGrad(p, [g]);
    opt.step();
    return values(p)[0]!;
  });
}

const defaults = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false };
const grads = [0.5, -1, 0.25, 2];

describe('Adam: hand-checked steps (torch.optim.Adam)', () => {
  it('the first step moves by lr in the direction of -sign(g); later steps follow the formula', () => {
    const got = run((p) => new Adam([p], { lr: 0.1 }), grads);
    // step 1: m = 0.05, v = 0.00025, mHat = 0.5, vHat = 0.25: p = 1 - 0.1 * 0.5 / 0.5 = 0.9
    expect(got[0]).toBeCloseTo(0.9, 6);
    // step 2: m = -0.055, v = 0.00124975, mHat = -0.289474, sqrt(vHat) = 0.790689: p = 0.936610
    expect(got[1]).toBeCloseTo(0.93661, 5);
    referenceAdam(1, grads, defaults).forEach((want, i) => expect(got[i]).toBeCloseTo(want, 6));
  });

  it('weight decay adds wd * p to the gradient (L2)', () => {
    const got = run((p) => new Adam([p], { lr: 0.1, weightDecay: 0.1, betas: [0.8, 0.99], eps: 1e-6 }), grads);
    const want = referenceAdam(1, grads, { ...defaults, weightDecay: 0.1, beta1: 0.8, beta2: 0.99, eps: 1e-6 });
    want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 6));
  });

  it('AdamW decays the weights directly: p * (1 - lr * wd), then the Adam step', () => {
    // With g = 0 the Adam step is 0: AdamW gives 2 * (1 - 0.1 * 0.1) = 1.98, Adam (L2) 2 - 0.1 = 1.9.
    const p = param([2]);
    const q = param([2]);
    const adamW = new AdamW([p], { lr: 0.1, weightDecay: 0.1 });
    const adam = new Adam([q], { lr: 0.1, weightDecay: 0.1 });
    setGrad(p, [0]);
    setGrad(q, [0]);
    adamW.step();
    adam.step();
    expect(values(p)[0]).toBeCloseTo(1.98, 6);
    expect(values(q)[0]).toBeCloseTo(1.9, 6);
    const got = run((t) => new AdamW([t], { lr: 0.1, weightDecay: 0.5 }), grads);
    referenceAdam(1, grads, { ...defaults, weightDecay: 0.5, decoupled: true }).forEach((w, i) =>
      expect(got[i]).toBeCloseTo(w, 6),
    );
  });

  it('defaults match PyTorch: Adam lr 1e-3, betas [0.9, 0.999], eps 1e-8, wd 0; AdamW wd 1e-2', () => {
    const p = param([1]);
    expect(new Adam([p]).defaults).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
    expect(new AdamW([p]).defaults).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2 });
    expect(new AdamW([p], { weightDecay: 0 }).paramGroups[0]!.weightDecay).toBe(0);
  });

  it('creates step, expAvg and expAvgSq lazily at the first gradient', () => {
    const p = param([1, 2]);
    const opt = new Adam([p], { lr: 0.1 });
    expect(opt.stateDict().state).toEqual({});
    setGrad(p, [0.5, -1]);
    opt.step();
    const { state } = opt.stateDict();
    expect(state[0]!.step).toBe(1);
    expect(values(state[0]!.expAvg as Tensor)).toEqual(
      [Math.fround(0.05), Math.fround(-0.1)].map((x) => expect.closeTo(x, 7)),
    );
    (state[0]!.expAvg as Tensor).dispose();
    (state[0]!.expAvgSq as Tensor).dispose();
  });

  it('validates betas in [0, 1), eps and weight decay >= 0, fused as a boolean', () => {
    const p = param([1]);
    expect(() => new Adam([p], { betas: [1, 0.999] })).toThrow(
      'Adam parameter group 0: invalid beta1 (betas[0]) 1 (must be in [0, 1))',
    );
    expect(() => new Adam([p], { betas: [0.9, -0.1] })).toThrow(/invalid beta2 \(betas\[1\]\) -0.1/);
    expect(() => new Adam([p], { eps: -1 })).toThrow(/invalid eps -1/);
    expect(() => new AdamW([p], { lr: -1 })).toThrow(
      'AdamW parameter group 0: invalid lr -1 (must be a finite number >= 0)',
    );
    expect(() => new Adam([p], { weightDecay: -0.1 })).toThrow(ArgumentError);
    const { fused: _fused, ...withoutKernels } = createCpuReferenceBackend();
    const plain = fromHost([1], [1], { backend: { ...withoutKernels, name: 'plain-cpu' }, requiresGrad: true });
    expect(() => new Adam([plain], { fused: true })).toThrow(
      "fused is true, but backend 'plain-cpu' has no fused adamUpdate kernel",
    );
  });
});

describe('Adam: fused kernel and composed ops give the same numbers', () => {
  for (const [name, Optimizer, weightDecay] of [
    ['Adam', Adam, 0.1],
    ['AdamW', AdamW, 0.1],
  ] as const) {
    it(`${name}: backend.fused.adamUpdate is used when present and matches fused: false`, () => {
      const { backend, calls } = fakeFusedBackend();
      const fused = param([0.5, -1.5, 2, 0.1], backend);
      const composed = param([0.5, -1.5, 2, 0.1], backend);
      const a = new Optimizer([fused], { lr: 0.05, weightDecay });
      const b = new Optimizer([composed], { lr: 0.05, weightDecay, fused: false });
      for (let step = 0; step < 5; step++) {
        quadraticGrad(fused, 0.3);
        quadraticGrad(composed, 0.3);
        a.step();
        b.step();
      }
      expect(calls()).toBe(5);
      values(composed).forEach((v, i) => expect(values(fused)[i]).toBeCloseTo(v, 6));
      const before = backend.liveHandles();
      quadraticGrad(fused, 0.3);
      a.step();
      expect(backend.liveHandles(), 'replaceHandle frees the old handles').toBe(before);
    });
  }
});
