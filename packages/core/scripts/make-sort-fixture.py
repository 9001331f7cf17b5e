"""PyTorch's sort, argsort, msort, topk, kthvalue, median, nanmedian and quantile: values, indices and
gradients (of sum(values * weights)) for the cases in ../src/ops/sort.test.ts. NaN travels as the
string 'NaN', +-Infinity as 'Infinity' / '-Infinity' (JSON has neither). Indices are recorded only
where PyTorch defines them: sort(stable=True) always, the selections on inputs without ties."""
import math

import torch

from ts_fixture import write_fixture

torch.manual_seed(0)
NAN = float('nan')
INF = float('inf')
DTYPES = {'float32': torch.float32, 'float64': torch.float64, 'int32': torch.int32}


def encode(v):
    if isinstance(v, list):
        return [encode(e) for e in v]
    if isinstance(v, float):
        if math.isnan(v):
            return 'NaN'
        if math.isinf(v):
            return 'Infinity' if v > 0 else '-Infinity'
    return v


TIES = [[3.0, 1.0, -0.0, 2.0, 1.0, 0.0, NAN, -INF, 3.0, NAN, INF, 1.0],
        [0.5, -2.0, 0.5, 0.5, -2.0, 7.0, 0.0, -0.0, 0.0, -1.0, 2.5, 0.5]]
DISTINCT = [[0.3, -1.2, 2.5, 0.9, -0.4, 1.7, 3.1], [1.1, 0.2, -0.6, -2.2, 0.8, 2.9, -1.5]]
NANROWS = [[1.0, NAN, 3.0, NAN, 2.0], [4.0, 2.5, 5.0, 1.5, 3.5], [NAN, NAN, NAN, NAN, NAN]]
CUBE = (torch.arange(24, dtype=torch.float64).reshape(2, 3, 4) * 7 % 11 - 5).tolist()
INTS = [[3, -1, 3, 7, -2147483648, 2147483647, 0, -1], [5, 5, 5, 1, 1, 0, 9, -3]]

CASES = [
    # name, op, args, input, dtype, with_indices
    ('sort ties NaN -0 ascending', 'sort', {'dim': -1, 'descending': False}, TIES, 'float64', True),
    ('sort ties NaN -0 descending', 'sort', {'dim': -1, 'descending': True}, TIES, 'float64', True),
    ('sort float32 descending', 'sort', {'dim': -1, 'descending': True}, TIES, 'float32', True),
    ('sort dim 0', 'sort', {'dim': 0, 'descending': False}, TIES, 'float64', True),
    ('sort 3-D dim 1 descending', 'sort', {'dim': 1, 'descending': True}, CUBE, 'float64', True),
    ('sort int32', 'sort', {'dim': -1, 'descending': False}, INTS, 'int32', True),
    ('sort int32 descending', 'sort', {'dim': -1, 'descending': True}, INTS, 'int32', True),
    ('argsort descending', 'argsort', {'dim': -1, 'descending': True}, TIES, 'float64', True),
    ('msort', 'msort', {}, CUBE, 'float64', False),
    ('topk largest', 'topk', {'k': 3, 'dim': -1, 'largest': True}, DISTINCT, 'float64', True),
    ('topk smallest dim 0', 'topk', {'k': 1, 'dim': 0, 'largest': False}, DISTINCT, 'float64', True),
    ('topk float32', 'topk', {'k': 4, 'dim': -1, 'largest': True}, DISTINCT, 'float32', True),
    ('kthvalue', 'kthvalue', {'k': 3, 'dim': -1, 'keepdim': False}, DISTINCT, 'float64', True),
    ('kthvalue keepdim dim 0', 'kthvalue', {'k': 2, 'dim': 0, 'keepdim': True}, DISTINCT, 'float64', True),
    ('median dim', 'median', {'dim': -1, 'keepdim': False}, DISTINCT, 'float64', True),
    ('median dim NaN', 'median', {'dim': 1, 'keepdim': True}, NANROWS, 'float64', False),
    ('median all', 'median', {}, DISTINCT, 'float64', False),
    ('median int32', 'median', {}, INTS, 'int32', False),
    ('nanmedian dim', 'nanmedian', {'dim': -1, 'keepdim': False}, NANROWS, 'float64', False),
    ('nanmedian all', 'nanmedian', {}, NANROWS, 'float64', False),
]
for interpolation in ['linear', 'lower', 'higher', 'nearest', 'midpoint']:
    CASES.append(('quantile %s' % interpolation, 'quantile',
                  {'q': [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0], 'dim': -1, 'keepdim': False, 'interpolation': interpolation},
                  DISTINCT, 'float64', False))
CASES += [
    ('quantile scalar q all', 'quantile', {'q': 0.3}, DISTINCT, 'float64', False),
    ('quantile keepdim dim 0', 'quantile', {'q': [0.2, 0.6], 'dim': 0, 'keepdim': True}, DISTINCT, 'float64', False),
    ('quantile NaN row', 'quantile', {'q': 0.5, 'dim': -1}, NANROWS, 'float64', False),
    ('quantile float32', 'quantile', {'q': [0.15, 0.7], 'dim': 1}, CUBE, 'float32', False),
]


def run(op, args, x):
    a = dict(args)
    if op == 'sort':
        r = torch.sort(x, dim=a['dim'], descending=a['descending'], stable=True)
        return r.values, r.indices
    if op == 'argsort':
        r = torch.sort(x, dim=a['dim'], descending=a['descending'], stable=True)
        return None, r.indices
    if op == 'msort':
        return torch.msort(x), None
    if op == 'topk':
        r = torch.topk(x, a['k'], dim=a['dim'], largest=a['largest'])
        return r.values, r.indices
    if op == 'kthvalue':
        r = torch.kthvalue(x, a['k'], dim=a['dim'], keepdim=a['keepdim'])
        return r.values, r.indices
    if op in ('median', 'nanmedian'):
        f = torch.median if op == 'median' else torch.nanmedian
        if 'dim' not in a:
            return f(x), None
        r = f(x, dim=a['dim'], keepdim=a['keepdim'])
        return r.values, r.indices
    if op == 'quantile':
        q = torch.tensor(a['q'], dtype=x.dtype) if isinstance(a['q'], list) else a['q']
        return torch.quantile(x, q, dim=a.get('dim'), keepdim=a.get('keepdim', False),
                              interpolation=a.get('interpolation', 'linear')), None
    raise ValueError(op)


cases = []
for name, op, args, data, dtype, with_indices in CASES:
    x = torch.tensor(data, dtype=DTYPES[dtype])
    floating = x.is_floating_point()
    if floating:
        x.requires_grad_(True)
    values, indices = run(op, args, x)
    case = {'name': name, 'op': op, 'args': args, 'dtype': dtype, 'input': encode(data)}
    if values is not None:
        case['values'] = encode(values.detach().double().tolist())
        if floating:
            weights = torch.randn(values.shape, dtype=torch.float64)
            (values * weights.to(values.dtype)).sum().backward()
            case['weights'] = weights.tolist()
            case['gradient'] = encode(x.grad.double().tolist())
    if with_indices and indices is not None:
        case['indices'] = indices.tolist()
    cases.append(case)

write_fixture(__file__, 'ops/sort-fixture.ts', 'SORT_FIXTURE', cases)
