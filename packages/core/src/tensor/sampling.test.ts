import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  DTypeError,
  Generator,
  ShapeError,
  bernoulli,
  exponential,
  full,
  getBackend,
  multinomial,
  normal,
  poisson,
  randperm,
  standardGamma,
  tensor,
  type Tensor,
} from '@myelin/core';

const N = 20000;

function values(t: Tensor): number[] {
  return Array.from(t.dataSync());
}

function moments(xs: readonly number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance };
}

/** Sample mean and variance within `sigmas` standard errors of the distribution's (fourth central moment given). */
function expectMoments(xs: readonly number[], mean: number, variance: number, fourth: number, sigmas = 5): void {
  const got = moments(xs);
  const n = xs.length;
  expect(Math.abs(got.mean - mean)).toBeLessThan(sigmas * Math.sqrt(variance / n));
  expect(Math.abs(got.variance - variance)).toBeLessThan(sigmas * Math.sqrt((fourth - variance ** 2) / n));
}

/** Pearson's statistic of counts against probabilities; below its 1e-6 tail for df up to 20 (df + 12 sqrt(2 df)). */
function expectChiSquare(counts: readonly number[], probabilities: readonly number[]): void {
  const n = counts.reduce((a, b) => a + b, 0);
  let statistic = 0;
  counts.forEach((c, i) => (statistic += (c - n * probabilities[i]!) ** 2 / (n * probabilities[i]!)));
  const df = counts.length - 1;
  expect(statistic).toBeLessThan(df + 12 * Math.sqrt(2 * df));
}

function poissonPmf(rate: number, k: number): number {
  let logFactorial = 0;
  for (let j = 2; j <= k; j++) logFactorial += Math.log(j);
  return Math.exp(-rate + k * Math.log(rate) - logFactorial);
}

/** Counts of first .. last - 1, one bin below first (when first > 0) and one from last up, against the Poisson pmf. */
function expectPoissonShape(xs: readonly number[], rate: number, first: number, last: number): void {
  const bins: { from: number; to: number }[] = [];
  if (first > 0) bins.push({ from: 0, to: first });
  for (let k = first; k < last; k++) bins.push({ from: k, to: k + 1 });
  bins.push({ from: last, to: Infinity });
  const counts = bins.map((b) => xs.filter((x) => x >= b.from && x < b.to).length);
  const probabilities = bins.map((b) => {
    let p = 0;
    for (let k = b.from; k < Math.min(b.to, last); k++) p += poissonPmf(rate, k);
    return p;
  });
  probabilities[bins.length - 1] = 1 - probabilities.slice(0, -1).reduce((a, b) => a + b, 0);
  expectChiSquare(counts, probabilities);
}

