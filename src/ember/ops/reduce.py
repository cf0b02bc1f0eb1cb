"""Reductions: sum/mean/nansum/nanmean/prod, var/std, max/min/amax/amin/argmax/aminmax, cumulative ops, logsumexp,
all/any/count_nonzero, median/nanmedian/mode/kthvalue/quantile, diff (and the ``sum_to`` that unbroadcasts
gradients). ``norm`` and ``trace`` live in linalg.py.

PyTorch's names and NumPy's aliases are both accepted: ``dim``/``axis``, ``keepdim``/``keepdims``.

Gradients follow PyTorch: ``amax``/``amin`` and the full ``max()``/``min()``/``median()`` split the gradient
evenly among ties; the ``(values, indices)`` reductions (``max(dim)``, ``sort``, ``kthvalue``, ...) send it to the
selected index (``TakeAlong``/``PutAlong``, a gather/scatter pair private to this family).
"""
import builtins
import collections
import math
import sys
import types
import warnings

import numpy as np

from .._tensor import Tensor
from .._dtype import get_default_dtype, to_dtype
from ..autograd.function import Op
from ..backend import array_module, index_add_at
from ._util import export, wrap_dim, wrap_dims, check_tensor, PUBLIC

_bmax = builtins.max
_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
               "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _tname(x):
    return _TYPE_NAMES.get(x._data.dtype.name, x._data.dtype.name)


# ---------------------------------------------------------------------------------------------- return types
return_types = types.ModuleType("ember.return_types")
return_types.__doc__ = "Named tuples returned by (values, indices) reductions, like ``torch.return_types``."
sys.modules["ember.return_types"] = return_types
PUBLIC["return_types"] = return_types


def _return_type(name, fields=("values", "indices")):
    cls = collections.namedtuple(name, fields)
    cls.__module__ = "ember.return_types"

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{name}(\n{body})"

    cls.__repr__ = __repr__
    setattr(return_types, name, cls)
    return cls


for _n in ("max", "min", "median", "nanmedian", "mode", "kthvalue", "cummax", "cummin", "sort", "topk"):
    _return_type(_n)
_return_type("aminmax", ("min", "max"))


# ---------------------------------------------------------------------------------------------- helpers
def _dim_arg(dim, axis):
    if axis is not None:
        if dim is not None:
            raise TypeError("got both 'dim' and its alias 'axis'")
        return axis
    return dim


def _keep_arg(keepdim, keepdims):
    return bool(keepdim or keepdims)


def _all_dims(dim):
    return dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0)


def _reduce_dims(input, dim, op):
    """Normalised reduced dims; ``None`` and ``()`` mean every dim."""
    nd = input._data.ndim
    if _all_dims(dim):
        return tuple(range(nd))
    if isinstance(dim, float) or (isinstance(dim, (tuple, list)) and builtins.any(isinstance(d, float) for d in dim)):
        raise TypeError(f"{op}(): argument 'dim' must be tuple of ints, not {type(dim).__name__}")
    return wrap_dims(dim, nd, op)


def _kept_shape(shape, dims):
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _out_shape(shape, dims, keepdim):
    if keepdim:
        return _kept_shape(shape, dims)
    return tuple(s for i, s in enumerate(shape) if i not in dims)


def _numel(shape, dims):
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def _unreduce(g, in_shape, dims, keepdim):
    """A reduced gradient broadcast back over the input's shape."""
    from .shape import expand
    if not keepdim and dims:
        g = g.reshape(_kept_shape(in_shape, dims))
    return expand(g, in_shape)


def _maybe_out(result, out):
    if out is None:
        return result
    from .elementwise import _maybe_out as mo
    if isinstance(result, tuple):
        for r, o in zip(result, out):
            mo(r, o)
        return out
    return mo(result, out)


def _nonempty(input, dims, op, whole=False):
    """PyTorch's errors for reductions without an identity (max, argmax, median, ...) over empty dims."""
    shape = input._data.shape
    if whole:
        if input._data.size == 0:
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0. Specify "
                               "the reduction dim with the 'dim' argument.")
        return
    for d in dims:
        if shape[d] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


def _float_only(input, op, what="std and var only support floating point and complex dtypes"):
    if input._data.dtype.kind != "f":
        raise RuntimeError(what)


def _to_default_float(x):
    if x._data.dtype.kind != "f":
        return x.to(get_default_dtype())
    return x


def _const(arr):
    return Tensor._make(arr)


# ---------------------------------------------------------------------------------------------- sum / mean
class SumTo(Op):
    """Sum ``x`` down to a shape it was broadcast from."""
    save_inputs = ()

    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1)
        out = x.sum(axis=axes, keepdims=True) if axes else x
        return out.reshape(shape)

    def backward(ctx, g):
        from .shape import expand
        return expand(g, ctx.in_shape)


