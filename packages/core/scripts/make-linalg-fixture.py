#!/usr/bin/env python3
"""Writes src/linalg/linalg-fixture.ts: torch.linalg's norms (vector_norm, matrix_norm, norm),
solves and factorizations (solve, inv, det, slogdet, logdet, solve_triangular, cholesky,
cholesky_inverse, lu_factor, lu, lu_solve, qr, lstsq) and products (matrix_power, multi_dot,
vecdot, matrix_exp) in float64: each case's inputs, every output and the gradient of each float input for the loss
sum(sum(output_i * w_i)) over the float outputs with fixed weights w_i (none where torch cannot
differentiate, e.g. qr's mode 'r'). Also torch's messages for singular and indefinite inputs.

Run once (Debian's python3-torch; this was torch 1.13) and commit its output; the tests read the
fixture and never call Python:

    /usr/bin/python3 packages/core/scripts/make-linalg-fixture.py
"""

import math

import torch
from ts_fixture import write_fixture

torch.set_default_dtype(torch.float64)
torch.manual_seed(20261206)
LA = torch.linalg
inf = math.inf
nan = math.nan


def r(*shape):
    return torch.randn(*shape)


def well(*shape):
    """Well-conditioned square matrices: random plus n on the diagonal."""
    n = shape[-1]
    return torch.randn(*shape) + n * torch.eye(n)


def spd(*shape):
    x = torch.randn(*shape)
    return x @ x.mT + shape[-1] * torch.eye(shape[-1])


def lower(*shape):
    return torch.tril(well(*shape))


def upper(*shape):
    return torch.triu(well(*shape))


# A matrix whose LU needs row swaps at every step, and one with a negative determinant.
swaps = torch.tensor([[0.5, 2.0, -1.0, 3.0], [4.0, -1.0, 0.5, 2.0], [-2.0, 6.0, 1.0, -1.0], [1.0, 1.0, 7.0, 0.5]])
negative = torch.tensor([[0.0, 2.0, 1.0], [3.0, -1.0, 0.5], [1.0, 0.5, -2.0]])
with_zero_row = torch.tensor([[0.0, 0.0, 0.0], [1.5, -2.0, 0.5], [3.0, 0.0, -4.0]])


def lu_solve(a, b, left=True, adjoint=False):
    LU, pivots = LA.lu_factor(a)
    return LA.lu_solve(LU, pivots, b, left=left, adjoint=adjoint)


def lstsq(a, b):
    return LA.lstsq(a, b).solution


