#!/usr/bin/env python3
"""Writes src/ops/tensor-math-fixture.ts: torch's products and scans (prod, cumprod, logcumsumexp,
cummax, cummin), NaN-aware and elementwise utilities (nansum, nanmean, logaddexp, hypot, lerp,
nan_to_num, isnan/isinf/isposinf/isneginf, xlogy), cdist, matrix and shape utilities (tril, triu,
diag, diagonal, diag_embed, trace, outer, kron, roll, unbind, meshgrid, diff, linalg.cross,
cartesian_prod) and einsum, in float64: each case's inputs, output and the gradient of every float
input for the loss sum(output * w) with fixed weights w; int32 and bool cases carry values only.
Also linspace / logspace in float32 (bit for bit), float64 and int32.

Run once (Debian's python3-torch; this was torch 1.13) and commit its output; the tests read the
fixture and never call Python:

    /usr/bin/python3 packages/core/scripts/make-tensor-math-fixture.py
"""

import math

import torch
import torch.nn.functional as F
from ts_fixture import write_fixture

torch.set_default_dtype(torch.float64)
torch.manual_seed(20261206)

inf, nan = math.inf, math.nan


def r(*shape):
    return torch.randn(*shape)


def ints(values):
    return torch.tensor(values, dtype=torch.int32)


x34 = r(3, 4)
zeros_rows = torch.tensor([[0.5, 0.0, -2.0, 1.5], [0.0, 3.0, 0.0, -1.0], [1.2, -0.7, 2.0, 0.9]])
signed = torch.tensor([[2.0, -1.5, 0.0, 3.0, -0.5, 1.25], [-1.0, 0.0, 0.0, 2.0, 0.5, -2.0], [0.7, 1.3, -0.9, 1.1, -1.2, 0.8]])
ties = torch.tensor([[1.0, 3.0, 3.0, 2.0, 5.0, 5.0], [4.0, -1.0, 4.0, 6.0, 0.0, 6.0]])
with_nan = torch.tensor([[0.5, nan, -1.0, 2.0], [nan, nan, nan, nan], [1.5, -0.5, nan, 0.25]])
special = torch.tensor([[0.5, nan, inf, -2.0], [-inf, 1.0, nan, inf]])
x_zero = torch.tensor([[0.0, 1.5, -2.0], [0.0, 0.0, 3.0]])
y_pos = torch.tensor([[2.0, 0.5, 1.5], [0.0, 3.0, 0.7]])
near_dup = r(2, 3, 4)
other_rows = r(2, 5, 4)
other_rows[0, 2] = near_dup[0, 1]  # a zero distance: its gradient is 0

