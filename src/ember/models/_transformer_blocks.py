"""The Transformer's building blocks, written from scratch the way d2l writes them (chapter 11), plus the masks
and the warm-up schedule that the Transformer models share.

    from ember.models._transformer_blocks import (PositionalEncoding, DotProductAttention, MultiHeadAttention,
                                                  PositionWiseFFN, AddNorm, masked_softmax, causal_mask,
                                                  key_padding_mask, noam_lambda, NoamLR)

``TransformerMT`` and ``GPT`` use the fast ``nn.Transformer*`` layers for the attention itself; the d2l blocks here
are the readable version (``examples/transformer_mt.py`` builds a whole Transformer from them) and are tested
against ``nn.MultiheadAttention``. Shapes are batch-first throughout: (batch, steps, features).
"""
from __future__ import annotations

import math

import numpy as np

import ember
from ember import nn
from ember.nn import functional as F
from ember.optim.lr_scheduler import LambdaLR

__all__ = ["masked_softmax", "DotProductAttention", "MultiHeadAttention", "PositionalEncoding", "PositionWiseFFN",
           "AddNorm", "causal_mask", "key_padding_mask", "noam_lambda", "NoamLR"]


def masked_softmax(X, valid_lens):
    """Softmax over the last axis of a 3-D ``X`` where, per row, only the first ``valid_lens`` entries count.

    ``valid_lens`` is None (plain softmax), (batch,) (one length per batch row, shared by all queries) or
    (batch, queries). Masked entries get -1e6 before the softmax, as d2l does, so their weight is 0."""
    if valid_lens is None:
        return F.softmax(X, dim=-1)
    if X.dim() != 3:
        raise ValueError(f"masked_softmax: expected a 3-D X (batch, queries, keys), got shape {tuple(X.shape)}")
    shape = X.shape
    if valid_lens.dim() == 1:
        if valid_lens.shape[0] != shape[0]:
            raise ValueError(f"masked_softmax: valid_lens has {valid_lens.shape[0]} entries for a batch of "
                             f"{shape[0]}")
        valid_lens = ember.repeat_interleave(valid_lens, shape[1])
    else:
        valid_lens = valid_lens.reshape(-1)
    keep = ember.arange(shape[-1], device=X.device)[None, :] < valid_lens[:, None]
    X = X.reshape(-1, shape[-1]).masked_fill(~keep, -1e6)
    return F.softmax(X.reshape(shape), dim=-1)


class DotProductAttention(nn.Module):
    """Scaled dot-product attention: ``softmax(Q Kᵀ / sqrt(d)) V`` with d2l's ``valid_lens`` masking.

    ``forward(queries (B, q, d), keys (B, k, d), values (B, k, v), valid_lens=None) -> (B, q, v)``; the last
    weights are kept in ``self.attention_weights`` for heat maps."""

    def __init__(self, dropout=0.0):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.attention_weights = None

    def forward(self, queries, keys, values, valid_lens=None):
        d = queries.shape[-1]
        scores = ember.bmm(queries, keys.transpose(1, 2)) / math.sqrt(d)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return ember.bmm(self.dropout(self.attention_weights), values)


class MultiHeadAttention(nn.Module):
    """d2l's multi-head attention: project queries, keys and values with ``W_q``, ``W_k``, ``W_v``
    (``num_hiddens`` outputs each), attend in ``num_heads`` heads of ``num_hiddens // num_heads`` features in
    parallel, concatenate, project with ``W_o``.

    ``query_size``/``key_size``/``value_size`` are the input feature sizes (default ``num_hiddens``; d2l's newer
    edition infers them with lazy layers). ``forward(queries, keys, values, valid_lens)`` with ``valid_lens`` of
    shape (B,) or (B, q) or None."""

    def __init__(self, num_hiddens, num_heads, dropout=0.0, bias=False, query_size=None, key_size=None,
                 value_size=None):
        super().__init__()
        if num_hiddens % num_heads:
            raise ValueError(f"MultiHeadAttention: num_hiddens={num_hiddens} is not divisible by "
                             f"num_heads={num_heads}")
        self.num_heads = num_heads
        self.attention = DotProductAttention(dropout)
        self.W_q = nn.Linear(query_size or num_hiddens, num_hiddens, bias=bias)
        self.W_k = nn.Linear(key_size or num_hiddens, num_hiddens, bias=bias)
        self.W_v = nn.Linear(value_size or num_hiddens, num_hiddens, bias=bias)
        self.W_o = nn.Linear(num_hiddens, num_hiddens, bias=bias)

    def forward(self, queries, keys, values, valid_lens=None):
        queries = self.transpose_qkv(self.W_q(queries))
        keys = self.transpose_qkv(self.W_k(keys))
        values = self.transpose_qkv(self.W_v(values))
        if valid_lens is not None:
            # every head of batch row i sits at rows i*num_heads ... i*num_heads + num_heads - 1
            valid_lens = ember.repeat_interleave(valid_lens, repeats=self.num_heads, dim=0)
        output = self.attention(queries, keys, values, valid_lens)
        return self.W_o(self.transpose_output(output))

    def transpose_qkv(self, X):
        """(B, steps, num_hiddens) -> (B * num_heads, steps, num_hiddens / num_heads)."""
        X = X.reshape(X.shape[0], X.shape[1], self.num_heads, -1).permute(0, 2, 1, 3)
        return X.reshape(-1, X.shape[2], X.shape[3])

    def transpose_output(self, X):
        """The inverse of ``transpose_qkv``."""
        X = X.reshape(-1, self.num_heads, X.shape[1], X.shape[2]).permute(0, 2, 1, 3)
        return X.reshape(X.shape[0], X.shape[1], -1)


