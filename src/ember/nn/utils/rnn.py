"""``nn.utils.rnn``: PackedSequence and the packing/padding helpers, with PyTorch's contracts.

Packing and padding are each one differentiable gather (``__getitem__`` with an index array) on the flattened
(time * batch) rows, so gradients flow back to the padded input or to the packed data.
"""
from collections import namedtuple

import numpy as np

from ..._tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


def _ember():
    import ember
    return ember


def _long(values):
    return _ember().tensor(np.asarray(values, dtype=np.int64))


def invert_permutation(permutation):
    if permutation is None:
        return None
    p = permutation._data if isinstance(permutation, Tensor) else np.asarray(permutation)
    out = np.empty_like(p)
    out[p] = np.arange(p.shape[0], dtype=p.dtype)
    return Tensor._make(out)


_PackedSequenceBase = namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedSequenceBase):
    """Holds the packed ``data`` (sum(batch_sizes), *) and the CPU int64 ``batch_sizes`` of each time step;
    ``sorted_indices``/``unsorted_indices`` map between the caller's batch order and the length-sorted order."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if getattr(batch_sizes, "device", None) is not None and str(batch_sizes.device) != "cpu":
                raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence should never "
                                 "be created manually. They should be instantiated by functions like "
                                 "pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                                 "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
            return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)
        if not (isinstance(data, (list, tuple)) and len(data) == 2):
            raise TypeError("PackedSequence(data, batch_sizes): expected data and batch_sizes")
        return super().__new__(cls, data[0], data[1], sorted_indices, unsorted_indices)

    def _map(self, fn):
        si = None if self.sorted_indices is None else self.sorted_indices.to(device=self.data.device)
        ui = None if self.unsorted_indices is None else self.unsorted_indices.to(device=self.data.device)
        return type(self)(fn(self.data), self.batch_sizes, si, ui)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        si = None if self.sorted_indices is None else self.sorted_indices.to(device=data.device)
        ui = None if self.unsorted_indices is None else self.unsorted_indices.to(device=data.device)
        return type(self)(data, self.batch_sizes, si, ui)

    def cuda(self, *args, **kwargs):
        return self.to("cuda")

    def cpu(self, *args, **kwargs):
        return self.to("cpu")

    def double(self):
        return self.to(dtype=_ember().float64)

    def float(self):
        return self.to(dtype=_ember().float32)

    def half(self):
        return self.to(dtype=_ember().float16)

    def long(self):
        return self.to(dtype=_ember().int64)

    def int(self):
        return self.to(dtype=_ember().int32)

    def short(self):
        return self.to(dtype=_ember().int16)

    def char(self):
        return self.to(dtype=_ember().int8)

    def byte(self):
        return self.to(dtype=_ember().uint8)

    def pin_memory(self):
        return self

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def _batch_sizes_from(lengths_sorted):
    """batch_sizes[t] = number of sequences longer than t (lengths sorted decreasingly)."""
    T = int(lengths_sorted[0])
    ls = np.asarray(lengths_sorted)
    return np.array([(ls > t).sum() for t in range(T)], dtype=np.int64)


def _lengths_list(lengths):
    if isinstance(lengths, Tensor):
        if lengths.device.type != "cpu":
            raise RuntimeError("'lengths' argument should be a 1D CPU int64 tensor, but got 1D "
                               f"{lengths.device.type} {lengths.dtype} tensor")
        return np.asarray(lengths._data, dtype=np.int64).reshape(-1)
    return np.asarray(list(lengths), dtype=np.int64).reshape(-1)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) (or (B, T, *) with ``batch_first``) of sequences of ``lengths``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pack_padded_sequence(): argument 'input' must be Tensor, not {type(input).__name__}")
    ls = _lengths_list(lengths)
    if enforce_sorted:
        if np.any(ls[1:] > ls[:-1]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                               "to sidestep this requirement if you do not need ONNX exportability.")
        sorted_indices = None
        order = np.arange(ls.shape[0])
    else:
        order = np.argsort(-ls, kind="stable")
        sorted_indices = _long(order)
    bdim = 0 if batch_first else 1
    if input.dim() < 2:
        raise RuntimeError(f"pack_padded_sequence(): expected input of at least 2 dims, got {input.dim()}")
    B = input.shape[bdim]
    T = input.shape[1 - bdim]
    if ls.shape[0] != B:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {ls.shape[0]} "
                           f"(batch_size={B})")
    sl = ls[order]
    if sl.size and sl[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if sl.size and sl[0] > T:
        raise RuntimeError(f"Expected sequence length to be smaller than or equal to the padded length "
                           f"(got length {int(sl[0])} and padded length {T})")
    bs = _batch_sizes_from(sl)
    # packed row k of step t is sequence order[j] (j < bs[t]) at time t
    rows = []
    for t, b in enumerate(bs):
        j = order[:b]
        rows.append(j * T + t if batch_first else t * B + j)
    idx = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    flat = input.reshape((B * T,) + tuple(input.shape[2:]))
    data = flat[_long(idx)]
    return PackedSequence(data, _long(bs), sorted_indices, invert_permutation(sorted_indices))


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The inverse of ``pack_padded_sequence``: (padded tensor, lengths) in the caller's original batch order."""
    E = _ember()
    bs = np.asarray(sequence.batch_sizes._data if isinstance(sequence.batch_sizes, Tensor)
                    else sequence.batch_sizes, dtype=np.int64)
    T = int(bs.shape[0])
    if total_length is not None:
        if total_length < T:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {T}")
    else:
        total_length = T
    B = int(bs[0]) if T else 0
    data = sequence.data
    N = data.shape[0]
    feat = tuple(data.shape[1:])
    lengths_sorted = np.array([(bs > j).sum() for j in range(B)], dtype=np.int64)
    # padded position (t, j) in sorted order reads packed row offset[t] + j, or the padding row N
    offsets = np.concatenate([[0], np.cumsum(bs)[:-1]]).astype(np.int64)
    src = np.full((total_length, B), N, dtype=np.int64)
    for t in range(T):
        src[t, :bs[t]] = offsets[t] + np.arange(bs[t])
    ui = sequence.unsorted_indices
    perm = np.arange(B) if ui is None else np.asarray(ui._data, dtype=np.int64)
    src = src[:, perm]
    lengths = lengths_sorted[perm]
    if batch_first:
        src = src.T
    pad_row = E.full((1,) + feat, padding_value, dtype=data.dtype, device=data.device)
    ext = E.cat([data, pad_row], 0)
    out = ext[_long(src.reshape(-1))].reshape(tuple(src.shape) + feat)
    return out, _long(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences of different lengths (L_i, *) into (T, B, *) (or (B, T, *)), padded with
    ``padding_value`` on ``padding_side``."""
    E = _ember()
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    T = max(s.shape[0] for s in sequences)
    feat = tuple(sequences[0].shape[1:])
    rows = []
    for s in sequences:
        n = T - s.shape[0]
        if n:
            pad = E.full((n,) + feat, padding_value, dtype=s.dtype, device=s.device)
            s = E.cat([s, pad], 0) if padding_side == "right" else E.cat([pad, s], 0)
        rows.append(s)
    return E.stack(rows, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    ls = _lengths_list(lengths)
    return [padded_sequences[i, :int(n)] for i, n in enumerate(ls)]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of sequences (L_i, *) of decreasing (or, without ``enforce_sorted``, any) lengths."""
    lengths = _long([s.shape[0] for s in sequences])
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
