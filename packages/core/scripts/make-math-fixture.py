#!/usr/bin/env python3
"""Writes src/ops/math-fixture.ts: PyTorch's values and derivatives of the math functions (the
unary primitives sin .. trunc and the composed log2, log10, exp2, rsqrt, frac), in float64 and in
float32, at points that include each function's domain edges and poles (asin(2) is NaN, atanh(1)
is Infinity, acosh'(1) is Infinity) and round's ties (0.5, 1.5, 2.5, -0.5, -2.5: half to even).

Run once (Debian's python3-torch; this was torch 1.13) and commit its output; the tests read the
fixture and never call Python:

    /usr/bin/python3 packages/core/scripts/make-math-fixture.py
"""

import torch
from ts_fixture import encode, write_fixture

TRIG = [-10.0, -3.0, -1.5, -1.0, -0.5, -1e-8, 0.0, 1e-8, 0.5, 1.0, 2.0, 3.0, 10.0, 100.0]
UNIT = [-2.0, -1.0, -0.999, -0.5, -1e-8, 0.0, 0.3, 0.5, 0.999, 1.0, 1.5]
STEPS = [-2.5, -1.7, -1.5, -0.5, -0.3, -0.0, 0.0, 0.3, 0.5, 1.5, 2.5, 2.7, 3.5, 1e10 + 0.5]

cases = {
    'sin': (torch.sin, TRIG),
    'cos': (torch.cos, TRIG),
    'tan': (torch.tan, [-3.0, -1.5, -1.0, -0.5, 0.0, 1e-8, 0.5, 1.0, 1.5, 3.0, 10.0]),
    'asin': (torch.asin, UNIT),
    'acos': (torch.acos, UNIT),
    'atan': (torch.atan, [-100.0, -2.0, -1.0, -1e-8, 0.0, 0.5, 1.0, 3.0, 1e6]),
    'sinh': (torch.sinh, [-20.0, -3.0, -1.0, -1e-8, 0.0, 1e-8, 0.5, 1.0, 3.0, 20.0]),
    'cosh': (torch.cosh, [-20.0, -3.0, -1.0, -1e-8, 0.0, 1e-8, 0.5, 1.0, 3.0, 20.0]),
    'asinh': (torch.asinh, [-1e3, -3.0, -1.0, -1e-8, 0.0, 1e-8, 0.5, 2.0, 1e3]),
    'acosh': (torch.acosh, [0.5, 1.0, 1.0001, 1.5, 2.0, 10.0, 1e4]),
    'atanh': (torch.atanh, [-2.0, -1.0, -0.999, -0.5, -1e-8, 0.0, 1e-8, 0.5, 0.999, 1.0, 1.5]),
    'log1p': (torch.log1p, [-2.0, -1.0, -0.999, -0.5, -1e-10, 0.0, 1e-10, 0.5, 1.0, 10.0, 1e6]),
    'expm1': (torch.expm1, [-50.0, -1.0, -1e-10, 0.0, 1e-10, 0.5, 1.0, 10.0, 50.0]),
    'floor': (torch.floor, STEPS),
    'ceil': (torch.ceil, STEPS),
    'round': (torch.round, STEPS),
    'trunc': (torch.trunc, STEPS),
    'log2': (torch.log2, [-1.0, 0.0, 1e-5, 0.1, 0.5, 1.0, 2.0, 3.0, 8.0, 1024.0, 12345.0]),
    'log10': (torch.log10, [-1.0, 0.0, 1e-5, 0.5, 1.0, 10.0, 1000.0, 12345.0]),
    'exp2': (torch.exp2, [-60.0, -3.0, -0.5, 0.0, 0.5, 1.0, 10.0, 30.0]),
    'rsqrt': (torch.rsqrt, [-1.0, 0.0, 1e-4, 0.25, 1.0, 2.0, 100.0]),
    'frac': (torch.frac, [-2.5, -1.7, -0.5, -0.0, 0.0, 0.3, 1.5, 2.7, 1e6 + 0.25]),
}


out = {}
for name, (fn, points) in cases.items():
    case = {'points': points}
    for dtype in (torch.float64, torch.float32):
        x = torch.tensor(points, dtype=dtype, requires_grad=True)
        y = fn(x)
        (grad,) = torch.autograd.grad(y.sum(), x)
        case[str(dtype).replace('torch.', '')] = {'values': y.tolist(), 'derivatives': grad.tolist()}
    out[name] = case

write_fixture(__file__, 'ops/math-fixture.ts', 'PYTORCH_MATH', out, ' and float32', encode)
