#!/usr/bin/env python3
"""Writes src/nn/transformer-fixture.ts: torch.nn.MultiheadAttention, TransformerEncoderLayer,
TransformerEncoder, TransformerDecoderLayer, TransformerDecoder and Transformer in float64 with
their parameters, inputs and masks, outputs (and attention weights), and the gradients of every
input and parameter for the loss

    sum(output * w) (+ sum(weights * u) where attention weights are returned)

with fixed cotangents w, u. Parameters are redrawn from N(0, 0.5^2) (norm weights 1 + N(0, 0.1^2))
so no case depends on an initialisation; dropout is 0 and the modules stay in train mode, so
PyTorch's eval-mode fast paths never run. The cases cover both layouts (batchFirst), unbatched
input, bool and float attention masks, key padding masks, kdim/vdim, addBiasKV, addZeroAttn,
bias=False, per-head weights, post- and pre-norm (normFirst), relu and gelu.

Run once (Debian's python3-torch; this was torch 1.13) and commit its output; the tests read the
fixture and never call Python:

    /usr/bin/python3 packages/core/scripts/make-transformer-fixture.py
"""

import torch
from ts_fixture import write_fixture

torch.set_default_dtype(torch.float64)
torch.manual_seed(20261205)

E, HEADS, FF = 6, 2, 10


def redraw(module):
    with torch.no_grad():
        for name, p in module.named_parameters():
            if 'norm' in name and name.endswith('weight'):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            else:
                p.copy_(0.5 * torch.randn_like(p))


def causal(n):
    return torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)


def padding(batch, length, lengths):
    """True at the padded (ignored) positions of each sequence."""
    mask = torch.zeros(batch, length, dtype=torch.bool)
    for i, n in enumerate(lengths):
        mask[i, n:] = True
    return mask


def listed(value):
    if value is None:
        return None
    if value.dtype == torch.bool:
        return {'dtype': 'bool', 'values': value.tolist()}
    return {'dtype': 'float', 'values': value.tolist()}


camel = {
    'dropout': 'dropout', 'bias': 'bias', 'add_bias_kv': 'addBiasKV', 'add_zero_attn': 'addZeroAttn',
    'kdim': 'kdim', 'vdim': 'vdim', 'batch_first': 'batchFirst', 'dim_feedforward': 'dimFeedforward',
    'activation': 'activation', 'norm_first': 'normFirst', 'layer_norm_eps': 'layerNormEps',
    'num_encoder_layers': 'numEncoderLayers', 'num_decoder_layers': 'numDecoderLayers',
}


def finish(name, kind, module, options, inputs, masks, result, extra=None):
    """inputs: dict name -> tensor (requires grad); masks: dict name -> tensor or None; result:
    output tensor, or (output, weights)."""
    output, weights = result if isinstance(result, tuple) else (result, None)
    w = torch.randn(output.shape)
    loss = (output * w).sum()
    u = None
    if weights is not None:
        u = torch.randn(weights.shape)
        loss = loss + (weights * u).sum()
    names = [n for n, _ in module.named_parameters()]
    params = [p for _, p in module.named_parameters()]
    leaves = list(inputs.values())
    grads = torch.autograd.grad(loss, leaves + params)
    case = {
        'name': name,
        'type': kind,
        'options': {camel[k]: v for k, v in options.items()},
        'parameters': {n: p.tolist() for n, p in zip(names, params)},
        'inputs': {n: t.tolist() for n, t in inputs.items()},
        'masks': {n: listed(m) for n, m in masks.items() if m is not None},
        'outputWeights': w.tolist(),
        'output': output.tolist(),
        'weightsWeights': None if u is None else u.tolist(),
        'weights': None if weights is None else weights.tolist(),
        'inputGradients': {n: g.tolist() for n, g in zip(inputs.keys(), grads[:len(leaves)])},
        'parameterGradients': {n: g.tolist() for n, g in zip(names, grads[len(leaves):])},
    }
    if extra:
        case.update(extra)
    return case


