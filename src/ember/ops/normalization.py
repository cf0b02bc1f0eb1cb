"""Layers with weights and normalisation (``ember.nn.functional``): linear, bilinear, batch_norm, layer_norm,
group_norm, instance_norm, local_response_norm, normalize, cosine_similarity, pairwise_distance, embedding,
embedding_bag, one_hot.

* ``linear`` is one op: forward ``x @ W^T + b`` on the arrays (leading dims flattened into one GEMM), backward
  ``g @ W``, ``g^T @ x`` and ``sum(g)`` through the small ``MatMul2D`` op, so double backward works.
* The normalisations share ``Standardize`` (``(x - mean) / sqrt(var + eps)`` over some axes), with the fused
  backward ``rstd * (g - mean(g) - xhat * mean(g * xhat))`` written with ember ops; the affine part is an
  ordinary ``* weight + bias``. Running statistics are updated in place with the unbiased variance, like PyTorch.
* The two hot ones are single nodes: ``layer_norm`` (``NativeLayerNorm``) and training-mode ``batch_norm``
  (``NativeBatchNorm``) run forward and the ordinary backward in NumPy with BLAS row sums and two temporaries;
  under ``create_graph`` their backward is the same formula written with ember ops (``_composed_norm_backward``).
"""
import math

import numpy as np

from .._tensor import Tensor
from .. import _config
from ..autograd.function import Op
from ..backend import array_module
from ._util import export, functional, check_tensor, wrap_dim, broadcast_shape
from .elementwise import where, clamp, rsqrt, sign, pow as _pow, abs as _abs, sum_to, _cast
from .._dtype import result_type, get_default_dtype
from .activation import _sum_keep_np, _BLAS_FLOATS

_grad_enabled = _config.grad_enabled


def _tname(x):
    from .activation import _tname as t
    return t(x)


# ============================================================================================ linear / bilinear
class MatMul2D(Op):
    """``a @ b`` for ``a`` of shape (..., k) and a 2-D ``b`` (k, n): the GEMM behind linear's backward."""
    save_inputs = (0, 1)

    def forward(ctx, a, b):
        if a.ndim > 2:
            return (a.reshape(-1, a.shape[-1]) @ b).reshape(a.shape[:-1] + (b.shape[1],))
        return a @ b

    def backward(ctx, g):
        a, b = ctx.inputs
        ga = gb = None
        if ctx.edges[0] is not None:
            ga = MatMul2D.apply(g, b.T)
        if ctx.edges[1] is not None:
            k, n = b._data.shape
            a2 = a.reshape(-1, k) if a._data.ndim != 2 else a
            g2 = g.reshape(-1, n) if g._data.ndim != 2 else g
            gb = MatMul2D.apply(a2.T, g2)
        return ga, gb


class Linear(Op):
    """``x @ W^T (+ b)`` for ``x`` (..., in), ``W`` (out, in), ``b`` (out,)."""
    save_inputs = (0, 1)

    def forward(ctx, x, w, *b):
        if x.ndim > 2:
            y = (x.reshape(-1, x.shape[-1]) @ w.T).reshape(x.shape[:-1] + (w.shape[0],))
        else:
            y = x @ w.T
        if b:
            y += b[0]
        return y

    def backward(ctx, g):
        x, w = ctx.inputs[0], ctx.inputs[1]
        e = ctx.edges
        gx = gw = gb = None
        if e[0] is not None:
            gx = MatMul2D.apply(g, w)
        if e[1] is not None:
            n, k = w._data.shape
            g2 = g.reshape(-1, n) if g._data.ndim != 2 else g
            x2 = x.reshape(-1, k) if x._data.ndim != 2 else x
            gw = MatMul2D.apply(g2.T, x2)
        if len(e) == 3 and e[2] is not None:
            bshape = ctx.inputs[2]._data.shape
            if not _grad_enabled[0] and len(bshape) == 1 and g._data.ndim >= 1 and g._data.shape[-1] == bshape[0]:
                # the column sums of g as one GEMV (NumPy's reduction over the rows is several times slower)
                gb = Tensor._make(_col_sum(g._data.reshape(-1, bshape[0])))
            else:
                gb = sum_to(g, bshape)
        return (gx, gw, gb) if len(e) == 3 else (gx, gw)


