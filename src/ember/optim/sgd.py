"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov momentum, L2 weight decay and
``maximize``, with PyTorch's update rule (the momentum buffer starts as the first gradient)."""
import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, _NoGrad, _prepare_grad, _to_scalar

__all__ = ["SGD"]


class SGD(Optimizer):
    """``SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False,
    foreach=None, differentiable=False, fused=None)``.

    ``foreach``/``fused`` are accepted for compatibility (the update is the same); ``differentiable`` is
    recorded but the step never records autograd history.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
                    "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    def step(self, closure=None):
        """Perform a single optimization step (``closure`` re-evaluates the model and returns the loss)."""
        loss = self._closure_loss(closure)
        with _NoGrad():
            state_of = self.state
            for group in self.param_groups:
                lr = _to_scalar(group["lr"])
                momentum = group["momentum"]
                dampening = group["dampening"]
                weight_decay = _to_scalar(group["weight_decay"])
                nesterov = group["nesterov"]
                maximize = group["maximize"]
                for p in group["params"]:
                    g = p._grad
                    if g is None:
                        continue
                    x = p._data
                    d = _prepare_grad(g._data, x, maximize, weight_decay)
                    owned = d is not g._data  # d is a temporary this step may overwrite
                    if momentum != 0:
                        state = state_of[p]
                        buf = state.get("momentum_buffer")
                        if buf is None:
                            b = d if owned else d.copy()
                            state["momentum_buffer"] = Tensor._make(b)
                        else:
                            b = buf._data
                            b *= momentum
                            if dampening == 0:
                                b += d
                            else:
                                b += np.multiply(d, 1 - dampening)
                            buf._version[0] += 1
                        if nesterov:
                            t = np.multiply(b, momentum, out=np.empty_like(b))
                            t += d
                            d, owned = t, True
                        else:
                            d, owned = b, False
                    x += np.multiply(d, -lr, out=d if owned else self._scratch(x))
                    p._version[0] += 1
        return loss
