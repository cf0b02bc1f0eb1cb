"""Pooling, padding and resampling (nn.functional): max/avg/adaptive/lp pooling, max_unpool, pad, interpolate,
pixel_shuffle.

Window ops never build a window copy: they loop over the kernel offsets and combine strided slices of the
(padded) input, each one a whole-tensor ufunc call (``prod(kernel)`` calls). Max pooling keeps the winning
offset per output (``karg``); its backward puts the gradient back with one strided slice-write per offset, and
that scatter's own backward is the matching gather, so every gradient is differentiable again.

Separable linear resampling (adaptive average pooling, linear/bilinear/bicubic/trilinear interpolation) is one
small matrix per spatial dim (``AxisLinear``); nearest resampling and the reflect/replicate/circular pads are a
gather along each dim (``AxisGather``) whose backward is a sorted segment sum (``np.add.reduceat``).
"""
import itertools
import math
import warnings

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Op
from ..backend import array_module
from ._util import export, functional

_none = slice(None)


def _check_tensor(x, op, arg="input", pos=1):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")


def _ntuple(v, n, name, op, allow_none=False):
    if isinstance(v, Tensor):
        v = v.tolist()
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return (int(v),) * n
    if isinstance(v, (tuple, list)):
        if len(v) == 1 and n > 1:
            v = tuple(v) * n
        if len(v) != n:
            raise RuntimeError(f"{op}: {name} must either be a single int, or a tuple of {n} ints")
        out = []
        for a in v:
            if a is None and allow_none:
                out.append(None)
                continue
            if isinstance(a, Tensor):
                a = int(a)
            if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
                raise TypeError(f"{op}(): argument '{name}' must be tuple of ints, but found element of type "
                                f"{type(a).__name__}")
            out.append(int(a))
        return tuple(out)
    raise TypeError(f"{op}(): argument '{name}' must be tuple of ints, not {type(v).__name__}")


def _sizes(shape, sep="x"):
    return sep.join(str(s) for s in shape)


def _batched(input, nd, op, allow_empty_batch=True):
    n = input._data.ndim
    shape = input._data.shape
    if n not in (nd + 1, nd + 2) or any(s == 0 for s in shape[1:]) or (n == nd + 1 and shape[0] == 0):
        raise RuntimeError(f"{op}: non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input, but "
                           f"got input of size {list(shape)}")
    if n == nd + 2:
        return input, False
    return input.reshape((1,) + shape), True


def _unbatch(y, unbatched):
    return y.reshape(y._data.shape[1:]) if unbatched else y


def _offsets(K):
    return itertools.product(*[range(k) for k in K])


def _slices(K, st, dil, Osp):
    """The strided slice of the padded input that offset ``kk`` of every window reads, for each offset."""
    nd = len(K)
    return [(_none, _none) + tuple(slice(kk[i] * dil[i], kk[i] * dil[i] + st[i] * (Osp[i] - 1) + 1, st[i])
                                   for i in range(nd)) for kk in _offsets(K)]


def _pad_to(x, lo, need, value):
    """(N, C, *S) padded by ``lo`` on the left and up to extent ``need`` (at least S + lo) on the right."""
    S = x.shape[2:]
    full = tuple(max(n, s + a) for n, s, a in zip(need, S, lo))
    if not any(lo) and full == S:
        return x
    xp = array_module(x)
    buf = xp.full(x.shape[:2] + full, value, x.dtype)
    buf[(_none, _none) + tuple(slice(a, a + s) for a, s in zip(lo, S))] = x
    return buf


def _crop(buf, lo, S):
    return buf[(_none, _none) + tuple(slice(a, a + s) for a, s in zip(lo, S))]


class _Geom:
    """Window geometry of one pooling call: kernel, stride, padding, dilation, input and output sizes."""
    __slots__ = ("K", "st", "pad", "dil", "S", "Osp", "need", "overlap", "slices")

    def __init__(self, K, st, pad, dil, S, Osp):
        self.K, self.st, self.pad, self.dil, self.S, self.Osp = K, st, pad, dil, S, Osp
        self.need = tuple((o - 1) * s + d * (k - 1) + 1 for o, s, d, k in zip(Osp, st, dil, K))
        self.overlap = any(d * (k - 1) + 1 > s for k, s, d in zip(K, st, dil) if k > 1)
        self.slices = _slices(K, st, dil, Osp)