# name, op (as the test calls it), args, inputs, function of the inputs (a tensor or a tuple of them)
cases = [
    ('vectorNorm 2 all', 'vectorNorm', {'ord': 2}, [r(3, 4)], lambda x: LA.vector_norm(x)),
    ('vectorNorm 1 dim 1 keepdim', 'vectorNorm', {'ord': 1, 'dim': 1, 'keepdim': True}, [r(3, 4)],
     lambda x: LA.vector_norm(x, 1, 1, True)),
    ('vectorNorm inf dim 0', 'vectorNorm', {'ord': inf, 'dim': 0}, [r(3, 4)], lambda x: LA.vector_norm(x, inf, 0)),
    ('vectorNorm -inf dim -1', 'vectorNorm', {'ord': -inf, 'dim': -1}, [r(3, 4)],
     lambda x: LA.vector_norm(x, -inf, -1)),
    ('vectorNorm 0', 'vectorNorm', {'ord': 0, 'dim': 1}, [with_zero_row], lambda x: LA.vector_norm(x, 0, 1)),
    ('vectorNorm 3 dims [0, 2]', 'vectorNorm', {'ord': 3, 'dim': [0, 2]}, [r(2, 3, 4)],
     lambda x: LA.vector_norm(x, 3, (0, 2))),
    ('vectorNorm 2 zero row', 'vectorNorm', {'ord': 2, 'dim': 1}, [with_zero_row],
     lambda x: LA.vector_norm(x, 2, 1)),
    ('matrixNorm fro', 'matrixNorm', {'ord': 'fro'}, [r(2, 3, 4)], lambda x: LA.matrix_norm(x)),
    ('matrixNorm 1', 'matrixNorm', {'ord': 1}, [r(2, 3, 4)], lambda x: LA.matrix_norm(x, 1)),
    ('matrixNorm -1', 'matrixNorm', {'ord': -1}, [r(2, 3, 4)], lambda x: LA.matrix_norm(x, -1)),
    ('matrixNorm inf', 'matrixNorm', {'ord': inf}, [r(2, 3, 4)], lambda x: LA.matrix_norm(x, inf)),
    ('matrixNorm -inf keepdim', 'matrixNorm', {'ord': -inf, 'keepdim': True}, [r(2, 3, 4)],
     lambda x: LA.matrix_norm(x, -inf, keepdim=True)),
    ('matrixNorm 1 dim [2, 0]', 'matrixNorm', {'ord': 1, 'dim': [2, 0]}, [r(3, 2, 4)],
     lambda x: LA.matrix_norm(x, 1, (2, 0))),
    ('norm default', 'norm', {}, [r(2, 3, 4)], lambda x: LA.norm(x)),
    ('norm 1 matrix', 'norm', {'ord': 1}, [r(3, 4)], lambda x: LA.norm(x, 1)),
    ('norm inf vector', 'norm', {'ord': inf}, [r(5)], lambda x: LA.norm(x, inf)),
    ('norm 3 dim 1', 'norm', {'ord': 3, 'dim': 1}, [r(2, 3, 4)], lambda x: LA.norm(x, 3, 1)),
    ('norm fro dims', 'norm', {'ord': 'fro', 'dim': [1, 2], 'keepdim': True}, [r(2, 3, 4)],
     lambda x: LA.norm(x, 'fro', (1, 2), True)),
    ('det 3x3', 'det', {}, [well(3, 3)], LA.det),
    ('det swaps', 'det', {}, [swaps], LA.det),
    ('det batch', 'det', {}, [torch.stack([negative, well(3, 3)])], LA.det),
    ('slogdet batch', 'slogdet', {}, [torch.stack([negative, well(3, 3), swaps[:3, :3]])], LA.slogdet),
    ('logdet spd', 'logdet', {}, [spd(2, 3, 3)], torch.logdet),
    ('logdet negative', 'logdet', {}, [negative], torch.logdet),
    ('inv 4x4', 'inv', {}, [swaps], LA.inv),
    ('inv batch', 'inv', {}, [well(2, 3, 3)], LA.inv),
    ('solve vector', 'solve', {}, [well(3, 3), r(3)], LA.solve),
    ('solve batch of vectors', 'solve', {}, [well(2, 3, 3), r(2, 3)], LA.solve),
    ('solve broadcast A', 'solve', {}, [well(2, 3, 3), r(3, 2)], LA.solve),
    ('solve broadcast B', 'solve', {}, [swaps, r(2, 4, 3)], LA.solve),
    ('solve left false', 'solve', {'left': False}, [well(3, 3), r(2, 3)], lambda a, b: LA.solve(a, b, left=False)),
    ('solveTriangular upper', 'solveTriangular', {'upper': True}, [upper(3, 3), r(3, 2)],
     lambda a, b: LA.solve_triangular(a, b, upper=True)),
    ('solveTriangular lower unit', 'solveTriangular', {'upper': False, 'unitriangular': True}, [well(3, 3), r(3, 2)],
     lambda a, b: LA.solve_triangular(a, b, upper=False, unitriangular=True)),
    ('solveTriangular upper right', 'solveTriangular', {'upper': True, 'left': False}, [well(3, 3), r(2, 3)],
     lambda a, b: LA.solve_triangular(a, b, upper=True, left=False)),
    ('solveTriangular lower broadcast', 'solveTriangular', {'upper': False}, [lower(2, 3, 3), r(3, 4)],
     lambda a, b: LA.solve_triangular(a, b, upper=False)),
    ('cholesky 4x4', 'cholesky', {}, [spd(4, 4)], LA.cholesky),
    ('cholesky batch', 'cholesky', {}, [spd(2, 3, 3)], LA.cholesky),
    ('cholesky upper', 'cholesky', {'upper': True}, [spd(3, 3)], lambda a: LA.cholesky(a, upper=True)),
    ('choleskyInverse', 'choleskyInverse', {}, [LA.cholesky(spd(2, 3, 3))], torch.cholesky_inverse),
    ('choleskyInverse upper', 'choleskyInverse', {'upper': True}, [LA.cholesky(spd(3, 3), upper=True)],
     lambda u: torch.cholesky_inverse(u, upper=True)),
    ('luFactor swaps', 'luFactor', {}, [swaps], LA.lu_factor),
    ('luFactor batch', 'luFactor', {}, [r(2, 3, 3)], LA.lu_factor),
    ('lu swaps', 'lu', {}, [swaps], LA.lu),
    ('lu batch', 'lu', {}, [r(2, 3, 3)], LA.lu),
    ('luSolve', 'luSolve', {}, [swaps, r(4, 2)], lu_solve),
    ('luSolve adjoint', 'luSolve', {'adjoint': True}, [well(2, 3, 3), r(2, 3, 2)],
     lambda a, b: lu_solve(a, b, adjoint=True)),
    ('luSolve right', 'luSolve', {'left': False}, [well(3, 3), r(2, 3)], lambda a, b: lu_solve(a, b, left=False)),
    ('luSolve right adjoint', 'luSolve', {'left': False, 'adjoint': True}, [swaps, r(2, 4)],
     lambda a, b: lu_solve(a, b, left=False, adjoint=True)),
    ('qr tall', 'qr', {'mode': 'reduced'}, [r(5, 3)], LA.qr),
    ('qr square', 'qr', {'mode': 'reduced'}, [swaps], LA.qr),
    ('qr wide', 'qr', {'mode': 'reduced'}, [r(3, 5)], LA.qr),
    ('qr batch', 'qr', {'mode': 'reduced'}, [r(2, 4, 3)], LA.qr),
    ('qr complete wide', 'qr', {'mode': 'complete'}, [r(3, 4)], lambda a: LA.qr(a, 'complete')),
    ('qr complete tall', 'qr', {'mode': 'complete'}, [r(4, 2)], lambda a: LA.qr(a, 'complete')),
    ('qr r', 'qr', {'mode': 'r'}, [r(4, 3)], lambda a: LA.qr(a, 'r')),
    ('lstsq tall', 'lstsq', {}, [r(5, 3), r(5, 2)], lstsq),
    ('lstsq square batch', 'lstsq', {}, [well(2, 3, 3), r(2, 3, 1)], lstsq),
    ('lstsq wide', 'lstsq', {}, [r(2, 4), r(2, 3)], lstsq),
    ('matrixPower 3', 'matrixPower', {'n': 3}, [r(3, 3)], lambda a: LA.matrix_power(a, 3)),
    ('matrixPower 0', 'matrixPower', {'n': 0}, [r(2, 3, 3)], lambda a: LA.matrix_power(a, 0)),
    ('matrixPower -2', 'matrixPower', {'n': -2}, [well(2, 3, 3)], lambda a: LA.matrix_power(a, -2)),
    ('multiDot matrices', 'multiDot', {}, [r(2, 6), r(6, 3), r(3, 5), r(5, 2)], lambda *t: LA.multi_dot(t)),
    ('multiDot vectors', 'multiDot', {}, [r(3), r(3, 4), r(4, 2), r(2)], lambda *t: LA.multi_dot(t)),
    ('vecdot', 'vecdot', {}, [r(2, 3), r(3)], LA.vecdot),
    ('vecdot dim 0', 'vecdot', {'dim': 0}, [r(3, 2), r(3, 1)], lambda x, y: LA.vecdot(x, y, dim=0)),
    ('matrixExp', 'matrixExp', {}, [r(3, 3)], LA.matrix_exp),
    ('matrixExp large norm', 'matrixExp', {}, [4 * r(2, 3, 3)], LA.matrix_exp),
    ('luFactor tall', 'luFactor', {}, [r(5, 3)], LA.lu_factor),
    ('luFactor wide batch', 'luFactor', {}, [r(2, 3, 5)], LA.lu_factor),
    ('lu tall batch', 'lu', {}, [r(2, 4, 3)], LA.lu),
    ('lu wide', 'lu', {}, [r(2, 4)], LA.lu),
    # Only one triangle is read: the upper one for upper=True (garbage below it here).
    ('cholesky upper reads the upper triangle', 'cholesky', {'upper': True},
     [torch.triu(spd(3, 3)) + torch.tril(r(3, 3), -1)], lambda a: LA.cholesky(a, upper=True)),
    ('cholesky reads the lower triangle', 'cholesky', {}, [torch.tril(spd(3, 3)) + torch.triu(r(3, 3), 1)],
     LA.cholesky),
    # Appended later (literal inputs, so the cases above keep their values): NaN and Infinity in
    # the triangle a solve ignores are never read; qr and lstsq scale their columns as dnrm2
    # does; LU's pivot search skips a NaN as idamax does; matrix_exp of a non-finite matrix is
    # NaN; det's gradient at a singular matrix is torch's (zero pivots nudged by eps).
    ('solveTriangular upper ignores NaN and Infinity below', 'solveTriangular', {'upper': True},
     [torch.tensor([[2.0, 1.0, 1.0], [nan, 3.0, 1.0], [inf, nan, 4.0]]), torch.tensor([[1.0], [2.0], [3.0]])],
     lambda a, b: LA.solve_triangular(a, b, upper=True)),
    ('solveTriangular lower ignores NaN and Infinity above', 'solveTriangular', {'upper': False},
     [torch.tensor([[2.0, nan, inf], [1.0, 3.0, nan], [0.5, 1.0, 4.0]]), torch.tensor([[1.0], [2.0], [3.0]])],
     lambda a, b: LA.solve_triangular(a, b, upper=False)),
    ('solveTriangular unitriangular ignores a NaN diagonal', 'solveTriangular', {'upper': True, 'unitriangular': True},
     [torch.tensor([[nan, 1.0, 2.0], [inf, nan, -1.0], [nan, nan, nan]]), torch.tensor([[1.0, 0.5], [2.0, 1.0], [3.0, -1.0]])],
     lambda a, b: LA.solve_triangular(a, b, upper=True, unitriangular=True)),
    ('choleskyInverse ignores NaN above', 'choleskyInverse', {},
     [torch.tensor([[2.0, nan, inf], [1.0, 3.0, nan], [0.5, 1.0, 4.0]])], lambda a: torch.cholesky_inverse(a)),
    ('qr huge column', 'qr', {}, [torch.tensor([[1e200, 1.0], [1e200, 2.0], [1e200, 4.0]])], LA.qr),
    ('qr tiny column', 'qr', {}, [torch.tensor([[1e-200, 1.0], [1e-200, 2.0], [1e-200, 4.0]])], LA.qr),
    ('lstsq huge', 'lstsq', {}, [torch.tensor([[1e200, 1e200], [1e200, 2e200], [1e200, 4e200]]),
                                        torch.tensor([[1.0], [2.0], [3.0]])], lstsq),
    ('luFactor NaN below the pivot', 'luFactor', {}, [torch.tensor([[1.0, 2.0], [nan, 3.0]])], LA.lu_factor),
    ('luFactor NaN on the pivot', 'luFactor', {}, [torch.tensor([[nan, 2.0], [1.0, 3.0]])], LA.lu_factor),
    ('matrixExp Infinity', 'matrixExp', {}, [torch.tensor([[inf, 1.0], [0.0, 1.0]])], LA.matrix_exp),
    ('matrixExp -Infinity batch', 'matrixExp', {}, [torch.tensor([[[-inf, 1.0], [0.0, 1.0]], [[0.5, 1.0], [0.0, 1.0]]])],
     LA.matrix_exp),
    ('det singular', 'det', {}, [torch.tensor([[1.0, 2.0], [2.0, 4.0]])], LA.det),
]

