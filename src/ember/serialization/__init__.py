"""Checkpoints: ``ember.save(obj, f)`` and ``ember.load(f)``, with no pickle and nothing executed on load.

``save`` writes a safetensors file (see ``_safetensors.py``): tensors as raw little-endian bytes, the nesting of
dicts/lists/tuples and the Python scalars as JSON in the header. A flat state dict loads in PyTorch with
``safetensors.torch.load_file``; files from ``safetensors.torch.save_file`` load here. Writing to a path is atomic:
a temporary file in the same directory is written, flushed, fsync'ed and renamed over the target, so a save that
fails or is killed half-way leaves the previous checkpoint intact.

``load`` also reads PyTorch's own ``torch.save`` files (zip and legacy formats) of state dicts, through a
restricted unpickler (``_torch_pickle.py``) that refuses every global outside a short allow-list.
"""
import os

from ._common import CheckpointError, Placer, atomic_write, describe
from . import _safetensors, _torch_pickle

__all__ = ["save", "load", "CheckpointError"]


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save ``obj`` (tensors, state dicts, optimizer/scheduler state, nested dict/OrderedDict/list/tuple of
    tensors, numbers, strings, None) to ``f``: a path (written atomically) or a writable binary file object.

    The pickle arguments of ``torch.save`` are accepted for compatibility and ignored: ember never pickles.
    Objects that need code to rebuild (modules, arbitrary classes) raise ``TypeError``.
    """
    if isinstance(f, (str, bytes, os.PathLike)):
        parent = os.path.dirname(os.path.abspath(os.fsdecode(f)))
        if not os.path.isdir(parent):
            raise RuntimeError(f"Parent directory {parent} does not exist.")
        atomic_write(f, lambda fh: _safetensors.write(obj, fh))
        return
    if not hasattr(f, "write"):
        raise AttributeError(f"'{type(f).__name__}' object has no attribute 'write'")
    _safetensors.write(obj, f)


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Load what ``save`` wrote, a safetensors file, or a PyTorch ``torch.save`` file of tensors and containers.

    ``f`` is a path or a readable binary file object; ``map_location`` (a device, a string, a dict mapping saved
    locations, or a callable ``(tensor, location) -> tensor``) picks where tensors go. Loading is always
    "weights only": PyTorch pickles are read with an allow-list and nothing from the file is executed, whatever
    ``weights_only`` says. A truncated or corrupted file raises ``CheckpointError`` (a ``RuntimeError``) naming
    the file; a PyTorch pickle that references anything outside the allow-list raises ``pickle.UnpicklingError``.
    """
    where = describe(f)
    placer = Placer(map_location)
    if isinstance(f, (str, bytes, os.PathLike)):
        with open(f, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            buf = bytearray(size)
            got = fh.readinto(buf)
            if got != size:
                del buf[got:]
    else:
        if not hasattr(f, "read"):
            raise AttributeError(f"'{type(f).__name__}' object has no attribute 'read'")
        data = f.read()
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"ember.load: expected a binary file object, but {where} returned "
                            f"{type(data).__name__} from read()")
        buf = bytearray(data)
    if len(buf) == 0:
        raise CheckpointError(f"ember.load: {where} is empty (not a checkpoint; was the save interrupted?)")
    if _torch_pickle.is_zip(buf):
        return _torch_pickle._Reader(placer, where).load_zip(buf)
    if _torch_pickle.is_legacy(buf):
        return _torch_pickle._Reader(placer, where).load_legacy(buf)
    if _safetensors.looks_like(buf) or len(buf) < 10:
        return _safetensors.read(buf, placer, where)
    raise CheckpointError(f"ember.load: {where} is not a checkpoint ember can read (neither a safetensors file "
                          "nor a PyTorch zip or legacy file); it may be corrupted")
