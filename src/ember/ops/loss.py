"""Losses (``ember.nn.functional``): regression losses, cross_entropy/nll_loss, binary cross entropy, kl_div and
the margin/embedding family, all with ``reduction`` ('mean' | 'sum' | 'none') and the legacy ``size_average`` /
``reduce`` arguments.

Cross entropy with class-index targets is one fused op (stable log-softmax and the pick of the target class in
one pass over the logits); its backward ``softmax - onehot`` (scaled) is one more op whose own backward is written
with ember ops, so double backward works. Everything else is composed from ops.
"""
import math
import warnings

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Op
from ..backend import array_module
from ._util import export, functional, check_tensor, broadcast_shape
from .elementwise import where, exp, log, clamp, xlogy, minimum, abs as _abs
from .activation import Softmax, LogSoftmax, Logsigmoid, _log_softmax, _tname

_REDUCTIONS = ("none", "mean", "sum")


# ============================================================================================ reduction helpers
def _legacy_reduction(size_average, reduce, emit_warning=True):
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        r = "mean"
    elif reduce:
        r = "sum"
    else:
        r = "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{r}' instead.",
                      UserWarning, stacklevel=3)
    return r


def _reduction(reduction, size_average=None, reduce=None):
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _apply_reduction(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _size_warning(input, target, stacklevel=3):
    if target._data.shape != input._data.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", UserWarning, stacklevel=stacklevel)


def _torch_size(shape):
    return f"torch.Size({list(shape)})"


def _weighted(loss, weight, reduction, input, mean_by_weight=True):
    if weight is None:
        return _apply_reduction(loss, reduction)
    if weight._data.shape != input._data.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / weight.sum() if mean_by_weight else loss.mean()


def _check_pair(input, target, op, warn=False):
    check_tensor(input, op)
    check_tensor(target, op, "target")
    if warn:
        _size_warning(input, target, 4)
    broadcast_shape(input._data.shape, target._data.shape)


# ============================================================================================ regression losses
@functional("mse_loss")
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _check_pair(input, target, "mse_loss", warn=True)
    reduction = _reduction(reduction, size_average, reduce)
    d = input - target
    return _weighted(d * d, weight, reduction, input)


@functional("l1_loss")
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _check_pair(input, target, "l1_loss", warn=True)
    reduction = _reduction(reduction, size_average, reduce)
    return _weighted(_abs(input - target), weight, reduction, input)


def _smooth(d, beta, scale):
    ad = _abs(d)
    if beta == 0:
        return ad * scale
    return where(ad < beta, d * d * (0.5 * scale / beta), (ad - 0.5 * beta) * scale)


@functional("smooth_l1_loss")
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    _check_pair(input, target, "smooth_l1_loss", warn=True)
    reduction = _reduction(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _apply_reduction(_smooth(input - target, beta, 1.0), reduction)


@functional("huber_loss")
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    _check_pair(input, target, "huber_loss", warn=True)
    reduction = _reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = input - target
    loss = _smooth(d, delta, delta)
    return _weighted(loss, weight, reduction, input, mean_by_weight=False)


# ============================================================================================ nll / cross entropy
def _check_target_dtype(target):
    if target._data.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_tname(target)}")


def _class_layout(input, target, weight, op):
    """Validate (input, target) of nll/cross_entropy: returns the (M, C) logits Tensor, the (M,) int64 targets
    array, the per-sample output shape, and C."""
    check_tensor(input, op)
    check_tensor(target, op, "target")
    nd = input._data.ndim
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    _check_target_dtype(target)
    ishape, tshape = input._data.shape, target._data.shape
    if nd == 1:
        if target._data.ndim != 0:
            if target._data.ndim == 1 and nd == 1 and tshape[0] != 1:
                raise ValueError(f"Expected input batch_size (1) to match target batch_size ({tshape[0]}).")
            if target._data.ndim > 1:
                raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        C = ishape[0]
        x2 = input.reshape(1, C)
        out_shape = tshape
    else:
        if tshape[:1] != ishape[:1] and target._data.ndim >= 1:
            raise ValueError(f"Expected input batch_size ({ishape[0]}) to match target batch_size ({tshape[0]}).")
        C = ishape[1]
        if nd == 2:
            if target._data.ndim != 1:
                raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
            x2 = input
        else:
            want = ishape[:1] + ishape[2:]
            if target._data.ndim != nd - 1:
                raise RuntimeError(f"Expected target size {list(want)}, got {list(tshape)}")
            if tshape != want:
                raise RuntimeError(f"size mismatch (got input: {list(ishape)} , target: {list(tshape)}")
            perm = (0,) + tuple(range(2, nd)) + (1,)
            x2 = input.permute(perm).reshape(-1, C)
        out_shape = tshape
    if weight is not None:
        check_tensor(weight, op, "weight")
        if weight._data.ndim != 1 or weight._data.size != C:
            raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no classes but got "
                               f"weight tensor of shape: {list(weight._data.shape)}")
        if weight._data.dtype != input._data.dtype:
            want = "Double" if weight._data.dtype == np.float64 else "Float"
            got = _tname(input)
            raise RuntimeError(f"expected scalar type {got} but found {want}")
    return x2, target._data.reshape(-1).astype(np.int64, copy=False), out_shape, C


