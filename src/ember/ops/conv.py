"""Convolutions (1d/2d/3d, transposed) and unfold/fold (im2col/col2im), nn.functional and ``torch.conv*``.

Three bilinear primitives share one geometry ``geom = (stride, pad_lo, pad_hi, dilation, groups)``:

* ``Conv(x, w[, b])``           y  = conv(x, w) + b     im2col (``as_strided`` + one contiguous copy) and one GEMM
                                                        per group
* ``ConvInputGrad(g, w[, b])``  gx = conv(., w)^T g + b  one GEMM then col2im: one strided slice-add per kernel
                                                        offset (this *is* conv_transpose)
* ``ConvWeightGrad(x, g)``      gw = d<g, conv(x, w)>/dw  one GEMM against the im2col of x (reused from the forward)

Each one's backward is written with the other two, so gradients of any order are convolutions again.
Layout: the im2col matrix is ``(groups, C/groups * prod(K), N * L)`` (kernel offsets major inside a channel),
so every GEMM is one large 2-D product per group.
"""
import itertools
import math

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Op, _type_name
from ..backend import array_module
from ._util import export, functional
from .activation import _sum_keep_np

_none = slice(None)


# ---------------------------------------------------------------------------------------------- raw kernels
def _as_strided(xp, a, shape, strides):
    if xp is np:
        return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=False)
    return xp.lib.stride_tricks.as_strided(a, shape, strides)


def _padded(x, lo, hi, value=0):
    """``x`` (N, C, *S) with spatial zero padding ``lo``/``hi`` per dim (x itself when there is none)."""
    if not any(lo) and not any(hi):
        return x
    xp = array_module(x)
    S = x.shape[2:]
    buf = xp.full(x.shape[:2] + tuple(s + a + b for s, a, b in zip(S, lo, hi)), value, x.dtype)
    buf[(_none, _none) + tuple(slice(a, a + s) for a, s in zip(lo, S))] = x
    return buf


