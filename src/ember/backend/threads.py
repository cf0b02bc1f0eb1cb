"""The CPU thread count of NumPy's BLAS, behind ``ember.set_num_threads`` / ``ember.get_num_threads``.

NumPy wheels ship OpenBLAS (as ``libscipy_openblas64_``, with prefixed symbols); other builds may link a system
OpenBLAS. The library is found among the shared objects already loaded by ``import numpy`` and driven through its
own C entry points, as threadpoolctl does. Where no OpenBLAS is found (MKL, Accelerate, a non-Linux system) the
calls do nothing and ``get_num_threads`` reports the value last set (PyTorch's default: the number of usable CPUs).
"""
import ctypes
import os
import re

_SETTERS = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads")

_blas = None          # (setter, getter) once found; False when there is none
_requested = None


def _cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _find_blas():
    global _blas
    if _blas is None:
        _blas = False
        try:
            with open("/proc/self/maps") as f:
                paths = sorted(set(re.findall(r"(/\S*openblas\S*\.so\S*)", f.read())))
        except OSError:
            paths = []
        for path in paths:
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            setter = next((getattr(lib, n) for n in _SETTERS if hasattr(lib, n)), None)
            getter = next((getattr(lib, n) for n in _GETTERS if hasattr(lib, n)), None)
            if setter is not None and getter is not None:
                setter.argtypes, setter.restype = [ctypes.c_int], None
                getter.argtypes, getter.restype = [], ctypes.c_int
                _blas = (setter, getter)
                break
    return _blas


def set_num_threads(n: int) -> None:
    global _requested
    _requested = n
    blas = _find_blas()
    if blas:
        blas[0](n)


def get_num_threads() -> int:
    blas = _find_blas()
    if blas:
        return int(blas[1]())
    return _requested if _requested is not None else _cpu_count()
