"""Sorting and searching: sort/argsort/msort/topk (differentiable through the values: the gradient goes back to
the selected positions), unique/unique_consecutive, searchsorted/bucketize, histc, bincount.

PyTorch's order: ascending puts NaN last, descending puts NaN first; ``stable=True`` keeps equal elements in input
order (ember's sorts are always stable, so ties come out in a deterministic order).
"""
import builtins

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Op
from ..backend import array_module
from ._util import export, wrap_dim, check_tensor
from .reduce import TakeAlong, return_types, _tname, _maybe_out


def _const(arr):
    return Tensor._make(arr)


def _argsort(x, d, descending):
    """Stable indices along ``d``: ascending with NaN last, or descending with NaN first (ties in input order)."""
    xp = array_module(x)
    if not descending:
        return xp.argsort(x, axis=d, kind="stable")
    if x.dtype == np.bool_:
        x = x.view(np.uint8)
    n = x.shape[d]
    # sort the reversed array ascending (stable), then reverse: descending, NaN first, ties in input order
    rev = xp.flip(x, d)
    idx = xp.argsort(rev, axis=d, kind="stable")
    return xp.ascontiguousarray(xp.flip(n - 1 - idx, d))


def _take(input, idx, d):
    return TakeAlong.apply(input, idx=idx, dim=d, out_shape=None, unique=True), _const(idx.astype(np.int64,
                                                                                                  copy=False))


@export("sort")
def sort(input, dim=-1, descending=False, stable=False, *, out=None):
    check_tensor(input, "sort")
    nd = input._data.ndim
    d = wrap_dim(dim, nd, "sort")
    if nd == 0:
        xp = array_module(input._data)
        return _maybe_out(return_types.sort(TakeAlong.apply(input.reshape(1), idx=xp.zeros(1, np.int64), dim=0,
                                                            out_shape=(), unique=True),
                                            _const(xp.zeros((), np.int64))), out)
    idx = _argsort(input._data, d, bool(descending))
    return _maybe_out(return_types.sort(*_take(input, idx, d)), out)


@export("argsort")
def argsort(input, dim=-1, descending=False, stable=False):
    check_tensor(input, "argsort")
    nd = input._data.ndim
    d = wrap_dim(dim, nd, "argsort")
    if nd == 0:
        return _const(array_module(input._data).zeros((), np.int64))
    return _const(_argsort(input._data, d, bool(descending)).astype(np.int64, copy=False))


@export("msort")
def msort(input, *, out=None):
    check_tensor(input, "msort")
    return _maybe_out(sort(input, 0).values, out)


@export("topk")
def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    check_tensor(input, "topk")
    nd = input._data.ndim
    d = wrap_dim(dim, nd, "topk")
    n = input._data.shape[d] if nd else 1
    k = int(k)
    if not 0 <= k <= n:
        raise RuntimeError("selected index k out of range")
    if nd == 0:
        v, i = sort(input)
        return _maybe_out(return_types.topk(v, i), out)
    xp = array_module(input._data)
    idx = _argsort(input._data, d, bool(largest))
    idx = xp.take(idx, xp.arange(k), axis=d)
    return _maybe_out(return_types.topk(*_take(input, idx, d)), out)


# ---------------------------------------------------------------------------------------------- unique
def _unique_flat(x, return_inverse, return_counts):
    xp = array_module(x)
    flat = x.reshape(-1)
    order = xp.argsort(flat, kind="stable")
    s = flat[order]
    n = s.shape[0]
    start = xp.ones(n, dtype=bool)
    if n:
        start[1:] = s[1:] != s[:-1]          # NaN != NaN: every NaN is its own value, like PyTorch
    values = s[start]
    inv = cnt = None
    if return_inverse:
        inv = xp.empty(n, np.int64)
        inv[order] = xp.cumsum(start) - 1
        inv = inv.reshape(x.shape)
    if return_counts:
        pos = xp.flatnonzero(start)
        cnt = xp.diff(xp.append(pos, n)).astype(np.int64)
    return values, inv, cnt


def _unique_dim(x, d, return_inverse, return_counts, consecutive):
    xp = array_module(x)
    xm = xp.moveaxis(x, d, 0)
    n = xm.shape[0]
    rows = xm.reshape(n, -1)
    if consecutive:
        order = xp.arange(n)
    else:   # lexicographic order of the slices (first element most significant), stable
        order = xp.lexsort(rows.T[::-1]) if rows.shape[1] else xp.arange(n)
    s = rows[order]
    start = xp.ones(n, dtype=bool)
    if n:
        start[1:] = (s[1:] != s[:-1]).any(axis=1) if rows.shape[1] else False
    values = xp.moveaxis(xm[order][start], 0, d)
    inv = cnt = None
    if return_inverse:
        inv = xp.empty(n, np.int64)
        inv[order] = xp.cumsum(start) - 1
    if return_counts:
        pos = xp.flatnonzero(start)
        cnt = xp.diff(xp.append(pos, n)).astype(np.int64)
    return xp.ascontiguousarray(values), inv, cnt


def _pack(values, inv, cnt, return_inverse, return_counts):
    out = [_const(values)]
    if return_inverse:
        out.append(_const(inv))
    if return_counts:
        out.append(_const(cnt))
    return out[0] if len(out) == 1 else tuple(out)


