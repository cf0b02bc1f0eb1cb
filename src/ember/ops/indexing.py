"""Indexing: ``Tensor.__getitem__``/``__setitem__``, gather/scatter, index_select/add/copy/fill/put, masked ops,
nonzero, take.

A key is applied in two stages, as PyTorch does: the *basic* part (ints, slices, None, Ellipsis, Python bools)
first, as a view (``Slice``, sharing storage and the version counter); then the *advanced* part (integer
tensors/lists/arrays and bool masks) on that view, as a copy (``Index``), with NumPy's rule for where the
advanced dims go (adjacent advanced indices stay in place, separated ones move to the front). Integers are basic
here, unlike in NumPy: ``x[:, 0, :, idx]`` selects first, then indexes.

The gradient of ``Index`` scatters into zeros with repeated indices summed (``IndexBackward``), whose own
gradient is ``Index`` again, so double backward works. Writes (``x[k] = v``, scatter, index_add, ...) are one
out-of-place op, ``IndexPut``, written back in place through ``Tensor._apply_inplace`` when autograd records,
and straight into the array when it does not.
"""
import operator
import warnings

import numpy as np

from .._tensor import Tensor
from .._config import grad_enabled as _grad_enabled
from ..autograd.function import Op
from ..backend import array_module, index_add_at
from ._util import export, method, inplace_of, wrap_dim, broadcast_shape, scalar_tensor, check_tensor
from .shape import Slice, _np_key, reshape, expand
from .elementwise import _cast, sum_to, where, _maybe_out

_FULL = slice(None)
_INDEX_TYPES = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
                "indices (got {})")


# ---------------------------------------------------------------------------------------------- the two ops
class Index(Op):
    """``x[key]`` for a key holding index arrays (a copy)."""
    save_inputs = ()

    def forward(ctx, x, key):
        ctx.in_shape = x.shape
        ctx.key = key
        try:
            return x[key]
        except IndexError as e:
            raise IndexError(str(e).replace("axis", "dimension")) from None

    def backward(ctx, g):
        return IndexBackward.apply(g, key=ctx.key, shape=ctx.in_shape)


def _has_int_array(key):
    for k in key:
        if not isinstance(k, (slice, type(None), type(Ellipsis))) and k.dtype.kind in "iu":
            return True
    return False


class IndexBackward(Op):
    """Zeros of ``shape`` with ``g`` added at ``key`` (repeated indices sum)."""
    save_inputs = ()

    def forward(ctx, g, key, shape):
        ctx.key = key
        out = array_module(g).zeros(shape, dtype=g.dtype)
        if _has_int_array(key):
            index_add_at(out, key, g)
        else:
            out[key] = g
        return out

    def backward(ctx, gg):
        return Index.apply(gg, key=ctx.key)


class IndexPut(Op):
    """``out = x.copy(); out[basic][key] = v`` (or ``+=`` with repeats summed when ``accumulate``)."""
    save_inputs = ()

    def forward(ctx, x, v, basic, key, accumulate):
        ctx.args = (basic, key, accumulate)
        ctx.v_shape = v.shape
        out = x.copy()
        tgt = out[basic] if basic is not None else out
        if key is None:
            key = (Ellipsis,)
        try:
            if accumulate:
                res_shape = tgt[key].shape
                vb = array_module(x).broadcast_to(v, res_shape) if v.shape != res_shape else v
                index_add_at(tgt, key, vb)
            else:
                tgt[key] = v
        except ValueError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(v.shape)} cannot be broadcast to "
                               f"indexing result of shape {list(tgt[key].shape)}") from None
        except IndexError as e:
            raise IndexError(str(e).replace("axis", "dimension")) from None
        return out

    def backward(ctx, g):
        basic, key, accumulate = ctx.args
        e = ctx.edges
        gx = gv = None
        if e[0] is not None:
            if accumulate:
                gx = g
            else:
                zero = Tensor._make(array_module(g._data).zeros((), dtype=g._data.dtype))
                gx = IndexPut.apply(g, zero, basic=basic, key=key, accumulate=False)
        if e[1] is not None:
            gv = _apply_key(g, basic, key)
            vs = ctx.v_shape
            if gv._data.shape != vs:
                gv = reshape(sum_to(gv, _strip_ones(vs, gv._data.ndim)), vs)
        return gx, gv


