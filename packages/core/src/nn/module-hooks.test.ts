import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  BatchNorm1d,
  Linear,
  ReLU,
  TransformerEncoder,
  TransformerEncoderLayer,
  generateSquareSubsequentMask,
  randn,
  SGD,
  Sequential,
  ShapeError,
  constant_,
  getBackend,
  mseLoss,
  ones,
  tensor,
  tidy,
  type Module,
  type Tensor,
} from '@myelin/core';

const values = async (t: Tensor) => Array.from(await t.data());

/** Linear(2, 2) -> ReLU -> Linear(2, 1) with weights of 1 and biases of 0: easy to follow by hand. */
function model(): Sequential {
  const m = new Sequential(new Linear(2, 2), new ReLU(), new Linear(2, 1));
  for (const p of m.parameters()) constant_(p, p.rank === 2 ? 1 : 0);
  return m;
}

describe('module walks: modules, apply, getSubmodule/getParameter/getBuffer', () => {
  it('modules() is pre-order; apply visits children before their parent, a shared module once', () => {
    const shared = new ReLU();
    const inner = new Sequential(new Linear(2, 2), shared);
    const outer = new Sequential(inner, shared);
    expect(outer.modules().map((m) => m.typeName)).toEqual(['Sequential', 'Sequential', 'Linear', 'ReLU']);
    const visited: string[] = [];
    expect(outer.apply((m) => visited.push(m.typeName))).toBe(outer);
    expect(visited).toEqual(['Linear', 'ReLU', 'Sequential', 'Sequential']);
    expect(() => outer.apply('x' as never)).toThrow('Sequential.apply: expected a function (module) => void, got "x"');
  });

  it('finds submodules, parameters and buffers by dotted path, and names what is missing', () => {
    const m = new Sequential(new Linear(3, 2, { bias: false }), new Sequential(new BatchNorm1d(2)));
    expect(m.getSubmodule('1.0')).toBeInstanceOf(BatchNorm1d);
    expect(m.getSubmodule('')).toBe(m);
    expect(m.getParameter('0.weight').shape).toEqual([2, 3]);
    expect(m.getBuffer('1.0.running_mean').shape).toEqual([2]);
    expect(() => m.getSubmodule('1.3')).toThrow(
      "Sequential.getSubmodule('1.3'): '1' (Sequential) has no child '3'; its children are '0'",
    );
    expect(() => m.getParameter('0.bias')).toThrow(
      "Sequential.getParameter('0.bias'): Linear has no parameter 'bias' (it was declared absent, e.g. bias: false)",
    );
    expect(() => m.getBuffer('1.0.weight')).toThrow(
      "Sequential.getBuffer('1.0.weight'): BatchNorm1d has no buffer 'weight'; its buffers are 'running_mean', 'running_var', 'num_batches_tracked'",
    );
  });
});

describe('requiresGrad_ freezes and unfreezes', () => {
  it('a frozen layer gets no gradient and SGD leaves it alone', async () => {
    const m = model();
    const first = m.getSubmodule('0');
    expect(first.requiresGrad_(false)).toBe(first);
    expect(m.toString()).toContain('Parameters: 9 (trainable 3)');
    const optimizer = new SGD(m.parameters(), { lr: 0.1 });
    tidy(() => mseLoss(m.forward(tensor([[1, 2]])), tensor([[0]])).backward());
    expect(m.getParameter('0.weight').grad).toBeNull();
    expect(m.getParameter('2.weight').grad).not.toBeNull();
    optimizer.step();
    expect(await values(m.getParameter('0.weight'))).toEqual([1, 1, 1, 1]);
    expect(await values(m.getParameter('2.weight'))).not.toEqual([1, 1]);
    first.requiresGrad_();
    expect(m.parameters().every((p) => p.requiresGrad)).toBe(true);
    expect(() => m.requiresGrad_('no' as never)).toThrow(ArgumentError);
  });
});

