import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { DisposedTensorError, getBackend, isTensor, keep, ones, tensor, tidy } from '@myelin/core';
import { composite } from './scope.js';

describe('tidy', () => {
  it('disposes what was created inside except what is returned', () => {
    const backend = getBackend();
    const before = backend.liveHandles();
    const { kept, list } = tidy(() => {
      const a = ones([2]);
      const b = a.add(1);
      a.mul(3);
      return { kept: b, list: [a.sub(1)] };
    });
    expect(backend.liveHandles()).toBe(before + 2);
    expect(kept.isDisposed).toBe(false);
    expect(list[0]!.isDisposed).toBe(false);
    kept.dispose();
    list[0]!.dispose();
    expect(backend.liveHandles()).toBe(before);
  });

  it('moves returned tensors to the enclosing scope, and keep() opts out of all scopes', () => {
    let inner = null as unknown as ReturnType<typeof ones>;
    let pinned = null as unknown as ReturnType<typeof ones>;
    tidy(() => {
      inner = tidy(() => ones([1]));
      pinned = keep(ones([1]));
    });
    expect(inner.isDisposed).toBe(true);
    expect(pinned.isDisposed).toBe(false);
    pinned.dispose();
  });

  it('refuses async functions', () => {
    expect(() => tidy((async () => ones([1])) as never)).toThrow(/synchronous/);
  });

  it('makes a disposed tensor fail loudly', () => {
    const t = tensor([1, 2]);
    t.dispose();
    t.dispose();
    expect(() => t.add(1)).toThrow(DisposedTensorError);
  });

  it('frees the intermediates of composite ops at once when no graph needs them', () => {
    const backend = getBackend();
    const x = tensor([[1, 2, 3]]);
    const before = backend.liveHandles();
    const y = x.logsumexp(1);
    expect(backend.liveHandles()).toBe(before + 1);
    const z = x.softmax().clamp(0.1, 0.5);
    expect(backend.liveHandles()).toBe(before + 3);
    for (const t of [y, z]) t.dispose();
    x.dispose();
  });
});

describe('scopes on error', () => {
  it('tidy and composite free what they made when the function throws', () => {
    const backend = getBackend();
    const before = backend.liveHandles();
    expect(() =>
      tidy(() => {
        ones([2]).add(1);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(() =>
      composite(() => {
        ones([3]).exp();
        throw new Error('inside a composite');
      }),
    ).toThrow('inside a composite');
    expect(backend.liveHandles()).toBe(before);
  });
});

describe('isTensor (torch.is_tensor)', () => {
  it('knows a tensor by its brand, and nothing else', () => {
    const t = tensor([1, 2]);
    expect(isTensor(t)).toBe(true);
    expect(isTensor({ isMyelinTensor: true })).toBe(true); // another copy of core's Tensor
    for (const other of [null, undefined, 3, 'tensor', [t], { shape: [2] }, { isMyelinTensor: 'yes' }])
      expect(isTensor(other)).toBe(false);
  });
});
