import { describe, expect, it } from 'vitest';
import { binaryCrossEntropy } from './fused.js';

const host = (values: number[], dtype: 'float32' | 'float64') => ({
  data: dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values),
  shape: [values.length],
  dtype,
});

describe('fused binaryCrossEntropy', () => {
  const p = [0.25, 0.9, 0, 1, 0.5];
  const y = [1, 0, 1, 0, 0.25];
  const clog = (v: number) => (v > 0 ? Math.max(Math.log(v), -100) : -100);
  const losses = p.map((v, i) => -(y[i]! * clog(v) + (1 - y[i]!) * clog(1 - v)));
  const grads = p.map((v, i) => (v > 0 ? -y[i]! / v : 0) + (1 - v > 0 ? (1 - y[i]!) / (1 - v) : 0));

  for (const dtype of ['float32', 'float64'] as const) {
    const digits = dtype === 'float32' ? 5 : 12;
    it(`${dtype}: clamped-log losses, their exact gradient, and the reductions`, () => {
      const none = binaryCrossEntropy(host(p, dtype), host(y, dtype), 'none', true);
      expect(none.loss.shape).toEqual([5]);
      Array.from(none.loss.data).forEach((v, i) => expect(v).toBeCloseTo(losses[i]!, digits));
      Array.from(none.grad!.data).forEach((v, i) => expect(v).toBeCloseTo(grads[i]!, digits));
      // p = 0 with y = 1 and p = 1 with y = 0 hit the clamp: loss 100, no gradient from that side
      expect(none.loss.data[2]).toBe(100);
      expect(none.grad!.data[3]).toBe(0);
      const total = losses.reduce((s, v) => s + v, 0);
      const mean = binaryCrossEntropy(host(p, dtype), host(y, dtype), 'mean', true);
      expect(mean.loss.shape).toEqual([]);
      expect(mean.loss.data[0]).toBeCloseTo(total / 5, digits - 2);
      Array.from(mean.grad!.data).forEach((v, i) => expect(v).toBeCloseTo(grads[i]! / 5, digits));
      const sum = binaryCrossEntropy(host(p, dtype), host(y, dtype), 'sum', false);
      expect(sum.grad).toBeNull();
      expect(sum.loss.data[0]).toBeCloseTo(total, digits - 3);
    });
  }

  it('rejects a target of another size or dtype', () => {
    expect(() => binaryCrossEntropy(host(p, 'float32'), host([1, 0], 'float32'), 'none', false)).toThrow(/elements/);
    expect(() => binaryCrossEntropy(host(p, 'float32'), host(y, 'float64'), 'none', false)).toThrow(/dtype/);
  });
});
