#!/usr/bin/env python3
"""Writes src/schedules/test-torch-lr-schedules.ts: the lr of every parameter group after
construction and after each of 30 scheduler.step() calls (get_last_lr()), for each
torch.optim.lr_scheduler class and several option sets, for src/schedules/torch-parity.test.ts to
compare Myelin's schedules against (to 1e-12 relative).

Run once with Debian's python3-torch (this was torch 1.13) and commit its output; the tests read
the fixture and never call Python:

    /usr/bin/python3 packages/core/scripts/make-lr-scheduler-fixture.py

Each case is a Myelin schedule config (camelCase options; SequentialLR and ChainedScheduler nest
configs) that this script turns into the torch schedule, on an SGD (momentum 0.9) or Adam
optimizer with two parameter groups of different lrs. LambdaLR and MultiplicativeLR take a named
function from LAMBDAS, which the test defines again in TypeScript. CyclicLR cases also record
each group's momentum. torch 1.13's CyclicLR refuses Adam (PyTorch 2 cycles its first beta,
which Myelin does): the 'adam' CyclicLR case is run on SGD here, and the test expects Adam's
betas[0] to follow the momentum recorded. A last part records CosineAnnealingWarmRestarts'
step(epoch) at fractional epochs (stepToEpoch in Myelin).
"""

import warnings

import torch
from ts_fixture import write_fixture

# SequentialLR calls step(0) at a milestone, which torch warns about; that is the behaviour recorded.
warnings.filterwarnings('ignore', message='The epoch parameter')

STEPS = 30
LRS = {'sgd': [0.1, 0.02], 'adam': [0.01, 0.002]}

LAMBDAS = {
    '0.95^epoch': lambda epoch: 0.95 ** epoch,
    '1/(epoch+1)': lambda epoch: 1 / (epoch + 1),
    '0.9': lambda epoch: 0.9,
    '1-0.01*epoch': lambda epoch: 1 - 0.01 * epoch,
}

SNAKE = {
    'stepSize': 'step_size', 'tMax': 'T_max', 'etaMin': 'eta_min', 'startFactor': 'start_factor',
    'endFactor': 'end_factor', 'totalIters': 'total_iters', 't0': 'T_0', 'tMult': 'T_mult',
    'baseLr': 'base_lr', 'maxLr': 'max_lr', 'stepSizeUp': 'step_size_up', 'stepSizeDown': 'step_size_down',
    'cycleMomentum': 'cycle_momentum', 'baseMomentum': 'base_momentum', 'maxMomentum': 'max_momentum',
}

S = torch.optim.lr_scheduler


def make(optimizer, config):
    """The torch schedule for a Myelin config (constructed in the same order as schedulerFromConfig)."""
    kind = config['type']
    options = {SNAKE.get(k, k): v for k, v in config.items() if k not in ('type', 'lrLambda')}
    if kind == 'LinearWarmup':
        return S.LinearLR(optimizer, start_factor=config.get('startFactor', 0.1), end_factor=1.0,
                          total_iters=config['warmupEpochs'])
    if kind in ('LambdaLR', 'MultiplicativeLR'):
        names = config['lrLambda']
        functions = [LAMBDAS[n] for n in names] if isinstance(names, list) else LAMBDAS[names]
        return getattr(S, kind)(optimizer, lr_lambda=functions)
    if kind == 'SequentialLR':
        children = [make(optimizer, c) for c in config['schedulers']]
        return S.SequentialLR(optimizer, children, milestones=config['milestones'])
    if kind == 'ChainedScheduler':
        return S.ChainedScheduler([make(optimizer, c) for c in config['schedulers']])
    return getattr(S, kind)(optimizer, **options)


