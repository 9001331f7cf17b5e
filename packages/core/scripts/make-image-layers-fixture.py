#!/usr/bin/env python3
"""Writes src/ops/image-layers-fixture.ts: PyTorch's values and gradients, in float64, of the image
layers after Conv2d/MaxPool2d (F.interpolate, F.pad's modes, F.pixel_shuffle/unshuffle,
F.adaptive_max_pool2d, ceil_mode pooling, padding_mode convolutions, F.instance_norm, unbatched
[C, H, W] input) for sum(out * w) with a fixed w, and a small torch.nn model with its state dict,
so that the tests compare Myelin with PyTorch's kernels without calling Python.

Run once (Debian's python3-torch; this was torch 1.13) and commit its output:

    /usr/bin/python3 packages/core/scripts/make-image-layers-fixture.py
"""

import torch
import torch.nn.functional as F
from ts_fixture import write_fixture

torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(23)


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


def camel(name):
    head, *rest = name.split('_')
    return head + ''.join(word.title() for word in rest)


def recorded(args):
    """PyTorch's keyword arguments under Myelin's names (align_corners -> alignCorners)."""
    return {camel(k): list(v) if isinstance(v, tuple) else v for k, v in args.items()}


interpolate = {}
for name, shape, args in [
    # nearest: in/out given by size, upsampling one axis and downsampling the other
    ('nearest-size-5x7-to-8x3', (1, 2, 5, 7), dict(size=(8, 3))),
    # a non-integer scale factor: the source index uses 1/scaleFactor, not in/out
    ('nearest-scale-1.7', (1, 2, 4, 5), dict(scale_factor=1.7)),
    # 2x (PyTorch halves the index) and 0.5 per axis
    ('nearest-scale-2x0.5', (1, 2, 3, 6), dict(scale_factor=(2.0, 0.5))),
    # floor(3 * 1.3) = 3: the height keeps its size (copied), the width grows by 1.3
    ('nearest-scale-1.3-same-height', (1, 1, 3, 4), dict(scale_factor=1.3)),
    ('nearest-1d-size-7', (2, 2, 3), dict(size=7)),
    ('nearest-1d-scale-2.5', (1, 2, 3), dict(scale_factor=2.5)),
    ('bilinear-size-4x5-to-7x9', (2, 1, 4, 5), dict(size=(7, 9), mode='bilinear', align_corners=False)),
    ('bilinear-size-4x5-to-7x9-align', (1, 2, 4, 5), dict(size=(7, 9), mode='bilinear', align_corners=True)),
    ('bilinear-scale-1.5', (1, 2, 5, 3), dict(scale_factor=1.5, mode='bilinear', align_corners=False)),
    ('bilinear-scale-2.3-align', (1, 2, 3, 4), dict(scale_factor=2.3, mode='bilinear', align_corners=True)),
    ('bilinear-down-7x6-to-3x2', (1, 2, 7, 6), dict(size=(3, 2), mode='bilinear', align_corners=False)),
    ('bilinear-down-7x6-to-3x2-align', (1, 2, 7, 6), dict(size=(3, 2), mode='bilinear', align_corners=True)),
    ('bilinear-scale-0.6', (1, 1, 8, 5), dict(scale_factor=0.6, mode='bilinear', align_corners=False)),
    ('bilinear-to-1x4-align', (1, 2, 3, 5), dict(size=(1, 4), mode='bilinear', align_corners=True)),
    ('bilinear-scale-1.2-same-height', (1, 1, 4, 6), dict(scale_factor=1.2, mode='bilinear', align_corners=False)),
    ('linear-1d-scale-2.5', (2, 2, 4), dict(scale_factor=2.5, mode='linear', align_corners=False)),
    ('linear-1d-size-8-align', (1, 2, 5), dict(size=8, mode='linear', align_corners=True)),
    ('area-7x5-to-3x2', (1, 2, 7, 5), dict(size=(3, 2), mode='area')),
    ('area-1d-scale-0.5', (1, 2, 9), dict(scale_factor=0.5, mode='area')),
]:
    interpolate[name] = case(lambda x, a=args: F.interpolate(x, **a), [rand(*shape)], recorded(args))

pad = {}
for name, shape, torch_pad, mode in [
    # F.pad's list runs from the last axis: (left, right, top, bottom)
    ('reflect-4d', (1, 1, 5, 6), (2, 3, 1, 2), 'reflect'),
    ('replicate-4d', (2, 1, 3, 4), (3, 1, 2, 4), 'replicate'),
    ('circular-4d', (1, 2, 4, 3), (2, 3, 3, 1), 'circular'),
    ('reflect-3d', (2, 2, 5), (3, 2), 'reflect'),
    ('replicate-3d', (1, 2, 3), (4, 2), 'replicate'),
    ('circular-3d', (1, 2, 4), (4, 2), 'circular'),
]:
    x = rand(*shape)
    # Myelin's paddings: [before, after] per axis, from the first
    paddings = [[0, 0]] * (len(shape) - len(torch_pad) // 2) + [
        list(torch_pad[i:i + 2]) for i in reversed(range(0, len(torch_pad), 2))]
    pad[name] = case(lambda x, p=torch_pad, m=mode: F.pad(x, p, mode=m), [x], {'paddings': paddings, 'mode': mode})