def _out_size(S, K, geom):
    st, lo, hi, dil, _ = geom
    return tuple((s + a + b - d * (k - 1) - 1) // t + 1 for s, k, t, a, b, d in zip(S, K, st, lo, hi, dil))


def _im2col(x, K, geom, Osp):
    """(N, C, *S) -> contiguous (G, C/G * prod(K), N * prod(Osp))."""
    st, lo, hi, dil, G = geom
    xp = array_module(x)
    a = _padded(x, lo, hi)
    N, C = a.shape[:2]
    s = a.strides
    nd = len(K)
    win = _as_strided(xp, a, (C,) + tuple(K) + (N,) + tuple(Osp),
                      (s[1],) + tuple(s[2 + i] * dil[i] for i in range(nd)) + (s[0],) +
                      tuple(s[2 + i] * st[i] for i in range(nd)))
    col = xp.ascontiguousarray(win)
    return col.reshape(G, (C // G) * math.prod(K), N * math.prod(Osp))


def _grad_rows(g, G):
    """(N, O, *Osp) -> contiguous (G, O/G, N * L)."""
    N, O = g.shape[:2]
    L = math.prod(g.shape[2:])
    xp = array_module(g)
    if N == 1:
        return xp.ascontiguousarray(g).reshape(G, O // G, L)
    return xp.ascontiguousarray(g.reshape(N, O, L).swapaxes(0, 1)).reshape(G, O // G, N * L)


def _matmul(a, b):
    if a.shape[0] == 1:
        return (a[0] @ b[0])[None]
    return a @ b


def _channels_first(y, N, O, Osp):
    """(O, N * L) GEMM result -> contiguous (N, O, *Osp)."""
    if N == 1:
        return y.reshape((1, O) + tuple(Osp))
    xp = array_module(y)
    return xp.ascontiguousarray(y.reshape((O, N) + tuple(Osp)).swapaxes(0, 1))


def _col2im(cg, S, K, geom, Osp, N):
    """Scatter-add kernel-offset-major columns (prod(K), C, N, *Osp) into (N, C, *S): one strided slice-add per
    kernel offset, then drop the padding."""
    st, lo, hi, dil, _ = geom
    xp = array_module(cg)
    C = cg.shape[1]
    Sp = tuple(s + a + b for s, a, b in zip(S, lo, hi))
    buf = xp.zeros((C, N) + Sp, cg.dtype)
    nd = len(K)
    overlap = any(d * (k - 1) + 1 > t for k, t, d in zip(K, st, dil) if k > 1)
    for j, kk in enumerate(itertools.product(*[range(k) for k in K])):
        sl = (_none, _none) + tuple(slice(kk[i] * dil[i], kk[i] * dil[i] + st[i] * (Osp[i] - 1) + 1, st[i])
                                    for i in range(nd))
        if overlap:
            v = buf[sl]
            xp.add(v, cg[j], out=v)
        else:
            buf[sl] = cg[j]
    buf = buf[(_none, _none) + tuple(slice(a, a + s) for a, s in zip(lo, S))]
    if N == 1:
        return xp.ascontiguousarray(buf).reshape((1, C) + tuple(S))
    return xp.ascontiguousarray(buf.swapaxes(0, 1))


def _bias_add(y, b):
    if b is not None:
        y += b.reshape((1, -1) + (1,) * (y.ndim - 2))
    return y


class BiasGrad(Op):
    """gb = g summed over batch and space. ``anchor`` (the weight) only ties the result into the graph, as
    PyTorch's convolution double-backward node does: with create_graph the bias gradient requires grad."""
    save_inputs = ()
    op_name = "convolution_bias_grad"

    def forward(ctx, g, anchor):
        ctx.shape = g.shape
        if g.ndim > 2 and type(g) is np.ndarray and g.flags.c_contiguous:
            N, C = g.shape[:2]     # spatial sums as one BLAS GEMV, then the (small) batch sum
            return _sum_keep_np(g.reshape(N, C, -1), 2).reshape(N, C).sum(axis=0)
        return g.sum(axis=(0,) + tuple(range(2, g.ndim)))

    def backward(ctx, gg):
        from .shape import expand
        sh = ctx.shape
        return expand(gg.reshape((1, sh[1]) + (1,) * (len(sh) - 2)), sh), None


def _bias_grad(g, anchor):
    return BiasGrad.apply(g, anchor)


# ---------------------------------------------------------------------------------------------- the ops
class Conv(Op):
    """y = conv(x, w) (+ b): im2col then one GEMM per group."""
    save_inputs = (0, 1)
    op_name = "convolution"
    _col = None

    def forward(ctx, x, w, b=None, *, geom, out_sp=None):
        ctx.geom = geom
        N, C = x.shape[:2]
        O = w.shape[0]
        K = w.shape[2:]
        G = geom[4]
        Osp = out_sp or _out_size(x.shape[2:], K, geom)
        col = _im2col(x, K, geom, Osp)
        inputs = getattr(ctx, "inputs", None)
        if inputs is not None and inputs[1]._requires_grad:
            ctx._col = col      # ConvWeightGrad reuses it (x is saved: in-place edits are caught)
        y = _matmul(w.reshape(G, O // G, -1), col).reshape(O, -1)
        if b is not None:
            y += b[:, None]
        return _channels_first(y, N, O, Osp)

    def backward(ctx, g):
        x, w = ctx.inputs[0], ctx.inputs[1]
        e = ctx.edges
        geom = ctx.geom
        gx = ConvInputGrad.apply(g, w, geom=geom, in_sp=x._data.shape[2:]) if e[0] is not None else None
        gw = ConvWeightGrad.apply(x, g, geom=geom, w_shape=w._data.shape, col=ctx._col) \
            if e[1] is not None else None
        if len(e) == 3:
            return gx, gw, _bias_grad(g, w) if e[2] is not None else None
        return gx, gw

    def _release(self):
        Op._release(self)
        self._col = None


class ConvInputGrad(Op):
    """gx = conv(., w)^T g (+ b), the transposed convolution: one GEMM, then col2im."""
    save_inputs = (0, 1)
    op_name = "conv_transpose"

    def forward(ctx, g, w, b=None, *, geom, in_sp):
        ctx.geom = geom
        N, O = g.shape[:2]
        Osp = g.shape[2:]
        K = w.shape[2:]
        G = geom[4]
        Cg = w.shape[1]
        P = math.prod(K)
        # weights as (G, prod(K) * Cg, O/G): columns come out kernel-offset major (contiguous slices per offset)
        wt = w.reshape((G, O // G, Cg, P)).transpose(0, 3, 2, 1).reshape(G, P * Cg, O // G)
        cg = _matmul(wt, _grad_rows(g, G))                         # (G, P * Cg, N * L)
        if G == 1:
            cg = cg.reshape((P, Cg, N) + tuple(Osp))
        else:
            cg = cg.reshape((G, P, Cg, N * math.prod(Osp))).swapaxes(0, 1).reshape((P, G * Cg, N) + tuple(Osp))
        return _bias_add(_col2im(cg, in_sp, K, geom, Osp, N), b)

    def backward(ctx, gg):
        g, w = ctx.inputs[0], ctx.inputs[1]
        e = ctx.edges
        geom = ctx.geom
        dg = Conv.apply(gg, w, geom=geom, out_sp=g._data.shape[2:]) if e[0] is not None else None
        dw = ConvWeightGrad.apply(gg, g, geom=geom, w_shape=w._data.shape) if e[1] is not None else None
        if len(e) == 3:
            return dg, dw, _bias_grad(gg, w) if e[2] is not None else None
        return dg, dw


class ConvWeightGrad(Op):
    """gw[o, c, k] = sum_{n, l} g[n, o, l] * im2col(x)[c, k, n, l]: one GEMM per group."""
    save_inputs = (0, 1)
    op_name = "convolution_weight_grad"

    def forward(ctx, x, g, *, geom, w_shape, col=None):
        ctx.geom = geom
        G = geom[4]
        K = w_shape[2:]
        if col is None:
            col = _im2col(x, K, geom, g.shape[2:])
        # (CgK, NL) @ (NL, Og): the long dim as the GEMM's inner dim is OpenBLAS's fast case (about 2x faster
        # than (Og, NL) @ (NL, CgK) here), worth the small transposing copy of g
        N, O = g.shape[:2]
        L = math.prod(g.shape[2:])
        xp = array_module(g)
        if G == 1 and N * L < col.shape[1]:
            # few output positions against a long kernel axis (the last stages of a ResNet): (O, NL) @ (NL, CK)
            # is the faster GEMM orientation here and gives the weight layout directly
            return (_grad_rows(g, 1)[0] @ col[0].T).reshape(w_shape)
        gcols = xp.ascontiguousarray(g.reshape(N, G, O // G, L).transpose(1, 0, 3, 2)).reshape(G, N * L, O // G)
        gw = _matmul(col, gcols)                                   # (G, CgK, Og)
        return xp.ascontiguousarray(gw.transpose(0, 2, 1)).reshape(w_shape)

    def backward(ctx, ggw):
        x, g = ctx.inputs
        e = ctx.edges
        geom = ctx.geom
        dx = ConvInputGrad.apply(g, ggw, geom=geom, in_sp=x._data.shape[2:]) if e[0] is not None else None
        dg = Conv.apply(x, ggw, geom=geom, out_sp=g._data.shape[2:]) if e[1] is not None else None
        return dx, dg


# ---------------------------------------------------------------------------------------------- arguments
def _ntuple(v, n, name, op):
    """An int or a sequence of ``n`` ints (PyTorch's message otherwise)."""
    if isinstance(v, Tensor):
        v = v.tolist()
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return (int(v),) * n
    if isinstance(v, (tuple, list)):
        if len(v) == 1 and n > 1:
            v = tuple(v) * n
        if len(v) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to match "
                               f"the convolution dimensions, but got {name}={list(v)}")
        out = []
        for a in v:
            if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
                raise TypeError(f"{op}(): argument '{name}' must be tuple of ints, but found element of type "
                                f"{type(a).__name__}")
            out.append(int(a))
        return tuple(out)
    raise TypeError(f"{op}(): argument '{name}' must be tuple of ints, not {type(v).__name__}")


def _check_tensor(x, op, arg, pos):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' (position {pos}) must be Tensor, not {type(x).__name__}")


def _check_dtypes(x, w, b, op):
    if x._data.dtype != w._data.dtype:
        raise RuntimeError(f"Input type ({_type_name(x)}) and weight type ({_type_name(w)}) should be the same "
                           f"({op})")
    if b is not None and b._data.dtype != w._data.dtype:
        raise RuntimeError(f"Input type ({_type_name(x)}) and bias type ({_type_name(b)}) should be the same "
                           f"({op})")
    if x._data.dtype == np.bool_:
        raise RuntimeError(f"\"{op}\" not implemented for 'Bool'")
    if type(x._data) is not type(w._data):
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                           f"{x.device} and {w.device}! ({op})")


def _batched(input, nd, op):
    """The batched (N, C, *S) input and whether it was unbatched."""
    n = input._data.ndim
    if n == nd + 2:
        return input, False
    if n == nd + 1:
        return input.reshape((1,) + input._data.shape), True
    raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {op}, but got input of "
                       f"size: {list(input._data.shape)}")


def _sizes(shape):
    return " x ".join(str(s) for s in shape)


def _conv(input, weight, bias, stride, padding, dilation, groups, nd, op):
    _check_tensor(input, op, "input", 1)
    _check_tensor(weight, op, "weight", 2)
    if bias is not None:
        _check_tensor(bias, op, "bias", 3)
    x, unbatched = _batched(input, nd, op)
    if weight._data.ndim != nd + 2:
        raise RuntimeError(f"{op}: expected weight to be {nd + 2}-dimensional, but got weight of size "
                           f"{list(weight._data.shape)}")
    _check_dtypes(x, weight, bias, op)
    st = _ntuple(stride, nd, "stride", op)
    dil = _ntuple(dilation, nd, "dilation", op)
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool):
        raise TypeError(f"{op}(): argument 'groups' must be int, not {type(groups).__name__}")
    if any(s <= 0 for s in st):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dil):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    K = weight._data.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            lo = hi = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in st):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            tot = [d * (k - 1) for d, k in zip(dil, K)]
            lo = tuple(t // 2 for t in tot)
            hi = tuple(t - t // 2 for t in tot)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        lo = hi = _ntuple(padding, nd, "padding", op)
        if any(p < 0 for p in lo):
            raise RuntimeError("negative padding is not supported")
    xs, ws = x._data.shape, weight._data.shape
    if ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size [{list(ws)}] instead")
    if xs[1] != ws[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(ws)}, expected input{list(xs)} to have "
                           f"{ws[1] * groups} channels, but got {xs[1]} channels instead")
    if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != ws[0]):
        raise RuntimeError(f"Given weight of size {list(ws)}, expected bias to be 1-dimensional with {ws[0]} "
                           f"elements, but got bias of size {list(bias._data.shape)} instead")
    Sp = tuple(s + a + b for s, a, b in zip(xs[2:], lo, hi))
    if any(d * (k - 1) + 1 > s for d, k, s in zip(dil, K, Sp)):
        raise RuntimeError(f"Calculated padded input size per channel: ({_sizes(Sp)}). Kernel size: "
                           f"({_sizes(tuple(d * (k - 1) + 1 for d, k in zip(dil, K)))}). Kernel size can't be "
                           "greater than actual input size")
    geom = (st, lo, hi, dil, int(groups))
    if bias is None:
        y = Conv.apply(x, weight, geom=geom)
    else:
        y = Conv.apply(x, weight, bias, geom=geom)
    return y.reshape(y._data.shape[1:]) if unbatched else y


@export("conv1d", method=False)
@functional("conv1d")
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over (N, C, L) or unbatched (C, L) input (PyTorch's ``F.conv1d``)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


@export("conv2d", method=False)
@functional("conv2d")
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over (N, C, H, W) or unbatched (C, H, W) input (PyTorch's ``F.conv2d``)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


@export("conv3d", method=False)
@functional("conv3d")
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over (N, C, D, H, W) or unbatched (C, D, H, W) input (PyTorch's ``F.conv3d``)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, nd, op):
    _check_tensor(input, op, "input", 1)
    _check_tensor(weight, op, "weight", 2)
    if bias is not None:
        _check_tensor(bias, op, "bias", 3)
    x, unbatched = _batched(input, nd, op)
    if weight._data.ndim != nd + 2:
        raise RuntimeError(f"{op}: expected weight to be {nd + 2}-dimensional, but got weight of size "
                           f"{list(weight._data.shape)}")
    _check_dtypes(x, weight, bias, op)
    if isinstance(padding, str):
        raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str")
    st = _ntuple(stride, nd, "stride", op)
    pad = _ntuple(padding, nd, "padding", op)
    opad = _ntuple(output_padding, nd, "output_padding", op)
    dil = _ntuple(dilation, nd, "dilation", op)
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool):
        raise TypeError(f"{op}(): argument 'groups' must be int, not {type(groups).__name__}")
    if any(s <= 0 for s in st):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dil):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if any(p < 0 for p in pad):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in opad):
        raise RuntimeError("negative output_padding is not supported")
    if any(o >= s and o >= d for o, s, d in zip(opad, st, dil)):
        raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got "
                           f"output_padding={list(opad)}, stride={list(st)}, dilation={list(dil)}")
    xs, ws = x._data.shape, weight._data.shape
    if ws[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size [{list(ws)}] instead")
    if xs[1] != ws[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(ws)}, expected input{list(xs)} to have "
                           f"{ws[0]} channels, but got {xs[1]} channels instead")
    cout = ws[1] * groups
    if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != cout):
        raise RuntimeError(f"Given transposed=1, weight of size {list(ws)}, expected bias to be 1-dimensional "
                           f"with {cout} elements, but got bias of size {list(bias._data.shape)} instead")
    K = ws[2:]
    S = tuple((i - 1) * s - 2 * p + d * (k - 1) + o + 1
              for i, s, p, d, k, o in zip(xs[2:], st, pad, dil, K, opad))
    if any(s <= 0 for s in S):
        raise RuntimeError(f"{op}: given input size per channel ({_sizes(xs[2:])}), the calculated output size "
                           f"per channel ({_sizes(S)}) is too small")
    geom = (st, pad, pad, dil, int(groups))
    if bias is None:
        y = ConvInputGrad.apply(x, weight, geom=geom, in_sp=S)
    else:
        y = ConvInputGrad.apply(x, weight, bias, geom=geom, in_sp=S)
    return y.reshape(y._data.shape[1:]) if unbatched else y


@export("conv_transpose1d", method=False)
@functional("conv_transpose1d")
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-D transposed convolution ("deconvolution"), PyTorch's ``F.conv_transpose1d``."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                           "conv_transpose1d")


@export("conv_transpose2d", method=False)
@functional("conv_transpose2d")
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution ("deconvolution"), PyTorch's ``F.conv_transpose2d``."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                           "conv_transpose2d")


@export("conv_transpose3d", method=False)
@functional("conv_transpose3d")
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-D transposed convolution ("deconvolution"), PyTorch's ``F.conv_transpose3d``."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                           "conv_transpose3d")


# ---------------------------------------------------------------------------------------------- unfold / fold
class Im2Col(Op):
    """(N, C, *S) -> (N, C * prod(K), L): the sliding blocks of ``F.unfold``."""
    save_inputs = ()
    op_name = "im2col"

    def forward(ctx, x, K, geom):
        ctx.K, ctx.geom, ctx.S = K, geom, x.shape[2:]
        st, lo, hi, dil, _ = geom
        xp = array_module(x)
        a = _padded(x, lo, hi)
        N, C = a.shape[:2]
        Osp = _out_size(x.shape[2:], K, geom)
        ctx.Osp = Osp
        s = a.strides
        nd = len(K)
        win = _as_strided(xp, a, (N, C) + tuple(K) + tuple(Osp),
                          s[:2] + tuple(s[2 + i] * dil[i] for i in range(nd)) +
                          tuple(s[2 + i] * st[i] for i in range(nd)))
        return xp.ascontiguousarray(win).reshape(N, C * math.prod(K), math.prod(Osp))

    def backward(ctx, g):
        return Col2Im.apply(g, K=ctx.K, geom=ctx.geom, S=ctx.S, Osp=ctx.Osp)


class Col2Im(Op):
    """(N, C * prod(K), L) -> (N, C, *S): ``F.fold``, overlapping blocks summed (one slice-add per offset)."""
    save_inputs = ()
    op_name = "col2im"

    def forward(ctx, c, K, geom, S, Osp):
        ctx.K, ctx.geom = K, geom
        N = c.shape[0]
        P = math.prod(K)
        C = c.shape[1] // P
        xp = array_module(c)
        cg = xp.ascontiguousarray(c.reshape((N, C, P) + tuple(Osp)).transpose((2, 1, 0) + tuple(
            range(3, 3 + len(K)))))
        return _col2im(cg, S, K, geom, Osp, N)

    def backward(ctx, g):
        return Im2Col.apply(g, K=ctx.K, geom=ctx.geom)


def _fold_args(kernel_size, dilation, padding, stride, op):
    K = _ntuple(kernel_size, 2, "kernel_size", op)
    dil = _ntuple(dilation, 2, "dilation", op)
    pad = _ntuple(padding, 2, "padding", op)
    st = _ntuple(stride, 2, "stride", op)
    if any(k <= 0 for k in K):
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: {K[0]} "
                           f"kernel_width: {K[1]}")
    if any(s <= 0 for s in st):
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: {st[0]} "
                           f"stride_width: {st[1]}")
    if any(d <= 0 for d in dil):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: {dil[0]} "
                           f"dilation_width: {dil[1]}")
    if any(p < 0 for p in pad):
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {pad[0]} pad_width: {pad[1]}")
    return K, (st, pad, pad, dil, 1)


