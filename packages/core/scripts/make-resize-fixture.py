#!/usr/bin/env python3
"""Writes src/ops/resize-fixture.ts: PyTorch's values and gradients of F.interpolate in the modes added
after the image layers ('bicubic', 'trilinear', 'nearest-exact', and 'nearest'/'area' on 5-D input) in
float64, for sum(out * w) with a fixed w, so that the tests compare Myelin's interpolate with PyTorch's
kernels without calling Python.

Run once (Debian's python3-torch; this was torch 1.13) and commit its output:

    /usr/bin/python3 packages/core/scripts/make-resize-fixture.py
"""

import torch
import torch.nn.functional as F
from ts_fixture import write_fixture

torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(17)


def rand(*shape):
    return (torch.rand(*shape, generator=gen) * 2 - 1).requires_grad_(True)


def case(fn, tensors, args):
    """Values of fn(*tensors) and the gradients of sum(out * w) with respect to every tensor."""
    out = fn(*tensors)
    w = torch.rand(out.shape, generator=gen) * 2 - 1
    grads = iter(torch.autograd.grad((out * w).sum(), [t for t in tensors if t is not None]))
    return {
        'args': args,
        'inputs': [None if t is None else t.tolist() for t in tensors],
        'outputWeights': w.tolist(),
        'values': out.tolist(),
        'gradients': [None if t is None else next(grads).tolist() for t in tensors],
    }


NAMES = {'scale_factor': 'scaleFactor', 'align_corners': 'alignCorners'}


def recorded(args):
    return {NAMES.get(k, k): list(v) if isinstance(v, tuple) else v for k, v in args.items()}


interpolate = {}
for name, shape, args in [
    ('bicubic-size-4x5-to-7x9', (1, 2, 4, 5), dict(size=(7, 9), mode='bicubic', align_corners=False)),
    ('bicubic-size-4x5-to-7x9-align', (1, 2, 4, 5), dict(size=(7, 9), mode='bicubic', align_corners=True)),
    # taps past both borders (replicated), a non-integer scale factor
    ('bicubic-scale-1.7', (2, 1, 3, 4), dict(scale_factor=1.7, mode='bicubic', align_corners=False)),
    ('bicubic-down-7x6-to-3x4', (1, 2, 7, 6), dict(size=(3, 4), mode='bicubic', align_corners=False)),
    ('bicubic-down-7x6-to-3x4-align', (1, 2, 7, 6), dict(size=(3, 4), mode='bicubic', align_corners=True)),
    ('bicubic-scale-1.2-same-height', (1, 1, 4, 6), dict(scale_factor=1.2, mode='bicubic', align_corners=False)),
    ('trilinear-size-3x4x2-to-5x6x4', (1, 2, 3, 4, 2), dict(size=(5, 6, 4), mode='trilinear', align_corners=False)),
    ('trilinear-size-3x4x2-to-5x6x4-align', (1, 2, 3, 4, 2), dict(size=(5, 6, 4), mode='trilinear', align_corners=True)),
    ('trilinear-scale-1.5x0.5x2', (2, 1, 2, 6, 3), dict(scale_factor=(1.5, 0.5, 2.0), mode='trilinear', align_corners=False)),
    ('nearest-exact-size-5x7-to-8x3', (1, 2, 5, 7), dict(size=(8, 3), mode='nearest-exact')),
    ('nearest-exact-scale-1.7', (1, 2, 4, 5), dict(scale_factor=1.7, mode='nearest-exact')),
    ('nearest-exact-1d-scale-0.6', (2, 2, 8), dict(scale_factor=0.6, mode='nearest-exact')),
    ('nearest-exact-3d-size-2x5x3', (1, 2, 3, 4, 4), dict(size=(2, 5, 3), mode='nearest-exact')),
    ('nearest-3d-scale-2x1.5x0.5', (1, 2, 2, 3, 4), dict(scale_factor=(2.0, 1.5, 0.5), mode='nearest')),
    ('area-3d-5x4x6-to-3x2x4', (1, 2, 5, 4, 6), dict(size=(3, 2, 4), mode='area')),
    # floor(4 * 1.2) = 4: trilinear copies the depth (as bilinear an axis), bicubic would not
    ('trilinear-scale-1.2-same-depth', (1, 1, 4, 3, 2), dict(scale_factor=(1.2, 2.0, 1.5), mode='trilinear')),
]:
    interpolate[name] = case(lambda x, a=args: F.interpolate(x, **a), [rand(*shape)], recorded(args))

write_fixture(__file__, 'ops/resize-fixture.ts', 'PYTORCH_RESIZE', {'interpolate': interpolate})
