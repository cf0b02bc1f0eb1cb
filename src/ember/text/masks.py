"""Masks for padded sequence batches.

    sequence_mask(X, valid_len, value=0)     # d2l's: zero (or `value`) every position at or past valid_len
    padding_mask(valid_len, max_len)         # bool (B, max_len), True at padding: nn.MultiheadAttention's
                                             # key_padding_mask / nn.Transformer's *_key_padding_mask
    valid_lengths(tokens, pad_idx)           # int64 (B,): the number of non-padding tokens per row
"""
from __future__ import annotations

import ember

__all__ = ["sequence_mask", "padding_mask", "valid_lengths"]


def _check_valid_len(name, valid_len, batch):
    if not isinstance(valid_len, ember.Tensor):
        valid_len = ember.tensor(valid_len)
    if valid_len.dim() != 1 or valid_len.shape[0] != batch:
        raise ValueError(f"{name}(): valid_len must have shape ({batch},), got {tuple(valid_len.shape)}")
    return valid_len


def sequence_mask(X, valid_len, value=0):
    """d2l's ``sequence_mask``: in ``X`` (shape (B, T, ...)), set the positions ``t >= valid_len[b]`` of each
    row ``b`` to ``value``, **in place** as d2l does (it works on tensors that require grad: the masked
    entries get zero gradient), and return ``X``."""
    if X.dim() < 2:
        raise ValueError(f"sequence_mask(): X must have at least 2 dimensions (batch, steps), "
                         f"got shape {tuple(X.shape)}")
    valid_len = _check_valid_len("sequence_mask", valid_len, X.shape[0])
    maxlen = X.size(1)
    mask = ember.arange(maxlen, dtype=ember.float32, device=X.device)[None, :] < valid_len.to(X.device)[:, None]
    X[~mask] = value
    return X


def padding_mask(valid_len, max_len: int):
    """Bool ``(B, max_len)`` mask, ``True`` where position ``t >= valid_len[b]`` (padding): the
    ``key_padding_mask`` convention of ``nn.MultiheadAttention`` and ``nn.Transformer``."""
    if not isinstance(valid_len, ember.Tensor):
        valid_len = ember.tensor(valid_len)
    if valid_len.dim() != 1:
        raise ValueError(f"padding_mask(): valid_len must be 1-D, got shape {tuple(valid_len.shape)}")
    return ember.arange(max_len, device=valid_len.device)[None, :] >= valid_len[:, None]


def valid_lengths(tokens, pad_idx: int):
    """Number of non-``pad_idx`` tokens in each row of ``tokens`` (B, T), as int64 (B,)."""
    if tokens.dim() != 2:
        raise ValueError(f"valid_lengths(): tokens must be 2-D (batch, steps), got shape {tuple(tokens.shape)}")
    return (tokens != pad_idx).sum(1)
