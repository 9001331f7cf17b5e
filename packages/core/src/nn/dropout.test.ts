import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { Generator, type Tensor, getBackend, manualSeed, noGrad, ones, tensor, tidy } from '@myelin/core';
import { Dropout } from './dropout.js';

const values = async (t: Tensor | null) => Array.from(await t!.data());

describe('Dropout', () => {
  it('zeroes about p of the elements and scales the rest by 1/(1-p)', async () => {
    const dropout = new Dropout(0.3, { generator: new Generator(1) });
    const out = await values(dropout.forward(ones([200, 100])));
    const zeros = out.filter((v) => v === 0).length / out.length;
    expect(zeros).toBeGreaterThan(0.29);
    expect(zeros).toBeLessThan(0.31);
    expect(out.filter((v) => v !== 0).every((v) => v === Math.fround(1 / 0.7))).toBe(true);
    const mean = out.reduce((a, b) => a + b, 0) / out.length;
    expect(mean).toBeCloseTo(1, 1); // the expectation is unchanged
  });

  it('draws its mask as uniform >= p from the generator', async () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8]);
    const out = await values(new Dropout(0.5, { generator: new Generator(9) }).forward(x));
    const uniform = new Generator(9).uniform(8);
    expect(out).toEqual(Array.from(uniform, (u, i) => (u >= 0.5 ? (i + 1) * 2 : 0)));
    // The default generator serves when none is given, so manualSeed fixes the masks.
    manualSeed(3);
    const first = await values(new Dropout(0.5).forward(x));
    manualSeed(3);
    expect(await values(new Dropout(0.5).forward(x))).toEqual(first);
  });

  it('is the identity in eval mode and for p = 0; p = 1 gives zeros', async () => {
    const x = tensor([1, 2, 3]);
    const dropout = new Dropout(0.9).eval();
    expect(dropout.forward(x)).toBe(x);
    expect(new Dropout(0).forward(x)).toBe(x);
    expect(await values(new Dropout(1).forward(x))).toEqual([0, 0, 0]);
  });

  it('passes the gradient through the kept elements, scaled', async () => {
    const x = tensor([1, 2, 3, 4, 5, 6], { requiresGrad: true });
    const out = new Dropout(0.5, { generator: new Generator(2) }).forward(x);
    out.sum().backward();
    const mask = (await values(out)).map((v, i) => v / (i + 1));
    expect(await values(x.grad)).toEqual(mask);
    expect(mask.every((m) => m === 0 || m === 2)).toBe(true);
  });

  it('checks p and the input dtype', () => {
    expect(() => new Dropout(1.5)).toThrow('Dropout: p must be a number in [0, 1], got 1.5');
    expect(() => new Dropout(-0.1)).toThrow('Dropout: p must be a number in [0, 1], got -0.1');
    expect(() => new Dropout(Number.NaN)).toThrow('Dropout: p must be a number in [0, 1], got NaN');
    expect(() => new Dropout().forward(tensor([1, 2], { dtype: 'int32' }))).toThrow(
      'Dropout: expected a float input, got dtype int32',
    );
  });

  it('leaks nothing, inside tidy or under noGrad without it', () => {
    const backend = getBackend();
    const x = ones([4, 4], { requiresGrad: true });
    const before = backend.liveHandles();
    const dropout = new Dropout(0.5);
    tidy(() => dropout.forward(x).sum().backward());
    x.grad = null;
    expect(backend.liveHandles()).toBe(before);
    noGrad(() => dropout.forward(x)).dispose();
    expect(backend.liveHandles()).toBe(before);
    x.dispose();
  });
});
