#!/usr/bin/env python3
"""Writes src/ops/tensor-functions-fixture.ts: torch's everyday tensor functions that Myelin composes
from its primitives (ops/products.ts, indexing.ts, shapes.ts, elementwise-extra.ts), in float64:
each case's inputs, output and the gradient of every float input for the loss sum(output * w) with
fixed weights w; int32 and bool cases carry values only.

Run once (Debian's python3-torch; this was torch 1.13) and commit its output; the tests read the
fixture and never call Python:

    /usr/bin/python3 packages/core/scripts/make-tensor-functions-fixture.py
"""

import torch
from ts_fixture import write_fixture

torch.set_default_dtype(torch.float64)
torch.manual_seed(20261206)


def r(*shape):
    return torch.randn(*shape)


def ints(values):
    return torch.tensor(values, dtype=torch.int32)


def longs(t):
    return t.long() if isinstance(t, torch.Tensor) else torch.tensor(t)


# name, op (as the test calls it), arguments, inputs, function of the inputs
products = [
    ('mm', 'mm', {}, [r(2, 3), r(3, 4)], torch.mm),
    ('bmm', 'bmm', {}, [r(2, 2, 3), r(2, 3, 4)], torch.bmm),
    ('mv', 'mv', {}, [r(3, 4), r(4)], torch.mv),
    ('dot', 'dot', {}, [r(5), r(5)], torch.dot),
    ('vdot', 'vdot', {}, [r(3), r(3)], torch.vdot),
    ('inner of 3-D and 2-D', 'inner', {}, [r(2, 3, 4), r(5, 4)], torch.inner),
    ('inner with a 0-D tensor', 'inner', {}, [r(2, 3), torch.tensor(1.5)], torch.inner),
    ('tensordot dims 2', 'tensordot', {'dims': 2}, [r(2, 3, 4), r(3, 4, 5)], lambda a, b: torch.tensordot(a, b, 2)),
    ('tensordot dims 0 (outer)', 'tensordot', {'dims': 0}, [r(2, 3), r(2)], lambda a, b: torch.tensordot(a, b, 0)),
    ('tensordot axis lists', 'tensordot', {'dims': [[0, 2], [2, -3]]}, [r(3, 2, 4), r(4, 5, 3)],
     lambda a, b: torch.tensordot(a, b, ([0, 2], [2, -3]))),
    ('addmm defaults, broadcast bias', 'addmm', {}, [r(4), r(2, 3), r(3, 4)], torch.addmm),
    ('addmm beta 0.5 alpha -2', 'addmm', {'beta': 0.5, 'alpha': -2}, [r(2, 4), r(2, 3), r(3, 4)],
     lambda i, a, b: torch.addmm(i, a, b, beta=0.5, alpha=-2)),
    ('addmm beta 0 ignores NaN in input', 'addmm', {'beta': 0}, [torch.tensor([[float('nan'), 1.0]]), r(3, 2), r(2, 2)],
     lambda i, a, b: torch.addmm(i, a, b, beta=0)),
    ('baddbmm alpha 0.5', 'baddbmm', {'alpha': 0.5}, [r(1, 2, 4), r(3, 2, 3), r(3, 3, 4)],
     lambda i, a, b: torch.baddbmm(i, a, b, alpha=0.5)),
    ('addbmm beta 2', 'addbmm', {'beta': 2}, [r(2, 4), r(3, 2, 3), r(3, 3, 4)],
     lambda i, a, b: torch.addbmm(i, a, b, beta=2)),
    ('addmv beta 0.5 alpha 3', 'addmv', {'beta': 0.5, 'alpha': 3}, [r(3), r(3, 4), r(4)],
     lambda i, a, b: torch.addmv(i, a, b, beta=0.5, alpha=3)),
    ('addr alpha -1', 'addr', {'alpha': -1}, [r(3, 4), r(3), r(4)], lambda i, a, b: torch.addr(i, a, b, alpha=-1)),
    ('addcmul value 0.5, broadcasting', 'addcmul', {'value': 0.5}, [r(2, 3), r(3), r(2, 1)],
     lambda i, a, b: torch.addcmul(i, a, b, value=0.5)),
    ('addcdiv value -2', 'addcdiv', {'value': -2}, [r(2, 3), r(2, 3), r(2, 3).abs() + 0.5],
     lambda i, a, b: torch.addcdiv(i, a, b, value=-2)),
]

