import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { type Tensor, getBackend, noGrad, tensor, tidy } from '@myelin/core';

const values = async (t: Tensor | null) => Array.from(await t!.data());

describe('backward', () => {
  it('differentiates a scalar expression (micrograd example)', async () => {
    const a = tensor(-4, { requiresGrad: true });
    const b = tensor(2, { requiresGrad: true });
    const c = a.add(b);
    const d = a.mul(b).add(b.pow(3));
    const e = c.mul(2).add(d).add(c.neg().add(d).relu()); // uses c, d twice
    e.backward();
    // d = ab + b^3 = 0; e = 2c + d + relu(d - c) = -4 + 0 + relu(2) = -2
    expect(await e.item()).toBeCloseTo(-2);
    // de/da = 2 + b + (b - 1) = 5; de/db = 2 + (a + 3b^2) + (a + 3b^2 - 1) = 2 + 8 + 7 = 17
    expect(await a.grad!.item()).toBeCloseTo(5);
    expect(await b.grad!.item()).toBeCloseTo(17);
  });

  it('accumulates fan-out and repeated backward calls into .grad', async () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    x.mul(x).sum().backward();
    expect(await values(x.grad)).toEqual([2, 4, 6]);
    x.add(x).sum().backward();
    expect(await values(x.grad)).toEqual([4, 6, 8]);
    x.grad = null;
    x.sum().backward();
    expect(await values(x.grad)).toEqual([1, 1, 1]);
  });

  it('sums gradients over broadcast dimensions', async () => {
    const a = tensor([[1], [2], [3]], { requiresGrad: true });
    const b = tensor([10, 20], { requiresGrad: true });
    a.mul(b).sum().backward();
    expect(await values(a.grad)).toEqual([30, 30, 30]);
    expect(a.grad!.shape).toEqual([3, 1]);
    expect(await values(b.grad)).toEqual([6, 6]);
  });

  it('takes an explicit gradient for non-scalar outputs and refuses to guess one', async () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(3);
    expect(() => y.backward()).toThrow(/single-element output, got shape \[2\]/);
    y.backward(tensor([1, -1]));
    expect(await values(x.grad)).toEqual([3, -3]);
  });

  it('records nothing under noGrad and through detach', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(noGrad(() => x.mul(2)).requiresGrad).toBe(false);
    expect(x.detach().mul(2).requiresGrad).toBe(false);
    expect(() => x.detach().sum().backward()).toThrow(/does not require gradients/);
  });

  it('refuses a second backward through a freed graph, as PyTorch does, unless retainGraph kept it', async () => {
    const x = tensor([[1, 2]], { requiresGrad: true });
    const w = tensor([[3], [4]], { requiresGrad: true });
    const h = x.matmul(w);
    h.sum().backward();
    const second = /backward through the graph a second time.*made by '\w+'.*Specify retainGraph: true/;
    expect(() => h.mul(2).sum().backward()).toThrow(second);
    expect(h.grad).toBeNull(); // h is not a leaf: no .grad as if it were one
    expect(await values(w.grad)).toEqual([1, 2]); // unchanged by the refused call
    const loss = x.matmul(w).sum();
    loss.backward();
    expect(() => loss.backward()).toThrow(second);

    const kept = x.matmul(w);
    kept.sum().backward(undefined, { retainGraph: true });
    kept.mul(2).sum().backward();
    expect(await values(w.grad)).toEqual([1 + 1 + 1 + 2, 2 + 2 + 2 + 4]);
    expect(kept.grad).toBeNull();
  });

  it('refuses a graph whose input was changed by assign after use', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const loss = w.mul(w).sum();
    noGrad(() => w.assign(w.sub(1)));
    expect(() => loss.backward()).toThrow(/modified in place by assign/);
  });

  it('frees every intermediate inside tidy and keeps leaf gradients', () => {
    const backend = getBackend();
    const w = tensor(
      [
        [0.5, -0.5],
        [1, 2],
      ],
      { requiresGrad: true },
    );
    const x = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const before = backend.liveHandles();
    for (let step = 0; step < 3; step++) {
      tidy(() => {
        x.matmul(w).softmax().log().mean().backward();
        noGrad(() => w.assign(w.sub(w.grad!.mul(0.1))));
        w.grad = null;
      });
      expect(backend.liveHandles()).toBe(before);
    }
  });

  it('gives no NaN for log-softmax of extreme logits', async () => {
    const logits = tensor([[1e4, -1e4, 0]], { requiresGrad: true });
    const out = logits.logSoftmax();
    out.slice([0, 0], [1, 1]).sum().backward();
    expect((await values(out)).every(Number.isFinite)).toBe(true);
    expect((await values(logits.grad)).every(Number.isFinite)).toBe(true);
  });
});