# name, op (as the test calls it), arguments, inputs, function of the inputs
cases = [
    ('prod dim 1', 'prod', {'dim': 1}, [x34], lambda x: torch.prod(x, 1)),
    ('prod of all elements', 'prod', {}, [x34 * 0.8], lambda x: torch.prod(x)),
    ('prod dim -1 keepdim, zeros in the input', 'prod', {'dim': -1, 'keepdim': True}, [zeros_rows],
     lambda x: torch.prod(x, -1, keepdim=True)),
    ('prod dim 0 of length 5', 'prod', {'dim': 0}, [r(5, 2, 3)], lambda x: torch.prod(x, 0)),
    ('prod over an empty axis', 'prod', {'dim': 1}, [torch.zeros(2, 0)], lambda x: torch.prod(x, 1)),
    ('prod int32', 'prod', {'dim': 1}, [ints([[1, 2, 3], [-2, 0, 4], [5, -1, -3]])], lambda x: torch.prod(x, 1)),
    ('cumprod dim 1, zeros and negatives', 'cumprod', {'dim': 1}, [signed], lambda x: torch.cumprod(x, 1)),
    ('cumprod dim -3', 'cumprod', {'dim': -3}, [r(5, 2, 3)], lambda x: torch.cumprod(x, -3)),
    ('cumprod int32', 'cumprod', {'dim': 0}, [ints([[1, 2], [-3, 0], [2, 5], [4, 1]])], lambda x: torch.cumprod(x, 0)),
    ('logcumsumexp dim 1', 'logcumsumexp', {'dim': 1}, [x34], lambda x: torch.logcumsumexp(x, 1)),
    ('logcumsumexp of large values, dim 0', 'logcumsumexp', {'dim': 0},
     [torch.tensor([[800.0, -700.0], [799.0, -650.0], [-5.0, -701.0], [801.5, 0.0], [3.0, -900.0]])],
     lambda x: torch.logcumsumexp(x, 0)),
    ('cummax dim 1 with ties', 'cummax', {'dim': 1}, [ties], lambda x: torch.cummax(x, 1)),
    ('cummin dim 1 with ties', 'cummin', {'dim': 1}, [ties], lambda x: torch.cummin(x, 1)),
    ('cummax dim 0 of 3-D', 'cummax', {'dim': 0}, [r(4, 2, 3)], lambda x: torch.cummax(x, 0)),
    ('cummin int32 dim -1', 'cummin', {'dim': -1}, [ints([[3, 1, 1, 4, -2, 0], [0, 0, -5, 2, -5, 7]])],
     lambda x: torch.cummin(x, -1)),
    ('nansum of all elements', 'nansum', {}, [with_nan], lambda x: torch.nansum(x)),
    ('nansum dim 0', 'nansum', {'dim': 0}, [with_nan], lambda x: torch.nansum(x, 0)),
    # Not the all-NaN row: PyTorch's gradient there is NaN (0 times 1/0), Myelin's 0 (see the test).
    ('nanmean dim 1 keepdim', 'nanmean', {'dim': 1, 'keepdim': True}, [with_nan[[0, 2]]],
     lambda x: torch.nanmean(x, 1, keepdim=True)),
    ('nanmean dims [0, 1]', 'nanmean', {'dim': [0, 1]}, [with_nan], lambda x: torch.nanmean(x, (0, 1))),
    ('logaddexp broadcasting', 'logaddexp', {}, [r(3, 4) * 3, r(4) * 3], torch.logaddexp),
    ('logaddexp far apart', 'logaddexp', {}, [torch.tensor([1000.0, -1000.0, 0.0]), torch.tensor([0.0, -999.0, 0.0])],
     torch.logaddexp),
    ('hypot', 'hypot', {}, [r(3, 4), r(3, 4)], torch.hypot),
    ('hypot of huge and tiny values', 'hypot', {},
     [torch.tensor([3e200, 1e-300, 0.0, -2.0]), torch.tensor([4e200, 1e-300, 5.0, 0.0])], torch.hypot),
    ('lerp tensor weight either side of 0.5', 'lerp', {}, [r(2, 3), r(2, 3), torch.tensor([[0.1, 0.5, 0.9], [1.0, -0.5, 1.7]])],
     torch.lerp),
    ('lerp number weight 0.3', 'lerp', {'weight': 0.3}, [r(2, 3), r(2, 3)], lambda a, b: torch.lerp(a, b, 0.3)),
    ('lerp number weight 0.75', 'lerp', {'weight': 0.75}, [r(2, 3), r(3)], lambda a, b: torch.lerp(a, b, 0.75)),
    ('nanToNum defaults', 'nanToNum', {}, [special], lambda x: torch.nan_to_num(x)),
    ('nanToNum given values', 'nanToNum', {'nan': 1.5, 'posinf': 9, 'neginf': -8}, [special],
     lambda x: torch.nan_to_num(x, nan=1.5, posinf=9.0, neginf=-8.0)),
    ('isNaN', 'isNaN', {}, [special], torch.isnan),
    ('isInf', 'isInf', {}, [special], torch.isinf),
    ('isPosInf', 'isPosInf', {}, [special], torch.isposinf),
    ('isNegInf', 'isNegInf', {}, [special], torch.isneginf),
    ('xlogy with zeros in x and y', 'xlogy', {}, [x_zero, y_pos], torch.xlogy),
    ('xlogy number y', 'xlogy', {'y': 2.5}, [x_zero], lambda x: torch.xlogy(x, 2.5)),
    ('cdist p 2, batched, a zero distance', 'cdist', {'p': 2}, [near_dup, other_rows], lambda a, b: torch.cdist(a, b)),
    ('cdist p 1', 'cdist', {'p': 1}, [near_dup, other_rows], lambda a, b: torch.cdist(a, b, p=1)),
    ('cdist p 3', 'cdist', {'p': 3}, [near_dup, other_rows], lambda a, b: torch.cdist(a, b, p=3)),
    ('cdist p 0.5', 'cdist', {'p': 0.5}, [r(3, 2), r(4, 2)], lambda a, b: torch.cdist(a, b, p=0.5)),
    ('cdist p inf', 'cdist', {'p': 'Infinity'}, [r(3, 4), r(2, 4)], lambda a, b: torch.cdist(a, b, p=inf)),
    ('cdist p 0', 'cdist', {'p': 0}, [near_dup, other_rows], lambda a, b: torch.cdist(a, b, p=0)),
    ('tril diagonal 1', 'tril', {'diagonal': 1}, [x34], lambda x: torch.tril(x, 1)),
    ('triu diagonal -1, batched', 'triu', {'diagonal': -1}, [r(2, 3, 4)], lambda x: torch.triu(x, -1)),
    ('tril int32', 'tril', {'diagonal': 0}, [ints([[1, 2, 3], [4, 5, 6]])], torch.tril),
    ('diag of a vector, offset 1', 'diag', {'diagonal': 1}, [r(3)], lambda x: torch.diag(x, 1)),
    ('diag of a vector, offset -2', 'diag', {'diagonal': -2}, [r(2)], lambda x: torch.diag(x, -2)),
    ('diag of a matrix, offset -1', 'diag', {'diagonal': -1}, [x34], lambda x: torch.diag(x, -1)),
    ('diagonal offset 1 of dims 2 and 0', 'diagonal', {'offset': 1, 'dim1': 2, 'dim2': 0}, [r(3, 2, 4)],
     lambda x: torch.diagonal(x, 1, 2, 0)),
    ('diagonal offset -1 of dims -2, -1', 'diagonal', {'offset': -1, 'dim1': -2, 'dim2': -1}, [r(2, 3, 4)],
     lambda x: torch.diagonal(x, -1, -2, -1)),
    ('diagonal past the matrix is empty', 'diagonal', {'offset': 5, 'dim1': 0, 'dim2': 1}, [x34],
     lambda x: torch.diagonal(x, 5)),
    ('diagEmbed offset 1 into dims 0 and 2', 'diagEmbed', {'offset': 1, 'dim1': 0, 'dim2': 2}, [r(2, 3)],
     lambda x: torch.diag_embed(x, 1, 0, 2)),
    ('diagEmbed offset -1 into dims 2 and 0', 'diagEmbed', {'offset': -1, 'dim1': 2, 'dim2': 0}, [r(2, 3)],
     lambda x: torch.diag_embed(x, -1, 2, 0)),
    ('trace', 'trace', {}, [x34], torch.trace),
    ('outer', 'outer', {}, [r(3), r(4)], torch.outer),
    ('kron of matrices', 'kron', {}, [r(2, 3), r(2, 2)], torch.kron),
    ('kron of a vector and a matrix', 'kron', {}, [r(3), r(2, 2)], torch.kron),
    ('roll flattened', 'roll', {'shifts': 5}, [x34], lambda x: torch.roll(x, 5)),
    ('roll shifts [1, -2] dims [0, 1]', 'roll', {'shifts': [1, -2], 'dims': [0, 1]}, [x34],
     lambda x: torch.roll(x, (1, -2), (0, 1))),
    ('roll by more than the length, dim -1', 'roll', {'shifts': 7, 'dims': -1}, [r(2, 3)],
     lambda x: torch.roll(x, 7, -1)),
    ('unbind dim 1, pieces weighted and stacked', 'unbind', {'dim': 1}, [x34],
     lambda x: torch.stack([p * (i + 1) for i, p in enumerate(torch.unbind(x, 1))])),
    ('meshgrid ij, stacked', 'meshgrid', {'indexing': 'ij'}, [r(2), r(3), r(4)],
     lambda *t: torch.stack(torch.meshgrid(*t, indexing='ij'))),
    ('meshgrid xy, stacked', 'meshgrid', {'indexing': 'xy'}, [r(2), r(3), r(4)],
     lambda *t: torch.stack(torch.meshgrid(*t, indexing='xy'))),
    ('cartesianProd', 'cartesianProd', {}, [r(2), r(3), r(2)], torch.cartesian_prod),
    ('diff', 'diff', {}, [x34], torch.diff),
    ('diff n 2 dim 0 with prepend and append', 'diff', {'n': 2, 'dim': 0}, [x34, r(1, 4), r(2, 4)],
     lambda x, p, a: torch.diff(x, n=2, dim=0, prepend=p, append=a)),
    ('diff n beyond the length is empty', 'diff', {'n': 5}, [x34], lambda x: torch.diff(x, n=5)),
    ('diff int32', 'diff', {}, [ints([[1, 4, 9, 16], [2, 2, -1, 5]])], torch.diff),
    ('diff bool', 'diff', {}, [torch.tensor([True, True, False, True, False])], torch.diff),
    ('cross broadcasting, dim -1', 'cross', {}, [r(4, 3), r(1, 3)], lambda a, b: torch.linalg.cross(a, b)),
    ('cross dim 0', 'cross', {'dim': 0}, [r(3, 2), r(3, 2)], lambda a, b: torch.linalg.cross(a, b, dim=0)),
]

