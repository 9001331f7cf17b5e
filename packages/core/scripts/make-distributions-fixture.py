#!/usr/bin/env python3
"""Writes src/distributions/distributions-fixture.ts: PyTorch's torch.distributions values in
float64 (log_prob, entropy, mean, variance, stddev, cdf, icdf and kl_divergence of same-family
pairs) with the gradient of each (summed) with respect to every parameter.

    /usr/bin/python3 packages/core/scripts/make-distributions-fixture.py
"""

import torch
import torch.distributions as D
from ts_fixture import encode, leaves, record, write_fixture

torch.set_default_dtype(torch.float64)

# name: (constructor from keyword tensors, parameters, log_prob value, cdf value, icdf value)
CASES = {
    'Normal': (lambda p: D.Normal(p['loc'], p['scale']),
               {'loc': [0.5, -1.0, 2.0], 'scale': [1.0, 0.3, 2.5]}, [0.2, -1.5, 4.0], [0.2, -1.5, 4.0], [0.1, 0.5, 0.97]),
    'Laplace': (lambda p: D.Laplace(p['loc'], p['scale']),
                {'loc': [0.5, -1.0, 2.0], 'scale': [1.0, 0.3, 2.5]}, [0.2, -1.5, 4.0], [0.2, -1.5, 4.0], [0.1, 0.5, 0.97]),
    'Uniform': (lambda p: D.Uniform(p['low'], p['high'], validate_args=False),
                {'low': [0.0, -1.0, 2.0], 'high': [1.0, 0.5, 5.0]}, [0.3, 0.7, 2.5], [0.3, 0.7, 2.5], [0.1, 0.5, 0.97]),
    'Exponential': (lambda p: D.Exponential(p['rate']),
                    {'rate': [0.5, 2.0, 7.0]}, [0.3, 1.2, 0.01], [0.3, 1.2, 0.01], [0.1, 0.5, 0.97]),
    'Gamma': (lambda p: D.Gamma(p['concentration'], p['rate']),
              {'concentration': [0.5, 2.0, 7.5], 'rate': [1.0, 0.3, 4.0]}, [0.2, 3.0, 1.5], None, None),
    'Beta': (lambda p: D.Beta(p['concentration1'], p['concentration0']),
             {'concentration1': [0.5, 2.0, 7.5], 'concentration0': [1.5, 0.3, 4.0]}, [0.2, 0.7, 0.5], None, None),
    'Dirichlet': (lambda p: D.Dirichlet(p['concentration']),
                  {'concentration': [[0.5, 2.0, 3.0], [1.0, 1.0, 1.0]]}, [[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]], None, None),
    'Poisson': (lambda p: D.Poisson(p['rate']), {'rate': [0.5, 3.0, 12.0]}, [0.0, 2.0, 15.0], None, None),
    'BernoulliProbs': (lambda p: D.Bernoulli(probs=p['probs']), {'probs': [0.1, 0.5, 0.9]}, [1.0, 0.0, 1.0], None, None),
    'BernoulliLogits': (lambda p: D.Bernoulli(logits=p['logits']), {'logits': [-2.0, 0.3, 4.0]}, [1.0, 0.0, 1.0], None, None),
    'CategoricalProbs': (lambda p: D.Categorical(probs=p['probs']),
                         {'probs': [[1.0, 2.0, 7.0], [2.0, 1.0, 1.0]]}, [2, 0], None, None),
    'CategoricalLogits': (lambda p: D.Categorical(logits=p['logits']),
                          {'logits': [[0.5, -1.0, 2.0], [0.0, 0.0, 3.0]]}, [1, 2], None, None),
    'OneHotCategorical': (lambda p: D.OneHotCategorical(logits=p['logits']),
                          {'logits': [[0.5, -1.0, 2.0], [0.0, 0.0, 3.0]]}, [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], None, None),
    'IndependentNormal': (lambda p: D.Independent(D.Normal(p['loc'], p['scale']), 1),
                          {'loc': [[0.5, -1.0, 2.0], [0.0, 1.0, -2.0]], 'scale': [[1.0, 0.3, 2.5], [0.7, 1.2, 0.4]]},
                          [[0.2, -1.5, 4.0], [0.1, 0.8, -2.5]], None, None),
}

