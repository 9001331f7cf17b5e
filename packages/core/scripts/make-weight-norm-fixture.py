#!/usr/bin/env python3
"""Writes src/nn/weight-norm-fixture.ts: torch.nn.utils.weight_norm and spectral_norm (torch 1.13's
hook versions) on a Linear and a Conv2d in float64: state-dict keys, the new parameters and buffers,
the forward output and the gradients of sum(output * weights) w.r.t. the module's parameters;
spectral norm in training mode (power iteration from the given u, v, which it updates) and eval mode;
and the same for torch.nn.utils.parametrize with parametrizations.orthogonal and spectral_norm.

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

# parametrize: orthogonal (each map; tall and wide matrices) and parametrizations.spectral_norm, with the
# original (and the random base of a non-square matrix, u and v) set to given values after registration.
from torch.nn.utils import parametrize, parametrizations

parametrized = {}
for label, (fan_in, fan_out), orthogonal_map in (
        ('orthogonal-square-default', (3, 3), None), ('orthogonal-square-cayley', (3, 3), 'cayley'),
        ('orthogonal-tall-default', (3, 5), None), ('orthogonal-wide-matrix_exp', (5, 3), 'matrix_exp'),
        ('orthogonal-tall-cayley', (2, 4), 'cayley')):
    module = nn.Linear(fan_in, fan_out)
    weight, bias = module.weight.detach().clone(), module.bias.detach().clone()
    parametrizations.orthogonal(module, orthogonal_map=orthogonal_map)
    initial = tolist(module.weight)
    original = torch.randn(weight.shape) * 0.4
    if module.parametrizations.weight[0].orthogonal_map.name == 'householder':
        original.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
    with torch.no_grad():
        module.parametrizations.weight.original.copy_(original)
    x = torch.randn(2, fan_in)
    weights = torch.randn(2, fan_out)
    out = run(module, x, weights)
    entry = {
        'inFeatures': fan_in, 'outFeatures': fan_out, 'map': orthogonal_map or '',
        'chosenMap': module.parametrizations.weight[0].orthogonal_map.name,
        'weight': tolist(weight), 'bias': tolist(bias), 'keys': list(module.state_dict().keys()),
        'initialWeight': initial, 'base': tolist(module.parametrizations.weight[0].base),
        'original': tolist(original), 'input': tolist(x), 'weights': tolist(weights), 'output': tolist(out),
        'parametrizedWeight': tolist(module.weight),
        'grads': {name: tolist(p.grad) for name, p in module.named_parameters()},
    }
    parametrize.remove_parametrizations(module, 'weight')
    entry['keysAfterRemove'] = list(module.state_dict().keys())
    parametrized[label] = entry

for training in (True, False):
    module = nn.Linear(3, 4)
    weight, bias = module.weight.detach().clone(), module.bias.detach().clone()
    module.train(training)
    parametrizations.spectral_norm(module)
    sn = module.parametrizations.weight[0]
    u, v = torch.randn(4), torch.randn(3)
    u, v = u / u.norm(), v / v.norm()
    with torch.no_grad():
        sn._u.copy_(u)
        sn._v.copy_(v)
    x = torch.randn(2, 3)
    weights = torch.randn(2, 4)
    out = run(module, x, weights)
    parametrized['spectralNorm-%s' % ('train' if training else 'eval')] = {
        'training': training, 'weight': tolist(weight), 'bias': tolist(bias), 'keys': list(module.state_dict().keys()),
        'u': tolist(u), 'v': tolist(v), 'input': tolist(x), 'weights': tolist(weights), 'output': tolist(out),
        'uAfter': tolist(sn._u), 'vAfter': tolist(sn._v),
        'grads': {name: tolist(p.grad) for name, p in module.named_parameters()},
    }
cases_meta['parametrized'] = parametrized

# Negative dims (drawn last, so the cases above keep their values): torch adds the rank to a dim
# in [-rank, -1); -1 stays the whole tensor.
for kind, dim in (('linear', -2), ('conv2d', -2), ('conv2d', -4)):
    module, x = make(kind)
    weight, bias = module.weight.detach().clone(), module.bias.detach().clone()
    nn.utils.weight_norm(module, dim=dim)
    weights = torch.randn(module(x).shape)
    out = run(module, x, weights)
    cases['weightNorm-%s-dim-%s' % (kind, dim)] = {
        'kind': kind, 'dim': dim, 'weight': tolist(weight), 'bias': tolist(bias),
        'input': tolist(x), 'weights': tolist(weights), 'keys': list(module.state_dict().keys()),
        'g': tolist(module.weight_g), 'gShape': list(module.weight_g.shape), 'output': tolist(out),
        'computedWeight': tolist(module.weight),
        'grads': {name: tolist(p.grad) for name, p in module.named_parameters()},
    }

write_fixture(__file__, 'nn/weight-norm-fixture.ts', 'TORCH_WEIGHT_NORM', {'cases': cases, **cases_meta})
