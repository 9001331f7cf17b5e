import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  Generator,
  distributions,
  eye,
  getBackend,
  isFinite,
  linalg,
  tensor,
  where,
  type Tensor,
} from '@myelin/core';
import { PYTORCH_DISTRIBUTIONS } from './distributions-fixture.js';
import { PYTORCH_MULTIVARIATE_NORMAL } from './multivariate-normal-fixture.js';

const {
  Bernoulli,
  Beta,
  Categorical,
  Dirichlet,
  Exponential,
  Gamma,
  Independent,
  Laplace,
  LowRankMultivariateNormal,
  MultivariateNormal,
  Normal,
  OneHotCategorical,
  Poisson,
  Uniform,
  klDivergence,
} = distributions;
type Distribution = distributions.Distribution;
type Gaussian = distributions.MultivariateNormal | distributions.LowRankMultivariateNormal;
type Params = Record<string, Tensor>;

const MAKE: Record<keyof typeof PYTORCH_DISTRIBUTIONS.cases, (p: Params) => Distribution> = {
  Normal: (p) => new Normal(p.loc!, p.scale!),
  Laplace: (p) => new Laplace(p.loc!, p.scale!),
  Uniform: (p) => new Uniform(p.low!, p.high!, { validateArgs: false }),
  Exponential: (p) => new Exponential(p.rate!),
  Gamma: (p) => new Gamma(p.concentration!, p.rate!),
  Beta: (p) => new Beta(p.concentration1!, p.concentration0!),
  Dirichlet: (p) => new Dirichlet(p.concentration!),
  Poisson: (p) => new Poisson(p.rate!),
  BernoulliProbs: (p) => new Bernoulli({ probs: p.probs! }),
  BernoulliLogits: (p) => new Bernoulli({ logits: p.logits! }),
  CategoricalProbs: (p) => new Categorical({ probs: p.probs! }),
  CategoricalLogits: (p) => new Categorical({ logits: p.logits! }),
  OneHotCategorical: (p) => new OneHotCategorical({ logits: p.logits! }),
  IndependentNormal: (p) => new Independent(new Normal(p.loc!, p.scale!), 1),
};

const TOLERANCE = { abs: 1e-12, rel: 1e-10 };
/**
 * The gradients of the Gamma, Beta and Dirichlet entropies and KLs hold trigamma, where
 * PyTorch's (cephes zeta) is good to about 2e-10 relative, and they cancel: d/da of Gamma's
 * entropy at a = 2 is 1 - trigamma(2) = 2 - pi^2 / 6 = 0.3550659331517736 (ours), PyTorch's
 * 0.35506593291181. Values agree to the default tolerance.
 */
const TRIGAMMA_TOLERANCE = { abs: 1e-9, rel: 1e-9 };

function leaves(raw: Record<string, unknown>): Params {
  return Object.fromEntries(
    Object.entries(raw).map(([k, v]) => [k, tensor(v as number[], { dtype: 'float64', requiresGrad: true })]),
  );
}

function expectNear(
  actual: ArrayLike<number>,
  expected: readonly number[],
  what: string,
  tolerance: { abs: number; rel: number } = TOLERANCE,
): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const got = actual[i]!;
    const want = expected[i]!;
    if (!Number.isFinite(want)) {
      if (!Object.is(got, want)) expect.fail(`${what}[${i}]: got ${got}, PyTorch ${want}`);
    } else if (!(Math.abs(got - want) <= tolerance.abs + tolerance.rel * Math.abs(want)))
      expect.fail(`${what}[${i}]: got ${got}, PyTorch ${want}`);
  }
}

/** Compares an output and the gradients of its (finite) sum with PyTorch's record of them. */
function expectRecord(
  output: Tensor,
  params: Params,
  expected: { values: readonly number[]; grads?: Record<string, readonly number[]> },
  what: string,
  valueTolerance = TOLERANCE,
): void {
  expectNear(output.dataSync(), expected.values, `${what} value`, valueTolerance);
  if (expected.grads === undefined) return;
  for (const p of Object.values(params)) p.grad = null;
  where(isFinite(output), output, 0).sum().backward();
  const tolerance = /Gamma|Beta|Dirichlet/.test(what) ? TRIGAMMA_TOLERANCE : valueTolerance;
  for (const [name, grad] of Object.entries(expected.grads))
    expectNear(params[name]!.grad?.dataSync() ?? new Float64Array(grad.length), grad, `${what} d/d${name}`, tolerance);
}

describe('torch.distributions matches PyTorch', () => {
  for (const [name, make] of Object.entries(MAKE)) {
    const fixture = PYTORCH_DISTRIBUTIONS.cases[name as keyof typeof PYTORCH_DISTRIBUTIONS.cases];
    it(`${name}: logProb, entropy, moments${'cdf' in fixture ? ', cdf and icdf' : ''} with gradients`, () => {
      const integerValue = name.startsWith('Categorical');
      const value = tensor(fixture.value as number[], { dtype: integerValue ? 'int32' : 'float64' });
      const methods: Record<string, (d: Distribution) => Tensor> = {
        logProb: (d) => d.logProb(value),
        mean: (d) => d.mean,
        variance: (d) => d.variance,
        stddev: (d) => d.stddev,
        entropy: (d) => d.entropy(),
      };
      if ('cdfValue' in fixture) {
        methods.cdf = (d) => d.cdf(tensor(fixture.cdfValue, { dtype: 'float64' }));
        methods.icdf = (d) => d.icdf(tensor(fixture.icdfValue, { dtype: 'float64' }));
      }
      for (const [method, fn] of Object.entries(methods)) {
        const expected = (fixture as Record<string, unknown>)[method] as Parameters<typeof expectRecord>[2] | undefined;
        if (expected === undefined) continue;
        const params = leaves(fixture.params);
        expectRecord(fn(make(params)), params, expected, `${name}.${method}`);
      }
    });
  }

  for (const [name, fixture] of Object.entries(PYTORCH_DISTRIBUTIONS.kl)) {
    it(`klDivergence of two ${name}: values and gradients in both`, () => {
      const make = MAKE[name as keyof typeof MAKE];
      const p = leaves(fixture.p);
      const q = leaves(fixture.q);
      const both = {
        ...Object.fromEntries(Object.entries(p).map(([k, v]) => [`p.${k}`, v])),
        ...Object.fromEntries(Object.entries(q).map(([k, v]) => [`q.${k}`, v])),
      };
      expectRecord(klDivergence(make(p), make(q)), both, fixture, `kl ${name}`);
    });
  }
});

