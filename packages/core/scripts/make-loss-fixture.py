#!/usr/bin/env python3
"""Writes src/losses/loss-fixture.ts: PyTorch's values and gradients of the losses core adds beyond
the classic six (HuberLoss, SmoothL1Loss, KLDivLoss, PoissonNLLLoss), in float64, with the switch
points of each (|input - target| equal to delta or beta, zero targets, targets at and above 1), and
of cross_entropy / nll_loss with ignore_index (with class weights, label smoothing, all ignored).

Run once (Debian's python3-torch; this was torch 1.13) and commit its output; the tests read the
fixture and never call Python:

    /usr/bin/python3 packages/core/scripts/make-loss-fixture.py
"""

import torch
import torch.nn.functional as F
from ts_fixture import write_fixture

torch.set_default_dtype(torch.float64)

# input - target: 0, +-0.5, exactly +-1 (delta and beta 1), +-2 (the linear part), +-0.25 (beta 0.5's
# edge) and some spread.
target = torch.tensor([[0.5, -1.0, 2.0, 0.0], [1.5, 0.25, -0.5, 3.0], [-2.0, 1.0, 0.75, -0.25]])
input_ = target + torch.tensor([[0.0, 0.5, -0.5, 1.0], [-1.0, 2.0, -2.0, 0.25], [-0.25, 3.5, 0.1, -1.7]])
weights = torch.arange(12.0).reshape(3, 4) / 5 - 1  # for the 'none' reduction: grad of sum(loss * w)

# KL: input log-probabilities of 3 samples over 4 classes; targets probabilities with zeros.
kl_input = F.log_softmax(torch.tensor([[0.2, -1.0, 0.5, 1.5], [2.0, 0.0, -0.5, 0.1], [-0.3, 0.3, 0.9, -1.2]]), dim=1)
kl_target = torch.tensor([[0.1, 0.0, 0.6, 0.3], [0.25, 0.25, 0.25, 0.25], [0.0, 0.0, 1.0, 0.0]])
kl_log_target = torch.log(torch.tensor([[0.1, 0.2, 0.4, 0.3], [0.25, 0.25, 0.25, 0.25], [0.05, 0.05, 0.8, 0.1]]))

# Poisson: counts 0..5 with a log rate (logInput) or a positive rate.
counts = torch.tensor([[0.0, 1.0, 2.0, 5.0], [3.0, 0.0, 1.0, 4.0], [1.0, 2.0, 0.0, 7.0]])
log_rate = torch.tensor([[-0.5, 0.1, 0.7, 1.6], [1.0, -2.0, 0.0, 1.3], [0.2, 0.9, -1.0, 2.0]])
rate = torch.exp(log_rate)

cases = {
    'huber': (lambda x, t, r: F.huber_loss(x, t, reduction=r), input_, target),
    'huber-delta-0.5': (lambda x, t, r: F.huber_loss(x, t, reduction=r, delta=0.5), input_, target),
    'smoothL1': (lambda x, t, r: F.smooth_l1_loss(x, t, reduction=r), input_, target),
    'smoothL1-beta-0.25': (lambda x, t, r: F.smooth_l1_loss(x, t, reduction=r, beta=0.25), input_, target),
    'smoothL1-beta-0': (lambda x, t, r: F.smooth_l1_loss(x, t, reduction=r, beta=0.0), input_, target),
    'klDiv': (lambda x, t, r: F.kl_div(x, t, reduction=r), kl_input, kl_target),
    'klDiv-logTarget': (lambda x, t, r: F.kl_div(x, t, reduction=r, log_target=True), kl_input, kl_log_target),
    'poisson': (lambda x, t, r: F.poisson_nll_loss(x, t, reduction=r), log_rate, counts),
    'poisson-rate-full': (lambda x, t, r: F.poisson_nll_loss(x, t, log_input=False, full=True, reduction=r), rate, counts),
}

