#!/usr/bin/env python3
"""Fits the polynomials of backend-cpu's vector float32 erf (erf8 in native/kernels/kernels-isa.cc)
and measures the float32 evaluation's error against double-precision math.erf. numpy only:

    python3 packages/backend-cpu/scripts/fit-erf.py

|x| <= 1:      erf(x) = x + x * A(x^2),           A of degree 6 (erf(x) / x - 1: 2 / sqrt(pi) is near 1,
                                                   so the last addition carries most of the value)
1 < |x| < 4:   erf(x) = 1 - exp(-x^2) * B(1/|x|),  B of degree 8 (erfc(x) e^{x^2} is smooth in 1/x)
|x| >= 4:      erf(x) = +-1 (erfc(4) = 1.5e-8 is below half an ulp of 1 in float32)

Each polynomial minimises the largest relative error over Chebyshev nodes (least squares with
Lawson's reweighting, i.e. near-minimax), then its coefficients are rounded to float32.
"""
import math

import numpy as np

CUT, TOP = 1.0, 4.0


def nodes(a, b, n=6000):
    k = np.arange(n)
    return (a + b) / 2 + (b - a) / 2 * np.cos((2 * k + 1) * np.pi / (2 * n))


def near_minimax(v, y, degree, scale, iterations=300):
    """Coefficients minimising max |p(v) - y| * scale."""
    basis = np.vander(v, degree + 1, increasing=True)
    w = np.ones_like(v)
    for _ in range(iterations):
        sw = np.sqrt(w) * scale
        c, *_ = np.linalg.lstsq(basis * sw[:, None], y * sw, rcond=None)
        err = np.abs(basis @ c - y) * scale
        w = w * err
        w /= w.sum()
    return c.astype(np.float32)


x = nodes(0, CUT)
ratio = np.array([math.erf(t) / t for t in x])
A = near_minimax(x * x, ratio - 1, 6, 1 / ratio)  # error relative to erf(x) / x, i.e. to erf(x)
x = nodes(CUT, TOP)
scaled = np.array([math.erfc(t) * math.exp(t * t) for t in x])
B = near_minimax(1 / x, scaled, 8, 1 / scaled)


def horner(c, v):
    p = np.full_like(v, c[-1])
    for k in c[-2::-1]:
        p = (p * v).astype(np.float32) + k
    return p.astype(np.float32)


def erf8(x):
    """The kernel's arithmetic in float32 (exp in double, rounded: the kernel's exp8 is within 1 ulp)."""
    x = x.astype(np.float32)
    a = np.abs(x)
    z = (a * a).astype(np.float32)
    small = (a + (a * horner(A, z)).astype(np.float32)).astype(np.float32)
    r = (np.float32(1) / a).astype(np.float32)
    e = np.exp(-z.astype(np.float64)).astype(np.float32)
    big = (np.float32(1) - (e * horner(B, r)).astype(np.float32)).astype(np.float32)
    y = np.where(a <= CUT, small, np.where(a < TOP, big, np.float32(1)))
    return np.copysign(y, x)


def ulps(actual, exact):
    rounded = np.abs(exact.astype(np.float32)).astype(np.float64)
    exponent = np.where(rounded == 0, -149, np.maximum(-149, np.floor(np.log2(np.where(rounded == 0, 1, rounded))) - 23))
    return np.abs(actual.astype(np.float64) - exact) / 2.0**exponent


np.seterr(divide='ignore', over='ignore', invalid='ignore')  # 1 / 0 and its powers: the |x| <= CUT lanes
xs = np.concatenate([np.linspace(-6, 6, 2_000_001), np.geomspace(1e-30, 1, 100_001)]).astype(np.float32)
exact = np.array([math.erf(float(t)) for t in xs])
worst = ulps(erf8(xs), exact)
print('A =', ', '.join(f'{v:.9e}f' for v in A))
print('B =', ', '.join(f'{v:.9e}f' for v in B))
print(f'worst error {worst.max():.3f} ulp at x = {xs[worst.argmax()]!r}')
