"""Encoder–decoder translation with GRUs, with and without Bahdanau attention (d2l 10.7 and 11.4).

    encoder = Seq2SeqEncoder(len(src_vocab), embed_size=256, num_hiddens=256, num_layers=2)
    decoder = Seq2SeqAttentionDecoder(len(tgt_vocab), embed_size=256, num_hiddens=256, num_layers=2)
    model = EncoderDecoder(encoder, decoder)
    logits = model(src, dec_input, src_valid_len)     # teacher forcing: dec_input = <bos> + Y[:, :-1]
    loss = MaskedSoftmaxCELoss()(logits, Y, Y_valid_len).sum()

``get_model("seq2seq", src_vocab_size=..., tgt_vocab_size=...)`` / ``get_model("seq2seq-attn", ...)`` build the
two variants. ``EncoderDecoder`` follows the decoding contract of ``ember.models.decoding`` (``encode``,
``decode_step``), so ``greedy_decode`` and ``beam_search`` translate with it. The attention decoder keeps the
weights of its last call in ``attention_weights`` (B, T_dec, T_src); ``show_heatmaps`` draws them to a PNG.
"""
from __future__ import annotations

import ember
from ember import nn
from ember.text.masks import padding_mask, sequence_mask

from . import register_model

__all__ = ["masked_softmax", "MaskedSoftmaxCELoss", "AdditiveAttention", "Seq2SeqEncoder",
           "Seq2SeqDecoder", "Seq2SeqAttentionDecoder", "EncoderDecoder", "show_heatmaps", "seq2seq",
           "seq2seq_attn"]


def masked_softmax(X, valid_lens):
    """Softmax over the last axis of ``X`` (B, Q, K) that ignores the keys past each valid length (d2l 11.3).

    ``valid_lens`` is None (no masking), (B,) (one length per batch row, for all queries) or (B, Q) (one per
    query). Masked keys get -1e6 before the softmax, as in d2l, so a row with no valid key is uniform."""
    if valid_lens is None:
        return ember.softmax(X, dim=-1)
    shape = X.shape
    if valid_lens.dim() == 1:
        valid_lens = valid_lens.repeat_interleave(shape[1])
    else:
        valid_lens = valid_lens.reshape(-1)
    if valid_lens.shape[0] != shape[0] * shape[1]:
        raise ValueError(f"masked_softmax(): valid_lens of {valid_lens.shape[0]} entries does not fit scores of "
                         f"shape {tuple(shape)}")
    # out of place (d2l masks in place, which would also change the caller's scores)
    mask = padding_mask(valid_lens, shape[-1]).reshape(shape)
    return ember.softmax(X.masked_fill(mask, -1e6), dim=-1)


class MaskedSoftmaxCELoss(nn.CrossEntropyLoss):
    """d2l's masked softmax cross-entropy: ``forward(pred (B, T, V), label (B, T), valid_len (B,))`` returns the
    per-sequence loss (B,): the mean over the T steps of the per-token losses, padding steps counted as 0."""

    def __init__(self):
        super().__init__(reduction="none")

    def forward(self, pred, label, valid_len):
        if pred.dim() != 3 or label.shape != pred.shape[:2]:
            raise ValueError(f"MaskedSoftmaxCELoss: expected pred (B, T, V) and label (B, T), got pred "
                             f"{tuple(pred.shape)} and label {tuple(label.shape)}")
        weights = sequence_mask(ember.ones_like(label, dtype=pred.dtype), valid_len)      # 1 at real tokens
        unweighted = super().forward(pred.permute(0, 2, 1), label)
        return (unweighted * weights).mean(dim=1)


def _between_layers(dropout, num_layers):
    """nn.GRU's dropout acts between stacked layers only (and warns when there are none)."""
    return dropout if num_layers > 1 else 0.0