describe('forward hooks', () => {
  it('see every call through a Sequential, may replace inputs and outputs, and can be removed', async () => {
    const m = model();
    const hidden = m.getSubmodule('1');
    const seen: number[][] = [];
    const record = hidden.registerForwardHook((_module, _inputs, output) => {
      seen.push(Array.from(output.dataSync()));
    });
    // A pre-hook on the last layer doubles its input; a forward hook on it adds 1 to its output.
    const last = m.getSubmodule('2');
    const double = last.registerForwardPreHook((_m, [x]) => x!.mul(2));
    const plusOne = last.registerForwardHook((_m, _inputs, y) => y.add(1));
    // [1, 2] -> Linear (all ones) -> [3, 3] -> ReLU -> [3, 3] -> doubled [6, 6] -> Linear -> 12 -> 13
    expect(await values(tidy(() => m.forward(tensor([[1, 2]]))))).toEqual([13]);
    expect(seen).toEqual([[3, 3]]);
    double.remove();
    double.remove(); // twice is harmless
    plusOne.remove();
    record.remove();
    expect(await values(tidy(() => m.forward(tensor([[1, 2]]))))).toEqual([6]);
    expect(seen).toHaveLength(1);
    expect(() => last.registerForwardHook(undefined as never)).toThrow(
      'Linear.registerForwardHook: expected a function, got undefined',
    );
  });

  it("see a Linear inside a Transformer's feed-forward (which calls it fused otherwise)", async () => {
    const layer = new TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0 });
    const seen: number[][] = [];
    layer.getSubmodule('linear1').registerForwardHook((_m, _inputs, output) => {
      seen.push([...output.shape]);
    });
    const x = randn([3, 1, 4]);
    const hooked = tidy(() => layer.forward(x));
    expect(seen).toEqual([[3, 1, 6]]);
    // The same values as unhooked (the fused kernel and forward + ReLU agree to rounding).
    const plain = new TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0 });
    plain.loadStateDict(layer.stateDict());
    const a = await values(hooked);
    const b = await values(tidy(() => plain.forward(x)));
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 6));
  });

  it('see the attention and each layer of a TransformerEncoder called with masks, and may replace the output', async () => {
    const encoder = new TransformerEncoder(new TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0 }), 2);
    const calls: string[] = [];
    encoder.getSubmodule('layers.0.self_attn').registerForwardHook((_m, inputs, output) => {
      calls.push(`attn ${inputs.length} ${output.shape.join('x')}`);
    });
    encoder.getSubmodule('layers.1').registerForwardPreHook((_m, inputs) => {
      calls.push(`layer1 ${inputs[0]!.shape.join('x')}`);
    });
    const x = randn([3, 1, 4]);
    const mask = generateSquareSubsequentMask(3);
    const plain = await values(tidy(() => encoder.forwardWithMasks(x, { mask })));
    expect(calls).toEqual(['attn 3 3x1x4', 'layer1 3x1x4']);
    // A hook's replacement output flows on: zeroing layer 1's output zeroes the encoder's.
    const handle = encoder.getSubmodule('layers.1').registerForwardHook((_m, _inputs, output) => output.mul(0));
    expect((await values(tidy(() => encoder.forwardWithMasks(x, { mask })))).every((v) => v === 0)).toBe(true);
    handle.remove();
    expect(await values(tidy(() => encoder.forwardWithMasks(x, { mask })))).toEqual(plain);
  });

  it('a pre-hook may return an array of inputs, and hooks run in registration order', () => {
    const m = new Linear(2, 1);
    const order: string[] = [];
    m.registerForwardPreHook((_m: Module, inputs) => {
      order.push('a');
      return [...inputs];
    });
    m.registerForwardPreHook(() => {
      order.push('b');
    });
    tidy(() => m.forward(ones([1, 2])));
    expect(order).toEqual(['a', 'b']);
  });
});

describe('tensor gradient hooks and retainGrad', () => {
  it('a hook sees the complete gradient of an intermediate and may replace it', async () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(2);
    const seen: number[][] = [];
    y.registerHook((g) => {
      seen.push(Array.from(g.dataSync()));
      return g.mul(10);
    });
    // y is used twice: the hook runs once, on the sum of both uses' gradients.
    y.add(y).sum().backward();
    expect(seen).toEqual([[2, 2, 2]]);
    expect(await values(x.grad!)).toEqual([40, 40, 40]);
  });

  it('on a leaf the hook runs before accumulation; retainGrad keeps a non-leaf gradient', async () => {
    const w = tensor([1, -1], { requiresGrad: true });
    const handle = w.registerHook((g) => g.neg());
    const h = w.mul(3).retainGrad();
    expect(h.retainsGrad).toBe(true);
    h.sum().backward();
    expect(await values(w.grad!)).toEqual([-3, -3]);
    expect(await values(h.grad!)).toEqual([1, 1]);
    handle.remove();
    const h2 = w.mul(3);
    h2.sum().backward();
    expect(await values(w.grad!)).toEqual([0, 0]); // -3 + 3
    expect(h2.grad).toBeNull();
  });

  it('copies a replacement the hook did not make, so the caller keeps it', async () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const mine = tensor([5, 6]);
    const handle = x.registerHook(() => mine);
    x.mul(2).sum().backward();
    expect(await values(x.grad!)).toEqual([5, 6]);
    x.grad = null;
    expect(mine.isDisposed).toBe(false);
    handle.remove();
    const y = x.mul(3);
    y.registerHook(() => mine);
    y.sum().backward();
    expect(mine.isDisposed).toBe(false);
    expect(await values(x.grad!)).toEqual([15, 18]);
  });

  it('checks what it is given and leaks nothing', () => {
    expect(() => tensor([1]).registerHook((g) => g)).toThrow(/does not require gradients/);
    expect(() => tensor([1]).retainGrad()).toThrow(/does not require gradients/);
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    y.registerHook(() => ones([3]));
    expect(() => y.sum().backward()).toThrow(ShapeError);
    const backend = getBackend();
    const before = backend.liveHandles();
    tidy(() => {
      const z = x.mul(2);
      z.registerHook((g) => g.mul(2).add(1));
      z.sum().backward();
    });
    x.grad = null;
    expect(backend.liveHandles()).toBe(before);
  });
});
