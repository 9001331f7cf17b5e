#!/usr/bin/env python3
"""Writes src/distributions/multivariate-normal-fixture.ts: PyTorch's MultivariateNormal and
LowRankMultivariateNormal in float64 (log_prob, entropy, the moments, the three matrices, rsample
with fixed noise, and kl_divergence of the four pairs torch registers) with the gradient of each
(summed) with respect to every parameter.

    /usr/bin/python3 packages/core/scripts/make-multivariate-normal-fixture.py
"""

import torch
import torch.distributions as D
import torch.distributions.lowrank_multivariate_normal as lowrank_module
import torch.distributions.multivariate_normal as mvn_module
from ts_fixture import encode, leaves, record, write_fixture

torch.set_default_dtype(torch.float64)

LOC = [[0.5, -1.0, 2.0], [0.0, 1.0, -0.5]]
COVARIANCE = [[[2.0, 0.3, -0.4], [0.3, 1.5, 0.2], [-0.4, 0.2, 1.0]],
              [[1.0, 0.5, 0.1], [0.5, 2.0, -0.3], [0.1, -0.3, 0.8]]]
PRECISION = [[[1.5, -0.2, 0.3], [-0.2, 0.9, 0.1], [0.3, 0.1, 2.2]],
             [[0.7, 0.2, 0.0], [0.2, 1.3, 0.4], [0.0, 0.4, 1.1]]]
SCALE_TRIL = [[[1.2, 0.0, 0.0], [0.3, 0.8, 0.0], [-0.5, 0.4, 1.5]],
              [[0.9, 0.0, 0.0], [-0.2, 1.1, 0.0], [0.6, 0.1, 0.7]]]
COV_FACTOR = [[[0.5, -0.3], [1.0, 0.2], [-0.4, 0.8]], [[0.1, 0.6], [-0.7, 0.3], [0.2, -0.5]]]
COV_DIAG = [[0.8, 1.2, 0.5], [1.5, 0.6, 0.9]]
# log_prob's value: two draws of the batch of two ([2, 2, 3]), so the Mahalanobis term broadcasts
VALUE = [[[0.2, -1.5, 4.0], [0.3, 0.8, -1.0]], [[1.5, 0.0, 1.0], [-1.0, 2.0, 0.5]]]
# rsample's noise for sample shape [2]: eps ([2, 2, 3]), and for the low-rank family eps_W ([2, 2, 2]) first
EPS = [[[0.3, -1.2, 0.7], [1.1, 0.4, -0.6]], [[-0.8, 0.2, 1.5], [0.05, -0.9, 0.6]]]
EPS_W = [[[0.6, -0.4], [1.3, 0.2]], [[-1.1, 0.9], [0.35, -0.7]]]

# name: (constructor from keyword tensors, parameters)
CASES = {
    'covarianceMatrix': (lambda p: D.MultivariateNormal(p['loc'], covariance_matrix=p['covarianceMatrix']),
                         {'loc': LOC, 'covarianceMatrix': COVARIANCE}),
    'precisionMatrix': (lambda p: D.MultivariateNormal(p['loc'], precision_matrix=p['precisionMatrix']),
                        {'loc': LOC, 'precisionMatrix': PRECISION}),
    'scaleTril': (lambda p: D.MultivariateNormal(p['loc'], scale_tril=p['scaleTril']),
                  {'loc': LOC, 'scaleTril': SCALE_TRIL}),
    # one matrix for a batch of two locations, and one location for a batch of two matrices
    'broadcastCovariance': (lambda p: D.MultivariateNormal(p['loc'], covariance_matrix=p['covarianceMatrix']),
                            {'loc': LOC, 'covarianceMatrix': COVARIANCE[0]}),
    'broadcastLoc': (lambda p: D.MultivariateNormal(p['loc'], scale_tril=p['scaleTril']),
                     {'loc': LOC[0], 'scaleTril': SCALE_TRIL}),
    'lowRank': (lambda p: D.LowRankMultivariateNormal(p['loc'], p['covFactor'], p['covDiag']),
                {'loc': LOC, 'covFactor': COV_FACTOR, 'covDiag': COV_DIAG}),
    'lowRankBroadcast': (lambda p: D.LowRankMultivariateNormal(p['loc'], p['covFactor'], p['covDiag']),
                         {'loc': LOC[0], 'covFactor': COV_FACTOR, 'covDiag': COV_DIAG[1]}),
    # computed in float32 (parameters, value and noise), recorded as float32 values
    'float32Covariance': (lambda p: D.MultivariateNormal(p['loc'], covariance_matrix=p['covarianceMatrix']),
                          {'loc': LOC, 'covarianceMatrix': COVARIANCE}),
    # events of size 1 (value and noise: the first entry of each event)
    'k1': (lambda p: D.MultivariateNormal(p['loc'], covariance_matrix=p['covarianceMatrix']),
           {'loc': [[0.5], [-1.0]], 'covarianceMatrix': [[[2.0]], [[0.7]]]}),
    # a rank-1 factor (eps_W: the first entry of each)
    'lowRankRank1': (lambda p: D.LowRankMultivariateNormal(p['loc'], p['covFactor'], p['covDiag']),
                     {'loc': LOC, 'covFactor': [[r[:1] for r in m] for m in COV_FACTOR], 'covDiag': COV_DIAG}),
}
FLOAT32 = {'float32Covariance'}