class AdditiveAttention(nn.Module):
    """Bahdanau's additive attention (d2l 11.3): score(q, k) = w_v . tanh(W_q q + W_k k).

    ``forward(queries (B, Q, query_size), keys (B, K, key_size), values (B, K, V), valid_lens)`` returns
    (B, Q, V) and keeps the weights (B, Q, K) in ``attention_weights``."""

    def __init__(self, key_size, query_size, num_hiddens, dropout=0.0):
        super().__init__()
        self.W_k = nn.Linear(key_size, num_hiddens, bias=False)
        self.W_q = nn.Linear(query_size, num_hiddens, bias=False)
        self.w_v = nn.Linear(num_hiddens, 1, bias=False)
        self.dropout = nn.Dropout(dropout)
        self.attention_weights = None

    def forward(self, queries, keys, values, valid_lens=None):
        return self.attend(self.W_q(queries), self.W_k(keys), values, valid_lens)

    def attend(self, queries, keys, values, valid_lens=None):
        """``forward`` with queries and keys already projected (``W_q(queries)``, ``W_k(keys)``): a decoder that
        queries the same keys at every step projects them once."""
        features = ember.tanh(queries.unsqueeze(2) + keys.unsqueeze(1))      # (B, Q, K, num_hiddens)
        scores = self.w_v(features).squeeze(-1)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return ember.bmm(self.dropout(self.attention_weights), values)


class Seq2SeqEncoder(nn.Module):
    """An embedding and a (possibly bidirectional) multi-layer GRU over the source tokens.

    ``forward(X (B, T), *args)`` returns ``(outputs (T, B, D), state (num_layers, B, D))`` with ``D =
    num_hiddens`` (``2 * num_hiddens`` when bidirectional: each layer's forward and backward final states are
    concatenated, so a decoder of ``num_hiddens=D`` starts from them). ``output_size`` is D."""

    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0.0, bidirectional=False):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size, num_hiddens, num_layers, dropout=_between_layers(dropout, num_layers),
                          bidirectional=bidirectional)
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.output_size = num_hiddens * (2 if bidirectional else 1)

    def forward(self, X, *args):
        outputs, state = self.rnn(self.embedding(X.T))
        if self.bidirectional:
            # nn.GRU orders the final states layer by layer, forward then backward: (L * 2, B, H) -> (L, B, 2H)
            L, B, H = self.num_layers, state.shape[1], state.shape[2]
            state = state.reshape(L, 2, B, H).permute(0, 2, 1, 3).reshape(L, B, 2 * H)
        return outputs, state


class Seq2SeqDecoder(nn.Module):
    """d2l's RNN decoder: at every step the GRU reads the target token's embedding concatenated with the context,
    the encoder's final top-layer state; its hidden state starts from the encoder's final state.

    ``init_state(enc_outputs, enc_valid_lens)`` -> state; ``forward(X (B, T), state)`` -> (logits (B, T, V),
    state)."""

    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0.0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size + num_hiddens, num_hiddens, num_layers,
                          dropout=_between_layers(dropout, num_layers))
        self.dense = nn.Linear(num_hiddens, vocab_size)

    def init_state(self, enc_outputs, enc_valid_lens=None):
        outputs, hidden = enc_outputs
        return hidden[-1], hidden                  # (context (B, H), hidden (L, B, H))

    def forward(self, X, state):
        context, hidden = state
        embs = self.embedding(X.T)                                             # (T, B, E)
        context = context.unsqueeze(0).expand(embs.shape[0], -1, -1)
        outputs, hidden = self.rnn(ember.cat([embs, context], dim=-1), hidden)
        return self.dense(outputs).transpose(0, 1), (state[0], hidden)


class Seq2SeqAttentionDecoder(nn.Module):
    """d2l's Bahdanau decoder: at every step the previous top-layer hidden state queries the encoder outputs with
    ``AdditiveAttention``; the context it returns is concatenated with the token embedding as the GRU input.

    ``init_state(enc_outputs, enc_valid_lens)`` -> state; ``forward(X (B, T), state)`` -> (logits (B, T, V),
    state). ``attention_weights`` holds the last call's weights, (B, T, T_src)."""

    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0.0):
        super().__init__()
        self.attention = AdditiveAttention(num_hiddens, num_hiddens, num_hiddens, dropout)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size + num_hiddens, num_hiddens, num_layers,
                          dropout=_between_layers(dropout, num_layers))
        self.dense = nn.Linear(num_hiddens, vocab_size)
        self.attention_weights = None

    def init_state(self, enc_outputs, enc_valid_lens=None):
        outputs, hidden = enc_outputs
        outputs = outputs.permute(1, 0, 2)                             # values, batch-first (B, T_src, H)
        # the keys' projection W_k(outputs) is the same at every step: computed once per sentence
        return outputs, self.attention.W_k(outputs), hidden, enc_valid_lens

    def forward(self, X, state):
        enc_outputs, keys, hidden, enc_valid_lens = state
        embs = self.embedding(X.T)                                    # (T, B, E)
        outputs, weights = [], []
        for x in embs:            # one step at a time: each query is the state the previous step produced
            query = self.attention.W_q(hidden[-1].unsqueeze(1))        # (B, 1, num_hiddens)
            context = self.attention.attend(query, keys, enc_outputs, enc_valid_lens)
            x = ember.cat([context, x.unsqueeze(1)], dim=-1)
            out, hidden = self.rnn(x.permute(1, 0, 2), hidden)
            outputs.append(out)
            weights.append(self.attention.attention_weights)
        self.attention_weights = ember.cat(weights, dim=1)
        logits = self.dense(ember.cat(outputs, dim=0))
        return logits.transpose(0, 1), (enc_outputs, keys, hidden, enc_valid_lens)


