"""ember: a readable deep learning framework with PyTorch's API, on NumPy (and CuPy).

``import ember as torch`` runs ordinary PyTorch code. See README.md and docs/architecture.md.
"""
import builtins as _builtins
import math as _math

import numpy as _np

from ._dtype import (dtype, get_default_dtype, set_default_dtype, result_type as _result_type,  # noqa: F401
                     promote_types as _promote_types, to_dtype as _to_dtype,
                     float16, float32, float64, int8, int16, int32, int64, uint8, bool_ as bool)
from ._tensor import Tensor  # noqa: F401
from .backend import device  # noqa: F401
from ._config import (no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled,  # noqa: F401
                      is_inference_mode_enabled, is_anomaly_enabled)
from . import ops as _ops
from ._tensor_str import set_printoptions  # noqa: F401
from . import autograd  # noqa: F401

globals().update(_ops.PUBLIC)

from .ops.random import Generator, default_generator  # noqa: E402,F401
from .ops.shape import Size  # noqa: E402,F401

__version__ = "0.1.0"

half = float16
float = float32
double = float64
short = int16
int = int32
long = int64

pi = _math.pi
e = _math.e
inf = _math.inf
nan = _math.nan
newaxis = None

FloatTensor = DoubleTensor = LongTensor = None  # replaced below by constructors


def _typed_tensor(dt):
    def make(*args, **kwargs):
        return Tensor(*args, dtype=dt, **kwargs) if args and not isinstance(args[0], _builtins.int) \
            else Tensor(*args, dtype=dt)
    return make


FloatTensor = _typed_tensor(float32)
DoubleTensor = _typed_tensor(float64)
LongTensor = _typed_tensor(int64)
IntTensor = _typed_tensor(int32)
BoolTensor = _typed_tensor(bool)
ByteTensor = _typed_tensor(uint8)


def result_type(tensor1, tensor2):
    return _result_type(tensor1, tensor2)


def promote_types(type1, type2):
    return _promote_types(_to_dtype(type1), _to_dtype(type2))


def can_cast(from_, to):
    return from_.category <= to.category


def set_num_threads(n):
    """Sets the number of threads NumPy's BLAS uses for matrix products (``torch.set_num_threads``)."""
    if not isinstance(n, (_builtins.int, _np.integer)) or isinstance(n, _builtins.bool):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    from .backend.threads import set_num_threads as _set
    _set(_builtins.int(n))


def get_num_threads():
    """The number of threads NumPy's BLAS uses (``torch.get_num_threads``)."""
    from .backend.threads import get_num_threads as _get
    return _get()


def is_grad_enabled_():  # pragma: no cover - alias kept private
    return is_grad_enabled()


class _Cuda:
    """``ember.cuda``: availability and device count (CuPy is imported only when asked)."""

    @staticmethod
    def is_available():
        from .backend import cuda_available
        return cuda_available()

    @staticmethod
    def device_count():
        if not _Cuda.is_available():
            return 0
        from .backend import _import_cupy
        return _import_cupy().cuda.runtime.getDeviceCount()

    @staticmethod
    def manual_seed(seed):
        pass

    manual_seed_all = manual_seed

    @staticmethod
    def synchronize(device=None):
        if _Cuda.is_available():
            from .backend import _import_cupy
            _import_cupy().cuda.Device().synchronize()


cuda = _Cuda()
from . import nn  # noqa: E402,F401
from . import optim  # noqa: E402,F401
from .serialization import save, load  # noqa: E402,F401
from . import utils  # noqa: E402,F401
from .utils.summary import summary  # noqa: E402,F401
from . import linalg  # noqa: E402,F401
