#!/usr/bin/env python3
"""Writes src/optim/test-torch-trajectories.ts: a few steps of torch.optim's RMSprop, Adagrad,
Adadelta, Adamax, NAdam, RAdam, Rprop and ASGD in float64, for src/optim/torch-parity.test.ts to compare Myelin's
optimizers against (to ~1e-12 relative).

Run once with Debian's python3-torch (this was torch 1.13) and commit its output; the tests read
the fixture and never call Python:

    /usr/bin/python3 packages/core/scripts/make-torch-optim-fixture.py

The problem: two parameters in two parameter groups (the second with its own lr, and in some
cases other options of its own). The gradient at step k is computed from the current parameter as
    grad = (param - target) * curvature + noise[k]
elementwise (one sub, one mul, one add: correctly rounded in float64, so the TypeScript test
computes bit-identical gradients). Recorded: both parameters after every step and the final
optimizer state under Myelin's camelCase state names.

NAdam: torch 1.13's single-tensor NAdam computes mu_product_next = mu_product * mu * mu_next (mu
counted twice); PyTorch fixed that in 2.0 to mu_product * mu_next, which is what Myelin
implements. This script replaces torch 1.13's _single_tensor_nadam with the current formula (and
checks that the replacement is what runs), so the fixture holds today's PyTorch trajectory.
"""

import torch
import torch.optim.nadam as torch_nadam
from ts_fixture import write_fixture

torch.set_default_dtype(torch.float64)  # also makes NAdam's mu_product and the step counters float64

STEPS = 8  # RAdam's rectified branch starts at step 6 (beta2 0.9)
SHAPES = [[2, 3], [4]]
gen = torch.Generator().manual_seed(1234)


def uniform(shape, low, high):
    return (torch.rand(shape, generator=gen) * (high - low) + low).flatten().tolist()


INIT = [uniform(s, -1.5, 1.5) for s in SHAPES]
TARGET = [uniform(s, -1.0, 1.0) for s in SHAPES]
CURVATURE = [uniform(s, 0.2, 3.0) for s in SHAPES]
NOISE = [[uniform(s, -0.5, 0.5) for s in SHAPES] for _ in range(STEPS)]
# One gradient element is exactly 0 at its first step (the parameter starts on its target and the
# noise is 0), so the eps terms decide that element's first update.
INIT[1][1] = TARGET[1][1]
NOISE[0][1][1] = 0.0

nadam_calls = 0