@export("linear", method=False)
@functional("linear")
def linear(input, weight, bias=None):
    check_tensor(input, "linear")
    check_tensor(weight, "linear", "weight")
    x, w = input, weight
    if x._data.dtype != w._data.dtype or (bias is not None and bias._data.dtype != x._data.dtype):
        names = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {names.get(x._data.dtype, x.dtype)} "
                           f"and {names.get(w._data.dtype, w.dtype)}")
    if w._data.ndim == 1:   # y = x @ w
        y = linear(input, weight.reshape(1, -1)).reshape(x._data.shape[:-1])
        return y if bias is None else y + bias
    if w._data.ndim != 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {w._data.ndim}D")
    if x._data.ndim == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are 0D and 2D")
    k = x._data.shape[-1]
    if k != w._data.shape[1]:
        if x._data.ndim == 1:
            raise RuntimeError(f"size mismatch, got input ({k}), mat ({w._data.shape[0]}x{w._data.shape[1]}), "
                               f"vec ({k})")
        rows = x._data.size // k if k else math.prod(x._data.shape[:-1])
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and "
                           f"{w._data.shape[1]}x{w._data.shape[0]})")
    if bias is None:
        return Linear.apply(x, w)
    out_shape = x._data.shape[:-1] + (w._data.shape[0],)
    if broadcast_shape(out_shape, bias._data.shape) != out_shape:
        raise RuntimeError(f"The size of tensor a ({out_shape[-1] if out_shape else 1}) must match the size of "
                           f"tensor b ({bias._data.shape[-1]}) at non-singleton dimension "
                           f"{len(out_shape) - 1}")
    return Linear.apply(x, w, bias)


@export("bilinear", method=False)
@functional("bilinear")
def bilinear(input1, input2, weight, bias=None):
    """``y_k = x1^T W_k x2 + b_k`` for ``W`` of shape (out, in1, in2)."""
    for t, n in ((input1, "input1"), (input2, "input2"), (weight, "weight")):
        check_tensor(t, "bilinear", n)
    if weight._data.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional, but got {weight._data.ndim}D")
    o, i, j = weight._data.shape
    if input1._data.shape[-1:] != (i,):
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1._data.shape[-1]} "
                           f"but expected {i}")
    if input2._data.shape[-1:] != (j,):
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2._data.shape[-1]} "
                           f"but expected {j}")
    if input1._data.shape[:-1] != input2._data.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} and "
                           f"{list(input2.shape[:-1])}")
    w2 = weight.permute(1, 0, 2).reshape(i, o * j)
    t = MatMul2D.apply(input1, w2).reshape(input1._data.shape[:-1] + (o, j))
    y = (t * input2.reshape(input2._data.shape[:-1] + (1, j))).sum(-1)
    if bias is not None:
        y = y + bias
    return y


# ============================================================================================ standardisation
def _moments(x, axes):
    mu = x.mean(axis=axes, keepdims=True)
    xc = x - mu
    var = np.mean(xc * xc, axis=axes, keepdims=True) if type(x) is np.ndarray else (xc * xc).mean(axis=axes,
                                                                                                   keepdims=True)
    return mu, var, xc


class Standardize(Op):
    """``(x - mean) / sqrt(var + eps)`` over ``axes`` (biased variance); ``stats`` may be precomputed moments."""
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x, axes, eps, stats=None):
        if stats is None:
            mu, var, xc = _moments(x, axes)
        else:
            mu, var = stats
            xc = x - mu
        rstd = 1.0 / np.sqrt(var + eps)
        ctx.axes, ctx.eps, ctx.rstd = axes, eps, rstd.astype(x.dtype, copy=False)
        xc *= ctx.rstd
        return xc.astype(x.dtype, copy=False)

    def backward(ctx, g):
        x, = ctx.inputs
        axes = ctx.axes
        xhat = ctx.output()
        if _grad_enabled[0]:       # create_graph: rstd as a function of x, so double backward sees it
            xc = x - x.mean(axes, keepdim=True)
            rstd = rsqrt((xc * xc).mean(axes, keepdim=True) + ctx.eps)
        else:
            rstd = Tensor._make(ctx.rstd)
        gm = g.mean(axes, keepdim=True)
        gxm = (g * xhat).mean(axes, keepdim=True)
        return (g - gm - xhat * gxm) * rstd


class Affine(Op):
    """``x * w + b`` with ``w``/``b`` (either may be absent) reshaped to ``shape`` to broadcast along a dim."""
    save_inputs = None

    def forward(ctx, x, *wb, shape, has_w):
        ctx.shape, ctx.has_w = shape, has_w
        y = x
        i = 0
        if has_w:
            y = x * (wb[0].reshape(shape) if shape is not None else wb[0])
            i = 1
        if len(wb) > i:
            b = wb[i].reshape(shape) if shape is not None else wb[i]
            y = y + b if y is x else y.__iadd__(b)
        return y if y is not x else x.copy()

    def backward(ctx, g):
        x = ctx.inputs[0]
        e = ctx.edges
        out = [None] * len(e)
        i = 1
        if ctx.has_w:
            w = ctx.inputs[1]
            wb = w.reshape(ctx.shape) if ctx.shape is not None else w
            if e[0] is not None:
                out[0] = g * wb
            if e[1] is not None:
                out[1] = sum_to(g * x, wb._data.shape).reshape(w._data.shape)
            i = 2
        elif e[0] is not None:
            out[0] = g
        if len(e) > i and e[i] is not None:
            b = ctx.inputs[i]
            gb = sum_to(g, b.reshape(ctx.shape)._data.shape if ctx.shape is not None else b._data.shape)
            gb = gb.reshape(b._data.shape)
            if _grad_enabled[0] and x._requires_grad:   # formally a function of the input, as in PyTorch
                from .activation import ScaleBy
                gb = ScaleBy.apply(gb, x, factor=np.ones((), dtype=gb._data.dtype))
            out[i] = gb
        return tuple(out)


