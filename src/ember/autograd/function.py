"""Graph nodes: ember's own ops (``Op``) and user-defined ``Function``s share one mechanism.

An op is one class with ``forward`` and ``backward`` side by side. Calling ``Op.apply(*tensors, **params)``

1. runs ``forward(ctx, *arrays, **params)`` on the raw ``xp`` arrays (NumPy or CuPy),
2. when grad mode is on and an input requires grad, turns ``ctx`` into the output's ``grad_fn``: it remembers
   the input tensors (``ctx.inputs``) and the edges to their own nodes.

``backward(ctx, *grad_outputs)`` is written with ember ops on Tensors, so running it with grad mode on
(``create_graph=True``) records the graph of the gradient itself: higher-order gradients come free.

The node's class name plus ``Backward0`` is its PyTorch-style name (``MulBackward0``); ``op_name`` is the short
registered name used by error messages, anomaly mode and the ONNX exporter.
"""

from .. import _config
from .._dtype import from_numpy_dtype

_grad_enabled = _config.grad_enabled
_anomaly = _config.anomaly_enabled

_SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward.")


def _type_name(t):
    names = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor", "int64": "LongTensor",
             "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
             "bool": "BoolTensor"}
    return "torch." + names.get(t.dtype.name, "Tensor")


class Node:
    """A node of the recorded graph: the ``grad_fn`` of the tensors an op produced.

    ``edges[i]`` says where the gradient for input ``i`` goes: ``(node, output_nr)`` for an input made by an op,
    ``(tensor, 0)`` for a leaf that requires grad, ``None`` for an input that needs no gradient.
    """

    op_name = "node"
    n_outputs = 1
    edges = ()
    _saves = True
    _released = False
    _pre_hooks = None    # {output_nr: [hook]}: tensor hooks of non-leaf outputs
    _retained = None     # {output_nr: weakref to tensor}: retain_grad() targets
    _saved_versions = ()
    _seq = 0

    def name(self):
        return type(self).__name__ + "Backward0"

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self):
        out = []
        for e in self.edges:
            if e is None:
                out.append((None, 0))
            elif isinstance(e[0], Node):
                out.append(e)
            else:
                out.append((AccumulateGrad(e[0]), 0))
        return tuple(out)

    def register_hook(self, fn):
        raise NotImplementedError("Node.register_hook is not supported; use Tensor.register_hook")

    def _check_saved(self):
        if self._released:
            raise RuntimeError(_SECOND_BACKWARD)
        for counter, version in self._saved_versions:
            if counter[0] != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: which is output of {self.name()}, is at version {counter[0]}; expected version "
                    f"{version} instead. Hint: the backtrace further above can show the operation that failed "
                    "to compute its gradient. The variable in question was changed in there or anywhere later. "
                    "Good luck!")

    def _release(self):
        if self._saves:
            self._released = True
            self.inputs = None


class AccumulateGrad:
    """What ``next_functions`` shows for a leaf (``node.variable`` is the leaf)."""

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "torch::autograd::AccumulateGrad"

    next_functions = ()

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


_seq_counter = [0]
_new = object.__new__
_Tensor = [None]   # set by ember._tensor once Tensor exists (avoids an import on every op call)


def _make_edges(inputs):
    edges = []
    for t in inputs:
        fn = t.grad_fn
        if fn is not None:
            edges.append((fn, t._output_nr))
        elif t._requires_grad:
            edges.append((t, 0))
        else:
            edges.append(None)
    return tuple(edges)


def _share_view(view, base):
    """A view shares its base's storage, so it shares the version counter that in-place ops bump."""
    view._version = base._version
    view._base = base if base._base is None else base._base


def _check_anomaly_forward(node, outs):
    from ..backend import array_module
    for o in outs:
        if o is not None and o.dtype.kind == "f":
            if bool(array_module(o).isnan(o).any()):
                raise RuntimeError(f"Function '{node.name()}' returned nan values in its forward output "
                                   f"(op '{node.op_name}').")


