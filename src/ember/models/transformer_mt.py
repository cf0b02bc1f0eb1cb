"""``TransformerMT``: the Transformer encoder–decoder for translation (Vaswani et al. 2017; d2l 11.7), built on
``nn.TransformerEncoder`` / ``nn.TransformerDecoder``.

    model = TransformerMT(len(src_vocab), len(tgt_vocab), d_model=256, nhead=4, padding_idx=src_vocab["<pad>"])
    logits = model(src, tgt_in, src_valid_len)          # (B, T_tgt, V_tgt); teacher forcing: tgt_in = <bos> + Y[:-1]
    state = model.encode(src, src_valid_len)             # the decoding contract of ember.models.decoding
    logits, state = model.decode_step(tokens, state)     # tokens (B, 1) -> logits (B, 1, V_tgt)

Token embeddings are scaled by sqrt(d_model) and added to d2l's sinusoidal ``PositionalEncoding``. The source
key-padding mask comes from ``src_valid_len`` (or, without it, from ``src == padding_idx``) and masks both the
encoder's self-attention and the decoder's cross-attention; the decoder's self-attention is causal. Padded target
positions need no mask: causality keeps real positions from seeing the padding after them, and the loss ignores
the padding (``nn.CrossEntropyLoss(ignore_index=pad)``).

``decode_step`` keeps the encoder memory in the state and recomputes the decoder over the whole prefix at each step:
simple and exactly the training-time computation (no key/value cache).
"""
from __future__ import annotations

import math

import ember
from ember import nn

from . import register_model
from ._transformer_blocks import PositionalEncoding, causal_mask, key_padding_mask

__all__ = ["TransformerMT", "transformer_mt"]


class TransformerMT(nn.Module):
    """Encoder–decoder Transformer for sequence-to-sequence translation.

    Arguments follow ``nn.Transformer`` (``d_model``, ``nhead``, ``num_encoder_layers``, ``num_decoder_layers``,
    ``dim_feedforward``, ``dropout``, ``activation``, ``norm_first``), plus the vocabularies' sizes, ``max_len``
    (longest sequence the positional encoding covers), ``padding_idx`` (the ``<pad>`` index: its embedding stays
    zero and, without valid lengths, marks the source padding), ``share_embeddings`` (one embedding table for source
    and target: needs a joint vocabulary) and ``tie_output`` (the output projection reuses the target embedding).
    ``norm_first=True`` (pre-norm, with a final LayerNorm on each stack) trains faster on short schedules."""

    def __init__(self, src_vocab_size, tgt_vocab_size, d_model=256, nhead=4, num_encoder_layers=3,
                 num_decoder_layers=3, dim_feedforward=1024, dropout=0.1, activation="relu", max_len=256,
                 padding_idx=None, share_embeddings=False, tie_output=False, norm_first=True):
        super().__init__()
        if share_embeddings and src_vocab_size != tgt_vocab_size:
            raise ValueError(f"TransformerMT: share_embeddings=True needs one vocabulary, got "
                             f"src_vocab_size={src_vocab_size} and tgt_vocab_size={tgt_vocab_size}")
        self.d_model = d_model
        self.padding_idx = padding_idx
        self.src_embedding = nn.Embedding(src_vocab_size, d_model, padding_idx=padding_idx)
        self.tgt_embedding = (self.src_embedding if share_embeddings
                              else nn.Embedding(tgt_vocab_size, d_model, padding_idx=padding_idx))
        self.pos_encoding = PositionalEncoding(d_model, dropout, max_len)
        enc_layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
                                               batch_first=True, norm_first=norm_first)
        self.encoder = nn.TransformerEncoder(enc_layer, num_encoder_layers, nn.LayerNorm(d_model),
                                             enable_nested_tensor=False)
        dec_layer = nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
                                               batch_first=True, norm_first=norm_first)
        self.decoder = nn.TransformerDecoder(dec_layer, num_decoder_layers, nn.LayerNorm(d_model))
        self.generator = nn.Linear(d_model, tgt_vocab_size)
        self._reset_parameters()
        if tie_output:
            self.generator.weight = self.tgt_embedding.weight

    def _reset_parameters(self):
        # nn.Transformer's initialisation for the attention/FFN matrices; embeddings N(0, 1/d_model) so that after
        # the sqrt(d_model) scaling they have unit variance, like the positional encoding they are added to.
        for p in list(self.encoder.parameters()) + list(self.decoder.parameters()):
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        for emb in {id(self.src_embedding): self.src_embedding, id(self.tgt_embedding): self.tgt_embedding}.values():
            nn.init.normal_(emb.weight, std=self.d_model ** -0.5)
            if emb.padding_idx is not None:
                with ember.no_grad():
                    emb.weight[emb.padding_idx].fill_(0)

    def _embed(self, embedding, tokens):
        return self.pos_encoding(embedding(tokens) * math.sqrt(self.d_model))

    def src_padding_mask(self, src, src_valid_len=None):
        """Bool (B, S) mask, True where the source is padding (None when nothing says so)."""
        if src_valid_len is not None:
            return key_padding_mask(src_valid_len, src.shape[1])
        if self.padding_idx is not None:
            return src == self.padding_idx
        return None

    def encode(self, src, src_valid_len=None):
        """Run the encoder. Returns the decoding state ``(memory (B, S, d), src padding mask (B, S) or None,
        prefix (B, 0))`` that ``decode_step`` extends token by token."""
        if src.dim() != 2:
            raise ValueError(f"TransformerMT.encode: src must be (batch, steps) token indices, got shape "
                             f"{tuple(src.shape)}")
        mask = self.src_padding_mask(src, src_valid_len)
        memory = self.encoder(self._embed(self.src_embedding, src), src_key_padding_mask=mask)
        prefix = ember.zeros((src.shape[0], 0), dtype=ember.int64, device=src.device)
        return memory, mask, prefix

    def decoder_states(self, tgt, memory, memory_key_padding_mask=None):
        """The causal decoder's output (B, T, d) over the whole target prefix ``tgt`` (B, T)."""
        T = tgt.shape[1]
        mask = causal_mask(T, device=tgt.device, dtype=memory.dtype)
        return self.decoder(self._embed(self.tgt_embedding, tgt), memory, tgt_mask=mask, tgt_is_causal=True,
                            memory_key_padding_mask=memory_key_padding_mask)

    def decode(self, tgt, memory, memory_key_padding_mask=None):
        """Logits (B, T, V) of the token after each prefix position of ``tgt`` (B, T)."""
        return self.generator(self.decoder_states(tgt, memory, memory_key_padding_mask))

    def decode_step(self, tokens, state):
        """Append ``tokens`` (B, 1) to the prefix and return the next-token logits (B, 1, V) and the new state."""
        memory, mask, prefix = state
        prefix = ember.cat([prefix, tokens.to(ember.int64)], dim=1)
        hidden = self.decoder_states(prefix, memory, mask)
        return self.generator(hidden[:, -1:]), (memory, mask, prefix)

    def forward(self, src, tgt, src_valid_len=None):
        """Teacher-forced logits (B, T_tgt, V) of the target tokens that follow ``tgt`` (B, T_tgt)."""
        memory, mask, _ = self.encode(src, src_valid_len)
        return self.decode(tgt, memory, mask)


@register_model("transformer-mt")
def transformer_mt(src_vocab_size, tgt_vocab_size, **kwargs):
    """Build a ``TransformerMT`` (``get_model("transformer-mt", src_vocab_size=..., tgt_vocab_size=..., ...)``)."""
    return TransformerMT(src_vocab_size, tgt_vocab_size, **kwargs)
