"""``Optimizer``: the base class with PyTorch's contract.

* ``param_groups``: a list of dicts, each holding ``'params'`` (a list of tensors) and that group's
  hyper-parameters (missing ones are filled from ``defaults``), so per-layer learning rates work.
* ``state``: a ``defaultdict(dict)`` keyed by the parameter tensor, with PyTorch's key names.
* ``state_dict()``/``load_state_dict()`` in PyTorch's format: parameters are replaced by their index in the
  order they appear across the groups, so a state dict converts between ember and PyTorch key for key (a
  PyTorch state dict's tensors are converted to ember tensors on load).
* ``step()`` is wrapped with the step pre/post hooks (per optimizer and global).

The algorithms (``sgd.py``, ``adam.py``, ...) update ``p._data`` with NumPy ufuncs in place (``out=``; the
same code runs on CuPy arrays) and bump the parameter's version counter: the update runs once per training
step for every parameter, so it avoids the per-op autograd dispatch.
"""
import functools
import itertools
import warnings
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain

import numpy as np

from .. import _config
from .._tensor import Tensor
from ..backend import array_module

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]


class _RequiredParameter:
    """Singleton class representing a required parameter for an Optimizer."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_global_optimizer_pre_hooks = OrderedDict()
_global_optimizer_post_hooks = OrderedDict()


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods; ``remove()`` unregisters the hook."""

    _next_id = itertools.count()

    def __init__(self, hooks_dict):
        self.hooks_dict = hooks_dict
        self.id = next(RemovableHandle._next_id)

    def remove(self):
        self.hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register_optimizer_step_pre_hook(hook):
    """Register ``hook(optimizer, args, kwargs)`` to run before every optimizer's ``step``."""
    handle = RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook):
    """Register ``hook(optimizer, args, kwargs)`` to run after every optimizer's ``step``."""
    handle = RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


def _typename(obj):
    if isinstance(obj, Tensor):
        from ..autograd.function import _type_name
        return _type_name(obj)
    t = type(obj)
    module = t.__module__
    return t.__qualname__ if module in ("builtins", "__builtin__") else f"{module}.{t.__qualname__}"


def _to_scalar(x):
    """A one-element tensor hyper-parameter as a Python float (PyTorch accepts ``lr=torch.tensor(0.1)``)."""
    if isinstance(x, Tensor):
        return x.item()
    return x


def _hooked_step(step):
    """Wrap a subclass's ``step`` with the global and per-optimizer pre/post hooks."""
    if getattr(step, "hooked", False):
        return step

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        pre = self._optimizer_step_pre_hooks
        if pre or _global_optimizer_pre_hooks:
            for hook in chain(_global_optimizer_pre_hooks.values(), pre.values()):
                result = hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), but got "
                                           f"{result}.")
        out = step(self, *args, **kwargs)
        post = self._optimizer_step_post_hooks
        if post or _global_optimizer_post_hooks:
            for hook in chain(post.values(), _global_optimizer_post_hooks.values()):
                hook(self, args, kwargs)
        return out

    wrapper.hooked = True
    return wrapper


class _NoGrad:
    """A cheap ``no_grad`` for the optimiser step (no decorator machinery on the hot path)."""

    __slots__ = ("prev",)

    def __enter__(self):
        self.prev = _config.grad_enabled[0]
        _config.grad_enabled[0] = False

    def __exit__(self, *exc):
        _config.grad_enabled[0] = self.prev


def _as_ember(value):
    """A state value from another framework (e.g. a ``torch.Tensor``) as an ember tensor."""
    if isinstance(value, Tensor) or isinstance(value, (bool, int, float, str, type(None))):
        return value
    if hasattr(value, "__array__") and hasattr(value, "dtype") and hasattr(value, "shape"):
        if hasattr(value, "detach"):
            value = value.detach()
        if hasattr(value, "cpu"):
            value = value.cpu()
        if hasattr(value, "numpy"):
            value = value.numpy()
        return Tensor._make(np.array(value))
    return value