class Op(Node):
    """Base class of ember's built-in ops. Subclasses define ``forward`` on arrays and ``backward`` on Tensors.

    Class attributes a subclass may set:
      ``save_inputs``  indices of the inputs whose *values* backward reads (checked against in-place changes;
                       ``()`` for ops such as add that need none: the graph may then be run twice)
      ``save_output``  backward reads the output (through ``ctx.output()``)
      ``view``         the output is a view of input 0 and shares its version counter
      ``differentiable`` False for ops whose output never requires grad (argmax, comparisons)
      ``non_differentiable`` indices of outputs that never require grad (the indices of max)
    """

    save_inputs = None   # None: all inputs
    save_output = False
    view = False
    differentiable = True
    non_differentiable = ()

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "op_name" not in cls.__dict__:
            cls.op_name = cls.__name__.lower()
        cls._saves = cls.save_output or cls.save_inputs is None or bool(cls.save_inputs)

    @classmethod
    def apply(cls, *inputs, **params):
        ctx = _new(cls)
        record = False
        if _grad_enabled[0] and cls.differentiable:
            for t in inputs:
                if t._requires_grad:
                    record = True
                    ctx.inputs = inputs
                    break
        if len(inputs) == 1:
            out = ctx.forward(inputs[0]._data, **params)
        elif len(inputs) == 2:
            out = ctx.forward(inputs[0]._data, inputs[1]._data, **params)
        else:
            out = ctx.forward(*[t._data for t in inputs], **params)
        if _anomaly[0]:
            _check_anomaly_forward(ctx, out if type(out) is tuple else (out,))
        if type(out) is not tuple:
            if record and out.dtype.kind == "f":
                return ctx._finish(_Tensor[0], inputs, out)
            t = _Tensor[0]._make(out)
            if cls.view:
                _share_view(t, inputs[0])
            return t
        Tensor = _Tensor[0]
        outs = tuple(Tensor._make(o) if o is not None else None for o in out)
        if cls.view:
            for o in outs:
                if o is not None:
                    _share_view(o, inputs[0])
        if record:
            ctx._wire(inputs, outs)
        return outs

    def _finish(self, Tensor, inputs, out):
        t = Tensor._make(out, True, self)
        self.edges = _make_edges(inputs)
        _seq_counter[0] += 1
        self._seq = _seq_counter[0]
        if self._saves:
            si = self.save_inputs
            vs = [(inputs[i]._version, inputs[i]._version[0]) for i in (range(len(inputs)) if si is None else si)]
            if self.view:
                _share_view(t, inputs[0])
            if self.save_output:
                self._out = out
                vs.append((t._version, t._version[0]))
            self._saved_versions = vs
        elif self.view:
            _share_view(t, inputs[0])
        return t

    def _wire(self, inputs, outs):
        self.edges = _make_edges(inputs)
        self.n_outputs = len(outs)
        _seq_counter[0] += 1
        self._seq = _seq_counter[0]
        vs = []
        if self._saves:
            si = self.save_inputs
            vs = [(inputs[i]._version, inputs[i]._version[0]) for i in (range(len(inputs)) if si is None else si)]
        self._outs = []
        for i, o in enumerate(outs):
            if o is None or i in self.non_differentiable or o._data.dtype.kind != "f":
                self._outs.append(None)
                continue
            o._requires_grad = True
            o.grad_fn = self
            o._output_nr = i
            if self.view:
                _share_view(o, inputs[0])
            self._outs.append(o._data)
            if self.save_output:
                vs.append((o._version, o._version[0]))
        self._saved_versions = vs

    def output(self, i=0):
        """The op's output as a Tensor for use in backward; graph-connected to this node so that
        double backward differentiates through it (made on demand, so forward leaves no reference cycle)."""
        Tensor = _Tensor[0]
        data = self._out if self.n_outputs == 1 else self._outs[i]
        if _grad_enabled[0]:
            t = Tensor._make(data, True, self)
            t._output_nr = i
            return t
        return Tensor._make(data)

    def _run_backward(self, grads):
        if self._saves:
            self._check_saved()
        r = self.backward(*grads)
        if type(r) is not tuple:
            r = (r,)
        return r

    def forward(self, *args, **kwargs):
        raise NotImplementedError

    def backward(self, *grad_outputs):
        raise NotImplementedError(f"the derivative for '{self.op_name}' is not implemented")


class FunctionCtx:
    """Context mixin of user-defined Functions (``ctx`` in ``forward(ctx, ...)``/``backward(ctx, ...)``)."""

    def save_for_backward(self, *tensors):
        self._to_save = tensors

    @property
    def saved_tensors(self):
        self._check_saved()
        out = []
        for s in self._saved:
            if type(s) is int:  # an output of this very node, rebuilt on demand (no reference cycle)
                out.append(self._output_tensor(s))
            else:
                out.append(s)
        return tuple(out)

    def mark_dirty(self, *tensors):
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors):
        self._non_diff = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)


