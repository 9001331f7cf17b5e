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

lp_cases = {}
signal = torch.rand(2, 3, 7) + 0.1  # positive: a fractional p of a negative number is NaN in torch too
picture = torch.rand(2, 2, 5, 6) + 0.1
for p in [1.0, 2.0, 3.5]:
    lp_cases['1d-p%s' % p] = case({'normType': p, 'kernelSize': 3, 'stride': 2, 'dims': 1},
                                 lambda x: F.lp_pool1d(x, p, 3, stride=2), signal)
    lp_cases['2d-p%s' % p] = case({'normType': p, 'kernelSize': [2, 3], 'dims': 2},
                                 lambda x: F.lp_pool2d(x, p, (2, 3)), picture)
lp_cases['1d-ceil'] = case({'normType': 2.0, 'kernelSize': 2, 'ceilMode': True, 'dims': 1},
                           lambda x: F.lp_pool1d(x, 2.0, 2, ceil_mode=True), signal)
lp_cases['1d-negative-p1'] = case({'normType': 1.0, 'kernelSize': 2, 'dims': 1},
                                  lambda x: F.lp_pool1d(x, 1.0, 2), torch.randn(1, 2, 6))

adaptive_cases = {}
sequence = torch.randn(2, 3, 7)
for size in [1, 3, 5, 7]:
    values, indices = F.adaptive_max_pool1d(sequence, size, return_indices=True)
    entry = case({'outputSize': size}, lambda x: F.adaptive_max_pool1d(x, size), sequence)
    entry['indices'] = indices.tolist()
    adaptive_cases['size-%d' % size] = entry
adaptive_cases['unbatched'] = case({'outputSize': 4}, lambda x: F.adaptive_max_pool1d(x, 4), torch.randn(2, 9))
adaptive_cases['unbatched']['indices'] = F.adaptive_max_pool1d(torch.tensor(adaptive_cases['unbatched']['inputs'][0]), 4,
                                                                return_indices=True)[1].tolist()


def gumbel_softmax_with(logits, gumbels, tau, hard, dim):
    """torch 1.13's F.gumbel_softmax with its noise given (its source, the draw replaced)."""
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = torch.zeros_like(logits, memory_format=torch.legacy_contiguous_format).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


gumbel_cases = {}
logits = torch.randn(3, 4)
gumbels = -torch.empty_like(logits).exponential_().log()
for tau in [1.0, 0.5]:
    for hard in [False, True]:
        for dim in [-1, 0]:
            gumbel_cases['tau%s-%s-dim%d' % (tau, 'hard' if hard else 'soft', dim)] = case(
                {'tau': tau, 'hard': hard, 'dim': dim},
                lambda x, g: gumbel_softmax_with(x, g.detach(), tau, hard, dim), logits, gumbels)

triplet_cases = {}
anchor, positive, negative = torch.randn(4, 3), torch.randn(4, 3), torch.randn(4, 3)


def cosine_distance(x1, x2):
    return 1 - F.cosine_similarity(x1, x2)


for name, distance, margin, swap, reduction in [
        ('default-mean', None, 1.0, False, 'mean'),
        ('default-swap-sum', None, 0.5, True, 'sum'),
        ('cosine-none', 'cosine', 0.3, False, 'none'),
        ('cosine-swap-mean', 'cosine', 1.5, True, 'mean')]:
    triplet_cases[name] = case(
        {'distance': distance, 'margin': margin, 'swap': swap, 'reduction': reduction},
        lambda a, p, n: F.triplet_margin_with_distance_loss(
            a, p, n, distance_function=cosine_distance if distance else None, margin=margin, swap=swap,
            reduction=reduction),
        anchor, positive, negative)

fractional_cases = {}
for name, shape, kernel, size, ratio in [
        ('size-4x3-kernel-2', [2, 2, 7, 6], 2, [4, 3], None),
        ('ratio-0.5-kernel-3x2', [1, 3, 8, 9], [3, 2], None, 0.5),
        ('size-1x5-kernel-2x1', [1, 2, 5, 6], [2, 1], [1, 5], None),
        ('unbatched', [2, 6, 6], 3, [3, 4], None)]:
    x = torch.randn(shape)
    planes = [1] + shape[:1] if len(shape) == 3 else shape[:2]
    samples = torch.rand(planes + [2])
    entry = case({'kernelSize': kernel, 'outputSize': size, 'outputRatio': ratio},
                 lambda t, r: F.fractional_max_pool2d(t, kernel, output_size=size, output_ratio=ratio, _random_samples=r.detach()),
                 x, samples)
    entry['indices'] = F.fractional_max_pool2d(x, kernel, output_size=size, output_ratio=ratio, return_indices=True,
                                               _random_samples=samples)[1].tolist()
    fractional_cases[name] = entry

write_fixture(__file__, 'ops/nn-extras-fixture.ts', 'PYTORCH_NN_EXTRAS', {
    'gridSample': grid_cases,
    'affineGrid': affine_cases,
    'lpPool': lp_cases,
    'adaptiveMaxPool1d': adaptive_cases,
    'gumbelSoftmax': gumbel_cases,
    'tripletMarginWithDistanceLoss': triplet_cases,
    'fractionalMaxPool2d': fractional_cases,
})