def _target_weights(t, C, ignore_index, weight, dtype):
    """Per-sample class weights (0 for ignored samples) and the clipped target indices, with the bounds check."""
    valid = t != ignore_index
    if valid.size:
        tv = t[valid]
        if tv.size:
            bad = (tv < 0) | (tv >= C)
            if bad.any():
                raise IndexError(f"Target {int(tv[bad][0])} is out of bounds.")
    tc = np.where(valid, t, 0)
    if weight is None:
        wt = valid.astype(dtype)
    else:
        wt = weight._data[tc] * valid
        wt = wt.astype(dtype, copy=False)
    return tc, wt


class PickNLL(Op):
    """``-x[i, t_i] * w_i`` for (M, C) ``x``: the negative log-likelihood of each sample (M,)."""
    save_inputs = ()

    def forward(ctx, x, tc, wt):
        ctx.tc, ctx.wt, ctx.C = tc, wt, x.shape[1]
        xp = array_module(x)
        return -x[xp.arange(x.shape[0]), tc] * wt

    def backward(ctx, g):
        return ScatterNLL.apply(g, tc=ctx.tc, wt=ctx.wt, C=ctx.C)


class ScatterNLL(Op):
    save_inputs = ()

    def forward(ctx, g, tc, wt, C):
        ctx.tc, ctx.wt = tc, wt
        xp = array_module(g)
        out = xp.zeros((g.shape[0], C), dtype=g.dtype)
        out[xp.arange(g.shape[0]), tc] = -g * wt
        return out

    def backward(ctx, gg):
        return PickNLL.apply(gg, tc=ctx.tc, wt=ctx.wt)


def _nll_from_logp(logp2, t, out_shape, C, weight, ignore_index, reduction):
    tc, wt = _target_weights(t, C, ignore_index, weight, logp2._data.dtype)
    per = PickNLL.apply(logp2, tc=tc, wt=wt)
    if reduction == "none":
        return per.reshape(out_shape)
    if reduction == "sum":
        return per.sum()
    return per.sum() / Tensor._make(np.asarray(wt.sum(), dtype=wt.dtype))


@functional("nll_loss")
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    x2, t, out_shape, C = _class_layout(input, target, weight, "nll_loss")
    return _nll_from_logp(x2, t, out_shape, C, weight, ignore_index, reduction)


class CrossEntropy(Op):
    """Fused ``nll_loss(log_softmax(x, 1), t)`` for (M, C) logits and class-index targets."""
    save_inputs = (0,)

    def forward(ctx, x, tc, wt, reduction):
        xp = array_module(x)
        M, C = x.shape
        ctx.tc, ctx.wt, ctx.reduction = tc, wt, reduction
        if x.size == 0:
            ctx.e = ctx.s = None
            losses = xp.zeros((M,), dtype=x.dtype)
        else:
            m = x.max(axis=1, keepdims=True)
            lim = 80.0 if x.dtype == np.float32 else 700.0
            with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
                if C and bool((m.max() < lim) & (m.min() > -lim)):
                    # every row's max is in exp's safe range: exp(x) directly (saves the x - max pass)
                    e = xp.exp(x)
                    s = e @ xp.ones((C, 1), dtype=x.dtype)   # row sums as a GEMV (BLAS)
                    lse = xp.log(s)
                    picked = x[xp.arange(M), tc]
                else:
                    z = x - xp.where(xp.isfinite(m), m, 0)
                    e = xp.exp(z)
                    s = e.sum(axis=1, keepdims=True)
                    lse = xp.log(s)
                    picked = z[xp.arange(M), tc]
            ctx.e, ctx.s = e, s
            losses = (lse[:, 0] - picked) * wt
        if reduction == "none":
            ctx.denom = None
            return losses
        total = losses.sum(dtype=x.dtype)
        if reduction == "sum":
            ctx.denom = None
            return xp.asarray(total)
        denom = wt.sum(dtype=x.dtype)
        ctx.denom = denom
        with np.errstate(invalid="ignore", divide="ignore"):
            return xp.asarray(total / denom).astype(x.dtype)

    def backward(ctx, g):
        x, = ctx.inputs
        cw = ctx.wt if ctx.denom is None else ctx.wt / ctx.denom
        return CrossEntropyBackward.apply(g, x, e=ctx.e, s=ctx.s, tc=ctx.tc, cw=cw.astype(x._data.dtype, copy=False))


