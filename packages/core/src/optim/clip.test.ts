import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { clipGradNorm_, clipGradValue_, tidy } from '@myelin/core';
import { countingBackend, param, setGrad, values } from './test-helpers.js';

describe('clipGradNorm_ (torch.nn.utils.clip_grad_norm_)', () => {
  it('scales all gradients by maxNorm / (totalNorm + 1e-6) over the global 2-norm, and returns the norm', () => {
    const [a, b] = [param([0, 0]), param([0])];
    setGrad(a, [3, 0]);
    setGrad(b, [4]);
    const total = clipGradNorm_([a, b], 1);
    expect(values(total)[0]).toBeCloseTo(5, 6);
    const coefficient = 1 / (5 + 1e-6);
    expect(values(a.grad!)[0]).toBeCloseTo(3 * coefficient, 7);
    expect(values(b.grad!)[0]).toBeCloseTo(4 * coefficient, 7);
    total.dispose();
  });

  it('leaves gradients unchanged when the coefficient would be >= 1 (multiplied by min(coef, 1))', () => {
    const a = param([0, 0]);
    setGrad(a, [0.3, -0.4]);
    clipGradNorm_(a, 10).dispose();
    expect(values(a.grad!)).toEqual([Math.fround(0.3), Math.fround(-0.4)]);
  });

  it('supports normType 1, p and Infinity; skips null grads; no grads gives 0', () => {
    const [a, b, c] = [param([0, 0]), param([0]), param([0])];
    setGrad(a, [3, -1]);
    setGrad(b, [-4]);
    const norm = (type: number) => tidy(() => clipGradNorm_([a, b, c], 1e9, type));
    expect(values(norm(1))[0]).toBeCloseTo(8, 5);
    expect(values(norm(Infinity))[0]).toBe(4);
    expect(values(norm(3))[0]).toBeCloseTo(Math.cbrt(27 + 1 + 64), 5);
    expect(values(clipGradNorm_([c], 1))).toEqual([0]);
    expect(() => clipGradNorm_([a], -1)).toThrow('clipGradNorm_: maxNorm must be a number >= 0, got -1');
    expect(() => clipGradNorm_([a], 1, 0)).toThrow(/normType must be a number > 0 or Infinity, got 0/);
  });

  it('reads nothing back to the host and leaks nothing', () => {
    const { backend, reads } = countingBackend();
    const [a, b] = [param([0, 0], backend), param([0], backend)];
    setGrad(a, [30, 1]);
    setGrad(b, [-4]);
    const before = backend.liveHandles();
    const total = clipGradNorm_([a, b], 2);
    expect(backend.liveHandles()).toBe(before + 1);
    expect(reads()).toBe(0);
    total.dispose();
  });
});

describe('clipGradValue_', () => {
  it('clamps every gradient to [-clipValue, clipValue] in place', () => {
    const [a, b] = [param([0, 0, 0]), param([0])];
    setGrad(a, [-3, 0.5, 2]);
    const before = a.backend.liveHandles();
    clipGradValue_([a, b], 1);
    expect(a.backend.liveHandles()).toBe(before);
    expect(values(a.grad!)).toEqual([-1, 0.5, 1]);
    expect(b.grad).toBeNull();
    expect(() => clipGradValue_(a, -1)).toThrow('clipGradValue_: clipValue must be a number >= 0, got -1');
  });
});