def _col_sum(a2):
    """Column sums of a 2-D array: ``ones @ a2`` (one BLAS GEMV) for contiguous float32/float64 NumPy arrays."""
    if type(a2) is np.ndarray and a2.dtype in _BLAS_FLOATS and a2.flags.c_contiguous and a2.size:
        return np.ones(a2.shape[0], a2.dtype) @ a2
    return a2.sum(axis=0)


def _row_mean(a2):
    """Means of the rows of a 2-D array, kept as a column (half precision through NumPy's float32 mean)."""
    if a2.dtype in _BLAS_FLOATS:
        return _sum_keep_np(a2, 1) / a2.shape[1]
    return a2.mean(axis=1, keepdims=True)


class NativeLayerNorm(Op):
    """``layer_norm`` over the trailing ``n`` elements with optional ``weight``/``bias`` (flattened to (n,)) as one
    node: forward and the ordinary backward in NumPy on (rows, n) views with two temporaries each (fresh large
    arrays cost page faults, so the passes reuse buffers); under ``create_graph`` the backward is written with
    ember ops so that it is differentiable again."""
    save_inputs = None

    def forward(ctx, x, *wb, n, naxes, eps, has_w, has_b):
        ctx.has_w, ctx.has_b, ctx.eps, ctx.n, ctx.naxes = has_w, has_b, eps, n, naxes
        x2 = x.reshape(-1, n)
        mu = _row_mean(x2)
        xhat = x2 - mu
        y = xhat * xhat
        var = _row_mean(y)
        rstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
        xhat *= rstd
        ctx.xhat, ctx.rstd = xhat, rstd
        if has_w:
            np.multiply(xhat, wb[0].reshape(n), out=y)
        else:
            y[...] = xhat
        if has_b:
            y += wb[-1].reshape(n)
        return y.reshape(x.shape)

    def backward(ctx, g):
        x = ctx.inputs[0]
        e = ctx.edges
        has_w, has_b, n = ctx.has_w, ctx.has_b, ctx.n
        if _grad_enabled[0]:
            return _composed_norm_backward(ctx, g, tuple(range(x._data.ndim - ctx.naxes, x._data.ndim)))
        w_arr = ctx.inputs[1]._data.reshape(n) if has_w else None
        xhat, rstd = ctx.xhat, ctx.rstd
        g2 = g._data.reshape(-1, n)
        out = [None] * len(e)
        tmp = None
        if has_w and e[1] is not None:
            tmp = g2 * xhat
            out[1] = Tensor._make(_col_sum(tmp).reshape(ctx.inputs[1]._data.shape))
        if has_b and e[-1] is not None:
            out[-1] = Tensor._make(_col_sum(g2).reshape(ctx.inputs[-1]._data.shape))
        if e[0] is not None:
            # rstd * (gh - mean(gh) - xhat * mean(gh * xhat)) with gh = g * w
            gh = g2 * w_arr if has_w else g2.copy()
            if tmp is None:
                tmp = np.empty_like(gh)
            np.multiply(gh, xhat, out=tmp)
            m2 = _row_mean(tmp)
            m1 = _row_mean(gh)
            np.multiply(xhat, m2, out=tmp)
            gh -= tmp
            gh -= m1
            gh *= rstd
            out[0] = Tensor._make(gh.reshape(x._data.shape))
        return tuple(out)


