"""Linear algebra: the matmul family (matmul/mm/mv/dot/bmm/addmm/...), einsum, tensordot, kron, cross, trace,
and the ``ember.linalg`` namespace (norms, det, inv, solve, cholesky, qr, svd, eigh, pinv, ...).

Like PyTorch, the products never promote dtypes: float32 @ float64 is an error with PyTorch's message. Every
product is one primitive, ``Matmul`` (``np.matmul``, i.e. BLAS), whose backward is again ``Matmul`` on
transposed *views* (no copies), so double backward is free. The decompositions run NumPy's LAPACK wrappers in
``forward`` and write their gradients with ember ops (PyTorch's formulas), so they are differentiable twice.

Functions of ``ember.linalg`` are collected in ``LINALG`` (name -> function) and re-exported by
``ember/linalg/__init__.py``.
"""
import math

import numpy as np

from .._tensor import Tensor
from .._dtype import to_dtype
from ..autograd.function import Op
from ..backend import array_module
from ._util import export, wrap_dim, wrap_dims, broadcast_shape, check_tensor
from .elementwise import sum_to, _maybe_out, where
from .shape import reshape, permute, transpose
from .reduce import sum as _sum

LINALG = {}   # name -> function: ember.linalg.<name>


def linalg_fn(*names):
    def deco(fn):
        for n in names or (fn.__name__,):
            LINALG[n] = fn
        return fn
    return deco


class LinAlgError(RuntimeError):
    """``ember.linalg.LinAlgError`` (PyTorch's ``torch.linalg.LinAlgError`` is a RuntimeError too)."""


# ---------------------------------------------------------------------------------------------- helpers
_CPP = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
        "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}
_SCALAR = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
           "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _cpp(t):
    return _CPP[t._data.dtype.name]


def _sc(t):
    return _SCALAR[t._data.dtype.name]


def _tensor_arg(x, op, arg, pos):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")
    return x


def _no_bool(t, kernel):
    if t._data.dtype == np.bool_:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _blas(x):
    """``x`` itself when BLAS can read it (C or Fortran layout of its last two dims), else a C-contiguous copy.

    ``np.matmul`` silently falls back to a slow non-BLAS loop for other strides (e.g. the zero strides of an
    expanded gradient), which is many times slower than copying first."""
    if x.ndim < 2 or type(x) is not np.ndarray:
        return x
    it = x.itemsize
    s1, s2 = x.strides[-2], x.strides[-1]
    if s2 == it and s1 % it == 0 and s1 >= x.shape[-1] * it:
        return x
    if s1 == it and s2 % it == 0 and s2 >= it:
        return x
    return np.ascontiguousarray(x)


def _mT(x):
    return transpose(x, -2, -1)


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


# ---------------------------------------------------------------------------------------------- the primitive
class Matmul(Op):
    """``a @ b`` for ``a``, ``b`` of at least 2 dims (batch dims broadcast); the 1-D cases reshape around it."""
    save_inputs = (0, 1)

    def forward(ctx, a, b):
        a = _blas(a)
        b = _blas(b)
        if a.ndim > 2 and b.ndim == 2 and a.flags.c_contiguous:
            # a stack of matrices times one matrix: one big GEMM instead of a loop over the batch
            return (a.reshape(-1, a.shape[-1]) @ b).reshape(a.shape[:-1] + (b.shape[-1],))
        return a @ b

    def backward(ctx, g):
        a, b = ctx.inputs
        e = ctx.edges
        ga = gb = None
        if e[0] is not None:
            ga = sum_to(Matmul.apply(g, _mT(b)), a._data.shape)
        if e[1] is not None:
            ad, bd = a._data, b._data
            if bd.ndim == 2 and ad.ndim > 2:
                # sum over the batch inside one GEMM: (a folded)^T @ (g folded)
                k, m = ad.shape[-1], g._data.shape[-1]
                gb = Matmul.apply(_mT(reshape(a, -1, k)), reshape(g, -1, m))
            else:
                gb = sum_to(Matmul.apply(_mT(a), g), bd.shape)
        return ga, gb


class Dot(Op):
    """Inner product of two 1-D tensors (a 0-d result)."""
    save_inputs = (0, 1)

    def forward(ctx, a, b):
        r = a.dot(b)
        return np.asarray(r) if type(a) is np.ndarray else r

    def backward(ctx, g):
        a, b = ctx.inputs
        e = ctx.edges
        return (g * b if e[0] is not None else None), (g * a if e[1] is not None else None)


def _mm_raw(a, b):
    return Matmul.apply(a, b)


# ---------------------------------------------------------------------------------------------- matmul
def _check_dot(a, b, op="dot"):
    if a._data.ndim != 1 or b._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a._data.ndim}D and {b._data.ndim}D tensors")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {_sc(a)} and {_sc(b)}")
    n, m = a._data.shape[0], b._data.shape[0]
    if n != m:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same number "
                           f"of elements, but got {n} and {m} elements respectively")
    _no_bool(a, "dot")


def _check_mm_dtype(a, b):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_cpp(a)} != {_cpp(b)}")


def _check_mm_shapes(rows, k, k2, m):
    if k != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and {k2}x{m})")


def _check_mv(rows, k, k2, a, b):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_sc(b)}, {_sc(a)}, and "
                           f"{_sc(b)}")
    if k != k2:
        raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{k}), vec ({k2})")


def _matmul(a, b):
    """``matmul`` after the argument types are known to be Tensors."""
    ad, bd = a._data, b._data
    da, db = ad.ndim, bd.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    if da == 2 and db == 2:  # the hot path
        if ad.dtype != bd.dtype:
            _check_mm_dtype(a, b)
        if ad.shape[1] != bd.shape[0]:
            _check_mm_shapes(ad.shape[0], ad.shape[1], bd.shape[0], bd.shape[1])
        if ad.dtype == np.bool_:
            _no_bool(a, "addmm_impl_cpu_")
        return Matmul.apply(a, b)
    if da == 1 and db == 1:
        _check_dot(a, b)
        return Dot.apply(a, b)
    if db == 1:
        rows = _prod(ad.shape[:-1])
        _check_mv(rows, ad.shape[-1], bd.shape[0], a, b)
        _no_bool(a, "addmv_impl_cpu")
        out = Matmul.apply(a, reshape(b, bd.shape[0], 1))
        return reshape(out, ad.shape[:-1])
    if db == 2:  # a is 1-D or N-D
        if ad.dtype != bd.dtype:
            _check_mm_dtype(a, b)
        rows = _prod(ad.shape[:-1]) if da > 1 else 1
        _check_mm_shapes(rows, ad.shape[-1], bd.shape[0], bd.shape[1])
        _no_bool(a, "addmm_impl_cpu_")
        if da == 1:
            return reshape(Matmul.apply(reshape(a, 1, ad.shape[0]), b), bd.shape[1])
        return Matmul.apply(a, b)
    # b is N-D (N >= 3), a is 1-D, 2-D or N-D: batched
    if ad.dtype != bd.dtype:
        raise RuntimeError(f"expected scalar type {_sc(a)} but found {_sc(b)}")
    batch = broadcast_shape(ad.shape[:-2], bd.shape[:-2])
    k = ad.shape[-1]
    if k != bd.shape[-2]:
        B = _prod(batch)
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{B}, {k}] but got: "
                           f"[{B}, {bd.shape[-2]}].")
    _no_bool(a, "bmm")
    if da == 1:
        out = Matmul.apply(reshape(a, 1, k), b)
        return reshape(out, out._data.shape[:-2] + out._data.shape[-1:])
    return Matmul.apply(a, b)


@export("matmul")
def matmul(input, other, *, out=None):
    """PyTorch's ``matmul``: dot, matrix-vector, matrix-matrix and batched products (batch dims broadcast)."""
    _tensor_arg(input, "matmul", "input", 1)
    _tensor_arg(other, "matmul", "other", 2)
    return _maybe_out(_matmul(input, other), out)


