#!/usr/bin/env python3
"""Writes src/ops/tensor-functions-fixture.ts: torch's everyday tensor functions that Myelin composes
from its primitives (ops/products.ts, indexing.ts, shapes.ts, elementwise-extra.ts), in float64:
each case's inputs, output and the gradient of every float input for the loss sum(output * w) with
fixed weights w; int32 and bool cases carry values only.

Run once (Debian's python3-torch; this was torch 1.13) and commit its output; the tests read the
fixture and never call Python:

    /usr/bin/python3 packages/core/scripts/make-tensor-functions-fixture.py
"""

import torch
from ts_fixture import write_fixture

torch.set_default_dtype(torch.float64)
torch.manual_seed(20261206)


def r(*shape):
    return torch.randn(*shape)


def ints(values):
    return torch.tensor(values, dtype=torch.int32)


def longs(t):
    return t.long() if isinstance(t, torch.Tensor) else torch.tensor(t)


# name, op (as the test calls it), arguments, inputs, function of the inputs
products = [
    ('mm', 'mm', {}, [r(2, 3), r(3, 4)], torch.mm),
    ('bmm', 'bmm', {}, [r(2, 2, 3), r(2, 3, 4)], torch.bmm),
    ('mv', 'mv', {}, [r(3, 4), r(4)], torch.mv),
    ('dot', 'dot', {}, [r(5), r(5)], torch.dot),
    ('vdot', 'vdot', {}, [r(3), r(3)], torch.vdot),
    ('inner of 3-D and 2-D', 'inner', {}, [r(2, 3, 4), r(5, 4)], torch.inner),
    ('inner with a 0-D tensor', 'inner', {}, [r(2, 3), torch.tensor(1.5)], torch.inner),
    ('tensordot dims 2', 'tensordot', {'dims': 2}, [r(2, 3, 4), r(3, 4, 5)], lambda a, b: torch.tensordot(a, b, 2)),
    ('tensordot dims 0 (outer)', 'tensordot', {'dims': 0}, [r(2, 3), r(2)], lambda a, b: torch.tensordot(a, b, 0)),
    ('tensordot axis lists', 'tensordot', {'dims': [[0, 2], [2, -3]]}, [r(3, 2, 4), r(4, 5, 3)],
     lambda a, b: torch.tensordot(a, b, ([0, 2], [2, -3]))),
    ('addmm defaults, broadcast bias', 'addmm', {}, [r(4), r(2, 3), r(3, 4)], torch.addmm),
    ('addmm beta 0.5 alpha -2', 'addmm', {'beta': 0.5, 'alpha': -2}, [r(2, 4), r(2, 3), r(3, 4)],
     lambda i, a, b: torch.addmm(i, a, b, beta=0.5, alpha=-2)),
    ('addmm beta 0 ignores NaN in input', 'addmm', {'beta': 0}, [torch.tensor([[float('nan'), 1.0]]), r(3, 2), r(2, 2)],
     lambda i, a, b: torch.addmm(i, a, b, beta=0)),
    ('baddbmm alpha 0.5', 'baddbmm', {'alpha': 0.5}, [r(1, 2, 4), r(3, 2, 3), r(3, 3, 4)],
     lambda i, a, b: torch.baddbmm(i, a, b, alpha=0.5)),
    ('addbmm beta 2', 'addbmm', {'beta': 2}, [r(2, 4), r(3, 2, 3), r(3, 3, 4)],
     lambda i, a, b: torch.addbmm(i, a, b, beta=2)),
    ('addmv beta 0.5 alpha 3', 'addmv', {'beta': 0.5, 'alpha': 3}, [r(3), r(3, 4), r(4)],
     lambda i, a, b: torch.addmv(i, a, b, beta=0.5, alpha=3)),
    ('addr alpha -1', 'addr', {'alpha': -1}, [r(3, 4), r(3), r(4)], lambda i, a, b: torch.addr(i, a, b, alpha=-1)),
    ('addcmul value 0.5, broadcasting', 'addcmul', {'value': 0.5}, [r(2, 3), r(3), r(2, 1)],
     lambda i, a, b: torch.addcmul(i, a, b, value=0.5)),
    ('addcdiv value -2', 'addcdiv', {'value': -2}, [r(2, 3), r(2, 3), r(2, 3).abs() + 0.5],
     lambda i, a, b: torch.addcdiv(i, a, b, value=-2)),
]

families = {'products': products}


def record(name, op, args, inputs, fn):
    inputs = [t.clone().requires_grad_(t.is_floating_point()) for t in inputs]
    result = fn(*inputs)
    if isinstance(result, (tuple, list)):
        result = torch.stack(list(result))
    entry = {'name': name, 'op': op, 'args': args, 'inputs': [t.tolist() for t in inputs],
             'dtypes': [str(t.dtype).replace('torch.', '') for t in inputs], 'shape': list(result.shape)}
    floats = [t for t in inputs if t.requires_grad]
    if result.is_floating_point() and floats and result.requires_grad:
        w = torch.randn(result.shape)
        grads = torch.autograd.grad((result * w).nansum(), floats, allow_unused=True)
        entry['weights'] = w.tolist()
        entry['gradients'] = [g.tolist() if g is not None else None for g in grads]
    entry['output'] = result.detach().tolist() if result.dtype != torch.bool else result.to(torch.int32).tolist()
    return entry


out = {family: [record(*case) for case in cases] for family, cases in families.items()}
write_fixture(__file__, 'ops/tensor-functions-fixture.ts', 'PYTORCH_TENSOR_FUNCTIONS', out)