class EncoderDecoder(nn.Module):
    """d2l's ``EncoderDecoder`` with the decoding contract.

    ``forward(enc_X (B, S), dec_X (B, T), enc_valid_len=None)`` -> teacher-forced logits (B, T, V);
    ``encode(src, src_valid_len)`` -> decoder state; ``decode_step(tokens (B, 1), state)`` -> (logits (B, 1, V),
    state)."""

    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    @property
    def attention_weights(self):
        return getattr(self.decoder, "attention_weights", None)

    def encode(self, src, src_valid_len=None):
        if src.dim() != 2:
            raise ValueError(f"EncoderDecoder.encode: src must be (batch, steps) token indices, got shape "
                             f"{tuple(src.shape)}")
        return self.decoder.init_state(self.encoder(src, src_valid_len), src_valid_len)

    def decode_step(self, tokens, state):
        return self.decoder(tokens, state)

    def forward(self, enc_X, dec_X, enc_valid_len=None):
        return self.decoder(dec_X, self.encode(enc_X, enc_valid_len))[0]


def show_heatmaps(matrices, path, xlabel="Keys", ylabel="Queries", titles=None, xticklabels=None,
                  yticklabels=None, figsize=(4.0, 4.0), cmap="Reds"):
    """Save attention weights as heat maps in a PNG (d2l's ``show_heatmaps``, written to ``path``).

    ``matrices`` is one 2-D array / tensor (queries x keys) or a list of them (one panel each); the tick labels,
    when given, name the keys (x) and queries (y), e.g. the source and output tokens."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    if not isinstance(matrices, (list, tuple)):
        matrices = [matrices]
    arrays = [np.asarray(m.detach().cpu().numpy() if isinstance(m, ember.Tensor) else m, dtype=float)
              for m in matrices]
    for a in arrays:
        if a.ndim != 2:
            raise ValueError(f"show_heatmaps(): each matrix must be 2-D, got shape {a.shape}")
    fig, axes = plt.subplots(1, len(arrays), figsize=(figsize[0] * len(arrays), figsize[1]), squeeze=False)
    for i, (ax, a) in enumerate(zip(axes[0], arrays)):
        image = ax.imshow(a, cmap=cmap, vmin=0.0, vmax=max(1e-9, float(a.max())), aspect="auto")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if titles:
            ax.set_title(titles[i])
        if xticklabels is not None:
            ax.set_xticks(range(len(xticklabels)), xticklabels, rotation=90)
        if yticklabels is not None:
            ax.set_yticks(range(len(yticklabels)), yticklabels)
        fig.colorbar(image, ax=ax, shrink=0.6)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _build(decoder_cls, src_vocab_size, tgt_vocab_size, embed_size=256, num_hiddens=256, num_layers=2,
           dropout=0.1, bidirectional=False):
    encoder = Seq2SeqEncoder(src_vocab_size, embed_size, num_hiddens, num_layers, dropout, bidirectional)
    decoder = decoder_cls(tgt_vocab_size, embed_size, encoder.output_size, num_layers, dropout)
    return EncoderDecoder(encoder, decoder)


@register_model("seq2seq")
def seq2seq(src_vocab_size, tgt_vocab_size, **kwargs):
    """GRU encoder–decoder without attention: ``get_model("seq2seq", src_vocab_size=..., tgt_vocab_size=...,
    embed_size=256, num_hiddens=256, num_layers=2, dropout=0.1, bidirectional=False)``."""
    return _build(Seq2SeqDecoder, src_vocab_size, tgt_vocab_size, **kwargs)


@register_model("seq2seq-attn")
def seq2seq_attn(src_vocab_size, tgt_vocab_size, **kwargs):
    """GRU encoder–decoder with Bahdanau attention (same arguments as ``seq2seq``)."""
    return _build(Seq2SeqAttentionDecoder, src_vocab_size, tgt_vocab_size, **kwargs)