class Sum(Op):
    save_inputs = ()

    def forward(ctx, x, dims, keepdim, dtype):
        ctx.in_shape = x.shape
        ctx.dims = dims
        ctx.keepdim = keepdim
        if dtype is None and x.dtype.kind in "bui":
            dtype = np.int64  # integer and bool sums are int64, as in PyTorch
        return x.sum(axis=dims, keepdims=keepdim, dtype=dtype)

    def backward(ctx, g):
        return _unreduce(g, ctx.in_shape, ctx.dims, ctx.keepdim)


class Mean(Op):
    save_inputs = ()

    def forward(ctx, x, dims, keepdim, n):
        ctx.in_shape, ctx.dims, ctx.keepdim, ctx.n = x.shape, dims, keepdim, n
        s = x.sum(axis=dims, keepdims=keepdim)
        with np.errstate(invalid="ignore", divide="ignore"):
            return s / x.dtype.type(n) if n else s * x.dtype.type(np.nan)

    def backward(ctx, g):
        return _unreduce(g, ctx.in_shape, ctx.dims, ctx.keepdim) / ctx.n


def _dtype_np(dtype):
    return None if dtype is None else to_dtype(dtype).np


@export("sum")
def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=False, out=None):
    check_tensor(input, "sum")
    dim = _dim_arg(dim, axis)
    dims = _reduce_dims(input, dim, "sum")
    np_dtype = _dtype_np(dtype)
    if np_dtype is not None and input._data.dtype.kind == "f" and np_dtype.kind == "f":
        input = input.to(dtype)
        np_dtype = None
    return _maybe_out(Sum.apply(input, dims=dims, keepdim=keepdim or keepdims, dtype=np_dtype), out)


@export("mean")
def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=False, out=None):
    check_tensor(input, "mean")
    dim = _dim_arg(dim, axis)
    if dtype is not None:
        dt = to_dtype(dtype)
        if dt.np.kind != "f":
            raise RuntimeError("mean(): could not infer output dtype. Optional dtype must be either a floating "
                               f"point or complex dtype. Got: {_TYPE_NAMES.get(dt.name, dt.name)}")
        input = input.to(dt)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating point "
                           f"or complex dtype. Got: {_tname(input)}")
    dims = _reduce_dims(input, dim, "mean")
    n = _numel(input._data.shape, dims)
    return _maybe_out(Mean.apply(input, dims=dims, keepdim=keepdim or keepdims, n=n), out)


@export("nansum")
def nansum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=False, out=None):
    check_tensor(input, "nansum")
    if input._data.dtype.kind == "f":
        from .elementwise import where, isnan
        input = where(isnan(input), 0.0, input)
    return sum(input, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims, out=out)


@export("nanmean")
def nanmean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=False, out=None):
    check_tensor(input, "nanmean")
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{_tname(input)}")
    from .elementwise import isnan, logical_not
    dim = _dim_arg(dim, axis)
    keep = keepdim or keepdims
    cnt = sum(logical_not(isnan(input)), dim, keep).to(input.dtype)
    return _maybe_out(nansum(input, dim, keep) / cnt, out)


# ---------------------------------------------------------------------------------------------- prod
class Prod(Op):
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x, dim, keepdim, dtype):
        ctx.dim, ctx.keepdim = dim, keepdim
        if dtype is None and x.dtype.kind in "bui":
            dtype = np.int64
        return x.prod(axis=dim, keepdims=keepdim, dtype=dtype)

    def backward(ctx, g):
        x, = ctx.inputs
        shape = x._data.shape
        if ctx.dim is None:                  # every dim: work on the flattened input
            xf, d = x.reshape(-1), 0
            gk = g.reshape(1)
            outk = ctx.output().reshape(1)
        else:
            xf, d = x, ctx.dim
            gk = g if ctx.keepdim else g.unsqueeze(d)
            outk = None
        if xf._data.shape[d] == 0:
            return x * 0
        if not (x._data == 0).any():
            if outk is None:
                outk = ctx.output() if ctx.keepdim else ctx.output().unsqueeze(d)
            return (gk * outk / xf).reshape(shape)
        return (gk * _prod_others(xf, d)).reshape(shape)


def _prod_others(x, d):
    """``prod_{j != i} x_j`` along dim ``d`` without dividing (zero-safe, differentiable): exclusive cumprods."""
    from .shape import cat, narrow, flip
    n = x._data.shape[d]
    one_shape = tuple(1 if i == d else s for i, s in enumerate(x._data.shape))
    xp = array_module(x._data)
    ones = _const(xp.ones(one_shape, x._data.dtype))
    left = cumprod(cat([ones, narrow(x, d, 0, n - 1)], d), d)
    right = flip(cumprod(flip(cat([narrow(x, d, 1, n - 1), ones], d), d), d), d)
    return left * right


@export("prod")
def prod(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=False, out=None):
    check_tensor(input, "prod")
    dim = _dim_arg(dim, axis)
    keep = keepdim or keepdims
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    np_dtype = _dtype_np(dtype)
    if np_dtype is not None and np_dtype.kind == "f":
        input = input.to(dtype)
        np_dtype = None
    nd = input._data.ndim
    if dim is not None:
        d = wrap_dim(dim, nd, "prod")
        if nd == 0:
            d, keep = None, False
    else:
        d, keep = None, False
    return _maybe_out(Prod.apply(input, dim=d, keepdim=keep, dtype=np_dtype), out)