class BackwardCFunction(Node, FunctionCtx):
    """The node made for one call of a user-defined ``Function``."""

    materialize_grads = True
    _to_save = ()
    _saved = ()
    _dirty = ()
    _non_diff = ()

    def name(self):
        return self._cls.__name__ + "Backward"

    def _output_tensor(self, i):
        from .._tensor import Tensor
        data = self._outs[i]
        if _grad_enabled[0]:
            t = Tensor._make(data, True, self)
            t._output_nr = i
            return t
        return Tensor._make(data)

    def _run_backward(self, grads):
        from .._tensor import Tensor
        self._check_saved()
        if self.materialize_grads:
            grads = tuple(Tensor._make(self._xp.zeros(s, d)) if g is None else g
                          for g, (s, d) in zip(grads, self._out_meta))
        r = self._cls.backward(self, *grads)
        if type(r) is not tuple:
            r = (r,)
        n = len(self._tensor_args)
        if len(r) != len(self._all_args):
            if len(r) > len(self._all_args) and all(g is None for g in r[len(self._all_args):]):
                r = r[:len(self._all_args)]
            else:
                raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                                   f"(expected {len(self._all_args)}, got {len(r)})")
        out = []
        for arg, g in zip(self._all_args, r):
            if isinstance(arg, Tensor):
                if g is not None and not isinstance(g, Tensor):
                    raise RuntimeError(f"expected Variable or None (got {type(g).__name__}) as the gradient "
                                       f"returned by {self.name()}")
                out.append(g)
        assert len(out) == n
        return tuple(out)

    def _release(self):
        self._released = True
        self._saved = ()


class Function:
    """User-defined op, PyTorch style::

        class Exp(ember.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, grad):
                y, = ctx.saved_tensors
                return grad * y

        y = Exp.apply(x)

    ``forward`` runs with grad mode off on Tensors; ``backward`` runs with grad mode on only for
    ``create_graph=True``, so a backward written in ember ops is itself differentiable.
    """

    def __init__(self, *args, **kwargs):
        pass

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        from .._tensor import Tensor
        from ..backend import array_module
        ctx = BackwardCFunction()
        ctx._cls = cls
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        record = _grad_enabled[0] and any(t._requires_grad for t in tensor_args)
        prev = _grad_enabled[0]
        _grad_enabled[0] = False
        try:
            raw = cls.forward(ctx, *args, **kwargs)
        finally:
            _grad_enabled[0] = prev
        single = not isinstance(raw, tuple)
        outs = (raw,) if single else raw
        if not record:
            return raw
        ctx.inputs = tuple(tensor_args)
        ctx._tensor_args = tensor_args
        ctx._all_args = args
        ctx.edges = _make_edges(tensor_args)
        _seq_counter[0] += 1
        ctx._seq = _seq_counter[0]
        ctx.n_outputs = len(outs)
        ctx._outs = []
        ctx._out_meta = []
        wrapped = []
        non_diff = {id(t) for t in ctx._non_diff}
        dirty = {id(t) for t in ctx._dirty}
        out_ids = {}
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                wrapped.append(o)
                ctx._outs.append(None)
                ctx._out_meta.append(((), None))
                continue
            ctx._xp = array_module(o._data)
            ctx._out_meta.append((o._data.shape, o._data.dtype))
            ctx._outs.append(o._data)
            if id(o) in non_diff or o._data.dtype.kind != "f":
                wrapped.append(o)
                continue
            if id(o) in dirty:  # modified in place: the input object itself now carries this node
                if o.grad_fn is None and o._requires_grad:
                    raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
                t = o
                t._version[0] += 1
            else:
                t = Tensor._make(o._data)
                t._version = o._version
            t._requires_grad = True
            t.grad_fn = ctx
            t._output_nr = i
            out_ids[id(o)] = i
            wrapped.append(t)
        saved = []
        versions = []
        for s in ctx._to_save:
            if s is None:
                saved.append(None)
            elif id(s) in out_ids:
                saved.append(out_ids[id(s)])
                versions.append((wrapped[out_ids[id(s)]]._version, wrapped[out_ids[id(s)]]._version[0]))
            else:
                saved.append(s)
                versions.append((s._version, s._version[0]))
        ctx._saved = saved
        ctx._saved_versions = versions
        ctx._to_save = ()
        return wrapped[0] if single else tuple(wrapped)


def once_differentiable(fn):
    """Decorator for a backward that is not itself differentiable (runs it with grad mode off)."""
    import functools

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        prev = _grad_enabled[0]
        _grad_enabled[0] = False
        try:
            return fn(ctx, *args)
        finally:
            _grad_enabled[0] = prev
    return wrapper


def dtype_of(arr):
    return from_numpy_dtype(arr.dtype)
