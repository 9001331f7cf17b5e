#!/usr/bin/env python3
"""Writes src/nn/packed-sequence-fixture.ts: torch.nn.utils.rnn's PackedSequence in float64.

'layers': torch.nn.LSTM, GRU and RNN run on a packed batch of sequences of different lengths (in
an unsorted batch with enforce_sorted=False, and a sorted one), with their parameters, the padded
input and lengths, the initial state (in the original batch order), the padded output
(pad_packed_sequence), the final states, and the gradients of the input, the initial state and
every parameter for the loss

    sum(padded_output * w) + sum(h_n * v) (+ sum(c_n * u) for LSTM)

'packing': pack_padded_sequence, pack_sequence, pad_packed_sequence, unpack_sequence and
unpad_sequence round trips with the packed data, batch_sizes, sorted_indices and the gradient of
the input for sum(result * w).

Run once (Debian's python3-torch; this was torch 1.13) and commit its output; the tests read the
fixture and never call Python:

    /usr/bin/python3 packages/core/scripts/make-packed-sequence-fixture.py
"""

import torch
from torch.nn.utils.rnn import (pack_padded_sequence, pack_sequence, pad_packed_sequence, unpack_sequence,
                                unpad_sequence)
from ts_fixture import write_fixture

torch.set_default_dtype(torch.float64)
torch.manual_seed(20261206)

INPUT_SIZE, HIDDEN_SIZE = 2, 3
camel = {'num_layers': 'numLayers', 'bias': 'bias', 'batch_first': 'batchFirst', 'bidirectional': 'bidirectional',
         'nonlinearity': 'nonlinearity'}

# name, module type, options, lengths (batch order), enforce_sorted, initial state given, pad options
layer_cases = [
    ('lstm-2-layers-bidirectional-unsorted', 'LSTM', dict(num_layers=2, bidirectional=True), [3, 5, 1, 4], False,
     True, {}),
    ('lstm-sorted-batch-first-zero-state', 'LSTM', dict(batch_first=True), [5, 4, 4, 1], True, False,
     dict(total_length=6, padding_value=-1.5)),
    ('gru-2-layers-bidirectional-unsorted-batch-first', 'GRU', dict(num_layers=2, bidirectional=True, batch_first=True),
     [1, 4, 5, 2], False, True, {}),
    ('rnn-tanh-2-layers-bidirectional-unsorted', 'RNN', dict(num_layers=2, bidirectional=True), [2, 1, 5], False,
     True, {}),
    ('rnn-relu-bidirectional-unsorted-batch-first-zero-state', 'RNN',
     dict(bidirectional=True, batch_first=True, nonlinearity='relu'), [4, 5, 1], False, False, {}),
]

layers = []
for name, kind, options, lengths, enforce_sorted, with_state, pad_options in layer_cases:
    module = getattr(torch.nn, kind)(INPUT_SIZE, HIDDEN_SIZE, **options)
    stateful = options.get('num_layers', 1) * (2 if options.get('bidirectional') else 1)
    batch_first = options.get('batch_first', False)
    batch, seq = len(lengths), max(lengths)
    x = torch.randn(batch, seq, INPUT_SIZE) if batch_first else torch.randn(seq, batch, INPUT_SIZE)
    x.requires_grad_(True)
    leaves = [x]
    state = None
    if with_state:
        h0 = torch.randn(stateful, batch, HIDDEN_SIZE, requires_grad=True)
        state = (h0, torch.randn(stateful, batch, HIDDEN_SIZE, requires_grad=True)) if kind == 'LSTM' else h0
        leaves += list(state) if kind == 'LSTM' else [state]
    packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=enforce_sorted)
    packed_output, final = module(packed, state)
    output, output_lengths = pad_packed_sequence(packed_output, batch_first=batch_first, **pad_options)
    assert output_lengths.tolist() == lengths
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
    layers.append({
        'name': name,
        'type': kind,
        'inputSize': INPUT_SIZE,
        'hiddenSize': HIDDEN_SIZE,
        'options': {camel[k]: val for k, val in options.items()},
        'lengths': lengths,
        'enforceSorted': enforce_sorted,
        'pad': {'totalLength': pad_options.get('total_length'), 'paddingValue': pad_options.get('padding_value')},
        'parameters': {n: p.tolist() for n, p in zip(names, params)},
        'input': x.tolist(),
        'state': None if state is None else {'h': leaves[1].tolist(), **({'c': leaves[2].tolist()} if kind == 'LSTM' else {})},
        'outputWeights': w.tolist(),
        'hWeights': v.tolist(),
        'cWeights': None if u is None else u.tolist(),
        'batchSizes': packed_output.batch_sizes.tolist(),
        'output': output.tolist(),
        'h': h_n.tolist(),
        'c': None if c_n is None else c_n.tolist(),
        'inputGradient': grads[0].tolist(),
        'stateGradient': None if state is None else {
            'h': grads[1].tolist(), **({'c': grads[2].tolist()} if kind == 'LSTM' else {})},
        'parameterGradients': {n: g.tolist() for n, g in zip(names, grads[len(leaves):])},
    })