def _composed_norm_backward(ctx, g, axes, pshape=None):
    """The backward of NativeLayerNorm / NativeBatchNorm with ember ops (create_graph): every quantity a function of
    the inputs, so it is differentiable again. ``pshape`` broadcasts weight/bias against the input."""
    x = ctx.inputs[0]
    e = ctx.edges
    xc = x - x.mean(axes, keepdim=True)
    rstd = rsqrt((xc * xc).mean(axes, keepdim=True) + ctx.eps)
    xhat = xc * rstd
    out = [None] * len(e)
    w = ctx.inputs[1] if ctx.has_w else None
    wb = w.reshape(pshape) if w is not None and pshape is not None else w
    if ctx.has_w and e[1] is not None:
        out[1] = sum_to(g * xhat, wb._data.shape).reshape(w._data.shape)
    if ctx.has_b and e[-1] is not None:
        b = ctx.inputs[-1]
        gb = sum_to(g, b.reshape(pshape)._data.shape if pshape is not None else b._data.shape)
        gb = gb.reshape(b._data.shape)
        if x._requires_grad:   # formally a function of the input, as in PyTorch
            from .activation import ScaleBy
            gb = ScaleBy.apply(gb, x, factor=np.ones((), dtype=gb._data.dtype))
        out[-1] = gb
    if e[0] is not None:
        gh = g * wb if ctx.has_w else g
        out[0] = (gh - gh.mean(axes, keepdim=True) - xhat * (gh * xhat).mean(axes, keepdim=True)) * rstd
    return tuple(out)


def _bn_moments(x):
    """Batch statistics of a C-contiguous float32/float64 NumPy (N, C, *S) array over (N, *S), with BLAS row sums:
    mean (C,), biased variance (C,) and ``x - mean`` (a new array, reused by the caller as its output buffer)."""
    N, C = x.shape[:2]
    m = x.size // C
    x3 = x.reshape(N, C, -1)
    mu = _sum_keep_np(x3, 2).reshape(N, C).sum(axis=0) / m
    xc = x3 - mu[:, None]
    sq = xc * xc
    var = _sum_keep_np(sq, 2).reshape(N, C).sum(axis=0) / m
    return mu, var, xc, sq


class NativeBatchNorm(Op):
    """Training-mode ``batch_norm`` (batch statistics) with optional weight/bias as one node on (N, C, L) views:
    NumPy forward and ordinary backward with BLAS sums over L; the composed backward under ``create_graph``.
    ``xc``/``buf`` are the caller's ``x - mean`` and a scratch array of x's shape (both consumed)."""
    save_inputs = None

    def forward(ctx, x, *wb, var, xc, buf, eps, has_w, has_b):
        ctx.has_w, ctx.has_b, ctx.eps = has_w, has_b, eps
        C = x.shape[1]
        rstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
        xc *= rstd[:, None]
        ctx.xhat, ctx.rstd = xc, rstd
        if has_w:
            np.multiply(xc, wb[0].reshape(C, 1), out=buf)
        else:
            buf[...] = xc
        if has_b:
            buf += wb[-1].reshape(C, 1)
        return buf.reshape(x.shape)

    def backward(ctx, g):
        x = ctx.inputs[0]
        e = ctx.edges
        shape = x._data.shape
        N, C = shape[:2]
        if _grad_enabled[0]:
            return _composed_norm_backward(ctx, g, (0,) + tuple(range(2, len(shape))), (C,) + (1,) * (len(shape) - 2))
        xhat, rstd = ctx.xhat, ctx.rstd
        m = xhat.size // C
        g3 = np.ascontiguousarray(g._data).reshape(N, C, -1)
        gb = _sum_keep_np(g3, 2).reshape(N, C).sum(axis=0)
        t = g3 * xhat
        gw = _sum_keep_np(t, 2).reshape(N, C).sum(axis=0)
        out = [None] * len(e)
        if ctx.has_w and e[1] is not None:
            out[1] = Tensor._make(gw.reshape(ctx.inputs[1]._data.shape))
        if ctx.has_b and e[-1] is not None:
            out[-1] = Tensor._make(gb.copy().reshape(ctx.inputs[-1]._data.shape))
        if e[0] is not None:
            # w * rstd * (g - mean(g) - xhat * mean(g * xhat)), per channel c
            scale = rstd * ctx.inputs[1]._data.reshape(C) if ctx.has_w else rstd
            np.multiply(xhat, (gw / m)[:, None], out=t)
            np.subtract(g3, t, out=t)
            t -= (gb / m)[:, None]
            t *= scale[:, None]
            out[0] = Tensor._make(t.reshape(shape))
        return tuple(out)


def _empty_passthrough(x):
    """An empty input's (empty) normalised output, still formally a function of ``x`` like PyTorch's."""
    from .activation import ScaleBy
    return ScaleBy.apply(x, x, factor=np.ones((), dtype=x._data.dtype))


def _affine(y, weight, bias, shape):
    if weight is None and bias is None:
        return y
    args = [t for t in (weight, bias) if t is not None]
    return Affine.apply(y, *args, shape=shape, has_w=weight is not None)


def _check_param(t, name, C, op):
    if t is not None:
        check_tensor(t, op, name)
        if t._data.size != C:
            raise RuntimeError(f"{name} should contain {C} elements not {t._data.size}")


def _update_running(running, new, momentum):
    if running is None:
        return
    r = running._data
    xp = array_module(r)
    xp.copyto(r, (1 - momentum) * r + momentum * new.reshape(r.shape), casting="unsafe")
    running._version[0] += 1


