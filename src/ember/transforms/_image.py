"""The two kinds of image the transforms accept, and the random stream they draw from.

* a NumPy array H×W or H×W×C (what ``ember.datasets`` return, like ``np.asarray(pil_image)``), and
* an ember Tensor (..., C, H, W) (what ``ToTensor`` returns), or H×W.

Every per-image function converts its input to a NumPy array (..., C, H, W) that *views* the input, works on
that, and converts the result back to the input's kind (same layout, same device). Transforms are data
preparation, not autograd ops: results never carry a graph.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..backend import device_of, to_device
from ..ops import random as _random


def rng() -> np.random.Generator:
    """ember's global random stream (``ember.manual_seed`` reseeds it; DataLoader workers reseed it per worker).

    Looked up on every call: ``manual_seed`` replaces the generator's NumPy stream."""
    return _random.default_generator._rng


def uniform(low: float, high: float) -> float:
    """One float drawn uniformly from [low, high) (``torch.empty(1).uniform_(low, high).item()``)."""
    return float(low + (high - low) * rng().random())


def randint(low: int, high: int) -> int:
    """One int drawn uniformly from [low, high) (``torch.randint(low, high, (1,)).item()``)."""
    return int(rng().integers(low, high))


def is_image(img) -> bool:
    return isinstance(img, (Tensor, np.ndarray))


def check_image(img, fname: str):
    if isinstance(img, Tensor):
        if img.ndim < 2:
            raise TypeError(f"{fname}: expected a tensor image of shape (..., C, H, W) or (H, W), got a tensor of "
                            f"shape {tuple(img.shape)}")
    elif isinstance(img, np.ndarray):
        if img.ndim not in (2, 3):
            raise TypeError(f"{fname}: expected an image array of shape (H, W) or (H, W, C), got an array of shape "
                            f"{img.shape}")
    else:
        raise TypeError(f"{fname}: img should be an ember Tensor or a NumPy array. Got {type(img)}")


def to_chw(img, fname: str):
    """``img`` as a NumPy array (..., C, H, W) (a view where possible) and a function that turns a result array
    of that layout back into the input's kind."""
    check_image(img, fname)
    if isinstance(img, Tensor):
        data = img._data
        dev = device_of(data)
        if type(data) is not np.ndarray:          # a CuPy array: transforms run on the host
            data = data.get()
        two_d = data.ndim == 2
        arr = data[None] if two_d else data

        def back(out):
            out = out[0] if two_d else out
            out = np.ascontiguousarray(out)
            return Tensor._make(out if dev.type == "cpu" else to_device(out, dev))
        return arr, back
    if img.ndim == 2:
        return img[None], lambda out: np.ascontiguousarray(out[0])
    return img.transpose(2, 0, 1), lambda out: np.ascontiguousarray(out.transpose(1, 2, 0))


def get_dimensions(img) -> list[int]:
    """``[channels, height, width]`` of an image of either kind (torchvision's ``get_dimensions``)."""
    check_image(img, "get_dimensions")
    shape = tuple(img.shape)
    if isinstance(img, Tensor):
        c = 1 if len(shape) == 2 else shape[-3]
        return [c, shape[-2], shape[-1]]
    c = 1 if len(shape) == 2 else shape[2]
    return [c, shape[0], shape[1]]


def max_value(dtype) -> float:
    """The value of 'full intensity': 1.0 for float images, the type's maximum for integer ones (255 for uint8)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return 1.0
    if dtype.kind == "b":
        return 1.0
    return float(np.iinfo(dtype).max)


def cast_back(out: np.ndarray, dtype, clamp: bool = False, round_: bool = True) -> np.ndarray:
    """Return a float result to the image dtype: integer images are rounded (torchvision rounds before the cast
    after resampling) and, if ``clamp``, clipped to the type's range."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return out.astype(dtype, copy=False)
    if round_:
        out = np.round(out)
    if clamp:
        info = np.iinfo(dtype)
        out = np.clip(out, info.min, info.max)
    return out.astype(dtype)