def _dunder_matmul(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return _matmul(self, other)


def _dunder_rmatmul(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return _matmul(other, self)


Tensor.__matmul__ = _dunder_matmul
Tensor.__rmatmul__ = _dunder_rmatmul
LINALG["matmul"] = matmul


@export("mm")
def mm(input, mat2, *, out=None):
    _tensor_arg(input, "mm", "input", 1)
    _tensor_arg(mat2, "mm", "mat2", 2)
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return _maybe_out(_matmul(input, mat2), out)


@export("mv")
def mv(input, vec, *, out=None):
    _tensor_arg(input, "mv", "input", 1)
    _tensor_arg(vec, "mv", "vec", 2)
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, {vec._data.ndim}")
    return _maybe_out(_matmul(input, vec), out)


@export("dot")
def dot(input, tensor, *, out=None):
    _tensor_arg(input, "dot", "input", 1)
    _tensor_arg(tensor, "dot", "tensor", 2)
    _check_dot(input, tensor)
    return _maybe_out(Dot.apply(input, tensor), out)


@export("vdot")
def vdot(input, other, *, out=None):
    """Conjugating dot product; ember has no complex dtypes, so this is ``dot``."""
    _tensor_arg(input, "vdot", "input", 1)
    _tensor_arg(other, "vdot", "other", 2)
    _check_dot(input, other)
    return _maybe_out(Dot.apply(input, other), out)


@export("bmm")
def bmm(input, mat2, *, out=None):
    _tensor_arg(input, "bmm", "input", 1)
    _tensor_arg(mat2, "bmm", "mat2", 2)
    a, b = input._data, mat2._data
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {_sc(input)} but found {_sc(mat2)}")
    if b.shape[0] != a.shape[0] or b.shape[1] != a.shape[2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, "
                           f"{a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")
    _no_bool(input, "bmm")
    return _maybe_out(Matmul.apply(input, mat2), out)


def _scaled(x, s):
    return x if s == 1 else x * s


def _add_scaled(input, prod, beta, alpha, shape):
    """``beta * input + alpha * prod`` with PyTorch's rules: beta == 0 ignores input (nan/inf included)."""
    from .shape import expand
    try:
        broadcast_shape(input._data.shape, shape)
        inp = expand(input, *shape) if input._data.shape != shape else input
    except RuntimeError:
        raise RuntimeError(f"The expanded size of the tensor ({shape[-1]}) must match the existing size "
                           f"({input._data.shape[-1]}) at non-singleton dimension {len(shape) - 1}.  Target "
                           f"sizes: {list(shape)}.  Tensor sizes: {list(input._data.shape)}") from None
    if input._data.dtype.kind != "f":  # integer tensors: PyTorch truncates the scalars
        alpha, beta = int(alpha), int(beta)
    p = _scaled(prod, alpha)
    if beta == 0:
        return p
    return _scaled(inp, beta) + p


def _check_self_dtype(input, mat, msg="self and mat2 must have the same dtype, but got {} and {}"):
    if input._data.dtype != mat._data.dtype:
        raise RuntimeError(msg.format(_sc(input), _sc(mat)))


@export("addmm")
def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * (mat1 @ mat2)``."""
    _tensor_arg(input, "addmm", "input", 1)
    _tensor_arg(mat1, "addmm", "mat1", 2)
    _tensor_arg(mat2, "addmm", "mat2", 3)
    if mat1._data.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {mat1._data.ndim}-D tensor")
    if mat2._data.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {mat2._data.ndim}-D tensor")
    if input._data.dtype != mat1._data.dtype:
        _check_self_dtype(input, mat1)
    _check_self_dtype(input, mat2)
    p = mm(mat1, mat2)
    return _maybe_out(_add_scaled(input, p, beta, alpha, p._data.shape), out)


@export("addmv")
def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    _tensor_arg(input, "addmv", "input", 1)
    _tensor_arg(mat, "addmv", "mat", 2)
    _tensor_arg(vec, "addmv", "vec", 3)
    if mat._data.ndim != 2 or vec._data.ndim != 1 or input._data.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input._data.ndim}, {mat._data.ndim}, "
                           f"{vec._data.ndim}")
    if not (input._data.dtype == mat._data.dtype == vec._data.dtype):
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_sc(input)}, {_sc(mat)}, and "
                           f"{_sc(vec)}")
    n, k = mat._data.shape
    if vec._data.shape[0] != k or input._data.shape not in ((), (1,), (n,)):
        raise RuntimeError(f"size mismatch, got input ({input._data.shape[0] if input._data.ndim else 1}), "
                           f"mat ({n}x{k}), vec ({vec._data.shape[0]})")
    p = _matmul(mat, vec)
    return _maybe_out(_add_scaled(input, p, beta, alpha, p._data.shape), out)


def _check_batches(b1, b2, op):
    for t, nm in ((b1, "batch1"), (b2, "batch2")):
        if t._data.ndim != 3:
            raise RuntimeError(f"{nm} must be a 3D tensor")
    s1, s2 = b1._data.shape, b2._data.shape
    if s1[0] != s2[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {s1[0]} and {s2[0]}")
    if s1[2] != s2[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({s1[1]}x{s1[2]} and {s2[1]}x{s2[2]})")


@export("baddbmm")
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * bmm(batch1, batch2)``."""
    _tensor_arg(input, "baddbmm", "input", 1)
    _tensor_arg(batch1, "baddbmm", "batch1", 2)
    _tensor_arg(batch2, "baddbmm", "batch2", 3)
    if not (input._data.dtype == batch1._data.dtype == batch2._data.dtype):
        raise RuntimeError(f"Input dtypes must be the same, got: input {_cpp(input)}, batch1: {_cpp(batch1)}, "
                           f"batch2: {_cpp(batch2)}")
    _check_batches(batch1, batch2, "baddbmm")
    p = bmm(batch1, batch2)
    return _maybe_out(_add_scaled(input, p, beta, alpha, p._data.shape), out)


@export("addbmm")
def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]`` (one GEMM over the concatenated batch)."""
    _tensor_arg(input, "addbmm", "input", 1)
    _tensor_arg(batch1, "addbmm", "batch1", 2)
    _tensor_arg(batch2, "addbmm", "batch2", 3)
    _check_batches(batch1, batch2, "addbmm")
    _check_self_dtype(input, batch1)
    _check_self_dtype(input, batch2)
    B, n, k = batch1._data.shape
    m = batch2._data.shape[2]
    # sum_b A_b B_b = [A_0 ... A_{B-1}] (n x Bk) @ [B_0; ...; B_{B-1}] (Bk x m)
    a = reshape(permute(batch1, 1, 0, 2), n, B * k)
    p = Matmul.apply(a, reshape(batch2, B * k, m))
    return _maybe_out(_add_scaled(input, p, beta, alpha, (n, m)), out)


def _inplace(fn):
    def ip(self, *args, **kwargs):
        return self._apply_inplace(fn, *args, **kwargs)
    ip.__name__ = fn.__name__ + "_"
    return ip


Tensor.addmm_ = _inplace(addmm)
Tensor.addmv_ = _inplace(addmv)
Tensor.baddbmm_ = _inplace(baddbmm)
Tensor.addbmm_ = _inplace(addbmm)


@export("outer", "ger")
def outer(input, vec2, *, out=None):
    """Outer product of two 1-D tensors (dtypes promote, as in PyTorch)."""
    _tensor_arg(input, "outer", "input", 1)
    _tensor_arg(vec2, "outer", "vec2", 2)
    if input._data.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {input._data.ndim}-D")
    if vec2._data.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument vec2, but got {vec2._data.ndim}-D")
    return _maybe_out(reshape(input, -1, 1) * vec2, out)


@export("inner")
def inner(input, other, *, out=None):
    """Sum over the last dims: ``inner(a, b)[i..., j...] = sum_k a[i..., k] b[j..., k]``."""
    _tensor_arg(input, "inner", "input", 1)
    _tensor_arg(other, "inner", "other", 2)
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        return _maybe_out(input * other, out)
    if a.dtype != b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(a.shape)} and {list(b.shape)}")
    return _maybe_out(tensordot(input, other, dims=([a.ndim - 1], [b.ndim - 1])), out)


# ---------------------------------------------------------------------------------------------- tensordot
@export("tensordot", method=False)
def tensordot(a, b, dims=2, out=None):
    """Contract ``a``'s dims ``dims[0]`` with ``b``'s dims ``dims[1]`` (an int ``n``: a's last n with b's first n).
    Written as permute + reshape + one matrix product, so its gradient is that of the pieces."""
    _tensor_arg(a, "tensordot", "a", 1)
    _tensor_arg(b, "tensordot", "b", 2)
    na, nb = a._data.ndim, b._data.ndim
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > na or dims > nb:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        raw_a, raw_b = list(range(-dims, 0)), list(range(dims))
        da, db = list(range(na - dims, na)), list(range(dims))
    else:
        if len(dims) != 2:
            raise RuntimeError("tensordot expects dims to be a pair of lists of dims")
        da, db = dims
        if isinstance(da, (int, np.integer)):
            da = [da]
        if isinstance(db, (int, np.integer)):
            raise TypeError("tensordot(): argument 'dims_other' (position 4) must be tuple of ints, not int")
        da, db = list(da), list(db)
        raw_a, raw_b = da, db
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
        da = [wrap_dim(d, na, "tensordot") for d in da]
        db = [wrap_dim(d, nb, "tensordot") for d in db]
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    sa, sb = a._data.shape, b._data.shape
    for x, y, rx, ry in zip(da, db, raw_a, raw_b):
        if sa[x] != sb[y] and sa[x] != 1 and sb[y] != 1:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa[x]} in dim {rx} and "
                               f"second has size {sb[y]} in dim {ry}")
    _no_bool(a, "addmm_impl_cpu_")
    # size-1 contracted dims broadcast against the other side (as in PyTorch)
    for x, y in zip(da, db):
        if sa[x] != sb[y]:
            return tensordot(_sum(a, x, keepdim=True) if sa[x] != 1 else a,
                             _sum(b, y, keepdim=True) if sb[y] != 1 else b, (da, db))
    fa = [i for i in range(na) if i not in da]
    fb = [i for i in range(nb) if i not in db]
    K = _prod(sa[i] for i in da)
    A = reshape(_perm(a, fa + da), _prod(sa[i] for i in fa), K)
    Bm = reshape(_perm(b, db + fb), K, _prod(sb[i] for i in fb))
    out_shape = tuple(sa[i] for i in fa) + tuple(sb[i] for i in fb)
    return _maybe_out(reshape(Matmul.apply(A, Bm), out_shape), out)


def _perm(x, order):
    return x if list(order) == list(range(len(order))) else permute(x, tuple(order))


# ---------------------------------------------------------------------------------------------- diagonal helpers
class _Diagonal(Op):
    """The diagonal of dims ``d1``/``d2`` (removed) appended as the last dim; a copy, not a view."""
    save_inputs = ()

    def forward(ctx, x, d1, d2):
        ctx.in_shape, ctx.d1, ctx.d2 = x.shape, d1, d2
        return x.diagonal(0, d1, d2).copy()

    def backward(ctx, g):
        return _DiagEmbed.apply(g, shape=ctx.in_shape, d1=ctx.d1, d2=ctx.d2)


class _DiagEmbed(Op):
    """Adjoint of ``_Diagonal``: zeros of ``shape`` with the last dim of ``g`` written on the d1/d2 diagonal."""
    save_inputs = ()

    def forward(ctx, g, shape, d1, d2):
        ctx.d1, ctx.d2 = d1, d2
        xp = array_module(g)
        n, m = shape[d1], shape[d2]
        rest = tuple(s for i, s in enumerate(shape) if i not in (d1, d2))
        z = xp.zeros(rest + (n * m,), dtype=g.dtype)
        k = min(n, m)
        z[..., :k * (m + 1):m + 1] = g
        z = z.reshape(rest + (n, m))
        return xp.ascontiguousarray(xp.moveaxis(z, (-2, -1), (d1, d2)))

    def backward(ctx, gg):
        return _Diagonal.apply(gg, d1=ctx.d1, d2=ctx.d2)


def _diag_last(x):
    """Diagonal of the last two dims: (..., n, n) -> (..., n)."""
    nd = x._data.ndim
    return _Diagonal.apply(x, d1=nd - 2, d2=nd - 1)


def _diag_embed_last(v):
    """(..., n) -> (..., n, n) with ``v`` on the diagonal."""
    n = v._data.shape[-1]
    shape = v._data.shape[:-1] + (n, n)
    return _DiagEmbed.apply(v, shape=shape, d1=len(shape) - 2, d2=len(shape) - 1)


class _Tri(Op):
    """tril/triu of the last two dims (a mask: its own adjoint)."""
    save_inputs = ()

    def forward(ctx, x, k, upper):
        ctx.k, ctx.upper = k, upper
        xp = array_module(x)
        return xp.triu(x, k) if upper else xp.tril(x, k)

    def backward(ctx, g):
        return _Tri.apply(g, k=ctx.k, upper=ctx.upper)


def _tril(x, k=0):
    return _Tri.apply(x, k=k, upper=False)


def _triu(x, k=0):
    return _Tri.apply(x, k=k, upper=True)


def _eye_like(x, n=None):
    xp = array_module(x._data)
    n = x._data.shape[-1] if n is None else n
    return Tensor._make(xp.eye(n, dtype=x._data.dtype))


@export("trace")
def trace(input):
    """Sum of the main diagonal of a 2-D tensor (integer inputs give int64, as ``sum``)."""
    check_tensor(input, "trace")
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    return _sum(_Diagonal.apply(input, d1=0, d2=1))


# ---------------------------------------------------------------------------------------------- einsum
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


class Einsum(Op):
    """``np.einsum`` on operands whose subscripts have no repeats and whose sizes agree per label (the public
    ``einsum`` takes diagonals and expands size-1 dims first). The gradient of each operand is again an einsum
    (of the upstream gradient and the other operands), so every order of derivative works."""

    def forward(ctx, *arrays, subs, out):
        ctx.subs, ctx.out = subs, out
        eq = ",".join(subs) + "->" + out
        xp = array_module(arrays[0])
        big = len(arrays) > 2 or any(a.size > 4096 for a in arrays)
        if xp is np:
            r = np.einsum(eq, *arrays, optimize=big)
            return np.asarray(r)
        return xp.einsum(eq, *arrays)

    def backward(ctx, g):
        inputs, subs, out = ctx.inputs, ctx.subs, ctx.out
        grads = []
        for i, t in enumerate(inputs):
            if ctx.edges[i] is None:
                grads.append(None)
                continue
            ops = [g] + [x for j, x in enumerate(inputs) if j != i]
            ss = [out] + [s for j, s in enumerate(subs) if j != i]
            avail = set("".join(ss))
            target = subs[i]
            present = "".join(c for c in target if c in avail)
            r = Einsum.apply(*ops, subs=tuple(ss), out=present)
            if present != target:  # labels summed only inside operand i: their gradient is a broadcast
                from .shape import expand
                kept = tuple(t._data.shape[j] if c in avail else 1 for j, c in enumerate(target))
                r = expand(reshape(r, kept), *t._data.shape)
            grads.append(r)
        return tuple(grads)


def _einsum_parse_term(term, eq, offset, op_index=None):
    labels = []
    ell = False
    i = 0
    while i < len(term):
        c = term[i]
        if c == ".":
            if term[i:i + 3] != "..." or ell:
                raise RuntimeError("einsum(): found '.' for operand %s that is not part of any ellipsis"
                                   % (op_index if op_index is not None else "output"))
            labels.append("...")
            ell = True
            i += 3
            continue
        if not c.isascii() or not c.isalpha():
            raise RuntimeError(f"einsum(): invalid subscript given at index {offset + i} in the equation string, "
                               f"subscripts must be in [a-zA-Z]")
        labels.append(c)
        i += 1
    return labels


@export("einsum", method=False)
def einsum(*args):
    """``einsum(equation, *operands)`` or ``einsum(equation, [operands])``: implicit and explicit output,
    ``...`` broadcasting, repeated subscripts (diagonals/traces), size-1 broadcasting, as in PyTorch."""
    from .shape import expand
    if not args:
        raise TypeError("einsum(): must specify the equation string and at least one operand, or at least one "
                        "operand and its subscripts list")
    eq, ops = args[0], args[1:]
    if not isinstance(eq, str):
        return _einsum_sublist(*args)
    if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
        ops = tuple(ops[0])
    for j, o in enumerate(ops):
        if not isinstance(o, Tensor):
            raise TypeError(f"einsum(): argument 'operands' must be tuple of Tensors, not {type(o).__name__}")
    raw = eq.replace(" ", "")
    if "->" in raw:
        lhs, rhs = raw.split("->", 1)
    else:
        lhs, rhs = raw, None
    terms = lhs.split(",")
    if len(terms) > len(ops):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(ops):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    if not ops:
        raise RuntimeError("einsum(): must provide at least one operand")
    dt = ops[0]._data.dtype
    for o in ops[1:]:
        if o._data.dtype != dt:
            raise RuntimeError(f"expected scalar type {_sc(ops[0])} but found {_sc(o)}")
    # labels per operand, the ellipsis expanded to per-dim labels '0', '1', ... (right aligned)
    offset = 0
    parsed = []
    ell_nd = 0
    for j, (term, o) in enumerate(zip(terms, ops)):
        labels = _einsum_parse_term(term, raw, offset, j)
        offset += len(term) + 1
        nd = o._data.ndim
        named = [c for c in labels if c != "..."]
        if "..." not in labels:
            if len(named) != nd:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(named)}) does not "
                                   f"match the number of dimensions ({nd}) for operand {j} and no ellipsis was "
                                   "given")
        elif len(named) > nd:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(named)}) is more than "
                               f"the number of dimensions ({nd}) for operand {j}")
        parsed.append(labels)
        if "..." in labels:
            ell_nd = max(ell_nd, nd - len(named))
    ell_labels = [f"#{k}" for k in range(ell_nd)]
    full = []
    for labels, o in zip(parsed, ops):
        if "..." in labels:
            n = o._data.ndim - (len(labels) - 1)
            p = labels.index("...")
            labels = labels[:p] + ell_labels[ell_nd - n:] + labels[p + 1:]
        full.append(labels)
    # output labels
    counts = {}
    for labels in parsed:
        for c in labels:
            if c != "...":
                counts[c] = counts.get(c, 0) + 1
    if rhs is None:
        out_labels = ell_labels + sorted(c for c, n in counts.items() if n == 1)
    else:
        ol = _einsum_parse_term(rhs, raw, len(lhs) + 2)
        seen = set()
        out_labels = []
        for c in ol:
            if c == "...":
                out_labels += ell_labels
                continue
            if c not in counts:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                                   "operand")
            if c in seen:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
            seen.add(c)
            out_labels.append(c)
    # repeated labels inside an operand: take diagonals
    ops = list(ops)
    for j, labels in enumerate(full):
        labels = list(labels)
        while True:
            rep = next((c for c in labels if labels.count(c) > 1), None)
            if rep is None:
                break
            d1 = labels.index(rep)
            d2 = labels.index(rep, d1 + 1)
            s = ops[j]._data.shape
            if s[d1] != s[d2]:
                raise RuntimeError(f"einsum(): subscript {rep} is repeated for operand {j} but the sizes don't "
                                   f"match, {s[d2]} != {s[d1]}")
            ops[j] = _Diagonal.apply(ops[j], d1=d1, d2=d2)
            labels = [c for k, c in enumerate(labels) if k not in (d1, d2)] + [rep]
        full[j] = labels
    # sizes per label (size-1 dims broadcast)
    sizes = {}
    for j, (labels, o) in enumerate(zip(full, ops)):
        for c, s in zip(labels, o._data.shape):
            prev = sizes.get(c)
            if prev is None or prev == 1:
                sizes[c] = s
            elif s != prev and s != 1:
                if c.startswith("#"):
                    k = labels.index(c)
                    raise RuntimeError(f"einsum(): dimension {k} covered by ellipsis in operand {j}has size {s} "
                                       f"which does not broadcast with previously seen ellipsis with size {prev} "
                                       "for the respective dimension")
                raise RuntimeError(f"einsum(): subscript {c} has size {s} for operand {j} which does not broadcast "
                                   f"with previously seen size {prev}")
    for j, (labels, o) in enumerate(zip(full, ops)):
        target = tuple(sizes[c] for c in labels)
        if target != o._data.shape:
            ops[j] = expand(o, *target)
    _no_bool(ops[0], "bmm")
    # single letters for NumPy
    letter = {}
    for labels in full:
        for c in labels:
            if c not in letter:
                if len(letter) >= len(_LETTERS):
                    raise RuntimeError("einsum(): too many subscripts in the equation")
                letter[c] = _LETTERS[len(letter)]
    subs = tuple("".join(letter[c] for c in labels) for labels in full)
    out = "".join(letter[c] for c in out_labels if c in letter)
    if any(c not in letter for c in out_labels):  # ellipsis dims only in the output cannot happen; guard anyway
        raise RuntimeError("einsum(): output subscript does not appear in the equation for any input operand")
    return Einsum.apply(*ops, subs=subs, out=out)


def _einsum_sublist(*args):
    """``einsum(op1, [0, 1], op2, [1, 2], [0, 2])``: the sublist form, turned into an equation string."""
    def lab(s):
        parts = []
        for v in s:
            if v is Ellipsis:
                parts.append("...")
            else:
                if not 0 <= v < 52:
                    raise ValueError("einsum(): subscript in subscript list is not within the valid range [0, 52)")
                parts.append(_LETTERS[v])
        return "".join(parts)
    ops, terms = [], []
    i = 0
    while i + 1 < len(args):
        ops.append(args[i])
        terms.append(lab(args[i + 1]))
        i += 2
    eq = ",".join(terms)
    if i < len(args):
        eq += "->" + lab(args[i])
    return einsum(eq, *ops)


# ---------------------------------------------------------------------------------------------- kron / cross
@export("kron")
def kron(input, other, *, out=None):
    """Kronecker product: dims are paired after left-padding the shorter shape with 1s."""
    _tensor_arg(input, "kron", "input", 1)
    _tensor_arg(other, "kron", "other", 2)
    sa, sb = input._data.shape, other._data.shape
    n = max(len(sa), len(sb))
    sa = (1,) * (n - len(sa)) + sa
    sb = (1,) * (n - len(sb)) + sb
    a = reshape(input, tuple(x for s in sa for x in (s, 1)))
    b = reshape(other, tuple(x for s in sb for x in (1, s)))
    return _maybe_out(reshape(a * b, tuple(x * y for x, y in zip(sa, sb))), out)


class _Take(Op):
    """Reorder the entries of dim ``dim`` by the permutation ``idx`` (backward: the inverse permutation)."""
    save_inputs = ()

    def forward(ctx, x, dim, idx):
        ctx.dim, ctx.idx = dim, idx
        xp = array_module(x)
        return xp.take(x, xp.asarray(idx), axis=dim)

    def backward(ctx, g):
        inv = [0] * len(ctx.idx)
        for i, j in enumerate(ctx.idx):
            inv[j] = i
        return _Take.apply(g, dim=ctx.dim, idx=tuple(inv))


def _cross(input, other, dim, default_dim):
    from .shape import expand
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"expected scalar type {_sc(input)} but found {_sc(other)}")
    if input._data.ndim != other._data.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    shape = broadcast_shape(input._data.shape, other._data.shape)
    if dim is None:
        dim = next((i for i, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    nd = len(shape)
    d = wrap_dim(dim, nd, "cross")
    if input._data.shape[d] != 3 or other._data.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {d} must have length 3. Got "
                           f"{input._data.shape[d]} and {other._data.shape[d]}")
    a = expand(input, *shape) if input._data.shape != shape else input
    b = expand(other, *shape) if other._data.shape != shape else other
    a1, a2 = _Take.apply(a, dim=d, idx=(1, 2, 0)), _Take.apply(a, dim=d, idx=(2, 0, 1))
    b1, b2 = _Take.apply(b, dim=d, idx=(1, 2, 0)), _Take.apply(b, dim=d, idx=(2, 0, 1))
    return a1 * b2 - a2 * b1


@export("cross")
def cross(input, other, dim=None, *, out=None):
    """Cross product along ``dim`` (default: the first dim of size 3, PyTorch's deprecated default)."""
    _tensor_arg(input, "cross", "input", 1)
    _tensor_arg(other, "cross", "other", 2)
    return _maybe_out(_cross(input, other, dim, True), out)


@linalg_fn("cross")
def linalg_cross(input, other, *, dim=-1, out=None):
    _tensor_arg(input, "linalg_cross", "input", 1)
    _tensor_arg(other, "linalg_cross", "other", 2)
    return _maybe_out(_cross(input, other, dim, False), out)


# ---------------------------------------------------------------------------------------------- chains
@linalg_fn("multi_dot")
def multi_dot(tensors, *, out=None):
    """Product of a list of matrices; the first may be 1-D (a row vector), the last 1-D (a column vector)."""
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    for i, t in enumerate(tensors):
        _tensor_arg(t, "multi_dot", "tensors", 1)
        nd = t._data.ndim
        if i == 0 and nd not in (1, 2):
            raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {nd}D")
        if i == n - 1 and nd not in (1, 2):
            raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {nd}D")
        if 0 < i < n - 1 and nd != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {nd}D")
    dt = tensors[0]._data.dtype
    for i, t in enumerate(tensors[1:], 1):
        if t._data.dtype != dt:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{_cpp(tensors[0])} and tensor {i} {_cpp(t)}")
    mats = list(tensors)
    first_vec = mats[0]._data.ndim == 1
    last_vec = mats[-1]._data.ndim == 1
    if first_vec:
        mats[0] = reshape(mats[0], 1, -1)
    if last_vec:
        mats[-1] = reshape(mats[-1], -1, 1)
    for i in range(n - 1):
        s1, s2 = tensors[i]._data.shape, tensors[i + 1]._data.shape
        if mats[i]._data.shape[1] != mats[i + 1]._data.shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(s1)} and {list(s2)} cannot "
                               "be multiplied")
    r = _chain(mats)
    if first_vec and last_vec:
        r = reshape(r, ())
    elif first_vec:
        r = reshape(r, -1)
    elif last_vec:
        r = reshape(r, -1)
    return _maybe_out(r, out)


