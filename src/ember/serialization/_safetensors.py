"""ember's checkpoint format: a safetensors file.

Layout (https://github.com/huggingface/safetensors): 8-byte little-endian header length N, N bytes of JSON
``{name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}}``, then
the raw little-endian bytes of every tensor, back to back. Only data: loading runs no code.

Everything that is not a tensor (the nesting of dicts, lists, tuples, OrderedDicts, and the Python scalars,
strings and None in them) is written as JSON in ``__metadata__["ember.structure"]``, where each tensor appears as a
reference to its entry by name. A flat ``{str: tensor}`` (a model's state dict) uses its keys as the entry names,
so ``safetensors.torch.load_file`` reads it as the same dict; a file without ember's structure (written by
``safetensors.torch.save_file``) loads as a plain ``dict`` of tensors.
"""
import base64
import json
import math
from collections import OrderedDict

import numpy as np

from ._common import (CheckpointError, ST_FROM_NP, NP_FROM_ST, ST_ITEMSIZE, bf16_to_float32, host_le)

STRUCTURE_KEY = "ember.structure"
FORMAT_VERSION = 1
_MAX_HEADER = 100_000_000   # safetensors' own limit


# ------------------------------------------------------------------------------------------------ writing
class _Writer:
    def __init__(self):
        self.entries = []        # (name, host array)
        self.names = set()
        self.active = set()      # ids of the containers being encoded (cycle check)
        self.seen = {}           # id(tensor) -> its first entry's name (shared / tied tensors)

    def name_for(self, path):
        base = ".".join(path) if path else "tensor"
        name, k = base, 1
        while name in self.names or name == "__metadata__":
            name = f"{base}#{k}"
            k += 1
        self.names.add(name)
        return name

    def encode(self, obj, path):
        from .._tensor import Tensor
        from .._dtype import dtype as _dtype
        from ..backend import device as _device
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            f = float(obj)
            return f if math.isfinite(f) else {"$float": repr(f)}
        if isinstance(obj, Tensor):
            arr = obj._data
            if arr.dtype not in ST_FROM_NP:
                raise TypeError(f"ember.save: cannot store a tensor of dtype {arr.dtype}")
            name = self.name_for(path)
            self.entries.append((name, arr))
            node = {"$tensor": name}
            first = self.seen.setdefault(id(obj), name)
            if first != name:   # the same tensor again (tied weights): its bytes are stored again under this
                node["same_as"] = first   # name, so flat readers see every key, and ember restores the sharing
            if obj.requires_grad:
                node["requires_grad"] = True
            if _is_parameter(obj):
                node["parameter"] = True
            dev = obj.device
            if dev.type != "cpu":
                node["device"] = str(dev)
            return node
        if isinstance(obj, (np.bool_, np.integer, np.floating)):
            return self.encode(obj.item(), path)
        if isinstance(obj, np.ndarray):
            if obj.dtype not in ST_FROM_NP:
                raise TypeError(f"ember.save: cannot store a NumPy array of dtype {obj.dtype}")
            name = self.name_for(path)
            self.entries.append((name, obj))
            return {"$ndarray": name}
        if isinstance(obj, _dtype):
            return {"$dtype": obj.name}
        if isinstance(obj, _device):
            return {"$device": str(obj)}
        if isinstance(obj, bytes):
            return {"$bytes": base64.b64encode(obj).decode("ascii")}
        if isinstance(obj, (dict, list, tuple)):
            if id(obj) in self.active:
                raise ValueError("ember.save: cannot save a container that contains itself")
            self.active.add(id(obj))
            try:
                return self._encode_container(obj, path)
            finally:
                self.active.discard(id(obj))
        raise TypeError(f"ember.save: cannot store an object of type {type(obj).__module__}.{type(obj).__qualname__}"
                        " in a checkpoint; ember saves only tensors, NumPy arrays, Python numbers, strings, bytes, "
                        "None, dtypes, devices and dict/OrderedDict/list/tuple containers of them (no pickle)")

    def _encode_container(self, obj, path):
        from ..ops.shape import Size
        if isinstance(obj, dict):
            items = [[self.encode_key(k), self.encode(v, path + [str(k)])] for k, v in obj.items()]
            node = {"$odict" if isinstance(obj, OrderedDict) else "$dict": items}
            meta = getattr(obj, "_metadata", None)   # state dicts carry per-module versions
            if isinstance(meta, dict):
                node["_metadata"] = self.encode(meta, path + ["_metadata"])
            return node
        items = [self.encode(v, path + [str(i)]) for i, v in enumerate(obj)]
        if isinstance(obj, list):
            return items
        if isinstance(obj, Size) or type(obj).__name__ == "Size":
            return {"$size": items}
        if hasattr(obj, "_fields"):
            raise TypeError(f"ember.save: cannot store the namedtuple {type(obj).__qualname__} (its class would "
                            "have to be imported on load); convert it to a tuple or dict")
        return {"$tuple": items}

    def encode_key(self, k):
        if k is None or isinstance(k, (bool, int, float, str)):
            return self.encode(k, [])
        if isinstance(k, tuple):
            return {"$tuple": [self.encode_key(x) for x in k]}
        raise TypeError(f"ember.save: cannot store a dict key of type {type(k).__name__}")