einsums = [
    ('ij,jk->ik', [r(2, 3), r(3, 4)]),
    ('bij,bjk->bik', [r(2, 2, 3), r(2, 3, 4)]),
    ('ii->i', [r(3, 3)]),
    ('ii', [r(3, 3)]),
    ('ij->', [r(2, 3)]),
    ('i,j', [r(2), r(3)]),
    ('ba', [r(2, 3)]),
    ('i,i', [r(4), r(4)]),
    ('ij,ij->ij', [r(2, 3), r(2, 3)]),
    ('...ij,...jk', [r(2, 1, 3, 4), r(5, 4, 2)]),
    ('i...->...', [r(3, 2, 4)]),
    ('...j,...j->...', [r(3, 1, 4), r(2, 4)]),
    ('bn,anm,bm->ba', [r(2, 3), r(4, 3, 5), r(2, 5)]),
    ('iij,jk->ik', [r(3, 3, 2), r(2, 4)]),
    ('Ba,aC', [r(2, 3), r(3, 4)]),
    ('b i j , b j -> i', [r(2, 3, 4), r(2, 4)]),
    ('abc,cd,bd->ad', [r(2, 3, 4), r(4, 5), r(3, 5)]),
]
einsums += [
    ('ij,jk->ik', [ints([[1, -2, 3], [0, 4, -1]]), ints([[2, 1], [-3, 0], [1, 5]])]),
    ('bii,bi->b', [ints([[[1, 2], [3, 4]], [[-1, 0], [2, 5]]]), ints([[3, -1], [2, 2]])]),
]
for equation, operands in einsums:
    dtype = ' int32' if operands[0].dtype == torch.int32 else ''
    cases.append(('einsum ' + equation + dtype, 'einsum', {'equation': equation}, operands,
                  lambda *t, equation=equation: torch.einsum(equation, *t)))

