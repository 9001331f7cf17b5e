"""PyTorch's spectral linalg functions (eigh, eigvalsh, svd, svdvals, pinv, matrix_rank, cond and the
singular-value matrix norms) on float64 inputs, for ../src/linalg/spectral.test.ts: the values, and
the gradient of a loss that is invariant under the sign of each eigen- / singular vector (so it is
comparable across libraries): eigh sum(wL * L) + sum(WP * V diag(c) V^T) + sum(WV * |V|); svd
sum(wS * S) + sum(WP * U_k diag(c) Vh_k) + sum(WU * |U_k|) + sum(WV * |Vh_k|) with U_k, Vh_k the first
min(m, n) vectors; every other op sum(W * output). Weights are seeded and written beside each case."""
import torch

from ts_fixture import write_fixture

torch.manual_seed(0)
D = torch.float64


def randn(*shape):
    return torch.randn(tuple(shape), dtype=D)


def symmetric(*shape):
    x = randn(*shape)
    return x + x.transpose(-2, -1)


def with_values(values, n, seed):
    """A symmetric n x n matrix with the given eigenvalues (repeats allowed)."""
    g = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(n, n, dtype=D, generator=g))
    return q @ torch.diag(torch.tensor(values, dtype=D)) @ q.T


def low_rank(m, n, rank):
    return randn(m, rank) @ randn(rank, n)


def weights_like(t):
    return randn(*t.shape)


cases = []


def eigh_case(name, a, uplo='L'):
    a = a.clone().requires_grad_(True)
    L, V = torch.linalg.eigh(a, UPLO=uplo)
    wL, c, WP, WV = weights_like(L), randn(L.shape[-1]), weights_like(V), weights_like(V)
    loss = (wL * L).sum() + (WP * (V @ torch.diag_embed(c.expand_as(L)) @ V.transpose(-2, -1))).sum() \
        + (WV * V.abs()).sum()
    loss.backward()
    cases.append({'name': name, 'op': 'eigh', 'options': {'UPLO': uplo}, 'input': a.tolist(), 'shape': list(a.shape),
                  'eigenvalues': L.tolist(), 'eigenvectors': V.tolist(),
                  'weights': {'wL': wL.tolist(), 'c': c.tolist(), 'WP': WP.tolist(), 'WV': WV.tolist()},
                  'grad': a.grad.tolist()})


def svd_case(name, a, full):
    a = a.clone().requires_grad_(True)
    U, S, Vh = torch.linalg.svd(a, full_matrices=full)
    k = S.shape[-1]
    Uk, Vhk = U[..., :k], Vh[..., :k, :]
    wS, c, WP, WU, WV = weights_like(S), randn(k), randn(*a.shape), weights_like(Uk), weights_like(Vhk)
    loss = (wS * S).sum() + (WP * (Uk @ torch.diag_embed(c.expand_as(S)) @ Vhk)).sum() \
        + (WU * Uk.abs()).sum() + (WV * Vhk.abs()).sum()
    loss.backward()
    cases.append({'name': name, 'op': 'svd', 'options': {'fullMatrices': full}, 'input': a.tolist(),
                  'shape': list(a.shape), 'S': S.tolist(), 'U': Uk.tolist(), 'Vh': Vhk.tolist(),
                  'Ushape': list(U.shape), 'Vhshape': list(Vh.shape),
                  'weights': {'wS': wS.tolist(), 'c': c.tolist(), 'WP': WP.tolist(), 'WU': WU.tolist(),
                              'WV': WV.tolist()},
                  'grad': a.grad.tolist()})


def simple_case(name, op, a, fn, options=None, grad=True, ones=False):
    a = a.clone().requires_grad_(grad)
    out = fn(a)
    entry = {'name': name, 'op': op, 'options': options or {}, 'input': a.tolist(), 'shape': list(a.shape),
             'output': out.tolist(), 'outputShape': list(out.shape)}
    if grad:
        W = torch.ones_like(out) if ones else weights_like(out)
        (W * out).sum().backward()
        entry['W'] = W.tolist()
        entry['grad'] = a.grad.tolist()
    cases.append(entry)