L = torch.long
bools = lambda v: torch.tensor(v, dtype=torch.bool)
idx_dup = ints([2, 0, 2, 3])
gidx = ints([[0, 2, 1, 0], [1, 1, 0, 2], [2, 0, 0, 1]])
sidx = ints([[0, 2, 0], [1, 1, 1]])
sidx_ties = ints([[0, 0, 1, 0], [2, 2, 2, 1]])
ties_src = torch.tensor([[1.0, 1.0, -0.5, 0.25], [2.0, 2.0, 0.0, -3.0]])
indexing = [
    ('indexAdd dim 1, a repeated index, alpha 2', 'indexAdd', {'dim': 1, 'alpha': 2}, [r(3, 4), idx_dup, r(3, 4)],
     lambda x, i, s: torch.index_add(x, 1, i.to(L), s, alpha=2)),
    ('indexCopy dim 0', 'indexCopy', {'dim': 0}, [r(4, 3), ints([3, 0]), r(2, 3)],
     lambda x, i, s: torch.index_copy(x, 0, i.to(L), s)),
    ('indexFill dim -1', 'indexFill', {'dim': -1, 'value': -1.5}, [r(2, 4), ints([1, 3])],
     lambda x, i: torch.index_fill(x, -1, i.to(L), -1.5)),
    ('indexPut two index tensors, broadcast values', 'indexPut', {'accumulate': False}, [r(3, 4, 2), ints([0, 2, 1]), ints([3, 0, 0]), r(2)],
     lambda x, i, j, v: torch.index_put(x, (i.to(L), j.to(L)), v)),
    ('indexPut accumulate with repeats', 'indexPut', {'accumulate': True}, [r(4, 3), ints([1, 3, 1]), r(3, 3)],
     lambda x, i, v: torch.index_put(x, (i.to(L),), v, accumulate=True)),
    ('scatter src dim 1', 'scatter', {'dim': 1}, [r(3, 5), ints([[4, 0, 2], [1, 3, 0], [2, 4, 1]]), r(3, 3)],
     lambda x, i, s: torch.scatter(x, 1, i.to(L), s)),
    ('scatter a value dim 0', 'scatter', {'dim': 0, 'value': 2.5}, [r(3, 4), ints([[2, 0, 1, 1]])],
     lambda x, i: torch.scatter(x, 0, i.to(L), 2.5)),
    ('scatter reduce add dim 0, repeats', 'scatter', {'dim': 0, 'reduce': 'add'}, [r(3, 4), gidx, r(3, 4)],
     lambda x, i, s: torch.scatter(x, 0, i.to(L), s, reduce='add').detach()),  # torch 1.13 has no gradient here
    ('scatter reduce multiply dim 1, repeats', 'scatter', {'dim': 1, 'reduce': 'multiply'}, [r(2, 3), sidx, r(2, 3)],
     lambda x, i, s: torch.scatter(x, 1, i.to(L), s, reduce='multiply').detach()),
    ('scatterReduce sum, without self', 'scatterReduce', {'dim': 1, 'reduce': 'sum', 'includeSelf': False}, [r(2, 3), sidx, r(2, 3)],
     lambda x, i, s: torch.scatter_reduce(x, 1, i.to(L), s, 'sum', include_self=False)),
    ('scatterReduce prod with self and a zero', 'scatterReduce', {'dim': 1, 'reduce': 'prod'}, [r(2, 3), sidx, torch.tensor([[0.5, 0.0, -2.0], [1.5, -1.0, 0.7]])],
     lambda x, i, s: torch.scatter_reduce(x, 1, i.to(L), s, 'prod')),
    ('scatterReduce mean with self', 'scatterReduce', {'dim': 1, 'reduce': 'mean'}, [r(2, 3), sidx, r(2, 3)],
     lambda x, i, s: torch.scatter_reduce(x, 1, i.to(L), s, 'mean')),
    ('scatterReduce mean without self', 'scatterReduce', {'dim': 1, 'reduce': 'mean', 'includeSelf': False}, [r(2, 3), sidx, r(2, 3)],
     lambda x, i, s: torch.scatter_reduce(x, 1, i.to(L), s, 'mean', include_self=False)),
    ('scatterReduce amax with self, ties', 'scatterReduce', {'dim': 1, 'reduce': 'amax'}, [torch.tensor([[1.0, 0.25, 3.0], [2.0, -1.0, 0.0]]), sidx_ties, ties_src],
     lambda x, i, s: torch.scatter_reduce(x, 1, i.to(L), s, 'amax')),
    ('scatterReduce amin without self, ties', 'scatterReduce', {'dim': 1, 'reduce': 'amin', 'includeSelf': False}, [r(2, 3), sidx_ties, ties_src],
     lambda x, i, s: torch.scatter_reduce(x, 1, i.to(L), s, 'amin', include_self=False)),
    ('scatterReduce amax dim 0, index shorter than x', 'scatterReduce', {'dim': 0, 'reduce': 'amax'}, [r(3, 4), ints([[2, 0], [2, 1]]), r(2, 2)],
     lambda x, i, s: torch.scatter_reduce(x, 0, i.to(L), s, 'amax')),
    ('maskedScatter broadcast mask', 'maskedScatter', {}, [r(2, 3), bools([True, False, True]), r(5)],
     lambda x, m, s: torch.masked_scatter(x, m, s)),
    ('takeAlongDim dim 1 broadcasting', 'takeAlongDim', {'dim': 1}, [r(3, 4), ints([[0, 3], [2, 2], [1, 0]])],
     lambda x, i: torch.take_along_dim(x, i.to(L), 1)),
    ('takeAlongDim flat', 'takeAlongDim', {}, [r(2, 3), ints([5, 0, 5])], lambda x, i: torch.take_along_dim(x, i.to(L))),
    ('take with a negative index', 'take', {}, [r(3, 4), ints([[0, -1], [7, 7]])], lambda x, i: torch.take(x, i.to(L))),
    ('narrow dim 1, negative start', 'narrow', {'dim': 1, 'start': -3, 'length': 2}, [r(2, 4)], lambda x: torch.narrow(x, 1, -3, 2)),
    ('select dim 0, negative index', 'select', {'dim': 0, 'index': -1}, [r(3, 2)], lambda x: torch.select(x, 0, -1)),
    ('repeatInterleave a number, flattened', 'repeatInterleave', {'repeats': 2}, [r(2, 2)], lambda x: torch.repeat_interleave(x, 2)),
    ('repeatInterleave a tensor of counts, dim 1', 'repeatInterleave', {'dim': 1}, [r(2, 3), ints([1, 0, 3])],
     lambda x, k: torch.repeat_interleave(x, k.to(L), dim=1)),
    ('scatterReduce prod int32', 'scatterReduce', {'dim': 1, 'reduce': 'prod'}, [ints([[1, 2, 3], [4, 5, 6]]), sidx, ints([[2, -1, 3], [2, 2, -2]])],
     lambda x, i, s: torch.scatter_reduce(x, 1, i.to(L), s, 'prod')),
]


