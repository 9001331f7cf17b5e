#!/usr/bin/env python3
"""Writes src/losses/loss-fixture.ts: PyTorch's values and gradients of the losses core adds beyond
the classic six (HuberLoss, SmoothL1Loss, KLDivLoss, PoissonNLLLoss; HingeEmbeddingLoss, SoftMarginLoss,
MultiLabelSoftMarginLoss, MultiMarginLoss, MultiLabelMarginLoss, GaussianNLLLoss, CosineEmbeddingLoss,
MarginRankingLoss, TripletMarginLoss, and cosine_similarity / pairwise_distance), in float64, with the switch
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


# The rest of the loss family and the distance functions. Each case: the function, its options
# (as core names them), its input tensors (int64 ones are class indices), which of them take a
# gradient, and for each reduction the value and those gradients; 'none' gradients are of
# sum(loss * noneWeights). The inputs sit on each loss's switch points: a hinge exactly at its
# margin (PyTorch's clamp passes the gradient there, the margin kernels' z > 0 does not), a
# variance below eps, a norm below eps, a difference of exactly -eps.
margin_input = torch.tensor([[0.3, 1.0, 2.5, 0.0], [0.5, 1.7, 0.9, 1.0], [2.0, 0.1, 1.0, 0.75]])
sign_target = torch.tensor([[1.0, -1.0, -1.0, 1.0], [-1.0, 1.0, -1.0, -1.0], [1.0, -1.0, 0.0, -1.0]])
scores = torch.tensor([[0.2, -1.0, 0.5, 1.5, 0.0], [2.0, 1.0, -0.5, 0.1, 0.4], [-0.3, 0.3, 0.9, -1.2, 0.7],
                       [1.1, -0.7, 0.0, 0.4, 0.1]])
# Target 3 in row 0 (1.5): class 2 (0.5) is exactly at margin 1 (z = 0).
class_target = torch.tensor([3, 0, 2, 4])
multilabel_target = torch.tensor([[3, 0, -1, 1, 2], [1, 1, -1, -1, -1], [-1, 0, 4, 2, 1], [0, 1, 2, 3, 4]])
multilabel_input = torch.tensor([[0.2, -1.0, 0.5, 1.5, 0.0], [2.0, 1.0, -0.5, 0.1, 0.4], [-0.3, 0.3, 0.9, -1.2, 0.7],
                                 [1.1, -0.7, 0.0, 0.4, 0.1]])
soft_labels = torch.tensor([[1.0, 0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0, 0.3],
                            [1.0, 1.0, 1.0, 0.0, 0.0]])
class_weight5 = [0.5, 2.0, 1.0, 1.5, 0.25]
mean_ = torch.tensor([[0.2, -1.0, 0.5], [2.0, 1.0, -0.5], [-0.3, 0.3, 0.9], [1.1, -0.7, 0.0]])
observed = torch.tensor([[0.0, -0.5, 1.5], [1.0, 1.0, 0.5], [0.3, -0.2, 0.9], [2.0, 0.0, -1.0]])
variance = torch.tensor([[0.5, 2.0, 1e-8], [1.0, 0.0, 0.25], [3.0, 0.1, 0.7], [1e-7, 1.5, 0.9]])
per_row_variance = torch.tensor([0.5, 2.0, 1e-9, 1.25])
x1 = torch.tensor([[0.2, -1.0, 0.5], [2.0, 1.0, -0.5], [0.0, 0.0, 0.0], [1.1, -0.7, 0.0], [1.0, 2.0, 2.0]])
x2 = torch.tensor([[0.5, 0.3, -0.2], [1.0, 1.0, 0.5], [0.3, -0.2, 0.9], [-2.0, 0.0, 1.0], [2.0, 4.0, 4.0]])
pair_target = torch.tensor([1.0, -1.0, -1.0, 1.0, -1.0])
rank1 = torch.tensor([0.3, 1.0, 2.5, 0.0, -1.0, 0.7])
rank2 = torch.tensor([0.8, 1.5, 2.0, 0.0, 1.0, 0.2])
rank_target = torch.tensor([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
anchor = torch.tensor([[0.2, -1.0, 0.5], [2.0, 1.0, -0.5], [0.3, -0.2, 0.9], [1.1, -0.7, 0.0]])
positive = torch.tensor([[0.5, -0.8, 0.4], [1.0, 1.2, -0.1], [0.3, -0.2, 0.9], [0.0, -0.5, 0.2]])
negative = torch.tensor([[0.1, 0.0, 0.6], [2.5, 0.5, -0.5], [1.3, 0.8, -0.1], [0.9, -0.6, 0.3]])
# Rows: ordinary, tiny (norm below eps 1e-8: the clamp), zero, and one that is parallel.
sim1 = torch.tensor([[0.2, -1.0, 0.5, 1.5], [1e-9, 2e-9, 0.0, -1e-9], [0.0, 0.0, 0.0, 0.0], [1.0, 2.0, 3.0, 4.0]])
sim2 = torch.tensor([[0.5, 0.3, -0.2, 1.0], [0.5, -1.0, 2.0, 0.1], [1.0, -2.0, 0.5, 0.3], [2.0, 4.0, 6.0, 8.0]])
# Row 2: x1 - x2 = -1e-6 everywhere, so x1 - x2 + eps is 0 (a zero norm).
dist1 = torch.tensor([[0.2, -1.0, 0.5], [2.0, 1.0, -0.5], [0.5, 0.25, 1.0], [1.1, -0.7, 0.0]])
dist2 = torch.tensor([[0.5, 0.3, -0.2], [1.0, 1.0, 0.5], [0.5 + 1e-6, 0.25 + 1e-6, 1.0 + 1e-6], [-2.0, 0.0, 1.0]])

T = torch.tensor
family = {
    'hingeEmbedding': (F.hinge_embedding_loss, {}, [margin_input, sign_target], [0]),
    'hingeEmbedding-margin-0.5': (F.hinge_embedding_loss, {'margin': 0.5}, [margin_input, sign_target], [0]),
    'softMargin': (F.soft_margin_loss, {}, [margin_input * 2 - 1.5, sign_target], [0]),
    'multiLabelSoftMargin': (F.multilabel_soft_margin_loss, {}, [scores, soft_labels], [0, 1]),
    'multiLabelSoftMargin-weight': (F.multilabel_soft_margin_loss, {'weight': class_weight5}, [scores, soft_labels], [0, 1]),
    'multiLabelSoftMargin-1d': (F.multilabel_soft_margin_loss, {}, [scores[1], soft_labels[0]], [0]),
    'multiMargin': (F.multi_margin_loss, {}, [scores, class_target], [0]),
    'multiMargin-p2-margin-0.5': (F.multi_margin_loss, {'p': 2, 'margin': 0.5}, [scores, class_target], [0]),
    'multiMargin-weight': (F.multi_margin_loss, {'weight': class_weight5}, [scores, class_target], [0]),
    'multiMargin-1d': (F.multi_margin_loss, {}, [scores[0], T(3)], [0]),
    'multiLabelMargin': (F.multilabel_margin_loss, {}, [multilabel_input, multilabel_target], [0]),
    'multiLabelMargin-1d': (F.multilabel_margin_loss, {}, [multilabel_input[0], multilabel_target[0]], [0]),
    'gaussianNLL': (F.gaussian_nll_loss, {}, [mean_, observed, variance], [0, 1, 2]),
    'gaussianNLL-full-eps': (F.gaussian_nll_loss, {'full': True, 'eps': 0.3}, [mean_, observed, variance], [0, 1, 2]),
    'gaussianNLL-per-row': (F.gaussian_nll_loss, {}, [mean_, observed, per_row_variance], [0, 1, 2]),
    'gaussianNLL-last-dim-1': (F.gaussian_nll_loss, {}, [mean_, observed, per_row_variance.reshape(4, 1)], [0, 1, 2]),
    'cosineEmbedding': (F.cosine_embedding_loss, {}, [x1, x2, pair_target], [0, 1]),
    'cosineEmbedding-margin-0.2': (F.cosine_embedding_loss, {'margin': 0.2}, [x1, x2, pair_target], [0, 1]),
    'cosineEmbedding-1d': (F.cosine_embedding_loss, {'margin': -0.5}, [x1[3], x2[3], T(-1.0)], [0, 1]),
    'marginRanking': (F.margin_ranking_loss, {}, [rank1, rank2, rank_target], [0, 1]),
    'marginRanking-margin-0.5': (F.margin_ranking_loss, {'margin': 0.5}, [rank1, rank2, rank_target], [0, 1]),
    'tripletMargin': (F.triplet_margin_loss, {}, [anchor, positive, negative], [0, 1, 2]),
    'tripletMargin-p1-swap': (F.triplet_margin_loss, {'p': 1, 'swap': True, 'margin': 0.5}, [anchor, positive, negative], [0, 1, 2]),
    'tripletMargin-p3-eps0': (F.triplet_margin_loss, {'p': 3, 'eps': 0.0, 'margin': 2.0}, [anchor, positive, negative], [0, 1, 2]),
    'cosineSimilarity': (F.cosine_similarity, {}, [sim1, sim2], [0, 1]),
    'cosineSimilarity-dim0-eps': (F.cosine_similarity, {'dim': 0, 'eps': 0.5}, [sim1, sim2], [0, 1]),
    'cosineSimilarity-broadcast': (F.cosine_similarity, {'dim': -1}, [sim2[0], sim1], [0, 1]),
    'pairwiseDistance': (F.pairwise_distance, {}, [dist1, dist2], [0, 1]),
    'pairwiseDistance-p1-keepdim': (F.pairwise_distance, {'p': 1, 'keepdim': True}, [dist1, dist2], [0, 1]),
    'pairwiseDistance-p1.5': (F.pairwise_distance, {'p': 1.5}, [dist1, dist2], [0, 1]),
    'pairwiseDistance-p3-eps0.1': (F.pairwise_distance, {'p': 3, 'eps': 0.1}, [dist1, dist2], [0, 1]),
    'pairwiseDistance-broadcast': (F.pairwise_distance, {}, [dist2[1], dist1], [0, 1]),
}
out['family'] = {}
for name, (fn, options, inputs, grad_at) in family.items():
    kwargs = {k: (torch.tensor(v) if k == 'weight' else v) for k, v in options.items()}
    takes_reduction = fn not in (F.cosine_similarity, F.pairwise_distance)
    entry = {
        'fn': fn.__name__,
        'options': options,
        'inputs': [x.tolist() for x in inputs],
        'int': [not x.is_floating_point() for x in inputs],
        'gradAt': grad_at,
    }
    for reduction in (['none', 'mean', 'sum'] if takes_reduction else ['none']):
        xs = [x.clone().requires_grad_(i in grad_at) for i, x in enumerate(inputs)]
        y = fn(*xs, reduction=reduction, **kwargs) if takes_reduction else fn(*xs, **kwargs)
        if reduction == 'none':
            w = torch.arange(float(y.numel())).reshape(y.shape) / 3 - 0.5
            entry['noneWeights'] = w.tolist()
            scalar = (y * w).sum()
        else:
            scalar = y
        grads = torch.autograd.grad(scalar, [xs[i] for i in grad_at])
        entry[reduction] = {'value': y.tolist(), 'gradients': [g.tolist() for g in grads]}
    out['family'][name] = entry

write_fixture(__file__, 'losses/loss-fixture.ts', 'PYTORCH_LOSSES', out)