out = []

# ---- MultiheadAttention --------------------------------------------------------------------------
# name, options, (L, S, N or None), forward options, masks
mha_cases = [
    ('mha-self-attention', dict(), (4, 4, 2), dict(average_attn_weights=True), {}),
    ('mha-cross-kdim-vdim-batch-first-per-head-weights', dict(kdim=3, vdim=5, batch_first=True), (4, 5, 2),
     dict(average_attn_weights=False), {'attn_mask': 'float', 'key_padding_mask': 'bool'}),
    ('mha-causal-padding-bias-kv-zero-attn', dict(add_bias_kv=True, add_zero_attn=True), (5, 5, 3),
     dict(average_attn_weights=True), {'attn_mask': 'causal', 'key_padding_mask': 'bool'}),
    ('mha-unbatched-no-bias-3d-mask', dict(bias=False), (3, 4, None),
     dict(average_attn_weights=True), {'attn_mask': 'bool3d'}),
    ('mha-float-padding-mask-no-weights', dict(batch_first=True), (3, 3, 2),
     dict(need_weights=False), {'key_padding_mask': 'float'}),
]
for name, options, (L, S, N), fwd, mask_kinds in mha_cases:
    module = torch.nn.MultiheadAttention(E, HEADS, **options)
    redraw(module)
    batch_first = options.get('batch_first', False)
    kdim, vdim = options.get('kdim', E), options.get('vdim', E)
    self_attention = name.startswith('mha-self') or 'causal' in name or 'float-padding' in name

    def make(length, dim):
        if N is None:
            return torch.randn(length, dim, requires_grad=True)
        shape = (N, length, dim) if batch_first else (length, N, dim)
        return torch.randn(*shape, requires_grad=True)

    if self_attention:
        x = make(L, E)
        inputs = {'query': x}
        args = (x, x, x)
    else:
        q, k, v = make(L, E), make(S, kdim), make(S, vdim)
        inputs = {'query': q, 'key': k, 'value': v}
        args = (q, k, v)
    masks = {}
    kind = mask_kinds.get('attn_mask')
    if kind == 'float':
        masks['attn_mask'] = torch.randn(L, S)
    elif kind == 'causal':
        masks['attn_mask'] = causal(L)
    elif kind == 'bool3d':
        m = torch.rand(HEADS, L, S) < 0.3
        m[:, :, 0] = False  # every query keeps at least one key
        masks['attn_mask'] = m
    kind = mask_kinds.get('key_padding_mask')
    if kind == 'bool':
        masks['key_padding_mask'] = padding(N, S, [S - i for i in range(N)])
    elif kind == 'float':
        masks['key_padding_mask'] = torch.randn(N, S)
    result = module(*args, key_padding_mask=masks.get('key_padding_mask'), attn_mask=masks.get('attn_mask'), **fwd)
    forward = {'needWeights': fwd.get('need_weights', True),
               'averageAttnWeights': fwd.get('average_attn_weights', True)}
    out.append(finish(name, 'MultiheadAttention', module, options, inputs, masks,
                      result if forward['needWeights'] else result[0],
                      {'embedDim': E, 'numHeads': HEADS, 'forward': forward}))


# ---- encoder and decoder layers and stacks ---------------------------------------------------------
def seq(length, batch, batch_first):
    shape = (batch, length, E) if batch_first else (length, batch, E)
    return torch.randn(*shape, requires_grad=True)