def vander(x, n, increasing):
    """torch.vander's values; its gradient in torch 1.13 fails (an in-place cumprod), so the gradient
    is that of the same powers as torch.pow, whose derivative of x^0 is 0."""
    powers = range(n) if increasing else range(n - 1, -1, -1)
    out = torch.stack([x ** p for p in powers], 1)
    assert torch.equal(out.detach(), torch.vander(x.detach(), n, increasing))
    return out


shapes = [
    ('movedim lists', 'movedim', {'source': [0, -1], 'destination': [2, 0]}, [r(2, 3, 4, 1)],
     lambda x: torch.movedim(x, (0, -1), (2, 0))),
    ('moveaxis one axis', 'moveaxis', {'source': 1, 'destination': -1}, [r(2, 3, 4)], lambda x: torch.moveaxis(x, 1, -1)),
    ('atleast3d of a vector', 'atleast3d', {}, [r(3)], torch.atleast_3d),
    ('atleast2d of a scalar', 'atleast2d', {}, [torch.tensor(1.5)], torch.atleast_2d),
    ('broadcastTensors, stacked', 'broadcastTensors', {}, [r(2, 1), r(3)], lambda a, b: torch.stack(torch.broadcast_tensors(a, b))),
    ('hstack of vectors', 'hstack', {}, [r(2), r(3)], lambda a, b: torch.hstack((a, b))),
    ('hstack of matrices', 'hstack', {}, [r(2, 1), r(2, 3)], lambda a, b: torch.hstack((a, b))),
    ('vstack of a vector and a matrix', 'vstack', {}, [r(3), r(2, 3)], lambda a, b: torch.vstack((a, b))),
    ('dstack', 'dstack', {}, [r(2, 3), r(2, 3, 2)], lambda a, b: torch.dstack((a, b))),
    ('columnStack', 'columnStack', {}, [r(3), r(3, 2)], lambda a, b: torch.column_stack((a, b))),
    ('tensorSplit 3 sections of 7, weighted and joined', 'tensorSplit', {'sections': 3, 'dim': 1}, [r(2, 7)],
     lambda x: torch.cat([p * (i + 1) for i, p in enumerate(torch.tensor_split(x, 3, dim=1))], 1)),
    ('tensorSplit at indices, negative and past the end', 'tensorSplit', {'indices': [1, -2, 9], 'dim': 0}, [r(5, 2)],
     lambda x: torch.cat([p * (i + 1) for i, p in enumerate(torch.tensor_split(x, [1, -2, 9], dim=0))], 0)),
    ('hsplit 2 sections', 'hsplit', {'sections': 2}, [r(2, 4)],
     lambda x: torch.cat([p * (i + 1) for i, p in enumerate(torch.hsplit(x, 2))], 1)),
    ('vsplit at indices', 'vsplit', {'indices': [1]}, [r(3, 2)],
     lambda x: torch.cat([p * (i + 1) for i, p in enumerate(torch.vsplit(x, [1]))], 0)),
    ('dsplit 2 sections', 'dsplit', {'sections': 2}, [r(1, 2, 4)],
     lambda x: torch.cat([p * (i + 1) for i, p in enumerate(torch.dsplit(x, 2))], 2)),
    ('fliplr', 'fliplr', {}, [r(2, 3)], torch.fliplr),
    ('flipud', 'flipud', {}, [r(3, 2)], torch.flipud),
    ('rot90 k 1', 'rot90', {'k': 1, 'dims': [0, 1]}, [r(2, 3)], lambda x: torch.rot90(x, 1, [0, 1])),
    ('rot90 k -1 dims [2, 0]', 'rot90', {'k': -1, 'dims': [2, 0]}, [r(2, 3, 4)], lambda x: torch.rot90(x, -1, [2, 0])),
    ('rot90 k 2', 'rot90', {'k': 2, 'dims': [0, 1]}, [r(2, 3)], lambda x: torch.rot90(x, 2, [0, 1])),
    ('blockDiag of a matrix, a vector and a scalar', 'blockDiag', {}, [r(2, 2), r(3), torch.tensor(0.5)], torch.block_diag),
    ('diagflat offset -1', 'diagflat', {'offset': -1}, [r(2, 2)], lambda x: torch.diagflat(x, -1)),
    ('trilIndices 3 x 4 offset 1', 'trilIndices', {'row': 3, 'col': 4, 'offset': 1}, [],
     lambda: torch.tril_indices(3, 4, 1).to(torch.int32)),
    ('triuIndices 4 x 3 offset -1', 'triuIndices', {'row': 4, 'col': 3, 'offset': -1}, [],
     lambda: torch.triu_indices(4, 3, -1).to(torch.int32)),
    ('vander with a zero', 'vander', {}, [torch.tensor([0.0, 1.5, -2.0])], lambda x: vander(x, 3, False)),
    ('vander n 4 increasing', 'vander', {'n': 4, 'increasing': True}, [r(3)], lambda x: vander(x, 4, True)),
]

