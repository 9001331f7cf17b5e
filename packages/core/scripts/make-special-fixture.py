#!/usr/bin/env python3
"""Writes src/special/special-fixture.ts: PyTorch's values and derivatives of torch.special's
functions in float64 and float32, at points spanning wide ranges: negative non-integers and the
poles for lgamma and digamma, the tails of erfc, erfcx, ndtr and log_ndtr, erfinv and ndtri near
their ends, the Bessel functions on both sides of the series/asymptotic split.

    /usr/bin/python3 packages/core/scripts/make-special-fixture.py
"""

import mpmath as mp
import torch
from ts_fixture import encode, write_fixture

GAMMA = [-1e3 - 0.5, -10.3, -2.5, -1.5, -1.0, -0.5, -1e-8, 0.0, 1e-10, 1e-3, 0.3, 0.5, 1.0, 1.001, 1.4616,
         1.5, 2.0, 2.7, 5.0, 7.99, 8.0, 12.5, 100.0, 1e4, 1e10, 1e300]
DIGAMMA = [-1e3 - 0.5, -10.3, -2.5, -1.5, -1.0, -0.5, -1e-8, 0.0, 1e-10, 1e-3, 0.3, 0.5, 1.0, 1.4616,
           2.0, 7.99, 8.0, 12.5, 100.0, 1e4, 1e10]
POSITIVE = [1e-3, 0.3, 0.5, 1.0, 1.5, 2.7, 7.5, 8.0, 12.5, 30.0, 100.0, 1e4]
ERF_LINE = [-30.0, -5.0, -2.0, -1.0, -0.3, 0.0, 1e-9, 0.3, 1.0, 1.99, 2.0, 2.5, 5.0, 10.0, 26.0, 30.0]
ERFCX_LINE = [-26.0, -5.0, -1.0, 0.0, 0.5, 1.99, 2.0, 3.0, 10.0, 100.0, 1e5, 1e10]
UNIT = [-1.5, -1.0, -0.999999, -0.99, -0.7, -0.3, -1e-10, 0.0, 1e-10, 0.2, 0.5, 0.9, 0.999, 0.999999, 1.0, 1.5]
PROBABILITY = [-0.5, 0.0, 1e-300, 1e-20, 1e-5, 0.001, 0.02, 0.1, 0.3, 0.5, 0.7, 0.975, 0.999, 1 - 1e-10, 1.0, 1.5]
BESSEL = [-30.0, -19.9, -5.0, -1.0, -1e-3, 0.0, 1e-3, 0.5, 1.0, 3.0, 10.0, 19.9, 20.0, 20.1, 50.0, 300.0]
LOGIT = [-0.5, 0.0, 1e-6, 0.1, 0.3, 0.5, 0.9, 1 - 1e-6, 1.0, 1.5]
SINC = [-100.5, -3.0, -1.25, -0.5, -1e-9, 0.0, 1e-9, 0.25, 1.0, 2.5, 1000.25]
ENTR = [-1.0, 0.0, 1e-300, 1e-5, 0.3, 1.0, 2.0, 1e10, float('inf')]

cases = {
    'lgamma': (torch.special.gammaln, GAMMA),
    'digamma': (torch.special.digamma, DIGAMMA),
    'polygamma1': (lambda x: torch.special.polygamma(1, x), POSITIVE + [0.0, -2.5, -0.3]),
    'polygamma2': (lambda x: torch.special.polygamma(2, x), POSITIVE),
    'polygamma3': (lambda x: torch.special.polygamma(3, x), POSITIVE),
    'multigammaln3': (lambda x: torch.special.multigammaln(x, 3), [1.01, 1.5, 2.0, 3.3, 10.0, 100.0]),
    'erfc': (torch.special.erfc, ERF_LINE),
    'erfcx': (torch.special.erfcx, ERFCX_LINE),
    'erfinv': (torch.special.erfinv, UNIT),
    'ndtr': (torch.special.ndtr, ERF_LINE),
    'logNdtr': (torch.special.log_ndtr, ERF_LINE),
    'ndtri': (torch.special.ndtri, PROBABILITY),
    'i0': (torch.special.i0, BESSEL[:-1]),
    'i0e': (torch.special.i0e, BESSEL),
    'i1': (torch.special.i1, BESSEL[:-1]),
    'i1e': (torch.special.i1e, BESSEL),
    'entr': (torch.special.entr, ENTR),
    'logit': (torch.special.logit, LOGIT),
    'logitEps': (lambda x: torch.special.logit(x, 1e-3), LOGIT),
    'expit': (torch.special.expit, [-800.0, -5.0, 0.0, 0.5, 5.0, 800.0]),
    'sinc': (torch.special.sinc, SINC),
    # Appended later (literal points; the cases above are unchanged): lgamma near its zeros 1 and 2
    # and below the smallest normal, polygamma left of 0 and at its poles.
    'lgammaNearZeros': (torch.special.gammaln, [1 + 1e-9, 1 - 1e-9, 1 + 1e-5, 0.75, 1.25, 1.49, 1.51, 1.97186,
                                                2 - 1e-7, 2 + 1e-12, 2.25, 2.49, 2.51, 1e-310, -1e-310, -2.5]),
    'polygamma2Negative': (lambda x: torch.special.polygamma(2, x),
                           [-20.7, -2.5, -2.0, -1.0, -0.3, -0.2574, -1e-3, 0.0]),
    'polygamma3Negative': (lambda x: torch.special.polygamma(3, x), [-20.7, -2.5, -1.0, -0.3, -1e-3, 0.0]),
    'polygamma4': (lambda x: torch.special.polygamma(4, x), [-20.7, -2.5, -1.5, -1.0, -0.3, 0.0, 0.3, 1.5, 12.5]),
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

# xlog1py(x, y): both gradients
# (0, -1) and (0, inf) are left out: there PyTorch's gradients are NaN and Infinity, Myelin's 0.
xs = [0.0, 0.0, 0.0, 1.5, -2.0, 3.0, 0.5]
ys = [-2.0, float('nan'), 5.0, 0.5, 1e-10, 10.0, -0.5]
x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
y = torch.tensor(ys, dtype=torch.float64, requires_grad=True)
z = torch.special.xlog1py(x, y)
gx, gy = torch.autograd.grad(z.sum(), (x, y))
out_xlog1py = {'x': xs, 'y': ys, 'values': z.tolist(), 'gradX': gx.tolist(), 'gradY': gy.tolist()}

# erfinv near +-1, against mpmath: PyTorch's own is 5e-5 relative off at 1 - 1e-15.
mp.mp.dps = 50
ERFINV_TAIL = [0.5, 0.500001, 0.9, 0.9999, 1 - 1e-12, 1 - 1e-15, 1 - 2**-53, -(1 - 1e-15), -(1 - 1e-12)]
out_erfinv_tail = {'points': ERFINV_TAIL, 'values': [float(mp.erfinv(mp.mpf(v))) for v in ERFINV_TAIL]}

write_fixture(__file__, 'special/special-fixture.ts', 'PYTORCH_SPECIAL',
              {'unary': out, 'xlog1py': out_xlog1py, 'erfinvTail': out_erfinv_tail}, ' and float32; mpmath', encode)