CASES = [
    ('StepLR', {'type': 'StepLR', 'stepSize': 3, 'gamma': 0.5}),
    ('MultiStepLR, a repeated milestone', {'type': 'MultiStepLR', 'milestones': [2, 5, 5, 9], 'gamma': 0.3}),
    ('ExponentialLR', {'type': 'ExponentialLR', 'gamma': 0.9}),
    ('CosineAnnealingLR past tMax', {'type': 'CosineAnnealingLR', 'tMax': 7, 'etaMin': 0.001}),
    ('CosineAnnealingLR', {'type': 'CosineAnnealingLR', 'tMax': 10}),
    ('LinearWarmup', {'type': 'LinearWarmup', 'warmupEpochs': 4, 'startFactor': 0.25}),
    ('LinearLR defaults', {'type': 'LinearLR'}),
    ('LinearLR decaying', {'type': 'LinearLR', 'startFactor': 0.5, 'endFactor': 0.1, 'totalIters': 8}),
    ('LinearLR to 0', {'type': 'LinearLR', 'startFactor': 1.0, 'endFactor': 0.0, 'totalIters': 10}),
    ('ConstantLR defaults', {'type': 'ConstantLR'}),
    ('ConstantLR', {'type': 'ConstantLR', 'factor': 0.5, 'totalIters': 3}),
    ('PolynomialLR defaults', {'type': 'PolynomialLR'}),
    ('PolynomialLR power 2', {'type': 'PolynomialLR', 'totalIters': 20, 'power': 2.0}),
    ('PolynomialLR power 0.5', {'type': 'PolynomialLR', 'totalIters': 12, 'power': 0.5}),
    ('CosineAnnealingWarmRestarts', {'type': 'CosineAnnealingWarmRestarts', 't0': 5}),
    ('CosineAnnealingWarmRestarts tMult 2', {'type': 'CosineAnnealingWarmRestarts', 't0': 3, 'tMult': 2, 'etaMin': 0.001}),
    ('CyclicLR triangular', {'type': 'CyclicLR', 'baseLr': 0.01, 'maxLr': 0.1, 'stepSizeUp': 4}),
    ('CyclicLR triangular2, per-group lrs, uneven',
     {'type': 'CyclicLR', 'baseLr': [0.01, 0.001], 'maxLr': [0.1, 0.05], 'stepSizeUp': 3, 'stepSizeDown': 5,
      'mode': 'triangular2'}),
    ('CyclicLR exp_range', {'type': 'CyclicLR', 'baseLr': 0.001, 'maxLr': 0.01, 'stepSizeUp': 4, 'mode': 'exp_range',
                            'gamma': 0.9, 'baseMomentum': 0.85, 'maxMomentum': 0.95}),
    ('CyclicLR without momentum', {'type': 'CyclicLR', 'baseLr': 0.01, 'maxLr': 0.1, 'stepSizeUp': 5,
                                   'cycleMomentum': False}),
    ('LambdaLR', {'type': 'LambdaLR', 'lrLambda': '0.95^epoch'}),
    ('LambdaLR per group', {'type': 'LambdaLR', 'lrLambda': ['0.95^epoch', '1/(epoch+1)']}),
    ('MultiplicativeLR', {'type': 'MultiplicativeLR', 'lrLambda': '0.9'}),
    ('MultiplicativeLR per group', {'type': 'MultiplicativeLR', 'lrLambda': ['0.9', '1-0.01*epoch']}),
    ('SequentialLR: LinearLR warm-up, then CosineAnnealingLR',
     {'type': 'SequentialLR', 'milestones': [5], 'schedulers': [
         {'type': 'LinearLR', 'startFactor': 0.1, 'totalIters': 5}, {'type': 'CosineAnnealingLR', 'tMax': 20}]}),
    ('SequentialLR: three schedules',
     {'type': 'SequentialLR', 'milestones': [4, 12], 'schedulers': [
         {'type': 'ConstantLR', 'factor': 0.5, 'totalIters': 2}, {'type': 'ExponentialLR', 'gamma': 0.9},
         {'type': 'StepLR', 'stepSize': 3}]}),
    ('SequentialLR: LinearLR, then warm restarts',
     {'type': 'SequentialLR', 'milestones': [3], 'schedulers': [
         {'type': 'LinearLR', 'totalIters': 3}, {'type': 'CosineAnnealingWarmRestarts', 't0': 5, 'tMult': 2}]}),
    ('SequentialLR: ExponentialLR, then PolynomialLR',
     {'type': 'SequentialLR', 'milestones': [6], 'schedulers': [
         {'type': 'ExponentialLR', 'gamma': 0.8}, {'type': 'PolynomialLR', 'totalIters': 10, 'power': 2.0}]}),
    ('ChainedScheduler: ConstantLR and ExponentialLR',
     {'type': 'ChainedScheduler', 'schedulers': [
         {'type': 'ConstantLR', 'factor': 0.1, 'totalIters': 2}, {'type': 'ExponentialLR', 'gamma': 0.9}]}),
    ('ChainedScheduler: LinearLR, CosineAnnealingLR and StepLR',
     {'type': 'ChainedScheduler', 'schedulers': [
         {'type': 'LinearLR'}, {'type': 'CosineAnnealingLR', 'tMax': 10}, {'type': 'StepLR', 'stepSize': 7}]}),
    ('ChainedScheduler: LinearLR and MultiStepLR',
     {'type': 'ChainedScheduler', 'schedulers': [
         {'type': 'LinearLR', 'startFactor': 0.5, 'totalIters': 4}, {'type': 'MultiStepLR', 'milestones': [3, 8]}]}),
]
ADAM_CASES = [
    ('CyclicLR with Adam (betas)', {'type': 'CyclicLR', 'baseLr': 0.001, 'maxLr': 0.006, 'stepSizeUp': 3,
                                     'mode': 'triangular2'}),
    ('CosineAnnealingLR with Adam', {'type': 'CosineAnnealingLR', 'tMax': 12, 'etaMin': 1e-5}),
]


