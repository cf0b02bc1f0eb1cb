"""Reading PyTorch's ``torch.save`` files without PyTorch and without running any code from the file.

PyTorch writes a zip archive: ``<prefix>/data.pkl`` (a pickle of the object, each tensor a call to
``torch._utils._rebuild_tensor_v2`` on a *persistent id* ``('storage', torch.FloatStorage, key, location, numel)``)
and ``<prefix>/data/<key>`` (the raw bytes of each storage). The older non-zip format (``_use_new_zipfile_
serialization=False``) is a run of pickles (magic number, protocol, system info, the object, the storage keys)
followed by each storage as an int64 element count and its bytes.

Unpickling is restricted: ``find_class`` resolves only an allow-list of names (tensor and parameter rebuilders,
storage types, dtypes, ``torch.Size``, ``torch.device``, ``collections.OrderedDict``, a few harmless builtins),
each to ember's own implementation, never to the module named in the file. Any other global is refused with a
``pickle.UnpicklingError`` that names it, before anything is called.
"""
import io
import math
import pickle
import zipfile
from collections import OrderedDict

import numpy as np

from ._common import CheckpointError, bf16_to_float32

_STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16, "CharStorage": np.int8,
    "ByteStorage": np.uint8, "BoolStorage": np.bool_, "BFloat16Storage": "bfloat16",
    "UntypedStorage": np.uint8,
}
_TORCH_DTYPES = {"float32": "float32", "float": "float32", "float64": "float64", "double": "float64",
                 "float16": "float16", "half": "float16", "int64": "int64", "long": "int64", "int32": "int32",
                 "int": "int32", "int16": "int16", "short": "int16", "int8": "int8", "uint8": "uint8",
                 "bool": "bool"}
PICKLE_MAGIC = 0x1950a86a20f9469cfc6c
PICKLE_PROTOCOL_VERSION = 1001


class _StorageType:
    """What ``torch.FloatStorage`` and friends resolve to: just the element type."""

    def __init__(self, name):
        self.name = name
        self.bf16 = _STORAGE_DTYPES[name] == "bfloat16"
        self.dtype = np.dtype(np.uint16 if self.bf16 else _STORAGE_DTYPES[name])


class _Storage:
    """A loaded storage: a flat host array (filled later in the legacy format) and its saved location."""

    def __init__(self, array, location, bf16):
        self.array = array
        self.location = location
        self.bf16 = bf16