# (p's case, q's case, p's parameters, q's parameters)
KL = {
    'MultivariateNormal-MultivariateNormal': ('covarianceMatrix', 'scaleTril',
                                              {'loc': LOC, 'covarianceMatrix': COVARIANCE},
                                              {'loc': LOC[::-1], 'scaleTril': SCALE_TRIL}),
    'MultivariateNormal-MultivariateNormal broadcast': ('broadcastCovariance', 'broadcastLoc',
                                                        {'loc': LOC, 'covarianceMatrix': COVARIANCE[0]},
                                                        {'loc': LOC[1], 'scaleTril': SCALE_TRIL}),
    'LowRankMultivariateNormal-LowRankMultivariateNormal': (
        'lowRank', 'lowRank', {'loc': LOC, 'covFactor': COV_FACTOR, 'covDiag': COV_DIAG},
        {'loc': LOC[::-1], 'covFactor': COV_FACTOR[::-1], 'covDiag': COV_DIAG[::-1]}),
    'MultivariateNormal-LowRankMultivariateNormal': ('scaleTril', 'lowRank', {'loc': LOC, 'scaleTril': SCALE_TRIL},
                                                     {'loc': LOC[::-1], 'covFactor': COV_FACTOR, 'covDiag': COV_DIAG}),
    'LowRankMultivariateNormal-MultivariateNormal': ('lowRankBroadcast', 'precisionMatrix',
                                                     {'loc': LOC[0], 'covFactor': COV_FACTOR, 'covDiag': COV_DIAG[1]},
                                                     {'loc': LOC[::-1], 'precisionMatrix': PRECISION}),
}


def first(x, n):
    """The first n entries of each innermost list of a [2, 2, m] list (the value and noise for smaller k or rank)."""
    return [[r[:n] for r in m] for m in x]


def fixed_noise(*draws):
    """torch's _standard_normal, returning `draws` in turn (rsample's noise, as our generator's draws in the test)."""
    queue = [torch.tensor(d) for d in draws]
    return lambda shape, dtype, device: queue.pop(0).to(dtype).expand(shape)


def rsample(d):
    low_rank = isinstance(d, D.LowRankMultivariateNormal)
    module = lowrank_module if low_rank else mvn_module
    original = module._standard_normal
    k = d.event_shape[0]
    eps = first(EPS, k)
    module._standard_normal = fixed_noise(*([first(EPS_W, d.cov_factor.shape[-1]), eps] if low_rank else [eps]))
    try:
        return d.rsample((2,))
    finally:
        module._standard_normal = original


METHODS = {
    'logProb': lambda d: d.log_prob(torch.tensor(first(VALUE, d.event_shape[0]), dtype=d.loc.dtype)),
    'entropy': lambda d: d.entropy(),
    'mean': lambda d: d.mean,
    'mode': lambda d: d.mode,
    'variance': lambda d: d.variance,
    'stddev': lambda d: d.stddev,
    'covarianceMatrix': lambda d: d.covariance_matrix,
    'precisionMatrix': lambda d: d.precision_matrix,
    'scaleTril': lambda d: d.scale_tril,
    'rsample': rsample,
}

out = {}
def case_leaves(name, raw):
    params = leaves(raw)
    if name in FLOAT32:
        params = {k: v.detach().float().requires_grad_() for k, v in params.items()}
    return params


for name, (make, raw) in CASES.items():
    case = {'params': raw, 'batchShape': list(make(leaves(raw)).batch_shape)}
    for method, fn in METHODS.items():
        params = case_leaves(name, raw)
        case[method] = record(fn(make(params)), params)
    out[name] = case

kl = {}
for name, (p_case, q_case, raw_p, raw_q) in KL.items():
    p, q = leaves(raw_p), leaves(raw_q)
    both = {**{'p.' + k: v for k, v in p.items()}, **{'q.' + k: v for k, v in q.items()}}
    result = D.kl_divergence(CASES[p_case][0](p), CASES[q_case][0](q))
    kl[name] = {'p': raw_p, 'q': raw_q, **record(result, both)}

write_fixture(__file__, 'distributions/multivariate-normal-fixture.ts', 'PYTORCH_MULTIVARIATE_NORMAL',
              {'value': VALUE, 'eps': EPS, 'epsW': EPS_W, 'cases': out, 'kl': kl},
              '; the float32Covariance case in float32', encode)
