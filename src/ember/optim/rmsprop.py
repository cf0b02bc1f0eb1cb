"""``RMSprop`` (optionally ``centered`` and with ``momentum``), PyTorch's update rule."""
import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, _NoGrad, _addcdiv_, _addcmul_, _lerp_, _prepare_grad, _step_tensor, _to_scalar, \
    _zeros_like

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """``RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
    capturable=False, foreach=None, maximize=False, differentiable=False)``.

    State: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0), ``grad_avg`` (centered).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
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
                alpha, eps, weight_decay = group["alpha"], group["eps"], group["weight_decay"]
                momentum, centered, maximize = group["momentum"], group["centered"], group["maximize"]
                for p in group["params"]:
                    g = p._grad
                    if g is None:
                        continue
                    x = p._data
                    state = state_of[p]
                    if len(state) == 0:
                        state["step"] = _step_tensor()
                        state["square_avg"] = _zeros_like(x)
                        if momentum > 0:
                            state["momentum_buffer"] = _zeros_like(x)
                        if centered:
                            state["grad_avg"] = _zeros_like(x)
                    st = state["step"]._data
                    st += 1
                    d = _prepare_grad(g._data, x, maximize, weight_decay)
                    v = state["square_avg"]._data
                    tmp = self._scratch(x)
                    v *= alpha
                    _addcmul_(v, d, d, 1 - alpha, tmp)
                    if centered:
                        ga = state["grad_avg"]._data
                        _lerp_(ga, d, 1 - alpha, tmp)
                        avg = np.multiply(ga, -1, out=self._scratch(x, 1))
                        avg *= ga
                        avg += v
                        np.sqrt(avg, out=avg)
                    else:
                        avg = np.sqrt(v, out=self._scratch(x, 1))
                    avg += eps
                    if momentum > 0:
                        buf = state["momentum_buffer"]._data
                        buf *= momentum
                        _addcdiv_(buf, d, avg, 1, tmp)
                        x += np.multiply(buf, -lr, out=tmp)
                    else:
                        _addcdiv_(x, d, avg, -lr, tmp)
                    p._version[0] += 1
        return loss
