import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { ShapeError, type Tensor, arange, getBackend, ones, tensor } from '@myelin/core';
import {
  ELU,
  Flatten,
  Identity,
  LeakyReLU,
  Linear,
  LogSoftmax,
  ReLU,
  Residual,
  Sigmoid,
  Softmax,
  Tanh,
} from './index.js';

const values = async (t: Tensor | null) => Array.from(await t!.data());

describe('Residual', () => {
  it('adds the input to the inner output, and the gradient flows through both paths', async () => {
    const block = new Residual(new Linear(2, 2, { bias: false }));
    block.loadStateDict({
      'module.weight': tensor([
        [1, 2],
        [3, 4],
      ]),
    });
    const x = tensor([[1, 1]], { requiresGrad: true });
    const y = block.forward(x);
    expect(await values(y)).toEqual([1 + 3, 1 + 7]);
    y.sum().backward();
    expect(await values(x.grad)).toEqual([1 + 1 + 3, 1 + 2 + 4]); // identity + column sums of W
    block.dispose();
  });

  it('names both shapes when the inner module changes the shape, and frees its output', () => {
    const backend = getBackend();
    const block = new Residual(new Linear(4, 3));
    const x = ones([2, 4]);
    const before = backend.liveHandles();
    const attempt = () => block.forward(x);
    expect(attempt).toThrow(ShapeError);
    expect(attempt).toThrow(
      'Residual: input of shape [2,4] and inner Linear output of shape [2,3] differ; x + module(x) needs the module to keep the shape',
    );
    expect(backend.liveHandles()).toBe(before);
    expect(() => new Residual({} as never)).toThrow('Residual: module must be a Module, got {}');
    block.dispose();
  });
});

describe('Flatten and Identity', () => {
  it('keeps the batch axis by default', async () => {
    const x = arange(24).reshape([2, 3, 4]);
    expect(new Flatten().forward(x).shape).toEqual([2, 12]);
    expect(new Flatten(0).forward(x).shape).toEqual([24]);
    expect(new Flatten(1, 1).forward(x).shape).toEqual([2, 3, 4]);
    expect(new Flatten(-2).forward(x).shape).toEqual([2, 12]);
    expect(await values(new Flatten().forward(x))).toEqual(await values(x));
    expect(() => new Flatten().forward(tensor([1, 2]))).toThrow(
      'Flatten(startAxis=1, endAxis=-1) got input of shape [2]: needs axes 1..-1 to exist and be in order',
    );
    expect(() => new Flatten(0.5)).toThrow('Flatten: startAxis must be an integer, got 0.5');
    expect(new Identity().forward(x)).toBe(x);
  });
});

describe('activation modules', () => {
  it('apply the op of the same name', async () => {
    const x = tensor([[-2, 0, 3]]);
    expect(await values(new ReLU().forward(x))).toEqual([0, 0, 3]);
    expect(await values(new LeakyReLU().forward(x))).toEqual([Math.fround(-0.02), 0, 3]);
    expect(await values(new LeakyReLU(0.5).forward(x))).toEqual([-1, 0, 3]);
    expect((await values(new ELU(2).forward(x)))[0]).toBeCloseTo(2 * (Math.exp(-2) - 1), 6);
    expect((await values(new Sigmoid().forward(x)))[2]).toBeCloseTo(1 / (1 + Math.exp(-3)), 6);
    expect((await values(new Tanh().forward(x)))[0]).toBeCloseTo(Math.tanh(-2), 6);
    const softmax = await values(new Softmax().forward(x));
    expect(softmax.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(await values(new Softmax(0).forward(x))).toEqual([1, 1, 1]);
    const logSoftmax = await values(new LogSoftmax().forward(x));
    logSoftmax.forEach((v, i) => expect(v).toBeCloseTo(Math.log(softmax[i]!), 5));
    expect(String(new LeakyReLU(0.2))).toBe('LeakyReLU(negativeSlope=0.2)\nParameters: 0 (trainable 0)');
    expect(() => new Softmax(0.5)).toThrow('Softmax: axis must be an integer, got 0.5');
    expect(() => new ELU(Number.POSITIVE_INFINITY)).toThrow('ELU: alpha must be a finite number, got Infinity');
  });
});
