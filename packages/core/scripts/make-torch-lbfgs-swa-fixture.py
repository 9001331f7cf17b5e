#!/usr/bin/env python3
"""Writes src/optim/test-torch-lbfgs-swa.ts: torch.optim.LBFGS trajectories (with and without the
strong Wolfe line search) and torch.optim.swa_utils values (AveragedModel's equal and exponential
averages, SWALR's learning rates, update_bn's recomputed BatchNorm statistics), in float64, for
src/optim/lbfgs.test.ts and src/optim/swa.test.ts to compare against.

Run once with Debian's python3-torch (this was torch 1.13) and commit its output; the tests read
the fixture and never call Python:

    /usr/bin/python3 packages/core/scripts/make-torch-lbfgs-swa-fixture.py

LBFGS problems (two parameters, so the flattening into one vector is exercised):
- 'rosenbrock': f(a, b) = sum(100 * (b - a^2)^2 + (1 - a)^2) with a of shape [4], b of shape [2, 2]
  (a separable Rosenbrock function: curved valleys, so the line search has work to do);
- 'least squares': mean((x @ w + bias - y)^2) with w [3, 2], bias [2], x [8, 3], y [8, 2].
Recorded after every step(closure): the loss step returned, both parameters, funcEvals and nIter;
after the last step, the state (d, t, hDiag, prevLoss, ro and the history length).
"""

import math

import torch
from ts_fixture import write_fixture

torch.set_default_dtype(torch.float64)
gen = torch.Generator().manual_seed(4321)


def uniform(shape, low, high):
    return (torch.rand(shape, generator=gen) * (high - low) + low)


ROSEN_A = [-1.2, 0.5, 1.5, -0.3]
ROSEN_B = [[1.0, 0.2], [2.0, -0.5]]
LS_X = uniform([8, 3], -1, 1)
LS_Y = uniform([8, 2], -1, 1)
LS_W = uniform([3, 2], -0.5, 0.5)
LS_BIAS = uniform([2], -0.5, 0.5)


def rosenbrock(params):
    a, b = params
    return (100 * (b.reshape(-1) - a * a) ** 2 + (1 - a) ** 2).sum()


def least_squares(params):
    w, bias = params
    return ((LS_X @ w + bias - LS_Y) ** 2).mean()


PROBLEMS = {
    'rosenbrock': (rosenbrock, [torch.tensor(ROSEN_A), torch.tensor(ROSEN_B)]),
    'least squares': (least_squares, [LS_W.clone(), LS_BIAS.clone()]),
}

# (case name, problem, options in Myelin's names, torch kwargs, steps)
LBFGS_CASES = [
    ('rosenbrock, fixed step', 'rosenbrock', {'lr': 0.05, 'maxIter': 6}, {'lr': 0.05, 'max_iter': 6}, 4),
    ('rosenbrock, strong_wolfe', 'rosenbrock', {'maxIter': 8, 'lineSearchFn': 'strong_wolfe'},
     {'max_iter': 8, 'line_search_fn': 'strong_wolfe'}, 4),
    ('rosenbrock, strong_wolfe, historySize 2, maxEval 9', 'rosenbrock',
     {'maxIter': 10, 'maxEval': 9, 'historySize': 2, 'lineSearchFn': 'strong_wolfe'},
     {'max_iter': 10, 'max_eval': 9, 'history_size': 2, 'line_search_fn': 'strong_wolfe'}, 3),
    ('least squares, fixed step, historySize 3', 'least squares', {'lr': 0.5, 'maxIter': 5, 'historySize': 3},
     {'lr': 0.5, 'max_iter': 5, 'history_size': 3}, 3),
    ('least squares, strong_wolfe (converges: toleranceGrad stops it)', 'least squares',
     {'maxIter': 20, 'lineSearchFn': 'strong_wolfe', 'toleranceGrad': 1e-9},
     {'max_iter': 20, 'line_search_fn': 'strong_wolfe', 'tolerance_grad': 1e-9}, 2),
]


def flat(t):
    return t.detach().reshape(-1).tolist()


def as_float(v):
    return v.item() if torch.is_tensor(v) else float(v)


lbfgs_cases = []
for name, problem, options, kwargs, steps in LBFGS_CASES:
    fn, init = PROBLEMS[problem]
    params = [p.clone().requires_grad_(True) for p in init]
    optimizer = torch.optim.LBFGS(params, **kwargs)

    def closure():
        optimizer.zero_grad()
        loss = fn(params)
        loss.backward()
        return loss

    trajectory = []
    for _ in range(steps):
        loss = optimizer.step(closure)
        state = optimizer.state[params[0]]
        trajectory.append({
            'loss': float(loss),
            'params': [flat(p) for p in params],
            'funcEvals': state['func_evals'],
            'nIter': state['n_iter'],
        })
    state = optimizer.state[params[0]]
    lbfgs_cases.append({
        'name': name,
        'problem': problem,
        'options': options,
        'trajectory': trajectory,
        'state': {
            'd': flat(state['d']),
            't': as_float(state['t']),
            'hDiag': as_float(state['H_diag']),
            'prevLoss': as_float(state['prev_loss']),
            'prevFlatGrad': flat(state['prev_flat_grad']),
            'ro': [as_float(r) for r in state['ro']],
            'history': len(state['old_dirs']),
        },
    })