@functional("unfold")
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding local blocks: (N, C, H, W) -> (N, C * kh * kw, L) (im2col; PyTorch's ``F.unfold``)."""
    _check_tensor(input, "unfold", "input", 1)
    n = input._data.ndim
    if n < 3:   # PyTorch trips over the spatial dims it indexes first
        m = max(n, 1)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-m}, {m - 1}], but got {n})")
    if n > 4:
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(input._data.shape)}")
    K, geom = _fold_args(kernel_size, dilation, padding, stride, "unfold")
    x = input if n == 4 else input.reshape((1,) + input._data.shape)
    if x._data.shape[1] == 0 and x._data.shape[0] != 0 or any(s == 0 for s in x._data.shape[2:]):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(input._data.shape)}")
    Osp = _out_size(x._data.shape[2:], K, geom)
    if any(o < 1 for o in Osp):
        raise RuntimeError(f"Given input with spatial size ({_sizes(x._data.shape[2:])}), kernel_size={K}, "
                           f"dilation={geom[3]}, padding={geom[1]}, calculated shape of the array of sliding "
                           f"blocks as ({_sizes(Osp)}), but its components must be at least one.")
    y = Im2Col.apply(x, K=K, geom=geom)
    return y if n == 4 else y.reshape(y._data.shape[1:])