def _pool_out(S, k, s, p, d, ceil_mode):
    eff = d * (k - 1) + 1
    o = (S + 2 * p - eff + ((s - 1) if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= S + p:
        o -= 1
    return o


def _pool_args(x, kernel_size, stride, padding, dilation, ceil_mode, nd, op):
    K = _ntuple(kernel_size, nd, "kernel_size", op)
    st = K if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else \
        _ntuple(stride, nd, "stride", op)
    pad = _ntuple(padding, nd, "padding", op)
    dil = _ntuple(dilation, nd, "dilation", op)
    if any(k <= 0 for k in K):
        raise RuntimeError(f"{op}: kernel_size must be greater than zero, but got {list(K)}")
    if any(s <= 0 for s in st):
        raise RuntimeError("stride should not be zero" if any(s == 0 for s in st) else
                           f"{op}: stride must be greater than zero, but got {list(st)}")
    if any(d <= 0 for d in dil):
        raise RuntimeError(f"{op}: dilation must be greater than zero, but got {list(dil)}")
    if any(p < 0 for p in pad):
        raise RuntimeError(f"{op}: pad must be non-negative, but got pad={list(pad)}")
    for k, p, d in zip(K, pad, dil):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")
    S = x._data.shape[2:]
    Osp = tuple(_pool_out(s, k, t, p, d, ceil_mode) for s, k, t, p, d in zip(S, K, st, pad, dil))
    if any(o < 1 for o in Osp):
        C = x._data.shape[1]
        raise RuntimeError(f"Given input size: ({_sizes((C,) + S)}). Calculated output size: "
                           f"({_sizes((C,) + Osp)}). Output size is too small")
    return _Geom(K, st, pad, dil, S, Osp)


# ---------------------------------------------------------------------------------------------- max pooling
def _lowest(dtype):
    if dtype.kind == "f":
        return -np.inf
    if dtype.kind == "b":
        return False
    return np.iinfo(dtype).min


def _anchor(ctx):
    """The extra input a gradient op takes only to stay in the graph (PyTorch's backward kernels read the forward
    input, so with create_graph their result requires grad even where its derivative is zero)."""
    return ctx.inputs[1] if len(ctx.edges) > 1 else ctx.inputs[0]


def _with_anchor(op, g, anchor, **params):
    if anchor is None:
        return op.apply(g, **params)
    return op.apply(g, anchor, **params)


def _ret(ctx, grad):
    return (grad, None) if len(ctx.edges) > 1 else grad


class MaxPool(Op):
    """Max over windows; ``karg`` (the winning kernel offset, first one on ties) is kept for backward."""
    save_inputs = ()
    op_name = "max_pool"

    def forward(ctx, x, anchor=None, *, geom, sink=None):
        xp = array_module(x)
        a = _pad_to(x, geom.pad, geom.need, _lowest(x.dtype))
        sl = geom.slices
        m = a[sl[0]].copy()
        for s in sl[1:]:
            xp.maximum(m, a[s], out=m)
        P = len(sl)
        karg = xp.zeros(m.shape, np.uint8 if P < 256 else np.int32)
        nan = x.dtype.kind == "f" and bool(xp.isnan(m).any())
        # PyTorch's rule: the first offset that holds the max, but the last NaN (its kernel updates on
        # `val > max || isnan(val)`); written with arithmetic on masks, as masked copies (copyto where=) are several
        # times slower in NumPy
        found = None
        for j, s in enumerate(sl):
            v = a[s]
            hit = v == m
            if found is None:
                found = hit
                continue
            xp.greater(hit, found, out=hit)       # hit and not found
            karg += hit.view(np.uint8) * karg.dtype.type(j)
            if j < P - 1:
                found |= hit
        if nan:    # a window whose max is NaN had no hit above
            for j, s in enumerate(sl):
                xp.copyto(karg, j, where=xp.isnan(a[s]))
        ctx.geom, ctx.karg = geom, karg
        if sink is not None:
            sink.append(karg)
        return m

    def backward(ctx, g):
        return _ret(ctx, _with_anchor(MaxPoolScatter, g, _anchor(ctx), geom=ctx.geom, karg=ctx.karg))


class MaxPoolScatter(Op):
    """The gradient of max pooling: each output's gradient goes to its window's winning input."""
    save_inputs = ()
    op_name = "max_pool_backward"

    def forward(ctx, g, anchor=None, *, geom, karg):
        ctx.geom, ctx.karg = geom, karg
        xp = array_module(g)
        full = tuple(max(n, s + a) for n, s, a in zip(geom.need, geom.S, geom.pad))
        buf = xp.zeros(g.shape[:2] + full, g.dtype)
        zero = g.dtype.type(0)
        # g * mask is much faster than where(mask, g, 0), and the same unless g holds an inf or a NaN
        finite = g.dtype.kind != "f" or bool(xp.isfinite(g).all())
        for j, s in enumerate(geom.slices):
            v = g * (karg == j) if finite else xp.where(karg == j, g, zero)
            if geom.overlap:
                t = buf[s]
                xp.add(t, v, out=t)
            else:
                buf[s] = v
        out = _crop(buf, geom.pad, geom.S)
        return out if out.base is None else xp.ascontiguousarray(out)

    def backward(ctx, gg):
        return _ret(ctx, _with_anchor(WindowGather, gg, _anchor(ctx), geom=ctx.geom, karg=ctx.karg))


class WindowGather(Op):
    """out[o] = x[the input at window o's winning offset]: the transpose of ``MaxPoolScatter``."""
    save_inputs = ()
    op_name = "max_pool_gather"

    def forward(ctx, x, anchor=None, *, geom, karg):
        ctx.geom, ctx.karg = geom, karg
        xp = array_module(x)
        a = _pad_to(x, geom.pad, geom.need, 0)
        out = xp.zeros(karg.shape, x.dtype)
        for j, s in enumerate(geom.slices):
            xp.copyto(out, a[s], where=karg == j)
        return out

    def backward(ctx, g):
        return _ret(ctx, _with_anchor(MaxPoolScatter, g, _anchor(ctx), geom=ctx.geom, karg=ctx.karg))


def _flat_indices(karg, geom):
    """PyTorch's indices: the flat position in each (n, c) input plane of every window's maximum."""
    xp = array_module(karg)
    nd = len(geom.K)
    idx = 0
    rest = karg.astype(np.int64)
    plane = 1
    pos = []
    for i in range(nd - 1, -1, -1):
        k = rest % geom.K[i]
        rest = rest // geom.K[i]
        o = xp.arange(geom.Osp[i], dtype=np.int64).reshape((-1,) + (1,) * (nd - 1 - i))
        pos.append((o * geom.st[i] - geom.pad[i] + k * geom.dil[i]) * plane)
        plane *= geom.S[i]
    for p in pos:
        idx = idx + p
    return idx


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd, op):
    _check_tensor(input, op)
    x, unbatched = _batched(input, nd, op)
    geom = _pool_args(x, kernel_size, stride, padding, dilation, ceil_mode, nd, op)
    if x._data.dtype == np.bool_:
        raise RuntimeError(f"\"{op}\" not implemented for 'Bool'")
    sink = [] if return_indices else None
    y = _unbatch(MaxPool.apply(x, geom=geom, sink=sink), unbatched)
    if not return_indices:
        return y
    idx = Tensor._make(_flat_indices(sink[0], geom))
    return y, _unbatch(idx, unbatched)


def _max_pool_fn(nd):
    op = f"max_pool{nd}d"

    def fn(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
        return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd, op)

    def with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                     return_indices=True):
        return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, True, nd, op)

    fn.__name__ = op
    fn.__doc__ = f"{nd}-D max pooling (PyTorch's ``F.{op}``); ``return_indices`` gives flat per-plane indices."
    with_indices.__name__ = op + "_with_indices"
    export(op, method=False)(fn)
    functional(op)(fn)
    export(op + "_with_indices", method=False)(with_indices)
    functional(op + "_with_indices")(with_indices)
    return fn