# ---------------------------------------------------------------------------------------------- var / std
class Var(Op):
    """Variance with ``correction``; ``take_sqrt`` gives the standard deviation (gradient 0 where it is 0)."""
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x, dims, keepdim, correction, take_sqrt):
        n = _numel(x.shape, dims)
        ctx.dims, ctx.keepdim, ctx.n, ctx.dof, ctx.sqrt = dims, keepdim, n, n - correction, take_sqrt
        with np.errstate(invalid="ignore", divide="ignore"):
            mu = x.sum(axis=dims, keepdims=True) / x.dtype.type(n) if n else \
                array_module(x).full(_kept_shape(x.shape, dims), np.nan, x.dtype)
            d = x - mu
            v = (d * d).sum(axis=dims, keepdims=keepdim) / x.dtype.type(_bmax(n - correction, 0))
            return np.sqrt(v) if take_sqrt else v

    def backward(ctx, g):
        x, = ctx.inputs
        shape = x._data.shape
        dims, keep = ctx.dims, ctx.keepdim
        if ctx.sqrt:
            from .elementwise import where
            y = ctx.output()
            zero = y == 0      # std 0: gradient 0 (a safe denominator keeps double backward finite)
            g = where(zero, g * 0, g / (where(zero, 1.0, y) * 2))
        gk = _unreduce(g, shape, dims, keep)
        mu = Mean.apply(x, dims=dims, keepdim=True, n=ctx.n)
        return gk * (x - mu) * (2.0 / ctx.dof if ctx.dof else math.inf)


def _correction(op, unbiased, correction):
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}() received an invalid combination of arguments - got both 'unbiased' and "
                        "'correction'")
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def _var_std(op, input, dim, unbiased, keepdim, correction, axis, keepdims, take_sqrt):
    check_tensor(input, op)
    if isinstance(dim, bool):          # var(x, True): the legacy positional unbiased
        if unbiased is not None:
            raise TypeError(f"{op}(): argument 'dim' must be tuple of ints, not bool")
        dim, unbiased = None, dim
    dim = _dim_arg(dim, axis)
    corr = _correction(op, unbiased, correction)
    _float_only(input, op)
    dims = _reduce_dims(input, dim, op)
    n = _numel(input._data.shape, dims)
    if n - corr <= 0:
        warnings.warn(f"{op}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                      "reduction factor (input numel divided by output numel).", UserWarning, stacklevel=3)
    return Var.apply(input, dims=dims, keepdim=bool(keepdim or keepdims), correction=corr, take_sqrt=take_sqrt)


@export("var")
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=False, out=None):
    return _maybe_out(_var_std("var", input, dim, unbiased, keepdim, correction, axis, keepdims, False), out)


@export("std")
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=False, out=None):
    return _maybe_out(_var_std("std", input, dim, unbiased, keepdim, correction, axis, keepdims, True), out)


@export("var_mean", method=False)
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=False):
    v = _var_std("var_mean", input, dim, unbiased, keepdim, correction, axis, keepdims, False)
    return v, _mean_like(input, dim, axis, keepdim or keepdims)


@export("std_mean", method=False)
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=False):
    s = _var_std("std_mean", input, dim, unbiased, keepdim, correction, axis, keepdims, True)
    return s, _mean_like(input, dim, axis, keepdim or keepdims)


def _mean_like(input, dim, axis, keepdim):
    if isinstance(dim, bool):
        dim = None
    return mean(input, _dim_arg(dim, axis), keepdim)


# ---------------------------------------------------------------------------------------------- max / min
class Extremum(Op):
    """A value picked from ``x`` (amax, amin, max(), min(), median()); backward splits the gradient evenly among
    the entries equal to it (``nan_aware``: NaN results pick the NaN entries, like PyTorch's max())."""
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x, fn, dims, keepdim, nan_aware):
        ctx.dims, ctx.keepdim, ctx.nan_aware = dims, keepdim, nan_aware
        return fn(x, dims, keepdim)

    def backward(ctx, g):
        x = ctx.inputs[0]._data
        dims = ctx.dims
        kept = _kept_shape(x.shape, dims)
        outk = array_module(x).asarray(ctx._out).reshape(kept) if not ctx.keepdim else ctx._out
        mask = x == outk
        if ctx.nan_aware and x.dtype.kind == "f":
            mask |= np.isnan(x) & np.isnan(outk)
        dt = x.dtype
        with np.errstate(invalid="ignore", divide="ignore"):
            w = mask.astype(dt) / mask.sum(axis=dims, keepdims=True).astype(dt)
        gk = g.reshape(kept) if not ctx.keepdim else g
        return gk * _const(w)


def _np_amax(x, dims, keepdim):
    return x.max(axis=dims, keepdims=keepdim)


def _np_amin(x, dims, keepdim):
    return x.min(axis=dims, keepdims=keepdim)


