import { describe, expect, it } from 'vitest';
import { adamUpdate } from './adam.js';

const host = (values: number[]) => ({
  data: Float32Array.from(values),
  shape: [values.length],
  dtype: 'float32' as const,
});

describe('fused adamUpdate', () => {
  it('computes one Adam step (hand-checked first step: param moves by lr * sign(grad))', () => {
    const result = adamUpdate(host([1, -2]), host([0.5, -0.25]), host([0, 0]), host([0, 0]), {
      lr: 0.1,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0,
      decoupledWeightDecay: false,
      step: 1,
    });
    expect(result.param.data[0]).toBeCloseTo(0.9, 6);
    expect(result.param.data[1]).toBeCloseTo(-1.9, 6);
    expect(result.m.data[0]).toBeCloseTo(0.05, 7);
    expect(result.v.data[1]).toBeCloseTo(0.001 * 0.0625, 9);
  });

  it('applies coupled (Adam) and decoupled (AdamW) weight decay differently', () => {
    const options = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.5, step: 1 };
    const coupled = adamUpdate(host([2]), host([0]), host([0]), host([0]), { ...options, decoupledWeightDecay: false });
    const decoupled = adamUpdate(host([2]), host([0]), host([0]), host([0]), {
      ...options,
      decoupledWeightDecay: true,
    });
    expect(coupled.param.data[0]).toBeCloseTo(1.9, 6); // g = 0 + 0.5 * 2 = 1 -> moves by lr
    expect(decoupled.param.data[0]).toBeCloseTo(2 * (1 - 0.05), 6); // shrinks, no gradient step
  });
});
