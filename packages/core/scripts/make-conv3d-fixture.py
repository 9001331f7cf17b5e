#!/usr/bin/env python3
"""Writes src/ops/conv3d-fixture.ts: PyTorch's values and gradients of F.conv3d (also with Conv3d's
padding modes), F.conv_transpose3d, F.max_pool3d, F.avg_pool3d, F.adaptive_avg_pool3d, F.adaptive_max_pool3d,
F.batch_norm and F.instance_norm on 5-D input in float64, for sum(out * w) with a fixed w, so that
the tests compare Myelin's 3-D ops (built from its 2-D ones) with PyTorch's kernels without calling
Python; and a torch.nn model of the 3-D layers with its state dict and output.

Run once (Debian's python3-torch; this was torch 1.13) and commit its output:

    /usr/bin/python3 packages/core/scripts/make-conv3d-fixture.py
"""

import torch
import torch.nn.functional as F
from ts_fixture import write_fixture

torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(13)


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
         'padding_mode': 'paddingMode', 'output_padding': 'outputPadding'}


def myelin(args):
    """PyTorch's argument names as Myelin's, tuples as lists."""
    return {NAMES.get(k, k): list(v) if isinstance(v, tuple) else v for k, v in args.items()}


def conv3d_as_module(x, w, b, padding=0, padding_mode='zeros', **args):
    """torch.nn.Conv3d's forward: F.pad with the mode (PyTorch's split of 'same'), then F.conv3d."""
    if padding_mode == 'zeros':
        return F.conv3d(x, w, b, padding=padding, **args)
    dilation = args.get('dilation', 1)
    dilation = dilation if isinstance(dilation, tuple) else (dilation,) * 3
    if padding == 'same':
        totals = [d * (k - 1) for d, k in zip(dilation, w.shape[2:])]
        pairs = [(t // 2, t - t // 2) for t in totals]
    else:
        padding = padding if isinstance(padding, tuple) else (padding,) * 3
        pairs = [(p, p) for p in padding]
    flat = [v for pair in reversed(pairs) for v in pair]
    return F.conv3d(F.pad(x, flat, mode=padding_mode), w, b, **args)


conv = {}
for name, x, w, b, args in [
    ('plain-bias', rand(2, 3, 4, 5, 5), rand(4, 3, 2, 3, 3), rand(4), {}),
    ('s212-p101-d211-bias', rand(1, 2, 6, 7, 6), rand(3, 2, 3, 2, 3), rand(3),
     dict(stride=(2, 1, 2), padding=(1, 0, 1), dilation=(2, 1, 1))),
    # 'same' with odd totals (even kernels, dilation 2 on height): the extra zero goes at the end.
    ('same-k234-d121', rand(1, 2, 4, 6, 5), rand(2, 2, 2, 3, 4), None, dict(padding='same', dilation=(1, 2, 1))),
    ('valid-s121-g2', rand(1, 4, 4, 5, 5), rand(4, 2, 2, 2, 2), rand(4), dict(padding='valid', stride=(1, 2, 1), groups=2)),
    ('unbatched-p1', rand(2, 3, 4, 4), rand(2, 2, 3, 3, 3), rand(2), dict(padding=1)),
    ('reflect-p121', rand(1, 2, 4, 5, 4), rand(2, 2, 3, 3, 3), rand(2), dict(padding=(1, 2, 1), padding_mode='reflect')),
    ('circular-same-k232', rand(1, 2, 3, 4, 4), rand(3, 2, 2, 3, 2), None, dict(padding='same', padding_mode='circular')),
    ('replicate-p1-s2-g2', rand(2, 2, 4, 5, 5), rand(4, 1, 3, 3, 3), rand(4),
     dict(padding=1, stride=2, groups=2, padding_mode='replicate')),
]:
    conv[name] = case(lambda x, w, b, a=args: conv3d_as_module(x, w, b, **a), [x, w, b], myelin(args))

transposed = {}
for name, x, w, b, args in [
    ('s2-p1-op1-d121-g2', rand(1, 4, 3, 3, 2), rand(4, 2, 3, 2, 2), None,
     dict(stride=2, padding=1, output_padding=1, dilation=(1, 2, 1), groups=2)),
    # outputPadding >= stride on depth (allowed below the dilation), and padding larger than it.
    ('s1-p2-op100-d3-bias', rand(1, 2, 3, 3, 3), rand(2, 2, 2, 2, 2), rand(2),
     dict(padding=2, output_padding=(1, 0, 0), dilation=3)),
    ('s312-op201-bias', rand(2, 2, 2, 3, 2), rand(2, 3, 3, 2, 2), rand(3), dict(stride=(3, 1, 2), output_padding=(2, 0, 1))),
    ('unbatched-s2-bias', rand(2, 2, 3, 2), rand(2, 3, 2, 2, 2), rand(3), dict(stride=2)),
]:
    transposed[name] = case(lambda x, w, b, a=args: F.conv_transpose3d(x, w, b, **a), [x, w, b], myelin(args))

maxpool = {}
for name, shape, args in [
    ('k2', (2, 2, 4, 4, 4), dict(kernel_size=2)),
    ('k3-s2-p1', (1, 2, 5, 6, 5), dict(kernel_size=3, stride=2, padding=1)),
    ('k232-s1-p110-d212', (1, 2, 5, 5, 6), dict(kernel_size=(2, 3, 2), stride=1, padding=(1, 1, 0), dilation=(2, 1, 2))),
    ('k232-s2-p110-ceil', (1, 2, 5, 6, 7), dict(kernel_size=(2, 3, 2), stride=2, padding=(1, 1, 0), ceil_mode=True)),
    ('unbatched-k223-s1', (2, 4, 3, 5), dict(kernel_size=(2, 2, 3), stride=1)),
]:
    maxpool[name] = case(lambda x, a=args: F.max_pool3d(x, **a), [rand(*shape)], myelin(args))

avgpool = {}
for name, shape, args in [
    ('k2', (2, 2, 4, 4, 4), dict(kernel_size=2)),
    ('k3-s2-p1-include-pad', (1, 2, 5, 6, 5), dict(kernel_size=3, stride=2, padding=1)),
    ('k3-s2-p1-exclude-pad', (1, 2, 5, 6, 5), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ('k3-s2-p1-ceil-exclude-pad', (1, 2, 5, 6, 7),
     dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ('k233-s2-p110-ceil-include-pad', (1, 2, 5, 6, 7), dict(kernel_size=(2, 3, 3), stride=2, padding=(1, 1, 0), ceil_mode=True)),
    ('unbatched-k2-s1-p1-exclude-pad', (2, 3, 4, 3), dict(kernel_size=2, stride=1, padding=1, count_include_pad=False)),
]:
    avgpool[name] = case(lambda x, a=args: F.avg_pool3d(x, **a), [rand(*shape)], myelin(args))

adaptive_avg = {}
adaptive_max = {}
for name, shape, size in [
    ('574-to-342', (1, 2, 5, 7, 4), (3, 4, 2)),
    ('446-to-223', (2, 2, 4, 4, 6), (2, 2, 3)),
    ('345-to-1', (2, 2, 3, 4, 5), 1),
    ('323-to-534', (1, 2, 3, 2, 3), (5, 3, 4)),
    ('unbatched-546-to-keep-3-4', (2, 5, 4, 6), (None, 3, 4)),
]:
    recorded = {'outputSize': list(size) if isinstance(size, tuple) else size}
    adaptive_avg[name] = case(lambda x, s=size: F.adaptive_avg_pool3d(x, s), [rand(*shape)], recorded)
    adaptive_max[name] = case(lambda x, s=size: F.adaptive_max_pool3d(x, s), [rand(*shape)], recorded)

norm = {}
x = rand(3, 2, 2, 3, 2)
running_mean, running_var = torch.rand(2, generator=gen), torch.rand(2, generator=gen) + 0.5
stats = running_mean.clone(), running_var.clone()
norm['batchNorm-training'] = case(lambda x, w, b: F.batch_norm(x, stats[0], stats[1], w, b, training=True, momentum=0.2),
                                  [x, rand(2), rand(2)], {'training': True, 'momentum': 0.2})
norm['batchNorm-training']['runningBefore'] = [running_mean.tolist(), running_var.tolist()]
norm['batchNorm-training']['runningAfter'] = [stats[0].tolist(), stats[1].tolist()]
norm['batchNorm-eval'] = case(lambda x, w, b: F.batch_norm(x, running_mean, running_var, w, b, eps=1e-3),
                              [rand(2, 2, 3, 2, 2), rand(2), rand(2)], {'training': False, 'eps': 1e-3})
norm['batchNorm-eval']['runningBefore'] = [running_mean.tolist(), running_var.tolist()]
norm['instanceNorm'] = case(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), [rand(2, 3, 2, 3, 2), rand(3), rand(3)], {})

# A torch.nn model with PyTorch's own init, its state dict and its output (train mode, so the norms use
# the batch's statistics): loading that state dict into the same layers in Myelin must give the same output.
torch.manual_seed(5)
model = torch.nn.Sequential(
    torch.nn.Conv3d(2, 4, 3, padding=1),
    torch.nn.BatchNorm3d(4),
    torch.nn.ReLU(),
    torch.nn.MaxPool3d(2, stride=(1, 2, 2), padding=(1, 0, 0)),
    torch.nn.Conv3d(4, 4, (2, 3, 3), padding='same', groups=2, padding_mode='reflect', bias=False),
    torch.nn.InstanceNorm3d(4, affine=True),
    torch.nn.AvgPool3d(3, stride=1, padding=1, count_include_pad=False),
    torch.nn.AdaptiveAvgPool3d((3, 2, 3)),
    torch.nn.AdaptiveMaxPool3d(2),
    torch.nn.ConvTranspose3d(4, 2, (2, 3, 2), stride=2, padding=(0, 1, 0), output_padding=(1, 1, 0), groups=2),
)
with torch.no_grad():
    for name, p in model.named_parameters():
        if 'norm' in name or name.split('.')[0] in ('1', '5'):
            p.copy_(torch.rand(p.shape, generator=gen) + 0.5 if name.endswith('weight') else torch.rand(p.shape, generator=gen) - 0.5)
model_input = torch.rand(2, 2, 5, 6, 6, generator=gen) * 2 - 1
state = {name: t.tolist() for name, t in model.state_dict().items()}
with torch.no_grad():
    model_output = model(model_input)
module = {
    'stateDict': state,
    'input': model_input.tolist(),
    'output': model_output.tolist(),
    'runningAfter': {name: t.tolist() for name, t in model.state_dict().items() if 'running' in name},
}

write_fixture(__file__, 'ops/conv3d-fixture.ts', 'PYTORCH_CONV3D', {
    'module': module,
    'conv3d': conv,
    'convTranspose3d': transposed,
    'maxPool3d': maxpool,
    'avgPool3d': avgpool,
    'adaptiveAvgPool3d': adaptive_avg,
    'adaptiveMaxPool3d': adaptive_max,
    'norm': norm,
})