class _Reader:
    def __init__(self, placer, where):
        self.placer = placer
        self.where = where

    def bad(self, msg):
        return CheckpointError(f"ember.load: {self.where} is not a valid PyTorch checkpoint: {msg}")

    # -------------------------------------------------------------------- the allow-list
    def find_class(self, module, name):
        from .._dtype import to_dtype
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        if module == "torch._utils":
            fn = {"_rebuild_tensor_v2": self.rebuild_tensor_v2, "_rebuild_tensor": self.rebuild_tensor,
                  "_rebuild_parameter": self.rebuild_parameter,
                  "_rebuild_parameter_with_state": self.rebuild_parameter_with_state}.get(name)
            if fn is not None:
                return fn
        if module in ("torch", "torch.storage") and name in _STORAGE_DTYPES:
            return _StorageType(name)
        if module == "torch" and name == "Size":
            from ..ops.shape import Size
            return Size
        if module == "torch" and name == "device":
            from ..backend import device
            return device
        if module == "torch" and name in _TORCH_DTYPES:
            return to_dtype(_TORCH_DTYPES[name])
        if module == "builtins" and name in ("set", "frozenset", "slice", "range"):
            return {"set": set, "frozenset": frozenset, "slice": slice, "range": range}[name]
        if module == "_codecs" and name == "encode":
            return _codecs_encode   # how protocol-2 pickles spell bytes
        raise pickle.UnpicklingError(
            f"ember.load: refusing to load {self.where}: it references the global '{module}.{name}', which is not "
            "on ember's allow-list (tensors, storages, dtypes, torch.Size, torch.device, OrderedDict). ember never "
            "executes code from a checkpoint; nothing from the file was run.")

    def unpickler(self, fh, persistent_load):
        reader = self

        class _Unpickler(pickle.Unpickler):
            def find_class(self, module, name):
                return reader.find_class(module, name)

            def persistent_load(self, pid):
                return persistent_load(pid)

        return _Unpickler(fh)

    def load_pickle(self, fh, persistent_load=None):
        def no_pid(pid):
            raise pickle.UnpicklingError(f"ember.load: {self.where}: unexpected persistent id {pid!r}")
        try:
            return self.unpickler(fh, persistent_load or no_pid).load()
        except (pickle.UnpicklingError, CheckpointError):
            raise
        except (EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError,
                MemoryError, RecursionError, UnicodeDecodeError) as e:
            raise self.bad(f"the pickle could not be read ({type(e).__name__}: {e}); the file is probably "
                           "truncated or corrupted") from None

    # -------------------------------------------------------------------- tensors
    def rebuild_tensor_v2(self, storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                          metadata=None):
        t = self.rebuild_tensor(storage, storage_offset, size, stride)
        if requires_grad:
            t.requires_grad_(True)
        return t

    def rebuild_tensor(self, storage, storage_offset, size, stride):
        from .._tensor import Tensor
        if not isinstance(storage, _Storage):
            raise self.bad(f"a tensor is built from {type(storage).__name__}, not a storage")
        size, stride = tuple(size), tuple(stride)
        ints = (storage_offset,) + size + stride
        if len(size) != len(stride) or not all(isinstance(v, int) and v >= 0 for v in ints):
            raise self.bad(f"invalid tensor geometry (offset {storage_offset}, size {size}, stride {stride})")
        base = storage.array
        if math.prod(size) > 0:
            last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride))
            if last >= base.size:
                raise self.bad(f"a tensor of size {list(size)}, stride {list(stride)} at offset {storage_offset} "
                               f"reaches past the end of its storage of {base.size} elements")
            arr = np.lib.stride_tricks.as_strided(base[storage_offset:], shape=size,
                                                  strides=tuple(s * base.itemsize for s in stride))
        else:
            arr = np.empty(size, dtype=base.dtype)
        if storage.bf16:
            arr = bf16_to_float32(arr)     # ember has no bfloat16: exact widening to float32
        elif not _is_view_layout(size, stride):
            arr = arr.copy(order="C")  # overlapping strides: own the memory
        return self.placer.place(Tensor._make(arr), storage.location)

    def rebuild_parameter(self, data, requires_grad, backward_hooks=None):
        from .._tensor import Tensor
        if not isinstance(data, Tensor):
            raise self.bad("a parameter is built from something that is not a tensor")
        from ..nn.parameter import Parameter
        return Parameter(data, requires_grad=bool(requires_grad))

    def rebuild_parameter_with_state(self, data, requires_grad, backward_hooks=None, state=None):
        return self.rebuild_parameter(data, requires_grad, backward_hooks)

    def storage_for(self, storage_type, location, numel):
        if not isinstance(storage_type, _StorageType):
            raise self.bad(f"storage type {storage_type!r} is not a torch storage class")
        if not isinstance(location, str):
            location = location.decode("ascii") if isinstance(location, bytes) else str(location)
        if not isinstance(numel, int) or numel < 0:
            raise self.bad(f"invalid storage size {numel!r}")
        return location

    # -------------------------------------------------------------------- the zip format
    def load_zip(self, buf):
        try:
            zf = zipfile.ZipFile(io.BytesIO(buf))
            names = zf.namelist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
            raise self.bad(f"the zip archive is damaged ({e})") from None
        pkls = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
        if not pkls:
            raise self.bad("the zip archive has no <name>/data.pkl record (not a torch.save file?)")
        prefix = pkls[0][:-len("data.pkl")]

        def read(name):
            try:
                return zf.read(name)
            except KeyError:
                raise self.bad(f"the archive lacks the record {name!r}") from None
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as e:
                raise self.bad(f"the record {name!r} is damaged ({e})") from None

        big_endian = False
        if prefix + "byteorder" in names:
            big_endian = read(prefix + "byteorder").strip() == b"big"
        storages = {}

        def persistent_load(pid):
            if not isinstance(pid, tuple) or len(pid) < 5 or _ascii(pid[0]) != "storage":
                raise self.bad(f"unknown persistent id {pid!r}")
            _, storage_type, key, location, numel = pid[:5]
            location = self.storage_for(storage_type, location, numel)
            key = _ascii(key)
            if key not in storages:
                raw = read(f"{prefix}data/{key}")
                dt = storage_type.dtype.newbyteorder(">" if big_endian else "<")
                if len(raw) % dt.itemsize:
                    raise self.bad(f"storage {key!r} holds {len(raw)} bytes, not a whole number of "
                                   f"{dt.itemsize}-byte elements")
                arr = np.frombuffer(bytearray(raw), dtype=dt)
                if not arr.dtype.isnative:
                    arr = arr.astype(arr.dtype.newbyteorder("="))
                storages[key] = _Storage(arr, location, storage_type.bf16)
            return storages[key]

        return self.load_pickle(io.BytesIO(read(prefix + "data.pkl")), persistent_load)

    # -------------------------------------------------------------------- the legacy format
    def load_legacy(self, buf):
        fh = io.BytesIO(buf)
        magic = self.load_pickle(fh)
        if magic != PICKLE_MAGIC:
            raise self.bad("invalid magic number (corrupted file?)")
        version = self.load_pickle(fh)
        if version != PICKLE_PROTOCOL_VERSION:
            raise self.bad(f"invalid protocol version {version!r}")
        sys_info = self.load_pickle(fh)
        little = sys_info.get("little_endian", True) if isinstance(sys_info, dict) else True
        storages = {}

        def persistent_load(pid):
            if not isinstance(pid, tuple) or len(pid) < 5 or _ascii(pid[0]) != "storage":
                raise self.bad(f"unknown persistent id {pid!r}")
            storage_type, key, location, numel = pid[1:5]
            view = pid[5] if len(pid) > 5 else None
            location = self.storage_for(storage_type, location, numel)
            key = _ascii(key)
            if key not in storages:
                if numel * storage_type.dtype.itemsize > len(buf):
                    raise self.bad(f"storage {key!r} claims {numel} elements, more than the file holds")
                storages[key] = _Storage(np.zeros(numel, dtype=storage_type.dtype), location, storage_type.bf16)
            st = storages[key]
            if view is not None:
                vkey, offset, vsize = view
                if not (0 <= offset and offset + vsize <= st.array.size):
                    raise self.bad(f"storage view {vkey!r} lies outside its storage")
                return _Storage(st.array[offset:offset + vsize], st.location, st.bf16)
            return st

        # pass 1 learns the storages (dtype, size) the object uses; their bytes come after the object's pickle
        start = fh.tell()
        self.load_pickle(fh, persistent_load)
        keys = self.load_pickle(fh)
        if not isinstance(keys, list):
            raise self.bad("the storage key list is missing")
        for key in keys:
            key = _ascii(key)
            st = storages.get(key)
            if st is None:
                raise self.bad(f"storage {key!r} is listed but never used")
            head = fh.read(8)
            if len(head) < 8:
                raise self.bad(f"the file is truncated (storage {key!r} is missing)")
            count = int.from_bytes(head, "little" if little else "big", signed=True)
            if count != st.array.size:
                raise self.bad(f"storage {key!r} holds {count} elements, expected {st.array.size}")
            nbytes = count * st.array.itemsize
            raw = fh.read(nbytes)
            if len(raw) < nbytes:
                raise self.bad(f"the file is truncated (storage {key!r} has {len(raw)} of {nbytes} bytes)")
            st.array[...] = np.frombuffer(raw, dtype=st.array.dtype.newbyteorder("<" if little else ">"))
        # pass 2 builds the object on the filled storages
        fh.seek(start)
        return self.load_pickle(fh, persistent_load)


def _is_view_layout(size, stride):
    """Strides that address distinct elements (no overlap): safe to keep as a view of the storage."""
    dims = sorted((s, n) for n, s in zip(size, stride) if n > 1)
    span = 1
    for s, n in dims:
        if s < span:
            return False
        span = s * n
    return True


def _ascii(v):
    return v.decode("ascii") if isinstance(v, bytes) else str(v)


def _codecs_encode(obj, encoding="utf-8"):
    if not isinstance(obj, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("ember.load: _codecs.encode is allowed only for latin1 text (pickled bytes)")
    return obj.encode("latin1")


def is_zip(buf):
    return buf[:4] == b"PK\x03\x04"


def is_legacy(buf):
    return buf[:2] == b"\x80\x02" and buf[2:3] == b"\x8a"