nan, inf = float('nan'), float('inf')
signs_a = torch.tensor([5.5, -5.5, 5.5, -5.5, 0.3, -7.0, 1e-3, 2.0])
signs_b = torch.tensor([2.0, 2.0, -2.0, -2.0, 0.1, 3.5, 0.7, -0.3])
ints_a = ints([7, -7, 7, -7, 0, 9, -1, 6])
ints_b = ints([3, 3, -3, -3, 5, 3, 4, -4])
with_nans_a = torch.tensor([1.0, nan, 2.0, nan, -1.0, 3.0])
with_nans_b = torch.tensor([0.5, 2.0, nan, nan, -1.0, 4.0])
elementwise = [
    ('atan2 all quadrants and the axes', 'atan2', {},
     [torch.tensor([1.0, 1.0, -1.0, -1.0, 2.0, -2.0, 0.0, 0.5]), torch.tensor([1.0, -1.0, -1.0, 1.0, 0.0, 0.0, 3.0, -2.0])], torch.atan2),
    ('fmod signs', 'fmod', {}, [signs_a, signs_b], torch.fmod),
    ('remainder signs', 'remainder', {}, [signs_a, signs_b], torch.remainder),
    ('remainder by a number', 'remainder', {'other': 1.5}, [r(6) * 4], lambda a: torch.remainder(a, 1.5)),
    ('fmod int32', 'fmod', {}, [ints_a, ints_b], torch.fmod),
    ('remainder int32', 'remainder', {}, [ints_a, ints_b], torch.remainder),
    ('floorDivide float', 'floorDivide', {}, [signs_a, signs_b], lambda a, b: torch.floor_divide(a, b).detach()),
    ('floorDivide int32', 'floorDivide', {}, [ints_a, ints_b], torch.floor_divide),
    ('fmax with NaN and a tie', 'fmax', {}, [with_nans_a, with_nans_b], torch.fmax),
    ('fmin with NaN and a tie', 'fmin', {}, [with_nans_a, with_nans_b], torch.fmin),
    ('heaviside', 'heaviside', {}, [torch.tensor([-1.5, 0.0, 2.0, 0.0]), torch.tensor([0.5, 0.25, 0.5, 0.75])],
     lambda x, v: torch.heaviside(x, v).detach()),
    ('signbit with -0', 'signbit', {}, [torch.tensor([-1.0, -0.0, 0.0, 2.0])], torch.signbit),
    ('copysign with -0 in b', 'copysign', {}, [torch.tensor([1.5, -2.0, 3.0, -0.5]), torch.tensor([-1.0, 2.0, -0.0, 0.0])], torch.copysign),
    ('deg2rad', 'deg2rad', {}, [r(3) * 90], torch.deg2rad),
    ('rad2deg', 'rad2deg', {}, [r(3)], torch.rad2deg),
    ('floatPower', 'floatPower', {}, [r(4).abs() + 0.1, r(4)], torch.float_power),
    ('clampMin a tensor with a tie', 'clampMin', {}, [torch.tensor([0.5, -1.0, 2.0, 0.0]), torch.tensor([0.0, 0.0, 2.0, 0.0])], torch.clamp_min),
    ('clampMax a number', 'clampMax', {'max': 0.25}, [r(5)], lambda x: torch.clamp_max(x, 0.25)),
    ('logicalXor', 'logicalXor', {}, [torch.tensor([0.0, 1.5, 0.0, -2.0]), torch.tensor([0.0, 0.0, 3.0, 1.0])], torch.logical_xor),
    ('isclose defaults', 'isclose', {},
     [torch.tensor([1.0, 1.0, inf, nan, 1e-9, 100.0]), torch.tensor([1.0 + 1e-6, 1.1, inf, nan, 0.0, 100.001])], torch.isclose),
    ('isclose equalNan rtol 0.01', 'isclose', {'equalNan': True, 'rtol': 0.01},
     [torch.tensor([1.0, 1.0, inf, nan, 1e-9, 100.0]), torch.tensor([1.0 + 1e-6, 1.1, inf, nan, 0.0, 100.001])],
     lambda a, b: torch.isclose(a, b, rtol=0.01, equal_nan=True)),
    ('isin int32', 'isin', {}, [ints([[1, 5, 2], [7, 2, 0]]), ints([2, 7, 9])], torch.isin),
    ('isin invert', 'isin', {'invert': True}, [torch.tensor([0.5, 1.5, -2.0]), torch.tensor([1.5, 3.0])],
     lambda a, b: torch.isin(a, b, invert=True)),
]

