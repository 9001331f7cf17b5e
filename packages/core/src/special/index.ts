/**
 * torch.special: `special.lgamma(x)`, `special.erfinv(x)`, ... The ones torch also has at top
 * level (lgamma, digamma, polygamma, mvlgamma, erfc, erfinv, i0, logit, sinc) are exported there too.
 */
export {
  lgamma,
  lgamma as gammaln,
  digamma,
  digamma as psi,
  polygamma,
  multigammaln,
  erfc,
  erfcx,
  erfinv,
  i0,
  i0e,
  i1,
  i1e,
  ndtr,
  ndtri,
  logNdtr,
  xlog1py,
  entr,
  logit,
  expit,
  sinc,
} from './functions.js';
export { erf, log1p, expm1, exp2 } from '../ops/elementwise.js';
export { logsumexp } from '../ops/reduce.js';
export { softmax, logSoftmax } from '../ops/activation.js';
export { xlogy } from '../ops/tensor-math.js';
