"""What the checkpoint readers and writers share: dtype names, the load error, device placement, atomic writes."""
import os
import tempfile

import numpy as np

from .._dtype import ALL as _ALL_DTYPES


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read: truncated, corrupted, or not a checkpoint at all."""


def describe(f):
    """How an error names the checkpoint: its path, or the file object's name."""
    if isinstance(f, (str, bytes, os.PathLike)):
        return repr(os.fsdecode(f))
    name = getattr(f, "name", None)
    return repr(name) if isinstance(name, (str, bytes)) else f"<{type(f).__name__} object>"


# safetensors dtype codes <-> NumPy dtypes (little-endian on disk)
ST_FROM_NP = {np.dtype(np.float16): "F16", np.dtype(np.float32): "F32", np.dtype(np.float64): "F64",
              np.dtype(np.int8): "I8", np.dtype(np.int16): "I16", np.dtype(np.int32): "I32",
              np.dtype(np.int64): "I64", np.dtype(np.uint8): "U8", np.dtype(np.bool_): "BOOL"}
NP_FROM_ST = {v: k for k, v in ST_FROM_NP.items()}
NP_FROM_ST.update({"U16": np.dtype(np.uint16), "U32": np.dtype(np.uint32), "U64": np.dtype(np.uint64)})
ST_ITEMSIZE = {k: v.itemsize for k, v in NP_FROM_ST.items()}
ST_ITEMSIZE["BF16"] = 2
assert all(d.np in ST_FROM_NP for d in _ALL_DTYPES)


def bf16_to_float32(raw_u16):
    """bfloat16 bits (uint16) -> float32 values (exact: bf16 is the top half of a float32)."""
    return (raw_u16.astype(np.uint32) << 16).view(np.float32)


def host_le(arr):
    """A C-contiguous little-endian host copy (or view) of ``arr``: the bytes a checkpoint stores."""
    if type(arr) is not np.ndarray:
        arr = arr.get()  # CuPy -> host
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    return arr if arr.flags.c_contiguous else arr.copy(order="C")   # (ascontiguousarray makes 0-d 1-d)


# ------------------------------------------------------------------------------------------------ placement
class Placer:
    """Puts loaded arrays where ``map_location`` says (PyTorch's rules: None keeps the saved device; a device or
    string sends everything there; a dict maps saved locations; a callable gets ``(tensor, location)``)."""

    def __init__(self, map_location):
        from ..backend import device as _device
        if map_location is not None and not (isinstance(map_location, (str, dict, _device)) or
                                             callable(map_location)):
            raise TypeError(f"map_location should be a string, a device, a dict or a callable, got "
                            f"{type(map_location).__name__}")
        self.map_location = map_location

    def target(self, location):
        from ..backend import device as _device
        ml = self.map_location
        if ml is None:
            loc = location
        elif isinstance(ml, dict):
            loc = ml.get(location, location)
            loc = str(loc) if isinstance(loc, _device) else loc
        elif isinstance(ml, (str, _device)):
            loc = str(ml)
        else:
            return None
        try:
            dev = _device(loc)
        except (RuntimeError, TypeError):
            raise RuntimeError(f"don't know how to restore data location {loc!r}") from None
        return dev

    def place(self, tensor, location):
        """``tensor`` (on the host) moved to its target; returns the tensor to use."""
        from .._tensor import Tensor
        ml = self.map_location
        if ml is not None and not isinstance(ml, (str, dict)) and not _is_device(ml):
            out = ml(tensor, location)
            if out is None:
                return tensor
            if not isinstance(out, Tensor):
                raise TypeError(f"map_location callable must return a Tensor or None, got {type(out).__name__}")
            return out
        dev = self.target(location)
        if dev.type == "cpu":
            return tensor
        from ..backend import cuda_available, to_device
        if not cuda_available():
            raise RuntimeError("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() "
                               "is False. If you are running on a CPU-only machine, please use torch.load with "
                               "map_location=torch.device('cpu') to map your storages to the CPU.")
        tensor._data = to_device(tensor._data, dev)
        return tensor


def _is_device(obj):
    from ..backend import device as _device
    return isinstance(obj, _device)


# ------------------------------------------------------------------------------------------------ atomic write
_umask = []


def _current_umask():
    if not _umask:
        mask = None
        try:
            with open("/proc/self/status") as fh:
                for line in fh:
                    if line.startswith("Umask:"):
                        mask = int(line.split()[1], 8)
                        break
        except OSError:
            pass
        if mask is None:
            mask = os.umask(0o022)
            os.umask(mask)
        _umask.append(mask)
    return _umask[0]


def atomic_write(path, write):
    """Call ``write(fileobj)`` on a temporary file next to ``path``, then flush, fsync and ``os.replace`` it over
    ``path``. If anything fails (or the process dies) before the rename, ``path`` keeps its old contents."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            mode = os.stat(path).st_mode & 0o7777   # keep an existing file's permissions
        except OSError:
            mode = 0o666 & ~_current_umask()        # what open(path, "wb") would have given
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