stat_ties = torch.tensor([[1.0, 3.0, 3.0, 2.0], [-1.0, -1.0, -1.0, 0.5], [2.0, 0.0, 1.0, 2.0]])
nan_rows = torch.tensor([[0.5, nan, -1.0, 2.0, 0.25], [nan, nan, nan, nan, nan], [1.5, -0.5, nan, 0.75, 3.0]])
mode_rows = torch.tensor([[1.0, 2.0, 2.0, 3.0, 1.0], [4.0, 4.0, 0.5, 4.0, 0.5], [0.0, -1.0, 2.0, 3.0, 5.0]])
statistics = [
    ('amax dim 1 with ties', 'amax', {'dim': 1}, [stat_ties], lambda x: torch.amax(x, 1)),
    ('amin all, keepdim, ties', 'amin', {'keepdim': True}, [stat_ties], lambda x: torch.amin(x, (0, 1), keepdim=True)),
    ('amax dims [0] int32', 'amax', {'dim': [0]}, [ints([[1, 5], [7, 2]])], lambda x: torch.amax(x, 0)),
    ('aminmax dim 0, stacked', 'aminmax', {'dim': 0}, [stat_ties], lambda x: torch.stack(torch.aminmax(x.detach(), dim=0))),  # torch 1.13 has no gradient here
    ('countNonzero dim 1', 'countNonzero', {'dim': 1}, [torch.tensor([[0.0, 1.0, -2.0], [0.0, 0.0, 3.0]])],
     lambda x: torch.count_nonzero(x, 1).to(torch.int32)),
    ('varMean dim 1 correction 0, stacked', 'varMean', {'dim': 1, 'correction': 0}, [r(3, 4)],
     lambda x: torch.stack(torch.var_mean(x, 1, correction=0))),
    ('stdMean all, stacked', 'stdMean', {}, [r(3, 4)], lambda x: torch.stack(torch.std_mean(x))),
    ('nanquantile dim 1, rows with NaN and an all-NaN row', 'nanquantile', {'q': 0.4, 'dim': 1}, [nan_rows],
     lambda x: torch.nanquantile(x, 0.4, dim=1)),
    ('nanquantile q list, keepdim, midpoint', 'nanquantile', {'q': [0.25, 0.9], 'dim': 1, 'keepdim': True, 'interpolation': 'midpoint'},
     [nan_rows[[0, 2]]], lambda x: torch.nanquantile(x, torch.tensor([0.25, 0.9]), dim=1, keepdim=True, interpolation='midpoint')),
    ('nanquantile flattened, nearest', 'nanquantile', {'q': 0.5, 'interpolation': 'nearest'}, [nan_rows],
     lambda x: torch.nanquantile(x, 0.5, interpolation='nearest')),
    ('mode dim 1', 'mode', {'dim': 1}, [mode_rows], lambda x: torch.mode(x, 1)),
    ('cov', 'cov', {}, [r(3, 5)], torch.cov),
    ('cov correction 0 with fweights and aweights', 'cov', {'correction': 0}, [r(2, 4), ints([1, 3, 2, 1]), torch.tensor([0.5, 1.0, 2.0, 0.25])],
     lambda x, f, a: torch.cov(x, correction=0, fweights=f.to(L), aweights=a)),
    ('cov of a vector', 'cov', {}, [r(5)], torch.cov),
    ('corrcoef', 'corrcoef', {}, [r(3, 6)], torch.corrcoef),
    ('dist p 3 broadcasting', 'dist', {'p': 3}, [r(2, 3), r(3)], lambda a, b: torch.dist(a, b, 3)),
    ('pdist p 2 with a repeated row', 'pdist', {'p': 2}, [torch.tensor([[0.5, 1.0], [2.0, -1.0], [0.5, 1.0], [3.0, 0.0]])], torch.pdist),
    ('pdist p 1', 'pdist', {'p': 1}, [r(4, 3)], lambda x: torch.pdist(x, 1)),
    ('renorm p 2 dim 0 maxnorm 1', 'renorm', {'p': 2, 'dim': 0, 'maxnorm': 1}, [r(3, 4)], lambda x: torch.renorm(x, 2, 0, 1)),
    ('trapezoid dx 0.5', 'trapezoid', {'dx': 0.5}, [r(2, 5)], lambda y: torch.trapezoid(y, dx=0.5)),
    ('trapezoid with x, dim 0', 'trapezoid', {'dim': 0}, [r(4, 2), torch.tensor([0.0, 0.5, 1.5, 1.75])],
     lambda y, x: torch.trapezoid(y, x, dim=0)),
    ('cumulativeTrapezoid with x', 'cumulativeTrapezoid', {}, [r(2, 4), torch.tensor([0.0, 1.0, 1.5, 3.0])],
     lambda y, x: torch.cumulative_trapezoid(y, x)),
]