def _is_parameter(t):
    try:
        from ..nn.parameter import Parameter
    except ImportError:  # pragma: no cover - nn is part of ember
        return False
    return isinstance(t, Parameter)


def write(obj, fh):
    """Write ``obj`` to the binary file object ``fh`` in ember's safetensors layout."""
    w = _Writer()
    structure = w.encode(obj, [])
    arrays = [(name, host_le(arr)) for name, arr in w.entries]
    # the widest dtypes first, so that every tensor starts at a multiple of its item size (as safetensors does)
    order = sorted(range(len(arrays)), key=lambda i: -arrays[i][1].dtype.itemsize)
    header = {"__metadata__": {"format": "pt",
                               STRUCTURE_KEY: json.dumps({"version": FORMAT_VERSION, "root": structure},
                                                         separators=(",", ":"), allow_nan=False)}}
    offsets = {}
    pos = 0
    for i in order:
        arr = arrays[i][1]
        offsets[i] = (pos, pos + arr.nbytes)
        pos += arr.nbytes
    for i, (name, arr) in enumerate(arrays):
        header[name] = {"dtype": ST_FROM_NP[arr.dtype], "shape": list(arr.shape), "data_offsets": list(offsets[i])}
    blob = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    blob += b" " * (-len(blob) % 8)   # data starts 8-byte aligned
    fh.write(len(blob).to_bytes(8, "little"))
    fh.write(blob)
    for i in order:
        arr = arrays[i][1]
        if arr.nbytes:
            fh.write(memoryview(arr.reshape(-1)).cast("B"))


# ------------------------------------------------------------------------------------------------ reading
def looks_like(buf):
    """True when ``buf`` starts like a safetensors file (a plausible length, then a JSON object)."""
    if len(buf) < 10:
        return False
    n = int.from_bytes(buf[:8], "little")
    return 2 <= n <= len(buf) - 8 and buf[8:9] == b"{"