# F.normalize (appended last, with literal inputs: the random draws of the cases above are unchanged).
with_zero_row = torch.tensor([[0.5, -1.5, 2.0], [0.0, 0.0, 0.0], [3.0, 0.25, -0.75], [1e-14, -2e-14, 0.0]])
cases += [
    ('normalize p 2 dim 1, a zero row and a row below eps', 'normalize', {}, [with_zero_row],
     lambda x: F.normalize(x)),
    ('normalize p 1 dim 0', 'normalize', {'p': 1, 'dim': 0}, [with_zero_row[:3]], lambda x: F.normalize(x, p=1, dim=0)),
    ('normalize p 3 dim -1, eps 0.5', 'normalize', {'p': 3, 'dim': -1, 'eps': 0.5},
     [torch.tensor([[[0.1, 0.2], [1.5, -2.0]], [[0.3, -0.1], [4.0, 1.0]]])], lambda x: F.normalize(x, p=3, dim=-1, eps=0.5)),
    # NaN in a running extreme: it wins and stays, indexed by the latest NaN.
    ('cummax with NaN', 'cummax', {'dim': 0}, [torch.tensor([1.0, nan, 0.0, 3.0, nan, 5.0])], lambda x: torch.cummax(x, 0)),
    ('cummin with NaN, dim 1', 'cummin', {'dim': 1}, [torch.tensor([[1.0, nan, 0.0, 3.0], [2.0, -1.0, nan, -4.0]])],
     lambda x: torch.cummin(x, 1)),
    # lerp picks its formula by |weight| < 0.5: weights at and beyond -0.5.
    ('lerp tensor weights below -0.5', 'lerp', {},
     [torch.tensor([[1.5, -2.25, 0.1]]), torch.tensor([[3.0, 0.5, -7.3]]), torch.tensor([[-0.5, -0.7, -1.3]])], torch.lerp),
    ('xlogy 0 * log of values below 1 is +0', 'xlogy', {},
     [torch.tensor([0.0, 0.0, 2.0]), torch.tensor([0.5, 0.25, 0.5])], torch.xlogy),
]

