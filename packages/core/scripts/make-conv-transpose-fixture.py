#!/usr/bin/env python3
"""Writes src/ops/conv-transpose-fixture.ts: PyTorch's values and gradients of F.conv_transpose2d
and F.group_norm in float64, for sum(out * w) with a fixed w, so that the tests compare Myelin's
composed forms with PyTorch's kernels without calling Python.

Run once (Debian's python3-torch; this was torch 1.13) and commit its output:

    /usr/bin/python3 packages/core/scripts/make-conv-transpose-fixture.py
"""

import torch
import torch.nn.functional as F
from ts_fixture import write_fixture

torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(7)


def rand(*shape):
    return (torch.rand(*shape, generator=gen) * 2 - 1).requires_grad_(True)


def case(fn, tensors, args):
    """Values of fn(*tensors) and the gradients of sum(out * w) with respect to every tensor."""
    out = fn(*tensors)
    w = torch.rand(out.shape, generator=gen) * 2 - 1
    grads = torch.autograd.grad((out * w).sum(), [t for t in tensors if t is not None])
    grads = iter(grads)
    return {
        'args': args,
        'inputs': [None if t is None else t.tolist() for t in tensors],
        'outputWeights': w.tolist(),
        'values': out.tolist(),
        'gradients': [None if t is None else next(grads).tolist() for t in tensors],
    }


conv = {}
# The brief's case: stride 2, padding 1, outputPadding 1, dilation 2, groups 2, no bias, a 3x2 kernel.
conv['s2-p1-op1-d2-g2-3x2'] = case(
    lambda x, w: F.conv_transpose2d(x, w, None, stride=2, padding=1, output_padding=1, groups=2, dilation=2),
    [rand(2, 4, 3, 4), rand(4, 3, 3, 2)],
    {'stride': 2, 'padding': 1, 'outputPadding': 1, 'dilation': 2, 'groups': 2})
# outputPadding >= stride (allowed since it is below the dilation), and padding larger than it.
conv['s1-p2-op1-d3-bias'] = case(
    lambda x, w, b: F.conv_transpose2d(x, w, b, stride=1, padding=2, output_padding=1, dilation=3),
    [rand(1, 3, 4, 3), rand(3, 2, 2, 3), rand(2)],
    {'stride': 1, 'padding': 2, 'outputPadding': 1, 'dilation': 3, 'groups': 1})
# Asymmetric stride, padding and outputPadding, with bias (DCGAN's 4x4 stride 2 padding 1 shape).
conv['s2x3-p1x0-op1x2-bias'] = case(
    lambda x, w, b: F.conv_transpose2d(x, w, b, stride=(2, 3), padding=(1, 0), output_padding=(1, 2)),
    [rand(2, 2, 3, 2), rand(2, 3, 4, 4), rand(3)],
    {'stride': [2, 3], 'padding': [1, 0], 'outputPadding': [1, 2], 'dilation': 1, 'groups': 1})

group = {}
for groups in (2, 1, 6):
    for affine in (True, False):
        tensors = [rand(2, 6, 3, 2)] + ([rand(6), rand(6)] if affine else [None, None])
        group['g%d-%s' % (groups, 'affine' if affine else 'plain')] = case(
            lambda x, w, b, g=groups: F.group_norm(x, g, w, b, eps=1e-5),
            tensors, {'numGroups': groups, 'eps': 1e-5})
# Rank 3 input [N, C, L] and a large eps.
group['g2-rank3-eps0.1'] = case(
    lambda x, w, b: F.group_norm(x, 2, w, b, eps=0.1),
    [rand(3, 4, 5), rand(4), rand(4)], {'numGroups': 2, 'eps': 0.1})

# Unbatched [C, H, W] input (torch 1.13's conv_transpose2d takes it as a batch of one); drawn last so
# that the cases above keep their values.
conv['unbatched-s2-p1-op1-bias'] = case(
    lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
    [rand(3, 3, 2), rand(3, 2, 3, 3), rand(2)],
    {'stride': 2, 'padding': 1, 'outputPadding': 1, 'dilation': 1, 'groups': 1})

write_fixture(__file__, 'ops/conv-transpose-fixture.ts', 'PYTORCH_CONV_TRANSPOSE',
              {'convTranspose2d': conv, 'groupNorm': group})
