import { ArgumentError } from '../errors.js';
import { logicalOr } from '../ops/elementwise.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { digamma, lgamma } from '../special/functions.js';
import { Beta, Dirichlet, Exponential, Gamma, Laplace, Normal, Uniform } from './continuous.js';
import { Bernoulli, Categorical, OneHotCategorical, Poisson, softplus } from './discrete.js';
import type { Distribution } from './distribution.js';
import {
  LowRankMultivariateNormal,
  MultivariateNormal,
  klLowRank,
  klLowRankMultivariateNormal,
  klMultivariateNormal,
  klMultivariateNormalLowRank,
} from './multivariate.js';

type KlRule<P extends Distribution> = (p: P, q: P) => Tensor;
type Family = abstract new (...args: never[]) => Distribution;

/** Infinity where `condition`, else x (PyTorch sets those entries of its result in place). */
function infinityWhere(condition: Tensor, x: Tensor): Tensor {
  return x.maskedFill(condition, Infinity);
}

function klCategorical(p: Categorical, q: Categorical): Tensor {
  const t = p.probs.mul(p.logits.sub(q.logits));
  const guarded = infinityWhere(q.probs.equal(0), t).maskedFill(p.probs.equal(0), 0);
  return guarded.sum(-1);
}

// The same-family pairs torch.distributions registers, with its formulas.
const RULES: [Family, KlRule<never>][] = [
  [
    Normal,
    ((p: Normal, q: Normal) => {
      const varianceRatio = p.scale.div(q.scale).square();
      const t1 = p.loc.sub(q.loc).div(q.scale).square();
      return varianceRatio.add(t1).sub(1).sub(varianceRatio.log()).mul(0.5);
    }) as KlRule<never>,
  ],
  [
    Bernoulli,
    ((p: Bernoulli, q: Bernoulli) => {
      const t1 = p.probs.mul(softplus(q.logits.neg()).sub(softplus(p.logits.neg())));
      const t2 = p.probs
        .neg()
        .add(1)
        .mul(softplus(q.logits).sub(softplus(p.logits)));
      const first = infinityWhere(q.probs.equal(0), t1).maskedFill(p.probs.equal(0), 0);
      const second = infinityWhere(q.probs.equal(1), t2).maskedFill(p.probs.equal(1), 0);
      return first.add(second);
    }) as KlRule<never>,
  ],
  [Categorical, klCategorical as KlRule<never>],
  [
    OneHotCategorical,
    ((p: OneHotCategorical, q: OneHotCategorical) => klCategorical(p.categorical, q.categorical)) as KlRule<never>,
  ],
  [
    Uniform,
    ((p: Uniform, q: Uniform) => {
      const result = q.high.sub(q.low).div(p.high.sub(p.low)).log();
      return infinityWhere(logicalOr(q.low.greater(p.low), q.high.less(p.high)), result);
    }) as KlRule<never>,
  ],
  [
    Exponential,
    ((p: Exponential, q: Exponential) => {
      const rateRatio = q.rate.div(p.rate);
      return rateRatio.log().neg().add(rateRatio).sub(1);
    }) as KlRule<never>,
  ],
  [
    Laplace,
    ((p: Laplace, q: Laplace) => {
      const scaleRatio = p.scale.div(q.scale);
      const distance = p.loc.sub(q.loc).abs();
      const t3 = scaleRatio.mul(distance.div(p.scale).neg().exp());
      return scaleRatio.log().neg().add(distance.div(q.scale)).add(t3).sub(1);
    }) as KlRule<never>,
  ],
  [
    Gamma,
    ((p: Gamma, q: Gamma) => {
      const t1 = q.concentration.mul(p.rate.div(q.rate).log());
      const t2 = lgamma(q.concentration).sub(lgamma(p.concentration));
      const t3 = p.concentration.sub(q.concentration).mul(digamma(p.concentration));
      const t4 = q.rate.sub(p.rate).mul(p.concentration.div(p.rate));
      return t1.add(t2).add(t3).add(t4);
    }) as KlRule<never>,
  ],
  [
    Beta,
    ((p: Beta, q: Beta) => {
      const sumP = p.concentration1.add(p.concentration0);
      const sumQ = q.concentration1.add(q.concentration0);
      const t1 = lgamma(q.concentration1).add(lgamma(q.concentration0)).add(lgamma(sumP));
      const t2 = lgamma(p.concentration1).add(lgamma(p.concentration0)).add(lgamma(sumQ));
      const t3 = p.concentration1.sub(q.concentration1).mul(digamma(p.concentration1));
      const t4 = p.concentration0.sub(q.concentration0).mul(digamma(p.concentration0));
      const t5 = sumQ.sub(sumP).mul(digamma(sumP));
      return t1.sub(t2).add(t3).add(t4).add(t5);
    }) as KlRule<never>,
  ],
  [
    Poisson,
    ((p: Poisson, q: Poisson) => {
      // torch's formula as is: NaN where p's rate is 0 (0 * -Infinity), Infinity where only q's is
      return p.rate.mul(p.rate.log().sub(q.rate.log())).sub(p.rate.sub(q.rate));
    }) as KlRule<never>,
  ],
  [
    Dirichlet,
    ((p: Dirichlet, q: Dirichlet) => {
      const sumP = p.concentration.sum(-1);
      const sumQ = q.concentration.sum(-1);
      const t1 = lgamma(sumP).sub(lgamma(sumQ));
      const t2 = lgamma(p.concentration).sub(lgamma(q.concentration)).sum(-1);
      const t3 = p.concentration.sub(q.concentration);
      const t4 = digamma(p.concentration).sub(digamma(sumP).unsqueeze(-1));
      return t1.sub(t2).add(t3.mul(t4).sum(-1));
    }) as KlRule<never>,
  ],
  [MultivariateNormal, klMultivariateNormal as KlRule<never>],
  [LowRankMultivariateNormal, klLowRank as KlRule<never>],
];

// The pairs of two families torch.distributions registers here: p's, q's and the rule
const MIXED_RULES: [Family, Family, (p: never, q: never) => Tensor][] = [
  [MultivariateNormal, LowRankMultivariateNormal, klMultivariateNormalLowRank],
  [LowRankMultivariateNormal, MultivariateNormal, klLowRankMultivariateNormal],
];

/**
 * KL(p || q) for two distributions of the same family (torch.distributions.kl_divergence), over
 * the broadcast batch shape, and for MultivariateNormal with LowRankMultivariateNormal either way
 * round. The pairs are those PyTorch registers between these families.
 */
export function klDivergence(p: Distribution, q: Distribution): Tensor {
  const same = RULES.find(([family]) => p.constructor === family && q.constructor === family)?.[1];
  const rule =
    same ?? MIXED_RULES.find(([pFamily, qFamily]) => p.constructor === pFamily && q.constructor === qFamily)?.[2];
  if (rule === undefined)
    throw new ArgumentError(
      `klDivergence: no rule for ${p.constructor.name} and ${q.constructor.name}; there are rules for two distributions of one family: ${RULES.map(([f]) => f.name).join(', ')}; and for the pairs ${MIXED_RULES.map(([a, b]) => `${a.name}-${b.name}`).join(', ')}`,
    );
  return composite(() => (rule as KlRule<Distribution>)(p, q));
}