def joined_unique(values, *extras):
    """unique's values, then its inverse indices and counts flattened, as one float vector."""
    return torch.cat([values.flatten()] + [e.flatten().to(values.dtype) for e in extras])


repeats = torch.tensor([[2.0, 1.0, 2.0], [0.5, 1.0, 1.0], [2.0, 1.0, 2.0], [-1.0, 3.0, 0.0]])
data_dependent = [
    ('nonzero', 'nonzero', {}, [torch.tensor([[0.0, 1.5, 0.0], [-2.0, 0.0, 3.0]])], lambda x: torch.nonzero(x).to(torch.int32)),
    ('nonzero asTuple, stacked', 'nonzero', {'asTuple': True}, [torch.tensor([[0.0, 1.5, 0.0], [-2.0, 0.0, 3.0]])],
     lambda x: torch.stack(torch.nonzero(x, as_tuple=True)).to(torch.int32)),
    ('argwhere int32', 'argwhere', {}, [ints([0, 4, 0, -1])], lambda x: torch.argwhere(x).to(torch.int32)),
    ('maskedSelect broadcast mask', 'maskedSelect', {}, [r(2, 3), bools([[True], [False]])], torch.masked_select),
    ('maskedSelect 2-D mask', 'maskedSelect', {}, [r(2, 3), bools([[True, False, True], [False, True, True]])], torch.masked_select),
    ('unique with inverse and counts, joined', 'unique', {'returnInverse': True, 'returnCounts': True}, [repeats],
     lambda x: joined_unique(*torch.unique(x.detach(), return_inverse=True, return_counts=True))),
    ('unique dim 0 with inverse and counts, joined', 'unique', {'dim': 0, 'returnInverse': True, 'returnCounts': True}, [repeats],
     lambda x: joined_unique(*torch.unique(x.detach(), dim=0, return_inverse=True, return_counts=True))),
    ('uniqueConsecutive with counts, joined', 'uniqueConsecutive', {'returnCounts': True},
     [torch.tensor([1.0, 1.0, 2.0, 2.0, 2.0, 1.0, 3.0, 3.0])],
     lambda x: joined_unique(*torch.unique_consecutive(x.detach(), return_counts=True))),
    ('uniqueConsecutive dim 1 with inverse, joined', 'uniqueConsecutive', {'dim': 1, 'returnInverse': True},
     [torch.tensor([[1.0, 1.0, 2.0, 2.0], [0.0, 0.0, 0.0, 1.0]])],
     lambda x: joined_unique(*torch.unique_consecutive(x.detach(), dim=1, return_inverse=True))),
    ('bincount minlength 6', 'bincount', {'minlength': 6}, [ints([1, 3, 1, 0, 3, 3])],
     lambda x: torch.bincount(x.to(L), minlength=6).to(torch.int32)),
    ('bincount weights', 'bincount', {}, [ints([2, 0, 2, 4]), torch.tensor([0.5, 1.5, -1.0, 2.0])],
     lambda x, w: torch.bincount(x.to(L), weights=w.detach())),  # torch 1.13 has no gradient here
    ('histc 4 bins over [-1, 1]', 'histc', {'bins': 4, 'min': -1, 'max': 1},
     [torch.tensor([-1.0, -0.5, 0.0, 0.2, 1.0, 1.5, -2.0, 0.49])], lambda x: torch.histc(x.detach(), 4, -1, 1)),
    ('histc data range', 'histc', {'bins': 5}, [torch.tensor([[0.3, 2.0, 1.1], [0.3, 0.9, 1.7]])],
     lambda x: torch.histc(x.detach(), 5)),
    ('bucketize', 'bucketize', {}, [torch.tensor([[0.5, 1.0, 3.5], [4.0, -1.0, 2.0]]), torch.tensor([1.0, 2.0, 3.0, 4.0])],
     lambda v, b: torch.bucketize(v, b).to(torch.int32)),
    ('bucketize right', 'bucketize', {'right': True}, [torch.tensor([[0.5, 1.0, 3.5], [4.0, -1.0, 2.0]]), torch.tensor([1.0, 2.0, 3.0, 4.0])],
     lambda v, b: torch.bucketize(v, b, right=True).to(torch.int32)),
    ('searchsorted batched, side right', 'searchsorted', {'side': 'right'},
     [torch.tensor([[1.0, 3.0, 5.0, 7.0], [2.0, 4.0, 6.0, 8.0]]), torch.tensor([[3.0, 6.0, 9.0], [1.0, 4.0, 8.0]])],
     lambda s, v: torch.searchsorted(s, v, side='right').to(torch.int32)),
    ('searchsorted 1-D with a sorter', 'searchsorted', {}, [torch.tensor([5.0, 1.0, 3.0, 7.0]), torch.tensor([[3.0, 0.0], [7.5, 5.0]]), ints([1, 2, 0, 3])],
     lambda s, v, k: torch.searchsorted(s, v, sorter=k.to(L)).to(torch.int32)),
]