out = []
for name, op, args, inputs, fn in cases:
    inputs = [t.clone().requires_grad_(True) for t in inputs]
    result = fn(*inputs)
    outputs = list(result) if isinstance(result, tuple) else [result]
    entry = {'name': name, 'op': op, 'args': args, 'inputs': [t.tolist() for t in inputs],
             'outputs': [o.detach().tolist() for o in outputs],
             'dtypes': [str(o.dtype).replace('torch.', '') for o in outputs]}
    # One weight per float output (None for int32 pivots); an output without a graph (the
    # identity of matrix_power(A, 0), a count of non-zeros) adds a constant to the loss.
    weights = [torch.randn(o.shape) if o.is_floating_point() else None for o in outputs]
    loss = sum((o * w).sum() for o, w in zip(outputs, weights) if w is not None and o.requires_grad)
    entry['weights'] = [w.tolist() if w is not None else None for w in weights]
    if not torch.is_tensor(loss):  # nothing differentiable: every gradient is zero
        entry['gradients'] = [torch.zeros(t.shape).tolist() for t in inputs]
    else:
        try:
            grads = torch.autograd.grad(loss, inputs, allow_unused=True)
            entry['gradients'] = [g.tolist() if g is not None else torch.zeros(t.shape).tolist()
                                  for g, t in zip(grads, inputs)]
        except RuntimeError as error:  # qr's mode 'r' and complete tall: torch cannot differentiate
            entry['gradientError'] = str(error).split('\n')[0]
    out.append(entry)


