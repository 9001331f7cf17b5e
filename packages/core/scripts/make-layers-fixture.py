#!/usr/bin/env python3
"""Writes src/nn/layers-fixture.ts: the torch.nn layers added after the first round (RNNCell,
LSTMCell, GRUCell, RMSNorm, LocalResponseNorm, Bilinear, CELU, LogSigmoid, Softmin, Tanhshrink,
Softshrink, Hardshrink, Threshold, GLU, RReLU in eval mode, Softmax2d, the padding modules, Fold,
Unfold, ChannelShuffle) in float64: each case is a Myelin module config, its parameters under
PyTorch's state-dict names, its inputs, and PyTorch's output and the gradients of the inputs and
parameters for the loss sum(output * w) with fixed weights w (LSTMCell: + sum(c' * v)).

torch 1.13 has no RMSNorm: its cases compute torch 2.4's F.rms_norm by hand in float64 torch ops
(x * rsqrt(mean(x^2) + eps) * weight, eps=None meaning torch.finfo(dtype).eps) and let autograd
differentiate that. AlphaDropout's random mask cannot match PyTorch's generator, so its cases give
the two values an element can take instead (a * x + b kept, PyTorch's constant dropped), read off
torch's own output.

Run once (Debian's python3-torch; this was torch 1.13) and commit its output; the tests read the
fixture and never call Python:

    /usr/bin/python3 packages/core/scripts/make-layers-fixture.py
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from ts_fixture import write_fixture

torch.set_default_dtype(torch.float64)
torch.manual_seed(20261205)


def rand(*shape, low=-2.0, high=2.0):
    return torch.rand(*shape) * (high - low) + low


def loss_weights(shape):
    n = 1
    for d in shape:
        n *= d
    return (torch.arange(float(n)).reshape(shape) % 7) / 3 - 1


cases = []


def add_case(name, config, module, inputs, parameters=None, call=None, extra_outputs=None):
    """Runs module(*inputs) (or call(module, inputs)) in float64, with the loss sum(y * w)."""
    inputs = [t.clone().requires_grad_(True) for t in inputs]
    params = dict(module.named_parameters()) if parameters is None else parameters
    y = (call or (lambda m, xs: m(*xs)))(module, inputs)
    outputs = y if isinstance(y, tuple) else (y,)
    weights = [loss_weights(o.shape) for o in outputs]
    loss = sum((o * w).sum() for o, w in zip(outputs, weights))
    grads = torch.autograd.grad(loss, inputs + list(params.values()), allow_unused=True)
    g_in = grads[:len(inputs)]
    g_par = grads[len(inputs):]
    cases.append({
        'name': name,
        'config': config,
        'parameters': {k: v.detach().tolist() for k, v in params.items()},
        'inputs': [t.detach().tolist() for t in inputs],
        'inputShapes': [list(t.shape) for t in inputs],
        'outputWeights': [w.tolist() for w in weights],
        'outputs': [o.detach().tolist() for o in outputs],
        'outputShapes': [list(o.shape) for o in outputs],
        'inputGradients': [None if g is None else g.tolist() for g in g_in],
        'parameterGradients': {k: (None if g is None else g.tolist()) for k, g in zip(params.keys(), g_par)},
    })


# ---- recurrent cells --------------------------------------------------------------------------
def cell_case(name, kind, options, batch, with_state):
    torch_options = {'bias': options.get('bias', True)}
    if kind == 'RNNCell':
        torch_options['nonlinearity'] = options.get('nonlinearity', 'tanh')
    module = getattr(nn, kind)(3, 4, **torch_options)
    config = {'type': kind, 'inputSize': 3, 'hiddenSize': 4, 'bias': torch_options['bias'], 'dtype': 'float64'}
    if kind == 'RNNCell':
        config['nonlinearity'] = torch_options['nonlinearity']
    x = rand(*([batch, 3] if batch is not None else [3]))
    hshape = [batch, 4] if batch is not None else [4]
    inputs = [x]
    if with_state:
        inputs.append(rand(*hshape, low=-1, high=1))
        if kind == 'LSTMCell':
            inputs.append(rand(*hshape, low=-1, high=1))
    if kind == 'LSTMCell':
        call = (lambda m, xs: m(xs[0], (xs[1], xs[2]))) if with_state else (lambda m, xs: m(xs[0]))
    else:
        call = (lambda m, xs: m(*xs))
    add_case(name, config, module, inputs, call=call)


cell_case('RNNCell tanh, batched, given state', 'RNNCell', {}, 3, True)
cell_case('RNNCell relu, unbatched, zero state', 'RNNCell', {'nonlinearity': 'relu'}, None, False)
cell_case('RNNCell no bias, batched, zero state', 'RNNCell', {'bias': False}, 2, False)
cell_case('LSTMCell batched, given state', 'LSTMCell', {}, 3, True)
cell_case('LSTMCell unbatched, given state', 'LSTMCell', {}, None, True)
cell_case('LSTMCell no bias, batched, zero state', 'LSTMCell', {'bias': False}, 2, False)
cell_case('GRUCell batched, given state', 'GRUCell', {}, 3, True)
cell_case('GRUCell unbatched, zero state, no bias', 'GRUCell', {'bias': False}, None, False)


# ---- RMSNorm (torch 2.4's, by hand) and LocalResponseNorm ---------------------------------------
class HandRMSNorm(nn.Module):
    def __init__(self, shape, eps, affine):
        super().__init__()
        self.shape = shape
        self.eps = eps
        self.weight = nn.Parameter(rand(*shape, low=0.5, high=1.5)) if affine else None

    def forward(self, x):
        dims = tuple(range(x.dim() - len(self.shape), x.dim()))
        eps = torch.finfo(x.dtype).eps if self.eps is None else self.eps
        out = x * torch.rsqrt(x.pow(2).mean(dims, keepdim=True) + eps)
        return out if self.weight is None else out * self.weight


for name, shape, eps, affine, xshape, scale in [
    ('RMSNorm [4], eps None, affine', [4], None, True, [3, 4], 1.0),
    ('RMSNorm [3, 4], eps 1e-3, no affine', [3, 4], 1e-3, False, [2, 3, 4], 1.0),
    ('RMSNorm [5], eps None, tiny inputs (eps matters)', [5], None, True, [2, 5], 1e-7),
]:
    module = HandRMSNorm(shape, eps, affine)
    config = {'type': 'RMSNorm', 'normalizedShape': shape, 'eps': eps, 'elementwiseAffine': affine}
    if affine:
        config['dtype'] = 'float64'  # the weight's; without one the layer has no dtype
    add_case(name, config, module, [rand(*xshape) * scale])

for name, size, alpha, beta, k, xshape in [
    ('LocalResponseNorm size 3, defaults, [N, C, L]', 3, 1e-4, 0.75, 1.0, [2, 5, 3]),
    ('LocalResponseNorm size 4, alpha 0.5, beta 0.9, k 2, [N, C, H, W]', 4, 0.5, 0.9, 2.0, [2, 6, 2, 3]),
    ('LocalResponseNorm size 2, alpha 1, [N, C, D, H, W]', 2, 1.0, 0.75, 1.0, [1, 4, 2, 2, 2]),
    ('LocalResponseNorm size 7 > channels', 7, 0.3, 0.6, 0.5, [2, 3, 2]),
]:
    module = nn.LocalResponseNorm(size, alpha, beta, k)
    add_case(name, {'type': 'LocalResponseNorm', 'size': size, 'alpha': alpha, 'beta': beta, 'k': k},
             module, [rand(*xshape, low=-3, high=3)])

# ---- Bilinear --------------------------------------------------------------------------------
for name, bias, lead in [('Bilinear 3 x 4 -> 2, batched', True, [5]),
                         ('Bilinear no bias, unbatched', False, []),
                         ('Bilinear, two leading axes', True, [2, 3])]:
    module = nn.Bilinear(3, 4, 2, bias=bias)
    add_case(name, {'type': 'Bilinear', 'in1Features': 3, 'in2Features': 4, 'outFeatures': 2, 'bias': bias,
                    'dtype': 'float64'}, module, [rand(*lead, 3), rand(*lead, 4)])

# ---- activations ------------------------------------------------------------------------------
# Every kink (0, +-0.5, +-1, +-2) and both tails, as one [2, 20] input.
points = torch.tensor([-40.0, -12.0, -3.0, -2.0, -1.5, -1.0, -0.7, -0.5, -0.25, -1e-3, 0.0, 1e-3, 0.25, 0.5,
                       0.7, 1.0, 2.0, 3.0, 12.0, 40.0])
grid = torch.stack([points, -points.flip(0) * 0.5])
for name, config, module in [
    ('CELU', {'type': 'CELU', 'alpha': 1}, nn.CELU()),
    ('CELU alpha 0.5', {'type': 'CELU', 'alpha': 0.5}, nn.CELU(0.5)),
    ('CELU alpha 2', {'type': 'CELU', 'alpha': 2}, nn.CELU(2.0)),
    ('LogSigmoid', {'type': 'LogSigmoid'}, nn.LogSigmoid()),
    ('Tanhshrink', {'type': 'Tanhshrink'}, nn.Tanhshrink()),
    ('Softshrink', {'type': 'Softshrink', 'lambd': 0.5}, nn.Softshrink()),
    ('Softshrink lambd 1', {'type': 'Softshrink', 'lambd': 1}, nn.Softshrink(1.0)),
    ('Hardshrink', {'type': 'Hardshrink', 'lambd': 0.5}, nn.Hardshrink()),
    ('Hardshrink lambd 2', {'type': 'Hardshrink', 'lambd': 2}, nn.Hardshrink(2.0)),
    ('Threshold 0.5 -> -2', {'type': 'Threshold', 'threshold': 0.5, 'value': -2}, nn.Threshold(0.5, -2.0)),
    ('Threshold -1 -> 3', {'type': 'Threshold', 'threshold': -1, 'value': 3}, nn.Threshold(-1.0, 3.0)),
    ('RReLU eval', {'type': 'RReLU', 'lower': 0.125, 'upper': 1 / 3}, nn.RReLU().eval()),
    ('RReLU eval 0.1 .. 0.3', {'type': 'RReLU', 'lower': 0.1, 'upper': 0.3}, nn.RReLU(0.1, 0.3).eval()),
]:
    add_case(name, config, module, [grid])

for name, config, module, xshape in [
    ('Softmin axis -1', {'type': 'Softmin', 'axis': -1}, nn.Softmin(dim=-1), [3, 4]),
    ('Softmin axis 0', {'type': 'Softmin', 'axis': 0}, nn.Softmin(dim=0), [3, 4]),
    ('GLU axis -1', {'type': 'GLU', 'axis': -1}, nn.GLU(), [3, 6]),
    ('GLU axis 1 of [2, 4, 3]', {'type': 'GLU', 'axis': 1}, nn.GLU(dim=1), [2, 4, 3]),
    ('Softmax2d [N, C, H, W]', {'type': 'Softmax2d'}, nn.Softmax2d(), [2, 3, 2, 2]),
    ('Softmax2d [C, H, W]', {'type': 'Softmax2d'}, nn.Softmax2d(), [3, 2, 3]),
]:
    add_case(name, config, module, [rand(*xshape, low=-3, high=3)])

# ---- padding, Fold, Unfold, ChannelShuffle ---------------------------------------------------------
for name, config, module, xshape in [
    ('ZeroPad2d 1', {'type': 'ZeroPad2d', 'padding': [1, 1, 1, 1]}, nn.ZeroPad2d(1), [1, 2, 2, 3]),
    ('ZeroPad2d [1, 0, 2, 1] unbatched', {'type': 'ZeroPad2d', 'padding': [1, 0, 2, 1]}, nn.ZeroPad2d((1, 0, 2, 1)), [2, 2, 3]),
    ('ConstantPad1d [2, 1] value 3.5', {'type': 'ConstantPad1d', 'padding': [2, 1], 'value': 3.5}, nn.ConstantPad1d((2, 1), 3.5), [2, 2, 3]),
    ('ConstantPad2d 1 value -1 unbatched', {'type': 'ConstantPad2d', 'padding': [1, 1, 1, 1], 'value': -1}, nn.ConstantPad2d(1, -1.0), [2, 2, 2]),
    ('ConstantPad3d [1, 0, 0, 1, 1, 0] value 2', {'type': 'ConstantPad3d', 'padding': [1, 0, 0, 1, 1, 0], 'value': 2}, nn.ConstantPad3d((1, 0, 0, 1, 1, 0), 2.0), [1, 1, 2, 2, 2]),
    ('ReflectionPad1d [2, 1]', {'type': 'ReflectionPad1d', 'padding': [2, 1]}, nn.ReflectionPad1d((2, 1)), [2, 2, 4]),
    ('ReflectionPad1d 2 unbatched', {'type': 'ReflectionPad1d', 'padding': [2, 2]}, nn.ReflectionPad1d(2), [3, 4]),
    ('ReflectionPad2d [1, 2, 2, 0]', {'type': 'ReflectionPad2d', 'padding': [1, 2, 2, 0]}, nn.ReflectionPad2d((1, 2, 2, 0)), [1, 2, 3, 4]),
    ('ReflectionPad3d 1', {'type': 'ReflectionPad3d', 'padding': [1, 1, 1, 1, 1, 1]}, nn.ReflectionPad3d(1), [1, 1, 2, 3, 3]),
    ('ReplicationPad1d [3, 1]', {'type': 'ReplicationPad1d', 'padding': [3, 1]}, nn.ReplicationPad1d((3, 1)), [2, 2, 3]),
    ('ReplicationPad2d [2, 0, 1, 3] unbatched', {'type': 'ReplicationPad2d', 'padding': [2, 0, 1, 3]}, nn.ReplicationPad2d((2, 0, 1, 3)), [2, 2, 3]),
    ('ReplicationPad3d [0, 1, 1, 0, 2, 1]', {'type': 'ReplicationPad3d', 'padding': [0, 1, 1, 0, 2, 1]}, nn.ReplicationPad3d((0, 1, 1, 0, 2, 1)), [1, 2, 2, 2, 2]),
    ('Unfold [2, 3], dilation [1, 2], padding 1, stride 2', {'type': 'Unfold', 'kernelSize': [2, 3], 'dilation': [1, 2], 'padding': 1, 'stride': 2}, nn.Unfold((2, 3), dilation=(1, 2), padding=1, stride=2), [2, 2, 5, 6]),
    ('Unfold 2', {'type': 'Unfold', 'kernelSize': 2, 'dilation': 1, 'padding': 0, 'stride': 1}, nn.Unfold(2), [1, 3, 3, 3]),
    ('Fold [4, 5] kernel 2', {'type': 'Fold', 'outputSize': [4, 5], 'kernelSize': 2, 'dilation': 1, 'padding': 0, 'stride': 1}, nn.Fold((4, 5), 2), [2, 8, 12]),
    ('Fold 5 kernel [2, 3] padding 1 stride 2 unbatched', {'type': 'Fold', 'outputSize': 5, 'kernelSize': [2, 3], 'dilation': 1, 'padding': 1, 'stride': 2}, nn.Fold(5, (2, 3), padding=1, stride=2), [6, 9]),
]:
    add_case(name, config, module, [rand(*xshape)])


# torch 1.13's channel_shuffle has no derivative: the gradient comes from the same permutation as
# reshape / transpose / reshape, checked to give nn.ChannelShuffle's output.
def shuffled(m, xs):
    x = xs[0]
    n, c = x.shape[:2]
    y = x.reshape(n, m.groups, c // m.groups, *x.shape[2:]).transpose(1, 2).reshape(x.shape)
    assert torch.equal(y, m(x.detach()))
    return y


for name, groups, xshape in [('ChannelShuffle 2', 2, [2, 6, 2]), ('ChannelShuffle 3 [N, C, H, W]', 3, [1, 6, 2, 2])]:
    add_case(name, {'type': 'ChannelShuffle', 'groups': groups}, nn.ChannelShuffle(groups), [rand(*xshape)],
             call=shuffled)

# ---- negative (cropping) constant padding; ZeroPad1d/3d as ConstantPad with 0 (torch 1.13 has neither) --
for name, config, module, xshape in [
    ('ZeroPad2d [-1, 2, 0, -1] crops', {'type': 'ZeroPad2d', 'padding': [-1, 2, 0, -1]}, nn.ZeroPad2d((-1, 2, 0, -1)), [1, 2, 3, 4]),
    ('ConstantPad1d [-2, 1] value 0.5 crops', {'type': 'ConstantPad1d', 'padding': [-2, 1], 'value': 0.5}, nn.ConstantPad1d((-2, 1), 0.5), [2, 2, 5]),
    ('ZeroPad1d [2, -1]', {'type': 'ZeroPad1d', 'padding': [2, -1]}, nn.ConstantPad1d((2, -1), 0.0), [2, 3, 4]),
    ('ZeroPad3d 1 unbatched', {'type': 'ZeroPad3d', 'padding': [1, 1, 1, 1, 1, 1]}, nn.ConstantPad3d(1, 0.0), [1, 2, 2, 2]),
]:
    add_case(name, config, module, [rand(*xshape)])

# ---- AlphaDropout: the two values an element can take ------------------------------------------
alpha_dropout = []
x = torch.linspace(-3, 3, 4001)
for p in [0.2, 0.5, 0.9]:
    y = F.alpha_dropout(x, p, training=True)
    # Dropped elements all take one value; the kept ones lie on a line a x + b.
    values, counts = torch.unique(y, return_counts=True)
    dropped = values[counts.argmax()].item()
    kept = (y != dropped)
    xs, ys = x[kept], y[kept]
    a = ((ys[-1] - ys[0]) / (xs[-1] - xs[0])).item()
    b = (ys[0] - a * xs[0]).item()
    assert torch.allclose(ys, a * xs + b, atol=1e-12)
    alpha_dropout.append({'p': p, 'dropped': dropped, 'a': a, 'b': b})

write_fixture(__file__, 'nn/layers-fixture.ts', 'PYTORCH_LAYERS', {'cases': cases, 'alphaDropout': alpha_dropout})
