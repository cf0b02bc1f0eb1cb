"""Creating tensors: ``tensor``, ``as_tensor``, ``from_numpy``, ``zeros``/``ones``/``full``/``empty`` (and
``_like``), ``arange``, ``linspace``, ``logspace``, ``eye``, ``zeros_``/``fill_``, and moving between devices."""
import math
import warnings

import numpy as np

from .._tensor import Tensor
from .._dtype import get_default_dtype, to_dtype, from_numpy_dtype, promote_types, int64, bool_, FLOAT
from ..autograd.function import Op
from .._config import grad_enabled as _grad_enabled
from ..backend import module_for, device as _device, to_device, CPU, array_module
from ._util import export, method
from .shape import _shape_arg


def _device_arg(device):
    return CPU if device is None else _device(device)


def _finish(arr, dtype, device, requires_grad):
    """Put ``arr`` on ``device``, wrap it, and honour ``requires_grad``."""
    if device is not None and _device(device).type != "cpu":
        arr = to_device(arr, device)
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_dtype(obj):
    """PyTorch's dtype inference for Python data: the promotion of every element's type, where a Python bool,
    int and float count as bool, int64 and the default float dtype, and NumPy scalars, arrays and tensors as
    their own dtype (``[1, np.int8(2)]`` is int64, ``[True, np.int8(1)]`` int8, ``[np.int32(3), 2.5]`` float)."""
    default = get_default_dtype()
    py = (bool_, int64, default)
    if type(obj) is float:
        return default
    result = None
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, (list, tuple)):
            stack.extend(o)
            continue
        if isinstance(o, (np.ndarray, np.generic)):   # before float: np.float64 is a float subclass
            d = from_numpy_dtype(o.dtype)
        elif isinstance(o, bool):
            d = bool_
        elif isinstance(o, int):
            d = int64
        elif isinstance(o, float):
            d = default
        elif isinstance(o, Tensor):
            d = o.dtype
        elif isinstance(o, complex):
            raise TypeError("ember has no complex dtypes")
        elif isinstance(o, (str, bytes)):
            raise TypeError(f"new(): invalid data type '{type(o).__name__}'")
        else:
            raise RuntimeError(f"Could not infer dtype of {type(o).__name__}")
        result = d if result is None else promote_types(result, d)
    return py[2] if result is None else result


def _to_nested(obj):
    if isinstance(obj, Tensor):
        return obj.detach().cpu()._data
    if isinstance(obj, (list, tuple)):
        return [_to_nested(o) for o in obj]
    return obj


def _check_ragged(obj, depth=0):
    if isinstance(obj, (list, tuple)) and obj:
        first = obj[0]
        seq = isinstance(first, (list, tuple))
        n = len(first) if seq else None
        for o in obj:
            if isinstance(o, (list, tuple)) != seq:
                if seq:
                    raise TypeError(f"expected a sequence at dim {depth + 1}, got {type(o).__name__}")
                raise TypeError(f"'{type(o).__name__}' object cannot be interpreted as an integer")
            if seq and len(o) != n:
                raise ValueError(f"expected sequence of length {n} at dim {depth + 1} (got {len(o)})")
        if seq:
            for o in obj:
                _check_ragged(o, depth + 1)


@export("tensor", method=False)
def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (a number, nested sequence, NumPy array or tensor)."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                      "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
        src = data.detach()._data
        out = src.astype(to_dtype(dtype).np) if dtype is not None else src.copy()
        return _finish(out if device is None else to_device(out, device), dtype, device, requires_grad)
    dt = to_dtype(dtype) if dtype is not None else _infer_dtype(data)
    if isinstance(data, np.ndarray):
        arr = np.array(data, dtype=dt.np)
    else:
        if isinstance(data, (list, tuple)):
            _check_ragged(data)
        try:
            arr = np.array(_to_nested(data), dtype=dt.np)
        except OverflowError:
            raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow") from None
        except (TypeError, ValueError) as e:
            raise TypeError(f"tensor(): could not convert data to a tensor: {e}") from None
    return _finish(arr, dt, device, requires_grad)


@export("as_tensor", method=False)
def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a NumPy array or tensor when dtype and device already match."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (dtype or device) else data
    if isinstance(data, np.ndarray) and (dtype is None or to_dtype(dtype).np == data.dtype) and \
            (device is None or _device(device).type == "cpu"):
        from_numpy_dtype(data.dtype)
        return Tensor._make(data)
    return tensor(data, dtype=dtype, device=device)


@export("asarray", method=False)
def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    t = as_tensor(obj, dtype=dtype, device=device) if not copy else tensor(_to_nested(obj), dtype=dtype,
                                                                           device=device)
    if requires_grad:
        t.requires_grad_(True)
    return t