class TakeAlong(Op):
    """``take_along_axis(x, idx, dim)`` reshaped to ``out_shape``; backward scatters into zeros (``unique``:
    plain assignment, otherwise repeated indices add up)."""
    save_inputs = ()

    def forward(ctx, x, idx, dim, out_shape, unique):
        ctx.idx, ctx.dim, ctx.unique, ctx.in_shape = idx, dim, unique, x.shape
        out = array_module(x).take_along_axis(x, idx, dim)
        return out.reshape(out_shape) if out_shape is not None else out

    def backward(ctx, g):
        return PutAlong.apply(g, idx=ctx.idx, dim=ctx.dim, shape=ctx.in_shape, unique=ctx.unique)


class PutAlong(Op):
    save_inputs = ()

    def forward(ctx, g, idx, dim, shape, unique):
        ctx.idx, ctx.dim, ctx.unique, ctx.g_shape = idx, dim, unique, g.shape
        xp = array_module(g)
        out = xp.zeros(shape, g.dtype)
        g = g.reshape(idx.shape)
        nd = idx.ndim
        key = tuple(idx if d == dim else xp.arange(idx.shape[d]).reshape((1,) * d + (-1,) + (1,) * (nd - d - 1))
                    for d in range(nd))
        if unique:
            out[key] = g
        else:
            index_add_at(out, key, g)
        return out

    def backward(ctx, gg):
        return TakeAlong.apply(gg, idx=ctx.idx, dim=ctx.dim, out_shape=ctx.g_shape, unique=ctx.unique)


def _gather(input, idx, d, keepdim):
    """values at ``idx`` (same ndim as input, size 1 along ``d``) and the int64 indices, dim ``d`` dropped
    unless ``keepdim``."""
    out_shape = idx.shape if keepdim else idx.shape[:d] + idx.shape[d + 1:]
    values = TakeAlong.apply(input, idx=idx, dim=d, out_shape=out_shape, unique=True)
    return values, _const(idx.reshape(out_shape).astype(np.int64, copy=False))


def _as_1d(input):
    """0-d tensors reduce like 1-element vectors (dim 0 or -1)."""
    return input.reshape(1) if input._data.ndim == 0 else input


def _select_reduce(input, dim, keepdim, op, pick, rtype):
    """(values, indices) reductions: ``pick(x, d)`` gives indices with ``d`` kept as size 1."""
    nd = input._data.ndim
    d = wrap_dim(dim, nd, op)
    if nd == 0:
        v, i = _select_reduce(input.reshape(1), 0, False, op, pick, rtype)
        return rtype(v, i)
    _nonempty(input, (d,), op)
    idx = pick(input._data, d)
    return rtype(*_gather(input, idx, d, keepdim))


def _argmax_keep(x, d):
    return array_module(x).argmax(x, axis=d, keepdims=True)


def _argmin_keep(x, d):
    return array_module(x).argmin(x, axis=d, keepdims=True)


def _minmax(op, input, dim, keepdim, other, axis, keepdims, out):
    check_tensor(input, op)
    dim = _dim_arg(dim, axis)
    if isinstance(dim, Tensor) or other is not None:
        from .elementwise import maximum, minimum
        o = dim if isinstance(dim, Tensor) else other
        return _maybe_out((maximum if op == "max" else minimum)(input, o), out)
    if dim is None:
        if keepdim or keepdims:
            raise TypeError(f"{op}() received an invalid combination of arguments - got (Tensor, keepdim=bool), "
                            "but expected one of (Tensor input) or (Tensor input, int dim, bool keepdim)")
        _nonempty(input, (), op, whole=True)
        dims = tuple(range(input._data.ndim))
        return _maybe_out(Extremum.apply(input, fn=_np_amax if op == "max" else _np_amin, dims=dims,
                                         keepdim=False, nan_aware=True), out)
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    rt = return_types.max if op == "max" else return_types.min
    return _maybe_out(_select_reduce(input, dim, keepdim or keepdims, op,
                                     _argmax_keep if op == "max" else _argmin_keep, rt), out)


@export("max")
def max(input, dim=None, keepdim=False, *, other=None, axis=None, keepdims=False, out=None):
    """``max(x)``: the largest value; ``max(x, dim)``: (values, indices); ``max(x, other)``: ``maximum``."""
    return _minmax("max", input, dim, keepdim, other, axis, keepdims, out)


@export("min")
def min(input, dim=None, keepdim=False, *, other=None, axis=None, keepdims=False, out=None):
    return _minmax("min", input, dim, keepdim, other, axis, keepdims, out)


def _amaxmin(op, input, dim, keepdim, out):
    check_tensor(input, op)
    dims = _reduce_dims(input, dim, op)
    if _all_dims(dim) and input._data.ndim:
        _nonempty(input, (), op, whole=True)
    _nonempty(input, dims, op)
    return _maybe_out(Extremum.apply(input, fn=_np_amax if op == "amax" else _np_amin, dims=dims,
                                     keepdim=bool(keepdim), nan_aware=False), out)


