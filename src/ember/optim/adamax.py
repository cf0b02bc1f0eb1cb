"""``Adamax``: Adam with the infinity norm, PyTorch's update rule."""
import numpy as np

from .adam import _check_common
from .optimizer import Optimizer, _NoGrad, _addcdiv_, _lerp_, _prepare_grad, _step_tensor, _to_scalar, _zeros_like

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """``Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
    maximize=False, differentiable=False, capturable=False)``. State: ``step``, ``exp_avg``, ``exp_inf``."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_common(lr, eps, betas, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)

    def step(self, closure=None):
        """Perform a single optimization step (``closure`` re-evaluates the model and returns the loss)."""
        loss = self._closure_loss(closure)
        with _NoGrad():
            state_of = self.state
            for group in self.param_groups:
                lr = _to_scalar(group["lr"])
                beta1, beta2 = group["betas"]
                eps, weight_decay, maximize = group["eps"], group["weight_decay"], group["maximize"]
                for p in group["params"]:
                    g = p._grad
                    if g is None:
                        continue
                    x = p._data
                    state = state_of[p]
                    if len(state) == 0:
                        state["step"] = _step_tensor()
                        state["exp_avg"] = _zeros_like(x)
                        state["exp_inf"] = _zeros_like(x)
                    st = state["step"]._data
                    st += 1
                    step = float(st)
                    d = _prepare_grad(g._data, x, maximize, weight_decay)
                    m = state["exp_avg"]._data
                    u = state["exp_inf"]._data
                    tmp = self._scratch(x)
                    _lerp_(m, d, 1 - beta1, tmp)
                    u *= beta2
                    np.abs(d, out=tmp)
                    tmp += eps
                    np.maximum(u, tmp, out=u)
                    clr = lr / (1 - beta1 ** step)
                    _addcdiv_(x, m, u, -clr, tmp)
                    p._version[0] += 1
        return loss
