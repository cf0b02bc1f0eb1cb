"""Per-image functions behind the transforms (torchvision.transforms.functional's names and arguments).

Each takes an image of either kind — a NumPy array H×W / H×W×C (as datasets return it) or an ember Tensor
(..., C, H, W) — and returns the same kind. Sizes are ``(h, w)`` and crop corners ``(top, left)``, as in
torchvision. Integer images stay integer: resampled values are rounded, blended ones clipped to 0..255.

    >>> import ember.transforms.functional as TF
    >>> TF.hflip(TF.crop(img, top=2, left=2, height=24, width=24))
"""
from __future__ import annotations

import numbers

import numpy as np

from .._tensor import Tensor
from ._image import to_chw, get_dimensions, max_value, cast_back
from . import _resample

__all__ = ["InterpolationMode", "get_dimensions", "get_image_size", "get_image_num_channels", "to_tensor",
           "convert_image_dtype", "normalize", "resize", "crop", "center_crop", "resized_crop", "pad", "hflip",
           "vflip", "rotate", "affine", "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
           "rgb_to_grayscale", "to_grayscale", "erase"]


class InterpolationMode:
    """torchvision's interpolation names; plain strings ("bilinear", ...) are accepted everywhere too."""
    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


_MODES = ("nearest", "bilinear", "bicubic")


def _mode(interpolation, fname):
    mode = getattr(interpolation, "value", interpolation)      # also accepts an Enum with string values
    if isinstance(mode, str):
        mode = mode.lower()
    if mode not in _MODES:
        raise ValueError(f"{fname}: interpolation must be one of {', '.join(_MODES)}, got {interpolation!r}")
    return mode


def get_image_size(img) -> list[int]:
    """``[width, height]`` (torchvision's order)."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img) -> int:
    return get_dimensions(img)[0]


# --------------------------------------------------------------------------------------------- conversion

def to_tensor(pic) -> Tensor:
    """An H×W or H×W×C array -> a C×H×W Tensor; uint8 is scaled to float32 in [0, 1], other dtypes are kept."""
    if isinstance(pic, Tensor) or not isinstance(pic, np.ndarray):
        raise TypeError(f"to_tensor: pic should be a NumPy ndarray (H, W) or (H, W, C). Got {type(pic)}")
    if pic.ndim not in (2, 3):
        raise ValueError(f"to_tensor: pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    if pic.ndim == 2:
        pic = pic[:, :, None]
    chw = pic.transpose(2, 0, 1)
    if pic.dtype == np.uint8:
        from .._dtype import get_default_dtype
        out = chw.astype(get_default_dtype().np)
        out /= out.dtype.type(255)           # a division, as torch's div(255): bit-identical to PyTorch
        return Tensor._make(out)
    return Tensor._make(np.ascontiguousarray(chw))


def convert_image_dtype(image: Tensor, dtype=None) -> Tensor:
    """Rescale a Tensor image to another dtype (uint8 <-> float as torchvision: ×255.999 and truncate)."""
    from .._dtype import to_dtype, float32
    if not isinstance(image, Tensor):
        raise TypeError(f"convert_image_dtype: input img should be Tensor Image. Got {type(image)}")
    dt = to_dtype(dtype) if dtype is not None else float32
    a = image._data
    out_np = np.dtype(dt.np)
    if a.dtype == out_np:
        return image
    if a.dtype.kind == "f" and out_np.kind == "f":
        return Tensor._make(a.astype(out_np))
    if a.dtype.kind == "f":
        return Tensor._make((a * (max_value(out_np) + 1.0 - 1e-3)).astype(out_np))
    if out_np.kind == "f":
        return Tensor._make((a.astype(out_np) / max_value(a.dtype)).astype(out_np))
    return Tensor._make((a.astype(np.float64) * (max_value(out_np) + 1) / (max_value(a.dtype) + 1))
                        .astype(out_np))


def normalize(tensor: Tensor, mean, std, inplace: bool = False) -> Tensor:
    """``(tensor - mean[c]) / std[c]`` per channel of a float Tensor (..., C, H, W). Differentiable."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"normalize: img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"normalize: Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError(f"normalize: Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tuple(tensor.shape)}")
    np_dt = tensor._data.dtype
    m = np.asarray(mean.cpu()._data if isinstance(mean, Tensor) else mean, dtype=np_dt).reshape(-1)
    s = np.asarray(std.cpu()._data if isinstance(std, Tensor) else std, dtype=np_dt).reshape(-1)
    c = tensor.shape[-3]
    for name, v in (("mean", m), ("std", s)):
        if v.size not in (1, c):
            raise ValueError(f"normalize: {name} has {v.size} values but the image has {c} channels")
    if (s == 0).any():
        raise ValueError(f"normalize: std evaluated to zero after conversion to {tensor.dtype}, leading to "
                         "division by zero.")
    from ..backend import to_device
    dev = tensor.device
    m = to_device(m.reshape(-1, 1, 1), dev)           # CuPy tensors get CuPy constants
    s = to_device(s.reshape(-1, 1, 1), dev)
    if tensor.requires_grad:      # keep the graph: an adversarial example may be normalised inside the model
        if inplace:
            return tensor.sub_(Tensor._make(m)).div_(Tensor._make(s))
        return (tensor - Tensor._make(m)) / Tensor._make(s)
    if inplace:
        tensor._data -= m
        tensor._data /= s
        tensor._version[0] += 1
        return tensor
    return Tensor._make((tensor._data - m) / s)


