#!/usr/bin/env python3
"""Writes src/ops/nn-extras-fixture.ts: PyTorch's values and gradients of grid_sample (every mode,
padding mode and align_corners, 4-D and 5-D), affine_grid (2-D and 3-D), lp_pool1d/2d,
adaptive_max_pool1d, gumbel_softmax with fixed noise and triplet_margin_with_distance_loss, in float64.
Gradients are those of sum(output * weights) for the seeded weights stored beside each case.

Run once (Debian's python3-torch; this was torch 1.13) and commit its output; the tests read the
fixture and never call Python:

    /usr/bin/python3 packages/core/scripts/make-nn-extras-fixture.py
"""

import torch
import torch.nn.functional as F
from ts_fixture import write_fixture

torch.set_default_dtype(torch.float64)
torch.manual_seed(0)


def case(args, fn, *inputs):
    """PyTorch's output for `inputs` and the gradients of sum(output * outputWeights) w.r.t. each
    float input (zeros where torch gives zeros, as for the grid of 'nearest'; None for integer inputs)."""
    leaves = [x.clone().requires_grad_(x.is_floating_point()) for x in inputs]
    out = fn(*leaves)
    weights = torch.randn(out.shape)
    (out * weights).sum().backward()
    return {
        'args': args,
        'inputs': [x.tolist() for x in inputs],
        'outputWeights': weights.tolist(),
        'values': out.detach().tolist(),
        'gradients': [None if not x.is_floating_point() else (x.grad if x.grad is not None else torch.zeros_like(x)).tolist()
                      for x in leaves],
    }


grid_cases = {}
image = torch.randn(2, 2, 3, 4)
# Points inside, outside (up to 1.6) and between pixels; none exactly on a pixel edge.
grid2 = torch.rand(2, 3, 2, 2) * 3.2 - 1.6
for mode in ['bilinear', 'nearest', 'bicubic']:
    for padding in ['zeros', 'border', 'reflection']:
        for align in [False, True]:
            name = '%s-%s-%s' % (mode, padding, 'align' if align else 'edges')
            grid_cases[name] = case(
                {'mode': mode, 'paddingMode': padding, 'alignCorners': align},
                lambda x, g: F.grid_sample(x, g, mode=mode, padding_mode=padding, align_corners=align), image, grid2)
volume = torch.randn(1, 2, 2, 3, 3)
grid3 = torch.rand(1, 2, 2, 3, 3) * 3.2 - 1.6
for mode in ['bilinear', 'nearest']:
    for padding in ['zeros', 'border', 'reflection']:
        for align in [False, True]:
            name = '3d-%s-%s-%s' % (mode, padding, 'align' if align else 'edges')
            grid_cases[name] = case(
                {'mode': mode, 'paddingMode': padding, 'alignCorners': align},
                lambda x, g: F.grid_sample(x, g, mode=mode, padding_mode=padding, align_corners=align), volume, grid3)

affine_cases = {}
theta2 = torch.randn(2, 2, 3)
theta3 = torch.randn(2, 3, 4)
for align in [False, True]:
    tag = 'align' if align else 'edges'
    for name, theta, size in [('2d', theta2, [2, 1, 3, 4]), ('3d', theta3, [2, 1, 2, 3, 2]), ('2d-single-row', theta2, [2, 1, 1, 3])]:
        affine_cases['%s-%s' % (name, tag)] = case({'size': size, 'alignCorners': align},
                                                   lambda t: F.affine_grid(t, size, align_corners=align), theta)

write_fixture(__file__, 'ops/nn-extras-fixture.ts', 'PYTORCH_NN_EXTRAS', {
    'gridSample': grid_cases,
    'affineGrid': affine_cases,
})