def _strip_ones(shape, nd):
    """``shape`` without leading size-1 dims beyond ``nd`` dims (NumPy lets a value carry them)."""
    while len(shape) > nd and shape[0] == 1:
        shape = shape[1:]
    return shape


def _apply_key(x, basic, key):
    if basic is not None:
        x = Slice.apply(x, key=basic)
    if key is not None:
        x = Index.apply(x, key=key)
    return x


# ---------------------------------------------------------------------------------------------- key parsing
def _as_index_array(k, xp):
    """An index given as a Tensor, list or NumPy array: an int64/bool array on ``xp``'s device, or an int."""
    if isinstance(k, Tensor):
        a = k._data
    else:
        try:
            a = np.asarray(k)
        except (ValueError, TypeError):
            raise IndexError(_INDEX_TYPES.format(type(k).__name__)) from None
        if a.dtype == object:
            raise IndexError(_INDEX_TYPES.format(type(k).__name__))
        if a.size == 0 and a.dtype.kind == "f":
            a = a.astype(np.int64)
    kind = a.dtype.kind
    if kind == "b" or a.dtype == np.uint8:
        if a.ndim == 0:
            return bool(a)
        a = a.astype(bool, copy=False)
    elif kind in "iu":
        if a.ndim == 0 and isinstance(k, Tensor):
            return int(a)
    else:
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if xp is not np and type(a) is np.ndarray:
        a = xp.asarray(a)
    return a


def _seq_as_tuple(k):
    """PyTorch (like old NumPy) reads a list holding slices, None, Ellipsis, tensors or lists as a tuple."""
    for e in k:
        if e is None or e is Ellipsis or isinstance(e, (slice, Tensor, list, tuple)):
            return True
    return False


