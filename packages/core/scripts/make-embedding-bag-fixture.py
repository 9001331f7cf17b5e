"""EmbeddingBag cases for embedding-bag.test.ts: torch.nn.functional.embedding_bag in float64.

Each case stores the weight, the input ids, the offsets (or none for 2-D input), the options, the
output and the gradients of the weight (and of per_sample_weights) for a fixed output weighting.
"""
import torch
import torch.nn.functional as F

from ts_fixture import write_fixture

torch.manual_seed(20261206)
torch.set_default_dtype(torch.float64)

cases = []


def add_case(name, rows, dim, ids, offsets=None, mode='mean', per_sample_weights=None, include_last_offset=False,
             padding_idx=None):
    weight = torch.randn(rows, dim, requires_grad=True)
    psw = None if per_sample_weights is None else torch.tensor(per_sample_weights, requires_grad=True)
    out = F.embedding_bag(torch.tensor(ids), weight, None if offsets is None else torch.tensor(offsets), mode=mode,
                          per_sample_weights=psw, include_last_offset=include_last_offset, padding_idx=padding_idx)
    weights = torch.linspace(-1, 1, out.numel()).reshape(out.shape)
    (out * weights).sum().backward()
    case = {
        'name': name, 'weight': weight.tolist(), 'ids': ids, 'offsets': offsets, 'mode': mode,
        'includeLastOffset': include_last_offset, 'paddingIdx': padding_idx,
        'output': out.tolist(), 'outputWeights': weights.tolist(), 'weightGradient': weight.grad.tolist(),
    }
    if psw is not None:
        case['perSampleWeights'] = per_sample_weights
        case['perSampleWeightsGradient'] = psw.grad.tolist()
    cases.append(case)


for mode in ['sum', 'mean', 'max']:
    # 2-D input: every row a bag of the same size.
    add_case(f'2-D {mode}', 7, 3, [[1, 2, 4, 1], [0, 6, 6, 3]], mode=mode)
    # 1-D input with offsets, an empty bag in the middle and repeated ids.
    add_case(f'offsets with an empty bag {mode}', 9, 4, [2, 5, 5, 1, 8, 0, 3], offsets=[0, 3, 3, 5], mode=mode)
    # include_last_offset: offsets has one more entry, the end of the last bag.
    add_case(f'includeLastOffset {mode}', 6, 2, [4, 0, 1, 1, 5], offsets=[0, 2, 5], mode=mode, include_last_offset=True)
    # padding_idx entries leave their bag (and its count); a bag of only padding gives zeros.
    add_case(f'paddingIdx {mode}', 6, 3, [2, 0, 4, 0, 0, 5, 1], offsets=[0, 3, 5], mode=mode, padding_idx=0)
add_case('per-sample weights (sum)', 8, 3, [3, 1, 7, 2, 2, 6], offsets=[0, 2, 6], mode='sum',
         per_sample_weights=[0.5, -1.0, 2.0, 0.25, 1.5, -0.75])
add_case('per-sample weights, 2-D, paddingIdx (sum)', 5, 2, [[1, 4, 0], [3, 3, 2]], mode='sum',
         per_sample_weights=[[1.5, -2.0, 3.0], [0.5, 0.25, -1.0]], padding_idx=4)

write_fixture(__file__, 'ops/embedding-bag-fixture.ts', 'PYTORCH_EMBEDDING_BAG', {'cases': cases})