@export("batch_norm", method=False)
def _torch_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled=True):
    return batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


@functional("batch_norm")
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-05):
    check_tensor(input, "batch_norm")
    nd = input._data.ndim
    if nd < 2:
        raise ValueError(f"Expected 2D or higher input (got {nd}D input)") if nd < 1 else \
            RuntimeError(f"running_mean should contain {input._data.shape[0]} elements not "
                         f"{running_mean._data.size if running_mean is not None else 0}")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"\"batch_norm\" not implemented for '{_tname(input)}'")
    shape = input._data.shape
    C = shape[1]
    for t, n in ((running_mean, "running_mean"), (running_var, "running_var"), (weight, "weight"),
                 (bias, "bias")):
        _check_param(t, n, C, "batch_norm")
    if training:
        size = shape[0] * math.prod(shape[2:])
        if size == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{_torch_size(shape)}")
    bshape = (C,) + (1,) * (nd - 2)
    axes = (0,) + tuple(range(2, nd))
    if input._data.size == 0:
        return _affine(_empty_passthrough(input), weight, bias, bshape)
    if training or running_mean is None or running_var is None:
        if not training and (running_mean is None) != (running_var is None):
            raise RuntimeError("running_mean and running_var must either both be None or neither be None")
        x = input._data
        wb = [t for t in (weight, bias) if t is not None]
        fast = (type(x) is np.ndarray and x.dtype in _BLAS_FLOATS and x.flags.c_contiguous
                and all(t._data.dtype == x.dtype for t in wb))
        if fast:
            mu, var, xc, sq = _bn_moments(x)
        else:
            mu, var, _ = _moments(x, axes)
        if training:
            n = x.size // C
            _update_running(running_mean, mu, momentum)
            _update_running(running_var, var * (n / max(n - 1, 1)), momentum)
        if fast:
            return NativeBatchNorm.apply(input, *wb, var=var, xc=xc, buf=sq, eps=eps, has_w=weight is not None,
                                         has_b=bias is not None)
        y = Standardize.apply(input, axes=axes, eps=eps, stats=(mu, var))
        return _affine(y, weight, bias, bshape)
    # evaluation with running statistics: y = x * scale + shift (constants folded per channel)
    rm = running_mean._data.astype(input._data.dtype, copy=False)
    rstd = (1.0 / np.sqrt(running_var._data.astype(np.float64) + eps)).astype(input._data.dtype)
    scale = Tensor._make(rstd)
    if weight is not None:
        scale = weight * scale
    shift = Tensor._make(-rm) * scale
    if bias is not None:
        shift = shift + bias
    return Affine.apply(input, scale, shift, shape=bshape, has_w=True)


def _torch_size(shape):
    return f"torch.Size({list(shape)})"


@export("layer_norm", method=False)
@functional("layer_norm")
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    check_tensor(input, "layer_norm")
    ns = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    k = len(ns)
    shape = input._data.shape
    if k == 0:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    if shape[len(shape) - k:] != ns or len(shape) < k:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*, "
                           f"{', '.join(str(s) for s in ns)}], but got input of size{list(shape)}")
    for t, n in ((weight, "weight"), (bias, "bias")):
        if t is not None and t._data.shape != ns:
            raise RuntimeError(f"Expected {n} to be of same shape as normalized_shape, but got {n} of shape "
                               f"{list(t._data.shape)} and normalized_shape = {list(ns)}")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"\"LayerNormKernelImpl\" not implemented for '{_tname(input)}'")
    if input._data.size == 0:
        return _affine(_empty_passthrough(input), weight, bias, None)
    wb = [t for t in (weight, bias) if t is not None]
    if any(t._data.dtype != input._data.dtype for t in wb):     # mixed dtypes promote like the composed ops
        axes = tuple(range(len(shape) - k, len(shape)))
        return _affine(Standardize.apply(input, axes=axes, eps=eps), weight, bias, None)
    return NativeLayerNorm.apply(input, *wb, n=math.prod(ns), naxes=k, eps=eps, has_w=weight is not None,
                                 has_b=bias is not None)


@export("rms_norm", method=False)
@functional("rms_norm")
def rms_norm(input, normalized_shape, weight=None, eps=None):
    ns = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    axes = tuple(range(input._data.ndim - len(ns), input._data.ndim))
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    y = input * rsqrt((input * input).mean(axes, keepdim=True) + eps)
    return y * weight if weight is not None else y


