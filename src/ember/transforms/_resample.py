"""Resampling kernels: resize as two small matrix products, rotation as a sampled grid.

Resize is separable, so it is written as ``out = Wh @ img @ Ww.T`` with one (out × in) weight matrix per axis,
built once per (in, out, mode) and cached. The weights follow PyTorch's ``F.interpolate`` exactly (source index
``scale * (i + 0.5) - 0.5``, align_corners=False; with ``antialias=True`` the widened triangle / Keys kernels of
``_upsample_bilinear2d_aa``), so the results match ``F.interpolate`` to float rounding.

Rotation follows torchvision's tensor path: an inverse affine matrix maps each output pixel centre to a source
position, which ``grid_sample`` (zeros padding, align_corners=False) reads with nearest or bilinear weights.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np


def _cubic1(x, a):          # |x| <= 1
    return ((a + 2) * x - (a + 3)) * x * x + 1


def _cubic2(x, a):          # 1 < |x| < 2
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a


def _aa_filter(mode):
    if mode == "bilinear":
        return lambda x: np.maximum(1.0 - np.abs(x), 0.0)
    a = -0.5                 # PIL's (and PyTorch's antialiased) Keys kernel

    def cubic(x):
        x = np.abs(x)
        return np.where(x < 1, _cubic1(x, a), np.where(x < 2, _cubic2(x, a), 0.0))
    return cubic


@lru_cache(maxsize=256)
def weight_matrix(n_in: int, n_out: int, mode: str, antialias: bool, dtype: str) -> np.ndarray:
    """The (n_out, n_in) matrix that resamples one axis like ``F.interpolate(mode, align_corners=False)``."""
    W = np.zeros((n_out, n_in), dtype=np.float64)
    rows = np.arange(n_out)
    if antialias and mode in ("bilinear", "bicubic"):
        scale = n_in / n_out
        interp = 2 if mode == "bilinear" else 4
        support = interp * 0.5 * scale if scale >= 1.0 else interp * 0.5
        invscale = 1.0 / scale if scale >= 1.0 else 1.0
        filt = _aa_filter(mode)
        for i in range(n_out):
            center = scale * (i + 0.5)
            lo = max(int(center - support + 0.5), 0)
            hi = min(int(center + support + 0.5), n_in)
            w = filt((np.arange(lo, hi) - center + 0.5) * invscale)
            total = w.sum()
            W[i, lo:hi] = w / total if total != 0 else w
    elif mode == "bilinear":
        ft = np.dtype(dtype).type                      # PyTorch computes the source index in the image's precision
        scale = ft(n_in) / ft(n_out)
        src = np.maximum(scale * (rows.astype(ft) + ft(0.5)) - ft(0.5), ft(0))
        i0 = src.astype(np.int64)
        i1 = np.minimum(i0 + 1, n_in - 1)
        l1 = (src - i0).astype(np.float64)
        np.add.at(W, (rows, i0), 1.0 - l1)
        np.add.at(W, (rows, i1), l1)
    elif mode == "bicubic":
        ft = np.dtype(dtype).type
        scale = ft(n_in) / ft(n_out)
        src = scale * (rows.astype(ft) + ft(0.5)) - ft(0.5)        # not clamped for cubic
        i0 = np.floor(src).astype(np.int64)
        t = (src - i0).astype(np.float64)
        a = -0.75
        coeffs = (_cubic2(t + 1.0, a), _cubic1(t, a), _cubic1(1.0 - t, a), _cubic2(2.0 - t, a))
        for k, c in enumerate(coeffs):
            np.add.at(W, (rows, np.clip(i0 - 1 + k, 0, n_in - 1)), c)
    else:
        raise ValueError(f"weight_matrix: unsupported mode {mode!r}")
    W = W.astype(dtype)
    W.setflags(write=False)
    return W


@lru_cache(maxsize=256)
def nearest_index(n_in: int, n_out: int) -> np.ndarray:
    """Source index of each output position for PyTorch's ``nearest`` mode (``floor(i * in / out)``)."""
    if n_out == n_in:
        idx = np.arange(n_out)
    elif n_out == 2 * n_in:
        idx = np.arange(n_out) >> 1
    else:
        scale = np.float32(n_in) / np.float32(n_out)
        idx = np.minimum(np.floor(np.arange(n_out, dtype=np.float32) * scale).astype(np.int64), n_in - 1)
    idx.setflags(write=False)
    return idx


def resize_chw(arr: np.ndarray, out_h: int, out_w: int, mode: str, antialias: bool) -> np.ndarray:
    """Resize the last two axes of a float or integer array; returns float (the caller casts back)."""
    h, w = arr.shape[-2:]
    if mode == "nearest":
        return np.take(np.take(arr, nearest_index(h, out_h), axis=-2), nearest_index(w, out_w), axis=-1)
    ft = arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float32)
    x = arr.astype(ft, copy=False)
    if out_h != h or mode == "bicubic" or antialias:
        x = np.matmul(weight_matrix(h, out_h, mode, antialias, ft.name), x)
    if out_w != w or mode == "bicubic" or antialias:
        x = np.matmul(x, weight_matrix(w, out_w, mode, antialias, ft.name).T)
    return x


def inverse_affine_matrix(center, angle, translate, scale, shear):
    """torchvision's ``_get_inverse_affine_matrix``: output pixel (centred coords) -> source position."""
    rot = math.radians(angle)
    if shear[0] == 0 and shear[1] == 0 and scale == 1 and center[0] == 0 and center[1] == 0 \
            and translate[0] == 0 and translate[1] == 0:
        cos, sin = math.cos(rot), math.sin(rot)           # the common case, a plain rotation: no shear terms
        return [cos, sin, 0.0, -sin, cos, 0.0]
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [d, -b, 0.0, -c, a, 0.0]
    m = [x / scale for x in m]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
    m[2] += cx
    m[5] += cy
    return m