def message(fn):
    try:
        fn()
    except RuntimeError as error:
        return str(error)
    raise AssertionError('expected an error')


singular = torch.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
indefinite = torch.tensor([[4.0, 2.0, 0.0], [2.0, 5.0, 3.0], [0.0, 3.0, 1.0]])
errors = {
    'singular': singular.tolist(),
    'indefinite': indefinite.tolist(),
    'solve': message(lambda: LA.solve(singular, torch.ones(3))),
    'inv': message(lambda: LA.inv(singular)),
    'cholesky': message(lambda: LA.cholesky(indefinite)),
    'choleskyBatch': message(lambda: LA.cholesky(torch.stack([spd(3, 3), indefinite]))),
    'detSingular': LA.det(singular).item(),
}



def float32_case(name, fn, *inputs):
    inputs = [torch.tensor(x, dtype=torch.float32) for x in inputs]
    result = fn(*inputs)
    outputs = list(result) if isinstance(result, tuple) else [result]
    return {'name': name, 'inputs': [t.tolist() for t in inputs], 'outputs': [o.tolist() for o in outputs]}


# float32 values (no gradients): qr where a column's squares overflow or underflow float32, and
# a solve and a determinant, to check the float32 paths against torch's.
float32 = [
    float32_case('qr huge', LA.qr, [[1e20, 1.0], [1e20, 2.0]]),
    float32_case('qr tiny', LA.qr, [[1e-25, 1.0], [1e-25, 2.0]]),
    float32_case('solve', LA.solve, [[4.0, 1.0, -2.0], [1.0, 3.0, 0.5], [-1.0, 2.0, 5.0]], [[1.0], [-2.0], [0.5]]),
    float32_case('det', LA.det, [[4.0, 1.0, -2.0], [1.0, 3.0, 0.5], [-1.0, 2.0, 5.0]]),
]

write_fixture(__file__, 'linalg/linalg-fixture.ts', 'PYTORCH_LINALG', {'cases': out, 'errors': errors,
                                                                     'float32': float32})