def _parse(x, key):
    """Split ``key`` into a basic key (a view; None when trivial) and an advanced key (None when absent)."""
    shape = x._data.shape
    nd = len(shape)
    if type(key) is not tuple:
        if isinstance(key, list) and _seq_as_tuple(key):
            warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated and will be "
                          "changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be "
                          "interpreted as tensor index, x[torch.tensor(seq)], which will result either in an error "
                          "or a different result", UserWarning, stacklevel=3)
            key = tuple(key)
        else:
            key = (key,)
    xp = array_module(x._data)
    items = []
    consumed = 0
    for k in key:
        tk = type(k)
        if tk is int:
            items.append(k)
            consumed += 1
        elif tk is slice:
            if k.step is not None and int(k.step) <= 0:
                raise ValueError("step must be greater than zero" if int(k.step) else "slice step cannot be zero")
            if nd == 0:
                raise IndexError("slice() cannot be applied to a 0-dim tensor.")
            items.append(k)
            consumed += 1
        elif k is None or k is Ellipsis:
            items.append(k)
        elif tk is bool or tk is np.bool_:
            items.append(bool(k))
        elif isinstance(k, (int, np.integer)):
            items.append(int(k))
            consumed += 1
        elif isinstance(k, (Tensor, list, tuple, np.ndarray)):
            a = _as_index_array(k, xp)
            if type(a) is bool:
                items.append(a)
            elif type(a) is int:
                items.append(a)
                consumed += 1
            else:
                items.append(a)
                consumed += a.ndim if a.dtype == np.bool_ else 1
        elif tk is str:
            raise TypeError("new(): invalid data type 'str'")
        else:
            try:
                items.append(operator.index(k))
            except TypeError:
                raise IndexError(_INDEX_TYPES.format(type(k).__name__)) from None
            consumed += 1
    if consumed > nd:
        if nd == 0 and any(type(i) is int for i in items):
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` "
                             "in C++ to convert a 0-dim tensor to a number")
        raise IndexError(f"too many indices for tensor of dimension {nd}")
    basic, adv = [], []
    any_adv = trivial = False
    trivial = True
    d = 0
    seen_ellipsis = False
    for it in items:
        ti = type(it)
        if ti is int:
            size = shape[d]
            if it < -size or it >= size:
                raise IndexError(f"index {it} is out of bounds for dimension {d} with size {size}")
            basic.append(it)
            trivial = False
            d += 1
        elif ti is slice:
            if nd == 0:
                raise IndexError("slice() cannot be applied to a 0-dim tensor.")
            basic.append(it)
            adv.append(_FULL)
            if it != _FULL:
                trivial = False
            d += 1
        elif it is None:
            basic.append(None)
            adv.append(_FULL)
            trivial = False
        elif it is Ellipsis:
            n = 0 if seen_ellipsis else nd - consumed
            seen_ellipsis = True
            basic.extend([_FULL] * n)
            adv.extend([_FULL] * n)
            d += n
        elif ti is bool:
            basic.append(None)
            adv.append(_FULL if it else slice(0, 0))
            trivial = False
            if not it:
                any_adv = True
        elif it.dtype == np.bool_:
            k = it.ndim
            for j in range(k):
                if it.shape[j] != shape[d + j]:
                    raise IndexError(f"The shape of the mask {list(it.shape)} at index {j} does not match the shape "
                                     f"of the indexed tensor {list(shape)} at index {d + j}")
            basic.extend([_FULL] * k)
            adv.append(it)
            any_adv = True
            d += k
        else:
            if xp is not np and it.size:
                size = shape[d]
                if bool(((it < -size) | (it >= size)).any()):
                    bad = int(it[(it < -size) | (it >= size)][0])
                    raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {size}")
            basic.append(_FULL)
            adv.append(it)
            any_adv = True
            d += 1
    return (None if trivial else _np_key(tuple(basic))), (tuple(adv) if any_adv else None)


# ---------------------------------------------------------------------------------------------- __getitem__
def _getitem(self, key):
    tk = type(key)
    if tk is int:            # fast paths: x[i], x[a:b]
        shape = self._data.shape
        if shape:
            n = shape[0]
            if -n <= key < n:
                return Slice.apply(self, key=(key, Ellipsis))
    elif tk is slice and self._data.ndim and (key.step is None or (type(key.step) is int and key.step > 0)):
        return Slice.apply(self, key=(key, Ellipsis))
    basic, adv = _parse(self, key)
    if basic is None and adv is None:
        return Slice.apply(self, key=(Ellipsis,))
    return _apply_key(self, basic, adv)


Tensor.__getitem__ = _getitem


# ---------------------------------------------------------------------------------------------- __setitem__
def _value_tensor(value, like, op="index_put"):
    if isinstance(value, Tensor):
        if value._data.dtype != like._data.dtype:
            value = _cast(value, like.dtype)
        return value
    if not isinstance(value, (int, float, bool, np.number, np.bool_)):
        try:
            from .creation import tensor as _tensor
            return _tensor(value, dtype=like.dtype, device=like.device)
        except Exception:
            raise TypeError(f"can't assign a {type(value).__name__} to a {like.type()}") from None
    return scalar_tensor(value, like._data.dtype, like._data)


def _put_inplace(self, basic, key, value, accumulate=False):
    """``self[basic][key] = value`` (or ``+=``): recorded through ``_apply_inplace`` when autograd needs it,
    written straight into the array otherwise."""
    if _grad_enabled[0] and (self._requires_grad or (isinstance(value, Tensor) and value._requires_grad)):
        v = _value_tensor(value, self)
        return self._apply_inplace(_index_put_fn, v, basic=basic, key=key, accumulate=accumulate)
    tgt = self._data[basic] if basic is not None else self._data
    if key is None:
        key = (Ellipsis,)
    v = value._data if isinstance(value, Tensor) else value
    if isinstance(value, Tensor) and type(v) is not type(tgt):
        from ..backend import to_device
        v = to_device(v, self.device)
    try:
        if accumulate:
            res_shape = tgt[key].shape
            v = array_module(tgt).asarray(v, dtype=tgt.dtype)
            index_add_at(tgt, key, array_module(tgt).broadcast_to(v, res_shape) if v.shape != res_shape else v)
        else:
            tgt[key] = v
    except ValueError as e:
        vs = list(np.shape(v))
        if "read-only" in str(e):
            raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                               "single memory location. Please clone() the tensor before performing the "
                               "operation.") from None
        raise RuntimeError(f"shape mismatch: value tensor of shape {vs} cannot be broadcast to indexing result of "
                           f"shape {list(tgt[key].shape)}") from None
    except IndexError as e:
        raise IndexError(str(e).replace("axis", "dimension")) from None
    except TypeError:
        raise TypeError(f"can't assign a {type(value).__name__} to a {self.type()}") from None
    self._version[0] += 1
    return self


def _index_put_fn(x, v, basic, key, accumulate):
    return IndexPut.apply(x, v, basic=basic, key=key, accumulate=accumulate)


def _setitem(self, key, value):
    if type(key) is int and self._data.ndim and -self._data.shape[0] <= key < self._data.shape[0]:
        basic, adv = (key, Ellipsis), None
    else:
        basic, adv = _parse(self, key)
        if adv is not None and isinstance(value, Tensor) and value._data.dtype != self._data.dtype and not (
                value._data.ndim == 0 and not _has_int_array(adv)):
            raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                               f"{_TYPE_NAMES[self.dtype.name]} for the destination and "
                               f"{_TYPE_NAMES[value.dtype.name]} for the source.")
    _put_inplace(self, basic, adv, value)


_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
               "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


Tensor.__setitem__ = _setitem


# ---------------------------------------------------------------------------------------------- index_put
def _indices_key(x, indices, op):
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{op}(): argument 'indices' must be tuple of Tensors, not {type(indices).__name__}")
    for j, i in enumerate(indices):
        if not isinstance(i, Tensor):
            raise TypeError(f"expected Tensor as element {j} in argument 0, but got {type(i).__name__}")
    return _parse(x, tuple(indices))


@export("index_put")
def index_put(input, indices, values, accumulate=False):
    check_tensor(input, "index_put")
    basic, key = _indices_key(input, indices, "index_put")
    v = _value_tensor(values, input)
    return IndexPut.apply(input, v, basic=basic, key=key, accumulate=bool(accumulate))


@method("index_put_")
def index_put_(self, indices, values, accumulate=False):
    basic, key = _indices_key(self, indices, "index_put_")
    return _put_inplace(self, basic, key, values, bool(accumulate))


# ---------------------------------------------------------------------------------------------- index_* along a dim
def _dim_index(input, dim, index, op):
    nd = input._data.ndim
    d = wrap_dim(dim, nd, op)
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' (position 3) must be Tensor, not {type(index).__name__}")
    idx = index._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int32 or int64 for index")
    if idx.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    idx = idx.reshape(-1)
    size = input._data.shape[d] if nd else 1
    if idx.size:
        lo = -size if op == "index_fill" else 0       # only index_fill wraps negative indices
        bad_mask = (idx < lo) | (idx >= size)
        if bool(bad_mask.any()):
            bad = int(idx[bad_mask][0])
            if op == "index_select":
                if bad < 0:
                    raise RuntimeError(f"INDICES element is out of DATA bounds, id={bad} axis_dim={size}")
                raise IndexError("index out of range in self")
            msg = f"index {bad} is out of bounds for dimension {d} with size {size}"
            if op == "index_add":
                if nd <= 1 and bad >= 0:
                    raise IndexError("index out of range in self")
                raise RuntimeError(msg)
            if op == "index_copy":
                raise IndexError(f"index_copy_(): {msg}")
            raise IndexError(msg)
    return d, idx


def _dim_key(d, idx, nd):
    return (_FULL,) * d + (idx,) if nd else (idx,)


@export("index_select")
def index_select(input, dim, index, *, out=None):
    check_tensor(input, "index_select")
    d, idx = _dim_index(input, dim, index, "index_select")
    x = input if input._data.ndim else reshape(input, (1,))
    r = Index.apply(x, key=_dim_key(d, idx, 1))
    if input._data.ndim == 0:
        r = reshape(r, ())
    return _maybe_out(r, out)


def _check_source(input, d, idx, source, op):
    if not isinstance(source, Tensor):
        raise TypeError(f"{op}(): argument 'source' (position 4) must be Tensor, not {type(source).__name__}")
    s, ss = input._data.shape, source._data.shape
    exp = s[:d] + (idx.size,) + s[d + 1:] if s else (idx.size,) if ss else ()
    if ss != exp and not (len(ss) == 0 and idx.size == 1 and len(s) <= 1):
        if op == "index_copy":
            raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice shapes. Destination "
                               f"slice shape: {_shape_str(s[:d] + s[d + 1:])} at dimension {d} and source slice "
                               f"shape: {_shape_str(ss[:d] + ss[d + 1:])} at dimension 0.")
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(s)} source.shape = {list(ss)}")
    if source._data.dtype != input._data.dtype:
        if op == "index_copy":
            raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                               f"{_TYPE_NAMES[input.dtype.name]} and (source) {_TYPE_NAMES[source.dtype.name]}")
        raise RuntimeError(f"{op}_(): self ({_TYPE_NAMES[input.dtype.name]}) and source "
                           f"({_TYPE_NAMES[source.dtype.name]}) must have the same scalar type")


def _shape_str(shape):
    return " ".join(str(v) for v in shape) if len(shape) != 1 else str(shape[0])


def _put_along(input, key, v, accumulate):
    x = input if input._data.ndim else reshape(input, (1,))
    if v._data.ndim != x._data.ndim and v._data.ndim == 0:
        v = reshape(v, (1,))
    r = IndexPut.apply(x, v, basic=None, key=key, accumulate=accumulate)
    return reshape(r, ()) if input._data.ndim == 0 else r


@export("index_add")
def index_add(input, dim, index, source, *, alpha=1):
    check_tensor(input, "index_add")
    d, idx = _dim_index(input, dim, index, "index_add")
    _check_source(input, d, idx, source, "index_add")
    if alpha != 1:
        source = source * alpha
    return _put_along(input, _dim_key(d, idx, 1), source, True)


@export("index_copy")
def index_copy(input, dim, index, source):
    check_tensor(input, "index_copy")
    d, idx = _dim_index(input, dim, index, "index_copy")
    _check_source(input, d, idx, source, "index_copy")
    return _put_along(input, _dim_key(d, idx, 1), source, False)


@export("index_fill")
def index_fill(input, dim, index, value):
    check_tensor(input, "index_fill")
    d, idx = _dim_index(input, dim, index, "index_fill")
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._data.ndim} dimension(s).")
    v = _value_tensor(value, input)
    x = input if input._data.ndim else reshape(input, (1,))
    r = IndexPut.apply(x, v, basic=None, key=_dim_key(d, idx, 1), accumulate=False)
    return reshape(r, ()) if input._data.ndim == 0 else r


Tensor.index_add_ = inplace_of(index_add)
Tensor.index_copy_ = inplace_of(index_copy)
Tensor.index_fill_ = inplace_of(index_fill)


# ---------------------------------------------------------------------------------------------- gather / scatter
def _coords(idx, dim):
    """Index arrays that pick ``x[i0, .., idx[i0, ..], ..]`` for every position of ``idx``."""
    xp = array_module(idx)
    nd = idx.ndim
    out = []
    for d in range(nd):
        if d == dim:
            out.append(idx)
        else:
            shape = [1] * nd
            shape[d] = idx.shape[d]
            out.append(xp.arange(idx.shape[d]).reshape(shape))
    return tuple(out)


def _check_gather_index(input, dim, index, op, src=None):
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' (position 3) must be Tensor, not {type(index).__name__}")
    nd = input._data.ndim
    d = wrap_dim(dim, nd, op)
    idx = index._data
    if idx.dtype.kind not in "iu" or idx.dtype.itemsize < 4:
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index")
    ind = max(idx.ndim, 1)
    if max(nd, 1) != ind and idx.size:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor" if op == "gather"
                           else "Index tensor must have the same number of dimensions as self tensor")
    s = input._data.shape if nd else (1,)
    i_s = idx.shape if idx.ndim else (1,)
    if idx.size:
        for k in range(len(i_s)):
            if k != d and i_s[k] > s[k]:
                raise RuntimeError(f"Size does not match at dimension {k} expected index {list(idx.shape)} to be no "
                                   f"larger than self {list(input._data.shape)} apart from dimension {d}")
            if src is not None and i_s[k] > (src._data.shape[k] if src._data.ndim else 1):
                raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self "
                                   f"{list(input._data.shape)} apart from dimension {d} and to be no larger size "
                                   f"than src {list(src._data.shape)}")
        size = s[d]
        if bool(((idx < 0) | (idx >= size)).any()):
            bad = int(idx[(idx < 0) | (idx >= size)][0])
            raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {size}")
    return d, idx.reshape(i_s)


@export("gather")
def gather(input, dim, index, *, sparse_grad=False, out=None):
    check_tensor(input, "gather")
    d, idx = _check_gather_index(input, dim, index, "gather")
    x = input if input._data.ndim else reshape(input, (1,))
    r = Index.apply(x, key=_coords(idx, d))
    if index._data.ndim == 0:
        r = reshape(r, ())
    return _maybe_out(r, out)


def _src_part(src, shape):
    """``src`` cut to ``shape`` in every dim (scatter reads only the part the index covers)."""
    if src._data.ndim == 0:
        src = reshape(src, (1,) * len(shape))
    if src._data.shape == shape:
        return src
    return Slice.apply(src, key=tuple(slice(0, n) for n in shape) + (Ellipsis,))


def _scatter(input, dim, index, src, value, reduce, op, accumulate=False):
    check_tensor(input, op)
    if src is None and value is None:
        raise TypeError(f"{op}() missing required argument 'src' or 'value'")
    if isinstance(src, Tensor):
        d, idx = _check_gather_index(input, dim, index, op, src)
        if src._data.dtype != input._data.dtype:
            raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype")
    else:
        if src is not None:
            value = src
        d, idx = _check_gather_index(input, dim, index, op)
    if reduce is not None:
        if isinstance(src, Tensor):
            warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in "
                          "a future PyTorch release. Use torch.scatter_reduce instead for more reduction options.",
                          UserWarning, stacklevel=3)
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        return scatter_reduce(input, d, index, src if isinstance(src, Tensor) else
                              full_like_idx(input, idx, value), "sum" if reduce == "add" else "prod")
    x = input if input._data.ndim else reshape(input, (1,))
    if isinstance(src, Tensor):
        v = _src_part(src, idx.shape)
    else:
        v = _value_tensor(value, input)
    r = IndexPut.apply(x, v, basic=None, key=_coords(idx, d), accumulate=accumulate)
    return reshape(r, ()) if input._data.ndim == 0 else r


def full_like_idx(input, idx, value):
    xp = array_module(idx)
    return Tensor._make(xp.full(idx.shape, value, dtype=input._data.dtype))


@export("scatter")
def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    return _scatter(input, dim, index, src, value, reduce, "scatter")


@export("scatter_add")
def scatter_add(input, dim, index, src):
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' (position 4) must be Tensor, not {type(src).__name__}")
    return _scatter(input, dim, index, src, None, None, "scatter_add", accumulate=True)


class ScatterReduce(Op):
    save_inputs = (0, 1)
    save_output = True

    def forward(ctx, x, src, coords, reduce, include_self):
        ctx.coords, ctx.reduce, ctx.include_self = coords, reduce, include_self
        xp = array_module(x)
        out = x.copy()
        if not include_self:
            if reduce in ("sum", "mean"):
                ident = 0
            elif reduce == "prod":
                ident = 1
            elif x.dtype.kind == "f":
                ident = -np.inf if reduce == "amax" else np.inf
            else:
                info = np.iinfo(x.dtype) if x.dtype.kind in "iu" else None
                ident = (info.min if reduce == "amax" else info.max) if info else (reduce == "amin")
            out[coords] = ident
        uf = {"sum": xp.add, "mean": xp.add, "prod": xp.multiply, "amax": xp.maximum, "amin": xp.minimum}[reduce]
        if reduce in ("sum", "mean"):
            index_add_at(out, coords, src)
        else:
            uf.at(out, coords, src)
        if reduce == "mean":
            cnt = xp.full(x.shape, 1 if include_self else 0, dtype=np.int64)
            index_add_at(cnt, coords, xp.ones(src.shape, dtype=np.int64))
            ctx.cnt = cnt
            safe = xp.maximum(cnt, 1)
            out = out / safe if x.dtype.kind == "f" else (out // safe).astype(x.dtype)
            out = out.astype(x.dtype, copy=False)
        return out

    def backward(ctx, g):
        x, src = ctx.inputs
        coords, red, inc = ctx.coords, ctx.reduce, ctx.include_self
        e = ctx.edges
        xp = array_module(g._data)
        touched = xp.zeros(x._data.shape, dtype=bool)
        touched[coords] = True
        keep_x = Tensor._make(~touched) if not inc else None
        gx = gs = None
        if red == "sum":
            gx, gs_full = g, g
        elif red == "mean":
            cnt = Tensor._make(xp.maximum(ctx.cnt, 1).astype(g._data.dtype))
            gx = gs_full = g / cnt
        elif red == "prod":
            r = ctx.output()
            gs_full = g * r
            gx = gs_full / x if inc else g
            gs = Index.apply(gs_full, key=coords) / src
        else:
            r = ctx.output()
            mx = (x == r) if inc else Tensor._make(~touched)
            ms = src == Index.apply(r, key=coords)
            count = mx.to(g.dtype) + IndexBackward.apply(ms.to(g.dtype), key=coords, shape=x._data.shape)
            gw = g / where(count > 0, count, count * 0 + 1)
            gx = gw * mx.to(g.dtype)
            gs = Index.apply(gw, key=coords) * ms.to(g.dtype)
        if gs is None:
            gs = Index.apply(gs_full, key=coords)
        if keep_x is not None and red not in ("amax", "amin"):
            gx = where(keep_x, gx, gx * 0)
        return (gx if e[0] is not None else None), (gs if e[1] is not None else None)


@export("scatter_reduce")
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    check_tensor(input, "scatter_reduce")
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce(): argument 'src' (position 4) must be Tensor, not {type(src).__name__}")
    d, idx = _check_gather_index(input, dim, index, "scatter_reduce", src)
    if src._data.dtype != input._data.dtype:
        raise RuntimeError("scatter_reduce(): Expected self.dtype to be equal to src.dtype")
    x = input if input._data.ndim else reshape(input, (1,))
    v = _src_part(src, idx.shape)
    r = ScatterReduce.apply(x, v, coords=_coords(idx, d), reduce=reduce, include_self=bool(include_self))
    return reshape(r, ()) if input._data.ndim == 0 else r


Tensor.scatter_ = inplace_of(scatter)
Tensor.scatter_add_ = inplace_of(scatter_add)
Tensor.scatter_reduce_ = inplace_of(scatter_reduce)


# ---------------------------------------------------------------------------------------------- masked ops
def _check_mask(mask, op):
    if not isinstance(mask, Tensor):
        raise TypeError(f"{op}(): argument 'mask' (position 2) must be Tensor, not {type(mask).__name__}")
    if mask._data.dtype != np.bool_:
        if op == "masked_select":
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        raise RuntimeError(f"{op}_ only supports boolean masks, but got mask with dtype {mask.dtype.name}"
                           if op == "masked_fill" else f"{op}_: expected BoolTensor for mask")


@export("masked_fill")
def masked_fill(input, mask, value):
    check_tensor(input, "masked_fill")
    _check_mask(mask, "masked_fill")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
    elif not isinstance(value, (int, float, bool, np.number, np.bool_)):
        raise TypeError(f"masked_fill(): argument 'value' (position 2) must be Number, not {type(value).__name__}")
    broadcast_shape(input._data.shape, mask._data.shape)
    v = _value_tensor(value, input)
    from .elementwise import Where
    return Where.apply(mask, v, input)


Tensor.masked_fill_ = inplace_of(masked_fill)


@export("masked_select")
def masked_select(input, mask, *, out=None):
    check_tensor(input, "masked_select")
    _check_mask(mask, "masked_select")
    shape = broadcast_shape(input._data.shape, mask._data.shape)
    x = expand(input, shape) if input._data.shape != shape else input
    m = mask._data
    if m.shape != shape:
        m = array_module(m).broadcast_to(m, shape)
    if not shape:
        x, m = reshape(x, (1,)), m.reshape(1)
    return _maybe_out(Index.apply(x, key=(m,)), out)


@export("masked_scatter")
def masked_scatter(input, mask, source):
    check_tensor(input, "masked_scatter")
    _check_mask(mask, "masked_scatter")
    if not isinstance(source, Tensor):
        raise TypeError(f"masked_scatter(): argument 'source' (position 3) must be Tensor, not "
                        f"{type(source).__name__}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"masked_scatter_: expected self and source to have same dtypes but got "
                           f"{input.dtype.name.capitalize()} and {source.dtype.name.capitalize()}")
    shape = broadcast_shape(input._data.shape, mask._data.shape)
    x = expand(input, shape) if input._data.shape != shape else input
    xp = array_module(mask._data)
    m = mask._data if mask._data.shape == shape else xp.broadcast_to(mask._data, shape)
    if not shape:
        x, m = reshape(x, (1,)), m.reshape(1)
    n = int(m.sum())
    if n > source._data.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    v = Slice.apply(reshape(source, (-1,)), key=(slice(0, n),))
    r = IndexPut.apply(x, v, basic=None, key=(m,), accumulate=False)
    return reshape(r, ()) if not shape else r


Tensor.masked_scatter_ = inplace_of(masked_scatter)


# ---------------------------------------------------------------------------------------------- nonzero, take
@export("nonzero")
def nonzero(input, *, out=None, as_tuple=False):
    check_tensor(input, "nonzero")
    a = input._data
    xp = array_module(a)
    if a.ndim == 0:
        hit = bool(a)
        if as_tuple:
            return (Tensor._make(xp.zeros((1 if hit else 0,), dtype=np.int64)),)
        return Tensor._make(xp.zeros((1 if hit else 0, 0), dtype=np.int64))
    nz = xp.nonzero(a)
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64, copy=False)) for i in nz)
    return _maybe_out(Tensor._make(xp.stack(nz, axis=1).astype(np.int64, copy=False)), out)


@export("argwhere")
def argwhere(input):
    return nonzero(input)


@export("take")
def take(input, index):
    check_tensor(input, "take")
    if not isinstance(index, Tensor):
        raise TypeError(f"take(): argument 'index' (position 2) must be Tensor, not {type(index).__name__}")
    idx = index._data
    if idx.dtype != np.int64:
        raise RuntimeError("take(): Expected a long tensor for index, but got " + index.dtype.name.capitalize())
    n = input._data.size
    if idx.size and bool(((idx < -n) | (idx >= n)).any()):
        bad = int(idx[(idx < -n) | (idx >= n)][0])
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return Index.apply(reshape(input, (-1,)), key=(idx,))


@export("take_along_dim")
def take_along_dim(input, indices, dim=None, *, out=None):
    check_tensor(input, "take_along_dim")
    if not isinstance(indices, Tensor) or indices._data.dtype != np.int64:
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{indices.dtype.name.capitalize() if isinstance(indices, Tensor) else 'non-Tensor'}")
    if dim is None:
        return _maybe_out(gather(reshape(input, (-1,)), 0, reshape(indices, (-1,))), out)
    nd = input._data.ndim
    if nd != indices._data.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {nd} dimensions for input, and {indices._data.ndim} dimensions for indices")
    d = wrap_dim(dim, nd, "take_along_dim")
    si, sx = list(indices._data.shape), list(input._data.shape)
    si[d] = sx[d] = 1
    b = broadcast_shape(tuple(sx), tuple(si))
    xs = b[:d] + (input._data.shape[d],) + b[d + 1:]
    is_ = b[:d] + (indices._data.shape[d],) + b[d + 1:]
    x = expand(input, xs) if xs != input._data.shape else input
    idx = expand(indices, is_) if is_ != indices._data.shape else indices
    return _maybe_out(gather(x, d, idx), out)
