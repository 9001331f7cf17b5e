#!/usr/bin/env python3
"""Writes src/nn/weight-norm-fixture.ts: torch.nn.utils.weight_norm and spectral_norm (torch 1.13's
hook versions) on a Linear and a Conv2d in float64: state-dict keys, the new parameters and buffers,
the forward output and the gradients of sum(output * weights) w.r.t. the module's parameters;
spectral norm in training mode (power iteration from the given u, v, which it updates) and eval mode.

Run once (Debian's python3-torch; this was torch 1.13) and commit its output; the tests read the
fixture and never call Python:

    /usr/bin/python3 packages/core/scripts/make-weight-norm-fixture.py
"""

import torch
from torch import nn
from ts_fixture import write_fixture

torch.set_default_dtype(torch.float64)
torch.manual_seed(66)


def tolist(t):
    return t.detach().tolist()


def make(kind):
    if kind == 'linear':
        return nn.Linear(3, 4), torch.randn(2, 3)
    return nn.Conv2d(2, 3, 2), torch.randn(1, 2, 4, 4)


def run(module, x, weights):
    out = module(x)
    (out * weights).sum().backward()
    return out


cases = {}
for kind in ('linear', 'conv2d'):
    for dim in (0, None, 1):
        module, x = make(kind)
        weight, bias = module.weight.detach().clone(), module.bias.detach().clone()
        nn.utils.weight_norm(module, dim=dim)
        out = module(x)
        weights = torch.randn(out.shape)
        out = run(module, x, weights)
        cases['weightNorm-%s-dim-%s' % (kind, dim)] = {
            'kind': kind, 'dim': -1 if dim is None else dim, 'weight': tolist(weight), 'bias': tolist(bias),
            'input': tolist(x), 'weights': tolist(weights), 'keys': list(module.state_dict().keys()),
            'g': tolist(module.weight_g), 'gShape': list(module.weight_g.shape), 'output': tolist(out),
            'computedWeight': tolist(module.weight),
            'grads': {name: tolist(p.grad) for name, p in module.named_parameters()},
        }

for kind, steps in (('linear', 1), ('conv2d', 2)):
    for training in (True, False):
        module, x = make(kind)
        weight, bias = module.weight.detach().clone(), module.bias.detach().clone()
        nn.utils.spectral_norm(module, n_power_iterations=steps)
        u, v = torch.randn(module.weight_u.shape), torch.randn(module.weight_v.shape)
        u, v = u / u.norm(), v / v.norm()
        with torch.no_grad():
            module.weight_u.copy_(u)
            module.weight_v.copy_(v)
        module.train(training)
        weights = torch.randn(module(x).shape)
        with torch.no_grad():  # that forward updated u, v in training mode: start again from the given ones
            module.weight_u.copy_(u)
            module.weight_v.copy_(v)
        out = run(module, x, weights)
        cases['spectralNorm-%s-%s' % (kind, 'train' if training else 'eval')] = {
            'kind': kind, 'steps': steps, 'training': training, 'weight': tolist(weight), 'bias': tolist(bias),
            'input': tolist(x), 'weights': tolist(weights), 'u': tolist(u), 'v': tolist(v),
            'keys': list(module.state_dict().keys()), 'output': tolist(out),
            'uAfter': tolist(module.weight_u), 'vAfter': tolist(module.weight_v),
            'grads': {name: tolist(p.grad) for name, p in module.named_parameters()},
        }

# ConvTranspose2d's default dim is 1: u has the length of its output channels.
transposed = nn.utils.spectral_norm(nn.ConvTranspose2d(2, 3, 2))
cases_meta = {'convTransposeUShape': list(transposed.weight_u.shape), 'convTransposeVShape': list(transposed.weight_v.shape)}

write_fixture(__file__, 'nn/weight-norm-fixture.ts', 'TORCH_WEIGHT_NORM', {'cases': cases, **cases_meta})