def run(optimizer_name, config):
    params = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))]
    lrs = LRS[optimizer_name]
    groups = [{'params': [p], 'lr': lr} for p, lr in zip(params, lrs)]
    cycles_beta = optimizer_name == 'adam' and config['type'] == 'CyclicLR'
    if optimizer_name == 'sgd' or cycles_beta:
        optimizer = torch.optim.SGD(groups, lr=lrs[0], momentum=0.9)
    else:
        optimizer = torch.optim.Adam(groups, lr=lrs[0])
    schedule = make(optimizer, config)
    record = {'lrs': [list(schedule.get_last_lr())]}
    with_momentum = config['type'] == 'CyclicLR' and config.get('cycleMomentum', True)
    if with_momentum:
        record['momentum'] = [[g['momentum'] for g in optimizer.param_groups]]
    for _ in range(STEPS):
        optimizer.step()  # no gradients: nothing moves; it keeps torch from warning about the order
        schedule.step()
        record['lrs'].append(list(schedule.get_last_lr()))
        if with_momentum:
            record['momentum'].append([g['momentum'] for g in optimizer.param_groups])
    return record


# CosineAnnealingWarmRestarts.step(epoch) with fractional epochs (stepToEpoch in Myelin), in this order.
EPOCHS = [0.5, 1.25, 2.999, 3, 3.5, 8.2, 9, 9.75, 21.5, 4, 0, 45.125]


def run_epochs(config):
    params = [torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))]
    groups = [{'params': [p], 'lr': lr} for p, lr in zip(params, LRS['sgd'])]
    optimizer = torch.optim.SGD(groups, lr=LRS['sgd'][0], momentum=0.9)
    schedule = make(optimizer, config)
    lrs = []
    for epoch in EPOCHS:
        optimizer.step()
        schedule.step(epoch)
        lrs.append(list(schedule.get_last_lr()))
    return {'config': config, 'epochs': EPOCHS, 'lrs': lrs, 'lastEpoch': schedule.last_epoch}


epoch_cases = [run_epochs({'type': 'CosineAnnealingWarmRestarts', 't0': 3}),
               run_epochs({'type': 'CosineAnnealingWarmRestarts', 't0': 3, 'tMult': 2, 'etaMin': 0.001})]

cases = []
for optimizer_name, case_list in (('sgd', CASES), ('adam', ADAM_CASES)):
    for name, config in case_list:
        cases.append({'name': name, 'optimizer': optimizer_name, 'lrs0': LRS[optimizer_name], 'config': config,
                      **run(optimizer_name, config)})

write_fixture(__file__, 'schedules/test-torch-lr-schedules.ts', 'TORCH_LR_SCHEDULES',
              {'torch': torch.__version__, 'steps': STEPS, 'cases': cases, 'epochCases': epoch_cases})