@export("amax")
def amax(input, dim=(), keepdim=False, *, axis=None, keepdims=False, out=None):
    return _amaxmin("amax", input, _dim_arg(dim if dim != () else None, axis), keepdim or keepdims, out)


@export("amin")
def amin(input, dim=(), keepdim=False, *, axis=None, keepdims=False, out=None):
    return _amaxmin("amin", input, _dim_arg(dim if dim != () else None, axis), keepdim or keepdims, out)


@export("aminmax")
def aminmax(input, *, dim=None, keepdim=False):
    check_tensor(input, "aminmax")
    if dim is None:
        if input._data.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has "
                               "no identity.")
        dims = tuple(range(input._data.ndim))
    else:
        dims = (wrap_dim(dim, input._data.ndim, "aminmax"),) if input._data.ndim else ()
        for d in dims:
            if input._data.shape[d] == 0:
                raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
    keep = bool(keepdim)
    lo = Extremum.apply(input, fn=_np_amin, dims=dims, keepdim=keep, nan_aware=False)
    hi = Extremum.apply(input, fn=_np_amax, dims=dims, keepdim=keep, nan_aware=False)
    return return_types.aminmax(lo, hi)


def _arg(op, input, dim, keepdim):
    check_tensor(input, op)
    x = input._data
    if x.dtype == np.bool_:
        raise RuntimeError(f"{op}(): does not support bool input")
    xp = array_module(x)
    f = xp.argmax if op == "argmax" else xp.argmin
    if dim is None:
        if x.size == 0:
            raise IndexError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")
        r = np.int64(f(x.reshape(-1)))
        return _const(xp.full((1,) * x.ndim if keepdim else (), r, np.int64))
    d = wrap_dim(dim, x.ndim, op)
    if x.ndim == 0:
        return _const(xp.zeros((), np.int64))
    _nonempty(input, (d,), op)
    return _const(f(x, axis=d, keepdims=bool(keepdim)).astype(np.int64, copy=False))


@export("argmax")
def argmax(input, dim=None, keepdim=False, *, axis=None, keepdims=False):
    return _arg("argmax", input, _dim_arg(dim, axis), keepdim or keepdims)


@export("argmin")
def argmin(input, dim=None, keepdim=False, *, axis=None, keepdims=False):
    return _arg("argmin", input, _dim_arg(dim, axis), keepdim or keepdims)


# ---------------------------------------------------------------------------------------------- cumulative
def _cum_dim(input, dim, op):
    if dim is None:
        raise TypeError(f'{op}() missing 1 required positional arguments: "dim"')
    return wrap_dim(dim, input._data.ndim, op)


class Cumsum(Op):
    save_inputs = ()

    def forward(ctx, x, dim, reverse, dtype):
        ctx.dim, ctx.reverse = dim, reverse
        if x.ndim == 0:
            return x.astype(dtype or x.dtype, copy=True)
        xp = array_module(x)
        if reverse:
            return xp.ascontiguousarray(xp.flip(xp.cumsum(xp.flip(x, dim), axis=dim, dtype=dtype), dim))
        return xp.cumsum(x, axis=dim, dtype=dtype)

    def backward(ctx, g):
        return Cumsum.apply(g, dim=ctx.dim, reverse=not ctx.reverse, dtype=None)


def _cum_dtype(input, dtype):
    np_dtype = _dtype_np(dtype)
    if np_dtype is not None and np_dtype.kind == "f" and input._data.dtype.kind == "f":
        return input.to(dtype), None
    if np_dtype is None and input._data.dtype.kind in "bui":
        np_dtype = np.dtype(np.int64)
    return input, np_dtype


@export("cumsum")
def cumsum(input, dim=None, *, dtype=None, axis=None, out=None):
    check_tensor(input, "cumsum")
    d = _cum_dim(input, _dim_arg(dim, axis), "cumsum")
    input, np_dtype = _cum_dtype(input, dtype)
    return _maybe_out(Cumsum.apply(input, dim=d, reverse=False, dtype=np_dtype), out)


class Cumprod(Op):
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x, dim, dtype):
        ctx.dim = dim
        if x.ndim == 0:
            return x.astype(dtype or x.dtype, copy=True)
        return array_module(x).cumprod(x, axis=dim, dtype=dtype)

    def backward(ctx, g):
        x, = ctx.inputs
        d = ctx.dim
        if x._data.ndim == 0 or x._data.size == 0:
            return g
        if not (x._data == 0).any():
            return Cumsum.apply(g * ctx.output(), dim=d, reverse=True, dtype=None) / x
        return _cumprod_grad_zeros(x, g, d)