def _chain(mats):
    """The product in the cheapest order (the classic matrix-chain dynamic programme)."""
    n = len(mats)
    if n == 1:
        return mats[0]
    if n == 2:
        return Matmul.apply(mats[0], mats[1])
    dims = [mats[0]._data.shape[0]] + [m._data.shape[1] for m in mats]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            best = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if best is None or c < best:
                    best, split[i][j] = c, k
            cost[i][j] = best

    def build(i, j):
        if i == j:
            return mats[i]
        k = split[i][j]
        return Matmul.apply(build(i, k), build(k + 1, j))
    return build(0, n - 1)


@export("chain_matmul", method=False)
def chain_matmul(*matrices, out=None):
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if len(matrices) == 1:
        return matrices[0].clone()
    for i, m in enumerate(matrices):
        if m._data.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m._data.ndim}, expected 2 instead.")
    return multi_dot(list(matrices), out=out)



# ================================================================================================ ember.linalg
from collections import namedtuple  # noqa: E402

_SlogdetResult = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
_QRResult = namedtuple("linalg_qr", ["Q", "R"])
_SVDResult = namedtuple("linalg_svd", ["U", "S", "Vh"])
_SVDOldResult = namedtuple("svd", ["U", "S", "V"])
_EighResult = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
_InvExResult = namedtuple("linalg_inv_ex", ["inverse", "info"])
_CholExResult = namedtuple("linalg_cholesky_ex", ["L", "info"])
_SolveExResult = namedtuple("linalg_solve_ex", ["result", "info"])
_LstsqResult = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])


