#!/usr/bin/env python3
"""Writes src/ops/pool-options-fixture.ts: PyTorch's values and gradients of F.avg_pool2d/3d with
divisor_override (alone and with padding, count_include_pad and ceil_mode), the indices of
F.max_pool1d/2d/3d(return_indices=True) and F.max_unpool1d/2d/3d in float64, for
sum(out * w) with a fixed w, so that the tests compare Myelin's pools with PyTorch's kernels without
calling Python. PyTorch's avg_pool1d has no divisor_override; Myelin's (an extension) is checked
against avg_pool2d of [N, C, 1, L] with a (1, k) window, which is what it runs.

Run once (Debian's python3-torch; this was torch 1.13) and commit its output:

    /usr/bin/python3 packages/core/scripts/make-pool-options-fixture.py
"""

import torch
import torch.nn.functional as F
from ts_fixture import write_fixture

torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(19)


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


NAMES = {'kernel_size': 'kernelSize', 'count_include_pad': 'countIncludePad', 'ceil_mode': 'ceilMode',
         'divisor_override': 'divisorOverride', 'output_size': 'outputSize'}


def recorded(args):
    return {NAMES.get(k, k): list(v) if isinstance(v, tuple) else v for k, v in args.items()}


def avg_pool1d_as_2d(x, kernel_size, stride=None, padding=0, **args):
    """avg_pool1d with divisor_override: avg_pool2d of [N, C, 1, L] with a (1, k) window."""
    stride = kernel_size if stride is None else stride
    return F.avg_pool2d(x.unsqueeze(-2), (1, kernel_size), (1, stride), (0, padding), **args).squeeze(-2)


avg = {}
for name, fn, shape, args in [
    ('1d-k3-divisor-2', avg_pool1d_as_2d, (2, 2, 7), dict(kernel_size=3, divisor_override=2)),
    ('1d-k3-s2-p1-ceil-divisor-5', avg_pool1d_as_2d, (1, 2, 8),
     dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, divisor_override=5)),
    ('2d-k2-divisor-3', F.avg_pool2d, (2, 2, 4, 6), dict(kernel_size=2, divisor_override=3)),
    # the override wins over count_include_pad=False and ceil mode's shorter windows
    ('2d-k3-s2-p1-exclude-pad-ceil-divisor-4', F.avg_pool2d, (1, 2, 6, 5),
     dict(kernel_size=3, stride=2, padding=1, count_include_pad=False, ceil_mode=True, divisor_override=4)),
    ('2d-unbatched-k23-divisor-negative', F.avg_pool2d, (2, 4, 6), dict(kernel_size=(2, 3), divisor_override=-2)),
    ('3d-k2-divisor-3', F.avg_pool3d, (1, 2, 4, 4, 4), dict(kernel_size=2, divisor_override=3)),
    ('3d-k3-s2-p1-ceil-divisor-7', F.avg_pool3d, (1, 2, 5, 6, 5),
     dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False, divisor_override=7)),
]:
    avg[name] = case(lambda x, f=fn, a=args: f(x, **a), [rand(*shape)], recorded(args))


max_indices = {}
unpool = {}
POOLS = {1: (F.max_pool1d, F.max_unpool1d), 2: (F.max_pool2d, F.max_unpool2d), 3: (F.max_pool3d, F.max_unpool3d)}
for name, rank, shape, args, output_size in [
    ('1d-k2', 1, (2, 2, 7), dict(kernel_size=2), [7]),
    ('1d-k3-s2-p1-d2-ceil', 1, (1, 2, 9), dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True), None),
    ('2d-k2', 2, (2, 2, 5, 6), dict(kernel_size=2), [1, 2, 5, 6]),
    ('2d-k3-s2-p1', 2, (1, 2, 6, 5), dict(kernel_size=3, stride=2, padding=1), [6, 5]),
    ('2d-unbatched-k23-s12', 2, (2, 4, 6), dict(kernel_size=(2, 3), stride=(1, 2)), [4, 6]),
    ('3d-k2', 3, (1, 2, 4, 5, 4), dict(kernel_size=2), [5, 5, 4]),
    ('3d-k232-s2-p110-d212-ceil', 3, (1, 2, 5, 6, 7),
     dict(kernel_size=(2, 3, 2), stride=2, padding=(1, 1, 0), dilation=(1, 1, 2), ceil_mode=True), None),
]:
    pool, unpool_fn = POOLS[rank]
    x = torch.rand(*shape, generator=gen) * 2 - 1
    values, indices = pool(x, return_indices=True, **args)
    max_indices[name] = {'args': recorded(args), 'input': x.tolist(), 'values': values.tolist(),
                         'indices': indices.tolist()}
    # Unpooling (no dilation or ceil mode in PyTorch's max_unpool: kernel, stride, padding only).
    unpool_args = {k: v for k, v in args.items() if k in ('kernel_size', 'stride', 'padding')}
    if output_size is not None:
        unpool_args['output_size'] = output_size
    if 'dilation' in args or args.get('ceil_mode'):
        continue
    # The pooled maxima themselves: where windows overlap, a repeated index carries the same value.
    unpool[name] = case(lambda v, i=indices, a=unpool_args: unpool_fn(v, i, **a), [values.clone().requires_grad_(True)],
                        {**recorded(unpool_args), 'indices': indices.tolist()})

write_fixture(__file__, 'ops/pool-options-fixture.ts', 'PYTORCH_POOL_OPTIONS',
              {'avgPool': avg, 'maxPoolIndices': max_indices, 'maxUnpool': unpool})