# KL pairs: name of the case whose constructor builds both, p's and q's parameters
KL = {
    'Normal': ({'loc': [0.5, -1.0, 2.0], 'scale': [1.0, 0.3, 2.5]}, {'loc': [0.0, 1.0, 2.5], 'scale': [2.0, 0.5, 1.0]}),
    'Laplace': ({'loc': [0.5, -1.0, 2.0], 'scale': [1.0, 0.3, 2.5]}, {'loc': [0.0, 1.0, 2.5], 'scale': [2.0, 0.5, 1.0]}),
    'Uniform': ({'low': [0.0, -1.0, 2.0], 'high': [1.0, 0.5, 5.0]}, {'low': [-1.0, -1.5, 2.5], 'high': [2.0, 0.5, 6.0]}),
    'Exponential': ({'rate': [0.5, 2.0, 7.0]}, {'rate': [1.0, 0.3, 6.0]}),
    'Gamma': ({'concentration': [0.5, 2.0, 7.5], 'rate': [1.0, 0.3, 4.0]},
              {'concentration': [1.5, 1.0, 3.0], 'rate': [2.0, 0.5, 1.0]}),
    'Beta': ({'concentration1': [0.5, 2.0, 7.5], 'concentration0': [1.5, 0.3, 4.0]},
             {'concentration1': [1.0, 3.0, 2.0], 'concentration0': [1.0, 0.5, 6.0]}),
    'Dirichlet': ({'concentration': [[0.5, 2.0, 3.0], [1.0, 1.0, 1.0]]}, {'concentration': [[1.0, 1.0, 4.0], [0.3, 2.0, 5.0]]}),
    'Poisson': ({'rate': [0.5, 3.0, 12.0]}, {'rate': [1.0, 2.0, 10.0]}),
    'BernoulliProbs': ({'probs': [0.1, 0.5, 0.9]}, {'probs': [0.3, 0.5, 0.6]}),
    'CategoricalLogits': ({'logits': [[0.5, -1.0, 2.0], [0.0, 0.0, 3.0]]}, {'logits': [[1.0, 1.0, 1.0], [-1.0, 2.0, 0.5]]}),
    'OneHotCategorical': ({'logits': [[0.5, -1.0, 2.0], [0.0, 0.0, 3.0]]}, {'logits': [[1.0, 1.0, 1.0], [-1.0, 2.0, 0.5]]}),
}


out = {}
for name, (make, raw, value, cdf_value, icdf_value) in CASES.items():
    case = {'params': raw, 'value': value}
    methods = {
        'logProb': lambda d: d.log_prob(torch.tensor(value)),
        'mean': lambda d: d.mean,
        'variance': lambda d: d.variance,
        'stddev': lambda d: d.stddev,
    }
    if name != 'Poisson':
        methods['entropy'] = lambda d: d.entropy()
    if cdf_value is not None:
        case['cdfValue'] = cdf_value
        case['icdfValue'] = icdf_value
        methods['cdf'] = lambda d: d.cdf(torch.tensor(cdf_value))
        methods['icdf'] = lambda d: d.icdf(torch.tensor(icdf_value))
    for method, fn in methods.items():
        params = leaves(raw)
        case[method] = record(fn(make(params)), params)
    out[name] = case

kl = {}
for name, (raw_p, raw_q) in KL.items():
    make = CASES[name][0]
    p, q = leaves(raw_p), leaves(raw_q)
    both = {**{'p.' + k: v for k, v in p.items()}, **{'q.' + k: v for k, v in q.items()}}
    kl[name] = {'p': raw_p, 'q': raw_q, **record(D.kl_divergence(make(p), make(q)), both)}

write_fixture(__file__, 'distributions/distributions-fixture.ts', 'PYTORCH_DISTRIBUTIONS',
              {'cases': out, 'kl': kl}, '', encode)