def _cumprod_grad_zeros(x, g, d):
    """d cumprod / dx with zeros in x, without dividing: C[.., i, k] = prod_{j <= k, j != i} x_j, and
    grad_i = sum_{k >= i} g_k C[.., i, k]  (O(n^2) along the dim; only taken when x holds a zero)."""
    from .shape import movedim
    from .elementwise import where
    n = x._data.shape[d]
    xp = array_module(x._data)
    xm = movedim(x, d, -1)
    eye = _const(xp.eye(n, dtype=bool))
    rows = xm.unsqueeze(-2).expand(*xm._data.shape[:-1], n, n)
    X = where(eye, 1.0, rows)
    C = cumprod(X, -1)
    upper = _const(xp.triu(xp.ones((n, n), dtype=bool)))
    gm = movedim(g, d, -1).unsqueeze(-2)
    grad = sum(where(upper, C * gm, 0.0), -1)
    return movedim(grad, -1, d)


@export("cumprod")
def cumprod(input, dim=None, *, dtype=None, axis=None, out=None):
    check_tensor(input, "cumprod")
    d = _cum_dim(input, _dim_arg(dim, axis), "cumprod")
    input, np_dtype = _cum_dtype(input, dtype)
    return _maybe_out(Cumprod.apply(input, dim=d, dtype=np_dtype), out)


def _cum_extreme(op, input, dim):
    check_tensor(input, op)
    d = _cum_dim(input, dim, op)
    rt = getattr(return_types, op)
    if input._data.ndim == 0:
        v, i = _cum_extreme(op, input.reshape(1), 0)
        return rt(v.reshape(()), i.reshape(()))
    x = input._data
    xp = array_module(x)
    acc = (xp.maximum if op == "cummax" else xp.minimum).accumulate
    v = acc(x, axis=d)
    hit = x == v
    if x.dtype.kind == "f":
        hit |= xp.isnan(x)
    n = x.shape[d]
    ar = xp.arange(n, dtype=np.int64).reshape((1,) * d + (n,) + (1,) * (x.ndim - d - 1))
    idx = xp.maximum.accumulate(xp.where(hit, ar, 0), axis=d) if x.size else xp.zeros(x.shape, np.int64)
    values = TakeAlong.apply(input, idx=idx, dim=d, out_shape=None, unique=False)
    return rt(values, _const(idx))


@export("cummax")
def cummax(input, dim, *, out=None):
    return _maybe_out(_cum_extreme("cummax", input, dim), out)


@export("cummin")
def cummin(input, dim, *, out=None):
    return _maybe_out(_cum_extreme("cummin", input, dim), out)


class LogCumSumExp(Op):
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x, dim, reverse):
        ctx.dim, ctx.reverse = dim, reverse
        if x.ndim == 0:
            return x.copy()
        xp = array_module(x)
        with np.errstate(invalid="ignore", over="ignore"):
            if reverse:
                return xp.ascontiguousarray(xp.flip(xp.logaddexp.accumulate(xp.flip(x, dim), axis=dim), dim))
            return xp.logaddexp.accumulate(x, axis=dim)

    def backward(ctx, g):
        from .elementwise import where, log, exp
        x, = ctx.inputs
        if x._data.ndim == 0:
            return g
        y = ctx.output()
        lowest = float(np.finfo(g._data.dtype).min) / 4   # log(0) stand-in; /4 so that lowest - y can't overflow
        la = log(g.abs())
        lp = where(g > 0, la, lowest)
        ln = where(g < 0, la, lowest)
        rev = not ctx.reverse
        pos = exp(LogCumSumExp.apply(lp - y, dim=ctx.dim, reverse=rev) + x)
        neg = exp(LogCumSumExp.apply(ln - y, dim=ctx.dim, reverse=rev) + x)
        return pos - neg


@export("logcumsumexp")
def logcumsumexp(input, dim, *, out=None):
    check_tensor(input, "logcumsumexp")
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for '{_tname(input)}'")
    d = wrap_dim(dim, input._data.ndim, "logcumsumexp")
    return _maybe_out(LogCumSumExp.apply(input, dim=d, reverse=False), out)


# ---------------------------------------------------------------------------------------------- logsumexp
class LogSumExp(Op):
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x, dims, keepdim):
        ctx.dims, ctx.keepdim = dims, keepdim
        xp = array_module(x)
        m = x.max(axis=dims, keepdims=True, initial=-np.inf)
        m = xp.where(xp.isfinite(m), m, x.dtype.type(0))
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            s = xp.log(xp.exp(x - m).sum(axis=dims, keepdims=True)) + m
        return s if keepdim else s.reshape(_out_shape(x.shape, dims, False))

    def backward(ctx, g):
        from .elementwise import exp
        x, = ctx.inputs
        kept = _kept_shape(x._data.shape, ctx.dims)
        y = ctx.output()
        if not ctx.keepdim:
            y, g = y.reshape(kept), g.reshape(kept)
        return g * exp(x - y)


@export("logsumexp")
def logsumexp(input, dim=None, keepdim=False, *, axis=None, keepdims=False, out=None):
    check_tensor(input, "logsumexp")
    dim = _dim_arg(dim, axis)
    if dim is None:
        raise TypeError('logsumexp() missing 1 required positional arguments: "dim"')
    input = _to_default_float(input)
    dims = _reduce_dims(input, dim, "logsumexp")
    return _maybe_out(LogSumExp.apply(input, dims=dims, keepdim=bool(keepdim or keepdims)), out)