@export("group_norm", method=False)
@functional("group_norm")
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    check_tensor(input, "group_norm")
    shape = input._data.shape
    if input._data.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input._data.ndim}")
    N, C = shape[:2]
    if num_groups <= 0 or C % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(shape)} and num_groups={num_groups}")
    for t, n in ((weight, "weight"), (bias, "bias")):
        if t is not None and (t._data.ndim != 1 or t._data.size != C):
            raise RuntimeError(f"Expected {n} to be a vector of size equal to the number of channels in input, but "
                               f"got {n} of shape {list(t._data.shape)} and input of shape {list(shape)}")
    bshape = (C,) + (1,) * (len(shape) - 2)
    if input._data.size == 0:
        return _affine(_empty_passthrough(input), weight, bias, bshape)
    y = Standardize.apply(input.reshape(N, num_groups, -1), axes=(2,), eps=eps).reshape(shape)
    return _affine(y, weight, bias, bshape)


@export("instance_norm", method=False)
@functional("instance_norm")
def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-05, cudnn_enabled=None):
    check_tensor(input, "instance_norm")
    shape = input._data.shape
    nd = len(shape)
    if use_input_stats and math.prod(shape[2:]) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {_torch_size(shape)}")
    C = shape[1]
    bshape = (C,) + (1,) * (nd - 2)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    axes = tuple(range(2, nd))
    x = input._data
    mu, var, _ = _moments(x, axes)
    if running_mean is not None:
        n = math.prod(shape[2:])
        _update_running(running_mean, mu.mean(axis=0), momentum)
    if running_var is not None:
        n = math.prod(shape[2:])
        _update_running(running_var, (var * (n / max(n - 1, 1))).mean(axis=0), momentum)
    y = Standardize.apply(input, axes=axes, eps=eps, stats=(mu, var))
    return _affine(y, weight, bias, bshape)


class ChannelWindowSum(Op):
    """``out[:, c] = sum(x[:, c - lo : c + hi + 1])`` along dim 1 (zero padded): the window of LRN."""
    save_inputs = ()

    def forward(ctx, x, lo, hi):
        ctx.lo, ctx.hi = lo, hi
        xp = array_module(x)
        C = x.shape[1]
        pad = [(0, 0)] * x.ndim
        pad[1] = (lo + 1, hi)
        cs = xp.cumsum(xp.pad(x, pad), axis=1)
        return (cs[:, lo + hi + 1:] - cs[:, :C]).astype(x.dtype, copy=False)

    def backward(ctx, g):
        return ChannelWindowSum.apply(g, lo=ctx.hi, hi=ctx.lo)


