"""Helpers every op family shares: attaching functions to Tensor, dims, broadcasting checks, scalars."""
import numpy as np

from .._tensor import Tensor
from ..backend import array_module

PUBLIC = {}       # name -> function, re-exported by ember/__init__.py as ember.<name>
FUNCTIONAL = {}   # name -> function, re-exported by ember/nn/functional.py as F.<name>


def export(*names, method=True, function=True):
    """Register ``fn`` as ``ember.<name>`` (``function``) and ``Tensor.<name>`` (``method``) for each name."""
    def deco(fn):
        for n in names or (fn.__name__,):
            if function:
                PUBLIC[n] = fn
            if method:
                setattr(Tensor, n, fn)
        return fn
    return deco


def functional(*names):
    """Register ``fn`` as ``ember.nn.functional.<name>`` for each name (default: its own name)."""
    def deco(fn):
        for n in names or (fn.__name__,):
            FUNCTIONAL[n] = fn
        return fn
    return deco


def method(*names):
    """Register ``fn`` only as a Tensor method."""
    return export(*names, method=True, function=False)


def inplace_of(fn):
    """The ``name_`` in-place twin of an out-of-place op ``fn(self, ...)``."""
    def inplace(self, *args, **kwargs):
        return self._apply_inplace(fn, *args, **kwargs)
    inplace.__name__ = fn.__name__ + "_"
    inplace.__doc__ = f"In-place version of :meth:`Tensor.{fn.__name__}`."
    return inplace


def wrap_dim(dim, ndim, op="dim"):
    """Normalise a possibly negative ``dim`` for a tensor of ``ndim`` dims (0-d tensors accept -1 and 0)."""
    n = ndim if ndim > 0 else 1
    if isinstance(dim, Tensor):
        dim = int(dim)
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    if dim < -n or dim >= n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return int(dim) % n


def wrap_dims(dims, ndim, op="dim"):
    """A tuple of normalised dims; ``None`` or ``()`` mean all dims. Repeats are an error, as in PyTorch."""
    if dims is None:
        return tuple(range(ndim))
    if isinstance(dims, (int, np.integer)):
        dims = (dims,)
    out = tuple(wrap_dim(d, ndim, op) for d in dims)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
    if ndim == 0:
        return ()
    return out


_bcast_cache = {}


def broadcast_shape(a, b):
    """The broadcast of two shapes, with PyTorch's error message for incompatible sizes."""
    key = (a, b)
    r = _bcast_cache.get(key)
    if r is not None:
        return r
    n = max(len(a), len(b))
    pa = (1,) * (n - len(a)) + tuple(a)
    pb = (1,) * (n - len(b)) + tuple(b)
    out = []
    for i, (x, y) in enumerate(zip(pa, pb)):
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                               f"non-singleton dimension {i}")
    r = tuple(out)
    if len(_bcast_cache) < 4096:
        _bcast_cache[key] = r
    return r


def broadcast_shapes(*shapes):
    out = ()
    for s in shapes:
        out = broadcast_shape(out, tuple(s))
    return out


def scalar_tensor(value, np_dtype, like):
    """A 0-d tensor holding ``value`` on the device of array ``like``."""
    if type(like) is np.ndarray:
        try:
            return Tensor._make(np.array(value, dtype=np_dtype))
        except OverflowError:  # an out-of-range Python int wraps around, as in PyTorch
            return Tensor._make(np.array(value).astype(np_dtype))
    xp = array_module(like)
    return Tensor._make(xp.asarray(value, dtype=np_dtype))


def needs_grad(ctx, i):
    """Whether input ``i`` of the node ``ctx`` wants a gradient (skip work for the others)."""
    return ctx.edges[i] is not None


def check_tensor(x, op, arg="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument '{arg}' (position 1) must be Tensor, not {type(x).__name__}")
    return x
