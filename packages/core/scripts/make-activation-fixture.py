#!/usr/bin/env python3
"""Writes src/ops/activation-fixture.ts: PyTorch's values and derivatives of the activations that
core composes from primitives (GELU, SiLU, Mish, Softplus, Softsign, Hardtanh, ReLU6, SELU,
Hardsigmoid, Hardswish, PReLU), in float64, at points that include every kink and bound.

Run once (Debian's python3-torch; this was torch 1.13) and commit its output; the tests read the
fixture and never call Python:

    /usr/bin/python3 packages/core/scripts/make-activation-fixture.py
"""

import torch
import torch.nn.functional as F
from ts_fixture import write_fixture

torch.set_default_dtype(torch.float64)

# Every kink and bound (0, +-3, +-1, 6, the thresholds), both tails, and a spread in between.
points = [-60.0, -30.0, -12.0, -6.5, -6.0, -4.0, -3.0, -2.999, -2.0, -1.5, -1.0, -0.7, -0.5, -0.25, -1e-3,
          -1e-8, 0.0, 1e-8, 1e-3, 0.25, 0.5, 0.7, 1.0, 1.5, 2.0, 2.999, 3.0, 4.0, 5.5, 6.0, 6.5, 9.9, 10.0,
          10.1, 12.0, 19.9, 20.0, 20.1, 30.0, 60.0]

cases = {
    'gelu': lambda x: F.gelu(x),
    'gelu-tanh': lambda x: F.gelu(x, approximate='tanh'),
    'silu': F.silu,
    'mish': F.mish,
    'softplus': F.softplus,
    'softplus-beta2-threshold10': lambda x: F.softplus(x, beta=2, threshold=10),
    'softplus-beta-half': lambda x: F.softplus(x, beta=0.5),
    'softsign': F.softsign,
    'hardtanh': F.hardtanh,
    'hardtanh-m2-3': lambda x: F.hardtanh(x, -2.0, 3.0),
    'relu6': F.relu6,
    'selu': F.selu,
    'hardsigmoid': F.hardsigmoid,
    'hardswish': F.hardswish,
    'prelu-0.25': lambda x: F.prelu(x, torch.tensor([0.25])),
}

# One point at a time: torch 1.13's CPU kernels have a scalar and a vectorised form, and at a kink
# they can disagree (hardswish'(3) is 1.5 in the scalar form, as on CUDA, and 1 in the vectorised
# one); a one-element tensor takes the scalar form. One known PyTorch imprecision is kept as it is:
# hardsigmoid's float64 derivative is float32's 1/6 (0.1666666716...); Myelin uses 1/6 exactly.
out = {'points': points, 'cases': {}}
for name, fn in cases.items():
    values, derivatives = [], []
    for p in points:
        x = torch.tensor([p], requires_grad=True)
        y = fn(x)
        (grad,) = torch.autograd.grad(y.sum(), x)
        values.append(y.item())
        derivatives.append(grad.item())
    out['cases'][name] = {'values': values, 'derivatives': derivatives}

# PReLU per channel: input [2, 3, 2], slopes [0.1, -0.5, 2]; the slopes' gradient of sum(y * w).
x = torch.tensor([[[-1.0, 2.0], [0.0, -3.0], [-0.5, 4.0]], [[3.0, -2.0], [-1.5, 0.5], [-2.5, -1.0]]], requires_grad=True)
a = torch.tensor([0.1, -0.5, 2.0], requires_grad=True)
w = torch.arange(12.0).reshape(2, 3, 2) / 7 - 0.5
y = F.prelu(x, a)
gx, ga = torch.autograd.grad((y * w).sum(), (x, a))
out['preluChannels'] = {
    'input': x.tolist(), 'slopes': a.tolist(), 'outputWeights': w.tolist(),
    'values': y.tolist(), 'inputGradient': gx.tolist(), 'slopeGradient': ga.tolist(),
}

write_fixture(__file__, 'ops/activation-fixture.ts', 'PYTORCH_ACTIVATIONS', out)
