"""Reductions: sum, mean (and the ``sum_to`` that unbroadcasts gradients).

PyTorch's names and NumPy's aliases are both accepted: ``dim``/``axis``, ``keepdim``/``keepdims``.
"""
import numpy as np

from .._tensor import Tensor
from .._dtype import get_default_dtype, to_dtype
from ..autograd.function import Op
from ._util import export, wrap_dims, check_tensor


def _dim_arg(dim, axis):
    if axis is not None:
        if dim is not None:
            raise TypeError("got both 'dim' and its alias 'axis'")
        return axis
    return dim


def _keep_arg(keepdim, keepdims):
    return bool(keepdim or keepdims)


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
        from .shape import expand
        if not ctx.keepdim and ctx.dims:
            g = g.reshape(_kept_shape(ctx.in_shape, ctx.dims))
        return expand(g, ctx.in_shape)


def _kept_shape(shape, dims):
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


@export("sum")
def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=False, out=None):
    check_tensor(input, "sum")
    dim = _dim_arg(dim, axis)
    keepdim = _keep_arg(keepdim, keepdims)
    dims = wrap_dims(dim, input._data.ndim, "sum") if dim is not None and dim != () and dim != [] else \
        tuple(range(input._data.ndim))
    np_dtype = None if dtype is None else to_dtype(dtype).np
    if np_dtype is not None and input._data.dtype.kind == "f" and np.dtype(np_dtype).kind == "f":
        input = input.to(dtype)
        np_dtype = None
    return Sum.apply(input, dims=dims, keepdim=keepdim, dtype=np_dtype)


@export("mean")
def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=False, out=None):
    check_tensor(input, "mean")
    dim = _dim_arg(dim, axis)
    keepdim = _keep_arg(keepdim, keepdims)
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating point "
                           f"or complex dtype. Got: {input.dtype.name.capitalize()}")
    dims = wrap_dims(dim, input._data.ndim, "mean") if dim is not None and dim != () and dim != [] else \
        tuple(range(input._data.ndim))
    n = 1
    for d in dims:
        n *= input._data.shape[d]
    s = Sum.apply(input, dims=dims, keepdim=keepdim, dtype=None)
    return s / n if n else s * float("nan")