def _check_float(A, op):
    k = A._data.dtype
    if k.kind != "f":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got {_sc(A)}")
    if k == np.float16:
        raise RuntimeError(f"{op}: Low precision dtypes not supported. Got Half")


def _check_matrix(A, op, square=True, name="A"):
    check_tensor(A, op.split(".")[-1])
    if A._data.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor {name} must have at least 2 dimensions.")
    _check_float(A, op)
    m, n = A._data.shape[-2:]
    if square and m != n:
        raise RuntimeError(f"{op}: {name} must be batches of square matrices, but they are {m} by {n} matrices")


def _getrf_info(m):
    """LAPACK getrf's ``info`` for one matrix: the 1-based index of the first zero pivot of LU with partial
    pivoting, 0 when there is none."""
    a = m.copy()
    n = min(a.shape)
    for j in range(n):
        p = j + int(np.argmax(np.abs(a[j:, j])))
        if a[p, j] == 0:
            return j + 1
        if p != j:
            a[[j, p]] = a[[p, j]]
        a[j + 1:, j] /= a[j, j]
        a[j + 1:, j + 1:] -= np.outer(a[j + 1:, j], a[j, j + 1:])
    return 0


def _potrf_info(m):
    """LAPACK potrf's ``info`` for one matrix (lower triangle used): the order of the first leading minor that
    is not positive-definite, 0 when there is none."""
    n = m.shape[0]
    L = np.zeros_like(m)
    for j in range(n):
        d = m[j, j] - L[j, :j] @ L[j, :j]
        if not d > 0:            # also catches NaN
            return j + 1
        L[j, j] = np.sqrt(d)
        L[j + 1:, j] = (m[j + 1:, j] - L[j + 1:, :j] @ L[j, :j]) / L[j, j]
    return 0


