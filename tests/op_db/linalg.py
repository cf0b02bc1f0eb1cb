"""Linear algebra: the matmul family, einsum, tensordot, kron, cross, trace, and torch.linalg."""
import numpy as np

from . import OpInfo, Sample, uniform


def _shapes(*cases):
    """samples(rng, dtype) drawing one Sample per tuple of shapes (kwargs after a dict, name from shapes)."""
    def samples(rng, dtype):
        out = []
        for case in cases:
            kw = {}
            if case and isinstance(case[-1], dict):
                case, kw = case[:-1], case[-1]
            out.append(Sample(tuple(uniform(rng, s, dtype) for s in case), kw, name=str(case)))
        return out
    return samples


def _op(name, fn, *cases, **kw):
    kw.setdefault("max_examples", 2)
    return OpInfo(name, fn, kind="custom", samples=_shapes(*cases), **kw)


MATMUL_CASES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((2, 2, 3), (3,)), ((3,), (2, 3, 4)),
    ((2, 2, 3), (3, 4)), ((2, 3), (2, 3, 4)), ((2, 1, 2, 3), (3, 3, 4)), ((1, 2, 3), (2, 3, 4)),
    ((0, 3), (3, 2)), ((2, 0), (0, 3)), ((2, 0, 3), (3,)), ((1, 1), (1, 1)),
]


def _spd(rng, n, dtype, batch=()):
    a = rng.uniform(-1, 1, size=batch + (n, n))
    return (a @ np.swapaxes(a, -1, -2) + n * np.eye(n)).astype(dtype)


def _well(rng, shape, dtype):
    """Well-conditioned square matrices (diagonally dominant)."""
    n = shape[-1]
    return (rng.uniform(-1, 1, size=shape) + 2 * n * np.eye(n) * np.sign(rng.uniform(-1, 1, size=shape[:-2] + (1, 1)))
            ).astype(dtype)