@export("from_numpy", method=False)
def from_numpy(ndarray):
    """A tensor that shares memory with ``ndarray`` (edits to one show in the other)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    from_numpy_dtype(ndarray.dtype)
    if ndarray.dtype.kind == "u" and ndarray.dtype != np.uint8:
        raise TypeError(f"can't convert np.ndarray of type numpy.{ndarray.dtype}. The only supported types are: "
                        "float64, float32, float16, int64, int32, int16, int8, uint8, and bool.")
    return Tensor._make(ndarray)


def _creation(fill):
    def fn(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
           memory_format=None):
        shape = _shape_arg(size)
        for s in shape:
            if s < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
        dt = to_dtype(dtype) if dtype is not None else get_default_dtype()
        xp = module_for(_device_arg(device))
        arr = fill(xp, shape, dt.np)
        return _finish(arr, dt, None, requires_grad) if xp is np else \
            _finish(arr, dt, None, requires_grad)
    return fn


zeros = export("zeros", method=False)(_creation(lambda xp, s, d: xp.zeros(s, d)))
ones = export("ones", method=False)(_creation(lambda xp, s, d: xp.ones(s, d)))
empty = export("empty", method=False)(_creation(lambda xp, s, d: xp.empty(s, d)))


def _check_size(shape):
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
    return shape


@export("full", method=False)
def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    shape = _check_size(_shape_arg((size,)))
    if dtype is None:
        dtype = _infer_dtype(fill_value.item() if isinstance(fill_value, Tensor) else fill_value)
    dt = to_dtype(dtype)
    xp = module_for(_device_arg(device))
    return _finish(xp.full(shape, fill_value.item() if isinstance(fill_value, Tensor) else fill_value, dt.np),
                   dt, None, requires_grad)


def _like(fill):
    def fn(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
        dt = to_dtype(dtype) if dtype is not None else input.dtype
        dev = device if device is not None else input.device
        xp = module_for(_device(dev))
        return _finish(fill(xp, input._data.shape, dt.np), dt, None, requires_grad)
    return fn


zeros_like = export("zeros_like", method=False)(_like(lambda xp, s, d: xp.zeros(s, d)))
ones_like = export("ones_like", method=False)(_like(lambda xp, s, d: xp.ones(s, d)))
empty_like = export("empty_like", method=False)(_like(lambda xp, s, d: xp.empty(s, d)))


@export("full_like", method=False)
def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    dt = to_dtype(dtype) if dtype is not None else input.dtype
    xp = module_for(_device(device) if device is not None else input.device)
    return _finish(xp.full(input._data.shape, fill_value, dt.np), dt, None, requires_grad)


def _new(fill):
    def fn(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        shape = _check_size(_shape_arg(size))
        dt = to_dtype(dtype) if dtype is not None else self.dtype
        xp = module_for(_device(device) if device is not None else self.device)
        return _finish(fill(xp, shape, dt.np), dt, None, requires_grad)
    return fn


Tensor.new_zeros = _new(lambda xp, s, d: xp.zeros(s, d))
Tensor.new_ones = _new(lambda xp, s, d: xp.ones(s, d))
Tensor.new_empty = _new(lambda xp, s, d: xp.empty(s, d))


@method("new_full")
def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
             pin_memory=False):
    dt = to_dtype(dtype) if dtype is not None else self.dtype
    xp = module_for(_device(device) if device is not None else self.device)
    return _finish(xp.full(_check_size(_shape_arg((size,))), fill_value, dt.np), dt, None, requires_grad)


@method("new_tensor")
def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                      "sourceTensor.detach().clone().requires_grad_(True), rather than "
                      "tensor.new_tensor(sourceTensor).", UserWarning, stacklevel=2)
        data = data.detach()._data
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


@export("arange", method=False)
def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0 and end != start:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        dtype = _infer_dtype([start, end, step])
    dt = to_dtype(dtype)
    n = max(0, math.ceil((end - start) / step))
    # computed in float64 then cast, so the length and the values agree with PyTorch's formula
    arr = (np.arange(n, dtype=np.float64) * step + start) if dt.category == FLOAT else \
        np.arange(start, start + n * step, step)[:n]
    arr = arr.astype(dt.np)
    return _finish(arr, dt, device, requires_grad)


@export("range", method=False)
def range_(start, end, step=1, *, dtype=None, device=None, requires_grad=False):
    dt = to_dtype(dtype) if dtype is not None else get_default_dtype()
    n = int(math.floor((end - start) / step)) + 1
    return _finish((np.arange(n, dtype=np.float64) * step + start).astype(dt.np), dt, device, requires_grad)


@export("linspace", method=False)
def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if steps < 0:
        raise RuntimeError("linspace(): number of steps must be non-negative")
    dt = to_dtype(dtype) if dtype is not None else get_default_dtype()
    start = start.item() if isinstance(start, Tensor) else start
    end = end.item() if isinstance(end, Tensor) else end
    arr = np.linspace(start, end, steps, dtype=np.float64)
    if dt.category != FLOAT:
        arr = np.trunc(arr)
    return _finish(arr.astype(dt.np), dt, device, requires_grad)


@export("logspace", method=False)
def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    dt = to_dtype(dtype) if dtype is not None else get_default_dtype()
    arr = np.power(base, np.linspace(start, end, steps, dtype=np.float64))
    return _finish(arr.astype(dt.np), dt, device, requires_grad)


@export("eye", method=False)
def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    dt = to_dtype(dtype) if dtype is not None else get_default_dtype()
    return _finish(np.eye(n, m, dtype=dt.np), dt, device, requires_grad)


@export("scalar_tensor", method=False)
def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    dt = to_dtype(dtype) if dtype is not None else get_default_dtype()
    return _finish(np.array(s, dtype=dt.np), dt, device, requires_grad)


@export("empty_strided", method=False)
def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False):
    return empty(size, dtype=dtype, device=device, requires_grad=requires_grad)


class ToDevice(Op):
    save_inputs = ()

    def forward(ctx, x, device):
        from ..backend import device_of
        ctx.src = device_of(x)
        return to_device(x, device)

    def backward(ctx, g):
        return ToDevice.apply(g, device=ctx.src)


# ------------------------------------------------------------------------------------------- in-place fills
class Fill(Op):
    """``x.fill_(value)`` / ``x.zero_()`` when autograd records: constant output, zero gradient for ``x``."""
    save_inputs = ()

    def forward(ctx, x, value):
        return array_module(x).full_like(x, value)

    def backward(ctx, g):
        return g.new_zeros(g._data.shape)

    def name(self):
        return "ZeroBackward0" if self.op_name == "zero" else "FillBackward2"


class Zero(Fill):
    pass


class CopyFrom(Op):
    """``x.copy_(src)`` / ``x.fill_(0-d tensor)`` when autograd records: ``src`` broadcast to ``x``'s shape.
    ``x``'s old values get a zero gradient; ``src`` gets the gradient summed back to its shape."""
    save_inputs = ()

    def forward(ctx, x, src):
        ctx.src_shape = src.shape
        return array_module(x).broadcast_to(src, x.shape).copy()

    def backward(ctx, g):
        from .elementwise import sum_to
        e = ctx.edges
        return (g.new_zeros(g._data.shape) if e[0] is not None else None,
                sum_to(g, ctx.src_shape) if e[1] is not None else None)

    def name(self):
        return "CopyBackwards"