def current_single_tensor_nadam(params, grads, exp_avgs, exp_avg_sqs, mu_products, state_steps, *,
                                beta1, beta2, lr, weight_decay, momentum_decay, eps):
    """torch/optim/nadam.py's _single_tensor_nadam as of PyTorch 2.x (non-capturable path)."""
    global nadam_calls
    nadam_calls += 1
    for i, param in enumerate(params):
        grad = grads[i]
        exp_avg = exp_avgs[i]
        exp_avg_sq = exp_avg_sqs[i]
        mu_product = mu_products[i]
        step_t = state_steps[i]
        step_t += 1
        step = step_t.item()
        bias_correction2 = 1 - beta2 ** step
        if weight_decay != 0:
            grad = grad.add(param, alpha=weight_decay)
        mu = beta1 * (1. - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1. - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product *= mu
        exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denom = exp_avg_sq.div(bias_correction2).sqrt()
        mu_product_next = mu_product.item() * mu_next
        denom.add_(eps)
        param.addcdiv_(grad, denom, value=(-lr * (1. - mu) / (1. - mu_product.item())))
        param.addcdiv_(exp_avg, denom, value=(-lr * mu_next) / (1. - mu_product_next))


torch_nadam._single_tensor_nadam = current_single_tensor_nadam

STATE_NAMES = {
    'step': 'step', 'square_avg': 'squareAvg', 'momentum_buffer': 'momentumBuffer', 'grad_avg': 'gradAvg',
    'sum': 'sum', 'acc_delta': 'accDelta', 'exp_avg': 'expAvg', 'exp_inf': 'expInf',
    'exp_avg_sq': 'expAvgSq', 'mu_product': 'muProduct', 'prev': 'prev', 'step_size': 'stepSize',
    'eta': 'eta', 'mu': 'mu', 'ax': 'ax',
}
OPTION_NAMES = {'weight_decay': 'weightDecay', 'lr_decay': 'lrDecay', 'momentum_decay': 'momentumDecay',
                'initial_accumulator_value': 'initialAccumulatorValue', 'step_sizes': 'stepSizes'}

# (Myelin type, torch class, case name, defaults, second group's own options)
CASES = [
    ('rmsprop', torch.optim.RMSprop, 'defaults', {}, {'lr': 5e-3}),
    ('rmsprop', torch.optim.RMSprop, 'alpha, eps, weight decay', {'lr': 0.05, 'alpha': 0.9, 'eps': 1e-6, 'weight_decay': 0.1}, {'lr': 0.02}),
    ('rmsprop', torch.optim.RMSprop, 'momentum', {'lr': 0.02, 'momentum': 0.9}, {'lr': 0.01, 'momentum': 0.5}),
    ('rmsprop', torch.optim.RMSprop, 'centered', {'lr': 0.02, 'centered': True}, {'lr': 0.01}),
    ('rmsprop', torch.optim.RMSprop, 'centered, momentum, weight decay',
     {'lr': 0.05, 'centered': True, 'momentum': 0.5, 'weight_decay': 0.05}, {'lr': 0.01, 'centered': False}),
    ('adagrad', torch.optim.Adagrad, 'defaults', {}, {'lr': 5e-3}),
    ('adagrad', torch.optim.Adagrad, 'lr decay', {'lr': 0.1, 'lr_decay': 0.1}, {'lr': 0.05, 'lr_decay': 0.5}),
    ('adagrad', torch.optim.Adagrad, 'initial accumulator, eps, weight decay',
     {'lr': 0.1, 'initial_accumulator_value': 0.5, 'eps': 1e-6, 'weight_decay': 0.1}, {'lr': 0.05}),
    ('adadelta', torch.optim.Adadelta, 'defaults', {}, {'lr': 0.5}),
    ('adadelta', torch.optim.Adadelta, 'rho, eps, weight decay', {'lr': 2.0, 'rho': 0.5, 'eps': 1e-4, 'weight_decay': 0.1}, {'lr': 1.0, 'rho': 0.95}),
    ('adamax', torch.optim.Adamax, 'defaults', {}, {'lr': 1e-3}),
    ('adamax', torch.optim.Adamax, 'betas, eps, weight decay',
     {'lr': 0.05, 'betas': (0.8, 0.99), 'eps': 1e-6, 'weight_decay': 0.1}, {'lr': 0.02, 'betas': (0.5, 0.9)}),
    ('nadam', torch.optim.NAdam, 'defaults', {}, {'lr': 1e-3}),
    ('nadam', torch.optim.NAdam, 'momentum decay, betas, weight decay',
     {'lr': 0.05, 'momentum_decay': 0.1, 'betas': (0.8, 0.99), 'weight_decay': 0.1}, {'lr': 0.02}),
    ('nadam', torch.optim.NAdam, 'large eps', {'lr': 0.05, 'eps': 1e-3}, {'lr': 0.02, 'momentum_decay': 0.0}),
    ('radam', torch.optim.RAdam, 'defaults (unrectified throughout)', {}, {'lr': 5e-3}),
    ('radam', torch.optim.RAdam, 'betas reaching the rectified branch, weight decay',
     {'lr': 0.05, 'betas': (0.8, 0.9), 'weight_decay': 0.1}, {'lr': 0.02, 'betas': (0.9, 0.8), 'eps': 1e-3}),
    ('rprop', torch.optim.Rprop, 'defaults', {}, {'lr': 0.05}),
    ('rprop', torch.optim.Rprop, 'etas, clamped step sizes', {'lr': 0.1, 'etas': (0.3, 1.5), 'step_sizes': (0.02, 0.2)},
     {'lr': 0.05, 'etas': (0.5, 2.0), 'step_sizes': (0.0, 0.08)}),
    ('asgd', torch.optim.ASGD, 'defaults', {}, {'lr': 0.05}),
    ('asgd', torch.optim.ASGD, 'averaging from t0, lambd, alpha, weight decay',
     {'lr': 0.1, 'lambd': 0.05, 'alpha': 0.5, 't0': 2, 'weight_decay': 0.1}, {'lr': 0.05, 't0': 0, 'lambd': 0.2}),
]


def camel(options):
    out = {}
    for key, value in options.items():
        out[OPTION_NAMES.get(key, key)] = list(value) if isinstance(value, tuple) else value
    return out


def run(torch_class, defaults, second):
    params = [torch.tensor(v).reshape(s).requires_grad_(True) for v, s in zip(INIT, SHAPES)]
    optimizer = torch_class([{'params': [params[0]]}, {'params': [params[1]], **second}], **defaults)
    trajectory = []
    for k in range(STEPS):
        for i, p in enumerate(params):
            with torch.no_grad():
                noise = torch.tensor(NOISE[k][i]).reshape(SHAPES[i])
                p.grad = (p - torch.tensor(TARGET[i]).reshape(SHAPES[i])) * torch.tensor(CURVATURE[i]).reshape(SHAPES[i]) + noise
        optimizer.step()
        trajectory.append([p.detach().flatten().tolist() for p in params])
    state = []
    for p in params:
        entry = {}
        for key, value in optimizer.state[p].items():
            if torch.is_tensor(value) and value.dim() == 0:
                entry[STATE_NAMES[key]] = value.item()
            elif torch.is_tensor(value):
                entry[STATE_NAMES[key]] = value.flatten().tolist()
            else:
                entry[STATE_NAMES[key]] = value
        state.append(entry)
    return trajectory, state


cases = []
for myelin_type, torch_class, name, defaults, second in CASES:
    nadam_calls = 0
    trajectory, state = run(torch_class, defaults, second)
    if torch_class is torch.optim.NAdam:
        assert nadam_calls == STEPS * 2, 'the current-PyTorch NAdam replacement did not run'
    cases.append({
        'type': myelin_type,
        'name': name,
        'options': camel(defaults),
        'secondGroup': camel(second),
        'trajectory': trajectory,
        'state': state,
    })

fixture = {
    'torch': torch.__version__,
    'steps': STEPS,
    'shapes': SHAPES,
    'init': INIT,
    'target': TARGET,
    'curvature': CURVATURE,
    'noise': NOISE,
    'cases': cases,
}

write_fixture(__file__, 'optim/test-torch-trajectories.ts', 'TORCH_TRAJECTORIES', fixture,
              note="; NAdam with PyTorch 2's mu_product_next, see the script")
