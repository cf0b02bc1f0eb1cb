"""``NAdam``: Adam with Nesterov momentum and the momentum-decay schedule, PyTorch's update rule."""
import numpy as np

from .adam import _check_common
from .optimizer import Optimizer, _NoGrad, _addcdiv_, _addcmul_, _lerp_, _prepare_grad, _step_tensor, \
    _to_scalar, _zeros_like

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """``NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
    decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False, differentiable=False)``.

    State: ``step`` and ``mu_product`` (0-d float32, as PyTorch: the running product is rounded to float32
    every step), ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_common(lr, eps, betas, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)

    def step(self, closure=None):
        """Perform a single optimization step (``closure`` re-evaluates the model and returns the loss)."""
        loss = self._closure_loss(closure)
        with _NoGrad():
            state_of = self.state
            for group in self.param_groups:
                lr = _to_scalar(group["lr"])
                beta1, beta2 = group["betas"]
                eps, weight_decay, maximize = group["eps"], group["weight_decay"], group["maximize"]
                momentum_decay, decoupled = group["momentum_decay"], group["decoupled_weight_decay"]
                for p in group["params"]:
                    g = p._grad
                    if g is None:
                        continue
                    x = p._data
                    state = state_of[p]
                    if len(state) == 0:
                        state["step"] = _step_tensor()
                        state["mu_product"] = _step_tensor(1.0)
                        state["exp_avg"] = _zeros_like(x)
                        state["exp_avg_sq"] = _zeros_like(x)
                    st = state["step"]._data
                    st += 1
                    step = float(st)
                    bias_correction2 = 1 - beta2 ** step
                    if weight_decay != 0 and decoupled:
                        x *= 1 - lr * weight_decay
                        d = _prepare_grad(g._data, x, maximize, 0)
                    else:
                        d = _prepare_grad(g._data, x, maximize, weight_decay)
                    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                    mp = state["mu_product"]._data
                    mp *= mu
                    mu_product = float(mp)
                    m = state["exp_avg"]._data
                    v = state["exp_avg_sq"]._data
                    tmp = self._scratch(x)
                    _lerp_(m, d, 1 - beta1, tmp)
                    v *= beta2
                    _addcmul_(v, d, d, 1 - beta2, tmp)
                    denom = np.divide(v, bias_correction2, out=self._scratch(x, 1))
                    np.sqrt(denom, out=denom)
                    denom += eps
                    mu_product_next = mu_product * mu_next
                    _addcdiv_(x, d, denom, -lr * (1.0 - mu) / (1.0 - mu_product), tmp)
                    _addcdiv_(x, m, denom, (-lr * mu_next) / (1.0 - mu_product_next), tmp)
                    p._version[0] += 1
        return loss