class CrossEntropyBackward(Op):
    """``dx = c_i (softmax(x)_i - onehot(t_i))`` with ``c_i = g_i * w_i / denom`` (``g`` per sample or 0-d)."""
    save_inputs = (0, 1)

    def forward(ctx, g, x, e, s, tc, cw):
        ctx.tc, ctx.cw = tc, cw
        xp = array_module(x)
        if x.size == 0:
            return xp.zeros_like(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            c = (g * cw).astype(x.dtype, copy=False)
            p = e * (c[:, None] / s)
            p[xp.arange(x.shape[0]), tc] -= c
        return p

    def backward(ctx, gg):
        g, x = ctx.inputs
        xp = array_module(x._data)
        M, C = x._data.shape
        onehot = xp.zeros((M, C), dtype=x._data.dtype)
        onehot[xp.arange(M), ctx.tc] = 1
        cw = Tensor._make(ctx.cw.reshape(M, 1))
        s = Softmax.apply(x, dim=1)
        ggw = gg * cw
        dg = dx = None
        if ctx.edges[0] is not None:
            dg = ((s - Tensor._make(onehot)) * ggw).sum(1)
            if g._data.ndim == 0:
                dg = dg.sum()
        if ctx.edges[1] is not None:
            u = ggw * (g.reshape(M, 1) if g._data.ndim else g)
            su = s * u
            dx = su - s * su.sum(1, keepdim=True)
        return dg, dx


def _class_dim_last(t, nd):
    """(N, C, d1, ...) -> (M, C) for probability targets."""
    if nd == 1:
        return t.reshape(1, -1)
    if nd == 2:
        return t
    C = t._data.shape[1]
    return t.permute((0,) + tuple(range(2, nd)) + (1,)).reshape(-1, C)


@functional("cross_entropy")
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    reduction = _reduction(reduction, size_average, reduce)
    check_tensor(input, "cross_entropy")
    check_tensor(target, "cross_entropy", "target")
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing:g}")
    if target._data.dtype.kind == "f" and target._data.shape == input._data.shape:
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"log_softmax_lastdim_kernel_impl\" not implemented for '{_tname(input)}'")
    x2, t, out_shape, C = _class_layout(input, target, weight, "cross_entropy")
    if label_smoothing == 0.0:
        tc, wt = _target_weights(t, C, ignore_index, weight, x2._data.dtype)
        out = CrossEntropy.apply(x2, tc=tc, wt=wt, reduction=reduction)
        return out.reshape(out_shape) if reduction == "none" else out
    # label smoothing: (1 - eps) * nll + eps / C * smooth, as PyTorch composes it
    logp = LogSoftmax.apply(x2, dim=1)
    nll = _nll_from_logp(logp, t, out_shape, C, weight, ignore_index, reduction)
    valid = t != ignore_index
    vmask = Tensor._make(valid.astype(x2._data.dtype))
    if weight is not None:
        smooth = -(logp * weight.reshape(1, C)).sum(1) * vmask
    else:
        smooth = -logp.sum(1) * vmask
    if reduction == "mean":
        if weight is not None:
            tc = np.where(valid, t, 0)
            den = weight._data[tc][valid].sum()
            ret = smooth.sum() / Tensor._make(np.asarray(den, dtype=x2._data.dtype))
        else:
            ret = smooth.sum() / Tensor._make(np.asarray(valid.sum(), dtype=x2._data.dtype))
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth.reshape(out_shape)
    return nll * (1 - label_smoothing) + ret * (label_smoothing / C)


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing):
    nd = input._data.ndim
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    C = input._data.shape[0 if nd == 1 else 1]
    if weight is not None and (weight._data.ndim != 1 or weight._data.size != C):
        raise RuntimeError(f"weight tensor should be defined either for all {C} classes or no classes but got "
                           f"weight tensor of shape: {list(weight._data.shape)}")
    logp = _log_softmax(input, 0 if nd == 1 else 1)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / C
    prod = logp * target
    if weight is not None:
        prod = prod * weight.reshape((C,) + (1,) * (nd - 2) if nd >= 2 else (C,))
    if reduction == "none":
        return -prod.sum(0 if nd == 1 else 1)
    if reduction == "sum":
        return -prod.sum()
    n = input._data.size // C if C else 0
    return -prod.sum() / n if n else -prod.sum() * float("nan")