# ---------------------------------------------------------------------------------------------- all / any
class _Logical(Op):
    differentiable = False
    save_inputs = ()

    def forward(ctx, x, dims, keepdim, fn):
        r = fn(x, axis=dims, keepdims=keepdim)
        return r.astype(np.uint8) if x.dtype == np.uint8 else np.asarray(r, dtype=bool) if \
            type(r) is not np.ndarray and isinstance(r, (np.bool_, bool)) else r


def _all_any(op, input, dim, keepdim):
    check_tensor(input, op)
    dims = _reduce_dims(input, dim, op)
    xp = array_module(input._data)
    return _Logical.apply(input, dims=dims, keepdim=bool(keepdim), fn=xp.all if op == "all" else xp.any)


@export("all")
def all(input, dim=None, keepdim=False, *, axis=None, keepdims=False, out=None):
    return _maybe_out(_all_any("all", input, _dim_arg(dim, axis), keepdim or keepdims), out)


@export("any")
def any(input, dim=None, keepdim=False, *, axis=None, keepdims=False, out=None):
    return _maybe_out(_all_any("any", input, _dim_arg(dim, axis), keepdim or keepdims), out)


@export("count_nonzero")
def count_nonzero(input, dim=None):
    check_tensor(input, "count_nonzero")
    dims = _reduce_dims(input, dim, "count_nonzero")
    return _const(np.asarray((input._data != 0).sum(axis=dims), dtype=np.int64)
                  if type(input._data) is np.ndarray else (input._data != 0).sum(axis=dims).astype(np.int64))


# ---------------------------------------------------------------------------------------------- order statistics
def _stable_argsort(x, d):
    """Ascending, stable, NaN last (PyTorch's order)."""
    return array_module(x).argsort(x, axis=d, kind="stable")