# --- swa_utils.AveragedModel: Linear(3, 2) snapshots averaged equally and with an EMA.
SNAPSHOTS = [{'weight': uniform([2, 3], -1, 1).tolist(), 'bias': uniform([2], -1, 1).tolist()} for _ in range(4)]


def averaged(avg_fn):
    model = torch.nn.Linear(3, 2)
    swa = torch.optim.swa_utils.AveragedModel(model, avg_fn=avg_fn)
    out = []
    for snap in SNAPSHOTS:
        with torch.no_grad():
            model.weight.copy_(torch.tensor(snap['weight']))
            model.bias.copy_(torch.tensor(snap['bias']))
        swa.update_parameters(model)
        out.append({'weight': flat(swa.module.weight), 'bias': flat(swa.module.bias),
                    'nAveraged': int(swa.n_averaged)})
    return out


EMA_DECAY = 0.75
averaged_model = {
    'snapshots': SNAPSHOTS,
    'equal': averaged(None),
    # torch 2.1's get_ema_avg_fn(decay), written out for torch 1.13.
    'ema': averaged(lambda avg, current, n: EMA_DECAY * avg + (1 - EMA_DECAY) * current),
    'emaDecay': EMA_DECAY,
}

# --- swa_utils.SWALR: lrs over 12 steps for both strategies, two groups, swaLr per group or shared.
SWALR_CASES = [
    ('cos, 5 epochs, one swaLr', {'swaLr': 0.05, 'annealEpochs': 5, 'annealStrategy': 'cos'},
     {'swa_lr': 0.05, 'anneal_epochs': 5, 'anneal_strategy': 'cos'}),
    ('linear, 4 epochs, swaLr per group', {'swaLr': [0.02, 0.3], 'annealEpochs': 4, 'annealStrategy': 'linear'},
     {'swa_lr': [0.02, 0.3], 'anneal_epochs': 4, 'anneal_strategy': 'linear'}),
    ('annealEpochs 0 (jumps to swaLr)', {'swaLr': 0.01, 'annealEpochs': 0}, {'swa_lr': 0.01, 'anneal_epochs': 0}),
    ('default 10 cos epochs', {'swaLr': 0.2}, {'swa_lr': 0.2}),
]
LRS = [0.1, 0.5]
swalr_cases = []
for name, options, kwargs in SWALR_CASES:
    p1 = torch.zeros(1, requires_grad=True)
    p2 = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([{'params': [p1], 'lr': LRS[0]}, {'params': [p2], 'lr': LRS[1]}], lr=LRS[0])
    scheduler = torch.optim.swa_utils.SWALR(optimizer, **kwargs)
    lrs = [[g['lr'] for g in optimizer.param_groups]]
    for _ in range(12):
        optimizer.step()
        scheduler.step()
        lrs.append([g['lr'] for g in optimizer.param_groups])
    swalr_cases.append({'name': name, 'options': options, 'lrs': lrs})

# --- swa_utils.update_bn: Linear(3, 4) -> BatchNorm1d(4) -> ReLU -> Linear(4, 2) -> BatchNorm1d(2), 3 batches.
bn_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4, momentum=0.3), torch.nn.ReLU(),
                               torch.nn.Linear(4, 2), torch.nn.BatchNorm1d(2))
with torch.no_grad():
    for p in bn_model.parameters():
        p.copy_(uniform(list(p.shape), -1, 1))
    # Stale statistics that update_bn must discard.
    bn_model[1].running_mean.fill_(5.0)
    bn_model[1].running_var.fill_(9.0)
    bn_model[1].num_batches_tracked.fill_(7)
BN_BATCHES = [uniform([5, 3], -2, 2), uniform([4, 3], -2, 2), uniform([6, 3], -2, 2)]
bn_state = {k: v.detach().reshape(-1).tolist() for k, v in bn_model.state_dict().items()}
bn_model.eval()
torch.optim.swa_utils.update_bn(BN_BATCHES, bn_model)
update_bn = {
    'state': bn_state,
    'batches': [b.tolist() for b in BN_BATCHES],
    'after': {k: v.detach().reshape(-1).tolist() for k, v in bn_model.state_dict().items()},
    'training': bn_model.training,
}

write_fixture(__file__, 'optim/test-torch-lbfgs-swa.ts', 'TORCH_LBFGS_SWA', {
    'torch': torch.__version__,
    'problems': {
        'rosenbrock': {'a': ROSEN_A, 'b': ROSEN_B},
        'least squares': {'x': LS_X.tolist(), 'y': LS_Y.tolist(), 'w': LS_W.tolist(), 'bias': LS_BIAS.tolist()},
    },
    'lbfgs': lbfgs_cases,
    'averagedModel': averaged_model,
    'swalr': {'lrs': LRS, 'cases': swalr_cases},
    'updateBn': update_bn,
})
