"""``RAdam``: rectified Adam, PyTorch's update rule (plain momentum SGD while the variance is intractable)."""
import numpy as np

from .adam import _check_common
from .optimizer import Optimizer, _NoGrad, _addcmul_, _lerp_, _prepare_grad, _step_tensor, _to_scalar, _zeros_like

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """``RAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False, *,
    foreach=None, maximize=False, capturable=False, differentiable=False)``.
    State: ``step``, ``exp_avg``, ``exp_avg_sq``."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_common(lr, eps, betas, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
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
                decoupled = group["decoupled_weight_decay"]
                rho_inf = 2 / (1 - beta2) - 1
                for p in group["params"]:
                    g = p._grad
                    if g is None:
                        continue
                    x = p._data
                    state = state_of[p]
                    if len(state) == 0:
                        state["step"] = _step_tensor()
                        state["exp_avg"] = _zeros_like(x)
                        state["exp_avg_sq"] = _zeros_like(x)
                    st = state["step"]._data
                    st += 1
                    step = float(st)
                    if weight_decay != 0 and decoupled:
                        x *= 1 - lr * weight_decay
                        d = _prepare_grad(g._data, x, maximize, 0)
                    else:
                        d = _prepare_grad(g._data, x, maximize, weight_decay)
                    m = state["exp_avg"]._data
                    v = state["exp_avg_sq"]._data
                    tmp = self._scratch(x)
                    _lerp_(m, d, 1 - beta1, tmp)
                    v *= beta2
                    _addcmul_(v, d, d, 1 - beta2, tmp)
                    bias_correction1 = 1 - beta1 ** step
                    bias_correction2 = 1 - beta2 ** step
                    update = np.divide(m, bias_correction1, out=tmp)
                    update *= lr
                    rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                    if rho_t > 5.0:
                        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                        adaptive = np.sqrt(v, out=self._scratch(x, 1))
                        adaptive += eps
                        np.divide(bias_correction2 ** 0.5, adaptive, out=adaptive)
                        update *= adaptive
                        update *= rect
                    x -= update
                    p._version[0] += 1
        return loss
