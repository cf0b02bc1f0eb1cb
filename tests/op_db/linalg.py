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


# ---------------------------------------------------------------------------------------------- torch.linalg
def _gen(*makers):
    """samples(rng, dtype) from functions maker(rng, dtype) -> tuple of arrays (or (arrays, kwargs))."""
    def samples(rng, dtype):
        out = []
        for mk in makers:
            r = mk(rng, dtype)
            args, kw = (r if isinstance(r, tuple) and len(r) == 2 and isinstance(r[1], dict) else (r, {}))
            out.append(Sample(tuple(args), kw, name=str([a.shape for a in args])))
        return out
    return samples


def _la(name, fn, *makers, **kw):
    kw.setdefault("max_examples", 2)
    kw.setdefault("atol", 1e-4)
    kw.setdefault("rtol", 1e-4)
    kw.setdefault("atol64", 1e-8)
    kw.setdefault("rtol64", 1e-7)
    return OpInfo(name, fn, kind="custom", samples=_gen(*makers), **kw)


def W(*shape):
    return lambda rng, dt: (_well(rng, shape, dt),)


def SPD(n, batch=()):
    return lambda rng, dt: (_spd(rng, n, dt, batch),)


def U(*shape):
    return lambda rng, dt: (uniform(rng, shape, dt),)


def _sym(n, batch=()):
    def mk(rng, dt):
        a = rng.uniform(-1, 1, size=batch + (n, n))
        return ((a + np.swapaxes(a, -1, -2)).astype(dt),)
    return mk


def _singular(rng, dt):
    a = rng.uniform(-1, 1, size=(3, 3))
    a[2] = a[0] + a[1]
    return (a.astype(dt),)


def _pair(fa, fb):
    return lambda rng, dt: (fa(rng, dt)[0], fb(rng, dt)[0])


def _sq(v):
    return v * v  # sign-invariant view of singular / eigen vectors


OPS += [
    _la("linalg_det", lambda lib, a: lib.linalg.det(a), W(3, 3), W(2, 3, 3), W(1, 1), U(2, 2)),
    _la("det_method", lambda lib, a: a.det() + lib.det(a), W(2, 2)),
    _la("det_singular", lambda lib, a: lib.linalg.det(a), _singular, gradgrad=False, noncontiguous=False),
    _la("slogdet", lambda lib, a: lib.linalg.slogdet(a), W(3, 3), W(2, 3, 3)),
    _la("logdet", lambda lib, a: lib.logdet(a), SPD(3)),
    _la("inv", lambda lib, a: lib.linalg.inv(a), W(3, 3), W(2, 2, 2), W(1, 1)),
    _la("inverse", lambda lib, a: lib.inverse(a) + a.inverse(), W(3, 3)),
    _la("inv_ex", lambda lib, a: lib.linalg.inv_ex(a).inverse, W(3, 3)),
    _la("solve", lambda lib, a, b: lib.linalg.solve(a, b), _pair(W(3, 3), U(3)), _pair(W(3, 3), U(3, 2)),
        _pair(W(2, 3, 3), U(3)), _pair(W(2, 3, 3), U(2, 3)), _pair(W(2, 3, 3), U(3, 2)), _pair(W(3, 3), U(2, 3, 1))),
    _la("solve_right", lambda lib, a, b: lib.linalg.solve(a, b, left=False), _pair(W(3, 3), U(2, 3))),
    _la("solve_triangular", lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=True),
        _pair(W(3, 3), U(3, 2))),
    _la("solve_triangular_lower_right", lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=False, left=False),
        _pair(W(3, 3), U(2, 3))),
    _la("solve_triangular_unit", lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=False,
                                                                                 unitriangular=True),
        _pair(W(3, 3), U(3, 2))),
    _la("cholesky", lambda lib, a: lib.linalg.cholesky(a), SPD(3), SPD(2, (2,)), SPD(1)),
    _la("cholesky_upper", lambda lib, a: lib.linalg.cholesky(a, upper=True), SPD(3)),
    _la("cholesky_ex", lambda lib, a: lib.linalg.cholesky_ex(a).L, SPD(3)),
    _la("cholesky_solve", lambda lib, b, a: lib.cholesky_solve(b, lib.linalg.cholesky(a)), _pair(U(3, 2), SPD(3))),
    _la("cholesky_inverse", lambda lib, a: lib.cholesky_inverse(lib.linalg.cholesky(a)), SPD(3)),
    _la("qr", lambda lib, a: lib.linalg.qr(a), U(4, 3), W(3, 3), U(2, 4, 2)),
    _la("qr_r", lambda lib, a: lib.linalg.qr(a, mode="r").R, U(4, 3), grad=False),
    _la("qr_complete_square", lambda lib, a: lib.linalg.qr(a, mode="complete"), W(3, 3)),
    _la("svd", lambda lib, a: [(_sq(u), s, _sq(vh)) for u, s, vh in [lib.linalg.svd(a, full_matrices=False)]][0],
        U(4, 3), U(3, 4), U(2, 3, 3)),
    _la("svd_full_square", lambda lib, a: [(_sq(u), s, _sq(vh)) for u, s, vh in [lib.linalg.svd(a)]][0], U(3, 3)),
    _la("svd_S_only", lambda lib, a: lib.linalg.svd(a, full_matrices=False).S, U(4, 3)),
    _la("svd_old", lambda lib, a: [(_sq(u), s, _sq(v)) for u, s, v in [lib.svd(a)]][0], U(4, 3)),
    _la("svdvals", lambda lib, a: lib.linalg.svdvals(a), U(4, 3), U(2, 3, 5)),
    _la("eigh", lambda lib, a: [(w, _sq(v)) for w, v in [lib.linalg.eigh(a)]][0], _sym(3), _sym(2, (2,))),
    _la("eigh_upper", lambda lib, a: [(w, _sq(v)) for w, v in [lib.linalg.eigh(a, UPLO="U")]][0], U(3, 3)),
    _la("eigvalsh", lambda lib, a: lib.linalg.eigvalsh(a), _sym(4), U(3, 3)),
    _la("pinv", lambda lib, a: lib.linalg.pinv(a), U(4, 3), U(3, 4), W(3, 3), U(2, 3, 2)),
    _la("pinverse", lambda lib, a: lib.pinverse(a), U(4, 3)),
    _la("matrix_rank", lambda lib, a: lib.linalg.matrix_rank(a), U(4, 3), _singular, grad=False),
    _la("matrix_power", lambda lib, a: lib.linalg.matrix_power(a, 3), W(3, 3), W(2, 2, 2)),
    _la("matrix_power_neg", lambda lib, a: lib.matrix_power(a, -2), W(3, 3)),
    _la("matrix_power_one", lambda lib, a: a.matrix_power(1), W(3, 3)),
    _la("matrix_power_zero", lambda lib, a: lib.linalg.matrix_power(a, 0), W(3, 3), grad=False),
    _la("lstsq", lambda lib, a, b: lib.linalg.lstsq(a, b).solution, _pair(U(5, 3), U(5, 2)), _pair(W(3, 3), U(3, 1))),
    _la("vecdot", lambda lib, a, b: lib.linalg.vecdot(a, b), _pair(U(2, 3), U(2, 3))),
    _la("linalg_diagonal", lambda lib, a: lib.linalg.diagonal(a), U(2, 3, 3)),
]

