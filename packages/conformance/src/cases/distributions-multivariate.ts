import { Generator, concat, distributions, eye, matmul, transpose } from '@myelin/core';
import type { Backend, Tensor } from '@myelin/core';
import type { OpCase } from './types.js';

// torch.distributions' MultivariateNormal and LowRankMultivariateNormal (core's
// distributions/multivariate.ts), composed from linalg's cholesky and solveTriangular. These cases
// run logProb, entropy, rsample (a fresh seeded generator per run, so the noise is fixed) and KL
// with their gradients on every backend; core checks each against PyTorch
// (distributions/distributions.test.ts). The covariance is x xᵀ + I, positive-definite.

const flat = (x: Tensor): Tensor => x.reshape([-1]);
const covarianceOf = (x: Tensor, backend: Backend): Tensor =>
  matmul(x, transpose(x, -2, -1)).add(eye(3, { dtype: x.dtype, backend }));
const noise = () => ({ generator: new Generator(11) });

export const multivariateDistributionCases: OpCase[] = [
  {
    name: 'distributions: MultivariateNormal (covarianceMatrix) logProb, entropy, rsample and KL to a scaleTril one',
    covers: ['matmul', 'sqrt', 'log', 'div', 'sum'],
    inputs: [
      { shape: [2, 3] },
      { shape: [2, 3, 3], low: -1, high: 1 },
      { shape: [2, 3] },
      { shape: [3, 3], values: [1.2, 0, 0, 0.3, 0.8, 0, -0.5, 0.4, 1.5] },
    ],
    run: ([loc, x, value, scaleTril], backend) => {
      const p = new distributions.MultivariateNormal(loc!, { covarianceMatrix: covarianceOf(x!, backend) });
      const q = new distributions.MultivariateNormal(value!, { scaleTril: scaleTril!.tril() });
      return concat(
        [
          p.logProb(value!),
          // a sample axis in front of the batch: the Mahalanobis term regroups the rows per factor
          flat(p.logProb(value!.unsqueeze(0).expand([2, 2, 3]))),
          p.entropy(),
          flat(p.rsample([2], noise())),
          distributions.klDivergence(p, q),
        ],
        0,
      );
    },
  },
  {
    name: 'distributions: LowRankMultivariateNormal logProb, entropy, rsample and low-rank KL both ways',
    covers: ['matmul', 'sqrt', 'log', 'div', 'sum'],
    inputs: [
      { shape: [2, 3] },
      { shape: [2, 3, 2], low: -1, high: 1 },
      { shape: [2, 3], low: 0.5, high: 2 },
      { shape: [2, 3] },
    ],
    run: ([loc, covFactor, covDiag, value], backend) => {
      const p = new distributions.LowRankMultivariateNormal(loc!, covFactor!, covDiag!);
      const q = new distributions.LowRankMultivariateNormal(value!, covFactor!.mul(0.5), covDiag!.add(0.5));
      const full = new distributions.MultivariateNormal(value!, {
        covarianceMatrix: covarianceOf(covFactor!, backend),
      });
      return concat(
        [
          p.logProb(value!),
          p.entropy(),
          flat(p.rsample([2], noise())),
          distributions.klDivergence(p, q),
          distributions.klDivergence(p, full),
          distributions.klDivergence(full, p),
        ],
        0,
      );
    },
  },
];
