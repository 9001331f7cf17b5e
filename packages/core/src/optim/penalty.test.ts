import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { SGD, l1Penalty, l2Penalty, tidy } from '@myelin/core';
import { param, setGrad, values } from './test-helpers.js';

describe('l1Penalty and l2Penalty', () => {
  it('l1: weight * sum|w|, gradient weight * sign(w)', () => {
    const [a, b] = [param([1, -2]), param([3])];
    const before = a.backend.liveHandles();
    const value = tidy(() => {
      const penalty = l1Penalty([a, b], 0.5);
      penalty.backward();
      return penalty.detach();
    });
    expect(values(value)).toEqual([3]);
    expect(values(a.grad!)).toEqual([0.5, -0.5]);
    expect(values(b.grad!)).toEqual([0.5]);
    expect(a.backend.liveHandles(), 'only the value and two grads remain').toBe(before + 3);
  });

  it('l2: weight * sum(w^2) (no 1/2), gradient 2 * weight * w', () => {
    const [a, b] = [param([1, -2]), param([3])];
    const value = tidy(() => {
      const penalty = l2Penalty([a, b], 0.5);
      penalty.backward();
      return penalty.detach();
    });
    expect(values(value)).toEqual([7]);
    expect(values(a.grad!)).toEqual([1, -2]);
    expect(values(b.grad!)).toEqual([3]);
  });

  it('l2Penalty(w, lambda) steps like SGD weightDecay = 2 * lambda', () => {
    const [p, q] = [param([1, -2]), param([1, -2])];
    tidy(() => l2Penalty([p], 0.05).backward());
    new SGD([p], { lr: 0.1 }).step();
    setGrad(q, [0, 0]);
    new SGD([q], { lr: 0.1, weightDecay: 0.1 }).step();
    expect(values(p)).toEqual(values(q));
  });

  it('rejects a negative weight', () => {
    expect(() => l2Penalty([param([1])], -1)).toThrow('l2Penalty: weight must be a finite number >= 0, got -1');
    expect(values(l1Penalty([], 1))).toEqual([0]);
  });
});