/** Mean over the first axis of a [n, ...batch] sample, per batch element. */
function sampleMeans(x: Tensor): number[] {
  return Array.from(x.mean(0).dataSync());
}

describe('sampling', () => {
  const N = 4000;
  const f64 = (v: number[] | number[][]) => tensor(v, { dtype: 'float64' });

  it('sample and rsample have shape [...sampleShape, ...batchShape, ...eventShape] and the right means', () => {
    const generator = new Generator(29);
    const cases: [Distribution, number[], number[]][] = [
      [new Normal(f64([0.5, -1]), f64([1, 0.3])), [0.5, -1], [1, 0.3]],
      [new Laplace(f64([0.5, -1]), f64([1, 0.3])), [0.5, -1], [Math.SQRT2, 0.3 * Math.SQRT2]],
      [new Uniform(f64([0, -1]), f64([1, 0.5])), [0.5, -0.25], [1 / Math.sqrt(12), 1.5 / Math.sqrt(12)]],
      [new Exponential(f64([0.5, 2])), [2, 0.5], [2, 0.5]],
      [new Gamma(f64([0.5, 7.5]), f64([1, 4])), [0.5, 1.875], [Math.sqrt(0.5), Math.sqrt(7.5) / 4]],
      [
        new Beta(f64([0.5, 7.5]), f64([1.5, 4])),
        [0.25, 7.5 / 11.5],
        [Math.sqrt(0.75 / (4 * 3)), Math.sqrt(30 / (11.5 ** 2 * 12.5))],
      ],
      [new Poisson(f64([0.5, 12])), [0.5, 12], [Math.sqrt(0.5), Math.sqrt(12)]],
      [new Bernoulli({ probs: f64([0.1, 0.7]) }), [0.1, 0.7], [0.3, Math.sqrt(0.21)]],
    ];
    for (const [d, mean, std] of cases) {
      const x = d.sample([N], { generator });
      expect(x.shape, d.constructor.name).toEqual([N, 2]);
      sampleMeans(x).forEach((m, i) =>
        expect(Math.abs(m - mean[i]!), `${d.constructor.name} mean ${i}`).toBeLessThan((5 * std[i]!) / Math.sqrt(N)),
      );
      if (d.hasRsample) expect(d.rsample([3, 1], { generator }).shape).toEqual([3, 1, 2]);
    }
  });

  it('Dirichlet, Categorical and OneHotCategorical sample events of the right frequencies', () => {
    const generator = new Generator(31);
    const dirichlet = new Dirichlet(f64([1, 2, 7]));
    expect([dirichlet.batchShape, dirichlet.eventShape]).toEqual([[], [3]]);
    const simplex = dirichlet.sample([N], { generator });
    expect(simplex.shape).toEqual([N, 3]);
    sampleMeans(simplex).forEach((m, i) => expect(Math.abs(m - [0.1, 0.2, 0.7][i]!)).toBeLessThan(0.02));
    const categorical = new Categorical({ probs: f64([[1, 2, 7]]) });
    const draws = categorical.sample([N], { generator });
    expect([draws.shape, draws.dtype]).toEqual([[N, 1], 'int32']);
    const counts = [0, 0, 0];
    for (const v of draws.dataSync()) counts[v]!++;
    counts.forEach((c, i) => expect(Math.abs(c / N - [0.1, 0.2, 0.7][i]!)).toBeLessThan(0.04));
    const oneHot = new OneHotCategorical({ logits: f64([0, 0]) }).sample([N], { generator });
    expect(oneHot.shape).toEqual([N, 2]);
    expect(Array.from(oneHot.sum(1).dataSync()).every((s) => s === 1)).toBe(true);
  });

  it('small concentrations: Beta and Dirichlet draws are never 0, 1 or NaN, and logProb stays finite (float32 and float64)', () => {
    const float32 = { dtype: 'float32' } as const;
    const tiny32 = 1.1754943508222875e-38;
    const beta = new Beta(tensor([0.02], float32), tensor([0.02], float32));
    const x = beta.sample([10000], { generator: new Generator(5) });
    const xs = Array.from(x.dataSync());
    // PyTorch's clamp: [smallest normal, 1 - eps / 2]
    expect(xs.every((v) => v >= tiny32 && v <= 1 - 2 ** -24)).toBe(true);
    expect(xs.filter((v) => v === tiny32).length).toBeGreaterThan(0);
    const dirichlet = new Dirichlet(tensor([0.02, 0.02, 0.02], float32)).sample([3000], {
      generator: new Generator(6),
    });
    expect(Array.from(dirichlet.dataSync()).every((v) => v >= tiny32 && v <= 1 - 2 ** -24)).toBe(true);
    const beta64 = new Beta(f64([0.05]), f64([0.05]));
    const y = beta64.sample([10000], { generator: new Generator(7) });
    expect(Array.from(y.dataSync()).every((v) => v > 0 && v < 1)).toBe(true);
    expect(Array.from(beta64.logProb(y).dataSync()).every(Number.isFinite)).toBe(true);
  });

  it('sample leaves only its result alive, and rsample nothing once its result is disposed', () => {
    const backend = getBackend();
    const loc = tensor([0.5, -1], { dtype: 'float64', requiresGrad: true });
    const scale = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const families: Distribution[] = [
      new Normal(loc, scale),
      new Laplace(loc, scale),
      new Uniform(loc, scale.add(1)),
      new Exponential(scale),
      new Beta(scale, scale),
      new Dirichlet(scale),
    ];
    for (const d of families) {
      const before = backend.liveHandles();
      const x = d.sample([3]);
      expect(backend.liveHandles(), d.constructor.name).toBe(before + 1);
      x.dispose();
      if (!d.hasRsample) continue;
      // rsample's noise lives as long as the result's graph, then goes with it
      const y = d.rsample([3]);
      y.dispose();
      expect(backend.liveHandles(), d.constructor.name).toBe(before);
    }
  });

  it('stddev leaves only its result alive, from a fresh variance too, and nothing once disposed', () => {
    const backend = getBackend();
    for (const requiresGrad of [false, true]) {
      const loc = tensor([0.5, -1], { dtype: 'float64', requiresGrad });
      const scale = tensor([1, 2], { dtype: 'float64', requiresGrad });
      const high = scale.add(1);
      const families: Distribution[] = [
        new Laplace(loc, scale),
        new Uniform(loc, high),
        new Gamma(scale, scale),
        new Beta(scale, scale),
        new Exponential(scale),
      ];
      for (const d of families) {
        const before = backend.liveHandles();
        const s = d.stddev;
        // with gradients the intermediates live as long as the result's graph, then go with it
        if (!requiresGrad) expect(backend.liveHandles(), d.constructor.name).toBe(before + 1);
        s.dispose();
        expect(backend.liveHandles(), `${d.constructor.name} ${requiresGrad}`).toBe(before);
      }
    }
  });

  it('the same generator seed gives the same samples', () => {
    const d = new Gamma(f64([0.5, 3]), 1);
    const a = d.sample([5], { generator: new Generator(3) }).dataSync();
    const b = d.sample([5], { generator: new Generator(3) }).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});

describe('rsample: pathwise gradients for the sampled noise', () => {
  const grads = (loss: Tensor, ...params: Tensor[]) => {
    loss.backward();
    return params.map((p) => Array.from(p.grad!.dataSync()));
  };
  const columnSums = (values: number[], columns: number) =>
    Array.from({ length: columns }, (_, c) => values.filter((_, i) => i % columns === c).reduce((a, b) => a + b, 0));

  it('Normal and Laplace: d/dloc = 1, d/dscale = (x - loc) / scale per draw', () => {
    for (const Family of [Normal, Laplace]) {
      const loc = tensor([0.5, -1], { dtype: 'float64', requiresGrad: true });
      const scale = tensor([1, 0.3], { dtype: 'float64', requiresGrad: true });
      const x = new Family(loc, scale).rsample([50], { generator: new Generator(37) });
      const values = Array.from(x.dataSync());
      const [dLoc, dScale] = grads(x.sum(), loc, scale);
      expect(dLoc).toEqual([50, 50]);
      const expected = columnSums(
        values.map((v, i) => (v - [0.5, -1][i % 2]!) / [1, 0.3][i % 2]!),
        2,
      );
      dScale!.forEach((g, i) => expect(g).toBeCloseTo(expected[i]!, 10));
    }
  });

  it('Uniform: d/dlow = 1 - u, d/dhigh = u; Exponential: d/drate = -x / rate', () => {
    const low = tensor([0, -1], { dtype: 'float64', requiresGrad: true });
    const high = tensor([1, 0.5], { dtype: 'float64', requiresGrad: true });
    const x = new Uniform(low, high).rsample([40], { generator: new Generator(41) });
    const u = Array.from(x.dataSync()).map((v, i) => (v - [0, -1][i % 2]!) / [1, 1.5][i % 2]!);
    const [dLow, dHigh] = grads(x.sum(), low, high);
    const sumU = columnSums(u, 2);
    dHigh!.forEach((g, i) => expect(g).toBeCloseTo(sumU[i]!, 10));
    dLow!.forEach((g, i) => expect(g).toBeCloseTo(40 - sumU[i]!, 10));

    const rate = tensor([0.5, 2], { dtype: 'float64', requiresGrad: true });
    const e = new Exponential(rate).rsample([40], { generator: new Generator(43) });
    const expected = columnSums(
      Array.from(e.dataSync()).map((v, i) => -v / [0.5, 2][i % 2]!),
      2,
    );
    grads(e.sum(), rate)[0]!.forEach((g, i) => expect(g).toBeCloseTo(expected[i]!, 10));
  });

  it('sample carries no gradient; Gamma, Beta, Dirichlet and the discrete ones have no rsample', () => {
    const loc = tensor([0.5], { dtype: 'float64', requiresGrad: true });
    expect(new Normal(loc, 1).sample([2]).requiresGrad).toBe(false);
    for (const d of [
      new Gamma(1, 1),
      new Beta(1, 1),
      new Dirichlet(tensor([1, 1])),
      new Poisson(1),
      new Bernoulli({ probs: 0.5 }),
    ]) {
      expect(d.hasRsample).toBe(false);
      expect(() => d.rsample()).toThrow(/rsample is not available/);
    }
  });
});

describe('shapes, Independent and argument checks', () => {
  it('parameters broadcast; numbers take the dtype of the tensor parameter', () => {
    const d = new Normal(tensor([[0], [1]], { dtype: 'float64' }), tensor([1, 2, 3], { dtype: 'float64' }));
    expect([d.batchShape, d.eventShape, d.loc.dtype, d.scale.shape]).toEqual([[2, 3], [], 'float64', [2, 3]]);
    expect(new Exponential(tensor([1, 2], { dtype: 'float64' })).mean.dtype).toBe('float64');
    expect(new Normal(0, 1).batchShape).toEqual([]);
  });

  it('Independent moves batch axes into the event and sums over them', () => {
    const base = new Normal(tensor([[0, 1, 2]], { dtype: 'float64' }), 1);
    const d = new Independent(base, 1);
    expect([d.batchShape, d.eventShape, d.hasRsample]).toEqual([[1], [3], true]);
    const value = tensor([[0.1, 0.2, 0.3]], { dtype: 'float64' });
    expect(d.logProb(value).dataSync()[0]).toBeCloseTo(base.logProb(value).sum().dataSync()[0]!, 14);
    expect(() => new Independent(base, 3)).toThrow(/reinterpretedBatchNdims must be an integer in \[0, 2\].*got 3/);
  });

  it('validateArgs: parameters outside their constraints and values outside the support', () => {
    expect(() => new Normal(0, tensor([1, 0]))).toThrow(/Normal: scale must be > 0, got 0/);
    expect(() => new Uniform(1, 1)).toThrow(/Uniform: high - low must be > 0 \(low < high\), got 0/);
    expect(() => new Bernoulli({ probs: 1.5 })).toThrow(/Bernoulli: probs must be in \[0, 1\], got 1.5/);
    expect(() => new Gamma(-1, 1)).toThrow(/Gamma: concentration must be > 0, got -1/);
    expect(() => new Exponential(1).logProb(tensor([-1]))).toThrow(
      /Exponential: logProb value must be in the support \(x >= 0\), got -1/,
    );
    expect(() => new Poisson(2).logProb(tensor([1.5]))).toThrow(/non-negative integers\), got 1.5/);
    expect(() => new Categorical({ logits: tensor([0, 0]) }).logProb(tensor([2], { dtype: 'int32' }))).toThrow(
      /integers in \[0, 2\)\), got 2/,
    );
    expect(new Exponential(1, { validateArgs: false }).logProb(tensor([-1])).dataSync()[0]).toBe(1);
  });

  it('validateArgs as torch: Uniform support, simplex and one-hot sums; infinite loc and rate pass', () => {
    const f64 = (v: number[]) => tensor(v, { dtype: 'float64' });
    const uniform = new Uniform(tensor([0, 1]), tensor([1, 3]));
    expect(() => uniform.logProb(tensor([0.5, 3.5]))).toThrow(
      /Uniform: logProb value must be in the support \[low, high\] = \[1, 3\], got 3.5/,
    );
    expect(() => uniform.logProb(tensor([[-0.5], [1]]))).toThrow(/= \[0, 1\], got -0.5/);
    // high itself is in torch's closed interval (density 0 there)
    expect(Array.from(uniform.logProb(tensor([1, 1])).dataSync())).toEqual([-Infinity, Math.fround(-Math.log(2))]);
    const dirichlet = new Dirichlet(f64([1, 2, 3]));
    expect(() => dirichlet.logProb(f64([0.2, 0.2, 0.2]))).toThrow(
      /Dirichlet: logProb value must be in the support \(the simplex: entries >= 0 summing to 1\), got an event summing to 0.6/,
    );
    expect(Number.isFinite(dirichlet.logProb(f64([0.2, 0.3, 0.5])).dataSync()[0])).toBe(true);
    const oneHot = new OneHotCategorical({ probs: f64([0.5, 0.5]) });
    expect(() => oneHot.logProb(f64([0, 0]))).toThrow(
      /one-hot vectors: a single 1 per event\), got an event summing to 0/,
    );
    expect(() => oneHot.logProb(f64([1, 1]))).toThrow(/summing to 2/);
    expect(new Normal(Infinity, 1).mean.dataSync()[0]).toBe(Infinity);
    expect(new Laplace(-Infinity, 1).mean.dataSync()[0]).toBe(-Infinity);
    expect(() => new Normal(NaN, 1)).toThrow(/Normal: loc must be a real number \(not NaN\), got NaN/);
    expect(new Poisson(Infinity).mean.dataSync()[0]).toBe(Infinity);
    expect(() => new Normal(0, 1, { validate: true } as never)).toThrow(ArgumentError);
  });

  it('probs or logits: exactly one; Categorical values are int32; parameters are float', () => {
    expect(() => new Bernoulli({})).toThrow(/pass exactly one of probs and logits, got neither/);
    expect(() => new Categorical({ probs: tensor([1]), logits: tensor([1]) })).toThrow(/got both/);
    expect(() => new Categorical({ probs: tensor([1, 1]) }).logProb(tensor([0]))).toThrow(
      /value must be an int32 tensor/,
    );
    expect(() => new Normal(tensor([1], { dtype: 'int32' }), 1)).toThrow(
      /loc must be a float tensor or a number, got dtype int32/,
    );
  });

  it('klDivergence refuses pairs of different families, naming the registered ones', () => {
    expect(() => klDivergence(new Normal(0, 1), new Laplace(0, 1))).toThrow(
      /klDivergence: no rule for Normal and Laplace; .*Normal, Bernoulli, Categorical/,
    );
  });

  it("Poisson-Poisson KL at zero rates is torch's: NaN where p's rate is 0, Infinity where only q's is", () => {
    const rates = (v: number[]) => new Poisson(tensor(v, { dtype: 'float64' }));
    const kl = klDivergence(rates([0, 0, 1]), rates([0, 1, 0]));
    expect(Array.from(kl.dataSync())).toEqual([NaN, NaN, Infinity]);
  });

  it('Poisson has no entropy, Gamma no cdf, as in PyTorch', () => {
    expect(() => new Poisson(1).entropy()).toThrow(/Poisson: entropy is not defined/);
    expect(() => new Gamma(1, 1).cdf(tensor([1]))).toThrow(/Gamma: cdf is not available/);
  });
});

