#!/usr/bin/env python3
"""Writes src/ops/conv1d-fixture.ts: PyTorch's values and gradients of F.conv1d, F.conv_transpose1d,
F.max_pool1d, F.avg_pool1d and F.adaptive_avg_pool1d in float64, for sum(out * w) with a fixed w, so
that the tests compare Myelin's 1-D ops (its 2-D ops on [N, C, 1, L]) with PyTorch's kernels without
calling Python.

Run once (Debian's python3-torch; this was torch 1.13) and commit its output:

    /usr/bin/python3 packages/core/scripts/make-conv1d-fixture.py
"""

import torch
import torch.nn.functional as F
from ts_fixture import write_fixture

torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(11)


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


def conv_case(x, w, b, **args):
    """F.conv1d with PyTorch's argument names; `args` is recorded under Myelin's (the same words here)."""
    return case(lambda x, w, b: F.conv1d(x, w, b, **args), [x, w, b], args)


conv = {}
conv['plain-bias'] = conv_case(rand(2, 3, 7), rand(4, 3, 3), rand(4))
conv['s2-p1-d2-bias'] = conv_case(rand(2, 3, 9), rand(5, 3, 3), rand(5), stride=2, padding=1, dilation=2)
# 'same' with an odd total padding (even kernel; kernel 2 dilation 3): the extra zero goes on the right.
conv['same-k4'] = conv_case(rand(2, 2, 6), rand(3, 2, 4), rand(3), padding='same')
conv['same-k2-d3'] = conv_case(rand(1, 2, 7), rand(2, 2, 2), None, padding='same', dilation=3)
conv['same-k4-d2-g2'] = conv_case(rand(1, 4, 5), rand(2, 2, 4), rand(2), padding='same', dilation=2, groups=2)
conv['valid-s3-g2'] = conv_case(rand(2, 4, 10), rand(6, 2, 3), None, padding='valid', stride=3, groups=2)
conv['depthwise-g4-p2'] = conv_case(rand(1, 4, 6), rand(8, 1, 3), rand(8), padding=2, groups=4)
conv['unbatched-p1'] = conv_case(rand(3, 8), rand(2, 3, 3), rand(2), padding=1)

transposed = {}
for name, x, w, b, args in [
    ('s2-p1-op1-d2-g2', rand(2, 4, 5), rand(4, 3, 3), None,
     dict(stride=2, padding=1, output_padding=1, dilation=2, groups=2)),
    # outputPadding >= stride (allowed since it is below the dilation), and padding larger than it.
    ('s1-p2-op1-d3-bias', rand(1, 3, 4), rand(3, 2, 2), rand(2), dict(padding=2, output_padding=1, dilation=3)),
    ('s3-op2-bias', rand(2, 2, 3), rand(2, 3, 4), rand(3), dict(stride=3, output_padding=2)),
    ('unbatched-s2-bias', rand(2, 4), rand(2, 3, 2), rand(3), dict(stride=2)),
]:
    recorded = {('outputPadding' if k == 'output_padding' else k): v for k, v in args.items()}
    transposed[name] = case(lambda x, w, b, a=args: F.conv_transpose1d(x, w, b, **a), [x, w, b], recorded)

maxpool = {}
for name, shape, args in [
    ('k2', (2, 3, 8), dict(kernel_size=2)),
    ('k3-s2-p1', (2, 2, 9), dict(kernel_size=3, stride=2, padding=1)),
    ('k3-s1-p1-d2', (1, 2, 8), dict(kernel_size=3, stride=1, padding=1, dilation=2)),
    ('k4-s3-floor', (2, 2, 11), dict(kernel_size=4, stride=3)),
    ('unbatched-k2-s1', (3, 5), dict(kernel_size=2, stride=1)),
]:
    maxpool[name] = case(lambda x, a=args: F.max_pool1d(x, **a), [rand(*shape)],
                         {'kernelSize' if k == 'kernel_size' else k: v for k, v in args.items()})

avgpool = {}
for name, shape, args in [
    ('k4', (2, 3, 9), dict(kernel_size=4)),
    ('k3-s2-p1-include-pad', (2, 2, 8), dict(kernel_size=3, stride=2, padding=1)),
    ('k3-s2-p1-exclude-pad', (2, 2, 8), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ('unbatched-k2-s1-p1-exclude-pad', (3, 5), dict(kernel_size=2, stride=1, padding=1, count_include_pad=False)),
]:
    names = {'kernel_size': 'kernelSize', 'count_include_pad': 'countIncludePad'}
    avgpool[name] = case(lambda x, a=args: F.avg_pool1d(x, **a), [rand(*shape)],
                         {names.get(k, k): v for k, v in args.items()})

adaptive = {}
for name, shape, size in [
    ('7-to-3', (2, 3, 7), 3),
    ('8-to-4', (2, 2, 8), 4),
    ('5-to-1', (2, 2, 5), 1),
    ('3-to-5', (1, 2, 3), 5),
    ('unbatched-6-to-4', (3, 6), 4),
]:
    adaptive[name] = case(lambda x, s=size: F.adaptive_avg_pool1d(x, s), [rand(*shape)], {'outputSize': size})

# A torch.nn model with PyTorch's own init, its state dict and its output: loading that state dict into
# the same layers in Myelin must give the same output (names, layouts and shapes agree 1:1).
torch.manual_seed(3)
model = torch.nn.Sequential(
    torch.nn.Conv1d(2, 4, 3, padding=1),
    torch.nn.ReLU(),
    torch.nn.MaxPool1d(2),
    torch.nn.ConvTranspose1d(4, 6, 4, stride=2, padding=1, groups=2),
    torch.nn.AvgPool1d(3, stride=1, padding=1, count_include_pad=False),
    torch.nn.Conv1d(6, 3, 2, padding='same', bias=False),
    torch.nn.AdaptiveAvgPool1d(5),
)
model_input = torch.rand(2, 2, 9, generator=gen) * 2 - 1
with torch.no_grad():
    model_output = model(model_input)
module = {
    'stateDict': {name: t.tolist() for name, t in model.state_dict().items()},
    'input': model_input.tolist(),
    'output': model_output.tolist(),
}

write_fixture(__file__, 'ops/conv1d-fixture.ts', 'PYTORCH_CONV1D', {
    'module': module,
    'conv1d': conv,
    'convTranspose1d': transposed,
    'maxPool1d': maxpool,
    'avgPool1d': avgpool,
    'adaptiveAvgPool1d': adaptive,
})