@functional("local_response_norm")
def local_response_norm(input, size, alpha=0.0001, beta=0.75, k=1.0):
    check_tensor(input, "local_response_norm")
    nd = input._data.ndim
    if nd < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {nd} dimensions)")
    if input._data.size == 0:
        return input
    div = ChannelWindowSum.apply(input * input, lo=size // 2, hi=(size - 1) // 2)
    div = _pow(div * (alpha / size) + k, beta)
    return input / div


# ============================================================================================ norms and distances
class VectorNorm(Op):
    """The p-norm over ``dim`` (keepdim); zero vectors get a zero (sub)gradient, as in PyTorch."""
    save_inputs = (0,)
    save_output = True

    def forward(ctx, x, p, dim, keepdim):
        ctx.p, ctx.dim, ctx.keepdim = p, dim, keepdim
        a = np.abs(x)
        if p == 2:
            r = np.sqrt((x * x).sum(axis=dim, keepdims=keepdim))
        elif p == 1:
            r = a.sum(axis=dim, keepdims=keepdim)
        elif p == math.inf:
            r = a.max(axis=dim, keepdims=keepdim) if a.size else a.sum(axis=dim, keepdims=keepdim)
        elif p == -math.inf:
            r = a.min(axis=dim, keepdims=keepdim)
        elif p == 0:
            r = (x != 0).sum(axis=dim, keepdims=keepdim).astype(x.dtype)
        else:
            with np.errstate(divide="ignore"):
                r = (a ** p).sum(axis=dim, keepdims=keepdim) ** (1.0 / p)
        return np.asarray(r, dtype=x.dtype)

    def backward(ctx, g):
        x, = ctx.inputs
        n = ctx.output()
        p = ctx.p
        if not ctx.keepdim and ctx.dim is not None:
            n = n.reshape(_keep(x._data.shape, ctx.dim))
            g = g.reshape(_keep(x._data.shape, ctx.dim))
        if p == 0:
            return x * 0
        if p == 1:
            return g * sign(x)
        zero = n == 0
        safe = where(zero, n * 0 + 1, n)
        if p == 2:
            return g * x / safe
        if p in (math.inf, -math.inf):
            hit = (_abs(x) == n).to(x.dtype)
            cnt = hit.sum(ctx.dim, keepdim=True)
            return g * sign(x) * hit / cnt
        return where(zero, x * 0, g * sign(x) * _pow(_abs(x), p - 1) / _pow(safe, p - 1))


def _keep(shape, dim):
    dims = (dim,) if isinstance(dim, int) else dim
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def _vector_norm(x, p, dim, keepdim):
    if x._data.dtype.kind != "f":
        x = _cast(x, get_default_dtype())
    if x._data.ndim == 0:
        return _abs(x) if p != 0 else (x != 0).to(x.dtype)
    return VectorNorm.apply(x, p=float(p), dim=dim, keepdim=keepdim)


@functional("normalize")
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    check_tensor(input, "normalize")
    d = wrap_dim(dim, input._data.ndim)
    denom = clamp(_vector_norm(input, p, d, True), min=eps)
    r = input / denom
    if out is not None:
        out._write(r)
        return out
    return r


@export("pairwise_distance", method=False)
@functional("pairwise_distance")
def pairwise_distance(x1, x2, p=2.0, eps=1e-06, keepdim=False):
    check_tensor(x1, "pairwise_distance", "x1")
    check_tensor(x2, "pairwise_distance", "x2")
    nd = max(x1._data.ndim, x2._data.ndim)
    diff = x1 - x2 + eps
    if nd == 0:
        return _abs(diff)
    return _vector_norm(diff, p, nd - 1, keepdim)


@export("cosine_similarity", method=False)
@functional("cosine_similarity")
def cosine_similarity(x1, x2, dim=1, eps=1e-08):
    check_tensor(x1, "cosine_similarity", "x1")
    check_tensor(x2, "cosine_similarity", "x2")
    shape = broadcast_shape(x1._data.shape, x2._data.shape)
    if x1._data.dtype != x2._data.dtype:
        rt = result_type(x1, x2)
        x1, x2 = _cast(x1, rt), _cast(x2, rt)
    if x1._data.dtype.kind != "f":
        x1, x2 = _cast(x1, get_default_dtype()), _cast(x2, get_default_dtype())
    if x1._data.shape != shape:
        x1 = x1.expand(shape)
    if x2._data.shape != shape:
        x2 = x2.expand(shape)
    d = wrap_dim(dim, len(shape))
    if len(shape) == 0:
        n1, n2 = _abs(x1), _abs(x2)
    else:
        n1 = VectorNorm.apply(x1, p=2.0, dim=d, keepdim=True)
        n2 = VectorNorm.apply(x2, p=2.0, dim=d, keepdim=True)
    # clamp_min(eps) under no_grad, as PyTorch: the values are lifted, the gradient still flows as if unclamped
    n1 = n1 + Tensor._make(np.maximum(n1._data, eps) - n1._data)
    n2 = n2 + Tensor._make(np.maximum(n2._data, eps) - n2._data)
    prod = (x1 / n1) * (x2 / n2)
    return prod.sum(d) if len(shape) else prod


# ============================================================================================ embedding / one_hot
class Embedding(Op):
    """``weight[indices]`` (rows of a 2-D weight)."""
    save_inputs = ()

    def forward(ctx, w, idx, padding_idx, scale_by_freq):
        ctx.idx, ctx.padding_idx, ctx.scale_by_freq, ctx.num = idx, padding_idx, scale_by_freq, w.shape[0]
        return w[idx]

    def backward(ctx, g):
        return EmbeddingBackward.apply(g, idx=ctx.idx, num=ctx.num, padding_idx=ctx.padding_idx,
                                       scale_by_freq=ctx.scale_by_freq)


def _freq_scale(idx, num, dtype):
    counts = np.bincount(idx.reshape(-1), minlength=num)
    return (1.0 / np.maximum(counts[idx], 1)).astype(dtype)


class EmbeddingBackward(Op):
    """Scatter-add the rows of ``g`` into a (num, D) zero matrix at ``idx`` (duplicates summed; no gradient to
    ``padding_idx``)."""
    save_inputs = ()

    def forward(ctx, g, idx, num, padding_idx, scale_by_freq):
        ctx.idx, ctx.padding_idx, ctx.scale_by_freq = idx, padding_idx, scale_by_freq
        xp = array_module(g)
        D = g.shape[-1]
        flat = idx.reshape(-1)
        g2 = g.reshape(-1, D)
        if scale_by_freq:
            g2 = g2 * _freq_scale(flat, num, g.dtype)[:, None]
        if padding_idx is not None:
            keep = flat != padding_idx
            flat, g2 = flat[keep], g2[keep]
        out = xp.zeros((num, D), dtype=g.dtype)
        if xp is np:
            if flat.size:
                # rows grouped by index (stable sort) and summed with one reduceat: 2-5x faster than np.add.at
                order = np.argsort(flat, kind="stable")
                s = flat[order]
                starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
                out[s[starts]] = np.add.reduceat(g2[order], starts, axis=0)
        else:
            xp.add.at(out, flat, g2)
        return out

    def backward(ctx, gg):
        return EmbeddingGather.apply(gg, idx=ctx.idx, padding_idx=ctx.padding_idx, scale_by_freq=ctx.scale_by_freq)


class EmbeddingGather(Op):
    """The adjoint of ``EmbeddingBackward``: ``gg[idx]`` with padding positions zeroed."""
    save_inputs = ()

    def forward(ctx, gg, idx, padding_idx, scale_by_freq):
        ctx.idx, ctx.padding_idx, ctx.scale_by_freq, ctx.num = idx, padding_idx, scale_by_freq, gg.shape[0]
        out = gg[idx]
        if scale_by_freq:
            out = out * _freq_scale(idx, gg.shape[0], gg.dtype)[..., None]
        if padding_idx is not None:
            out[idx == padding_idx] = 0
        return out

    def backward(ctx, g):
        return EmbeddingBackward.apply(g, idx=ctx.idx, num=ctx.num, padding_idx=ctx.padding_idx,
                                       scale_by_freq=ctx.scale_by_freq)


def _check_indices(input, op):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'indices' (position 2) must be Tensor, not {type(input).__name__}")
    if input._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{_tname(input)}Tensor instead (while checking arguments for "
                           f"{op})")


def _embedding_renorm(weight, idx, max_norm, norm_type):
    w = weight._data
    rows = np.unique(idx.reshape(-1))
    sub = w[rows]
    if norm_type == 2:
        norms = np.sqrt((sub.astype(np.float64) ** 2).sum(-1))
    else:
        norms = (np.abs(sub.astype(np.float64)) ** norm_type).sum(-1) ** (1.0 / norm_type)
    big = norms > max_norm
    if big.any():
        scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
        w[rows[big]] = sub[big] * scale[:, None]
        weight._version[0] += 1


@export("embedding", method=False)
def _torch_embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    return embedding(indices, weight, None if padding_idx == -1 else padding_idx, None, 2.0, scale_grad_by_freq,
                     sparse)


@functional("embedding")
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    _check_indices(input, "embedding")
    check_tensor(weight, "embedding", "weight")
    if weight._data.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    num = weight._data.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= num:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -num:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = num + padding_idx
    idx = input._data.astype(np.int64, copy=False)
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _embedding_renorm(weight, idx, max_norm, norm_type)
    return Embedding.apply(weight, idx=idx, padding_idx=padding_idx, scale_by_freq=bool(scale_grad_by_freq))


@functional("embedding_bag")
def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    _check_indices(input, "embedding_bag")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    if input._data.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             "fixed length sequences. However, found offsets of type Tensor")
        B, L = input._data.shape
        off = np.arange(0, B * L, L, dtype=np.int64)
        flat = input.reshape(-1)
        psw = per_sample_weights.reshape(-1) if per_sample_weights is not None else None
    elif input._data.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        off = offsets._data.astype(np.int64)
        flat = input
        psw = per_sample_weights
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input._data.ndim}")
    n = flat._data.size
    if include_last_offset:
        ends = off[1:]
        off = off[:-1]
    else:
        ends = np.concatenate([off[1:], [n]])
    rows = embedding(flat, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq)
    if psw is not None:
        rows = rows * psw.reshape(-1, 1)
    idx = flat._data
    bag = np.repeat(np.arange(len(off)), ends - off)
    keep = np.ones(n, dtype=bool) if padding_idx is None else idx != (padding_idx % weight._data.shape[0])
    D = weight._data.shape[1]
    if mode == "max":
        B = len(off)
        pick = np.zeros((B, D), dtype=np.int64)
        live = np.zeros((B, 1), dtype=weight._data.dtype)
        r = rows._data
        for b in range(B):
            sel = np.nonzero(keep & (bag == b))[0]
            if sel.size:
                pick[b] = sel[r[sel].argmax(0)] * D + np.arange(D)
                live[b] = 1
        out = Embedding.apply(rows.reshape(-1, 1), idx=pick, padding_idx=None, scale_by_freq=False)
        return out.reshape(B, D) * Tensor._make(live)
    M = np.zeros((len(off), n), dtype=weight._data.dtype)
    M[bag[keep], np.nonzero(keep)[0]] = 1
    if mode == "mean":
        cnt = M.sum(1, keepdims=True)
        M = M / np.maximum(cnt, 1)
    return MatMul2D.apply(Tensor._make(M), rows)


@functional("one_hot")
def one_hot(tensor, num_classes=-1):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"one_hot(): argument 'input' (position 1) must be Tensor, not {type(tensor).__name__}")
    if tensor._data.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    x = tensor._data
    xp = array_module(x)
    if num_classes == -1:
        if x.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(x.max()) + 1
    if x.size:
        if int(x.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if int(x.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = (x[..., None] == xp.arange(num_classes)).astype(np.int64)
    return Tensor._make(out)
