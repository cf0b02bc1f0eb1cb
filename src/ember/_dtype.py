"""dtypes and PyTorch's type-promotion rules.

A dtype wraps a NumPy dtype. Promotion follows PyTorch, not NumPy: the *category* (bool < integer < floating)
decides first, so int64 + float16 is float16 (NumPy says float64), and Python scalars only raise the category
(an int tensor times 2.5 gives the default float dtype, a float32 tensor times 2.5 stays float32).
"""
import numpy as np

__all__ = ["dtype", "get_default_dtype", "set_default_dtype", "result_type", "promote_types"]

BOOL, INT, FLOAT = 0, 1, 2


class dtype:
    __slots__ = ("name", "np", "category", "itemsize", "is_signed")

    def __init__(self, name, np_dtype, category):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category
        self.itemsize = self.np.itemsize
        self.is_signed = category == FLOAT or (category == INT and self.np.kind == "i")

    @property
    def is_floating_point(self):
        return self.category == FLOAT

    @property
    def is_complex(self):
        return False

    def __repr__(self):
        return "ember." + self.name

    def __reduce__(self):  # pickling (DataLoader workers) keeps the singletons
        return (_by_name, (self.name,))


float16 = dtype("float16", np.float16, FLOAT)
float32 = dtype("float32", np.float32, FLOAT)
float64 = dtype("float64", np.float64, FLOAT)
int8 = dtype("int8", np.int8, INT)
int16 = dtype("int16", np.int16, INT)
int32 = dtype("int32", np.int32, INT)
int64 = dtype("int64", np.int64, INT)
uint8 = dtype("uint8", np.uint8, INT)
bool_ = dtype("bool", np.bool_, BOOL)

ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool_)
ALIASES = {"half": float16, "float": float32, "double": float64, "short": int16, "int": int32,
           "long": int64, "bool": bool_}
_BY_NAME = {d.name: d for d in ALL}
_FROM_NP = {d.np: d for d in ALL}


def _by_name(name):
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype):
    """The ember dtype of a NumPy dtype; TypeError for the ones ember has no twin of."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        pass
    np_dtype = np.dtype(np_dtype)
    if np_dtype in _FROM_NP:
        return _FROM_NP[np_dtype]
    if np_dtype.kind == "u":  # PyTorch has uint16/32/64 only as limited types; widen to int64
        return int64
    raise TypeError(f"can't convert np.ndarray of type {np_dtype}. The only supported types are: "
                    "float64, float32, float16, int64, int32, int16, int8, uint8, and bool.")


def to_dtype(obj):
    """Accept an ember dtype, a NumPy dtype, a Python type or a name; return an ember dtype."""
    if isinstance(obj, dtype):
        return obj
    if obj is float:
        return _default[0]
    if obj is int:
        return int64
    if obj is bool:
        return bool_
    if isinstance(obj, str):
        name = obj[len("torch."):] if obj.startswith("torch.") else obj
        name = name[len("ember."):] if name.startswith("ember.") else name
        if name in _BY_NAME:
            return _BY_NAME[name]
        if name in ALIASES:
            return ALIASES[name]
        raise TypeError(f"invalid dtype: {obj!r}")
    if hasattr(obj, "name") and type(obj).__module__.startswith("torch"):  # a torch.dtype
        return to_dtype(str(obj))
    try:
        return from_numpy_dtype(np.dtype(obj))
    except TypeError:
        raise TypeError(f"invalid dtype: {obj!r}") from None


_default = [float32]


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    d = to_dtype(d)
    if d.category != FLOAT:
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d


_promote_cache = {}


def promote_types(a, b):
    """PyTorch's promote_types for two ember dtypes."""
    if a is b:
        return a
    key = (a, b)
    r = _promote_cache.get(key)
    if r is None:
        if a.category != b.category:
            r = a if a.category > b.category else b
        else:
            r = _FROM_NP[np.promote_types(a.np, b.np)]
        _promote_cache[key] = r
    return r


def scalar_category(v):
    if isinstance(v, (bool, np.bool_)):
        return BOOL
    if isinstance(v, (int, np.integer)):
        return INT
    if isinstance(v, (float, np.floating)):
        return FLOAT
    if isinstance(v, complex):
        raise TypeError("ember has no complex dtypes")
    raise TypeError(f"expected a number, got {type(v).__name__}")


def default_for_category(cat):
    return (bool_, int64, _default[0])[cat]


def result_type(*operands):
    """PyTorch's torch.result_type over tensors and Python scalars.

    Three tiers, each only able to *raise the category* of the tiers above it: tensors with dimensions, then
    0-d tensors, then Python numbers (which contribute the default dtype of their category).
    """
    from ._tensor import Tensor
    dim = zero = None
    scal = -1
    for o in operands:
        if isinstance(o, Tensor):
            d = o.dtype
            if o._data.ndim:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        else:
            scal = max(scal, scalar_category(o))
    r = dim
    if zero is not None and (r is None or zero.category > r.category):
        r = zero
    if scal >= 0 and (r is None or scal > r.category):
        r = default_for_category(scal)
    return r