layer_options = [
    ('post-norm-relu', dict(dim_feedforward=FF, dropout=0.0)),
    ('pre-norm-gelu-batch-first', dict(dim_feedforward=FF, dropout=0.0, activation='gelu', norm_first=True,
                                       batch_first=True)),
]
for suffix, options in layer_options:
    batch_first = options.get('batch_first', False)
    # encoder layer: causal mask + key padding
    module = torch.nn.TransformerEncoderLayer(E, HEADS, **options)
    redraw(module)
    src = seq(5, 2, batch_first)
    masks = {'src_mask': causal(5), 'src_key_padding_mask': padding(2, 5, [5, 3])}
    result = module(src, src_mask=masks['src_mask'], src_key_padding_mask=masks['src_key_padding_mask'])
    out.append(finish('encoder-layer-' + suffix, 'TransformerEncoderLayer', module, options, {'src': src}, masks,
                      result, {'dModel': E, 'nhead': HEADS}))
    # decoder layer: causal target mask + memory key padding
    module = torch.nn.TransformerDecoderLayer(E, HEADS, **options)
    redraw(module)
    tgt, memory = seq(4, 2, batch_first), seq(5, 2, batch_first)
    masks = {'tgt_mask': causal(4), 'memory_key_padding_mask': padding(2, 5, [4, 5]),
             'tgt_key_padding_mask': padding(2, 4, [4, 3])}
    result = module(tgt, memory, tgt_mask=masks['tgt_mask'], tgt_key_padding_mask=masks['tgt_key_padding_mask'],
                    memory_key_padding_mask=masks['memory_key_padding_mask'])
    out.append(finish('decoder-layer-' + suffix, 'TransformerDecoderLayer', module, options,
                      {'tgt': tgt, 'memory': memory}, masks, result, {'dModel': E, 'nhead': HEADS}))

options = dict(dim_feedforward=FF, dropout=0.0)
encoder = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(E, HEADS, **options), 2,
                                      norm=torch.nn.LayerNorm(E))
redraw(encoder)
src = seq(4, 3, False)
masks = {'mask': torch.randn(4, 4), 'src_key_padding_mask': padding(3, 4, [4, 2, 3])}
result = encoder(src, mask=masks['mask'], src_key_padding_mask=masks['src_key_padding_mask'])
out.append(finish('encoder-2-layers-norm', 'TransformerEncoder', encoder, options, {'src': src}, masks, result,
                  {'dModel': E, 'nhead': HEADS, 'numLayers': 2}))

decoder = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(E, HEADS, **options), 2,
                                      norm=torch.nn.LayerNorm(E))
redraw(decoder)
tgt, memory = seq(3, 2, False), seq(4, 2, False)
masks = {'tgt_mask': causal(3), 'memory_mask': torch.rand(3, 4) < 0.25}
masks['memory_mask'][:, 0] = False
result = decoder(tgt, memory, tgt_mask=masks['tgt_mask'], memory_mask=masks['memory_mask'])
out.append(finish('decoder-2-layers-norm', 'TransformerDecoder', decoder, options, {'tgt': tgt, 'memory': memory},
                  masks, result, {'dModel': E, 'nhead': HEADS, 'numLayers': 2}))

options = dict(num_encoder_layers=1, num_decoder_layers=2, dim_feedforward=FF, dropout=0.0, batch_first=True)
transformer = torch.nn.Transformer(E, HEADS, **options)
redraw(transformer)
src, tgt = seq(5, 2, True), seq(4, 2, True)
masks = {'tgt_mask': causal(4), 'src_key_padding_mask': padding(2, 5, [5, 4]),
         'memory_key_padding_mask': padding(2, 5, [5, 4])}
result = transformer(src, tgt, tgt_mask=masks['tgt_mask'], src_key_padding_mask=masks['src_key_padding_mask'],
                     memory_key_padding_mask=masks['memory_key_padding_mask'])
out.append(finish('transformer-1-encoder-2-decoder-layers', 'Transformer', transformer, options,
                  {'src': src, 'tgt': tgt}, masks, result, {'dModel': E, 'nhead': HEADS}))

write_fixture(__file__, 'nn/transformer-fixture.ts', 'PYTORCH_TRANSFORMER', out)
