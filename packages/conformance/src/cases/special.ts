import { concat, distributions, special } from '@myelin/core';
import type { OpCase } from './types.js';

// torch.special (core's special/functions.ts), composed from primitives: series, continued
// fractions and Newton steps through `where`. These cases run them with their closed-form
// gradients on every backend; core checks each against PyTorch (special/special.test.ts).

export const specialCases: OpCase[] = [
  {
    name: 'lgamma and digamma, both sides of the reflection and of the Stirling shift',
    covers: ['log', 'sin', 'cos', 'round', 'floor', 'where', 'div'],
    inputs: [{ shape: [7], values: [-2.5, -0.3, 0.2, 0.9, 1.7, 6.5, 9.5] }],
    run: ([x]) => concat([special.lgamma(x!), special.digamma(x!)], 0),
  },
  {
    name: 'polygamma(1) and polygamma(2) (Hurwitz zeta, reflected below 0) and multigammaln',
    covers: ['pow', 'sin', 'cos', 'where', 'div'],
    inputs: [{ shape: [5], values: [1.3, 0.6, 2.2, 4.7, 11.5] }],
    run: ([x]) => concat([special.polygamma(1, x!.sub(1)), special.polygamma(2, x!), special.multigammaln(x!, 2)], 0),
  },
  {
    name: 'polygamma(2) and polygamma(3) left of 0 (the cot-derivative reflection) and lgamma next to its zeros 1 and 2',
    covers: ['pow', 'sin', 'round', 'floor', 'log1p', 'where', 'div'],
    inputs: [{ shape: [5], values: [-2.3, -1.6, -0.6, -0.2, 1.4] }],
    run: ([x]) =>
      concat([special.polygamma(2, x!), special.polygamma(3, x!), special.lgamma(x!.mul(0.1).add(1.95))], 0),
  },
  {
    name: 'erfc, erfcx, ndtr and logNdtr on both sides of the continued-fraction split',
    covers: ['erf', 'exp', 'log', 'log1p', 'where', 'div'],
    inputs: [{ shape: [6], values: [-2.2, -0.7, 0.4, 1.6, 2.4, 4.5] }],
    run: ([x]) => concat([special.erfc(x!), special.erfcx(x!), special.ndtr(x!), special.logNdtr(x!)], 0),
  },
  {
    name: 'erfinv and ndtri (refined by Halley steps on erf and ndtr, and on log erfc near +-1)',
    covers: ['erf', 'exp', 'log', 'sqrt', 'where', 'div'],
    inputs: [{ shape: [6], values: [0.05, 0.2, 0.45, 0.7, 0.9, 0.98] }],
    run: ([p]) => concat([special.erfinv(p!.mul(2).sub(1)), special.ndtri(p!)], 0),
  },
  {
    name: 'i0, i0e, i1 and i1e: power series and, past 20, the asymptotic series',
    covers: ['exp', 'sqrt', 'abs', 'sign', 'where', 'mul'],
    inputs: [{ shape: [6], values: [-4.2, -0.5, 0.8, 3.1, 12.5, 23.5] }],
    run: ([x]) => concat([special.i0e(x!), special.i1e(x!), special.i0(x!.div(4)), special.i1(x!.div(4))], 0),
  },
  {
    name: 'xlog1py, entr, logit (with and without eps), expit and sinc',
    covers: ['log', 'log1p', 'sin', 'sigmoid', 'where', 'div'],
    inputs: [
      { shape: [5], values: [0.15, 0.35, 0.5, 0.65, 0.85] },
      { shape: [5], values: [-0.5, 0.3, 1.2, 2.5, 4.1] },
    ],
    run: ([p, y]) =>
      concat(
        [
          special.xlog1py(p!, y!),
          special.entr(p!),
          special.logit(p!),
          special.logit(p!, 0.2),
          special.expit(y!),
          special.sinc(y!),
        ],
        0,
      ),
  },
  {
    name: 'distributions: Normal logProb, entropy and cdf, and Normal-Normal KL',
    covers: ['log', 'erf', 'div', 'mul', 'sub'],
    inputs: [
      { shape: [3], values: [0.5, -1, 2] },
      { shape: [3], values: [1, 0.3, 2.5] },
      { shape: [3], values: [0.2, -1.5, 4] },
    ],
    run: ([loc, scale, x]) => {
      const p = new distributions.Normal(loc!, scale!);
      const q = new distributions.Normal(x!, scale!.add(0.5));
      return concat([p.logProb(x!), p.entropy(), p.cdf(x!), distributions.klDivergence(p, q)], 0);
    },
  },
  {
    name: 'distributions: Gamma and Beta logProb and entropy, and Beta-Beta KL (lgamma, digamma)',
    covers: ['log', 'log1p', 'sin', 'where', 'div'],
    inputs: [
      { shape: [3], values: [0.7, 2, 5.5] },
      { shape: [3], values: [1.5, 0.4, 3] },
      { shape: [3], values: [0.2, 0.7, 0.45] },
    ],
    run: ([a, b, x]) => {
      const gamma = new distributions.Gamma(a!, b!);
      const beta = new distributions.Beta(a!, b!);
      const other = new distributions.Beta(b!, a!.add(1));
      return concat(
        [gamma.logProb(x!), gamma.entropy(), beta.logProb(x!), beta.entropy(), distributions.klDivergence(beta, other)],
        0,
      );
    },
  },
  {
    name: 'distributions: Categorical logits logProb, entropy and Categorical-Categorical KL',
    covers: ['exp', 'log', 'max', 'sum', 'where'],
    inputs: [
      { shape: [2, 3], values: [0.5, -1, 2, 0, 0, 3] },
      { shape: [2, 3], values: [1, 1, 1, -1, 2, 0.5] },
      { shape: [2], dtype: 'int32', values: [1, 2] },
    ],
    run: ([logits, other, index]) => {
      const p = new distributions.Categorical({ logits: logits! });
      const q = new distributions.Categorical({ logits: other! });
      return concat([p.logProb(index!), p.entropy(), distributions.klDivergence(p, q)], 0);
    },
  },
];
