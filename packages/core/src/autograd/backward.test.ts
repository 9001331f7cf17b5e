import { describe, expect, it, vi } from 'vitest';
import '@myelin/backend-cpu-reference';
import { type Tensor, binaryCrossEntropy, crossEntropy, getBackend, noGrad, tensor, tidy } from '@myelin/core';

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

describe('backward from a fused loss with the implied gradient 1', () => {
  const logitsValues = [
    [1, 2, 0.5, -1],
    [0, -0.5, 3, 1],
    [2, 2, -2, 0.5],
  ];
  const labels = () => tensor([1, 2, 0], { dtype: 'int32' });

  it('gives the logits the kernel gradient exactly, as the rule does, and leaks nothing', async () => {
    const backend = getBackend();
    const probabilities = logitsValues.map((row) => row.map((v) => 1 / (1 + Math.exp(-v))));
    for (const [name, loss, leaf] of [
      ['cross-entropy', (x: Tensor) => crossEntropy(x, labels()), logitsValues],
      [
        'binary cross-entropy',
        (p: Tensor) =>
          binaryCrossEntropy(
            p,
            tensor([
              [1, 0, 0, 1],
              [0, 1, 1, 0],
              [1, 1, 0, 0],
            ]),
          ),
        probabilities,
      ],
    ] as const) {
      const direct = tensor(leaf, { requiresGrad: true });
      const throughRule = tensor(leaf, { requiresGrad: true });
      const before = backend.liveHandles();
      const fill = vi.spyOn(backend, 'fill');
      const binary = vi.spyOn(backend, 'binary');
      tidy(() => {
        const value = loss(direct);
        fill.mockClear();
        binary.mockClear();
        value.backward();
      });
      // No 1 filled, no product with it: only the rules below the loss ran.
      expect(fill, `${name}: fills in backward`).not.toHaveBeenCalled();
      expect(binary, `${name}: binary ops in backward`).not.toHaveBeenCalled();
      fill.mockRestore();
      binary.mockRestore();
      // retainGraph keeps the node's gradient, so this one runs the rule (kernel gradient x 1).
      tidy(() => loss(throughRule).backward(undefined, { retainGraph: true }));
      expect(await values(direct.grad), name).toEqual(await values(throughRule.grad));
      direct.grad = null;
      throughRule.grad = null;
      expect(backend.liveHandles(), `${name}: live handles`).toBe(before);
      direct.dispose();
      throughRule.dispose();
    }
  });

  it('still refuses logits changed in place after the loss', () => {
    const x = tensor(logitsValues, { requiresGrad: true });
    const y = x.mul(2);
    const loss = crossEntropy(y, labels());
    noGrad(() => y.assign(y.mul(3)));
    expect(() => loss.backward()).toThrow(/modified in place/);
  });

  it('accumulates into a gradient already there, as the rule path does', async () => {
    const x = tensor(logitsValues, { requiresGrad: true });
    crossEntropy(x, labels()).backward();
    const once = await values(x.grad);
    crossEntropy(x, labels()).backward();
    expect(await values(x.grad)).toEqual(once.map((v) => Math.fround(v + v)));
  });
});