_VN = [2, 1, 3, 0.5, 1.5, float("inf"), -float("inf"), 0, -1]
for _o in _VN:
    OPS.append(_la(f"vector_norm_{_o}", (lambda lib, x, _o=_o: lib.linalg.vector_norm(x, ord=_o)),
                   U(3, 4), U(5), U(), gradgrad=_o not in (0.5,), avoid=lambda x: np.abs(x) < 0.05))
    OPS.append(_la(f"vector_norm_dim_{_o}", (lambda lib, x, _o=_o: lib.linalg.vector_norm(x, _o, dim=(0, 2),
                                                                                            keepdim=True)),
                   U(2, 3, 4), gradgrad=_o not in (0.5,), avoid=lambda x: np.abs(x) < 0.05))
OPS += [
    _la("vector_norm_dim_int", lambda lib, x: lib.linalg.vector_norm(x, dim=-1), U(3, 4), U(2, 0)),
    _la("vector_norm_dtype", lambda lib, x: lib.linalg.vector_norm(x, dtype=lib.float64), U(3, 4),
        dtypes=("float32",)),
    _la("vector_norm_empty", lambda lib, x: lib.linalg.vector_norm(x), U(0, 3)),
]
for _o in ["fro", "nuc", 2, -2, 1, -1, float("inf"), -float("inf")]:
    OPS.append(_la(f"matrix_norm_{_o}", (lambda lib, x, _o=_o: lib.linalg.matrix_norm(x, ord=_o)), U(3, 4), U(2, 3, 3),
                   avoid=lambda x: np.abs(x) < 0.05))
    OPS.append(_la(f"matrix_norm_dim_{_o}", (lambda lib, x, _o=_o: lib.linalg.matrix_norm(x, _o, dim=(2, 0),
                                                                                            keepdim=True)),
                   U(3, 2, 4), avoid=lambda x: np.abs(x) < 0.05))
OPS += [
    _la("linalg_norm", lambda lib, x: lib.linalg.norm(x), U(2, 3, 4), U()),
    _la("linalg_norm_ord_vec", lambda lib, x: lib.linalg.norm(x, 3), U(5)),
    _la("linalg_norm_ord_mat", lambda lib, x: lib.linalg.norm(x, "nuc"), U(3, 4)),
    _la("linalg_norm_dim1", lambda lib, x: lib.linalg.norm(x, dim=1, keepdim=True), U(2, 3, 4)),
    _la("linalg_norm_dim2", lambda lib, x: lib.linalg.norm(x, 1, dim=(0, 1)), U(2, 3, 4)),
    _la("torch_norm", lambda lib, x: lib.norm(x) + x.norm(p=1) + lib.norm(x, dim=(0, 1)).sum(), U(2, 3, 4)),
    _la("torch_norm_p", lambda lib, x: lib.norm(x, p=3, dim=1, keepdim=True), U(2, 3, 4)),
    _la("torch_norm_nuc", lambda lib, x: lib.norm(x, p="nuc"), U(3, 4)),
]
