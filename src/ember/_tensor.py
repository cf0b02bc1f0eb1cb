"""Tensor: an ``xp`` array (NumPy on the CPU, CuPy on a GPU) plus what autograd needs.

The class holds only what is intrinsic to a tensor: its data, its place in the graph (``grad_fn``, ``_output_nr``),
its gradient, hooks and the version counter that in-place ops bump. Every math method is defined next to its op
in ``ember/ops/`` and attached to ``Tensor`` there, so this file stays small.
"""
import weakref

import numpy as np

from . import _config
from ._dtype import from_numpy_dtype, to_dtype
from .backend import array_module, device_of, to_device, device as _device_cls

_grad_enabled = _config.grad_enabled


class Tensor:
    # the attributes every op touches live in slots; the rarely set ones are class-level defaults that an
    # instance overrides in its __dict__ (fewer stores in _make, which runs for every op output)
    __slots__ = ("_data", "_requires_grad", "grad_fn", "_output_nr", "_version", "__weakref__", "__dict__")
    _grad = None
    _base = None
    _hooks = None
    _post_acc_hooks = None
    _retains_grad = False

    # NumPy scalars on the left (np.float32(2) * t) defer to Tensor's reflected dunders, as with PyTorch
    __array_priority__ = 1000

    # ------------------------------------------------------------------ construction
    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, dtype=None, device=None, requires_grad=False):
        """``Tensor(data)`` (like ``ember.tensor`` with the default float dtype) or ``Tensor(*sizes)``
        (uninitialised, like ``torch.Tensor(2, 3)``)."""
        from .ops.creation import tensor as _tensor_fn, empty
        if not args:
            args = (0,)
        if len(args) == 1 and not isinstance(args[0], int):
            src = args[0]
            t = src if isinstance(src, Tensor) else _tensor_fn(src, dtype=dtype or float32_default(src))
        else:
            t = empty(*args, dtype=dtype)
        self._data = t._data
        self._requires_grad = False
        self.grad_fn = None
        self._output_nr = 0
        self._version = [0]
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make(data, requires_grad=False, grad_fn=None):
        """The fast internal constructor: wraps an array, no checks, no copy."""
        t = object.__new__(Tensor)
        if data.__class__ is not np.ndarray and isinstance(data, np.generic):
            data = np.asarray(data)  # NumPy returns scalars from 0-d math; a tensor always holds an array
        t._data = data
        t._requires_grad = requires_grad
        t.grad_fn = grad_fn
        t._output_nr = 0
        t._version = [0]
        return t

    # ------------------------------------------------------------------ metadata
    @property
    def dtype(self):
        return from_numpy_dtype(self._data.dtype)

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        from .ops._util import wrap_dim
        return self._data.shape[wrap_dim(dim, self._data.ndim, "size")]

    @property
    def device(self):
        return device_of(self._data)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def is_cpu(self):
        return self.device.type == "cpu"

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return int(self._data.size)

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return int(self._data.nbytes)

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_complex(self):
        return False

    def is_contiguous(self, memory_format=None):
        return bool(self._data.flags.c_contiguous)

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[dim]

    def data_ptr(self):
        if type(self._data) is np.ndarray:
            return self._data.__array_interface__["data"][0]
        return self._data.data.ptr

    def storage_offset(self):
        base = self._data.base if isinstance(self._data.base, np.ndarray) else None
        if base is None:
            return 0
        return (self.data_ptr() - base.__array_interface__["data"][0]) // self._data.itemsize

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # ------------------------------------------------------------------ autograd state
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if self.grad_fn is not None:
            msg = "you can only change requires_grad flags of leaf variables."
            if not value:
                msg += (" If you want to use a computed variable in a subgraph that doesn't require differentiation "
                        "use var_no_grad = var.detach().")
            raise RuntimeError(msg)
        self._set_requires_grad(value)

    def _set_requires_grad(self, value):
        if value and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad=True):
        if self.grad_fn is not None:
            if requires_grad:
                return self
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to use a "
                               "computed variable in a subgraph that doesn't require differentiation use "
                               "var_no_grad = var.detach().")
        self._set_requires_grad(requires_grad)
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad:
            from .autograd.engine import warn_non_leaf_grad
            warn_non_leaf_grad()
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"attempting to assign a gradient of size '{list(value._data.shape)}' to a tensor "
                                   f"of size '{list(self._data.shape)}'. Please ensure that the gradient and the "
                                   "tensor are the same size")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"attempting to assign a gradient with dtype '{value.dtype.name}' to a tensor "
                                   f"with dtype '{self.dtype.name}'. The gradient must match the tensor's dtype.")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def data(self):
        """The same storage, cut off from autograd (no shared version counter: edits are not seen by autograd)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data

    @property
    def _version_value(self):
        return self._version[0]

    def detach(self):
        t = Tensor._make(self._data)
        t._version = self._version
        return t

    def detach_(self):
        if self._base is not None and self.grad_fn is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._requires_grad = False
        self._output_nr = 0
        return self

    def retain_grad(self):
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self._retains_grad:
            return
        node = self.grad_fn
        if node._retained is None:
            node._retained = {}
        node._retained[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    @property
    def retains_grad(self):
        return self._retains_grad

    def register_hook(self, hook):
        """Call ``hook(grad)`` when the gradient of this tensor is computed; it may return a replacement.
        Returns a handle whose ``remove()`` unregisters it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            node = self.grad_fn
            if node._pre_hooks is None:
                node._pre_hooks = {}
            hooks = node._pre_hooks.setdefault(self._output_nr, [])
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if self._post_acc_hooks is None:
            self._post_acc_hooks = []
        self._post_acc_hooks.append(hook)
        return _RemovableHandle(self._post_acc_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # ------------------------------------------------------------------ conversion
    def numpy(self, *, force=False):
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               "instead.")
        if type(self._data) is not np.ndarray:
            if not force:
                raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to "
                                "copy the tensor to host memory first.")
            return self._data.get()
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self.detach().cpu()._data
        return a if dtype is None else a.astype(dtype)

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item() if type(self._data) is np.ndarray else self._data.get().item()

    def tolist(self):
        return self.cpu()._data.tolist()

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def _scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __float__(self):
        return float(self._scalar())

    def __int__(self):
        return int(self._scalar())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __complex__(self):
        return complex(self._scalar())

    def __hash__(self):
        return id(self)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __reversed__(self):
        return iter(self.flip(0).unbind(0)) if self._data.ndim else iter([self])

    def __repr__(self, *, tensor_contents=None):
        from ._tensor_str import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, proto):
        # pickling (DataLoader worker processes, deepcopy) keeps the data and the leaf requires_grad flag
        return (_rebuild, (self.cpu()._data if self.device.type != "cpu" else self._data,
                           self._requires_grad and self.grad_fn is None, str(self.device)))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment.")
        if id(self) in memo:
            return memo[id(self)]
        t = Tensor._make(self._data.copy())
        t.__class__ = self.__class__
        import copy
        for k, v in self.__dict__.items():
            setattr(t, k, copy.deepcopy(v, memo))
        t._requires_grad = self._requires_grad
        memo[id(self)] = t
        return t

    # ------------------------------------------------------------------ dtype / device movement
    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``; ``copy=``, ``non_blocking=``."""
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
        for a in args:
            if isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif isinstance(a, (str, _device_cls)) and not _looks_like_dtype(a):
                device = a
            elif isinstance(a, int) and not isinstance(a, bool):
                device = _device_cls("cuda", a)
            elif a is not None and not isinstance(a, bool):
                dtype = a
        from .ops.elementwise import _cast
        out = self
        if device is not None and _device_cls(device) != self.device:
            from .ops.creation import ToDevice
            out = ToDevice.apply(out, device=_device_cls(device))
            copy = False
        if dtype is not None:
            dt = to_dtype(dtype)
            if dt.np != out._data.dtype:
                out = _cast(out, dt)
                copy = False
        if copy and out is self:
            out = self.clone()
        return out

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            from .autograd.function import _type_name
            return _type_name(self)
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            names = {"FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16",
                     "LongTensor": "int64", "IntTensor": "int32", "ShortTensor": "int16", "CharTensor": "int8",
                     "ByteTensor": "uint8", "BoolTensor": "bool"}
            dtype = names[dtype.rsplit(".", 1)[-1]]
        return self.to(dtype)

    def type_as(self, other):
        return self.to(other.dtype)

    def float(self):
        return self.to(float32_dt)

    def double(self):
        return self.to(float64_dt)

    def half(self):
        return self.to(float16_dt)

    def long(self):
        return self.to(int64_dt)

    def int(self):
        return self.to(int32_dt)

    def short(self):
        return self.to(int16_dt)

    def char(self):
        return self.to(int8_dt)

    def byte(self):
        return self.to(uint8_dt)

    def bool(self):
        return self.to(bool_dt)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        return self.to(_device_cls("cuda", device) if isinstance(device, int) else (device or "cuda"))

    def pin_memory(self):
        return self

    def is_pinned(self):
        return False

    def share_memory_(self):
        return self

    def is_shared(self):
        return False

    # ------------------------------------------------------------------ in-place machinery
    def _check_inplace(self):
        if _grad_enabled[0] and self.grad_fn is None:
            if self._requires_grad:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
            base = self._base
            if base is not None and base._requires_grad:
                if base.grad_fn is None:
                    raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                                       "operation.")
                from .autograd.views import NO_GRAD_VIEW
                raise RuntimeError(NO_GRAD_VIEW)

    def _apply_inplace(self, fn, *args, **kwargs):
        """Run the out-of-place ``fn(self, *args)`` and write its result into this tensor's storage.

        When autograd records, the op runs on a copy of the old values carrying the old ``grad_fn`` and the
        result's node becomes this tensor's ``grad_fn``; the version counter is bumped either way, so a node
        that saved these values before notices the change at backward time.
        """
        record = _grad_enabled[0] and (self._requires_grad or any(
            isinstance(a, Tensor) and a._requires_grad for a in args))
        if record:
            self._check_inplace()
            if self._base is not None:
                from .autograd.views import inplace_on_view
                if inplace_on_view(self, self._base, fn, args, kwargs) is not None:
                    return self
            src = Tensor._make(self._data.copy(), self._requires_grad, self.grad_fn)
            src._output_nr = self._output_nr
            out = fn(src, *args, **kwargs)
        else:
            if self._base is not None:
                self._check_inplace()
            out = fn(self, *args, **kwargs)
        self._write(out, fn)
        if record and out.grad_fn is not None:
            self.grad_fn = out.grad_fn
            self._output_nr = out._output_nr
            self._requires_grad = True
            self._retains_grad = False
        return self

    def _write(self, out, fn=None):
        """Copy ``out``'s values into this tensor's storage, with PyTorch's checks, and bump the version."""
        od, sd = out._data, self._data
        self._check_write(od)
        xp = array_module(sd)
        xp.copyto(sd, od, casting="unsafe")
        self._version[0] += 1

    def _check_write(self, od):
        """PyTorch's checks before an in-place result ``od`` (an array) is written into this tensor."""
        sd = self._data
        if od.dtype != sd.dtype:
            res_cat = from_numpy_dtype(od.dtype).category
            if res_cat > from_numpy_dtype(sd.dtype).category:
                names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                         "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
                raise RuntimeError(f"result type {names[from_numpy_dtype(od.dtype).name]} can't be cast to the "
                                   f"desired output type {names[from_numpy_dtype(sd.dtype).name]}")
        if od.shape != sd.shape:
            try:
                bshape = np.broadcast_shapes(od.shape, sd.shape)
            except ValueError:
                bshape = None
            if bshape != sd.shape:
                raise RuntimeError(f"output with shape {list(sd.shape)} doesn't match the broadcast shape "
                                   f"{list(bshape if bshape is not None else od.shape)}")


Size = tuple   # replaced by ember.ops.shape.Size once the ops are loaded (ops/__init__.py)

from .autograd import function as _function  # noqa: E402
_function._Tensor[0] = Tensor


class _RemovableHandle:
    def __init__(self, container, item):
        self._container = container
        self._item = item

    def remove(self):
        try:
            self._container.remove(self._item)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _looks_like_dtype(a):
    if not isinstance(a, str):
        return False
    try:
        to_dtype(a)
        return True
    except TypeError:
        return False


def _rebuild(data, requires_grad, device="cpu"):
    t = Tensor._make(data)
    if device != "cpu":
        t = Tensor._make(to_device(data, device))
    t._requires_grad = requires_grad
    return t


def float32_default(src):
    """``torch.Tensor(data)`` always gives the default float dtype."""
    from ._dtype import get_default_dtype
    return get_default_dtype()


from ._dtype import float16 as float16_dt, float32 as float32_dt, float64 as float64_dt  # noqa: E402
from ._dtype import int8 as int8_dt, int16 as int16_dt, int32 as int32_dt, int64 as int64_dt  # noqa: E402
from ._dtype import uint8 as uint8_dt, bool_ as bool_dt  # noqa: E402