def indices(packed):
    return None if packed.sorted_indices is None else packed.sorted_indices.tolist()


packing = []
# pack_padded_sequence then pad_packed_sequence, both layouts: the round trip keeps the real steps and zeroes the rest.
for name, batch_first, lengths, enforce_sorted, pad_options in [
    ('pack-pad-round-trip-unsorted', False, [2, 4, 1], False, {}),
    ('pack-pad-round-trip-batch-first-sorted-total-length', True, [3, 3, 1], True,
     dict(total_length=5, padding_value=2.5)),
]:
    batch, seq = len(lengths), max(lengths)
    x = torch.randn((batch, seq, 2) if batch_first else (seq, batch, 2), requires_grad=True)
    packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=enforce_sorted)
    data_weights = torch.randn(packed.data.shape)
    output, _ = pad_packed_sequence(packed, batch_first=batch_first, **pad_options)
    output_weights = torch.randn(output.shape)
    data_gradient, = torch.autograd.grad((packed.data * data_weights).sum(), x, retain_graph=True)
    round_trip_gradient, = torch.autograd.grad((output * output_weights).sum(), x)
    packing.append({
        'name': name, 'kind': 'padded', 'batchFirst': batch_first, 'lengths': lengths, 'enforceSorted': enforce_sorted,
        'pad': {'totalLength': pad_options.get('total_length'), 'paddingValue': pad_options.get('padding_value')},
        'input': x.tolist(), 'data': packed.data.tolist(), 'batchSizes': packed.batch_sizes.tolist(),
        'sortedIndices': indices(packed), 'dataWeights': data_weights.tolist(), 'dataGradient': data_gradient.tolist(),
        'output': output.tolist(), 'outputWeights': output_weights.tolist(),
        'roundTripGradient': round_trip_gradient.tolist(),
    })

# pack_sequence from a list, and back with unpack_sequence and unpad_sequence: gradients reach every sequence.
sequences = [torch.randn(n, 2, requires_grad=True) for n in (3, 1, 4)]
packed = pack_sequence(sequences, enforce_sorted=False)
unpacked = unpack_sequence(packed)
padded, lengths = pad_packed_sequence(packed, batch_first=True)
unpadded = unpad_sequence(padded, lengths, batch_first=True)
unpacked_weights = [torch.randn(s.shape) for s in unpacked]
unpadded_weights = [torch.randn(s.shape) for s in unpadded]
loss = sum((s * w).sum() for s, w in zip(unpacked, unpacked_weights)) + sum(
    (s * w).sum() for s, w in zip(unpadded, unpadded_weights))
gradients = torch.autograd.grad(loss, sequences)
packing.append({
    'name': 'pack-sequence-unpack-unpad', 'kind': 'list', 'sequences': [s.tolist() for s in sequences],
    'data': packed.data.tolist(), 'batchSizes': packed.batch_sizes.tolist(), 'sortedIndices': indices(packed),
    'padded': padded.tolist(), 'unpackedWeights': [w.tolist() for w in unpacked_weights],
    'unpaddedWeights': [w.tolist() for w in unpadded_weights], 'gradients': [g.tolist() for g in gradients],
})

write_fixture(__file__, 'nn/packed-sequence-fixture.ts', 'PYTORCH_PACKED_SEQUENCE', {'layers': layers, 'packing': packing})