def sinusoidal_table(max_len, num_hiddens):
    """The (max_len, num_hiddens) float32 table P[i, 2j] = sin(i / 10000^(2j/d)), P[i, 2j+1] = cos(...)."""
    P = np.zeros((max_len, num_hiddens), dtype=np.float32)
    X = (np.arange(max_len, dtype=np.float32).reshape(-1, 1)
         / np.power(np.float32(10000), np.arange(0, num_hiddens, 2, dtype=np.float32) / num_hiddens))
    P[:, 0::2] = np.sin(X)
    P[:, 1::2] = np.cos(X[:, : num_hiddens // 2])
    return P


class PositionalEncoding(nn.Module):
    """d2l's sinusoidal positional encoding: ``forward(X (B, T, num_hiddens), offset=0)`` returns
    ``dropout(X + P[offset:offset + T])`` (``offset``: the position of X's first step, for step-by-step decoding).

    ``P`` is a non-persistent buffer (not in the state_dict: it is a fixed function of the position)."""

    def __init__(self, num_hiddens, dropout=0.0, max_len=1000):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.max_len = max_len
        self.register_buffer("P", ember.from_numpy(sinusoidal_table(max_len, num_hiddens))[None],
                             persistent=False)

    def forward(self, X, offset=0):
        end = offset + X.shape[1]
        if end > self.max_len:
            raise ValueError(f"PositionalEncoding: positions up to {end} are beyond max_len={self.max_len}")
        return self.dropout(X + self.P[:, offset:end, :].to(X.dtype))


class PositionWiseFFN(nn.Module):
    """The position-wise feed-forward network: ``dense2(relu(dense1(X)))`` applied at every position.

    ``ffn_num_input`` is the input size (default ``ffn_num_outputs``, as in a Transformer block)."""

    def __init__(self, ffn_num_hiddens, ffn_num_outputs, ffn_num_input=None):
        super().__init__()
        self.dense1 = nn.Linear(ffn_num_input or ffn_num_outputs, ffn_num_hiddens)
        self.relu = nn.ReLU()
        self.dense2 = nn.Linear(ffn_num_hiddens, ffn_num_outputs)

    def forward(self, X):
        return self.dense2(self.relu(self.dense1(X)))


class AddNorm(nn.Module):
    """Residual connection then layer normalisation: ``forward(X, Y) = LayerNorm(dropout(Y) + X)``."""

    def __init__(self, norm_shape, dropout=0.0):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.ln = nn.LayerNorm(norm_shape)

    def forward(self, X, Y):
        return self.ln(self.dropout(Y) + X)


def causal_mask(size, device=None, dtype=None):
    """The (size, size) float mask for ``nn.Transformer*``: -inf above the diagonal (step i sees steps <= i)."""
    return nn.Transformer.generate_square_subsequent_mask(size, device=device, dtype=dtype)


def key_padding_mask(valid_lens, max_len):
    """Bool (B, max_len) mask, True at padded positions (``key_padding_mask`` of ``nn.MultiheadAttention``)."""
    return ember.arange(max_len, device=valid_lens.device)[None, :] >= valid_lens[:, None]


def noam_lambda(d_model, warmup_steps, factor=1.0):
    """The Transformer paper's learning-rate factor as a function of the step (for ``LambdaLR``):
    ``factor · d_model^-0.5 · min(step^-0.5, step · warmup_steps^-1.5)``; step 0 is treated as step 1."""
    if warmup_steps <= 0:
        raise ValueError(f"noam_lambda: warmup_steps must be positive, got {warmup_steps}")

    def lr_lambda(step):
        step = max(step, 1)
        return factor * d_model ** -0.5 * min(step ** -0.5, step * warmup_steps ** -1.5)
    return lr_lambda


class NoamLR(LambdaLR):
    """The Noam warm-up schedule: lr = base_lr · ``noam_lambda(d_model, warmup_steps)(step)``. Step it after
    every optimiser step; with base lr 1.0 the lr peaks at ``(d_model · warmup_steps)^-0.5``."""

    def __init__(self, optimizer, d_model, warmup_steps=4000, factor=1.0, last_epoch=-1):
        self.d_model, self.warmup_steps, self.factor = d_model, warmup_steps, factor
        super().__init__(optimizer, noam_lambda(d_model, warmup_steps, factor), last_epoch=last_epoch)
