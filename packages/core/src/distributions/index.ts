/** torch.distributions: `distributions.Normal`, `distributions.klDivergence`, ... */
export { Distribution, type DistributionOptions, type Parameter, type SampleOptions } from './distribution.js';
export { Normal, Laplace, Uniform, Exponential, Gamma, Beta, Dirichlet } from './continuous.js';
export { Bernoulli, Categorical, OneHotCategorical, Poisson, type ProbsOrLogits } from './discrete.js';
export { Independent } from './independent.js';
export { MultivariateNormal, LowRankMultivariateNormal, type MultivariateNormalParameters } from './multivariate.js';
export { klDivergence } from './kl.js';