families = {'products': products, 'indexing': indexing, 'shapes': shapes, 'elementwise': elementwise,
            'statistics': statistics, 'data-dependent': data_dependent}


def record(name, op, args, inputs, fn):
    inputs = [t.clone().requires_grad_(t.is_floating_point()) for t in inputs]
    result = fn(*inputs)
    indices = None
    if isinstance(result, tuple):  # mode: (values, indices)
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
    return entry


# Cases added by the review of these functions (literal inputs, recorded after every case above so
# that the earlier cases' random inputs and weights stay as they were).
NAN, INF = float('nan'), float('inf')
BIG = ints([16777217, 2**30 + 1, -(2**30) - 3, 2147483647, -2147483647, 123456789])
review = [
    ('isclose: a finite and an infinite value are not close', 'isclose', {},
     [torch.tensor([1.0, INF, -INF, INF, 1e308, 2.0]), torch.tensor([INF, 1.0, INF, INF, -1e308, 2.0])],
     lambda a, b: torch.isclose(a, b)),
    ('isclose: an infinite tolerance still needs a finite difference', 'isclose', {'rtol': 1.0, 'atol': 1e308},
     [torch.tensor([1.0, -INF, NAN]), torch.tensor([INF, -INF, 1.0])],
     lambda a, b: torch.isclose(a, b, rtol=1.0, atol=1e308)),
    ('bucketize: NaN goes after every boundary', 'bucketize', {}, [torch.tensor([NAN, 1.0, 5.0, -1.0]), torch.tensor([0.0, 2.0, 4.0])],
     lambda v, b: torch.bucketize(v, b).to(torch.int32)),
    ('bucketize right: NaN goes after every boundary', 'bucketize', {'right': True}, [torch.tensor([NAN, 2.0]), torch.tensor([0.0, 2.0, 4.0])],
     lambda v, b: torch.bucketize(v, b, right=True).to(torch.int32)),
    ('searchsorted: NaN goes last', 'searchsorted', {}, [torch.tensor([[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]]), torch.tensor([[NAN, 3.0], [0.0, NAN]])],
     lambda s, v: torch.searchsorted(s, v).to(torch.int32)),
    ('unique: NaN sorted last, each NaN its own value', 'unique', {}, [torch.tensor([NAN, 1.0, NAN, 0.0, 2.0, NAN, 1.0])],
     lambda x: torch.unique(x.detach())),
    ('remainder of int32 beyond 2^24', 'remainder', {}, [BIG, ints([2, 1, 7, -3, 1000003, -10])], torch.remainder),
    ('fmod of int32 beyond 2^24', 'fmod', {}, [BIG, ints([2, 1, 7, -3, 1000003, -10])], torch.fmod),
    ('floorDivide of int32 beyond 2^24', 'floorDivide', {}, [BIG, ints([2, 1, 7, -3, 1000003, -10])], torch.floor_divide),
    ('remainder of int32 beyond 2^24 by a number', 'remainder', {'other': 3}, [BIG], lambda a: torch.remainder(a, 3)),
    ('indexPut with negative indices', 'indexPut', {'accumulate': False},
     [torch.tensor([[0.5, 1.0, 1.5], [2.0, 2.5, 3.0]]), ints([-1, 0]), ints([-3, 2]), torch.tensor([5.0, 6.0])],
     lambda x, i, j, v: torch.index_put(x, (i.to(L), j.to(L)), v)),
    ('indexPut accumulate with a negative index naming a listed row', 'indexPut', {'accumulate': True},
     [torch.tensor([[0.5, 1.0, 1.5], [2.0, 2.5, 3.0]]), ints([-1, 1]), torch.tensor([5.0, 6.0, 7.0])],
     lambda x, i, v: torch.index_put(x, (i.to(L),), v, accumulate=True)),
    ('varMean keepdim over the last dim, stacked', 'varMean', {'dim': -1, 'keepdim': True},
     [torch.tensor([[1.0, 2.0, 4.0], [0.5, -1.0, 3.0]])], lambda x: torch.stack(torch.var_mean(x, -1, keepdim=True))),
    ('stdMean keepdim correction 0, stacked', 'stdMean', {'dim': 0, 'correction': 0, 'keepdim': True},
     [torch.tensor([[1.0, 2.0, 4.0], [0.5, -1.0, 3.0]])], lambda x: torch.stack(torch.std_mean(x, 0, correction=0, keepdim=True))),
    ('amax over a non-empty dim of an empty tensor', 'amax', {'dim': 0}, [torch.zeros(3, 0)], lambda x: torch.amax(x, 0)),
    ('fmod where the rounded quotient is one too many (5 mod 0.1)', 'fmod', {},
     [torch.tensor([5.0, 1.0, 7.3, -5.0, 3.0, 1e17]), torch.tensor([0.1, 0.1, 0.7, 0.3, -0.2, 3.0])], torch.fmod),
    ('remainder where the rounded quotient is one too many (5 mod 0.1)', 'remainder', {},
     [torch.tensor([5.0, 1.0, 7.3, -5.0, 3.0, 1e17]), torch.tensor([0.1, 0.1, 0.7, 0.3, -0.2, 3.0])], torch.remainder),
    ('fmod in float32', 'fmod', {},
     [torch.tensor([5.0, 1.0, 7.3, -5.0], dtype=torch.float32), torch.tensor([0.1, 0.1, 0.7, 0.3], dtype=torch.float32)],
     lambda a, b: torch.fmod(a.detach(), b.detach())),
]
families['review'] = review

out = {family: [record(*case) for case in cases] for family, cases in families.items()}
write_fixture(__file__, 'ops/tensor-functions-fixture.ts', 'PYTORCH_TENSOR_FUNCTIONS', out)