OPS = [
    _op("matmul", lambda lib, a, b: lib.matmul(a, b), *MATMUL_CASES),
    _op("matmul_dunder", lambda lib, a, b: (a @ b) * 2, ((2, 3), (3, 4)), ((4, 2, 3), (3,))),
    _op("rmatmul_method", lambda lib, a, b: a.matmul(b) + b.__rmatmul__(a), ((2, 3), (3, 4))),
    _op("mm", lambda lib, a, b: lib.mm(a, b), ((2, 3), (3, 4)), ((1, 1), (1, 5)), ((3, 0), (0, 2))),
    _op("mv", lambda lib, a, b: lib.mv(a, b), ((2, 3), (3,)), ((1, 4), (4,))),
    _op("dot", lambda lib, a, b: lib.dot(a, b), ((3,), (3,)), ((1,), (1,)), ((0,), (0,))),
    _op("vdot", lambda lib, a, b: lib.vdot(a, b), ((4,), (4,))),
    _op("inner", lambda lib, a, b: lib.inner(a, b), ((3,), (3,)), ((2, 3), (4, 3)), ((2, 1, 3), (3,)),
        ((), (2, 3))),
    _op("bmm", lambda lib, a, b: lib.bmm(a, b), ((2, 3, 4), (2, 4, 5)), ((1, 1, 2), (1, 2, 1))),
    _op("addmm", lambda lib, c, a, b: lib.addmm(c, a, b), ((2, 4), (2, 3), (3, 4)), ((4,), (2, 3), (3, 4))),
    _op("addmm_scaled", lambda lib, c, a, b: lib.addmm(c, a, b, beta=0.5, alpha=-2), ((2, 4), (2, 3), (3, 4)),
        ((1, 1), (2, 3), (3, 4))),
    _op("addmm_method", lambda lib, c, a, b: c.addmm(a, b, alpha=3), ((2, 4), (2, 3), (3, 4))),
    _op("addmv", lambda lib, c, a, b: lib.addmv(c, a, b, beta=2, alpha=0.5), ((2,), (2, 3), (3,)),
        ((), (2, 3), (3,))),
    _op("baddbmm", lambda lib, c, a, b: lib.baddbmm(c, a, b, beta=0.5, alpha=2), ((2, 2, 4), (2, 2, 3), (2, 3, 4)),
        ((2, 4), (2, 2, 3), (2, 3, 4))),
    _op("addbmm", lambda lib, c, a, b: lib.addbmm(c, a, b, beta=-1, alpha=0.5), ((2, 4), (3, 2, 3), (3, 3, 4)),
        ((4,), (1, 2, 3), (1, 3, 4))),
    _op("outer", lambda lib, a, b: lib.outer(a, b), ((3,), (4,)), ((1,), (0,))),
    _op("ger", lambda lib, a, b: lib.ger(a, b), ((3,), (2,))),
    _op("einsum_matmul", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), ((2, 3), (3, 4))),
    _op("einsum_implicit", lambda lib, a, b: lib.einsum("ba,Ab", a, b), ((2, 3), (4, 2))),
    _op("einsum_list", lambda lib, a, b: lib.einsum("bij,bjk", [a, b]), ((2, 2, 3), (2, 3, 4))),
    _op("einsum_trace", lambda lib, a: lib.einsum("ii", a), ((3, 3),)),
    _op("einsum_diag", lambda lib, a: lib.einsum("ii->i", a), ((3, 3),)),
    _op("einsum_diag_batch", lambda lib, a, b: lib.einsum("bii,bi->b", a, b), ((2, 3, 3), (2, 3))),
    _op("einsum_sum", lambda lib, a: lib.einsum("ijk->j", a), ((2, 3, 4),)),
    _op("einsum_transpose", lambda lib, a: lib.einsum("ijk->kij", a), ((2, 3, 4),)),
    _op("einsum_outer", lambda lib, a, b: lib.einsum("i,j->ij", a, b), ((3,), (4,))),
    _op("einsum_ellipsis", lambda lib, a, b: lib.einsum("...ij,...jk", a, b), ((5, 2, 3), (3, 4)),
        ((2, 1, 2, 3), (3, 3, 4))),
    _op("einsum_ellipsis_out", lambda lib, a: lib.einsum("i...->...", a), ((2, 3, 4),)),
    _op("einsum_ellipsis_mid", lambda lib, a, b: lib.einsum("b...d,bd->...b", a, b), ((2, 3, 4), (2, 4))),
    _op("einsum_three", lambda lib, a, b, c: lib.einsum("ij,jk,kl->il", a, b, c), ((2, 3), (3, 4), (4, 2))),
    _op("einsum_bcast1", lambda lib, a, b: lib.einsum("ij,ij->i", a, b), ((2, 1), (2, 3))),
    _op("einsum_sum_only_one", lambda lib, a, b: lib.einsum("ij,k->ik", a, b), ((2, 3), (4,))),
    _op("einsum_scalar", lambda lib, a, b: lib.einsum(",i->i", a, b), ((), (3,))),
    _op("einsum_empty", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), ((2, 0), (0, 3)), ((0, 2), (2, 3))),
    _op("einsum_sublist", lambda lib, a, b: lib.einsum(a, [0, 1], b, [1, 2], [0, 2]), ((2, 3), (3, 4))),
    _op("tensordot_int", lambda lib, a, b: lib.tensordot(a, b, dims=2), ((2, 3, 4), (3, 4, 5))),
    _op("tensordot_lists", lambda lib, a, b: lib.tensordot(a, b, dims=([1, 0], [0, 2])), ((2, 3, 4), (3, 5, 2))),
    _op("tensordot_zero", lambda lib, a, b: lib.tensordot(a, b, dims=0), ((2, 3), (2,))),
    _op("kron", lambda lib, a, b: lib.kron(a, b), ((2, 3), (3, 2)), ((2,), (2, 3)), ((), (3,)), ((2, 2, 1), (1, 3)),
        noncontiguous=False),  # torch.kron itself fails on some strided inputs (uses view)
    _op("cross", lambda lib, a, b: lib.cross(a, b, dim=1), ((2, 3), (2, 3)), ((2, 3, 2), (1, 3, 2))),
    _op("linalg_cross", lambda lib, a, b: lib.linalg.cross(a, b), ((4, 3), (4, 3)), ((3,), (3,))),
    _op("trace", lambda lib, a: lib.trace(a), ((3, 3),), ((2, 4),), ((4, 2),)),
    _op("trace_method", lambda lib, a: a.trace() * 2, ((1, 1),)),
    _op("multi_dot", lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]), ((2, 3), (3, 4), (4, 2)),
        ((3,), (3, 4), (4,)), ((3,), (3, 4), (4, 5))),
    _op("chain_matmul", lambda lib, a, b: lib.linalg.multi_dot([a, b]), ((5, 1), (1, 5))),
]