def _copy_from(s, v):
    from .elementwise import _cast
    v = v if v.device == s.device else v.to(s.device)
    if v._data.shape != s._data.shape:
        from ._util import broadcast_shape
        if broadcast_shape(s._data.shape, v._data.shape) != s._data.shape:
            raise RuntimeError(f"output with shape {list(s._data.shape)} doesn't match the broadcast shape "
                               f"{list(broadcast_shape(s._data.shape, v._data.shape))}")
    return CopyFrom.apply(s, _cast(v, s.dtype))


@method("zero_")
def zero_(self):
    if self._requires_grad and self.grad_fn is not None and _grad_enabled[0]:
        return self._apply_inplace(lambda s: Zero.apply(s, value=0))
    self._check_inplace()
    self._data[...] = 0
    self._version[0] += 1
    return self


@method("fill_")
def fill_(self, value):
    """Fill with ``value`` (a number or a 0-d tensor; with autograd, the gradient flows to a 0-d tensor)."""
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        return self._apply_inplace(_copy_from, value)
    if self._requires_grad and self.grad_fn is not None and _grad_enabled[0]:
        return self._apply_inplace(lambda s: Fill.apply(s, value=value))
    self._check_inplace()
    self._data[...] = value
    self._version[0] += 1
    return self


@method("copy_")
def copy_(self, src, non_blocking=False):
    """Copy ``src`` (broadcast, cast, moved to this device) into this tensor; differentiable w.r.t. ``src``."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    if _grad_enabled[0] and (src._requires_grad or self._requires_grad):
        return self._apply_inplace(_copy_from, src)
    self._check_inplace()
    data = src._data if array_module(src._data) is array_module(self._data) else to_device(src._data, self.device)
    if data.shape != self._data.shape:
        from ._util import broadcast_shape
        bs = broadcast_shape(self._data.shape, data.shape)
        if bs != self._data.shape:
            raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                               f"{list(bs)}")
    array_module(self._data).copyto(self._data, data, casting="unsafe")
    self._version[0] += 1
    return self


@export("numel", method=False)
def numel(input):
    return input.numel()


@export("is_tensor", method=False)
def is_tensor(obj):
    return isinstance(obj, Tensor)


@export("is_floating_point", method=False)
def is_floating_point(input):
    return input.is_floating_point()


@export("is_nonzero", method=False)
def is_nonzero(input):
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())