/** A generator whose normal draws are the given arrays in turn: rsample's noise fixed to PyTorch's. */
class FixedNoise extends Generator {
  readonly #draws: number[][];

  constructor(...draws: number[][]) {
    super(0);
    this.#draws = draws.map((d) => [...d]);
  }

  override normal(count: number): Float64Array {
    const next = this.#draws.shift();
    if (next?.length !== count) throw new Error(`FixedNoise: asked for ${count} draws, holds ${next?.length}`);
    return Float64Array.from(next);
  }
}

describe('MultivariateNormal and LowRankMultivariateNormal match PyTorch', () => {
  const fixture = PYTORCH_MULTIVARIATE_NORMAL;
  /** The first n entries of each event of a [2, 2, m] list: the value and noise for a smaller k or rank. */
  const first = (x: readonly (readonly (readonly number[])[])[], n: number) =>
    x.map((m) => m.map((r) => r.slice(0, n)));
  const FLOAT32 = new Set(['float32Covariance']);
  /** float32 against PyTorch's float32: rounding differs in the last bits of each step. */
  const FLOAT32_TOLERANCE = { abs: 1e-5, rel: 1e-5 };
  const MAKE_MVN: Record<keyof typeof fixture.cases, (p: Params) => Gaussian> = {
    covarianceMatrix: (p) => new MultivariateNormal(p.loc!, { covarianceMatrix: p.covarianceMatrix! }),
    precisionMatrix: (p) => new MultivariateNormal(p.loc!, { precisionMatrix: p.precisionMatrix! }),
    scaleTril: (p) => new MultivariateNormal(p.loc!, { scaleTril: p.scaleTril! }),
    broadcastCovariance: (p) => new MultivariateNormal(p.loc!, { covarianceMatrix: p.covarianceMatrix! }),
    broadcastLoc: (p) => new MultivariateNormal(p.loc!, { scaleTril: p.scaleTril! }),
    lowRank: (p) => new LowRankMultivariateNormal(p.loc!, p.covFactor!, p.covDiag!),
    lowRankBroadcast: (p) => new LowRankMultivariateNormal(p.loc!, p.covFactor!, p.covDiag!),
    float32Covariance: (p) => new MultivariateNormal(p.loc!, { covarianceMatrix: p.covarianceMatrix! }),
    k1: (p) => new MultivariateNormal(p.loc!, { covarianceMatrix: p.covarianceMatrix! }),
    lowRankRank1: (p) => new LowRankMultivariateNormal(p.loc!, p.covFactor!, p.covDiag!),
  };

  for (const [name, make] of Object.entries(MAKE_MVN)) {
    const expected = fixture.cases[name as keyof typeof fixture.cases];
    it(`${name}: logProb, entropy, moments, the three matrices and rsample (PyTorch's noise) with gradients`, () => {
      const lowRank = name.startsWith('lowRank');
      const dtype = FLOAT32.has(name) ? 'float32' : 'float64';
      const caseLeaves = () =>
        Object.fromEntries(
          Object.entries(expected.params).map(([k, v]) => [k, tensor(v as number[], { dtype, requiresGrad: true })]),
        );
      const shapes = make(caseLeaves());
      const k = shapes.eventShape[0]!;
      const rank = shapes instanceof LowRankMultivariateNormal ? shapes.covFactor.shape[shapes.covFactor.rank - 1]! : 0;
      const value = tensor(first(fixture.value, k), { dtype });
      const methods: Record<string, (d: Gaussian) => Tensor> = {
        logProb: (d) => d.logProb(value),
        entropy: (d) => d.entropy(),
        mean: (d) => d.mean,
        mode: (d) => d.mode,
        variance: (d) => d.variance,
        stddev: (d) => d.stddev,
        covarianceMatrix: (d) => d.covarianceMatrix,
        precisionMatrix: (d) => d.precisionMatrix,
        scaleTril: (d) => d.scaleTril,
        rsample: (d) =>
          d.rsample([2], {
            generator: lowRank
              ? new FixedNoise(first(fixture.epsW, rank).flat(2), first(fixture.eps, k).flat(2))
              : new FixedNoise(first(fixture.eps, k).flat(2)),
          }),
      };
      expect(shapes.batchShape).toEqual(expected.batchShape);
      for (const [method, fn] of Object.entries(methods)) {
        const params = caseLeaves();
        const record = expected[method as keyof typeof expected] as Parameters<typeof expectRecord>[2];
        const output = fn(make(params));
        expect(output.dtype, `${name}.${method}`).toBe(dtype);
        expectRecord(output, params, record, `${name}.${method}`, dtype === 'float32' ? FLOAT32_TOLERANCE : TOLERANCE);
      }
    });
  }

  const KL_FAMILIES: Record<keyof typeof fixture.kl, [keyof typeof MAKE_MVN, keyof typeof MAKE_MVN]> = {
    'MultivariateNormal-MultivariateNormal': ['covarianceMatrix', 'scaleTril'],
    'MultivariateNormal-MultivariateNormal broadcast': ['broadcastCovariance', 'broadcastLoc'],
    'LowRankMultivariateNormal-LowRankMultivariateNormal': ['lowRank', 'lowRank'],
    'MultivariateNormal-LowRankMultivariateNormal': ['scaleTril', 'lowRank'],
    'LowRankMultivariateNormal-MultivariateNormal': ['lowRankBroadcast', 'precisionMatrix'],
  };
  for (const [name, [pCase, qCase]] of Object.entries(KL_FAMILIES)) {
    it(`klDivergence ${name}: values and gradients in both`, () => {
      const record = fixture.kl[name as keyof typeof fixture.kl];
      const p = leaves(record.p);
      const q = leaves(record.q);
      const both = {
        ...Object.fromEntries(Object.entries(p).map(([k, v]) => [`p.${k}`, v])),
        ...Object.fromEntries(Object.entries(q).map(([k, v]) => [`q.${k}`, v])),
      };
      expectRecord(klDivergence(MAKE_MVN[pCase](p), MAKE_MVN[qCase](q)), both, record, `kl ${name}`);
    });
  }
});