def _median_idx(x, d, ignore_nan):
    """Indices (size 1 along ``d``) of the lower median of each slice: NaN if any (median), or of the non-NaN
    values (nanmedian; an all-NaN slice gives its first NaN)."""
    xp = array_module(x)
    order = _stable_argsort(x, d)
    n = x.shape[d]
    if x.dtype.kind == "f":
        nn = (~xp.isnan(x)).sum(axis=d, keepdims=True)
        if ignore_nan:
            pos = xp.where(nn > 0, (nn - 1) // 2, 0)
        else:
            pos = xp.where(nn < n, nn, (n - 1) // 2)
    else:
        pos = xp.full(_kept_shape(x.shape, (d,)), (n - 1) // 2, dtype=np.int64)
    return xp.take_along_axis(order, pos.astype(np.int64), d)


def _median_all(op, input, ignore_nan):
    x = input._data

    def fn(arr, dims, keepdim):
        if arr.size == 0:
            return array_module(arr).full((), np.nan, arr.dtype)
        flat = arr.reshape(-1)
        i = _median_idx(flat, 0, ignore_nan)
        return flat[i].reshape(())

    return Extremum.apply(input, fn=fn, dims=tuple(range(x.ndim)), keepdim=False, nan_aware=True)


def _median(op, input, dim, keepdim, ignore_nan):
    check_tensor(input, op)
    if dim is None:
        return _median_all(op, input, ignore_nan)
    return _select_reduce(input, dim, keepdim, op, lambda x, d: _median_idx(x, d, ignore_nan),
                          getattr(return_types, op))


@export("median")
def median(input, dim=None, keepdim=False, *, out=None):
    return _maybe_out(_median("median", input, dim, keepdim, False), out)


@export("nanmedian")
def nanmedian(input, dim=None, keepdim=False, *, out=None):
    return _maybe_out(_median("nanmedian", input, dim, keepdim, True), out)


@export("kthvalue")
def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    check_tensor(input, "kthvalue")
    nd = input._data.ndim
    d = wrap_dim(dim, nd, "kthvalue")
    n = input._data.shape[d] if nd else 1
    if nd and n == 0:
        _nonempty(input, (d,), "kthvalue")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")

    def pick(x, d):
        xp = array_module(x)
        order = _stable_argsort(x, d)
        return xp.take(order, xp.array([k - 1]), axis=d)

    return _maybe_out(_select_reduce(input, d, keepdim, "kthvalue", pick, return_types.kthvalue), out)


def _mode_idx(x, d):
    xp = array_module(x)
    xm = xp.moveaxis(x, d, -1)
    n = xm.shape[-1]
    flat = xm.reshape(-1, n)
    s = xp.sort(flat, axis=1)
    start = xp.ones(s.shape, dtype=bool)
    start[:, 1:] = s[:, 1:] != s[:, :-1]
    pos = xp.arange(n)
    run_start = xp.maximum.accumulate(xp.where(start, pos, 0), axis=1)
    run_len = pos - run_start + 1
    best = xp.argmax(run_len, axis=1)
    value = xp.take_along_axis(s, best[:, None], 1)
    last = xp.where(flat == value, pos, -1).max(axis=1)
    idx = last.reshape(xm.shape[:-1] + (1,))
    return xp.moveaxis(idx, -1, d)


@export("mode")
def mode(input, dim=-1, keepdim=False, *, out=None):
    check_tensor(input, "mode")
    return _maybe_out(_select_reduce(input, dim, keepdim, "mode", _mode_idx, return_types.mode), out)


def _quantile(op, input, q, dim, keepdim, interpolation, ignore_nan):
    from .elementwise import where
    check_tensor(input, op)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype")
    if input._data.size == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    scalar_q = not isinstance(q, Tensor)
    if scalar_q:
        qa = np.asarray([float(q)], dtype=input._data.dtype)
    else:
        if q._data.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor")
        if q._data.dtype != input._data.dtype:
            raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor")
        scalar_q = q._data.ndim == 0
        qa = np.asarray(q.detach().cpu().numpy()).reshape(-1)
    if ((qa < 0) | (qa > 1)).any():
        bad = qa[(qa < 0) | (qa > 1)][0] if scalar_q else None
        raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {bad}" if bad is not None else
                           f"{op}() q values must be in the range [0, 1]")
    if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise RuntimeError(f"{op}() interpolation must be one of linear, lower, higher, midpoint or nearest, but "
                           f"got {interpolation}")
    x = input
    if dim is None:
        x, d = x.reshape(-1), 0
    else:
        d = wrap_dim(dim, input._data.ndim, op)
        if x._data.ndim == 0:
            x = x.reshape(1)
    # sorted values along d (NaN last), with the gradient routed to the original positions
    xd = x._data
    xp = array_module(xd)
    order = _stable_argsort(xd, d)
    srt = TakeAlong.apply(x, idx=order, dim=d, out_shape=None, unique=True)
    n = xd.shape[d]
    nn = (~xp.isnan(xd)).sum(axis=d, keepdims=True) if ignore_nan else xp.full(_kept_shape(xd.shape, (d,)), n)
    has_nan = xp.isnan(xd).any(axis=d, keepdims=True)
    outs = []
    for qv in qa:
        rank = qv * (nn - 1).astype(xd.dtype)
        rank = xp.where(nn > 0, rank, 0)
        if interpolation == "nearest":
            rank = xp.round(rank)
        lo = xp.floor(rank).astype(np.int64)
        hi = xp.minimum(xp.ceil(rank).astype(np.int64), xp.maximum(nn - 1, 0))
        if interpolation == "lower":
            hi = lo
        elif interpolation == "higher":
            lo = hi
        if not ignore_nan:  # any NaN: the answer is NaN (the last sorted entry)
            lo = xp.where(has_nan, n - 1, lo)
            hi = xp.where(has_nan, n - 1, hi)
        vlo = TakeAlong.apply(srt, idx=lo, dim=d, out_shape=None, unique=True)
        vhi = TakeAlong.apply(srt, idx=hi, dim=d, out_shape=None, unique=True)
        if interpolation in ("linear", "midpoint"):
            w = (rank - xp.floor(rank)) if interpolation == "linear" else xp.full(rank.shape, 0.5, xd.dtype)
            w = _const(w.astype(xd.dtype))
            v = where(w < 0.5, vlo + w * (vhi - vlo), vhi - (vhi - vlo) * (1 - w))
        else:
            v = vlo
        if ignore_nan:
            v = where(_const(nn == 0), float("nan"), v)
        if dim is None:
            v = v.reshape((1,) * input._data.ndim if keepdim else ())
        elif not keepdim or input._data.ndim == 0:
            v = v.squeeze(d) if input._data.ndim else v.reshape(())
        outs.append(v)
    if scalar_q:
        return outs[0]
    from .shape import stack
    return stack(outs, 0)


@export("quantile")
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _maybe_out(_quantile("quantile", input, q, dim, keepdim, interpolation, False), out)


@export("nanquantile")
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _maybe_out(_quantile("nanquantile", input, q, dim, keepdim, interpolation, True), out)


# ---------------------------------------------------------------------------------------------- diff
@export("diff")
def diff(input, n=1, dim=-1, prepend=None, append=None):
    from .shape import cat, narrow
    from .elementwise import ne
    check_tensor(input, "diff")
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, nd, "diff")
    parts = []
    for extra in (prepend, input, append):
        if extra is None:
            continue
        if not isinstance(extra, Tensor):     # a scalar: one slice of it along dim
            from .creation import full
            extra = full(input._data.shape[:d] + (1,) + input._data.shape[d + 1:], extra, dtype=input.dtype)
        elif extra._data.ndim != nd:
            raise RuntimeError("diff expects prepend or append to be the same dimension as input")
        parts.append(extra)
    x = cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        L = x._data.shape[d]
        if L == 0:
            break
        a, b = narrow(x, d, 1, L - 1), narrow(x, d, 0, L - 1)
        x = ne(a, b) if x._data.dtype == np.bool_ else a - b
    return x
