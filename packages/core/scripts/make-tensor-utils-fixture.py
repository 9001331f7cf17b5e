#!/usr/bin/env python3
"""Writes src/ops/tensor-utils-fixture.ts: torch.var, torch.std, torch.linalg.vector_norm,
torch.cumsum, Tensor.repeat, torch.tile, torch.flip, torch.split / torch.chunk (pieces rejoined
with weights), Tensor.masked_fill in float64: each case's input, output and the input's gradient
for the loss sum(output * w) with fixed weights w.

Run once (Debian's python3-torch; this was torch 1.13) and commit its output; the tests read the
fixture and never call Python:

    /usr/bin/python3 packages/core/scripts/make-tensor-utils-fixture.py
"""

import torch
from ts_fixture import write_fixture

torch.set_default_dtype(torch.float64)
torch.manual_seed(20261205)

x34 = torch.randn(3, 4)
x234 = torch.randn(2, 3, 4)
with_zero_row = torch.randn(3, 4)
with_zero_row[1] = 0

# name, op (as the test calls it), arguments, input, function
cases = [
    ('var all', 'var', {}, x34, lambda x: torch.var(x)),
    ('var axis 1 biased keepDims', 'var', {'axes': [1], 'correction': 0, 'keepDims': True}, x34,
     lambda x: torch.var(x, dim=1, correction=0, keepdim=True)),
    ('var axes 0 2', 'var', {'axes': [0, 2]}, x234, lambda x: torch.var(x, dim=(0, 2))),
    ('std axis -1', 'std', {'axes': [-1]}, x234, lambda x: torch.std(x, dim=-1)),
    ('norm 2 all', 'norm', {'ord': 2}, x34, lambda x: torch.linalg.vector_norm(x)),
    ('norm 2 axis 1 with a zero row', 'norm', {'ord': 2, 'axes': [1]}, with_zero_row,
     lambda x: torch.linalg.vector_norm(x, dim=1)),
    ('norm 1 axis 0', 'norm', {'ord': 1, 'axes': [0]}, x34, lambda x: torch.linalg.vector_norm(x, ord=1, dim=0)),
    ('norm inf axis 1 keepDims', 'norm', {'ord': 'Infinity', 'axes': [1], 'keepDims': True}, x34,
     lambda x: torch.linalg.vector_norm(x, ord=float('inf'), dim=1, keepdim=True)),
    ('norm 3 axes 1 2', 'norm', {'ord': 3, 'axes': [1, 2]}, x234,
     lambda x: torch.linalg.vector_norm(x, ord=3, dim=(1, 2))),
    ('cumsum axis 1', 'cumsum', {'axis': 1}, x34, lambda x: torch.cumsum(x, 1)),
    ('cumsum axis 0 of 3-D', 'cumsum', {'axis': 0}, x234, lambda x: torch.cumsum(x, 0)),
    ('repeat [2, 1, 3]', 'repeat', {'repeats': [2, 1, 3]}, x34, lambda x: x.repeat(2, 1, 3)),
    ('tile [2]', 'tile', {'reps': [2]}, x34, lambda x: torch.tile(x, (2,))),
    ('flip axes 0 2', 'flip', {'axes': [0, 2]}, x234, lambda x: torch.flip(x, (0, 2))),
    ('split 3 along axis 1, rejoined', 'split', {'splitSize': 3, 'axis': 1}, x34,
     lambda x: torch.cat([p * (i + 1) for i, p in enumerate(torch.split(x, 3, dim=1))], dim=1)),
    ('split sections [1, 2] along axis 0, rejoined', 'split', {'splitSize': [1, 2], 'axis': 0}, x34,
     lambda x: torch.cat([p * (i + 1) for i, p in enumerate(torch.split(x, [1, 2], dim=0))], dim=0)),
    ('chunk 3 along axis 2, rejoined', 'chunk', {'chunks': 3, 'axis': 2}, x234,
     lambda x: torch.cat([p * (i + 1) for i, p in enumerate(torch.chunk(x, 3, dim=2))], dim=2)),
    ('maskedFill (x > 0.5) with -2', 'maskedFill', {'value': -2}, x34, lambda x: x.masked_fill(x34 > 0.5, -2)),
]

out = []
for name, op, args, x, fn in cases:
    x = x.clone().requires_grad_(True)
    y = fn(x)
    w = torch.randn(y.shape)
    (g,) = torch.autograd.grad((y * w).sum(), [x])
    out.append({'name': name, 'op': op, 'args': args, 'input': x.tolist(), 'output': y.tolist(),
                'weights': w.tolist(), 'gradient': g.tolist()})

write_fixture(__file__, 'ops/tensor-utils-fixture.ts', 'PYTORCH_TENSOR_UTILS', out)