out = []
for name, op, args, inputs, fn in cases:
    inputs = [t.clone().requires_grad_(t.is_floating_point()) for t in inputs]
    result = fn(*inputs)
    indices = None
    if isinstance(result, tuple):  # cummax / cummin: (values, indices)
        result, indices = result.values, result.indices.to(torch.int32)
    entry = {'name': name, 'op': op, 'args': args, 'inputs': [t.tolist() for t in inputs],
             'dtypes': [str(t.dtype).replace('torch.', '') for t in inputs], 'shape': list(result.shape)}
    floats = [t for t in inputs if t.requires_grad]
    if result.is_floating_point() and floats and result.requires_grad:
        w = torch.randn(result.shape)
        grads = torch.autograd.grad((result * w).nansum(), floats, allow_unused=True)
        entry['weights'] = w.tolist()
        entry['gradients'] = [g.tolist() if g is not None else None for g in grads]
    entry['output'] = result.detach().tolist() if result.dtype != torch.bool else result.to(torch.int32).tolist()
    if indices is not None:
        entry['indices'] = indices.tolist()
    out.append(entry)



def float32s(t):
    """Each float32 as its shortest decimal (which reads back as that float32 and no other), not
    the double's 17 digits, which eslint's no-loss-of-precision misreads at ties."""
    return [float(str(v)) for v in t.numpy()]


# Creation: float32 results are compared bit for bit (the test rounds each decimal to float32).
spacings = []
for start, end, steps in [(0, 1, 7), (-3.3, 11.7, 100), (0.1, 0.9, 33), (1e-3, 7.5, 1001), (5, -2, 17),
                          (-1, 1, 1000), (2.5, 2.5, 4), (3, 9, 1), (0, 1, 0), (-1, 1, 48), (0.3, 0.7, 40)]:
    spacings.append({'op': 'linspace', 'start': start, 'end': end, 'steps': steps, 'dtype': 'float32',
                     'values': float32s(torch.linspace(start, end, steps, dtype=torch.float32))})
for start, end, steps in [(-3.3, 11.7, 100), (0.1, 0.9, 33)]:
    spacings.append({'op': 'linspace', 'start': start, 'end': end, 'steps': steps, 'dtype': 'float64',
                     'values': torch.linspace(start, end, steps, dtype=torch.float64).tolist()})
spacings.append({'op': 'linspace', 'start': -4, 'end': 9, 'steps': 6, 'dtype': 'int32',
                 'values': torch.linspace(-4, 9, 6, dtype=torch.int32).tolist()})
for start, end, steps, base in [(0, 1, 7, 10), (-3, 2, 100, 10), (-2, 3, 1001, 10), (1, -1, 17, 2.5),
                                (-5, 5, 333, 10), (0, 3, 77, math.e), (2, 2, 1, 10), (-1.5, 2.25, 50, 3)]:
    spacings.append({'op': 'logspace', 'start': start, 'end': end, 'steps': steps, 'base': base, 'dtype': 'float32',
                     'values': float32s(torch.logspace(start, end, steps, base=base, dtype=torch.float32))})
spacings.append({'op': 'logspace', 'start': -2, 'end': 3, 'steps': 21, 'base': 10, 'dtype': 'float64',
                 'values': torch.logspace(-2, 3, 21, dtype=torch.float64).tolist()})
# A float32 logspace that lands one unit in the last place away (see the test): kept to show it.
spacings.append({'op': 'logspace', 'start': 0.1, 'end': 0.9, 'steps': 33, 'base': 2, 'dtype': 'float32',
                 'values': float32s(torch.logspace(0.1, 0.9, 33, base=2, dtype=torch.float32))})

write_fixture(__file__, 'ops/tensor-math-fixture.ts', 'PYTORCH_TENSOR_MATH', {'cases': out, 'spacings': spacings})
