"""``Adagrad`` (with ``lr_decay`` and ``initial_accumulator_value``), PyTorch's update rule."""
import numpy as np

from .._tensor import Tensor
from ..backend import array_module
from .optimizer import Optimizer, _NoGrad, _addcdiv_, _addcmul_, _prepare_grad, _step_tensor, _to_scalar

__all__ = ["Adagrad"]


def _full_like(x, value):
    return Tensor._make(array_module(x).full_like(x, value))


class Adagrad(Optimizer):
    """``Adagrad(params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
    foreach=None, *, maximize=False, differentiable=False, fused=None)``.

    State (created at construction, as PyTorch): ``step`` and ``sum``.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _step_tensor()
                state["sum"] = _full_like(p._data, initial_accumulator_value)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)

    def step(self, closure=None):
        """Perform a single optimization step (``closure`` re-evaluates the model and returns the loss)."""
        loss = self._closure_loss(closure)
        with _NoGrad():
            state_of = self.state
            for group in self.param_groups:
                lr = _to_scalar(group["lr"])
                lr_decay, eps, weight_decay = group["lr_decay"], group["eps"], group["weight_decay"]
                maximize = group["maximize"]
                for p in group["params"]:
                    g = p._grad
                    if g is None:
                        continue
                    x = p._data
                    state = state_of[p]
                    if len(state) == 0:
                        state["step"] = _step_tensor()
                        state["sum"] = _full_like(x, self.defaults["initial_accumulator_value"])
                    st = state["step"]._data
                    st += 1
                    step = float(st)
                    d = _prepare_grad(g._data, x, maximize, weight_decay)
                    clr = lr / (1 + (step - 1) * lr_decay)
                    s = state["sum"]._data
                    tmp = self._scratch(x)
                    _addcmul_(s, d, d, 1, tmp)
                    std = np.sqrt(s, out=self._scratch(x, 1))
                    std += eps
                    _addcdiv_(x, d, std, -clr, tmp)
                    p._version[0] += 1
        return loss
