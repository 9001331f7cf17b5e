import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  DTypeError,
  Linear,
  ShapeError,
  argmax,
  checkpoint,
  checkpointSequential,
  clamp,
  customGrad,
  dropout,
  getBackend,
  gradcheck,
  manualSeed,
  matmul,
  noGrad,
  randn,
  tanh,
  tensor,
  tidy,
  type Tensor,
} from '@myelin/core';

const values = (t: Tensor | null) => Array.from(t!.dataSync());

describe('customGrad (tf.customGrad, torch.autograd.Function)', () => {
  it('records one node whose gradient is the given function', () => {
    const x = tensor([0.5, -2, 3], { dtype: 'float64', requiresGrad: true });
    let recorded = 0;
    const clipGrad = customGrad((a: Tensor) => {
      recorded = a.requiresGrad ? 1 : 0;
      return { value: a.mul(a).mul(0.5), gradFunc: (dy: Tensor) => [clamp(dy.mul(a), -1, 1)] };
    });
    const y = clipGrad(x);
    expect(y.gradNode?.op).toBe('custom');
    expect(values(y)).toEqual([0.125, 2, 4.5]);
    y.sum().backward();
    expect(values(x.grad)).toEqual([0.5, -1, 1]);
    expect(recorded).toBe(1); // f sees the inputs themselves
  });

  it('matches finite differences when the gradient is right (gradcheck), with two inputs', async () => {
    const a = randn([3, 4], { dtype: 'float64' }).requiresGrad_();
    const b = randn([4, 2], { dtype: 'float64' }).requiresGrad_();
    const product = customGrad((p: Tensor, q: Tensor) => ({
      value: matmul(p, q),
      gradFunc: (dy: Tensor) => [matmul(dy, q, { transposeB: true }), matmul(p, dy, { transposeA: true })],
    }));
    expect(await gradcheck((p, q) => product(p!, q!), [a, b])).toBe(true);
  });

  it('gives several outputs one gradFunc call with all their gradients, zeros where none reached', () => {
    const x = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const seen: number[][][] = [];
    const split = customGrad((v: Tensor) => ({
      value: [v.mul(2), v.square(), argmax(v)],
      gradFunc: (dys: Tensor[]) => {
        seen.push(dys.map(values));
        return [dys[0]!.mul(2).add(dys[1]!.mul(v).mul(2))];
      },
    }));
    const [double, square, index] = split(x);
    expect(index!.dtype).toBe('int32');
    expect(index!.requiresGrad).toBe(false);
    expect(values(square!)).toEqual([1, 4, 9]);
    square!.sum().backward(undefined, { retainGraph: true });
    expect(values(x.grad)).toEqual([2, 4, 6]);
    expect(seen).toEqual([[[0, 0, 0], [1, 1, 1], [0]]]);
    x.grad = null;
    double!.sum().add(square!.sum()).backward();
    expect(values(x.grad)).toEqual([4, 6, 8]);
    expect(seen).toHaveLength(2);
  });

  it('returns plain values when nothing requires a gradient, and under noGrad', () => {
    const op = customGrad((v: Tensor) => ({ value: v.add(1), gradFunc: (dy: Tensor) => [dy] }));
    expect(op(tensor([1, 2])).gradNode).toBeNull();
    const x = tensor([1, 2], { requiresGrad: true });
    expect(noGrad(() => op(x)).requiresGrad).toBe(false);
    // An input returned unchanged comes back as a tensor of its own.
    const identity = customGrad((v: Tensor) => ({ value: v, gradFunc: (dy: Tensor) => [dy] }));
    const y = identity(x);
    expect(y).not.toBe(x);
    expect(x.gradNode).toBeNull();
    y.sum().backward();
    expect(values(x.grad)).toEqual([1, 1]);
  });

  it('frees its intermediates with the output, and at once when not recording', () => {
    const backend = getBackend();
    const x = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const op = customGrad((v: Tensor) => {
      const cube = v.mul(v).mul(v);
      return { value: cube.add(0), gradFunc: (dy: Tensor) => [dy.mul(v.square()).mul(3)] };
    });
    const before = backend.liveHandles();
    tidy(() => {
      op(x).sum().backward();
    });
    expect(backend.liveHandles()).toBe(before + 1); // x.grad
    x.grad = null;
    noGrad(() => op(x)).dispose();
    expect(backend.liveHandles()).toBe(before);
  });

  it('names what is wrong: arguments, results, gradients', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => customGrad(3 as never)).toThrow(/customGrad: expected a function, got 3/);
    const op = customGrad(function twice(v: Tensor) {
      return { value: v.mul(2), gradFunc: () => [tensor([1, 2, 3])] };
    });
    expect(() => op([1, 2] as never)).toThrow(ArgumentError);
    expect(() => op([1, 2] as never)).toThrow(/customGrad\(twice\): argument 0 must be a Tensor, got \[1,2\]/);
    expect(() => op(x).sum().backward()).toThrow(ShapeError);
    expect(() => op(x).sum().backward()).toThrow(
      /customGrad\(twice\): gradient 0 has shape \[3\] but its input has shape \[2\]/,
    );
    const none = customGrad((v: Tensor) => ({ value: v, gradFunc: () => [] }));
    expect(() => none(x).sum().backward()).toThrow(/one gradient \(or null\) per input, 1 in all, got 0 entries/);
    const bad = customGrad((_v: Tensor) => ({ value: 1 }) as never);
    expect(() => bad(x)).toThrow(/must return \{ value, gradFunc \}, got \{"value":1\}/);
    const mixed = customGrad((v: Tensor) => ({ value: [v, v.cast('float64')], gradFunc: () => [null] }));
    expect(() => mixed(x)).toThrow(DTypeError);
  });
});