shuffle = {}
shuffle['shuffle-r2'] = case(lambda x: F.pixel_shuffle(x, 2), [rand(1, 8, 3, 2)], {'op': 'pixelShuffle', 'factor': 2})
shuffle['shuffle-r3-leading-axes'] = case(lambda x: F.pixel_shuffle(x, 3), [rand(2, 1, 9, 2, 1)],
                                          {'op': 'pixelShuffle', 'factor': 3})
shuffle['unshuffle-r2'] = case(lambda x: F.pixel_unshuffle(x, 2), [rand(1, 2, 4, 6)], {'op': 'pixelUnshuffle', 'factor': 2})
shuffle['unshuffle-r3-unbatched'] = case(lambda x: F.pixel_unshuffle(x, 3), [rand(2, 6, 3)],
                                         {'op': 'pixelUnshuffle', 'factor': 3})

adaptive_max = {}
for name, shape, size in [
    ('7x5-to-3x2', (2, 2, 7, 5), (3, 2)),
    ('6x4-to-3x2', (1, 2, 6, 4), (3, 2)),
    ('3x5-to-5x7', (1, 2, 3, 5), (5, 7)),
    ('5x5-to-1', (2, 1, 5, 5), 1),
    ('9x6-to-4xsame', (1, 2, 9, 6), (4, None)),
    ('unbatched-7x6-to-4', (2, 7, 6), 4),
]:
    adaptive_max[name] = case(lambda x, s=size: F.adaptive_max_pool2d(x, s), [rand(*shape)],
                              {'outputSize': list(size) if isinstance(size, tuple) else size})

