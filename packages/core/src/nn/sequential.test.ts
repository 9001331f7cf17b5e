import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { ShapeError, type Tensor, getBackend, ones, tensor, tidy } from '@myelin/core';
import { Dropout, GELU, Linear, ReLU, Residual, SiLU, Sequential, Sigmoid } from './index.js';
import { linear } from '../ops/linalg.js';

const values = async (t: Tensor | null) => Array.from(await t!.data());
const expectClose = (actual: number[], expected: number[]) => {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
};

describe('Sequential', () => {
  it('takes modules as arguments or as an array and names them 0, 1, ...', () => {
    const a = new Linear(2, 2);
    const relu = new ReLU();
    for (const model of [new Sequential(a, relu), new Sequential([a, relu])]) {
      expect(model.length).toBe(2);
      expect(model.at(0)).toBe(a);
      expect(model.at(-1)).toBe(relu);
      expect([...model]).toEqual([a, relu]);
      expect(model.children().map(([name]) => name)).toEqual(['0', '1']);
    }
    expect(() => new Sequential(a, 3 as never)).toThrow('Sequential: module 1 must be a Module, got 3');
    expect(() => new Sequential(a).at(1)).toThrow('Sequential.at: index 1 is out of range for 1 modules');
    expect(new Sequential().append(relu).children()).toEqual([['0', relu]]);
    a.dispose();
  });

  it('backpropagates through a tiny MLP to the hand-computed gradients', async () => {
    const model = new Sequential(new Linear(2, 2), new Sigmoid(), new Linear(2, 1));
    model.loadStateDict({
      '0.weight': tensor([
        [0.1, -0.2],
        [0.3, 0.4],
      ]),
      '0.bias': tensor([0.05, -0.1]),
      '2.weight': tensor([[0.5, -0.6]]),
      '2.bias': tensor([0.2]),
    });
    const x = tensor(
      [
        [1, 2],
        [-1, 0.5],
      ],
      { requiresGrad: true },
    );
    const y = model.forward(x);
    // h = sigmoid(x W1^T + b1), y = h W2^T + b2, loss = sum(y); by the chain rule (numpy):
    expectClose(await values(y), [-0.019723397620902028, 0.16118547571561195]);
    y.sum().backward();
    const grads = Object.fromEntries(model.namedParameters().map(([name, p]) => [name, p.grad]));
    expectClose(await values(grads['2.weight']!), [0.9003936537704522, 1.181224581317527]); // sum over rows of h
    expectClose(await values(grads['2.bias']!), [2]);
    expectClose(
      await values(grads['0.weight']!),
      [-0.0012324619699723288, 0.3082838344069841, 0.030542783682226862, -0.3101892917033362],
    );
    expectClose(await values(grads['0.bias']!), [0.2473665447075707, -0.2664771035720051]);
    expectClose(
      await values(x.grad),
      [-0.023083443846586813, -0.07180027225171548, -0.03212303275425764, -0.0842638781186007],
    );
    model.dispose();
  });

  it('frees the outputs of earlier layers when a later one throws', () => {
    const backend = getBackend();
    const model = new Sequential(new Linear(3, 4), new ReLU(), new Linear(5, 1));
    const x = ones([2, 3], { requiresGrad: true });
    const before = backend.liveHandles();
    expect(() => model.forward(x)).toThrow('Linear(5 -> 1) got input of shape [2,4]: last dimension must be 5');
    expect(() => model.forward(x)).toThrow(ShapeError);
    expect(backend.liveHandles()).toBe(before);
    model.dispose();
    x.dispose();
  });

  it('runs Linear + GELU (either form) and Linear + SiLU as one linear op, with the composed values', async () => {
    const model = new Sequential(
      new Linear(3, 4),
      new GELU('tanh'),
      new Linear(4, 4),
      new SiLU(),
      new Linear(4, 2),
      new GELU(),
    );
    const seen: string[] = [];
    for (const i of [0, 2, 4]) {
      const layer = model.at(i) as Linear;
      const original = layer.forwardActivation.bind(layer);
      layer.forwardActivation = (input, activation) => (seen.push(activation), original(input, activation));
    }
    const x = tensor([
      [0.5, -1, 2],
      [-3, 0.25, 1],
    ]);
    const fused = await values(model.forward(x));
    expect(seen).toEqual(['gelu_tanh', 'silu', 'gelu']);
    let unfused = x;
    for (const layer of model) unfused = layer.forward(unfused);
    expectClose(fused, await values(unfused));
    expect(() => linear(x, (model.at(0) as Linear).weight, null, 'swish' as never)).toThrow(
      "linear: activation must be one of 'linear', 'relu', 'sigmoid', 'tanh', 'gelu', 'gelu_tanh', 'silu', got \"swish\"",
    );
    model.dispose();
    x.dispose();
  });
});

describe('toString', () => {
  it('prints a PyTorch-like tree with the parameter counts', () => {
    const model = new Sequential(new Linear(2, 2), new Sigmoid(), new Linear(2, 1));
    expect(model.toString()).toBe(
      [
        'Sequential(',
        '  (0): Linear(inFeatures=2, outFeatures=2, bias=true)',
        '  (1): Sigmoid()',
        '  (2): Linear(inFeatures=2, outFeatures=1, bias=true)',
        ')',
        'Parameters: 9 (trainable 9)',
      ].join('\n'),
    );
    model.dispose();
  });

  it('indents nested modules and counts frozen parameters apart', () => {
    const model = new Sequential(
      new Linear(784, 128),
      new Residual(new Sequential(new Linear(128, 128), new ReLU())),
      new Dropout(0.1),
    );
    (model.at(0) as Linear).bias!.requiresGrad = false;
    expect(model.toString()).toBe(
      [
        'Sequential(',
        '  (0): Linear(inFeatures=784, outFeatures=128, bias=true)',
        '  (1): Residual(',
        '    (module): Sequential(',
        '      (0): Linear(inFeatures=128, outFeatures=128, bias=true)',
        '      (1): ReLU()',
        '    )',
        '  )',
        '  (2): Dropout(p=0.1)',
        ')',
        'Parameters: 116,992 (trainable 116,864)',
      ].join('\n'),
    );
    expect(String(new ReLU())).toBe('ReLU()\nParameters: 0 (trainable 0)');
    model.dispose();
  });

  it('runs a model many times in tidy without growing memory', () => {
    const backend = getBackend();
    const model = new Sequential(new Linear(4, 8), new ReLU(), new Dropout(0.5), new Linear(8, 2));
    const x = ones([3, 4]);
    const before = backend.liveHandles();
    for (let i = 0; i < 3; i++) {
      tidy(() => {
        model.forward(x).sum().backward();
        model.zeroGrad();
      });
      expect(backend.liveHandles()).toBe(before);
    }
    model.dispose();
    x.dispose();
  });
});