class Optimizer:
    """Base class for all optimizers: ``Optimizer(params, defaults)``.

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (parameter groups);
    ``defaults`` holds the default hyper-parameters, used for groups that do not set them.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _hooked_step(cls.__dict__["step"])

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()

        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, but "
                            "got " + _typename(params))

        self.state = defaultdict(dict)
        self.param_groups = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]

        for param_group in param_groups:
            self.add_param_group(param_group)

    # ------------------------------------------------------------------ pickling / repr
    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                     "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self.defaults.setdefault("differentiable", False)

    def __repr__(self):
        format_string = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            format_string += "\n"
            format_string += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    format_string += f"    {key}: {group[key]}\n"
        format_string += ")"
        return format_string

    # ------------------------------------------------------------------ hooks
    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)``, run before ``step``."""
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs) -> None``, run after ``step``."""
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    def _register(self, hooks, hook, prepend):
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ------------------------------------------------------------------ state dict
    def state_dict(self):
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``, as PyTorch.

        The state tensors are the optimizer's own (not copies), as in PyTorch."""
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)

        param_mappings = {}
        start_index = 0

        def pack_group(group):
            nonlocal start_index
            packed = {k: v for k, v in group.items() if k != "params"}
            param_mappings.update({id(p): i for i, p in enumerate(group["params"], start_index)
                                   if id(p) not in param_mappings})
            packed["params"] = [param_mappings[id(p)] for p in group["params"]]
            start_index += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(param_mappings[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}

        for post_hook in self._optimizer_state_dict_post_hooks.values():
            hook_result = post_hook(self, state_dict)
            if hook_result is not None:
                state_dict = hook_result
        return state_dict

    @staticmethod
    def _process_value_according_to_param_policy(param, value, param_id, param_groups, key=None):
        # floating-point state follows the parameter's dtype and device; 'step' is kept as it is
        value = _as_ember(value)
        if not isinstance(value, Tensor):
            return value
        if key == "step":
            return Tensor._make(value._data.copy())
        if param.is_floating_point():
            out = value.to(dtype=param.dtype, device=param.device)
        else:
            out = value.to(device=param.device)
        return Tensor._make(out._data.copy()) if out is value else out.detach()

    def load_state_dict(self, state_dict):
        """Load a state dict made by ``state_dict()`` (ember's or PyTorch's)."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            hook_result = pre_hook(self, state_dict)
            if hook_result is not None:
                state_dict = hook_result

        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])

        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        param_lens = (len(g["params"]) for g in groups)
        saved_lens = (len(g["params"]) for g in saved_groups)
        if any(p_len != s_len for p_len, s_len in zip(param_lens, saved_lens)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")

        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def _cast(param, value, param_id=None, param_groups=None, key=None):
            value = _as_ember(value)
            if isinstance(value, Tensor):
                return Optimizer._process_value_according_to_param_policy(param, value, param_id, param_groups,
                                                                          key)
            if isinstance(value, dict):
                return {k: _cast(param, v, param_id=param_id, param_groups=param_groups, key=k)
                        for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(_cast(param, v, param_id=param_id, param_groups=param_groups) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast(param, v, param_id=k, param_groups=state_dict["param_groups"])
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})

        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    # ------------------------------------------------------------------ gradients
    def zero_grad(self, set_to_none=True):
        """Reset the gradients: ``None`` (the default) or, with ``set_to_none=False``, zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is not None:
                    if set_to_none:
                        p._grad = None
                    else:
                        if g.grad_fn is not None:
                            g.detach_()
                        else:
                            g._requires_grad = False
                        g._data.fill(0)
                        g._version[0] += 1

    def step(self, closure=None):
        """Perform a single optimization step; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    _scratch_bufs = None

    def _scratch(self, x, k=0):
        """Scratch array ``k`` of ``x``'s shape and dtype, reused across steps (a fresh array per step costs page
        faults on large parameters). Not part of the state: never pickled, rebuilt on demand."""
        key = (x.shape, x.dtype, type(x), k)
        bufs = self._scratch_bufs
        if bufs is None:
            bufs = self._scratch_bufs = {}
        buf = bufs.get(key)
        if buf is None:
            buf = bufs[key] = np.empty_like(x)
        return buf

    def _closure_loss(self, closure):
        if closure is None:
            return None
        with _config.enable_grad():
            return closure()

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group):
        """Add a parameter group (a dict with ``'params'`` and optional hyper-parameters)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")

        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)

        extracted_param_tensors = []
        extracted_param_names = []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                extracted_param_names.append(param[0])
                extracted_param_tensors.append(param[1])
            else:
                extracted_param_tensors.append(param)

        param_group["params"] = extracted_param_tensors
        if len(extracted_param_names) != 0:
            if len(extracted_param_names) == len(extracted_param_tensors):
                param_group["param_names"] = extracted_param_names
            else:
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")

        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(param))
            if not self.defaults.get("differentiable", None) and not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        params = param_group["params"]
        if len(params) != len({id(p) for p in params}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will cause "
                          "an error; see github.com/pytorch/pytorch/issues/40967 for more information", stacklevel=3)

        param_set = set()
        for group in self.param_groups:
            param_set.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                current_group_txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {current_group_txt} to the optimizer")

        if not param_set.isdisjoint({id(p) for p in param_group["params"]}):
            raise ValueError("some parameters appear in more than one parameter group")

        self.param_groups.append(param_group)


# ---------------------------------------------------------------------------------------------- update helpers
# Shared by the algorithms. Each follows the arithmetic order of PyTorch's CPU kernels, so float64 runs agree
# to the last bits: addcmul is ``self + value * t1 * t2`` and addcdiv ``self + value * t1 / t2``, evaluated
# left to right; lerp is ``self + w * (end - self)`` for ``w < 0.5`` and ``end - (end - self) * (1 - w)``.

def _zeros_like(x):
    return Tensor._make(array_module(x).zeros_like(x))


def _step_tensor(value=0.0):
    """PyTorch 2.x keeps ``state['step']`` as a 0-d float32 CPU tensor."""
    return Tensor._make(np.array(value, dtype=np.float32))


def _lerp_(a, b, w, tmp):
    """``a.lerp_(b, w)`` in place; ``tmp`` is scratch of ``a``'s shape."""
    np.subtract(b, a, out=tmp)
    if w < 0.5:
        tmp *= w
        a += tmp
    else:
        tmp *= 1 - w
        np.subtract(b, tmp, out=a)


def _addcmul_(a, t1, t2, value, tmp):
    """``a.addcmul_(t1, t2, value=value)`` in place."""
    np.multiply(t1, value, out=tmp)
    tmp *= t2
    a += tmp


def _addcdiv_(a, t1, t2, value, tmp):
    """``a.addcdiv_(t1, t2, value=value)`` in place."""
    np.multiply(t1, value, out=tmp)
    tmp /= t2
    a += tmp


def _prepare_grad(d, x, maximize, weight_decay):
    """The gradient after ``maximize`` (negation) and L2 ``weight_decay`` (``grad + wd * param``): a new array
    when either applies, else ``d`` itself (read only).

    Temporaries are always made with ``out=``: a ufunc on a 0-d array otherwise returns a NumPy scalar."""
    if maximize:
        d = np.negative(d, out=np.empty_like(d))
        if weight_decay != 0:
            d += np.multiply(x, weight_decay)
    elif weight_decay != 0:
        t = np.multiply(x, weight_decay, out=np.empty_like(x))
        t += d
        d = t
    return d