def _lapack_failure(kind, arr):
    """(batch index or None, LAPACK info) of the first matrix that makes getrf/potrf fail, for messages.
    Recomputed in NumPy (the matrices that fail are few), in the matrix's own precision as LAPACK ran it."""
    arr = np.asarray(arr.get() if hasattr(arr, "get") else arr)
    flat = arr.reshape((-1,) + arr.shape[-2:])
    info_of = _potrf_info if kind == "potrf" else _getrf_info
    for b in range(flat.shape[0]):
        info = info_of(np.array(flat[b]))
        if info > 0:
            return (b if flat.shape[0] > 1 else None), info
    return None, "?"


def _batch_prefix(b):
    return "" if b is None else f"(Batch element {b}): "


def _unsq2(x):
    """(...,) -> (..., 1, 1)"""
    return reshape(x, x._data.shape + (1, 1))


# ---------------------------------------------------------------------------------------------- inv / det
class Inv(Op):
    save_inputs = ()
    save_output = True

    def forward(ctx, A):
        xp = array_module(A)
        try:
            return xp.linalg.inv(A)
        except np.linalg.LinAlgError:
            b, info = _lapack_failure("getrf", A)
            raise LinAlgError(f"linalg.inv: {_batch_prefix(b)}The diagonal element {info} is zero, the inversion "
                              "could not be completed because the input matrix is singular.") from None

    def backward(ctx, g):
        Ai = _mT(ctx.output())
        return -Matmul.apply(Matmul.apply(Ai, g), Ai)


@linalg_fn("inv")
def inv(A, *, out=None):
    """Inverse of a square matrix (or a batch); ``LinAlgError`` for a singular one, as in PyTorch."""
    _check_matrix(A, "linalg.inv")
    return _maybe_out(Inv.apply(A), out)


@linalg_fn("inv_ex")
def inv_ex(A, *, check_errors=False, out=None):
    r = inv(A)
    xp = array_module(A._data)
    return _InvExResult(r, Tensor._make(xp.zeros(A._data.shape[:-2], dtype=np.int32)))


@export("inverse")
def inverse(input, *, out=None):
    return inv(input, out=out)


def _cofactor_T(A):
    """``det(A) * inv(A)^T`` for any square matrix (singular ones included), computed through the SVD: a constant
    (not differentiable further); the nonsingular case goes through ``inv`` instead."""
    a = A._data
    xp = array_module(a)
    u, s, vh = xp.linalg.svd(a)
    n = s.shape[-1]
    # adj(S)_ii = prod_{j != i} s_j
    adj = xp.empty_like(s)
    for i in range(n):
        adj[..., i] = xp.prod(xp.delete(s, i, axis=-1), axis=-1) if n > 1 else 1
    d = xp.linalg.det(u) * xp.linalg.det(vh)
    # adj(A) = det(U) det(V) V adj(S) U^T ; we want adj(A)^T = det * inv^T
    adjA = d[..., None, None] * ((xp.swapaxes(vh, -1, -2) * adj[..., None, :]) @ xp.swapaxes(u, -1, -2))
    return Tensor._make(xp.swapaxes(adjA, -1, -2).copy())


class Det(Op):
    save_inputs = (0,)
    save_output = True

    def forward(ctx, A):
        return array_module(A).linalg.det(A)

    def backward(ctx, g):
        A, = ctx.inputs
        d = ctx.output()
        if A._data.shape[-1] == 0:
            return A * 0
        xp = array_module(d._data)
        if bool((d._data == 0).any()) or not bool(xp.isfinite(d._data).all()):
            return _unsq2(g) * _cofactor_T(A)
        try:
            Ai = Inv.apply(A)
        except LinAlgError:
            return _unsq2(g) * _cofactor_T(A)
        return _unsq2(g * d) * _mT(Ai)


@linalg_fn("det")
def det(A, *, out=None):
    _check_matrix(A, "linalg.det")
    return _maybe_out(Det.apply(A), out)


export("det")(det)


class Slogdet(Op):
    """(sign, log|det|); like PyTorch, sign requires grad but its gradient is None (it is piecewise constant)."""
    save_inputs = (0,)

    def forward(ctx, A):
        s, l = array_module(A).linalg.slogdet(A)
        return array_module(A).asarray(s), array_module(A).asarray(l)

    def backward(ctx, gs, gl):
        A, = ctx.inputs
        if gl is None:
            return None
        if A._data.shape[-1] == 0:
            return A * 0
        return _unsq2(gl) * _mT(Inv.apply(A))


@linalg_fn("slogdet")
def slogdet(A, *, out=None):
    _check_matrix(A, "linalg.slogdet")
    s, l = Slogdet.apply(A)
    return _SlogdetResult(s, l)


export("slogdet")(slogdet)


@export("logdet")
def logdet(input):
    """``log(det(A))``: nan for a negative determinant, -inf for a singular matrix."""
    _check_matrix(input, "logdet")
    s, l = Slogdet.apply(input)
    with np.errstate(divide="ignore", invalid="ignore"):
        return l + Tensor._make(np.log(s._data) if type(s._data) is np.ndarray else array_module(s._data).log(s._data))


# ---------------------------------------------------------------------------------------------- solve
class Solve(Op):
    """``X = A^{-1} B`` for B of shape (..., n, k); batch dims broadcast."""
    save_inputs = (0,)
    save_output = True

    def forward(ctx, A, B):
        xp = array_module(A)
        try:
            return xp.linalg.solve(A, B)
        except np.linalg.LinAlgError:
            raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix is singular.") \
                from None

    def backward(ctx, g):
        A, B = ctx.inputs
        gB = Solve.apply(_mT(A), g)
        gA = None
        if ctx.edges[0] is not None:
            gA = sum_to(-Matmul.apply(gB, _mT(ctx.output())), A._data.shape)
        return gA, (sum_to(gB, B._data.shape) if ctx.edges[1] is not None else None)


@linalg_fn("solve")
def solve(A, B, *, left=True, out=None):
    """Solve ``A X = B`` (``X A = B`` with ``left=False``); B may be a vector (or a batch of vectors)."""
    _check_matrix(A, "linalg.solve")
    check_tensor(B, "solve")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type {_sc(A)} "
                           f"and B of type {_sc(B)} instead")
    As, Bs = A._data.shape, B._data.shape
    vector = B._data.ndim == 1 or (B._data.ndim == A._data.ndim - 1 and Bs == As[:-1])
    n = As[-1]
    if vector:
        Bm = reshape(B, Bs + (1,))
    else:
        if B._data.ndim < 2:
            raise RuntimeError("linalg.solve: The input tensor B must have at least 2 dimensions.")
        Bm = B if left else _mT(B)
    if Bm._data.shape[-2] != n:
        rows, cols = Bm._data.shape[-2], Bm._data.shape[-1]
        eq = "AX = B" if left or vector else "XA = B"
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and "
                           f"{rows}x{cols})")
    broadcast_shape(As[:-2], Bm._data.shape[:-2])
    if vector:
        X = Solve.apply(A, Bm)
        return _maybe_out(reshape(X, X._data.shape[:-1]), out)
    if left:
        return _maybe_out(Solve.apply(A, Bm), out)
    return _maybe_out(_mT(Solve.apply(_mT(A), Bm)), out)