describe('bernoulli', () => {
  it('draws 0/1 in probs dtype with the right frequency, deterministic per seed', () => {
    const probs = full([N], 0.3, { dtype: 'float64' });
    const draws = bernoulli(probs, { generator: new Generator(7) });
    expect(draws.dtype).toBe('float64');
    const xs = values(draws);
    expect(xs.every((x) => x === 0 || x === 1)).toBe(true);
    expectMoments(xs, 0.3, 0.21, 0.3 * 0.7 * (1 - 3 * 0.3 * 0.7));
    expect(values(bernoulli(probs, { generator: new Generator(7) }))).toEqual(xs);
    expect(values(bernoulli(probs, { generator: new Generator(8) }))).not.toEqual(xs);
  });

  it('is always 0 at p = 0 and always 1 at p = 1, also in float32', () => {
    const xs = values(bernoulli(tensor([0, 1, 0, 1, 0, 1]), { generator: new Generator(1) }));
    expect(xs).toEqual([0, 1, 0, 1, 0, 1]);
  });

  it('rejects probabilities outside [0, 1], integer tensors and unknown options', () => {
    expect(() => bernoulli(tensor([0.5, 1.5]))).toThrow(/bernoulli: probabilities must be in \[0, 1\], got 1.5/);
    expect(() => bernoulli(tensor([1], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(() => bernoulli(tensor([0.5]), { seed: 1 } as never)).toThrow(ArgumentError);
  });
});

describe('normal', () => {
  it('broadcasts tensor mean and std and has their moments', () => {
    const mean = tensor([2, -1], { dtype: 'float64' });
    const std = full([N, 1], 3, { dtype: 'float64' });
    const draws = normal(mean, std, { generator: new Generator(3) });
    expect(draws.shape).toEqual([N, 2]);
    const xs = values(draws);
    expectMoments(
      xs.filter((_, i) => i % 2 === 0),
      2,
      9,
      3 * 81,
    );
    expectMoments(
      xs.filter((_, i) => i % 2 === 1),
      -1,
      9,
      3 * 81,
    );
  });

  it('takes numbers with a size, a number and a tensor, and std 0', () => {
    const draws = normal(1, 0.5, { size: [N], generator: new Generator(4) });
    expect(draws.shape).toEqual([N]);
    expect(draws.dtype).toBe('float32');
    expectMoments(values(draws), 1, 0.25, 3 * 0.0625);
    expect(values(normal(tensor([1, 2, 3]), 0))).toEqual([1, 2, 3]);
    expect(normal(0, tensor([1, 2], { dtype: 'float64' })).dtype).toBe('float64');
  });

  it('rejects a negative std, numbers without a size and a size with tensors', () => {
    expect(() => normal(0, -1, { size: [2] })).toThrow(/normal: std must be >= 0, got -1/);
    expect(() => normal(0, tensor([1, -2]))).toThrow(/normal: std must be >= 0, got -2/);
    expect(() => normal(0, 1)).toThrow(/pass \{ size \}/);
    expect(() => normal(tensor([0]), 1, { size: [3] })).toThrow(/size is only for number mean and std/);
    expect(() => normal(tensor([0, 1]), tensor([1, 1, 1]))).toThrow(ShapeError);
  });
});

describe('exponential', () => {
  it('has mean 1 / rate and variance 1 / rate^2', () => {
    const xs = values(exponential(full([N], 2, { dtype: 'float64' }), { generator: new Generator(5) }));
    expect(xs.every((x) => x >= 0 && Number.isFinite(x))).toBe(true);
    expectMoments(xs, 0.5, 0.25, 9 * 0.0625);
    expect(() => exponential(tensor([1, 0]))).toThrow(/exponential: rate must be > 0, got 0/);
  });
});

describe('poisson', () => {
  for (const rate of [0.7, 4, 30, 500]) {
    it(`rate ${rate}: integer counts with mean and variance ${rate} and the Poisson shape`, () => {
      const xs = values(poisson(full([N], rate, { dtype: 'float64' }), { generator: new Generator(11) }));
      expect(xs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
      expectMoments(xs, rate, rate, rate + 3 * rate * rate, 6);
      const spread = Math.ceil(2.5 * Math.sqrt(rate));
      expectPoissonShape(xs, rate, Math.max(0, Math.floor(rate) - spread), Math.ceil(rate) + spread);
    });
  }

  it('is 0 at rate 0, deterministic per seed, and rejects negative or infinite rates', () => {
    const rates = tensor([0, 3, 0, 50]);
    const draws = poisson(rates, { generator: new Generator(2) });
    expect(draws.dtype).toBe('float32');
    const xs = values(draws);
    expect([xs[0], xs[2]]).toEqual([0, 0]);
    expect(values(poisson(rates, { generator: new Generator(2) }))).toEqual(xs);
    expect(() => poisson(tensor([1, -1]))).toThrow(/poisson: rates must be finite and >= 0, got -1/);
    expect(() => poisson(tensor([Infinity]))).toThrow(/got Infinity/);
  });
});

describe('standardGamma', () => {
  for (const alpha of [0.3, 1, 3.7, 40]) {
    it(`concentration ${alpha}: positive, mean and variance ${alpha}`, () => {
      const xs = values(standardGamma(full([N], alpha, { dtype: 'float64' }), { generator: new Generator(13) }));
      expect(xs.every((x) => x > 0)).toBe(true);
      expectMoments(xs, alpha, alpha, 3 * alpha * alpha + 6 * alpha, 6);
    });
  }

  it('floors draws at the smallest normal number of the dtype, as PyTorch (float32 has no 0 draws)', () => {
    const small = standardGamma(full([2000], 0.01, { dtype: 'float32' }), { generator: new Generator(14) });
    const xs = values(small);
    expect(Math.min(...xs)).toBe(1.1754943508222875e-38);
    const small64 = values(standardGamma(full([2000], 0.002, { dtype: 'float64' }), { generator: new Generator(14) }));
    expect(Math.min(...small64)).toBe(2.2250738585072014e-308);
  });

  it('rejects concentrations <= 0', () => {
    expect(() => standardGamma(tensor([1, 0]))).toThrow(/standardGamma: concentration must be finite and > 0, got 0/);
  });
});

describe('multinomial', () => {
  it('with replacement: frequencies of unnormalised weights, per row', () => {
    const probs = tensor([
      [1, 2, 3, 4],
      [0, 0, 5, 5],
    ]);
    const draws = multinomial(probs, N, { replacement: true, generator: new Generator(17) });
    expect(draws.shape).toEqual([2, N]);
    expect(draws.dtype).toBe('int32');
    const xs = values(draws);
    const counts = [0, 1].map((row) => {
      const c = [0, 0, 0, 0];
      for (let i = 0; i < N; i++) c[xs[row * N + i]!]!++;
      return c;
    });
    expectChiSquare(counts[0]!, [0.1, 0.2, 0.3, 0.4]);
    expect(counts[1]![0]! + counts[1]![1]!).toBe(0);
    expectChiSquare(counts[1]!.slice(2), [0.5, 0.5]);
  });

  it('without replacement: distinct categories, the first draw distributed as the weights', () => {
    const probs = tensor([0.1, 0.2, 0.3, 0.4]);
    const generator = new Generator(19);
    const first = [0, 0, 0, 0];
    for (let t = 0; t < 2000; t++) {
      const draw = values(multinomial(probs, 4, { generator }));
      expect([...draw].sort()).toEqual([0, 1, 2, 3]);
      first[draw[0]!]!++;
    }
    expectChiSquare(first, [0.1, 0.2, 0.3, 0.4]);
  });

  it('without replacement: the second draw is distributed as drawing from the renormalised rest', () => {
    const weights = [0.1, 0.2, 0.3, 0.4];
    const draws = values(
      multinomial(tensor(Array.from({ length: N }, () => weights)), 2, { generator: new Generator(23) }),
    );
    const second = [0, 0, 0, 0];
    for (let i = 0; i < N; i++) second[draws[2 * i + 1]!]!++;
    // P(second = j) = sum over i != j of p_i p_j / (1 - p_i)
    const expected = weights.map((pj, j) =>
      weights.reduce((sum, pi, i) => (i === j ? sum : sum + (pi * pj) / (1 - pi)), 0),
    );
    expectChiSquare(second, expected);
  });

  it('a wide row draws through one prefix sum (with replacement) or one race (without)', () => {
    const row = Array.from({ length: 5000 }, (_, i) => (i % 7 === 3 ? 0 : 1 + (i % 5)));
    const probs = tensor([row, row], { dtype: 'float64' });
    const withReplacement = values(multinomial(probs, 300, { replacement: true, generator: new Generator(29) }));
    expect(withReplacement.every((c) => row[c]! > 0)).toBe(true);
    const distinct = values(multinomial(probs, 300, { generator: new Generator(29) }));
    expect(new Set(distinct.slice(0, 300)).size).toBe(300);
    expect(distinct.every((c) => row[c]! > 0)).toBe(true);
  });

  it('rejects bad weights, shapes, sample counts and options', () => {
    expect(() => multinomial(tensor([0.5, -0.5]), 1)).toThrow(/finite and >= 0, got -0.5 in row 0/);
    expect(() =>
      multinomial(
        tensor([
          [1, 1],
          [0, 0],
        ]),
        1,
      ),
    ).toThrow(/row 1 of probs sums to 0/);
    expect(() => multinomial(tensor([1, 1]), 3)).toThrow(/cannot draw 3 samples without replacement from 2 categories/);
    expect(() => multinomial(tensor([1, 0, 1]), 3)).toThrow(/row 0 has 2 categories with nonzero probability/);
    expect(() => multinomial(tensor([[[1]]]), 1)).toThrow(/probs must be 1-D or 2-D, got shape \[1,1,1\]/);
    expect(() => multinomial(tensor([1, 1]), 0)).toThrow(/numSamples must be a positive integer, got 0/);
    expect(() => multinomial(tensor([1, 1]), 1, { replacement: 1 } as never)).toThrow(
      /replacement must be true or false/,
    );
  });
});

describe('randperm', () => {
  it('is a permutation of 0 .. n - 1, deterministic per seed, in the dtype asked', () => {
    const p = randperm(50, { generator: new Generator(23) });
    expect(p.dtype).toBe('int32');
    const xs = values(p);
    expect([...xs].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(values(randperm(50, { generator: new Generator(23) }))).toEqual(xs);
    expect(randperm(3, { dtype: 'float64' }).dtype).toBe('float64');
    expect(randperm(0).shape).toEqual([0]);
    expect(() => randperm(-1)).toThrow(/randperm: n must be a non-negative integer, got -1/);
  });
});

describe('memory', () => {
  it('bernoulli, normal and exponential leave only their result alive', () => {
    const backend = getBackend();
    const p = tensor([0.2, 0.9], { dtype: 'float64' });
    for (const draw of [() => bernoulli(p), () => normal(p, p), () => exponential(p)]) {
      const before = backend.liveHandles();
      const x = draw();
      expect(backend.liveHandles()).toBe(before + 1);
      x.dispose();
    }
  });
});

describe('sampling on a backend without synchronous reads', () => {
  it('the host samplers name the op; bernoulli, normal and exponential still run', () => {
    const reference = getBackend('cpu-reference');
    const asyncOnly = new Proxy(reference, {
      get: (target, key) => (key === 'readSync' ? undefined : key === 'name' ? 'async-only' : Reflect.get(target, key)),
    });
    const rates = tensor([1, 2], { backend: asyncOnly });
    expect(() => poisson(rates)).toThrow(/poisson: draws on the host .* backend 'async-only' cannot/);
    expect(() => standardGamma(rates)).toThrow(/standardGamma: draws on the host/);
    expect(() => multinomial(rates, 1)).toThrow(/multinomial: draws on the host/);
    expect(bernoulli(tensor([0.5], { backend: asyncOnly })).shape).toEqual([1]);
    expect(normal(rates, 1).shape).toEqual([2]);
    expect(exponential(rates).shape).toEqual([2]);
  });
});
