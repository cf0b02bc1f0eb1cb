"""``Adadelta``, PyTorch's update rule (with ``lr`` scaling the delta)."""
import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, _NoGrad, _addcmul_, _prepare_grad, _step_tensor, _to_scalar, _zeros_like

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """``Adadelta(params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
    maximize=False, differentiable=False)``. State: ``step``, ``square_avg``, ``acc_delta``."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
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
                rho, eps, weight_decay, maximize = group["rho"], group["eps"], group["weight_decay"], \
                    group["maximize"]
                for p in group["params"]:
                    g = p._grad
                    if g is None:
                        continue
                    x = p._data
                    state = state_of[p]
                    if len(state) == 0:
                        state["step"] = _step_tensor()
                        state["square_avg"] = _zeros_like(x)
                        state["acc_delta"] = _zeros_like(x)
                    st = state["step"]._data
                    st += 1
                    d = _prepare_grad(g._data, x, maximize, weight_decay)
                    sq = state["square_avg"]._data
                    acc = state["acc_delta"]._data
                    tmp = self._scratch(x)
                    sq *= rho
                    _addcmul_(sq, d, d, 1 - rho, tmp)
                    std = np.add(sq, eps, out=self._scratch(x, 1))
                    np.sqrt(std, out=std)
                    delta = np.add(acc, eps, out=self._scratch(x, 2))
                    np.sqrt(delta, out=delta)
                    delta /= std
                    delta *= d
                    acc *= rho
                    _addcmul_(acc, delta, delta, 1 - rho, tmp)
                    delta *= -lr
                    x += delta
                    p._version[0] += 1
        return loss