@linalg_fn("solve_ex")
def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    r = solve(A, B, left=left)
    xp = array_module(A._data)
    return _SolveExResult(r, Tensor._make(xp.zeros(A._data.shape[:-2], dtype=np.int32)))


@linalg_fn("solve_triangular")
def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """Solve a triangular system; only the ``upper``/lower triangle of ``A`` is read (its diagonal taken as 1
    with ``unitriangular``). The gradient of ``A`` is confined to that triangle, as in PyTorch."""
    _check_matrix(A, "linalg.solve_triangular")
    check_tensor(B, "solve_triangular")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"linalg.solve_triangular: Expected A and B to have the same dtype, but found A of type "
                           f"{_sc(A)} and B of type {_sc(B)} instead")
    T = _triu(A) if upper else _tril(A)
    if unitriangular:
        T = T - _diag_embed_last(_diag_last(T)) + _eye_like(A)
    if left:
        return _maybe_out(Solve.apply(T, B), out)
    return _maybe_out(_mT(Solve.apply(_mT(T), _mT(B))), out)


# ---------------------------------------------------------------------------------------------- cholesky
class Cholesky(Op):
    save_inputs = ()
    save_output = True

    def forward(ctx, A, op):
        xp = array_module(A)
        try:
            return xp.linalg.cholesky(A)
        except np.linalg.LinAlgError:
            b, info = _lapack_failure("potrf", A)
            raise LinAlgError(f"{op}: {_batch_prefix(b)}The factorization could not be completed because the input "
                              f"is not positive-definite (the leading minor of order {info} is not "
                              "positive-definite).") from None

    def backward(ctx, gL):
        # PyTorch's formula: gA = L^{-H} Phi(L^H gL) L^{-1}, Phi = tril with a halved diagonal, symmetrised
        L = ctx.output()
        gA = _tril(Matmul.apply(_mT(L), gL))
        gA = (gA + _mT(_tril(gA, -1))) * 0.5
        gA = Solve.apply(_mT(L), gA)                 # L^{-H} gA
        return _mT(Solve.apply(_mT(L), _mT(gA)))     # gA L^{-1} = (L^{-H} gA^H)^H


@linalg_fn("cholesky")
def cholesky(A, *, upper=False, out=None):
    _check_matrix(A, "linalg.cholesky")
    L = Cholesky.apply(A, op="linalg.cholesky")
    return _maybe_out(_mT(L) if upper else L, out)


@linalg_fn("cholesky_ex")
def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    r = cholesky(A, upper=upper)
    xp = array_module(A._data)
    return _CholExResult(r, Tensor._make(xp.zeros(A._data.shape[:-2], dtype=np.int32)))


@export("cholesky")
def cholesky_old(input, upper=False, *, out=None):
    """``torch.cholesky`` (deprecated in PyTorch in favour of ``linalg.cholesky``)."""
    _check_matrix(input, "cholesky")
    L = Cholesky.apply(input, op="cholesky")
    return _maybe_out(_mT(L) if upper else L, out)


@export("cholesky_solve")
def cholesky_solve(input, input2, upper=False, *, out=None):
    """Solve ``A X = B`` given the Cholesky factor ``input2`` of ``A``."""
    L = _mT(_triu(input2)) if upper else _tril(input2)   # only that triangle is read, as in PyTorch
    return _maybe_out(Solve.apply(_mT(L), Solve.apply(L, input)), out)


@export("cholesky_inverse")
def cholesky_inverse(input, upper=False, *, out=None):
    L = _mT(_triu(input)) if upper else _tril(input)
    return _maybe_out(inv(Matmul.apply(L, _mT(L))), out)


# ---------------------------------------------------------------------------------------------- qr
class QR(Op):
    save_inputs = ()

    def forward(ctx, A, mode):
        ctx.mode = mode
        xp = array_module(A)
        if mode == "r":
            r = xp.linalg.qr(A, mode="r")
            return xp.empty((0,), dtype=A.dtype), r
        q, r = xp.linalg.qr(A, mode=mode)
        return q, r

    def backward(ctx, gQ, gR):
        Q, R = ctx.output(0), ctx.output(1)
        m, n = ctx.inputs[0]._data.shape[-2:]
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                               "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
                               "linalg.qr.")
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if m < n:
            raise NotImplementedError("ember: the derivative of linalg.qr for wide matrices (m < n) is not "
                                      "implemented")
        # PyTorch's formula (m >= n): gA = [gQ + Q copyltu(M)] R^{-H},  M = triu(gR R^H - Q^H gQ)
        M = None
        if gR is not None:
            M = Matmul.apply(gR, _mT(R))
        if gQ is not None:
            t = Matmul.apply(_mT(Q), gQ)
            M = -t if M is None else M - t
        M = _triu(M)
        M = M + _mT(_triu(M, 1))
        gA = Matmul.apply(Q, M)
        if gQ is not None:
            gA = gA + gQ
        return _mT(Solve.apply(R, _mT(gA)))      # gA R^{-H}