eigh_case('eigh 4x4', symmetric(4, 4))
eigh_case('eigh 3x3 reads the lower triangle', randn(3, 3))
eigh_case('eigh 3x3 UPLO U reads the upper triangle', randn(3, 3), 'U')
eigh_case('eigh batched 2x3x5x5', symmetric(2, 3, 5, 5))
eigh_case('eigh 1x1', randn(1, 1))
eigh_case('eigh 8x8', symmetric(8, 8))

svd_case('svd square 4x4', randn(4, 4), True)
svd_case('svd tall 5x3 full', randn(5, 3), True)
svd_case('svd tall 5x3 reduced', randn(5, 3), False)
svd_case('svd wide 3x6 full', randn(3, 6), True)
svd_case('svd wide 2x5 reduced', randn(2, 5), False)
svd_case('svd batched 2x4x3', randn(2, 4, 3), True)
svd_case('svd batched wide 3x2x4 reduced', randn(3, 2, 4), False)
svd_case('svd 7x7', randn(7, 7), False)

for name, values in [('repeated', [1.0, 1.0, 2.0, 3.0]), ('triple', [-2.0, 0.5, 0.5, 0.5, 4.0]),
                     ('singular', [0.0, 0.0, 1.0, 5.0])]:
    a = with_values(values, len(values), len(cases))
    simple_case('eigvalsh %s eigenvalues' % name, 'eigvalsh', a, torch.linalg.eigvalsh, grad=False)
simple_case('eigvalsh 4x4', 'eigvalsh', symmetric(4, 4), torch.linalg.eigvalsh)
simple_case('eigvalsh batched UPLO U', 'eigvalsh', randn(3, 4, 4), lambda a: torch.linalg.eigvalsh(a, UPLO='U'),
            {'UPLO': 'U'})

simple_case('svdvals tall', 'svdvals', randn(6, 4), torch.linalg.svdvals)
simple_case('svdvals batched wide', 'svdvals', randn(2, 3, 5), torch.linalg.svdvals)
simple_case('svdvals rank 2 of 5x4', 'svdvals', low_rank(5, 4, 2), torch.linalg.svdvals, grad=False)

simple_case('pinv square', 'pinv', randn(4, 4), torch.linalg.pinv)
simple_case('pinv tall', 'pinv', randn(5, 3), torch.linalg.pinv)
simple_case('pinv wide batched', 'pinv', randn(2, 3, 5), torch.linalg.pinv)
simple_case('pinv hermitian', 'pinv', symmetric(4, 4), lambda a: torch.linalg.pinv(a, hermitian=True),
            {'hermitian': True})
simple_case('pinv rank 2 of 5x4', 'pinv', low_rank(5, 4, 2), torch.linalg.pinv, grad=False)
simple_case('pinv rank 2 of 4x4 hermitian', 'pinv', with_values([0.0, 0.0, -1.5, 3.0], 4, 7),
            lambda a: torch.linalg.pinv(a, hermitian=True), {'hermitian': True}, grad=False)
simple_case('pinv atol cuts small singular values', 'pinv', torch.diag(torch.tensor([3.0, 1.0, 0.2], dtype=D)),
            lambda a: torch.linalg.pinv(a, atol=0.5), {'atol': 0.5}, grad=False)
simple_case('pinv rtol', 'pinv', torch.diag(torch.tensor([3.0, 1.0, 0.2], dtype=D)),
            lambda a: torch.linalg.pinv(a, rtol=0.1), {'rtol': 0.1}, grad=False)