pool = {}
for name, fn, shape, args in [
    # ceil mode: 8 = 3 + 2 * 2 + 1, one more window past the end
    ('max2d-k3-s2-ceil', F.max_pool2d, (1, 2, 8, 7), dict(kernel_size=3, stride=2, ceil_mode=True)),
    # ceil mode's extra window would start in the right padding: PyTorch drops it
    ('max2d-k2-s2-p1-ceil-dropped', F.max_pool2d, (1, 2, 5, 6), dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)),
    ('max2d-k3-s2-p1-d2-ceil', F.max_pool2d, (2, 1, 9, 8), dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)),
    ('avg2d-k3-s2-p1-ceil-include-pad', F.avg_pool2d, (1, 2, 6, 5), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ('avg2d-k3-s2-p1-ceil-exclude-pad', F.avg_pool2d, (1, 2, 6, 5),
     dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ('avg2d-k2x3-s3x2-ceil', F.avg_pool2d, (2, 1, 7, 8), dict(kernel_size=(2, 3), stride=(3, 2), ceil_mode=True)),
    ('max1d-k3-s2-ceil', F.max_pool1d, (2, 2, 8), dict(kernel_size=3, stride=2, ceil_mode=True)),
    ('avg1d-k3-s2-p1-ceil', F.avg_pool1d, (2, 2, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ('avg1d-k4-s3-ceil-exclude-pad', F.avg_pool1d, (1, 2, 9),
     dict(kernel_size=4, stride=3, padding=2, ceil_mode=True, count_include_pad=False)),
    # unbatched [C, H, W]
    ('max2d-unbatched-k2', F.max_pool2d, (2, 5, 4), dict(kernel_size=2, ceil_mode=True)),
    ('avg2d-unbatched-k3-p1', F.avg_pool2d, (2, 5, 4), dict(kernel_size=3, stride=2, padding=1)),
]:
    kind = 'max' if fn in (F.max_pool2d, F.max_pool1d) else 'avg'
    op = '%sPool%s' % (kind, '1d' if len(shape) == 3 and '1d' in name else '2d')
    pool[name] = case(lambda x, f=fn, a=args: f(x, **a), [rand(*shape)], dict(op=op, **recorded(args)))

conv = {}
for name, dims, x_shape, w_shape, bias, args in [
    ('conv2d-reflect-p2-s2', 2, (1, 2, 6, 7), (3, 2, 3, 3), True, dict(padding=2, stride=2, padding_mode='reflect')),
    ('conv2d-replicate-p2x3-d2', 2, (2, 2, 5, 4), (2, 2, 3, 2), False,
     dict(padding=(2, 3), dilation=2, padding_mode='replicate')),
    ('conv2d-circular-same-k4', 2, (1, 2, 5, 6), (2, 2, 4, 3), True, dict(padding='same', padding_mode='circular')),
    ('conv2d-circular-p3-g2', 2, (1, 4, 4, 5), (2, 2, 3, 3), True, dict(padding=3, groups=2, padding_mode='circular')),
    ('conv2d-reflect-unbatched', 2, (2, 5, 5), (3, 2, 3, 3), True, dict(padding=2, padding_mode='reflect')),
    ('conv1d-reflect-p3', 1, (2, 2, 6), (3, 2, 3), True, dict(padding=3, padding_mode='reflect')),
    ('conv1d-circular-same-k4', 1, (1, 2, 5), (2, 2, 4), False, dict(padding='same', padding_mode='circular')),
    ('conv1d-replicate-p2-s2', 1, (2, 3, 7), (2, 3, 3), True, dict(padding=2, stride=2, padding_mode='replicate')),
]:
    torch_args = dict(args)
    mode = torch_args.pop('padding_mode')
    module = (torch.nn.Conv2d if dims == 2 else torch.nn.Conv1d)(
        w_shape[1] * torch_args.get('groups', 1), w_shape[0], w_shape[2:], bias=bias, padding_mode=mode, **torch_args)

    def run(x, w, b=None, m=module):
        return m._conv_forward(x, w, b)
    tensors = [rand(*x_shape), rand(*w_shape), rand(w_shape[0]) if bias else None]
    conv[name] = case(run, tensors, dict(op='conv%dd' % dims, **recorded(args)))

instance = {}
for name, shape, affine, running, use_input_stats in [
    ('2d-plain', (2, 3, 3, 4), False, False, True),
    ('2d-affine', (2, 3, 3, 4), True, False, True),
    ('2d-running-train', (3, 2, 3, 3), True, True, True),
    ('2d-running-eval', (2, 2, 3, 4), True, True, False),
    ('1d-plain', (2, 3, 6), False, False, True),
    ('1d-unbatched-affine', (3, 5), True, False, True),
    ('2d-unbatched-running-eval', (2, 3, 3), False, True, False),
]:
    channels = shape[-3] if name.startswith('2d') else shape[-2]
    tensors = [rand(*shape)] + ([rand(channels), rand(channels)] if affine else [None, None])
    mean0 = (torch.rand(channels, generator=gen) - 0.5) if running else None
    var0 = (torch.rand(channels, generator=gen) + 0.5) if running else None
    stats = {}

    def run(x, w, b, m=mean0, v=var0, u=use_input_stats, s=stats):
        unbatched = x.dim() == (3 if 'unbatched' in name and name.startswith('2d') else 2)
        mm = None if m is None else m.clone()
        vv = None if v is None else v.clone()
        y = F.instance_norm(x.unsqueeze(0) if unbatched else x, mm, vv, w, b, use_input_stats=u, momentum=0.2, eps=1e-4)
        s.update(runningMean=None if mm is None else mm.tolist(), runningVar=None if vv is None else vv.tolist())
        return y.squeeze(0) if unbatched else y
    instance[name] = case(run, tensors, {
        'unbatched': 'unbatched' in name, 'useInputStats': use_input_stats, 'momentum': 0.2, 'eps': 1e-4,
        'runningMean': None if mean0 is None else mean0.tolist(), 'runningVar': None if var0 is None else var0.tolist()})
    instance[name]['args'].update({'updatedMean': stats['runningMean'], 'updatedVar': stats['runningVar']})

# A small image model with PyTorch's own init, its state dict and its outputs in train mode (which
# moves InstanceNorm's running statistics) and then in eval mode: loading that state dict into the
# same layers in Myelin must give the same outputs and statistics.
torch.manual_seed(5)
model = torch.nn.Sequential(
    torch.nn.Conv2d(2, 4, 3, padding=2, padding_mode='reflect'),
    torch.nn.InstanceNorm2d(4, affine=True, track_running_stats=True),
    torch.nn.ReLU(),
    torch.nn.MaxPool2d(2, ceil_mode=True),
    torch.nn.Upsample(scale_factor=1.5, mode='bilinear'),
    torch.nn.Conv2d(4, 8, 3, padding=1, padding_mode='circular'),
    torch.nn.PixelShuffle(2),
    torch.nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    torch.nn.UpsamplingNearest2d(scale_factor=1.5),
    torch.nn.Conv2d(2, 4, 3, padding=1, padding_mode='replicate', bias=False),
    torch.nn.PixelUnshuffle(2),
    torch.nn.AdaptiveMaxPool2d((3, 2)),
)
initial_state = {name: t.tolist() for name, t in model.state_dict().items()}
with torch.no_grad():
    model.train()
    model_input = torch.rand(2, 2, 7, 6, generator=gen) * 2 - 1
    train_output = model(model_input)
    model.eval()
    eval_output = model(model_input)
module = {
    'initialState': initial_state,
    'stateAfterTrain': {name: t.tolist() for name, t in model.state_dict().items()},
    'input': model_input.tolist(),
    'trainOutput': train_output.tolist(),
    'evalOutput': eval_output.tolist(),
}

write_fixture(__file__, 'ops/image-layers-fixture.ts', 'PYTORCH_IMAGE_LAYERS', {
    'module': module,
    'interpolate': interpolate,
    'pad': pad,
    'pixelShuffle': shuffle,
    'adaptiveMaxPool2d': adaptive_max,
    'pool': pool,
    'conv': conv,
    'instanceNorm': instance,
})
