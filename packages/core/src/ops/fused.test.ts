import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { getBackend, tensor, type Backend, type BackendHandle } from '@myelin/core';
import { linearFused } from './fused.js';

/**
 * cpu-reference with a matmulBiasActivationWithPreactivation (its matmul twice, no bias: the
 * values do not matter here) and a reshape that fails from its `failAt`-th call after arm().
 */
function failingBackend(failAt: number): { backend: Backend; arm: () => void } {
  const base = getBackend();
  let reshapes = -Infinity;
  const fused = {
    ...base.fused,
    matmulBiasActivationWithPreactivation: (
      x: BackendHandle,
      w: BackendHandle,
      _bias: BackendHandle | null,
      _activation: string,
      transposeA: boolean,
      transposeB: boolean,
    ) => ({
      output: base.matmul(x, w, transposeA, transposeB),
      preactivation: base.matmul(x, w, transposeA, transposeB),
    }),
  };
  const backend = new Proxy(base, {
    get(target, key) {
      if (key === 'fused') return fused;
      if (key === 'reshape')
        return (handle: BackendHandle, shape: number[]) => {
          if (++reshapes >= failAt) throw new Error(`reshape ${reshapes} fails`);
          return target.reshape(handle, shape);
        };
      const value = Reflect.get(target, key) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { backend, arm: () => (reshapes = 0) };
}

describe('linearFused', () => {
  it('frees what it made when a reshape fails at any point, also the kept pre-activation', () => {
    // Reshapes: x and w to 3-D (1, 2), then z (3) and the output (4) back to 2-D.
    for (let failAt = 1; failAt <= 4; failAt++) {
      const { backend, arm } = failingBackend(failAt);
      const x = tensor([1, 2, 3, 4, 5, 6], { backend, requiresGrad: true }).reshape([2, 3]);
      const w = tensor([0.5, -1, 2, 1, 0, -0.5], { backend, requiresGrad: true }).reshape([2, 3]);
      const before = backend.liveHandles();
      arm();
      expect(() => linearFused(x, w, null, 'gelu'), `reshape ${failAt} failing`).toThrow(`reshape ${failAt} fails`);
      expect(backend.liveHandles(), `reshape ${failAt} failing`).toBe(before);
    }
  });
});