for name, a, options in [
    ('full rank', randn(4, 3), {}),
    ('rank 2 of 5x4', low_rank(5, 4, 2), {}),
    ('batched rank 1 and 3', torch.stack([low_rank(3, 3, 1), randn(3, 3)]), {}),
    ('atol', torch.diag(torch.tensor([3.0, 1.0, 0.2], dtype=D)), {'atol': 0.5}),
    ('rtol', torch.diag(torch.tensor([3.0, 1.0, 0.2], dtype=D)), {'rtol': 0.5}),
    ('atol and rtol', torch.diag(torch.tensor([3.0, 1.0, 0.2], dtype=D)), {'atol': 0.1, 'rtol': 0.2}),
    ('hermitian', with_values([0.0, -2.0, 1.0, 3.0], 4, 11), {'hermitian': True}),
]:
    simple_case('matrixRank %s' % name, 'matrixRank', a, lambda t, o=options: torch.linalg.matrix_rank(t, **o).int(),
                options, grad=False)

simple_case('cond default', 'cond', randn(4, 4), torch.linalg.cond)
simple_case('cond p=2 tall batched', 'cond', randn(2, 5, 3), lambda a: torch.linalg.cond(a, 2), {'p': 2})
simple_case('cond p=-2 wide', 'cond', randn(3, 5), lambda a: torch.linalg.cond(a, -2), {'p': -2})

for ord_ in [2, -2, 'nuc']:
    simple_case('matrixNorm ord %s' % ord_, 'matrixNorm', randn(2, 4, 3),
                lambda a, o=ord_: torch.linalg.matrix_norm(a, ord=o), {'ord': ord_, 'dim': [-2, -1], 'keepdim': False})
simple_case('matrixNorm nuc dim [0, 2] keepdim', 'matrixNorm', randn(3, 2, 4),
            lambda a: torch.linalg.matrix_norm(a, ord='nuc', dim=(0, 2), keepdim=True),
            {'ord': 'nuc', 'dim': [0, 2], 'keepdim': True})
simple_case('matrixNorm ord 2 dim [2, 0]', 'matrixNorm', randn(3, 2, 4),
            lambda a: torch.linalg.matrix_norm(a, ord=2, dim=(2, 0)), {'ord': 2, 'dim': [2, 0], 'keepdim': False})

# Only the values used, with repeated values: PyTorch skips the vectors' term (no 0/0). Unit weights,
# so the gradient (V V^T, U Vh) does not depend on the basis chosen inside a repeated eigenspace.
simple_case('eigh eigenvalues only, identity', 'eighValues', torch.eye(3, dtype=D),
            lambda a: torch.linalg.eigh(a).eigenvalues, ones=True)
simple_case('eigh eigenvalues only, repeated', 'eighValues', with_values([1.0, 1.0, 2.0, 3.0], 4, 13),
            lambda a: torch.linalg.eigh(a).eigenvalues, ones=True)
simple_case('svd S only, 2 I', 'svdS', 2 * torch.eye(2, dtype=D),
            lambda a: torch.linalg.svd(a, full_matrices=False).S, {'fullMatrices': False}, ones=True)
simple_case('svd S only, full, repeated', 'svdS', torch.diag(torch.tensor([3.0, 3.0, 1.0], dtype=D)),
            lambda a: torch.linalg.svd(a).S, {'fullMatrices': True}, ones=True)

# A batch mixing scales: each matrix must converge on its own scale.
mixed = torch.stack([symmetric(8, 8), torch.diag(torch.arange(1.0, 9.0, dtype=D) * 1e14)])
simple_case('eigvalsh batch of a small and a 1e14 matrix', 'eigvalsh', mixed, torch.linalg.eigvalsh, grad=False)
mixed = torch.stack([randn(8, 8), torch.diag(torch.arange(1.0, 9.0, dtype=D) * 1e10)])
simple_case('svdvals batch of a small and a 1e10 matrix', 'svdvals', mixed, torch.linalg.svdvals, grad=False)

write_fixture(__file__, 'linalg/spectral-fixture.ts', 'LINALG_SPECTRAL_FIXTURE', cases)