# ------------------------------------------------------------------------------------------------ geometry

def _output_size(h, w, size, max_size, fname):
    if isinstance(size, numbers.Integral):
        size = [int(size)]
    elif isinstance(size, (list, tuple)) and len(size) in (1, 2) and all(isinstance(s, numbers.Integral)
                                                                         for s in size):
        size = [int(s) for s in size]
    else:
        raise TypeError(f"{fname}: size should be an int or a sequence of one or two ints, got {size!r}")
    if any(s <= 0 for s in size):
        raise ValueError(f"{fname}: size must be positive, got {size}")
    if len(size) == 2:
        if max_size is not None:
            raise ValueError(f"{fname}: max_size should only be passed if size specifies the length of the smaller "
                             f"edge, i.e. size should be an int or a sequence of length 1. Got size={size}.")
        return size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size[0], int(size[0] * long / short)
    if max_size is not None:
        if max_size <= size[0]:
            raise ValueError(f"{fname}: max_size = {max_size} must be strictly greater than the requested size for "
                             f"the smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    return [new_h, new_w]


def resize(img, size, interpolation="bilinear", max_size=None, antialias=True):
    """Resize to ``size`` = (h, w), or match the shorter side to an int ``size`` (keeping the aspect ratio).

    The kernels are ``F.interpolate``'s (align_corners=False); ``antialias=True`` (torchvision's default) widens
    the bilinear/bicubic kernel when shrinking, like ``F.interpolate(..., antialias=True)``."""
    mode = _mode(interpolation, "resize")
    arr, back = to_chw(img, "resize")
    h, w = arr.shape[-2:]
    oh, ow = _output_size(h, w, size, max_size, "resize")
    if (oh, ow) == (h, w):
        return img
    out = _resample.resize_chw(arr, oh, ow, mode, bool(antialias) and mode != "nearest")
    if mode != "nearest":
        out = cast_back(out, arr.dtype, clamp=(mode == "bicubic"))
    return back(out)


def _check_ints(fname, **kw):
    for k, v in kw.items():
        if not isinstance(v, numbers.Integral):
            raise TypeError(f"{fname}: {k} should be an int, got {type(v).__name__}")


def crop(img, top: int, left: int, height: int, width: int):
    """The ``height``×``width`` window whose top-left corner is (top, left); parts outside the image are 0."""
    _check_ints("crop", top=top, left=left, height=height, width=width)
    if height < 0 or width < 0:
        raise ValueError(f"crop: height and width must be non-negative, got height={height}, width={width}")
    arr, back = to_chw(img, "crop")
    h, w = arr.shape[-2:]
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        part = arr[..., max(top, 0):max(bottom, 0), max(left, 0):max(right, 0)]
        return back(_pad_chw(part, ltrb, 0, "constant"))
    return back(arr[..., top:bottom, left:right])


def _pair(size, fname, name="size"):
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    if isinstance(size, (list, tuple)) and len(size) == 1 and isinstance(size[0], numbers.Integral):
        return int(size[0]), int(size[0])
    if isinstance(size, (list, tuple)) and len(size) == 2 and all(isinstance(s, numbers.Integral) for s in size):
        return int(size[0]), int(size[1])
    raise ValueError(f"{fname}: Please provide only two dimensions (h, w) for {name}, got {size!r}")


def center_crop(img, output_size):
    """The central ``output_size`` window (zero-padded first if the image is smaller)."""
    ch, cw = _pair(output_size, "center_crop", "output_size")
    _, h, w = get_dimensions(img)
    if cw > w or ch > h:
        ltrb = [(cw - w) // 2 if cw > w else 0, (ch - h) // 2 if ch > h else 0,
                (cw - w + 1) // 2 if cw > w else 0, (ch - h + 1) // 2 if ch > h else 0]
        img = pad(img, ltrb, fill=0)
        _, h, w = get_dimensions(img)
        if cw == w and ch == h:
            return img
    top = int(round((h - ch) / 2.0))
    left = int(round((w - cw) / 2.0))
    return crop(img, top, left, ch, cw)


def resized_crop(img, top, left, height, width, size, interpolation="bilinear", antialias=True):
    """``crop`` then ``resize`` to ``size``."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}


def _pad_ltrb(padding, fname="pad"):
    if isinstance(padding, numbers.Integral):
        return [int(padding)] * 4
    if not isinstance(padding, (list, tuple)) or not all(isinstance(p, numbers.Integral) for p in padding):
        raise TypeError(f"{fname}: Got inappropriate padding arg {padding!r}")
    if len(padding) == 1:
        return [int(padding[0])] * 4
    if len(padding) == 2:
        return [int(padding[0]), int(padding[1]), int(padding[0]), int(padding[1])]
    if len(padding) == 4:
        return [int(p) for p in padding]
    raise ValueError(f"{fname}: Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} "
                     "element tuple")


def _pad_chw(arr, ltrb, fill, padding_mode):
    # negative padding crops, as in torchvision
    h, w = arr.shape[-2:]
    arr = arr[..., max(-ltrb[1], 0):h - max(-ltrb[3], 0), max(-ltrb[0], 0):w - max(-ltrb[2], 0)]
    left, top, right, bottom = (max(p, 0) for p in ltrb)
    if not (left or top or right or bottom):
        return arr
    if padding_mode != "constant":
        widths = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
        return np.pad(arr, widths, mode=_PAD_MODES[padding_mode])
    fill_arr = np.asarray(fill, dtype=np.float64).reshape(-1)
    c = arr.shape[-3]
    if fill_arr.size not in (1, c):
        raise ValueError(f"pad: fill has {fill_arr.size} values but the image has {c} channels")
    h, w = arr.shape[-2:]
    # one allocation and a slice copy: several times faster than np.pad on small images
    out = np.empty(arr.shape[:-2] + (h + top + bottom, w + left + right), dtype=arr.dtype)
    out[...] = fill_arr.astype(arr.dtype).reshape(-1, 1, 1) if fill_arr.size > 1 else fill_arr.astype(arr.dtype)[0]
    out[..., top:top + h, left:left + w] = arr
    return out


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad every side: ``padding`` is an int, (left/right, top/bottom) or (left, top, right, bottom).

    ``padding_mode``: "constant" (with ``fill``: a number or one per channel), "edge", "reflect", "symmetric"."""
    ltrb = _pad_ltrb(padding)
    if padding_mode not in _PAD_MODES:
        raise ValueError(f"pad: Padding mode should be either constant, edge, reflect or symmetric, got "
                         f"{padding_mode!r}")
    if not isinstance(fill, (numbers.Number, list, tuple)):
        raise TypeError(f"pad: Got inappropriate fill arg {fill!r}")
    arr, back = to_chw(img, "pad")
    if padding_mode == "reflect":
        h, w = arr.shape[-2:]
        if max(ltrb[0], ltrb[2]) >= w or max(ltrb[1], ltrb[3]) >= h:
            raise ValueError(f"pad: padding {ltrb} (left, top, right, bottom) must be smaller than the image size "
                             f"(h, w) = {(h, w)} in reflect mode")
    return back(_pad_chw(arr, ltrb, fill, padding_mode))


def hflip(img):
    """Mirror left-right."""
    arr, back = to_chw(img, "hflip")
    return back(arr[..., ::-1])


def vflip(img):
    """Mirror top-bottom."""
    arr, back = to_chw(img, "vflip")
    return back(arr[..., ::-1, :])


def _fill_values(fill, channels, fname):
    """None, or the fill as float64 shaped (C, 1, 1) (one value per channel, broadcast from a single one)."""
    if fill is None:
        return None
    f = np.array(fill, dtype=np.float64).reshape(-1, 1, 1)
    if f.shape[0] not in (1, channels):
        raise ValueError(f"{fname}: The number of elements in 'fill' does not match the number of channels of the "
                         f"image ({f.shape[0]} != {channels})")
    return f if f.shape[0] == channels else f.repeat(channels, axis=0)


def _warp(img, matrix, interpolation, expand, fill, fname):
    mode = _mode(interpolation, fname)
    if mode == "bicubic":
        raise ValueError(f"{fname}: interpolation must be nearest or bilinear, got {interpolation!r}")
    arr, back = to_chw(img, fname)
    h, w = arr.shape[-2:]
    ow, oh = _resample.affine_output_size(matrix, w, h) if expand else (w, h)
    out = _resample.affine_sample(arr, matrix, oh, ow, mode, _fill_values(fill, arr.shape[-3], fname))
    return back(cast_back(out, arr.dtype))


def rotate(img, angle: float, interpolation="nearest", expand: bool = False, center=None, fill=None):
    """Rotate by ``angle`` degrees counter-clockwise about ``center`` ((x, y) pixels; default the image centre).

    ``expand=True`` grows the output to hold the whole rotated image; pixels from outside get ``fill``."""
    if not isinstance(angle, numbers.Real):
        raise TypeError(f"rotate: Argument angle should be int or float, got {type(angle).__name__}")
    center_f = [0.0, 0.0]
    if center is not None:
        _, h, w = get_dimensions(img)
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [w, h])]
    matrix = _resample.inverse_affine_matrix(center_f, -float(angle), [0.0, 0.0], 1.0, [0.0, 0.0])
    return _warp(img, matrix, interpolation, expand, fill, "rotate")