describe('MultivariateNormal and LowRankMultivariateNormal: sampling, shapes and argument checks', () => {
  const f64 = (v: number[] | number[][] | number[][][]) => tensor(v, { dtype: 'float64' });
  const loc = f64([1, -2, 0.5]);
  const covariance = f64([
    [2, 0.6, -0.4],
    [0.6, 1, 0.2],
    [-0.4, 0.2, 0.5],
  ]);

  /** The mean and covariance of n draws [n, k]. */
  function moments(x: Tensor): { mean: number[]; covariance: number[] } {
    const centred = x.sub(x.mean(0));
    return {
      mean: Array.from(x.mean(0).dataSync()),
      covariance: Array.from(
        centred
          .transpose(0, 1)
          .matmul(centred)
          .div(x.shape[0]! - 1)
          .dataSync(),
      ),
    };
  }

  it('draws have the mean and covariance of the distribution (seeded), from all three parameterisations and the low-rank one', () => {
    const N = 6000;
    const w = f64([
      [1, 0.2],
      [0.5, -0.7],
      [-0.3, 0.4],
    ]);
    const d = f64([0.4, 0.3, 0.2]);
    const scaleTril = new MultivariateNormal(loc, { covarianceMatrix: covariance }).scaleTril;
    const families = [
      new MultivariateNormal(loc, { covarianceMatrix: covariance }),
      new MultivariateNormal(loc, { precisionMatrix: linalg.inv(covariance) }),
      new MultivariateNormal(loc, { scaleTril }),
      new LowRankMultivariateNormal(loc, w, d),
    ];
    families.forEach((family, index) => {
      const x = family.sample([N], { generator: new Generator(47 + index) });
      expect(x.shape).toEqual([N, 3]);
      const { mean, covariance: sampleCovariance } = moments(x);
      const wantCovariance = Array.from(family.covarianceMatrix.dataSync());
      const variances = [0, 4, 8].map((i) => wantCovariance[i]!);
      mean.forEach((m, i) =>
        expect(Math.abs(m - [1, -2, 0.5][i]!), `family ${index} mean ${i}`).toBeLessThan(
          5 * Math.sqrt(variances[i]! / N),
        ),
      );
      // the sample covariance's standard error is about sqrt((s_ii s_jj + s_ij^2) / N)
      sampleCovariance.forEach((c, i) => {
        const [r, col] = [Math.floor(i / 3), i % 3];
        const error = Math.sqrt((variances[r]! * variances[col]! + wantCovariance[i]! ** 2) / N);
        expect(Math.abs(c - wantCovariance[i]!), `family ${index} covariance ${i}`).toBeLessThan(5 * error);
      });
    });
  });

  it('shapes broadcast as torch: batchShape from loc and the matrix, samples [...sampleShape, ...batchShape, k]', () => {
    const batchLoc = f64([
      [0, 0, 0],
      [1, 1, 1],
    ]);
    const d = new MultivariateNormal(batchLoc, { covarianceMatrix: covariance });
    expect([d.batchShape, d.eventShape, d.hasRsample]).toEqual([[2], [3], true]);
    expect(d.rsample([4, 1]).shape).toEqual([4, 1, 2, 3]);
    expect([d.covarianceMatrix.shape, d.precisionMatrix.shape, d.scaleTril.shape]).toEqual([
      [2, 3, 3],
      [2, 3, 3],
      [2, 3, 3],
    ]);
    expect(d.logProb(f64([0, 0, 0])).shape).toEqual([2]);
    expect(d.entropy().shape).toEqual([2]);
    const lowRank = new LowRankMultivariateNormal(
      loc,
      f64([
        [[1], [0], [0]],
        [[0], [1], [0]],
      ]),
      f64([1, 1, 1]),
    );
    expect([lowRank.batchShape, lowRank.loc.shape, lowRank.covFactor.shape, lowRank.covDiag.shape]).toEqual([
      [2],
      [2, 3],
      [2, 3, 1],
      [2, 3],
    ]);
    expect(lowRank.rsample([5]).shape).toEqual([5, 2, 3]);
  });

  it("logProb's Mahalanobis term regroups the rows of x per matrix: as the broadcast solve, for every batch layout", () => {
    const generator = new Generator(11);
    const random = (shape: number[]) =>
      tensor(Array.from(generator.normal(shape.reduce((a, b) => a * b, 1))), { dtype: 'float64' }).reshape(shape);
    const factor = (shape: number[]) => {
      const a = random([...shape, 3, 3]);
      return linalg.cholesky(a.matmul(a.transpose(-2, -1)).add(eye(3, { dtype: 'float64' })));
    };
    // [L's batch, loc's batch, value's shape]
    const layouts: [number[], number[], number[]][] = [
      [[], [], [4, 3]],
      [[2, 1], [4], [5, 2, 4, 3]],
      [
        [1, 3],
        [2, 1],
        [2, 3, 3],
      ],
      [[2], [2], [3]],
    ];
    for (const [lBatch, locBatch, valueShape] of layouts) {
      const scaleTril = factor(lBatch);
      const d = new MultivariateNormal(random([...locBatch, 3]), { scaleTril });
      const value = random(valueShape);
      const diff = value.sub(d.loc);
      const batch = diff.shape.slice(0, -1);
      const m = linalg
        .solveTriangular(scaleTril.expand([...batch, 3, 3]), diff.unsqueeze(-1), { upper: false })
        .square()
        .sum([-2, -1]);
      const halfLogDet = scaleTril.diagonal(0, -2, -1).log().sum(-1);
      const want = m
        .add(3 * Math.log(2 * Math.PI))
        .mul(-0.5)
        .sub(halfLogDet);
      const got = d.logProb(value);
      expect(got.shape, JSON.stringify(lBatch)).toEqual(want.shape);
      expectNear(got.dataSync(), Array.from(want.dataSync()), `layout ${JSON.stringify([lBatch, locBatch])}`);
    }
  });

  it('sample, rsample, logProb, entropy, stddev, the matrices and klDivergence leave nothing once their result is disposed', () => {
    const backend = getBackend();
    const grad = { dtype: 'float64', requiresGrad: true } as const;
    const families = [
      new MultivariateNormal(tensor([1, 2, 3], grad), { covarianceMatrix: covariance }),
      new LowRankMultivariateNormal(tensor([1, 2, 3], grad), f64([[1], [0.5], [0]]), tensor([1, 2, 3], grad)),
    ];
    const value = f64([
      [0.5, 1, 2],
      [1, -1, 0],
    ]);
    for (const d of families) {
      const before = backend.liveHandles();
      d.sample([3]).dispose();
      d.rsample([3]).dispose();
      expect(backend.liveHandles(), d.constructor.name).toBe(before);
      // every other result too, with its graph: nothing is left once it is disposed
      const results: [string, () => Tensor][] = [
        ['logProb', () => d.logProb(value)],
        ['entropy', () => d.entropy()],
        ['variance', () => d.variance],
        ['stddev', () => d.stddev],
        ['covarianceMatrix', () => d.covarianceMatrix],
        ['precisionMatrix', () => d.precisionMatrix],
        ['scaleTril', () => d.scaleTril],
        ...families.map((q): [string, () => Tensor] => [
          `klDivergence with ${q.constructor.name}`,
          () => klDivergence(d, q),
        ]),
      ];
      for (const [what, result] of results) {
        result().dispose();
        expect(backend.liveHandles(), `${d.constructor.name} ${what}`).toBe(before);
      }
    }
  });

  it("exactly one matrix, of shape [..., k, k], of loc's dtype", () => {
    const eye3 = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ];
    expect(() => new MultivariateNormal(loc, {})).toThrow(
      /MultivariateNormal: pass exactly one of covarianceMatrix, precisionMatrix and scaleTril, got none/,
    );
    expect(() => new MultivariateNormal(loc, { covarianceMatrix: covariance, scaleTril: covariance })).toThrow(
      /got covarianceMatrix and scaleTril/,
    );
    expect(
      () =>
        new MultivariateNormal(loc, {
          covarianceMatrix: f64([
            [1, 0],
            [0, 1],
          ]),
        }),
    ).toThrow(/covarianceMatrix must be \[\.\.\., 3, 3\] \(k = loc's last dimension\), got shape \[2,2\]/);
    expect(() => new MultivariateNormal(f64([[1, 2, 3]]), { covarianceMatrix: f64([1, 2, 3]) })).toThrow(
      /covarianceMatrix must have at least 2 dimensions/,
    );
    expect(() => new MultivariateNormal(tensor(1, { dtype: 'float64' }), { scaleTril: covariance })).toThrow(
      /loc must have at least 1 dimension/,
    );
    expect(
      () =>
        new MultivariateNormal(loc, {
          scaleTril: tensor([
            [1, 0, 0],
            [0, 1, 0],
            [0, 0, 1],
          ]),
        }),
    ).toThrow(/scaleTril must have loc's dtype float64, got float32/);
    expect(
      () =>
        new MultivariateNormal(
          f64([
            [0, 0, 0],
            [1, 1, 1],
          ]),
          {
            covarianceMatrix: covariance.expand([3, 3, 3]),
          },
        ),
    ).toThrow(
      'MultivariateNormal: incompatible batch shapes: loc [2,3] (batch shape [2]), covarianceMatrix [3,3,3] (batch shape [3]) do not broadcast',
    );
    expect(
      () =>
        new LowRankMultivariateNormal(
          loc.expand([3, 3]),
          f64([[1], [0], [0]]),
          f64([
            [1, 1, 1],
            [2, 2, 2],
          ]),
        ),
    ).toThrow(
      'LowRankMultivariateNormal: incompatible batch shapes: loc [3,3] (batch shape [3]), covFactor [3,1] (batch shape []), covDiag [2,3] (batch shape [2]) do not broadcast',
    );
    // null is absent, as torch's None
    const nullCovariance = new MultivariateNormal(loc, { covarianceMatrix: null, scaleTril: f64(eye3) });
    expect(Array.from(nullCovariance.covarianceMatrix.dataSync())).toEqual(eye3.flat());
    expect(() => new MultivariateNormal(loc, { covarianceMatrix: null, scaleTril: null })).toThrow(/got none/);
    expect(() => new MultivariateNormal(loc, { covarianceMatrix: covariance, validate: true } as never)).toThrow(
      ArgumentError,
    );
    expect(() => new MultivariateNormal(loc, { covarianceMatrix: covariance }).logProb(f64([1, 2]))).toThrow(
      /logProb value must have the event size 3 as its last dimension, got shape \[2\]/,
    );
  });

  it('a float32 distribution promotes a float64 value in logProb, as Normal does', () => {
    const scaleTril = [
      [1.5, 0, 0],
      [0.2, 0.8, 0],
      [-0.4, 0.3, 1.1],
    ];
    const value = [0.3, -1, 2];
    const factor = [
      [0.5, 0.1],
      [-0.3, 0.7],
      [0.2, 0.4],
    ];
    for (const make of [
      (dtype: 'float32' | 'float64') =>
        new MultivariateNormal(tensor([1, -2, 0.5], { dtype }), { scaleTril: tensor(scaleTril, { dtype }) }),
      (dtype: 'float32' | 'float64') =>
        new LowRankMultivariateNormal(
          tensor([1, -2, 0.5], { dtype }),
          tensor(factor, { dtype }),
          tensor([0.5, 1, 2], { dtype }),
        ),
    ]) {
      const got = make('float32').logProb(f64(value));
      const want = make('float64').logProb(f64(value)).dataSync()[0]!;
      expect(got.dtype).toBe('float64');
      expect(Math.abs(got.dataSync()[0]! - want)).toBeLessThan(1e-5 * Math.abs(want));
    }
  });

  it('ownership: mean and mode are loc itself; the matrix getters, variance and stddev are new each call, broadcast or not', () => {
    const backend = getBackend();
    const batchLoc = f64([
      [0, 0, 0],
      [1, 1, 1],
    ]);
    const precision = linalg.inv(covariance);
    const scaleTril = linalg.cholesky(covariance);
    const w = f64([[1], [0.5], [0]]);
    const d = f64([1, 2, 3]);
    const families = [loc, batchLoc].flatMap((l) => [
      new MultivariateNormal(l, { covarianceMatrix: covariance }),
      new MultivariateNormal(l, { precisionMatrix: precision }),
      new MultivariateNormal(l, { scaleTril }),
      new LowRankMultivariateNormal(l, w, d),
    ]);
    const getters = ['covarianceMatrix', 'precisionMatrix', 'scaleTril', 'variance', 'stddev'] as const;
    for (const family of families) {
      const what = `${family.constructor.name} batch ${JSON.stringify(family.batchShape)}`;
      expect(family.mean, what).toBe(family.loc);
      expect(family.mode, what).toBe(family.loc);
      const before = getters.map((g) => Array.from(family[g].dataSync()));
      const logProb = family.logProb(loc).dataSync()[0];
      for (const g of getters) {
        const live = backend.liveHandles();
        const first = family[g];
        expect(backend.liveHandles(), `${what} ${g}`).toBe(live + 1);
        const second = family[g];
        expect(second, `${what} ${g}`).not.toBe(first);
        first.dispose();
        second.dispose();
        expect(backend.liveHandles(), `${what} ${g}`).toBe(live);
      }
      // disposing them left the distribution and its parameters intact
      expect(
        getters.map((g) => Array.from(family[g].dataSync())),
        what,
      ).toEqual(before);
      expect(family.logProb(loc).dataSync()[0], what).toBe(logProb);
    }
    expect(Array.from(covariance.dataSync())).toEqual([2, 0.6, -0.4, 0.6, 1, 0.2, -0.4, 0.2, 0.5]);
    expect(Array.from(scaleTril.dataSync()).every(Number.isFinite)).toBe(true);
  });

  it('a rejected construction leaves no tensor behind', () => {
    const backend = getBackend();
    const batchLoc = f64([
      [0, 0, 0],
      [1, 1, 1],
    ]);
    const notSymmetric = f64([
      [1, 0.5, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    const nanLoc = f64([[NaN, 0, 0]]).expand([2, 3]);
    const [factor, nanFactor, zeroDiag, diag] = [
      f64([[1], [0], [0]]),
      f64([[NaN], [0], [0]]),
      f64([1, 0, 1]),
      f64([1, 1, 1]),
    ];
    const rejected = [
      () => new MultivariateNormal(batchLoc, { covarianceMatrix: notSymmetric }),
      () => new MultivariateNormal(batchLoc, { precisionMatrix: notSymmetric }),
      () => new MultivariateNormal(nanLoc, { covarianceMatrix: covariance }),
      () => new MultivariateNormal(batchLoc, { scaleTril: notSymmetric }),
      () => new LowRankMultivariateNormal(batchLoc, factor, zeroDiag),
      () => new LowRankMultivariateNormal(batchLoc, nanFactor, diag),
    ];
    rejected.forEach((construct, i) => {
      const before = backend.liveHandles();
      expect(construct, `case ${i}`).toThrow(ArgumentError);
      expect(backend.liveHandles(), `case ${i}`).toBe(before);
    });
  });

  it('validateArgs as torch: positive-definite, lower Cholesky, positive covDiag, no NaN', () => {
    const eye3 = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ];
    expect(
      () =>
        new MultivariateNormal(loc, {
          covarianceMatrix: f64([
            [1, 0.5, 0],
            [0, 1, 0],
            [0, 0, 1],
          ]),
        }),
    ).toThrow(
      /covarianceMatrix must be positive-definite \(symmetric\), got matrix 0 with \[1, 0\] = 0 but \[0, 1\] = 0.5/,
    );
    expect(
      () =>
        new MultivariateNormal(loc, {
          precisionMatrix: f64([
            [1, 2, 0],
            [2, 1, 0],
            [0, 0, 1],
          ]),
        }),
    ).toThrow(
      /precisionMatrix must be positive-definite, got matrix 0 whose leading 2x2 minor is not \(Cholesky pivot -3\)/,
    );
    expect(
      () =>
        new MultivariateNormal(loc, {
          scaleTril: f64([
            [1, 0, 0],
            [0, 1, 0.1],
            [0, 0, 1],
          ]),
        }),
    ).toThrow(
      /scaleTril must be lower triangular with a positive diagonal, got matrix 0 with \[1, 2\] = 0.1 above the diagonal/,
    );
    expect(
      () =>
        new MultivariateNormal(loc, {
          scaleTril: f64([
            [1, 0, 0],
            [0, -1, 0],
            [0, 0, 1],
          ]),
        }),
    ).toThrow(/got matrix 0 with \[1, 1\] = -1/);
    expect(() => new MultivariateNormal(f64([NaN, 0, 0]), { scaleTril: f64(eye3) })).toThrow(
      /loc must be a real vector \(not NaN\), got NaN/,
    );
    expect(() => new LowRankMultivariateNormal(loc, f64([[1], [0], [0]]), f64([1, 0, 1]))).toThrow(
      /LowRankMultivariateNormal: covDiag must be > 0, got 0/,
    );
    expect(() => new MultivariateNormal(loc, { scaleTril: f64(eye3) }).logProb(f64([NaN, 0, 0]))).toThrow(
      /logProb value must be in the support \(real vectors\), got NaN/,
    );
    // symmetric within torch's isclose (atol 1e-6): accepted
    const nearlySymmetric = f64([
      [1, 5e-7, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(new MultivariateNormal(loc, { covarianceMatrix: nearlySymmetric }).covarianceMatrix.shape).toEqual([3, 3]);
    // without the check, a scaleTril's upper triangle is taken as given, as torch does
    const unchecked = new MultivariateNormal(loc, {
      scaleTril: f64([
        [1, 0, 0],
        [0, 1, 0.1],
        [0, 0, 1],
      ]),
      validateArgs: false,
    });
    expect(unchecked.scaleTril.dataSync()[5]).toBe(0.1);
  });

  it('LowRankMultivariateNormal: covFactor [..., k, rank] and covDiag [..., k]', () => {
    expect(() => new LowRankMultivariateNormal(loc, f64([[1], [0]]), f64([1, 1, 1]))).toThrow(
      /covFactor must be \[\.\.\., 3, rank\] \(k = loc's last dimension\), got shape \[2,1\]/,
    );
    expect(() => new LowRankMultivariateNormal(loc, f64([[1], [0], [0]]), f64([1, 1]))).toThrow(
      /covDiag must be \[\.\.\., 3\] \(k = loc's last dimension\), got shape \[2\]/,
    );
    expect(() => new LowRankMultivariateNormal(loc, f64([1, 0, 0]), f64([1, 1, 1]))).toThrow(
      /covFactor must have at least 2 dimensions/,
    );
  });

  it('klDivergence between (low-rank) multivariate normals needs one event shape; other pairs are refused', () => {
    const p = new MultivariateNormal(loc, { covarianceMatrix: covariance });
    const q = new MultivariateNormal(f64([0, 0]), {
      scaleTril: f64([
        [1, 0],
        [0, 1],
      ]),
    });
    expect(() => klDivergence(p, q)).toThrow(
      /klDivergence: MultivariateNormal and MultivariateNormal must have one event shape, got \[3\] and \[2\]/,
    );
    expect(() => klDivergence(p, new Normal(0, 1))).toThrow(
      /no rule for MultivariateNormal and Normal; .*MultivariateNormal, LowRankMultivariateNormal; and for the pairs MultivariateNormal-LowRankMultivariateNormal, LowRankMultivariateNormal-MultivariateNormal/,
    );
    expect(klDivergence(p, p).dataSync()[0]).toBeCloseTo(0, 12);
  });
});