@export("unique")
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    check_tensor(input, "unique")
    x = input._data
    if dim is None:
        v, inv, cnt = _unique_flat(x, return_inverse, return_counts)
    else:
        d = wrap_dim(dim, x.ndim, "unique")
        if x.ndim == 0:
            x = x.reshape(1)
        if builtins.any(s == 0 for i, s in enumerate(x.shape) if i != d):
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique cannot be "
                               "applied")
        v, inv, cnt = _unique_dim(x, d, return_inverse, return_counts, consecutive=False)
    return _pack(v, inv, cnt, return_inverse, return_counts)


@export("unique_consecutive")
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    check_tensor(input, "unique_consecutive")
    x = input._data
    xp = array_module(x)
    if dim is None:
        flat = x.reshape(-1)
        n = flat.shape[0]
        start = xp.ones(n, dtype=bool)
        if n:
            start[1:] = flat[1:] != flat[:-1]
        v = flat[start]
        inv = (xp.cumsum(start) - 1).astype(np.int64).reshape(x.shape) if return_inverse else None
        cnt = xp.diff(xp.append(xp.flatnonzero(start), n)).astype(np.int64) if return_counts else None
    else:
        d = wrap_dim(dim, x.ndim, "unique_consecutive")
        if x.ndim == 0:
            x = x.reshape(1)
        v, inv, cnt = _unique_dim(x, d, return_inverse, return_counts, consecutive=True)
    return _pack(v, inv, cnt, return_inverse, return_counts)


# ---------------------------------------------------------------------------------------------- searching
def _side(right, side):
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side of left "
                               "while right was True")
        return side
    return "right" if right else "left"


def _search(seq, vals, side, sorter):
    xp = array_module(seq)
    if seq.ndim == 1:
        return xp.searchsorted(seq, vals, side=side, sorter=sorter)
    lead = seq.shape[:-1]
    s2 = seq.reshape(-1, seq.shape[-1])
    v2 = vals.reshape(s2.shape[0], -1)
    so2 = None if sorter is None else sorter.reshape(s2.shape)
    out = xp.empty(v2.shape, np.int64)
    for i in range(s2.shape[0]):
        out[i] = xp.searchsorted(s2[i], v2[i], side=side, sorter=None if so2 is None else so2[i])
    return out.reshape(lead + vals.shape[-1:])


@export("searchsorted", method=False)
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None, out=None):
    check_tensor(sorted_sequence, "searchsorted", "sorted_sequence")
    side = _side(right, side)
    seq = sorted_sequence._data
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
                           "dimension")
    scalar = not isinstance(input, Tensor)
    vals = np.asarray(input) if scalar else input._data
    if scalar and seq.ndim != 1:
        raise RuntimeError("torch.searchsorted(): input value can be a scalar only when boundaries tensor "
                           f"dimension is 1, but we got boundaries tensor dim({seq.ndim}) and input value's "
                           f"dim({vals.ndim}) numel(1)")
    if seq.ndim > 1 and (vals.ndim != seq.ndim or vals.shape[:-1] != seq.shape[:-1]):
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                           "dimensions of boundaries tensor and input value tensor must match, but we got "
                           f"boundaries tensor {list(seq.shape)} and input value tensor {list(vals.shape)}")
    so = None
    if sorter is not None:
        so = sorter._data
        if so.shape != seq.shape:
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same size, but got "
                               f"boundary tensor {list(seq.shape)}and got sorter tensor {list(so.shape)}")
        if so.dtype.kind not in "iu":
            raise RuntimeError("torch.searchsorted(): sorter must be a tensor of long dtype")
    r = _search(seq, vals, side, so)
    r = array_module(seq).asarray(r).astype(np.int32 if out_int32 else np.int64, copy=False)
    return _maybe_out(_const(r.reshape(vals.shape)), out)


@export("bucketize")
def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    check_tensor(boundaries, "bucketize", "boundaries")
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


# ---------------------------------------------------------------------------------------------- counting
class _Histc(Op):
    differentiable = False
    save_inputs = ()

    def forward(ctx, x, bins, lo, hi):
        xp = array_module(x)
        flat = x.reshape(-1)
        edges = xp.linspace(lo, hi, bins + 1).astype(x.dtype)
        inside = (flat >= lo) & (flat <= hi)
        v = flat[inside]
        pos = xp.searchsorted(edges, v, side="right") - 1
        pos = xp.clip(pos, 0, bins - 1)
        return xp.bincount(pos, minlength=bins)[:bins].astype(x.dtype)


@export("histc")
def histc(input, bins=100, min=0, max=0, *, out=None):
    check_tensor(input, "histc")
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{_tname(input)}'")
    bins = int(bins)
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    lo, hi = float(min), float(max)
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    if lo == hi:
        if x.size:
            finite = x[np.isfinite(x)] if type(x) is np.ndarray else x[array_module(x).isfinite(x)]
            if finite.size:
                lo, hi = float(finite.min()), float(finite.max())
        if lo == hi:
            lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    return _maybe_out(_Histc.apply(input, bins=bins, lo=lo, hi=hi), out)


@export("bincount")
def bincount(input, weights=None, minlength=0):
    check_tensor(input, "bincount")
    x = input._data
    if x.dtype.kind not in "iu":
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{_tname(input)}'")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if x.ndim != 1 or (x.size and x.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    xp = array_module(x)
    if weights is None:
        return _const(xp.bincount(x, minlength=minlength).astype(np.int64, copy=False))
    w = weights._data
    if w.ndim != 1 or w.shape[0] != x.shape[0]:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    dt = w.dtype if w.dtype.kind == "f" else np.dtype(np.float64)
    return _const(xp.bincount(x, weights=w.astype(np.float64), minlength=minlength).astype(dt))