def affine(img, angle, translate, scale, shear, interpolation="nearest", fill=None, center=None):
    """Rotate by ``angle``, shift by ``translate`` (pixels), scale and shear (degrees), about ``center``."""
    if isinstance(shear, numbers.Number):
        shear = [float(shear), 0.0]
    if not isinstance(translate, (list, tuple)) or len(translate) != 2:
        raise ValueError(f"affine: Argument translate should be a sequence of length 2, got {translate!r}")
    if scale <= 0.0:
        raise ValueError(f"affine: Argument scale should be positive, got {scale}")
    _, h, w = get_dimensions(img)
    center_f = [0.0, 0.0]
    if center is not None:
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [w, h])]
    matrix = _resample.inverse_affine_matrix(center_f, float(angle), [float(t) for t in translate], float(scale),
                                             [float(s) for s in shear])
    return _warp(img, matrix, interpolation, False, fill, "affine")


# -------------------------------------------------------------------------------------------------- colour

def _blend(a, b, ratio):
    bound = max_value(a.dtype)
    out = np.clip(ratio * a.astype(np.float32 if a.dtype.kind != "f" else a.dtype) + (1.0 - ratio) * b, 0, bound)
    return out.astype(a.dtype)       # integer images truncate, as torchvision's .to(uint8)