out = {'weights': weights.tolist(), 'cases': {}}
for name, (fn, x0, t0) in cases.items():
    entry = {'input': x0.tolist(), 'target': t0.tolist()}
    reductions = ['none', 'mean', 'sum'] + (['batchmean'] if name.startswith('klDiv') else [])
    for reduction in reductions:
        x = x0.clone().requires_grad_(True)
        t = t0.clone().requires_grad_(not name.startswith('poisson'))  # torch's Poisson target takes no gradient
        y = fn(x, t, reduction)
        scalar = (y * weights).sum() if reduction == 'none' else y
        grads = torch.autograd.grad(scalar, [x, t] if t.requires_grad else [x])
        entry[reduction] = {
            'value': y.tolist(),
            'inputGradient': grads[0].tolist(),
            'targetGradient': grads[1].tolist() if len(grads) > 1 else None,
        }
    out['cases'][name] = entry

# ignore_index of cross_entropy and nll_loss: 5 samples of 4 classes, targets at the default -100,
# at a class (1), or all ignored ('mean' is then NaN with a zero gradient); with class weights and
# label smoothing. 'none' gradients are of sum(loss * row_weights).
logits = torch.tensor([[0.2, -1.0, 0.5, 1.5], [2.0, 0.0, -0.5, 0.1], [-0.3, 0.3, 0.9, -1.2],
                       [1.1, -0.7, 0.0, 0.4], [-1.5, 0.8, 0.25, 2.2]])
class_weight = [0.5, 2.0, 1.0, 1.5]
row_weights = torch.tensor([1.0, -0.5, 2.0, 0.75, -1.25])
ignore_cases = {
    'crossEntropy': ('cross_entropy', [2, -100, 0, -100, 3], {}),
    'crossEntropy-weight': ('cross_entropy', [2, -100, 0, -100, 3], {'weight': class_weight}),
    'crossEntropy-smoothing-0.2': ('cross_entropy', [2, -100, 0, -100, 3], {'label_smoothing': 0.2}),
    'crossEntropy-weight-smoothing-0.1': ('cross_entropy', [2, -100, 0, -100, 3],
                                          {'weight': class_weight, 'label_smoothing': 0.1}),
    'crossEntropy-ignore-class-1': ('cross_entropy', [2, 1, 0, 1, 3], {'ignore_index': 1, 'weight': class_weight}),
    'crossEntropy-all-ignored': ('cross_entropy', [-100] * 5, {}),
    'crossEntropy-all-ignored-weight-smoothing': ('cross_entropy', [-100] * 5,
                                                  {'weight': class_weight, 'label_smoothing': 0.3}),
    'nll': ('nll_loss', [2, -100, 0, -100, 3], {}),
    'nll-weight-ignore-class-0': ('nll_loss', [2, 1, 0, 0, 3], {'ignore_index': 0, 'weight': class_weight}),
    'nll-all-ignored': ('nll_loss', [-100] * 5, {}),
}
out['ignoreIndex'] = {'rowWeights': row_weights.tolist(), 'classWeight': class_weight, 'cases': {}}
for name, (fn_name, target_list, options) in ignore_cases.items():
    fn = getattr(F, fn_name)
    # nll_loss takes log-probabilities: those of the same logits.
    x0 = F.log_softmax(logits, dim=1) if fn_name == 'nll_loss' else logits
    kwargs = dict(options)
    if 'weight' in kwargs:
        kwargs['weight'] = torch.tensor(kwargs['weight'])
    entry = {
        'loss': 'nllLoss' if fn_name == 'nll_loss' else 'crossEntropy',
        'input': x0.tolist(),
        'target': target_list,
        'ignoreIndex': options.get('ignore_index'),
        'weight': 'weight' in options,
        'labelSmoothing': options.get('label_smoothing', 0.0),
    }
    for reduction in ['none', 'mean', 'sum']:
        x = x0.clone().requires_grad_(True)
        y = fn(x, torch.tensor(target_list), reduction=reduction, **kwargs)
        scalar = (y * row_weights).sum() if reduction == 'none' else y
        (grad,) = torch.autograd.grad(scalar, [x])
        entry[reduction] = {'value': y.tolist(), 'inputGradient': grad.tolist()}
    out['ignoreIndex']['cases'][name] = entry

write_fixture(__file__, 'losses/loss-fixture.ts', 'PYTORCH_LOSSES', out)
