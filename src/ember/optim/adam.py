"""``Adam`` (with ``amsgrad``, ``maximize``, L2 or decoupled weight decay), PyTorch's update rule."""
import numpy as np

from .._tensor import Tensor
from .optimizer import (Optimizer, _NoGrad, _addcdiv_, _addcmul_, _lerp_, _prepare_grad, _step_tensor,
                        _to_scalar, _zeros_like)

__all__ = ["Adam"]


def _check_betas(betas):
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def _check_common(lr, eps, betas, weight_decay):
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    _check_betas(betas)
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    """``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *, foreach=None,
    maximize=False, capturable=False, differentiable=False, fused=None, decoupled_weight_decay=False)``.

    State per parameter: ``step`` (0-d float32), ``exp_avg``, ``exp_avg_sq`` and, with ``amsgrad``,
    ``max_exp_avg_sq``. ``foreach``/``fused``/``capturable`` are accepted and change nothing.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check_common(lr, eps, betas, weight_decay)
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if isinstance(betas[i], Tensor) and betas[i].numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(map(_to_scalar, betas))
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            group.setdefault("fused", None)

    def step(self, closure=None):
        """Perform a single optimization step (``closure`` re-evaluates the model and returns the loss)."""
        loss = self._closure_loss(closure)
        with _NoGrad():
            state_of = self.state
            for group in self.param_groups:
                lr = _to_scalar(group["lr"])
                beta1, beta2 = group["betas"]
                beta1, beta2 = _to_scalar(beta1), _to_scalar(beta2)
                eps = group["eps"]
                weight_decay = group["weight_decay"]
                amsgrad = group["amsgrad"]
                maximize = group["maximize"]
                decoupled = group["decoupled_weight_decay"]
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
                        if amsgrad:
                            state["max_exp_avg_sq"] = _zeros_like(x)
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
                    step_size = lr / bias_correction1
                    bias_correction2_sqrt = bias_correction2 ** 0.5
                    if amsgrad:
                        vmax = state["max_exp_avg_sq"]._data
                        np.maximum(vmax, v, out=vmax)
                        denom = np.sqrt(vmax, out=self._scratch(x, 1))
                    else:
                        denom = np.sqrt(v, out=self._scratch(x, 1))
                    denom /= bias_correction2_sqrt
                    denom += eps
                    _addcdiv_(x, m, denom, -step_size, tmp)
                    p._version[0] += 1
        return loss