def _gray(arr):
    r, g, b = arr[..., 0, :, :], arr[..., 1, :, :], arr[..., 2, :, :]
    ft = arr.dtype if arr.dtype.kind == "f" else np.float32
    return (0.2989 * r.astype(ft) + 0.587 * g + 0.114 * b).astype(arr.dtype)[..., None, :, :]


def _check_channels(arr, fname, allowed=(1, 3)):
    c = arr.shape[-3]
    if c not in allowed:
        raise TypeError(f"{fname}: Input image tensor permitted channel values are {list(allowed)}, but found {c}")
    return c


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """Luma ``0.2989 R + 0.587 G + 0.114 B`` (ITU-R 601-2), with 1 or 3 output channels."""
    if num_output_channels not in (1, 3):
        raise ValueError(f"rgb_to_grayscale: num_output_channels should be either 1 or 3, got "
                         f"{num_output_channels}")
    arr, back = to_chw(img, "rgb_to_grayscale")
    c = _check_channels(arr, "rgb_to_grayscale")
    g = _gray(arr) if c == 3 else arr.copy()
    if num_output_channels == 3:
        g = np.repeat(g, 3, axis=-3)
    out = back(g)
    if isinstance(img, np.ndarray) and num_output_channels == 1 and out.ndim == 3:
        out = out[:, :, 0]           # a one-channel array image is H×W, as np.asarray of a PIL "L" image
    return out


to_grayscale = rgb_to_grayscale


def _factor(value, name, fname):
    if not isinstance(value, numbers.Real) or value < 0:
        raise ValueError(f"{fname}: {name} ({value}) is not non-negative.")
    return float(value)


