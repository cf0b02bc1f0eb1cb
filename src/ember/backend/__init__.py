"""The device seam: where arrays live and which array module (NumPy or CuPy) computes on them.

Everything that differs between CPU and GPU goes through here; the ops call ``xp = array_module(x)`` and stay
device-agnostic. CuPy is imported lazily, only when a CUDA device is asked for.
"""
import numpy as np

__all__ = ["device", "array_module", "device_of", "cuda_available", "index_add_at"]

_cupy = None


def _import_cupy():
    global _cupy
    if _cupy is None:
        try:
            import cupy
        except ImportError as e:
            raise RuntimeError("CUDA support needs CuPy: pip install 'ember[cuda]'") from e
        _cupy = cupy
    return _cupy


def cuda_available():
    try:
        cp = _import_cupy()
        return cp.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


class device:
    """``ember.device('cpu')``, ``ember.device('cuda:0')``, ``ember.device('cuda', 1)``."""

    __slots__ = ("type", "index")

    def __new__(cls, spec, index=None):
        if isinstance(spec, device):
            return spec
        if isinstance(spec, int):
            spec, index = "cuda", spec
        if not isinstance(spec, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type(spec).__name__})")
        kind, _, idx = spec.partition(":")
        if kind not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {spec}")
        if idx:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: {spec}")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{spec}'")
            index = int(idx)
        if kind == "cpu":
            return CPU
        self = object.__new__(cls)
        self.type = kind
        self.index = index
        return self

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except RuntimeError:
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))


CPU = object.__new__(device)
CPU.type = "cpu"
CPU.index = None


def array_module(arr):
    """NumPy for NumPy arrays, CuPy for CuPy arrays."""
    if type(arr) is np.ndarray or _cupy is None:
        return np
    return _cupy.get_array_module(arr)


def device_of(arr):
    if type(arr) is np.ndarray or _cupy is None:
        return CPU
    return device("cuda", arr.device.id)


def module_for(dev):
    """The array module that computes on ``dev``."""
    if dev.type == "cpu":
        return np
    return _import_cupy()


def to_device(arr, dev):
    """Copy ``arr`` to ``dev`` (a no-op when it is already there)."""
    dev = device(dev)
    if dev.type == "cpu":
        if type(arr) is np.ndarray:
            return arr
        return arr.get()
    cp = _import_cupy()
    idx = 0 if dev.index is None else dev.index
    if isinstance(arr, cp.ndarray) and arr.device.id == idx:
        return arr
    with cp.cuda.Device(idx):
        return cp.asarray(arr)


def index_add_at(target, index, values):
    """Unbuffered ``target[index] += values`` (repeated indices all add): ``np.add.at`` or ``cupyx.scatter_add``."""
    if type(target) is np.ndarray:
        np.add.at(target, index, values)
    else:
        import cupyx
        cupyx.scatter_add(target, index, values)
