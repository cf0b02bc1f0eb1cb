"""``Parameter``: a leaf tensor that a ``Module`` registers when it is assigned as an attribute."""
from .._tensor import Tensor, _rebuild


class Parameter(Tensor):
    """``nn.Parameter(data, requires_grad=True)``: shares ``data``'s storage; ops on it return plain Tensors."""

    def __new__(cls, data=None, requires_grad=True):
        return object.__new__(cls)

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            from ..ops.creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        self._data = data._data
        self._requires_grad = False
        self.grad_fn = None
        self._output_nr = 0
        self._version = data._version
        if requires_grad:
            self.requires_grad_(True)

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self.detach().cpu()._data, self._requires_grad))

    def __repr__(self):
        return super().__repr__()


def _rebuild_parameter(data, requires_grad):
    return Parameter(_rebuild(data, False), requires_grad)


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (lazy modules); ``materialize(shape)`` gives it storage."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return object.__new__(cls)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        from ..ops.creation import empty
        super().__init__(empty(0, dtype=dtype), requires_grad)
        self._materialize_dtype = dtype

    def materialize(self, shape, device=None, dtype=None):
        from ..ops.creation import empty
        t = empty(*shape, dtype=dtype or self._materialize_dtype, device=device)
        self._data = t._data
        self.__class__ = self.cls_to_become

    def __repr__(self):
        return "<UninitializedParameter>"

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. This error usually "
                           "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
                           "initialized one. Call `forward` to initialize the parameters before accessing their "
                           "attributes.")


class UninitializedBuffer(Tensor):
    cls_to_become = Tensor

    def __init__(self, requires_grad=False, device=None, dtype=None):
        from ..ops.creation import empty
        self._data = empty(0, dtype=dtype)._data
        self._requires_grad = False
        self.grad_fn = None
        self._output_nr = 0
        self._version = [0]
        self._materialize_dtype = dtype

    def materialize(self, shape, device=None, dtype=None):
        from ..ops.creation import empty
        self._data = empty(*shape, dtype=dtype or self._materialize_dtype)._data
        self.__class__ = self.cls_to_become


def is_lazy(param):
    return isinstance(param, (UninitializedParameter, UninitializedBuffer))