# ============================================================================================ binary losses
@functional("binary_cross_entropy")
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    check_tensor(input, "binary_cross_entropy")
    check_tensor(target, "binary_cross_entropy", "target")
    reduction = _reduction(reduction, size_average, reduce)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Using a target size ({_torch_size(target.shape)}) that is different to the input size "
                         f"({_torch_size(input.shape)}) is deprecated. Please ensure they have the same size.")
    x = input._data
    if x.size and ((x < 0) | (x > 1)).any():
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = -(target * clamp(log(input), min=-100.0) + (1 - target) * clamp(log(1 - input), min=-100.0))
    if weight is not None:
        broadcast_shape(weight._data.shape, input._data.shape)
        loss = loss * weight
    return _apply_reduction(loss, reduction)


@functional("binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    check_tensor(input, "binary_cross_entropy_with_logits")
    check_tensor(target, "binary_cross_entropy_with_logits", "target")
    reduction = _reduction(reduction, size_average, reduce)
    if target._data.shape != input._data.shape:
        raise ValueError(f"Target size ({_torch_size(target.shape)}) must be the same as input size "
                         f"({_torch_size(input.shape)})")
    softplus_neg = -Logsigmoid.apply(input)          # log(1 + exp(-x)), stable
    if pos_weight is not None:
        lw = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + lw * softplus_neg
    else:
        loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _apply_reduction(loss, reduction)


export("binary_cross_entropy_with_logits", method=False)(binary_cross_entropy_with_logits)


@functional("soft_margin_loss")
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    _check_pair(input, target, "soft_margin_loss")
    reduction = _reduction(reduction, size_average, reduce)
    return _apply_reduction(-Logsigmoid.apply(input * target), reduction)


@functional("multilabel_soft_margin_loss")
def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    _check_pair(input, target, "multilabel_soft_margin_loss")
    reduction = _reduction(reduction, size_average, reduce)
    loss = -(target * Logsigmoid.apply(input) + (1 - target) * Logsigmoid.apply(-input))
    if weight is not None:
        loss = loss * weight
    cd = input._data.ndim - 1
    C = input._data.shape[cd] if input._data.ndim else 1
    loss = loss.sum(cd) / C
    return _apply_reduction(loss, reduction)


# ============================================================================================ distribution losses
@export("kl_div", method=False)
@functional("kl_div")
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    _check_pair(input, target, "kl_div")
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      UserWarning, stacklevel=2)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = exp(target) * (target - input)
    else:
        loss = xlogy(target, target) - target * input
    if reduction == "batchmean":
        if input._data.ndim == 0:
            return loss.sum()
        return loss.sum() / input._data.shape[0]
    return _apply_reduction(loss, reduction)


@export("poisson_nll_loss", method=False)
@functional("poisson_nll_loss")
def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-08, reduce=None,
                     reduction="mean"):
    _check_pair(input, target, "poisson_nll_loss")
    reduction = _reduction(reduction, size_average, reduce)
    if log_input:
        loss = exp(input) - target * input
    else:
        loss = input - target * log(input + eps)
    if full:
        safe = where(target > 1, target, target * 0 + 1)
        stirling = safe * log(safe) - safe + log(safe * (2 * math.pi)) * 0.5
        loss = loss + where(target > 1, stirling, stirling * 0)
    return _apply_reduction(loss, reduction)


