import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { Generator, ShapeError, type Tensor, getBackend, ones, zeros } from '@myelin/core';
import {
  calculateGain,
  constant_,
  fanInAndFanOut,
  kaimingNormal_,
  kaimingUniform_,
  normal_,
  uniform_,
  xavierNormal_,
  xavierUniform_,
  zeros_,
} from './init.js';

const values = async (t: Tensor) => Array.from(await t.data());
const std = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
};
/** The values a random init must produce: the generator's stream, rounded to float32. */
const expectedUniform = (seed: number, n: number, bound: number) =>
  Array.from(new Generator(seed).uniform(n, -bound, bound), Math.fround);

describe('fans and gains (torch.nn.init formulas)', () => {
  it('computes fan in and fan out like _calculate_fan_in_and_fan_out', () => {
    expect(fanInAndFanOut(zeros([3, 5]))).toEqual({ fanIn: 5, fanOut: 3 });
    expect(fanInAndFanOut(zeros([16, 8, 3, 3]))).toEqual({ fanIn: 72, fanOut: 144 }); // a conv weight
    expect(() => fanInAndFanOut(zeros([4]))).toThrow(ShapeError);
    expect(() => fanInAndFanOut(zeros([4]))).toThrow(
      'fan in and fan out need a tensor with at least 2 dimensions, got shape [4]',
    );
  });

  it('matches calculate_gain', () => {
    expect(calculateGain('linear')).toBe(1);
    expect(calculateGain('sigmoid')).toBe(1);
    expect(calculateGain('tanh')).toBeCloseTo(5 / 3, 15);
    expect(calculateGain('relu')).toBeCloseTo(1.4142135623730951, 15);
    expect(calculateGain('leakyRelu')).toBeCloseTo(1.4141428569978354, 15); // slope 0.01
    expect(calculateGain('leakyRelu', 0.2)).toBeCloseTo(1.3867504905630728, 15);
    expect(calculateGain('selu')).toBe(0.75);
    expect(() => calculateGain('gelu' as never)).toThrow(/unknown nonlinearity "gelu"/);
  });
});

describe('random initialisers', () => {
  it('xavierUniform_ draws U(-a, a), a = gain * sqrt(6 / (fanIn + fanOut))', async () => {
    const t = zeros([20, 30]);
    expect(xavierUniform_(t, { gain: 2, generator: new Generator(1) })).toBe(t);
    expect(await values(t)).toEqual(expectedUniform(1, 600, 0.6928203230275509)); // 2 * sqrt(6 / 50)
  });

  it('xavierNormal_ draws N(0, std^2), std = gain * sqrt(2 / (fanIn + fanOut))', async () => {
    const t = xavierNormal_(zeros([300, 500]), { generator: new Generator(2) });
    expect(std(await values(t))).toBeCloseTo(0.05, 3); // sqrt(2 / 800)
  });

  it('kaimingUniform_ defaults to leaky ReLU with a = 0: bound sqrt(6 / fanIn)', async () => {
    const t = kaimingUniform_(zeros([64, 128]), { generator: new Generator(3) });
    expect(await values(t)).toEqual(expectedUniform(3, 64 * 128, 0.21650635094610965));
    // Linear's default (a = sqrt(5)) gives 1 / sqrt(fanIn); mode 'fanOut' uses the 64 rows.
    kaimingUniform_(t, { a: Math.sqrt(5), generator: new Generator(3) });
    expect(await values(t)).toEqual(expectedUniform(3, 64 * 128, 0.08838834764831843));
    kaimingUniform_(t, { mode: 'fanOut', nonlinearity: 'relu', generator: new Generator(3) });
    expect(await values(t)).toEqual(expectedUniform(3, 64 * 128, Math.sqrt(6 / 64)));
  });

  it('kaimingNormal_ draws N(0, std^2), std = gain / sqrt(fan)', async () => {
    const t = kaimingNormal_(zeros([64, 2000]), { mode: 'fanOut', nonlinearity: 'relu', generator: new Generator(4) });
    expect(std(await values(t))).toBeCloseTo(0.1767766952966369, 3); // sqrt(2) / sqrt(64)
    expect(() => kaimingNormal_(zeros([2, 2]), { mode: 'fan_in' as never })).toThrow(
      `kaiming init: mode must be 'fanIn' or 'fanOut', got "fan_in"`,
    );
  });

  it('uniform_ and normal_ take explicit ranges, and the same seed gives the same values', async () => {
    const a = uniform_(zeros([1000]), 2, 3, { generator: new Generator(5) });
    const av = await values(a);
    expect(Math.min(...av)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...av)).toBeLessThan(3);
    expect(await values(uniform_(zeros([1000]), 2, 3, { generator: new Generator(5) }))).toEqual(av);
    const n = await values(normal_(zeros([20000]), 1, 0.5, { generator: new Generator(6) }));
    expect(n.reduce((x, y) => x + y, 0) / n.length).toBeCloseTo(1, 2);
    expect(std(n)).toBeCloseTo(0.5, 2);
    expect(() => uniform_(zeros([2]), 3, 2)).toThrow('uniform_: high (with low = 3) must be a number >= 3, got 2');
    expect(() => normal_(zeros([2]), 0, -1)).toThrow('normal_: std must be a number >= 0, got -1');
    expect(() => uniform_(zeros([2], { dtype: 'int32' }))).toThrow(
      'uniform_: expected a float tensor, got dtype int32',
    );
  });
});

describe('constant initialisers', () => {
  it('fill in place and keep the tensor a gradient-free leaf', async () => {
    const t = ones([2, 2], { requiresGrad: true });
    const version = t.version;
    expect(zeros_(t)).toBe(t);
    expect(await values(t)).toEqual([0, 0, 0, 0]);
    expect(await values(constant_(t, 0.5))).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(t.version).toBe(version + 2);
    expect(t.gradNode).toBeNull();
    expect(await values(constant_(zeros([2], { dtype: 'int32' }), 7))).toEqual([7, 7]);
  });

  it('leak nothing', () => {
    const backend = getBackend();
    const t = zeros([8, 8]);
    const before = backend.liveHandles();
    xavierUniform_(t);
    kaimingNormal_(t);
    constant_(t, 1);
    expect(backend.liveHandles()).toBe(before);
    t.dispose();
  });
});