def affine_output_size(matrix, w: int, h: int):
    """Width and height that hold the whole transformed image (``expand=True``), as torchvision computes them."""
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]], dtype=np.float32)
    theta = np.asarray(matrix, dtype=np.float32).reshape(2, 3)
    new = pts @ theta.T
    lo = new.min(axis=0) + np.array([w * 0.5, h * 0.5], dtype=np.float32)
    hi = new.max(axis=0) + np.array([w * 0.5, h * 0.5], dtype=np.float32)
    tol = 1e-4                            # keeps ceil(1e-15) from adding a whole pixel
    cmax = np.ceil(np.trunc(hi / tol) * tol)
    cmin = np.floor(np.trunc(lo / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


@lru_cache(maxsize=64)
def _base_points(oh: int, ow: int) -> np.ndarray:
    """(3, oh*ow) columns (x, y, 1): output pixel centres, relative to the output's centre."""
    xs = np.arange(ow, dtype=np.float64) - ow * 0.5 + 0.5
    ys = np.arange(oh, dtype=np.float64) - oh * 0.5 + 0.5
    pts = np.empty((3, oh, ow))
    pts[0] = xs[None, :]
    pts[1] = ys[:, None]
    pts[2] = 1.0
    pts = pts.reshape(3, -1)
    pts.setflags(write=False)
    return pts


@lru_cache(maxsize=64)
def _limits(h: int, w: int) -> np.ndarray:
    lim = np.array([[w], [h]], dtype=np.float64)
    lim.setflags(write=False)
    return lim


@lru_cache(maxsize=16)
def _int_range(dtype):
    info = np.iinfo(dtype)
    return float(info.min), float(info.max)


def _framed(arr, border):
    """``arr`` (..., C, H, W) with a one-pixel frame of ``border`` (per channel): out-of-image reads land on it."""
    h, w = arr.shape[-2:]
    out = np.empty(arr.shape[:-2] + (h + 2, w + 2), dtype=arr.dtype)
    out[...] = border
    out[..., 1:-1, 1:-1] = arr
    return out


def affine_sample(arr: np.ndarray, matrix, out_h: int, out_w: int, mode: str, fill) -> np.ndarray:
    """Sample ``arr`` (..., C, H, W) at the source positions of an (out_h, out_w) output.

    ``fill`` (None, or a value / one value per channel shaped (C, 1, 1)) paints the pixels whose source lies
    outside the image, with torchvision's rule for bilinear: ``img * mask + (1 - mask) * fill`` where ``mask`` is
    the sampled coverage. Nearest keeps the input dtype; bilinear returns float."""
    h, w = arr.shape[-2:]
    m = matrix
    theta = np.array([[m[0], m[1], m[2] + w * 0.5 - 0.5],       # to source pixel coordinates (x, y)
                      [m[3], m[4], m[5] + h * 0.5 - 0.5]])
    src = theta @ _base_points(out_h, out_w)                     # (2, P): rows x, y
    lim = _limits(h, w)
    W2 = w + 2
    lead = arr.shape[:-2]
    # Reads outside the image are clipped onto a one-pixel frame around it, which holds the fill (nearest) or 0
    # (bilinear): no masks needed. np.take is several times faster than fancy indexing here.
    if mode == "nearest":
        ij = np.minimum(np.maximum(np.rint(src), -1.0), lim)       # ufuncs: np.clip's wrapper costs more here
        flat_idx = (ij[1] * W2 + ij[0] + (W2 + 1)).astype(np.intp)
        border = 0 if fill is None else fill
        if fill is not None and arr.dtype.kind in "iu":
            lo, hi = _int_range(arr.dtype)
            border = np.minimum(np.maximum(np.rint(fill), lo), hi).astype(arr.dtype)
        framed = _framed(arr, border).reshape(lead + (-1,))
        return np.take(framed, flat_idx, axis=-1).reshape(lead + (out_h, out_w))
    ft = arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float32)
    # torchvision appends a channel of ones: its bilinear sample is the coverage mask used for the fill
    ones = np.ones(arr.shape[:-3] + (1,) + arr.shape[-2:], dtype=ft)
    framed = _framed(np.concatenate((arr.astype(ft, copy=False), ones), axis=-3), 0)
    framed = framed.reshape(framed.shape[:-2] + (-1,))
    f0 = np.floor(src)
    frac = (src - f0).astype(ft)
    corner = np.minimum(np.maximum(np.stack((f0, f0 + 1.0)), -1.0), lim) + 1.0   # (lo/hi, x/y, P)
    idx = (corner[:, None, 1] * W2 + corner[None, :, 0]).astype(np.intp).reshape(4, -1)   # (y, x) pairs
    wts = np.stack((1.0 - frac, frac))                                          # (lo/hi, x/y, P)
    wgt = (wts[:, None, 1] * wts[None, :, 0]).reshape(4, -1)
    vals = np.take(framed, idx, axis=-1)                                        # (..., C+1, 4, P)
    out = np.einsum("...kp,kp->...p", vals, wgt).reshape(framed.shape[:-1] + (out_h, out_w))
    img, mask = out[..., :-1, :, :], out[..., -1:, :, :]
    if fill is not None:
        img = img * mask + (1.0 - mask) * np.asarray(fill, dtype=ft)
    return img