@linalg_fn("qr")
def qr(A, mode="reduced", *, out=None):
    if mode not in ("reduced", "r", "complete"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    _check_matrix(A, "linalg.qr", square=False)
    q, r = QR.apply(A, mode=mode)
    return _QRResult(q, r)


@export("qr")
def qr_old(input, some=True, *, out=None):
    return qr(input, mode="reduced" if some else "complete")


# ---------------------------------------------------------------------------------------------- svd / eigh
class SVD(Op):
    save_inputs = ()

    def forward(ctx, A, full_matrices):
        ctx.full = full_matrices
        u, s, vh = array_module(A).linalg.svd(A, full_matrices=full_matrices)
        return u, s, vh

    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.output(0), ctx.output(1), ctx.output(2)
        m, n = U._data.shape[-2], Vh._data.shape[-1]
        k = S._data.shape[-1]
        if ctx.full and (gU is not None or gVh is not None) and m != n:
            raise NotImplementedError("ember: the derivative of linalg.svd with full_matrices=True and m != n is "
                                      "not implemented; use full_matrices=False")
        return _svd_backward(gU, gS, gVh, U, S, Vh, m, n, k)


def _svd_backward(gU, gS, gVh, U, S, Vh, m, n, k):
    if gU is None and gVh is None:
        if gS is None:
            return None
        return Matmul.apply(U * reshape(gS, gS._data.shape[:-1] + (1, k)), Vh)
    Sr = reshape(S, S._data.shape[:-1] + (1, k))      # S as a row:    S[j] at [.., i, j]
    Sc = reshape(S, S._data.shape[:-1] + (k, 1))      # S as a column: S[i] at [.., i, j]
    S2 = S * S
    E = reshape(S2, S2._data.shape[:-1] + (1, k)) - reshape(S2, S2._data.shape[:-1] + (k, 1))
    E = E + _eye_like(S, k)
    UhgU = VhgV = None
    if gU is not None:
        t = Matmul.apply(_mT(U), gU)
        UhgU = t - _mT(t)
    if gVh is not None:
        t = Matmul.apply(Vh, _mT(gVh))
        VhgV = t - _mT(t)
    if UhgU is not None and VhgV is not None:
        gA = (UhgU * Sr + Sc * VhgV) / E
    elif UhgU is not None:
        gA = UhgU * (Sr / E)
    else:
        gA = Sc * (VhgV / E)
    if gS is not None:
        gA = gA + _diag_embed_last(gS)
    if m > n and gU is not None:
        gA = Matmul.apply(U, gA)
        gUSinv = gU / Sr
        gA = gA + gUSinv - Matmul.apply(U, Matmul.apply(_mT(U), gUSinv))
        return Matmul.apply(gA, Vh)
    if m < n and gVh is not None:
        gA = Matmul.apply(gA, Vh)
        SinvgVh = gVh / Sc
        gA = gA + SinvgVh - Matmul.apply(Matmul.apply(SinvgVh, _mT(Vh)), Vh)
        return Matmul.apply(U, gA)
    return Matmul.apply(Matmul.apply(U, gA), Vh)


class SVDVals(Op):
    save_inputs = ()

    def forward(ctx, A):
        xp = array_module(A)
        u, s, vh = xp.linalg.svd(A, full_matrices=False)
        ctx.u, ctx.vh = u, vh
        return s

    def backward(ctx, gS):
        U, Vh = Tensor._make(ctx.u), Tensor._make(ctx.vh)
        k = gS._data.shape[-1]
        return Matmul.apply(U * reshape(gS, gS._data.shape[:-1] + (1, k)), Vh)


@linalg_fn("svd")
def svd(A, full_matrices=True, *, driver=None, out=None):
    _check_matrix(A, "linalg.svd", square=False)
    u, s, vh = SVD.apply(A, full_matrices=full_matrices)
    return _SVDResult(u, s, vh)


@linalg_fn("svdvals")
def svdvals(A, *, driver=None, out=None):
    _check_matrix(A, "linalg.svdvals", square=False)
    if A._requires_grad:  # through the full SVD so that double backward works
        return SVD.apply(A, full_matrices=False)[1]
    return _maybe_out(SVDVals.apply(A), out)


@export("svd")
def svd_old(input, some=True, compute_uv=True, *, out=None):
    """``torch.svd``: returns ``V`` (not ``Vh``); ``some=False`` gives full ``U``/``V``."""
    _check_matrix(input, "svd", square=False)
    u, s, vh = SVD.apply(input, full_matrices=not some)
    if not compute_uv:
        xp = array_module(input._data)
        return _SVDOldResult(Tensor._make(xp.zeros_like(u._data)), s, Tensor._make(xp.zeros_like(vh._data)))
    return _SVDOldResult(u, s, _mT(vh))


class Eigh(Op):
    save_inputs = ()

    def forward(ctx, A, UPLO):
        w, v = array_module(A).linalg.eigh(A, UPLO=UPLO)
        return w, v

    def backward(ctx, gL, gV):
        L, V = ctx.output(0), ctx.output(1)
        if gV is None:
            n = gL._data.shape[-1]
            return Matmul.apply(V * reshape(gL, gL._data.shape[:-1] + (1, n)), _mT(V))
        n = L._data.shape[-1]
        t = Matmul.apply(_mT(V), gV)
        t = (t - _mT(t)) * 0.5
        E = reshape(L, L._data.shape[:-1] + (1, n)) - reshape(L, L._data.shape[:-1] + (n, 1))
        E = E + _eye_like(L, n)
        gA = t / E
        if gL is not None:
            gA = gA + _diag_embed_last(gL)
        return Matmul.apply(V, Matmul.apply(gA, _mT(V)))


def _check_uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


@linalg_fn("eigh")
def eigh(A, UPLO="L", *, out=None):
    """Eigen-decomposition of a symmetric matrix (only the ``UPLO`` triangle is read)."""
    _check_uplo(UPLO)
    _check_matrix(A, "linalg.eigh")
    w, v = Eigh.apply(A, UPLO=UPLO)
    return _EighResult(w, v)


@linalg_fn("eigvalsh")
def eigvalsh(A, UPLO="L", *, out=None):
    _check_uplo(UPLO)
    _check_matrix(A, "linalg.eigvalsh")
    return _maybe_out(Eigh.apply(A, UPLO=UPLO)[0], out)


# ---------------------------------------------------------------------------------------------- pinv / rank
def _rtol_default(A, atol, rtol):
    m, n = A._data.shape[-2:]
    if rtol is None:
        rtol = 0.0 if (atol is not None and (not isinstance(atol, (int, float)) or atol > 0)) else \
            float(np.finfo(A._data.dtype).eps) * max(m, n)
    return 0.0 if atol is None else atol, rtol


def _tol_array(v, like):
    if isinstance(v, Tensor):
        return v._data[..., None]
    return v


class Pinv(Op):
    save_inputs = (0,)
    save_output = True

    def forward(ctx, A, atol, rtol, hermitian):
        xp = array_module(A)
        u, s, vh = xp.linalg.svd(A, full_matrices=False)
        if s.shape[-1] == 0:
            return xp.zeros(A.shape[:-2] + (A.shape[-1], A.shape[-2]), dtype=A.dtype)
        smax = s.max(axis=-1, keepdims=True)
        cutoff = xp.maximum(atol, rtol * smax)
        with np.errstate(divide="ignore", invalid="ignore"):
            sinv = xp.where(s > cutoff, 1 / s, 0).astype(A.dtype)
        return (xp.swapaxes(vh, -1, -2) * sinv[..., None, :]) @ xp.swapaxes(u, -1, -2)

    def backward(ctx, gP):
        A, = ctx.inputs
        P = ctx.output()
        PT = _mT(P)
        gPT = _mT(gP)
        # gA = -P^T gP P^T + (I - A P) gP^T P P^T + P^T P gP^T (I - P A)
        t1 = -Matmul.apply(Matmul.apply(PT, gP), PT)
        PPT = Matmul.apply(P, PT)
        X = Matmul.apply(gPT, PPT)                   # gP^T P P^T        (m x n)
        t2 = X - Matmul.apply(A, Matmul.apply(P, X))
        PTP = Matmul.apply(PT, P)
        Y = Matmul.apply(PTP, gPT)                   # P^T P gP^T        (m x n)
        t3 = Y - Matmul.apply(Matmul.apply(Y, P), A)
        return t1 + t2 + t3


@linalg_fn("pinv")
def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """Moore-Penrose pseudo-inverse through the SVD: singular values under ``max(atol, rtol * s_max)`` are dropped
    (default ``rtol = eps * max(m, n)``, as in PyTorch)."""
    check_tensor(A, "pinv")
    if A._data.ndim < 2 or A._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.pinv({_sc(A)}{{{list(A._data.shape)}}}): expected a tensor with 2 or more "
                           "dimensions of float, double, cfloat or cdouble types")
    atol, rtol = _rtol_default(A, atol, rtol)
    return _maybe_out(Pinv.apply(A, atol=_tol_array(atol, A), rtol=_tol_array(rtol, A), hermitian=hermitian), out)


@export("pinverse")
def pinverse(input, rcond=1e-15):
    return pinv(input, rtol=rcond)


class _NoGrad(Op):
    differentiable = False
    save_inputs = ()

    def forward(ctx, *arrays, fn):
        return fn(*arrays)


@linalg_fn("matrix_rank")
def matrix_rank(A, tol=None, *, atol=None, rtol=None, hermitian=False, out=None):
    check_tensor(A, "matrix_rank")
    if A._data.dtype.kind != "f":
        raise RuntimeError("This function doesn't handle types other than float and double")
    if A._data.ndim < 2:
        raise RuntimeError("linalg.matrix_rank: The input tensor A must have at least 2 dimensions.")
    if tol is not None:
        atol, rtol = tol, 0.0
    atol, rtol = _rtol_default(A, atol, rtol)
    atol, rtol = _tol_array(atol, A), _tol_array(rtol, A)

    def rank(a):
        xp = array_module(a)
        if a.shape[-1] == 0 or a.shape[-2] == 0:
            return xp.zeros(a.shape[:-2], dtype=np.int64)
        s = xp.abs(xp.linalg.eigvalsh(a)) if hermitian else xp.linalg.svd(a, compute_uv=False)
        smax = s.max(axis=-1, keepdims=True)
        return (s > xp.maximum(atol, rtol * smax)).sum(axis=-1).astype(np.int64)
    return _maybe_out(_NoGrad.apply(A, fn=rank), out)


class _Identity(Op):
    """Identity matrices of ``A``'s shape; differentiable with a zero gradient (PyTorch's ``A ** 0``)."""
    save_inputs = ()

    def forward(ctx, A):
        xp = array_module(A)
        return xp.broadcast_to(xp.eye(A.shape[-1], dtype=A.dtype), A.shape).copy()

    def backward(ctx, g):
        return g * 0


@linalg_fn("matrix_power")
def matrix_power(A, n, *, out=None):
    """``A`` to the integer power ``n`` by repeated squaring (``n < 0``: the inverse's power)."""
    check_tensor(A, "matrix_power")
    if A._data.ndim < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 dimensions.")
    r, c = A._data.shape[-2:]
    if r != c:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are {r} by {c} "
                           "matrices")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"matrix_power(): argument 'n' must be int, not {type(n).__name__}")
    if n == 0:
        return _maybe_out(_Identity.apply(A), out)
    if n < 0:
        A = inv(A)
        n = -n
    result = None
    base = A
    while n:
        if n & 1:
            result = base if result is None else Matmul.apply(result, base)
        n >>= 1
        if n:
            base = Matmul.apply(base, base)
    if result is A:
        result = result * 1
    return _maybe_out(result, out)


export("matrix_power")(matrix_power)