max_pool1d = _max_pool_fn(1)
max_pool2d = _max_pool_fn(2)
max_pool3d = _max_pool_fn(3)


# ---------------------------------------------------------------------------------------------- avg pooling
class AvgPool(Op):
    """Window sums (zero padding) divided by the per-output divisor; linear, so its backward is its
    transpose ``AvgPoolT`` and that one's backward is this op."""
    save_inputs = ()
    op_name = "avg_pool"

    def forward(ctx, x, anchor=None, *, geom, div):
        ctx.geom, ctx.div = geom, div
        xp = array_module(x)
        a = _pad_to(x, geom.pad, geom.need, 0)
        sl = geom.slices
        acc_dt = x.dtype if x.dtype.kind == "f" else np.int64
        s = a[sl[0]].astype(acc_dt, copy=True)
        for t in sl[1:]:
            xp.add(s, a[t], out=s)
        if x.dtype.kind != "f":
            return (xp.trunc(s / div)).astype(x.dtype)
        s /= div if isinstance(div, (int, float)) else div.astype(x.dtype, copy=False)
        return s

    def backward(ctx, g):
        return _ret(ctx, _with_anchor(AvgPoolT, g, _anchor(ctx), geom=ctx.geom, div=ctx.div))


class AvgPoolT(Op):
    save_inputs = ()
    op_name = "avg_pool_backward"

    def forward(ctx, g, anchor=None, *, geom, div):
        ctx.geom, ctx.div = geom, div
        xp = array_module(g)
        v = g / (div if isinstance(div, (int, float)) else div.astype(g.dtype, copy=False))
        v = v.astype(g.dtype, copy=False)
        full = tuple(max(n, s + a) for n, s, a in zip(geom.need, geom.S, geom.pad))
        buf = xp.zeros(g.shape[:2] + full, g.dtype)
        for s in geom.slices:
            if geom.overlap:
                t = buf[s]
                xp.add(t, v, out=t)
            else:
                buf[s] = v
        out = _crop(buf, geom.pad, geom.S)
        return out if out.base is None else xp.ascontiguousarray(out)

    def backward(ctx, gg):
        return _ret(ctx, _with_anchor(AvgPool, gg, _anchor(ctx), geom=ctx.geom, div=ctx.div))


def _avg_divisor(geom, count_include_pad, divisor_override, xp):
    if divisor_override is not None:
        return divisor_override
    per_dim = []
    for o, k, s, p, S in zip(geom.Osp, geom.K, geom.st, geom.pad, geom.S):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, S + p)
        if count_include_pad:
            per_dim.append(end - start)
        else:
            per_dim.append(np.minimum(end, S) - np.maximum(start, 0))
    div = per_dim[0].astype(np.float64)
    for d in per_dim[1:]:
        div = np.multiply.outer(div, d)
    if (div == div.flat[0]).all():
        return int(div.flat[0])
    return xp.asarray(div)


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd, op):
    _check_tensor(input, op)
    x, unbatched = _batched(input, nd, op)
    geom = _pool_args(x, kernel_size, stride, padding, 1, ceil_mode, nd, op)
    if divisor_override is not None:
        if not isinstance(divisor_override, (int, np.integer)) or isinstance(divisor_override, bool):
            raise TypeError(f"{op}(): argument 'divisor_override' must be int, not "
                            f"{type(divisor_override).__name__}")
        if divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
    if x._data.dtype == np.bool_:
        raise RuntimeError(f"\"{op}\" not implemented for 'Bool'")
    div = _avg_divisor(geom, count_include_pad, divisor_override, array_module(x._data))
    return _unbatch(AvgPool.apply(x, geom=geom, div=div), unbatched)