def read(buf, placer, where):
    """Parse the safetensors bytes ``buf`` (a bytearray: tensors are views into it where aligned)."""
    def bad(msg):
        return CheckpointError(f"ember.load: {where} is not a valid checkpoint: {msg}")

    if len(buf) < 8:
        raise bad(f"the file is truncated ({len(buf)} bytes)")
    n = int.from_bytes(buf[:8], "little")
    if n > _MAX_HEADER:
        raise bad(f"header length {n} is too large (corrupted file?)")
    if 8 + n > len(buf):
        raise bad(f"the file is truncated (header of {n} bytes, only {len(buf) - 8} bytes follow)")
    try:
        header = json.loads(bytes(buf[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise bad(f"the header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise bad("the header is not a JSON object")
    data_start = 8 + n
    data_len = len(buf) - data_start
    meta = header.pop("__metadata__", None)
    if meta is not None and not (isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values())):
        raise bad("__metadata__ must map strings to strings")

    arrays = {}
    end_max = 0
    for name, info in header.items():
        if not isinstance(info, dict):
            raise bad(f"entry {name!r} is not an object")
        code, shape, offs = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if code not in ST_ITEMSIZE:
            raise bad(f"entry {name!r} has unsupported dtype {code!r}")
        if not (isinstance(shape, list) and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                                                  for s in shape)):
            raise bad(f"entry {name!r} has an invalid shape {shape!r}")
        if not (isinstance(offs, list) and len(offs) == 2 and all(isinstance(o, int) and not isinstance(o, bool)
                                                                  for o in offs) and 0 <= offs[0] <= offs[1]):
            raise bad(f"entry {name!r} has invalid data_offsets {offs!r}")
        numel = math.prod(shape)
        nbytes = numel * ST_ITEMSIZE[code]
        if offs[1] - offs[0] != nbytes:
            raise bad(f"entry {name!r} has shape {shape} and dtype {code} ({nbytes} bytes) but data_offsets "
                      f"{offs} span {offs[1] - offs[0]} bytes")
        if offs[1] > data_len:
            raise bad(f"the file is truncated: entry {name!r} needs bytes up to {offs[1]} of the data section, "
                      f"which has only {data_len}")
        end_max = max(end_max, offs[1])
        arrays[name] = (code, shape, data_start + offs[0], numel)
    if end_max != data_len and arrays:
        raise bad(f"{data_len - end_max} bytes of trailing data after the last tensor (corrupted file?)")

    def array(name):
        code, shape, start, numel = arrays[name]
        if code == "BF16":
            raw = np.frombuffer(buf, dtype="<u2", count=numel, offset=start)
            return bf16_to_float32(raw).reshape(shape)
        dt = NP_FROM_ST[code].newbyteorder("<")
        if start % dt.itemsize == 0:
            arr = np.frombuffer(buf, dtype=dt, count=numel, offset=start)
        else:
            arr = np.frombuffer(bytes(buf[start:start + numel * dt.itemsize]), dtype=dt).copy()
        if dt.byteorder not in ("=", "|") and not dt.isnative:
            arr = arr.astype(dt.newbyteorder("="))
        if arr.dtype.kind == "u" and arr.dtype.itemsize > 1:   # U16/U32/U64: ember widens like from_numpy
            arr = arr.astype(np.int64)
        return arr.reshape(shape)

    structure = meta.get(STRUCTURE_KEY) if meta else None
    if structure is None:   # a plain safetensors file: {name: tensor}
        return {name: _tensor(array(name), placer, "cpu") for name in arrays}
    try:
        doc = json.loads(structure)
    except ValueError as e:
        raise bad(f"the ember structure metadata is not valid JSON ({e})") from None
    if not isinstance(doc, dict) or "root" not in doc:
        raise bad("the ember structure metadata has no root")
    if doc.get("version", 0) > FORMAT_VERSION:
        raise bad(f"written by a newer ember (format version {doc.get('version')}; this one reads up to "
                  f"{FORMAT_VERSION})")
    return _Decoder(array, arrays, placer, bad).decode(doc["root"])


def _tensor(arr, placer, location, requires_grad=False, parameter=False):
    from .._tensor import Tensor
    t = placer.place(Tensor._make(arr), location)
    if parameter:
        from ..nn.parameter import Parameter
        return Parameter(t, requires_grad=requires_grad)
    if requires_grad:
        t.requires_grad_(True)
    return t


class _Decoder:
    def __init__(self, array, arrays, placer, bad):
        self.array, self.arrays, self.placer, self.bad = array, arrays, placer, bad
        self.tensors = {}

    def decode(self, node):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(x) for x in node]
        if not isinstance(node, dict) or len(node) == 0:
            raise self.bad(f"unexpected node {node!r} in the ember structure")
        if "$tensor" in node:
            name = self.ref(node["$tensor"])
            if node.get("same_as") in self.tensors:
                return self.tensors[node["same_as"]]
            t = _tensor(self.array(name), self.placer, node.get("device", "cpu"),
                        bool(node.get("requires_grad", False)), bool(node.get("parameter", False)))
            self.tensors[name] = t
            return t
        if "$ndarray" in node:
            return self.array(self.ref(node["$ndarray"])).copy()
        if "$dict" in node or "$odict" in node:
            items = node.get("$dict", node.get("$odict"))
            if not isinstance(items, list) or not all(isinstance(p, list) and len(p) == 2 for p in items):
                raise self.bad("a dict node must hold [key, value] pairs")
            out = (OrderedDict if "$odict" in node else dict)()
            for k, v in items:
                key = self.decode(k)
                try:
                    out[key] = self.decode(v)
                except TypeError:
                    raise self.bad(f"unhashable dict key {k!r}") from None
            if "_metadata" in node:
                out._metadata = self.decode(node["_metadata"]) if isinstance(out, OrderedDict) else None
            return out
        if "$tuple" in node:
            return tuple(self.decode(x) for x in self.seq(node["$tuple"]))
        if "$size" in node:
            from ..ops.shape import Size
            return Size(self.decode(x) for x in self.seq(node["$size"]))
        if "$float" in node:
            try:
                return float(node["$float"])
            except (TypeError, ValueError):
                raise self.bad(f"invalid float {node['$float']!r}") from None
        if "$dtype" in node:
            from .._dtype import to_dtype
            try:
                return to_dtype(str(node["$dtype"]))
            except TypeError:
                raise self.bad(f"unknown dtype {node['$dtype']!r}") from None
        if "$device" in node:
            from ..backend import device
            try:
                return device(str(node["$device"]))
            except (RuntimeError, TypeError):
                raise self.bad(f"unknown device {node['$device']!r}") from None
        if "$bytes" in node:
            try:
                return base64.b64decode(node["$bytes"], validate=True)
            except (TypeError, ValueError):
                raise self.bad("invalid base64 bytes") from None
        raise self.bad(f"unexpected node {node!r} in the ember structure")

    def ref(self, name):
        if not isinstance(name, str) or name not in self.arrays:
            raise self.bad(f"the structure refers to a tensor {name!r} that the file does not hold")
        return name

    def seq(self, items):
        if not isinstance(items, list):
            raise self.bad("a tuple node must hold a list")
        return items
