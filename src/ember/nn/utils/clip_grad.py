"""Gradient clipping: ``clip_grad_norm_`` (returns the total norm) and ``clip_grad_value_``."""
import math

import numpy as np

from ..._config import no_grad
from ..._tensor import Tensor


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p._grad for p in parameters if p._grad is not None]


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of all ``tensors`` taken together, as a 0-d tensor."""
    from ...ops.creation import tensor as make_tensor
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    tensors = [t for t in tensors if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return make_tensor(0.0)
    dtype = tensors[0]._data.dtype
    if norm_type == math.inf:
        total = max(float(np.abs(t._data).max()) if t._data.size else 0.0 for t in tensors)
    elif norm_type == -math.inf:
        total = min(float(np.abs(t._data).min()) if t._data.size else math.inf for t in tensors)
    elif norm_type == 2.0:
        total = math.sqrt(sum(float(np.vdot(t._data.ravel(), t._data.ravel())) for t in tensors))
    else:
        total = sum(float((np.abs(t._data.astype(np.float64)) ** norm_type).sum()) for t in tensors) ** \
            (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so "
                           "it cannot be clipped. To disable this error and scale the gradients by the non-finite "
                           "norm anyway, set `error_if_nonfinite=False`")
    return Tensor._make(np.array(total, dtype=dtype))


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    grads = _grads(parameters)
    coef = float(max_norm) / (float(total_norm) + 1e-6)
    if coef < 1.0:
        with no_grad():
            for g in grads:
                g._data *= g._data.dtype.type(coef)
                g._version[0] += 1


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the gradients so that their total norm is at most ``max_norm``; return the total norm (before
    clipping) as a tensor, like PyTorch."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        parameters = list(parameters)
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    if grads:
        clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    import warnings
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element into ``[-clip_value, clip_value]``, in place."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            np.clip(g._data, -clip_value, clip_value, out=g._data)
            g._version[0] += 1
