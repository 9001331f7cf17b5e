import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { Generator, ShapeError, type Tensor, conv1d, conv2d, getBackend, ones, randn, zeros } from '@myelin/core';
import {
  calculateGain,
  constant_,
  dirac_,
  eye_,
  fanInAndFanOut,
  kaimingNormal_,
  kaimingUniform_,
  normal_,
  ones_,
  orthogonal_,
  sparse_,
  truncNormal_,
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
    expect(calculateGain('conv2d')).toBe(1);
    expect(calculateGain('convTranspose3d')).toBe(1);
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

describe('truncNormal_ (torch.nn.init.trunc_normal_)', () => {
  // Mean and standard deviation of N(mean, std^2) truncated to [a, b], from the closed forms
  // (mean + std (φ(α) - φ(β)) / Z, ...) with Python's math.erf.
  const cases: [a: number, b: number, mean: number, std: number, expectedMean: number, expectedStd: number][] = [
    [-2, 2, 0, 1, 0, 0.8796256610342398], // normal proposals
    [-1, 1, 0, 1, 0, 0.5395600937548969], // uniform proposals around 0
    [0.2, 1, 0, 1, 0.5687923712603412, 0.22722572879434086], // uniform proposals off 0
    [0.5, 0.6, 0, 1, 0.5495418425102319, 0.028860521167579013], // a narrow window
    [3, 5, 0, 1, 3.282694379942385, 0.26419228995210287], // exponential proposals in the tail
    [-Infinity, -2.5, 0, 1, -2.8227447976639057, 0.2982847656537623], // the left tail
    [0, Infinity, 0, 1, 0.7978845608028654, 0.6028102749890869], // half-normal
    [-2, 2, 1, 0.5, 0.972376071741281, 0.47075787608300557], // bounds in the tensor's units
    [-0.04, 0.04, 0, 0.02, 0, 0.017592513220684797], // a ViT-style init
  ];
  it.each(cases)('[%d, %d] with mean %d, std %d has the truncated moments', async (a, b, mean, sd, m, s) => {
    const n = 100_000;
    const xs = await values(
      truncNormal_(zeros([n], { dtype: 'float64' }), mean, sd, a, b, { generator: new Generator(9) }),
    );
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(a);
    expect(Math.max(...xs)).toBeLessThanOrEqual(b);
    const sampleMean = xs.reduce((x, y) => x + y, 0) / n;
    // Five standard errors: a wrong sampler (e.g. clamping instead of truncating) misses by far more.
    expect(Math.abs(sampleMean - m)).toBeLessThan((5 * s) / Math.sqrt(n));
    expect(Math.abs(std(xs) - s) / s).toBeLessThan(0.02);
  });

  it('is seeded and checks its bounds', async () => {
    const draw = async () => values(truncNormal_(zeros([50]), 0, 1, -1, 3, { generator: new Generator(4) }));
    expect(await draw()).toEqual(await draw());
    expect(() => truncNormal_(zeros([2]), 0, 1, 2, 2)).toThrow(
      'truncNormal_: need bounds a < b (either may be infinite), got a = 2, b = 2',
    );
    expect(() => truncNormal_(zeros([2]), 0, 0)).toThrow('truncNormal_: std must be a finite number > 0, got 0');
  });
});

describe('orthogonal_ (torch.nn.init.orthogonal_)', () => {
  /** A [r, k] @ B [k, c], row-major. */
  const product = (a: number[], b: number[], r: number, k: number, c: number) =>
    Array.from({ length: r * c }, (_, i) => {
      let s = 0;
      for (let j = 0; j < k; j++) s += a[Math.floor(i / c) * k + j]! * b[j * c + (i % c)]!;
      return s;
    });
  const transposed = (a: number[], r: number, c: number) =>
    Array.from({ length: r * c }, (_, i) => a[(i % r) * c + Math.floor(i / r)]!);
  const expectIdentity = (m: number[], n: number, gain2: number) =>
    m.forEach((v, i) => expect(v).toBeCloseTo(Math.floor(i / n) === i % n ? gain2 : 0, 12));

  it.each([
    [6, 4],
    [4, 6],
    [5, 5],
  ])('[%d, %d] is the Q of the normal draws with a positive R diagonal', async (rows, cols) => {
    const q = await values(orthogonal_(zeros([rows, cols], { dtype: 'float64' }), { generator: new Generator(7) }));
    const a = Array.from(new Generator(7).normal(rows * cols));
    if (rows >= cols) {
      expectIdentity(product(transposed(q, rows, cols), q, cols, rows, cols), cols, 1); // QᵀQ = I
      // R = Qᵀ A is upper triangular with a positive diagonal: the unique QR, so Q is PyTorch's for these draws.
      const r = product(transposed(q, rows, cols), a, cols, rows, cols);
      r.forEach((v, i) => {
        const [row, col] = [Math.floor(i / cols), i % cols];
        if (row > col) expect(Math.abs(v)).toBeLessThan(1e-12);
        if (row === col) expect(v).toBeGreaterThan(0);
      });
    } else {
      expectIdentity(product(q, transposed(q, rows, cols), rows, cols, rows), rows, 1); // QQᵀ = I
      const l = product(a, transposed(q, rows, cols), rows, cols, rows); // A Qᵀ = Rᵀ: lower triangular
      l.forEach((v, i) => {
        const [row, col] = [Math.floor(i / rows), i % rows];
        if (row < col) expect(Math.abs(v)).toBeLessThan(1e-12);
        if (row === col) expect(v).toBeGreaterThan(0);
      });
    }
  });

  it('flattens a convolution weight to [out, rest] and scales by the gain', async () => {
    const w = await values(
      orthogonal_(zeros([4, 2, 3, 3], { dtype: 'float64' }), { gain: 2, generator: new Generator(1) }),
    );
    expectIdentity(product(w, transposed(w, 4, 18), 4, 18, 4), 4, 4); // (2Q)(2Q)ᵀ = 4I
    expect(() => orthogonal_(zeros([3]))).toThrow(
      'orthogonal_: needs a tensor with at least 2 dimensions, got shape [3]',
    );
  });
});

describe('sparse_, eye_, dirac_ and ones_', () => {
  it('sparse_ zeroes ceil(sparsity * rows) entries of every column', async () => {
    const [rows, cols] = [10, 7];
    const w = await values(sparse_(zeros([rows, cols]), 0.25, { std: 0.5, generator: new Generator(2) }));
    for (let c = 0; c < cols; c++) {
      const column = Array.from({ length: rows }, (_, r) => w[r * cols + c]!);
      expect(column.filter((v) => v === 0)).toHaveLength(3);
    }
    expect(() => sparse_(zeros([2, 2, 2]), 0.1)).toThrow('sparse_: needs a 2-D tensor, got shape [2,2,2]');
    expect(() => sparse_(zeros([2, 2]), 1.5)).toThrow('sparse_: sparsity must be a number in [0, 1], got 1.5');
  });

  it('eye_ writes the identity, rectangles included', async () => {
    expect(await values(eye_(ones([2, 3])))).toEqual([1, 0, 0, 0, 1, 0]);
    expect(await values(ones_(zeros([2])))).toEqual([1, 1]);
    expect(() => eye_(zeros([2, 2, 2]))).toThrow('eye_: needs a 2-D tensor, got shape [2,2,2]');
  });

  it('dirac_ makes a convolution that passes its input through', async () => {
    const x = randn([2, 3, 5, 6], { generator: new Generator(3) });
    const w = dirac_(zeros([3, 3, 3, 3]));
    expect(await values(conv2d(x, w, null, { padding: 1 }))).toEqual(await values(x));
    // Two groups of 2 output channels over 2 input channels each: channel d of each group copies input d.
    const grouped = dirac_(zeros([4, 2, 3]), 2);
    const signal = randn([1, 4, 8], { generator: new Generator(4) });
    const through = await values(conv1d(signal, grouped, null, { padding: 1, groups: 2 }));
    expect(through).toEqual(await values(signal));
    expect(() => dirac_(zeros([3, 3]))).toThrow(
      'dirac_: needs a 3-D, 4-D or 5-D convolution weight [out, in, ...kernel], got shape [3,3]',
    );
    expect(() => dirac_(zeros([3, 3, 3]), 2)).toThrow(
      'dirac_: groups must be a positive integer dividing 3 output channels, got 2',
    );
  });
});
