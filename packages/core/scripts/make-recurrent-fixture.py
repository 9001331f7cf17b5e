#!/usr/bin/env python3
"""Writes src/nn/recurrent-fixture.ts: torch.nn.LSTM, GRU and RNN (tanh and relu) in float64 with
their parameters, input, initial state, outputs, final states, and the gradients of every
parameter, of the input and of the initial state for the loss

    sum(output * w) + sum(h_n * v) (+ sum(c_n * u) for LSTM)

with fixed weights w, v, u. The cases cover two layers, both directions, batchFirst, no bias,
unbatched input, a given initial state and none.

Run once (Debian's python3-torch; this was torch 1.13) and commit its output; the tests read the
fixture and never call Python:

    /usr/bin/python3 packages/core/scripts/make-recurrent-fixture.py
"""

import torch
from ts_fixture import write_fixture

torch.set_default_dtype(torch.float64)
torch.manual_seed(20240607)

# name, module type, options, sequence length, batch (None: unbatched), whether an initial state is given
cases = [
    ('lstm-2-layers-bidirectional-batch-first', 'LSTM', dict(num_layers=2, bidirectional=True, batch_first=True), 3, 2, True),
    ('lstm-no-bias-zero-state', 'LSTM', dict(num_layers=1, bias=False), 9, 2, False),
    ('lstm-unbatched-2-layers', 'LSTM', dict(num_layers=2), 3, None, True),
    ('gru-2-layers-bidirectional', 'GRU', dict(num_layers=2, bidirectional=True), 3, 2, True),
    ('gru-no-bias-batch-first-zero-state', 'GRU', dict(num_layers=2, bias=False, batch_first=True), 3, 2, False),
    ('gru-unbatched-bidirectional', 'GRU', dict(bidirectional=True), 3, None, True),
    ('rnn-tanh-2-layers-bidirectional-no-bias', 'RNN', dict(num_layers=2, bidirectional=True, bias=False), 4, 2, True),
    ('rnn-relu-2-layers-bidirectional-batch-first', 'RNN',
     dict(num_layers=2, bidirectional=True, batch_first=True, nonlinearity='relu'), 4, 2, True),
]

INPUT_SIZE, HIDDEN_SIZE = 2, 3
camel = {'num_layers': 'numLayers', 'bias': 'bias', 'batch_first': 'batchFirst', 'bidirectional': 'bidirectional',
         'nonlinearity': 'nonlinearity'}

out = []
for name, kind, options, length, batch, with_state in cases:
    module = getattr(torch.nn, kind)(INPUT_SIZE, HIDDEN_SIZE, **options)
    layers = options.get('num_layers', 1) * (2 if options.get('bidirectional') else 1)
    batch_first = options.get('batch_first', False)
    if batch is None:
        x = torch.randn(length, INPUT_SIZE)
        state_shape = (layers, HIDDEN_SIZE)
    else:
        x = torch.randn(batch, length, INPUT_SIZE) if batch_first else torch.randn(length, batch, INPUT_SIZE)
        state_shape = (layers, batch, HIDDEN_SIZE)
    x.requires_grad_(True)
    state = None
    leaves = [x]
    if with_state:
        h0 = torch.randn(*state_shape, requires_grad=True)
        state = (h0, torch.randn(*state_shape, requires_grad=True)) if kind == 'LSTM' else h0
        leaves += list(state) if kind == 'LSTM' else [state]
    output, final = module(x, state)
    h_n, c_n = final if kind == 'LSTM' else (final, None)
    w = torch.randn(output.shape)
    v = torch.randn(h_n.shape)
    loss = (output * w).sum() + (h_n * v).sum()
    u = None
    if c_n is not None:
        u = torch.randn(c_n.shape)
        loss = loss + (c_n * u).sum()
    names = [n for n, _ in module.named_parameters()]
    params = [p for _, p in module.named_parameters()]
    grads = torch.autograd.grad(loss, leaves + params)
    case = {
        'name': name,
        'type': kind,
        'inputSize': INPUT_SIZE,
        'hiddenSize': HIDDEN_SIZE,
        'options': {camel[k]: val for k, val in options.items()},
        'parameters': {n: p.tolist() for n, p in zip(names, params)},
        'input': x.tolist(),
        'state': None if state is None else {'h': leaves[1].tolist(), **({'c': leaves[2].tolist()} if kind == 'LSTM' else {})},
        'outputWeights': w.tolist(),
        'hWeights': v.tolist(),
        'cWeights': None if u is None else u.tolist(),
        'output': output.tolist(),
        'h': h_n.tolist(),
        'c': None if c_n is None else c_n.tolist(),
        'inputGradient': grads[0].tolist(),
        'stateGradient': None if state is None else {
            'h': grads[1].tolist(), **({'c': grads[2].tolist()} if kind == 'LSTM' else {})},
        'parameterGradients': {n: g.tolist() for n, g in zip(names, grads[len(leaves):])},
    }
    out.append(case)

write_fixture(__file__, 'nn/recurrent-fixture.ts', 'PYTORCH_RECURRENT', out)
