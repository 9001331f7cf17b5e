import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { ArgumentError, Generator, ShapeError, type Tensor, manualSeed, ones, tensor } from '@myelin/core';
import { Linear } from './linear.js';

const values = async (t: Tensor | null) => Array.from(await t!.data());

describe('Linear', () => {
  it('computes x W^T + b with W of shape [out, in]', async () => {
    const layer = new Linear(2, 3);
    expect(layer.weight.shape).toEqual([3, 2]);
    expect(layer.bias!.shape).toEqual([3]);
    layer.loadStateDict({
      weight: tensor([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
      bias: tensor([0.5, -0.5, 1]),
    });
    const y = layer.forward(
      tensor([
        [1, -1],
        [2, 0],
      ]),
    );
    expect(y.shape).toEqual([2, 3]);
    expect(await y.array()).toEqual([
      [-0.5, -1.5, 0],
      [2.5, 5.5, 11],
    ]);
    expect(layer.forward(ones([4, 5, 2])).shape).toEqual([4, 5, 3]);
    layer.dispose();
  });

  it('names the layer and the expected dimension when the input does not fit', () => {
    const layer = new Linear(784, 128);
    const attempt = () => layer.forward(ones([64, 100]));
    expect(attempt).toThrow(ShapeError);
    expect(attempt).toThrow('Linear(784 -> 128) got input of shape [64,100]: last dimension must be 784');
    layer.dispose();
  });

  it('initialises like PyTorch: weight and bias U(-1/sqrt(in), 1/sqrt(in))', async () => {
    const layer = new Linear(400, 300, { generator: new Generator(11) });
    const bound = 1 / Math.sqrt(400); // 0.05
    const weight = await values(layer.weight);
    const bias = await values(layer.bias);
    expect(Math.max(...weight.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...weight.map(Math.abs))).toBeGreaterThan(0.999 * bound);
    const mean = weight.reduce((a, b) => a + b, 0) / weight.length;
    const variance = weight.reduce((a, b) => a + (b - mean) ** 2, 0) / weight.length;
    expect(Math.abs(mean)).toBeLessThan(0.001);
    expect(variance).toBeCloseTo((bound * bound) / 3, 5); // U(-b, b) has variance b^2/3
    expect(Math.max(...bias.map(Math.abs))).toBeLessThanOrEqual(bound);
    // Exactly the generator's stream: weight first, then bias (as torch's reset_parameters).
    const stream = new Generator(11).uniform(120_000 + 300, -bound, bound);
    expect(weight.slice(0, 5)).toEqual(Array.from(stream.slice(0, 5), Math.fround));
    expect(bias.slice(0, 5)).toEqual(Array.from(stream.slice(120_000, 120_005), Math.fround));
    layer.dispose();
  });

  it('is reproducible from a seed, through a generator or the default one', async () => {
    const a = new Linear(3, 2, { generator: new Generator(5) });
    const b = new Linear(3, 2, { generator: new Generator(5) });
    const c = new Linear(3, 2, { generator: new Generator(6) });
    expect(await values(a.weight)).toEqual(await values(b.weight));
    expect(await values(a.bias)).toEqual(await values(b.bias));
    expect(await values(a.weight)).not.toEqual(await values(c.weight));
    manualSeed(42);
    const d = new Linear(3, 2);
    manualSeed(42);
    const e = new Linear(3, 2);
    expect(await values(d.weight)).toEqual(await values(e.weight));
    for (const layer of [a, b, c, d, e]) layer.dispose();
  });

  it('supports bias: false and float64', async () => {
    const layer = new Linear(2, 2, { bias: false, dtype: 'float64' });
    expect(layer.bias).toBeNull();
    expect(layer.namedParameters().map(([name]) => name)).toEqual(['weight']);
    expect(layer.weight.dtype).toBe('float64');
    expect(layer.forward(ones([1, 2], { dtype: 'float64' })).dtype).toBe('float64');
    expect(layer.config()).toEqual({ type: 'Linear', inFeatures: 2, outFeatures: 2, bias: false, dtype: 'float64' });
    layer.dispose();
  });

  it('checks its arguments', () => {
    expect(() => new Linear(0, 3)).toThrow('Linear: inFeatures must be a positive integer, got 0');
    expect(() => new Linear(2, 1.5)).toThrow(ArgumentError);
    expect(() => new Linear(2, 2, { bias: 'yes' as never })).toThrow(
      'Linear: options.bias must be true or false, got "yes"',
    );
    expect(() => new Linear(2, 2, { dtype: 'int32' as never })).toThrow(
      "Linear: options.dtype must be 'float32' or 'float64', got \"int32\"",
    );
    // PyTorch's positional nn.Linear(2, 2, False) and misspelt options are refused, not ignored.
    expect(() => new Linear(2, 2, false as never)).toThrow(
      'Linear: options must be an object like { bias: ... } (allowed: bias, generator, dtype, backend), got false',
    );
    expect(() => new Linear(2, 2, { bais: false } as never)).toThrow(
      "Linear: unknown option 'bais' (allowed: bias, generator, dtype, backend)",
    );
  });

  it('sends gradients to weight, bias and input', async () => {
    const layer = new Linear(2, 1);
    layer.loadStateDict({ weight: tensor([[2, -3]]), bias: tensor([1]) });
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    layer.forward(x).sum().backward();
    expect(await values(layer.weight.grad)).toEqual([4, 6]);
    expect(await values(layer.bias!.grad)).toEqual([2]);
    expect(await values(x.grad)).toEqual([2, -3, 2, -3]);
    layer.dispose();
    x.dispose();
  });
});