def adjust_brightness(img, brightness_factor: float):
    """Blend with black: 0 gives a black image, 1 the original, 2 twice as bright (clipped)."""
    f = _factor(brightness_factor, "brightness_factor", "adjust_brightness")
    arr, back = to_chw(img, "adjust_brightness")
    _check_channels(arr, "adjust_brightness")
    return back(_blend(arr, 0.0, f))


def adjust_contrast(img, contrast_factor: float):
    """Blend with the image's mean grey: 0 gives a uniform grey image, 1 the original."""
    f = _factor(contrast_factor, "contrast_factor", "adjust_contrast")
    arr, back = to_chw(img, "adjust_contrast")
    c = _check_channels(arr, "adjust_contrast")
    ft = arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float32)
    g = _gray(arr) if c == 3 else arr
    mean = g.astype(ft).mean(axis=(-3, -2, -1), keepdims=True)
    return back(_blend(arr, mean, f))


def adjust_saturation(img, saturation_factor: float):
    """Blend with the greyscale image: 0 gives grey, 1 the original, 2 doubles the saturation."""
    f = _factor(saturation_factor, "saturation_factor", "adjust_saturation")
    arr, back = to_chw(img, "adjust_saturation")
    c = _check_channels(arr, "adjust_saturation")
    if c == 1:
        return img
    return back(_blend(arr, _gray(arr), f))


def _hue_sector(x):
    """Hue of RGB pixels (..., 3, H, W) in sixths of a turn (-1 < h < 5), plus value (max) and chroma (max - min),
    with torchvision's ``_rgb2hsv`` conventions (grey pixels get hue 0)."""
    r, g, b = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    maxc = np.maximum(np.maximum(r, g), b)           # faster than x.max(axis=-3) on an H×W×C-strided array
    cr = maxc - np.minimum(np.minimum(r, g), b)
    crd = np.where(cr == 0, 1.0, cr).astype(x.dtype, copy=False)
    rc, gc, bc = (maxc[..., None, :, :] - x) / crd[..., None, :, :]
    h = np.where(maxc == r, bc - gc, np.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    return h, maxc, cr


def adjust_hue(img, hue_factor: float):
    """Rotate the hue (HSV) by ``hue_factor`` turns, in [-0.5, 0.5]; 0 is the identity."""
    if not isinstance(hue_factor, numbers.Real) or not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"adjust_hue: hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    arr, back = to_chw(img, "adjust_hue")
    c = _check_channels(arr, "adjust_hue")
    if c == 1:
        return img
    orig = arr.dtype
    x = np.ascontiguousarray(arr, dtype=np.float32) / np.float32(255) if orig.kind != "f" else arr
    h, v, chroma = _hue_sector(x)
    h6 = h + 6.0 * hue_factor                        # in (-4, 8): bring into [0, 6) (np.mod is slow)
    h6 = np.where(h6 < 0, h6 + 6.0, np.where(h6 >= 6.0, h6 - 6.0, h6))
    # HSV -> RGB in closed form: channel n in (5, 3, 1) is v - chroma * clip(min(k, 4 - k), 0, 1), k = (n + h6) mod 6
    k = np.array([5.0, 3.0, 1.0], dtype=x.dtype).reshape(3, 1, 1) + h6[..., None, :, :]
    k = np.where(k >= 6.0, k - 6.0, k)
    amount = np.minimum(np.maximum(np.minimum(k, 4.0 - k), 0.0), 1.0)
    out = (v[..., None, :, :] - chroma[..., None, :, :] * amount).astype(x.dtype, copy=False)
    if orig.kind != "f":
        out = (out * (max_value(orig) + 1.0 - 1e-3)).astype(orig)
    return back(out)


def erase(img, i: int, j: int, h: int, w: int, v, inplace: bool = False):
    """Set the window rows i..i+h, columns j..j+w to ``v`` (a number, one per channel, or a C×h×w block)."""
    if isinstance(img, Tensor):
        if inplace:
            vv = v._data if isinstance(v, Tensor) else np.asarray(v)
            img._data[..., i:i + h, j:j + w] = vv
            img._version[0] += 1
            return img
    arr, back = to_chw(img, "erase")
    out = arr.copy()
    vv = v.cpu()._data if isinstance(v, Tensor) else np.asarray(v)
    if vv.ndim == 1:
        vv = vv.reshape(-1, 1, 1)
    if out.dtype.kind in "iu" and vv.dtype.kind == "f":     # e.g. value="random" on a uint8 array
        vv = cast_back(vv, out.dtype, clamp=True)
    out[..., i:i + h, j:j + w] = vv
    return back(out)