@linalg_fn("lstsq")
def lstsq(A, B, rcond=None, *, driver=None):
    """Least squares ``min ||A X - B||`` through the pseudo-inverse (PyTorch's gradient is that of ``pinv(A) B``).
    The other outputs follow the driver as in PyTorch: 'gelsy' (default) gives ``rank``; 'gels' the ``residuals``;
    'gelsd'/'gelss' all of rank, residuals and singular values (residuals only for m > n and full rank)."""
    _check_matrix(A, "linalg.lstsq", square=False)
    check_tensor(B, "lstsq")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's "
                           f"dtype {_sc(A)} and other's dtype {_sc(B)}")
    if driver is not None and driver not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    vector = B._data.ndim == A._data.ndim - 1
    Bm = reshape(B, B._data.shape + (1,)) if vector else B
    m, n = A._data.shape[-2:]
    if Bm._data.shape[-2] != m:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    rtol = rcond if rcond is not None else float(np.finfo(A._data.dtype).eps) * max(m, n)
    X = Matmul.apply(pinv(A, rtol=rtol), Bm)
    driver = driver or "gelsy"
    xp = array_module(A._data)
    empty = Tensor._make(xp.empty((0,), dtype=A._data.dtype))
    rank = Tensor._make(xp.empty((0,), dtype=np.int64)) if driver == "gels" else matrix_rank(A, rtol=rtol)
    full_rank = driver == "gels" or bool((rank._data == n).all())
    if m > n and driver != "gelsy" and full_rank:
        res = _sum((Matmul.apply(A, X) - Bm) ** 2, -2).detach()
    else:
        res = empty
    sv = svdvals(A).detach() if driver in ("gelsd", "gelss") else empty
    if vector:
        X = reshape(X, X._data.shape[:-1])
        if res._data.size:
            res = reshape(res, res._data.shape[:-1])
    return _LstsqResult(X, res, rank, sv)


# ---------------------------------------------------------------------------------------------- norms
class VectorNorm(Op):
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x, ord, dims, keepdim):
        ctx.ord, ctx.dims, ctx.keepdim = ord, dims, keepdim
        xp = array_module(x)
        a = xp.abs(x)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if ord == 2:
                r = xp.sqrt((x * x).sum(axis=dims, keepdims=keepdim))
            elif ord == 1:
                r = a.sum(axis=dims, keepdims=keepdim)
            elif ord == math.inf:
                r = a.max(axis=dims, keepdims=keepdim) if a.size else a.sum(axis=dims, keepdims=keepdim)
            elif ord == -math.inf:
                r = a.min(axis=dims, keepdims=keepdim) if a.size else a.sum(axis=dims, keepdims=keepdim)
            elif ord == 0:
                r = (x != 0).sum(axis=dims, keepdims=keepdim).astype(x.dtype)
            else:
                r = ((a ** ord).sum(axis=dims, keepdims=keepdim)) ** (1.0 / ord)
        return xp.asarray(r, dtype=x.dtype)

    def backward(ctx, g):
        from .elementwise import sign, abs as _abs
        x, = ctx.inputs
        p = ctx.ord
        norm = ctx.output()
        if not ctx.keepdim and ctx.dims:
            kept = tuple(1 if i in ctx.dims else s for i, s in enumerate(x._data.shape))
            norm = reshape(norm, kept)
            g = reshape(g, kept)
        if p == 0:
            return x * 0
        if p == 1:
            return sign(x) * g
        zero = norm == 0
        if p == 2:
            return g * where(zero, x * 0, x / norm)
        if math.isinf(p):
            mask = (_abs(x) == norm).to(x.dtype)
            return sign(x) * ((g / _sum(mask, ctx.dims, keepdim=True)) * mask)
        if p < 1:
            scaled = where(x == 0, x * 0, sign(x) * _abs(x) ** (p - 1))
            return scaled * g * norm ** (1 - p)
        if p < 2:
            scaled = sign(x) * _abs(x) ** (p - 1)
        else:
            scaled = x * _abs(x) ** (p - 2)
        scale = where(zero, g * 0, g / norm ** (p - 1))
        return scaled * scale


def _norm_dtype(x, dtype, op):
    check_tensor(x, op.split(".")[-1])
    if dtype is not None:
        dt = to_dtype(dtype)
        if x._data.dtype.kind == "f" and dt.np.kind == "f" and dt.itemsize < x._data.itemsize:
            raise RuntimeError(f"{op}: the dtype of the input ({_sc(x)}) should be convertible without narrowing to "
                               f"the specified dtype ({_SCALAR[dt.name]})")
        if x._data.dtype.kind == "f":
            x = x.to(dt)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. Got {_sc(x)}")
    return x


def _dims_tuple(dim):
    if dim is None:
        return None
    if isinstance(dim, (int, np.integer)):
        return (int(dim),)
    return tuple(dim)


@linalg_fn("vector_norm")
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """``(sum |x|^ord)^(1/ord)`` over ``dim`` (all dims by default); ord may be inf, -inf or 0."""
    if isinstance(ord, str) or not isinstance(ord, (int, float, np.number)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not {type(ord).__name__}")
    x = _norm_dtype(x, dtype, "linalg.vector_norm")
    dim = _dims_tuple(dim)
    nd = x._data.ndim
    dims = wrap_dims(dim, nd, "linalg.vector_norm") if dim is not None and dim != () else tuple(range(nd))
    ord = float(ord)
    if ord < 0 or math.isinf(ord):
        if any(x._data.shape[d] == 0 for d in dims) or (x._data.size == 0 and not dims):
            which = "inf" if ord == math.inf else "-inf" if ord == -math.inf else "negative"
            raise RuntimeError(f"linalg.vector_norm cannot compute the {which} norm on an empty tensor because the "
                               "operation does not have an identity")
    if ord == int(ord) if not math.isinf(ord) else False:
        ord = int(ord)
    return _maybe_out(VectorNorm.apply(x, ord=ord, dims=dims, keepdim=bool(keepdim)), out)


def _squeeze_dims(x, dims):
    shape = tuple(s for i, s in enumerate(x._data.shape) if i not in dims)
    return reshape(x, shape)


@linalg_fn("matrix_norm")
def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """Frobenius, nuclear, spectral (2/-2), max-column-sum (1/-1) and max-row-sum (inf/-inf) matrix norms."""
    check_tensor(A, "matrix_norm")
    if A._data.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    A = _norm_dtype(A, dtype, "linalg.matrix_norm")
    if isinstance(dim, (int, np.integer)) or len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim if isinstance(dim, int) else ' '.join(map(str, dim))}")
    nd = A._data.ndim
    d0, d1 = wrap_dim(dim[0], nd), wrap_dim(dim[1], nd)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    valid = ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf)
    if ord not in valid or isinstance(ord, bool):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if ord == "fro":
        return _maybe_out(vector_norm(A, 2, (d0, d1), keepdim), out)
    if ord in ("nuc", 2, -2):
        rest = [i for i in range(nd) if i not in (d0, d1)]
        M = _perm(A, rest + [d0, d1])
        s = svdvals(M)
        r = vector_norm(s, {"nuc": 1, 2: math.inf, -2: -math.inf}[ord], -1)
        if keepdim:
            shape = list(r._data.shape)
            for d in sorted((d0, d1)):
                shape.insert(d, 1)
            r = reshape(r, tuple(shape))
        return _maybe_out(r, out)
    inner_dim, outer_dim = (d0, d1) if abs(ord) == 1 else (d1, d0)
    big = math.inf if ord > 0 else -math.inf
    s = vector_norm(A, 1, inner_dim, keepdim=True)
    r = vector_norm(s, big, outer_dim, keepdim=True)
    if not keepdim:
        r = _squeeze_dims(r, (d0, d1))
    return _maybe_out(r, out)


@linalg_fn("norm")
def norm(A, ord=None, dim=None, keepdim=False, *, out=None, dtype=None):
    """``linalg.norm``: a vector norm for one dim (or a flattened input), a matrix norm for two dims."""
    check_tensor(A, "norm")
    if dim is not None:
        dim = _dims_tuple(dim)
        if len(dim) == 1:
            if isinstance(ord, str):
                raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim[0]}")
            return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype, out=out)
    nd = A._data.ndim
    if nd not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {nd}D.")
    if nd == 1:
        if isinstance(ord, str):
            raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
        return vector_norm(A, ord, None, keepdim, dtype=dtype, out=out)
    return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)


@export("norm")
def torch_norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """``torch.norm`` (the older interface): ``p`` a number is a vector norm over ``dim`` (all dims by default),
    'fro' the 2-norm, 'nuc' the nuclear norm."""
    check_tensor(input, "norm")
    d = _dims_tuple(dim)
    if isinstance(p, str):
        if p == "fro" and (d is None or len(d) <= 2):
            return vector_norm(input, 2, d, keepdim, dtype=dtype, out=out)
        if d is None:
            d = tuple(range(input._data.ndim))
        return matrix_norm(input, p, d, keepdim, dtype=dtype, out=out)
    return vector_norm(input, 2.0 if p is None else p, d, keepdim, dtype=dtype, out=out)


@linalg_fn("vecdot")
def vecdot(x, y, *, dim=-1, out=None):
    """``sum(x * y, dim)`` (no conjugation for real dtypes)."""
    check_tensor(x, "vecdot")
    check_tensor(y, "vecdot")
    if x._data.dtype != y._data.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type {_sc(x)} "
                           f"and y of type {_sc(y)} instead")
    return _maybe_out(_sum(x * y, dim), out)


@linalg_fn("diagonal")
def linalg_diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    if offset != 0:
        raise NotImplementedError("ember.linalg.diagonal: only offset=0 is implemented")
    nd = A._data.ndim
    return _Diagonal.apply(A, d1=wrap_dim(dim1, nd), d2=wrap_dim(dim2, nd))