describe('checkpoint (torch.utils.checkpoint)', () => {
  it('gives the same gradients as the plain run, for inputs and the parameters inside', () => {
    manualSeed(3);
    const first = new Linear(4, 8, { dtype: 'float64' });
    const second = new Linear(8, 3, { dtype: 'float64' });
    const x = randn([5, 4], { dtype: 'float64' }).requiresGrad_();
    const block = (v: Tensor) => second.forward(tanh(first.forward(v)));
    const params = [...first.parameters(), ...second.parameters()];

    block(x).square().sum().backward();
    const plain = [x, ...params].map((p) => values(p.grad));
    [x, ...params].forEach((p) => (p.grad = null));

    const y = checkpoint(block, x);
    expect(y.gradNode?.op).toBe('custom');
    y.square().sum().backward();
    [x, ...params].forEach((p, i) => {
      const got = values(p.grad);
      got.forEach((g, j) => expect(g).toBeCloseTo(plain[i]![j]!, 12));
    });
  });

  it('reaches the parameters when the input needs no gradient, and adds to earlier gradients', () => {
    const layer = new Linear(3, 2, { dtype: 'float64' });
    const x = randn([4, 3], { dtype: 'float64' });
    layer.forward(x).sum().backward();
    const once = values(layer.weight.grad);
    checkpoint((v: Tensor) => layer.forward(v), x)
      .sum()
      .backward();
    values(layer.weight.grad).forEach((g, i) => expect(g).toBeCloseTo(2 * once[i]!, 12));
  });

  it('replays dropout with the same masks', () => {
    manualSeed(11);
    const x = randn([6, 10], { dtype: 'float64' }).requiresGrad_();
    const y = checkpoint((v: Tensor) => dropout(v.mul(3), 0.5, { training: true }), x);
    y.sum().backward();
    // The gradient is 3 * mask / (1 - p) = 6 where the forward kept a value, 0 where it dropped.
    const kept = values(y).map((v) => (v === 0 ? 0 : 6));
    expect(values(x.grad)).toEqual(kept);
  });

  it('keeps none of the block activations between forward and backward', () => {
    const backend = getBackend();
    const x = randn([8, 16], { dtype: 'float64' }).requiresGrad_();
    const w = randn([16, 16], { dtype: 'float64' }).requiresGrad_();
    const block = (v: Tensor) => tanh(matmul(tanh(matmul(v, w)), w));
    tidy(() => {
      const before = backend.liveHandles();
      const plain = block(x);
      const plainHeld = backend.liveHandles() - before;
      plain.dispose();
      const mid = backend.liveHandles();
      const y = checkpoint(block, x);
      const held = backend.liveHandles() - mid;
      expect(held).toBeLessThan(plainHeld);
      expect(held).toBe(1); // the output alone: no activation of the block survives
      y.sum().backward();
    });
  });

  it('reaches a result computed outside the block through it, in either order of the graph', () => {
    for (const order of ['outer first', 'checkpoint first']) {
      const w = tensor([2], { dtype: 'float64', requiresGrad: true });
      const x = tensor([3], { dtype: 'float64', requiresGrad: true });
      const h = w.mul(5); // a non-leaf the block reads from its closure
      const y = checkpoint((a: Tensor) => a.mul(h), x);
      (order === 'outer first' ? h.mul(7).add(y) : y.add(h.mul(7))).sum().backward();
      // loss = 35 w + 3 · 5 w: d/dw = 50; d/dx = h = 10; h is no leaf and keeps no gradient
      expect(values(w.grad)).toEqual([50]);
      expect(values(x.grad)).toEqual([10]);
      expect(h.grad).toBeNull();
    }
  });

  it("runs a parameter's gradient hook once, on the whole gradient, as without checkpointing", () => {
    const w = tensor([2], { dtype: 'float64', requiresGrad: true });
    const x = tensor([3], { dtype: 'float64' });
    let calls = 0;
    w.registerHook((g) => {
      calls++;
      return g.mul(2);
    });
    checkpoint((a: Tensor) => a.mul(w), x)
      .sum()
      .backward();
    expect([calls, ...values(w.grad)]).toEqual([1, 6]);
    w.grad = null;
    calls = 0;
    checkpoint((a: Tensor) => a.mul(w), x)
      .add(w.mul(10))
      .sum()
      .backward();
    expect([calls, ...values(w.grad)]).toEqual([1, 26]);
  });

  it('checkpointSequential splits layers into segments with the plain gradients', () => {
    manualSeed(5);
    const layers = [0, 1, 2, 3, 4].map(() => new Linear(3, 3, { dtype: 'float64' }));
    const fns = layers.map((l) => (v: Tensor) => tanh(l.forward(v)));
    const x = randn([2, 3], { dtype: 'float64' }).requiresGrad_();
    fns
      .reduce((v, f) => f(v), x)
      .sum()
      .backward();
    const plain = values(layers[0]!.weight.grad);
    layers.forEach((l) => l.parameters().forEach((p) => (p.grad = null)));
    x.grad = null;
    checkpointSequential(fns, 2, x).sum().backward();
    values(layers[0]!.weight.grad).forEach((g, i) => expect(g).toBeCloseTo(plain[i]!, 12));
    expect(() => checkpointSequential(fns, 0, x)).toThrow(/segments must be a positive integer, got 0/);
    expect(() => checkpoint((() => 3) as never, x)).toThrow(
      /must return a Tensor or an array of Tensors; output 0 is 3/,
    );
  });
});