@export("avg_pool1d", method=False)
@functional("avg_pool1d")
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling (PyTorch's ``F.avg_pool1d``)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1, "avg_pool1d")


@functional("avg_pool2d")
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling (PyTorch's ``F.avg_pool2d``)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2,
                     "avg_pool2d")


@functional("avg_pool3d")
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """3-D average pooling (PyTorch's ``F.avg_pool3d``)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 3,
                     "avg_pool3d")


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, nd, op):
    from .elementwise import sign, abs as _abs
    _check_tensor(input, op)
    K = _ntuple(kernel_size, nd, "kernel_size", op)
    p = float(norm_type)
    if stride is not None:
        out = _avg_pool(input.pow(norm_type), K, stride, 0, ceil_mode, True, None, nd, op)
    else:
        out = _avg_pool(input.pow(norm_type), K, None, 0, ceil_mode, True, None, nd, op)
    return (sign(out) * _abs(out)).mul(math.prod(K)).pow(1.0 / p)


@functional("lp_pool1d")
def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """1-D power-average pooling: (sum x**p over the window) ** (1/p) (PyTorch's ``F.lp_pool1d``)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1, "lp_pool1d")


@functional("lp_pool2d")
def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """2-D power-average pooling (PyTorch's ``F.lp_pool2d``)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2, "lp_pool2d")


# ---------------------------------------------------------------------------------------------- plane scatter
class PlaneGather(Op):
    """out[n, c, j] = x[n, c, idx[n, c, j]] over flattened spatial planes."""
    save_inputs = ()
    op_name = "plane_gather"

    def forward(ctx, x, anchor=None, *, idx, plane_shape):
        ctx.idx, ctx.plane_shape = idx, x.shape[2:]
        xp = array_module(x)
        NC = x.shape[0] * x.shape[1]
        flat = x.reshape(NC, -1)
        out = xp.take_along_axis(flat, idx.reshape(NC, -1), axis=1)
        return out.reshape(idx.shape)

    def backward(ctx, g):
        return _ret(ctx, _with_anchor(PlaneScatter, g, _anchor(ctx), idx=ctx.idx, plane_shape=ctx.plane_shape,
                                        accumulate=True))


class PlaneScatter(Op):
    """out (N, C, *plane_shape) zero except out[n, c, idx[n, c, j]] = x[n, c, j] (summed when ``accumulate``,
    the last write wins otherwise, as in max_unpool)."""
    save_inputs = ()
    op_name = "plane_scatter"

    def forward(ctx, x, anchor=None, *, idx, plane_shape, accumulate):
        ctx.idx = idx
        xp = array_module(x)
        N, C = x.shape[:2]
        P = math.prod(plane_shape)
        NC = N * C
        rows = xp.arange(NC, dtype=np.int64).reshape(NC, 1) * P
        pos = (idx.reshape(NC, -1) + rows).ravel()
        if accumulate:
            if xp is np:
                out = np.bincount(pos, weights=x.reshape(-1), minlength=NC * P).astype(x.dtype, copy=False)
            else:
                out = xp.zeros(NC * P, x.dtype)
                xp.add.at(out, pos, x.reshape(-1))
        else:
            out = xp.zeros(NC * P, x.dtype)
            out[pos] = x.reshape(-1)
        return out.reshape((N, C) + tuple(plane_shape))

    def backward(ctx, g):
        return _ret(ctx, _with_anchor(PlaneGather, g, _anchor(ctx), idx=ctx.idx, plane_shape=None))


def _max_unpool(input, indices, kernel_size, stride, padding, output_size, nd, op):
    _check_tensor(input, op)
    _check_tensor(indices, op, "indices", 2)
    if indices._data.dtype != np.int64:
        raise RuntimeError(f"{op}(): Expected 'indices' to be of type torch.int64, but got {indices.dtype}")
    if input._data.shape != indices._data.shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input._data.shape)}) but got indices tensor with shape: "
                           f"{list(indices._data.shape)}")
    K = _ntuple(kernel_size, nd, "kernel_size", op)
    st = K if stride is None else _ntuple(stride, nd, "stride", op)
    pad = _ntuple(padding, nd, "padding", op)
    n = input._data.ndim
    if n not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}: Expected {nd + 1}D or {nd + 2}D input, but got input of size "
                           f"{list(input._data.shape)}")
    I = input._data.shape[-nd:]
    default = tuple((i - 1) * s - 2 * p + k for i, s, p, k in zip(I, st, pad, K))
    if output_size is None:
        S = default
    else:
        osz = list(output_size.tolist() if isinstance(output_size, Tensor) else output_size)
        if len(osz) == nd + 2 or (len(osz) == nd + 1 and n == nd + 1):
            osz = osz[-nd:]
        if len(osz) != nd:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it has "
                             f"a length of '{len(osz)}'")
        for d in range(nd):
            lo, hi = default[d], default[d] + st[d]
            if not lo < osz[d] + 1 or not osz[d] < hi:   # PyTorch's range check: min < size < max
                raise ValueError(f"invalid output_size \"{tuple(osz)}\" (dim {d} must be between {lo} and {hi})")
        S = tuple(int(s) for s in osz)
    x = input if n == nd + 2 else input.reshape((1,) + input._data.shape)
    idx = indices._data if n == nd + 2 else indices._data.reshape((1,) + indices._data.shape)
    P = math.prod(S)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= P):
        bad = int(idx.max()) if int(idx.max()) >= P else int(idx.min())
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size {_sizes(S)}")
    y = PlaneScatter.apply(x, idx=idx, plane_shape=S, accumulate=False)
    return y if n == nd + 2 else y.reshape(y._data.shape[1:])


@functional("max_unpool1d")
def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool1d: values put back at their indices, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 1, "max_unpool1d")


@functional("max_unpool2d")
def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool2d: values put back at their indices, zeros elsewhere."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 2, "max_unpool2d")


@functional("max_unpool3d")
def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool3d."""
    return _max_unpool(input, indices, kernel_size, stride, padding, output_size, 3, "max_unpool3d")


# ---------------------------------------------------------------------------------------------- separable maps
class AxisLinear(Op):
    """Apply one matrix per trailing spatial dim: ``out = A_d @ x`` along dim ``-nd + d``. Linear, so the
    backward is the same op with the transposed matrices."""
    save_inputs = ()
    op_name = "axis_linear"

    def forward(ctx, x, anchor=None, *, mats):
        ctx.mats = mats
        xp = array_module(x)
        nd = len(mats)
        y = x
        for d, A in enumerate(mats):
            if A is None:
                continue
            A = A.astype(x.dtype, copy=False)
            ax = x.ndim - nd + d
            if ax == x.ndim - 1:
                y = y @ A.T
            elif ax == x.ndim - 2:
                y = A @ y
            else:
                y = xp.moveaxis(xp.moveaxis(y, ax, -1) @ A.T, -1, ax)
        return xp.ascontiguousarray(y)

    def backward(ctx, g):
        return _ret(ctx, _with_anchor(AxisLinear, g, _anchor(ctx),
                                      mats=tuple(None if A is None else A.T for A in ctx.mats)))


class AxisGather(Op):
    """out = x.take(idx_d, axis=-nd + d) for each spatial dim d (``None``: that dim is left alone)."""
    save_inputs = ()
    op_name = "axis_gather"

    def forward(ctx, x, anchor=None, *, idxs):
        ctx.idxs, ctx.sizes = idxs, x.shape[x.ndim - len(idxs):]
        y = x
        nd = len(idxs)
        for d, idx in enumerate(idxs):
            if idx is not None:
                y = y.take(idx, axis=x.ndim - nd + d)
        return y

    def backward(ctx, g):
        return _ret(ctx, _with_anchor(AxisScatter, g, _anchor(ctx), idxs=ctx.idxs, sizes=ctx.sizes))


def _segments(idx):
    """For a scatter-add along an axis: the stable sort order, the run starts and the target positions."""
    order = np.argsort(idx, kind="stable")
    s = idx[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    return order, starts, s[starts]


class AxisScatter(Op):
    """The transpose of ``AxisGather``: gradients summed back to their source positions (a sorted segment
    sum, ``np.add.reduceat``, per dim)."""
    save_inputs = ()
    op_name = "axis_scatter"

    def forward(ctx, g, anchor=None, *, idxs, sizes):
        ctx.idxs, ctx.sizes = idxs, sizes
        xp = array_module(g)
        y = g
        nd = len(idxs)
        for d, idx in enumerate(idxs):
            if idx is None:
                continue
            ax = g.ndim - nd + d
            idx_np = idx if type(idx) is np.ndarray else idx.get()
            order, starts, targets = _segments(idx_np)
            if len(idx_np) == 0:
                shape = list(y.shape)
                shape[ax] = sizes[d]
                y = xp.zeros(tuple(shape), g.dtype)
                continue
            srt = y.take(xp.asarray(order), axis=ax)
            summed = xp.add.reduceat(srt, xp.asarray(starts), axis=ax) if xp is np else \
                _reduceat_cupy(xp, srt, starts, ax)
            shape = list(y.shape)
            shape[ax] = sizes[d]
            out = xp.zeros(tuple(shape), g.dtype)
            sl = [_none] * g.ndim
            sl[ax] = xp.asarray(targets)
            out[tuple(sl)] = summed
            y = out
        return y

    def backward(ctx, gg):
        return _ret(ctx, _with_anchor(AxisGather, gg, _anchor(ctx), idxs=ctx.idxs))


def _reduceat_cupy(xp, a, starts, ax):
    ends = list(starts[1:]) + [a.shape[ax]]
    parts = [a[(_none,) * ax + (slice(int(s), int(e)),)].sum(axis=ax, keepdims=True) for s, e in zip(starts, ends)]
    return xp.concatenate(parts, axis=ax)


# ---------------------------------------------------------------------------------------------- adaptive
def _adaptive_bounds(S, O):
    i = np.arange(O)
    start = (i * S) // O
    end = -((-(i + 1) * S) // O)
    return start, end


def _adaptive_args(input, output_size, nd, op):
    _check_tensor(input, op)
    n = input._data.ndim
    if n not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}(): Expected {nd + 1}D or {nd + 2}D tensor, but got {list(input._data.shape)}")
    if isinstance(output_size, (list, tuple)) and len(output_size) != nd:
        raise RuntimeError(f"{op}: output_size must be {nd}")
    O = _ntuple(output_size, nd, "output_size", op, allow_none=True)
    S = input._data.shape[-nd:]
    O = tuple(s if o is None else o for o, s in zip(O, S))
    if any(o < 0 for o in O):
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 but received "
                           f"{list(O)}")
    for i in range(1, n):
        if input._data.shape[i] == 0:
            raise RuntimeError(f"{op}(): Expected input to have non-zero size for non-batch dimensions, but "
                               f"input has sizes {list(input._data.shape)} with dimension {i} being empty")
    return S, O


def _adaptive_avg(input, output_size, nd, op):
    S, O = _adaptive_args(input, output_size, nd, op)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"\"{op}\" not implemented for '{input.dtype}'")
    if S == O:
        return input.clone() if input._requires_grad else input.clone()
    mats = []
    for s, o in zip(S, O):
        if s == o:
            mats.append(None)
            continue
        start, end = _adaptive_bounds(s, o)
        A = np.zeros((o, s))
        for r in range(o):
            A[r, start[r]:end[r]] = 1.0 / (end[r] - start[r])
        mats.append(array_module(input._data).asarray(A))
    return AxisLinear.apply(input, mats=tuple(mats))


@export("adaptive_avg_pool1d", method=False)
@functional("adaptive_avg_pool1d")
def adaptive_avg_pool1d(input, output_size):
    """Adaptive 1-D average pooling to ``output_size`` (PyTorch's windows floor(i*S/O) .. ceil((i+1)*S/O))."""
    return _adaptive_avg(input, output_size, 1, "adaptive_avg_pool1d")


@functional("adaptive_avg_pool2d")
def adaptive_avg_pool2d(input, output_size):
    """Adaptive 2-D average pooling (``None`` in output_size keeps that input size)."""
    return _adaptive_avg(input, output_size, 2, "adaptive_avg_pool2d")


@functional("adaptive_avg_pool3d")
def adaptive_avg_pool3d(input, output_size):
    """Adaptive 3-D average pooling."""
    return _adaptive_avg(input, output_size, 3, "adaptive_avg_pool3d")


def _adaptive_max(input, output_size, return_indices, nd, op):
    S, O = _adaptive_args(input, output_size, nd, op)
    x, unbatched = (input, False) if input._data.ndim == nd + 2 else \
        (input.reshape((1,) + input._data.shape), True)
    if all(o > 0 and s % o == 0 for s, o in zip(S, O)):
        K = tuple(s // o for s, o in zip(S, O))
        geom = _Geom(K, K, (0,) * nd, (1,) * nd, S, O)
        sink = [] if return_indices else None
        y = _unbatch(MaxPool.apply(x, geom=geom, sink=sink), unbatched)
        if not return_indices:
            return y
        return y, _unbatch(Tensor._make(_flat_indices(sink[0], geom)), unbatched)
    xd = x._data
    xp = array_module(xd)
    # every window padded to the longest one by repeating its last element (harmless for max and argmax)
    sel = []
    for s, o in zip(S, O):
        start, end = _adaptive_bounds(s, o)
        kmax = int((end - start).max()) if o else 1
        sel.append(np.minimum(start[:, None] + np.arange(kmax), end[:, None] - 1))
    N, C = xd.shape[:2]
    planes = xd.reshape(N, C, -1)
    flat = np.zeros((), np.int64)
    plane = 1
    for d in range(nd - 1, -1, -1):       # flat index of (window, offset) pairs: shape (O1, k1, O2, k2, ...)
        shape = [1] * (2 * nd)
        shape[2 * d], shape[2 * d + 1] = sel[d].shape
        flat = flat + sel[d].reshape(shape) * plane
        plane *= S[d]
    perm = tuple(range(0, 2 * nd, 2)) + tuple(range(1, 2 * nd, 2))
    flat = flat.transpose(perm).reshape(O + (-1,))            # (*O, kprod)
    vals = planes[:, :, xp.asarray(flat)]                       # (N, C, *O, kprod)
    if xd.dtype.kind == "f":
        nanm = xp.isnan(vals)
        k = xp.where(nanm.any(-1), nanm.argmax(-1), vals.argmax(-1))
    else:
        k = vals.argmax(-1)
    idx = xp.take_along_axis(xp.broadcast_to(xp.asarray(flat), vals.shape), k[..., None], -1)[..., 0]
    idx = xp.ascontiguousarray(idx)
    y = _unbatch(PlaneGather.apply(x, idx=idx, plane_shape=None), unbatched)
    if not return_indices:
        return y
    return y, _unbatch(Tensor._make(idx), unbatched)


def _adaptive_max_fn(nd):
    op = f"adaptive_max_pool{nd}d"

    def fn(input, output_size, return_indices=False):
        return _adaptive_max(input, output_size, return_indices, nd, op)

    def with_indices(input, output_size, return_indices=True):
        return _adaptive_max(input, output_size, True, nd, op)

    fn.__name__ = op
    fn.__doc__ = f"Adaptive {nd}-D max pooling (PyTorch's ``F.{op}``)."
    functional(op)(fn)
    functional(op + "_with_indices")(with_indices)
    if nd == 1:
        export(op, method=False)(fn)
    return fn


adaptive_max_pool1d = _adaptive_max_fn(1)
adaptive_max_pool2d = _adaptive_max_fn(2)
adaptive_max_pool3d = _adaptive_max_fn(3)


# ---------------------------------------------------------------------------------------------- pad
class PadConstant(Op):
    """Constant padding of the trailing dims; negative amounts crop. Its backward is the opposite pad."""
    save_inputs = ()
    op_name = "constant_pad_nd"

    def forward(ctx, x, anchor=None, *, pads, value):
        ctx.pads = pads
        xp = array_module(x)
        nd = len(pads)
        lead = x.ndim - nd
        shape = x.shape[:lead] + tuple(s + a + b for s, (a, b) in zip(x.shape[lead:], pads))
        if all(a >= 0 and b >= 0 for a, b in pads):
            out = xp.full(shape, value, x.dtype)
            out[(_none,) * lead + tuple(slice(a, a + s) for s, (a, _) in zip(x.shape[lead:], pads))] = x
            return out
        src = (_none,) * lead + tuple(slice(max(-a, 0), s - max(-b, 0)) for s, (a, b) in zip(x.shape[lead:], pads))
        dst = (_none,) * lead + tuple(slice(max(a, 0), max(a, 0) + s - max(-a, 0) - max(-b, 0))
                                      for s, (a, b) in zip(x.shape[lead:], pads))
        out = xp.full(shape, value, x.dtype)
        out[dst] = x[src]
        return out

    def backward(ctx, g):
        return _ret(ctx, _with_anchor(PadConstant, g, _anchor(ctx), pads=tuple((-a, -b) for a, b in ctx.pads),
                                      value=0))


def _pad_index(S, a, b, mode):
    j = np.arange(-a, S + b)
    if mode == "reflect":
        if S == 1:
            return np.zeros(len(j), np.int64)
        period = 2 * (S - 1)
        j = np.abs(j) % period
        return np.where(j >= S, period - j, j).astype(np.int64)
    if mode == "replicate":
        return np.clip(j, 0, S - 1).astype(np.int64)
    # circular: negative amounts crop first; the wrap-around then reads the cropped range (as PyTorch)
    c0 = max(-a, 0)
    n = S - c0 - max(-b, 0)
    j = np.arange(-max(a, 0), n + max(b, 0))
    return (c0 + j % n).astype(np.int64)


_PAD_HELP = ("Supported combinations for non-constant padding:\n"
             "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
             "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
             "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


@export("constant_pad_nd", method=False)
def constant_pad_nd(input, pad, value=0):
    return _pad(input, pad, "constant", value)


@functional("pad")
def pad(input, pad, mode="constant", value=None):
    """Pad the trailing dims (``pad`` lists (left, right) pairs from the last dim backwards); modes constant
    (negative amounts crop), reflect, replicate, circular (PyTorch's ``F.pad``)."""
    return _pad(input, pad, mode, value)


def _pad(input, pad, mode, value):
    _check_tensor(input, "pad")
    if isinstance(pad, Tensor):
        pad = pad.tolist()
    if not isinstance(pad, (list, tuple)):
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, not {type(pad).__name__}")
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    nd = len(pad) // 2
    x = input._data
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if nd > x.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but "
                           f"got padding length {len(pad)} and input of dimension {x.ndim}")
    pairs = tuple((pad[2 * (nd - 1 - d)], pad[2 * (nd - 1 - d) + 1]) for d in range(nd))   # first spatial dim first
    S = x.shape[x.ndim - nd:]
    if mode == "constant":
        for s, (a, b) in zip(S, pairs):
            if s + a + b < 0:
                raise RuntimeError(f"The input size {s}, plus negative padding {a} and {b} resulted in a negative "
                                   f"output size, which is invalid. Check dimension {S.index(s) + x.ndim - nd} "
                                   "of your input.")
        v = 0 if value is None else value
        if x.dtype.kind in "iub" and isinstance(v, float) and v != int(v):
            v = int(v)
        return PadConstant.apply(input, pads=pairs, value=v)
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if nd not in (1, 2, 3) or x.ndim not in (nd + 1, nd + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {x.ndim}D input tensor.\n"
                                  + _PAD_HELP)
    for d, (s, (a, b)) in enumerate(zip(S, pairs)):
        dim = x.ndim - nd + d
        if mode == "reflect" and (a >= s or b >= s):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({a}, {b}) at dimension {dim} of input {list(x.shape)}")
        if mode == "circular" and (a > s or b > s):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if s + a + b <= 0 or (mode == "replicate" and s == 0):
            raise RuntimeError(f"{mode}_pad: input (H: {s}) with padding ({a}, {b}) gives an invalid output "
                               f"size at dimension {dim} of input {list(x.shape)}")
    xp = array_module(x)
    idxs = tuple(None if a == 0 and b == 0 else xp.asarray(_pad_index(s, a, b, mode)) for s, (a, b) in
                 zip(S, pairs))
    return AxisGather.apply(input, idxs=idxs)


# ---------------------------------------------------------------------------------------------- interpolate
_MODE_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


def _linear_matrix(S, O, scale, align_corners, dtype, cubic=False):
    """(O, S) interpolation matrix with PyTorch's source-index rule (area_pixel_compute_source_index)."""
    dst = np.arange(O, dtype=dtype)
    if align_corners:
        r = dtype((S - 1) / (O - 1)) if O > 1 else dtype(0)
        src = dst * r
    else:
        r = dtype(1.0 / scale) if scale is not None and scale > 0 else dtype(S / O)
        src = (dst + dtype(0.5)) * r - dtype(0.5)
        if not cubic:
            src = np.maximum(src, dtype(0))
    A = np.zeros((O, S), np.float64)
    rows = np.arange(O)
    if not cubic:
        i0 = np.floor(src).astype(np.int64)
        i0 = np.minimum(i0, S - 1)
        i1 = np.minimum(i0 + 1, S - 1)
        l1 = (src - i0).astype(np.float64)
        np.add.at(A, (rows, i0), 1.0 - l1)
        np.add.at(A, (rows, i1), l1)
        return A
    i = np.floor(src).astype(np.int64)
    t = (src - i).astype(np.float64)
    a = -0.75

    def c1(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def c2(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    ws = (c2(t + 1), c1(t), c1(1 - t), c2(2 - t))
    for k, w in zip(range(-1, 3), ws):
        np.add.at(A, (rows, np.clip(i + k, 0, S - 1)), w)
    return A


def _nearest_index(S, O, scale, exact):
    f = np.float32
    r = f(1.0 / scale) if scale is not None and scale > 0 else f(S) / f(O)
    dst = np.arange(O, dtype=f)
    if exact:
        src = np.floor((dst + f(0.5)) * r)
    else:
        if O == 2 * S and (scale is None or scale == 2.0):
            return np.arange(O) >> 1
        src = np.floor(dst * r)
    return np.minimum(src.astype(np.int64), S - 1)


@functional("interpolate")
def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resample the spatial dims: modes nearest, nearest-exact, linear, bilinear, bicubic, trilinear, area
    (PyTorch's ``F.interpolate``, with its source-index rules)."""
    _check_tensor(input, "interpolate")
    n = input._data.ndim
    nd = n - 2
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if mode not in ("nearest", "nearest-exact", "area", "linear", "bilinear", "bicubic", "trilinear") or \
            nd not in (1, 2, 3):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {n}D) for the "
                                  "modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact"
                                  f" (got {mode})")
    if mode in _MODE_DIMS and _MODE_DIMS[mode] != nd:
        raise NotImplementedError(f"Got {n}D input, but {mode} mode needs {_MODE_DIMS[mode] + 2}D input")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported by ember")
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    S = input._data.shape[2:]
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != nd:
                raise ValueError(f"Input and output must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {list(S)} and output size of {list(size)}. "
                                 "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                                 "(o1, o2, ...,oK) format.")
            O = tuple(int(s) for s in size)
        else:
            O = (int(size),) * nd
        scales = (None,) * nd
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != nd:
                raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {list(S)} and scale_factor of shape "
                                 f"{list(scale_factor)}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
                                 "format and scale_factor in (s1, s2, ...,sK) format.")
            sf = tuple(float(s) for s in scale_factor)
        else:
            sf = (float(scale_factor),) * nd
        O = tuple(int(math.floor(s * f)) for s, f in zip(S, sf))
        scales = (None,) * nd if recompute_scale_factor else sf
    else:
        raise ValueError("either size or scale_factor should be defined")
    if any(o <= 0 for o in O):
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({_sizes(S, ', ')}) and "
                           f"output ({_sizes(O, ', ')})")
    if any(s == 0 for s in input._data.shape[1:]):
        raise RuntimeError(f"Non-empty {n}D data tensor expected but got a tensor with sizes "
                           f"{list(input._data.shape)}")
    if mode == "area":
        return _adaptive_avg(input, O, nd, f"adaptive_avg_pool{nd}d")
    if input._data.dtype.kind != "f" and mode != "nearest":
        raise RuntimeError(f"\"upsample_{mode}{nd}d_out_frame\" not implemented for '{input.dtype}'")
    xp = array_module(input._data)
    if mode in ("nearest", "nearest-exact"):
        idxs = tuple(None if s == o else xp.asarray(_nearest_index(s, o, sc, mode == "nearest-exact"))
                     for s, o, sc in zip(S, O, scales))
        return AxisGather.apply(input, idxs=idxs)
    dt = input._data.dtype.type
    mats = tuple(None if s == o and not (mode == "bicubic") and (align_corners or sc in (None, 1.0)) else
                 xp.asarray(_linear_matrix(s, o, sc, align_corners, dt, cubic=mode == "bicubic"))
                 for s, o, sc in zip(S, O, scales))
    if all(m is None for m in mats):
        return input.clone()
    return AxisLinear.apply(input, mats=mats)


@functional("upsample")
def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of ``interpolate`` (warns like PyTorch)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


@functional("upsample_nearest")
def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


@functional("upsample_bilinear")
def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------------------------------------- pixel shuffle
@export("pixel_shuffle", method=False)
@functional("pixel_shuffle")
def pixel_shuffle(input, upscale_factor):
    """(*, C * r * r, H, W) -> (*, C, H * r, W * r)."""
    _check_tensor(input, "pixel_shuffle")
    sh = input._data.shape
    if len(sh) < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{len(sh)} dimension(s)")
    r = int(upscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    c, h, w = sh[-3:]
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
                           f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    lead = sh[:-3]
    k = len(lead)
    y = input.reshape(lead + (c // (r * r), r, r, h, w))
    y = y.permute(tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))
    return y.reshape(lead + (c // (r * r), h * r, w * r))


@export("pixel_unshuffle", method=False)
@functional("pixel_unshuffle")
def pixel_unshuffle(input, downscale_factor):
    """(*, C, H * r, W * r) -> (*, C * r * r, H, W)."""
    _check_tensor(input, "pixel_unshuffle")
    sh = input._data.shape
    if len(sh) < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{len(sh)} dimension(s)")
    r = int(downscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    c, h, w = sh[-3:]
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but "
                           f"input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={w} is not divisible by {r}")
    lead = sh[:-3]
    k = len(lead)
    y = input.reshape(lead + (c, h // r, r, w // r, r))
    y = y.permute(tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))
    return y.reshape(lead + (c * r * r, h // r, w // r))