@functional("fold")
def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combine sliding local blocks into a tensor, summing overlaps: (N, C * kh * kw, L) -> (N, C, H, W)
    (col2im; PyTorch's ``F.fold``)."""
    _check_tensor(input, "fold", "input", 1)
    n = input._data.ndim
    if n not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported "
                                  f"(got {n}D)")
    S = _ntuple(output_size, 2, "output_size", "fold")
    K, geom = _fold_args(kernel_size, dilation, padding, stride, "fold")
    c = input if n == 3 else input.reshape((1,) + input._data.shape)
    P = K[0] * K[1]
    if c._data.shape[1] % P:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={c._data.shape[1]} and kernel_size={K}")
    Osp = _out_size(S, K, geom)
    if any(o < 1 for o in Osp):
        raise RuntimeError(f"Given output_size={S}, kernel_size={K}, dilation={geom[3]}, padding={geom[1]}, "
                           f"stride={geom[0]}, calculated shape of the array of sliding blocks as "
                           f"({_sizes(Osp)}), but its components must be at least one.")
    if c._data.shape[2] != Osp[0] * Osp[1]:
        raise RuntimeError(f"Given output_size={S}, kernel_size={K}, dilation={geom[3]}, padding={geom[1]}, "
                           f"stride={geom[0]}, expected size of input's dimension 2 to match the calculated number "
                           f"of sliding blocks {Osp[0]} * {Osp[1]} = {Osp[0] * Osp[1]}, but got "
                           f"input.size(2)={c._data.shape[2]}.")
    y = Col2Im.apply(c, K=K, geom=geom, S=S, Osp=Osp)
    return y if n == 3 else y.reshape(y._data.shape[1:])