@functional("gaussian_nll_loss")
def gaussian_nll_loss(input, target, var, full=False, eps=1e-06, reduction="mean"):
    _check_pair(input, target, "gaussian_nll_loss")
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = Tensor._make(np.full(input._data.shape, var, dtype=input._data.dtype))
    elif bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var._data.shape != input._data.shape:
        ishape, vshape = input._data.shape, var._data.shape
        if ishape[:-1] == vshape:
            var = var.reshape(vshape + (1,))
        elif len(ishape) == len(vshape) and sum(y for x, y in zip(ishape, vshape) if x != y) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    # clamp without gradient effect, as PyTorch does (var.clamp_ under no_grad)
    lifted = Tensor._make(np.maximum(var._data, eps) - var._data)
    v = var + lifted
    d = input - target
    loss = (log(v) + d * d / v) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, reduction)


# ============================================================================================ margin losses
@export("margin_ranking_loss", method=False)
@functional("margin_ranking_loss")
def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    for t, n in ((input1, "input1"), (input2, "input2"), (target, "target")):
        check_tensor(t, "margin_ranking_loss", n)
    if not (input1._data.ndim == input2._data.ndim == target._data.ndim):
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {_torch_size(input1.shape)}, input2: {_torch_size(input2.shape)}, "
                           f"target: {_torch_size(target.shape)} ")
    loss = clamp(-target * (input1 - input2) + margin, min=0)
    return _apply_reduction(loss, reduction)


@export("hinge_embedding_loss", method=False)
@functional("hinge_embedding_loss")
def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    _check_pair(input, target, "hinge_embedding_loss")
    reduction = _reduction(reduction, size_average, reduce)
    zeros = input * 0
    margin_clamp = clamp(margin - input, min=0)
    loss = where(target != 1, margin_clamp, zeros) + where(target != -1, input, zeros)
    return _apply_reduction(loss, reduction)


@export("cosine_embedding_loss", method=False)
@functional("cosine_embedding_loss")
def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    td = target._data.ndim
    if td not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if td == 1 and not (input1._data.ndim == input2._data.ndim == 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    if td == 0 and not (input1._data.ndim == input2._data.ndim == 1):
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    eps = 1e-12
    prod = (input1 * input2).sum(td)
    m1 = (input1 * input1).sum(td) + eps
    m2 = (input2 * input2).sum(td) + eps
    cos = prod / (m1 * m2).sqrt()
    zeros = cos * 0
    loss = where(target == 1, 1 - cos, zeros) + where(target == -1, clamp(cos - margin, min=0), zeros)
    return _apply_reduction(loss, reduction)


@functional("multi_margin_loss")
def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    check_tensor(input, "multi_margin_loss")
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight._data.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    nd = input._data.ndim
    x = input.reshape(1, -1) if nd <= 1 else input
    if x._data.ndim != 2:
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")
    N, C = x._data.shape
    t = target._data.reshape(-1).astype(np.int64)
    if t.size != N:
        raise RuntimeError(f"inconsistent target size, expected {N} but got {list(target.shape)}")
    if t.size and ((t < 0) | (t >= C)).any():
        raise IndexError("target out of range")
    xp = array_module(x._data)
    onehot = xp.zeros((N, C), dtype=x._data.dtype)
    onehot[xp.arange(N), t] = 1
    oh = Tensor._make(onehot)
    xt = (x * oh).sum(1, keepdim=True)
    z = clamp(x - xt + margin, min=0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * Tensor._make(weight._data[t].reshape(N, 1).astype(x._data.dtype))
    loss = (z * (1 - oh)).sum(1) / C
    if nd <= 1 and reduction == "none":
        loss = loss.reshape(target.shape if target._data.ndim else ())
    return _apply_reduction(loss, reduction)


@export("triplet_margin_loss", method=False)
@functional("triplet_margin_loss")
def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    reduction = _reduction(reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    from .normalization import pairwise_distance
    a, pd, nd_ = anchor._data.ndim, positive._data.ndim, negative._data.ndim
    if not (a == pd == nd_):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a}D, positive {pd}D, and negative {nd_}D inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    loss = clamp(d_pos - d_neg + margin, min=0)
    return _apply_reduction(loss, reduction)


@functional("triplet_margin_with_distance_loss")
def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: expected margin to be greater than 0, got {margin} "
                         "instead")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    from .normalization import pairwise_distance
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, dist(positive, negative))
    return _apply_reduction(clamp(d_pos - d_neg + margin, min=0), reduction)
