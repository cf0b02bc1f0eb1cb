"""``GPT``: a small decoder-only Transformer language model (a "GPT-mini"), built on ``nn.TransformerEncoder``
with a causal mask.

    model = GPT(vocab_size=len(vocab), d_model=192, nhead=6, num_layers=4, max_len=128)
    logits = model(X)                                   # X (B, T) token indices -> (B, T, V) next-token logits
    ids = ember.models.decoding.sample(model, prompt_ids, 200, temperature=0.8, top_k=10)

Each position sees only itself and the positions before it (the causal mask), so the logits at step t predict
token t + 1 and training is d2l's language-model loss on (X, Y = X shifted by one). ``decoding.sample`` feeds the
whole context (cropped to ``max_len``) at every step. Positions are learned
(``positional="learned"``, GPT-2's choice) or d2l's sinusoidal encoding (``"sinusoidal"``); blocks are pre-norm
(``norm_first=True``) with a final LayerNorm, and the output projection shares the token embedding when
``tie_weights=True``.
"""
from __future__ import annotations

import ember
from ember import nn

from . import register_model
from ._transformer_blocks import PositionalEncoding, causal_mask

__all__ = ["GPT", "gpt_mini"]


class GPT(nn.Module):
    def __init__(self, vocab_size, d_model=256, nhead=4, num_layers=4, dim_feedforward=None, dropout=0.1,
                 max_len=256, positional="learned", tie_weights=True, activation="gelu"):
        super().__init__()
        if positional not in ("learned", "sinusoidal"):
            raise ValueError(f"GPT: positional must be 'learned' or 'sinusoidal', got {positional!r}")
        self.max_len = max_len
        self.positional = positional
        self.token_embedding = nn.Embedding(vocab_size, d_model)
        if positional == "learned":
            self.position_embedding = nn.Embedding(max_len, d_model)
            self.dropout = nn.Dropout(dropout)
        else:
            self.position_encoding = PositionalEncoding(d_model, dropout, max_len)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward or 4 * d_model, dropout, activation,
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, num_layers, nn.LayerNorm(d_model), enable_nested_tensor=False)
        self.lm_head = nn.Linear(d_model, vocab_size, bias=False)
        self._reset_parameters()
        if tie_weights:
            self.lm_head.weight = self.token_embedding.weight

    def _reset_parameters(self):
        # GPT-2's initialisation: N(0, 0.02) for every matrix and embedding, zero biases
        for name, p in self.named_parameters():
            if p.dim() > 1:
                nn.init.normal_(p, std=0.02)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, X):
        """Next-token logits (B, T, V) for the token indices ``X`` (B, T), T <= max_len."""
        if X.dim() != 2:
            raise ValueError(f"GPT.forward: expected (batch, steps) token indices, got shape {tuple(X.shape)}")
        T = X.shape[1]
        if T > self.max_len:
            raise ValueError(f"GPT.forward: sequence of {T} steps is longer than max_len={self.max_len}")
        h = self.token_embedding(X)
        if self.positional == "learned":
            h = self.dropout(h + self.position_embedding(ember.arange(T, device=X.device)))
        else:
            h = self.position_encoding(h)
        h = self.blocks(h, mask=causal_mask(T, device=X.device, dtype=h.dtype), is_causal=True)
        return self.lm_head(h)


@register_model("gpt-mini")
def gpt_mini(vocab_size, **kwargs):
    """Build a small ``GPT`` (``get_model("gpt-mini", vocab_size=..., ...)``)."""
    return GPT(vocab_size, **kwargs)
