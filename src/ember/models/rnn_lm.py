"""Recurrent language models (d2l 9.6 / 10.1–10.3): ``RNNModel`` around ``nn.RNN`` / ``nn.GRU`` / ``nn.LSTM``.

    model = RNNModel(nn.LSTM(64, 256, num_layers=2), vocab_size=len(vocab), embed_size=64)
    state = model.begin_state(batch_size=32)
    logits, state = model(X, state)                  # X (B, T) token indices -> logits (B, T, V)
    loss = F.cross_entropy(logits.reshape(-1, V), Y.reshape(-1))
    state = detach_state(state)                      # truncated BPTT: keep the values, cut the graph

``get_model("lstm-lm", vocab_size=V, num_hiddens=256, num_layers=2, ...)`` (also "gru-lm", "rnn-lm") builds one.
Sampling text from a model is ``ember.models.decoding.sample``; perplexity is ``exp`` of the mean per-token
cross-entropy (``perplexity``).
"""
from __future__ import annotations

import math

import ember
from ember import nn
import ember.nn.functional as F

from . import register_model

__all__ = ["RNNModel", "detach_state", "perplexity", "rnn_lm", "gru_lm", "lstm_lm"]


class RNNModel(nn.Module):
    """d2l's ``RNNModel``: token input (one-hot, or an ``nn.Embedding`` when ``embed_size`` is given), a
    recurrent layer, and a ``Linear`` from the hidden state to the vocabulary.

    ``rnn_layer`` is an ``nn.RNN``, ``nn.GRU`` or ``nn.LSTM`` (time-major, ``batch_first=False``) whose
    ``input_size`` is ``embed_size`` (or ``vocab_size`` for one-hot inputs). ``forward(inputs (B, T), state)``
    returns ``(logits (B, T, V), state)``; ``state=None`` starts from zeros. ``dropout`` applies to the
    embeddings and to the RNN's outputs before the output layer."""

    def __init__(self, rnn_layer, vocab_size, embed_size=None, dropout=0.0):
        super().__init__()
        if not isinstance(rnn_layer, nn.RNNBase):
            raise TypeError(f"RNNModel(): rnn_layer must be an nn.RNN, nn.GRU or nn.LSTM, "
                            f"got {type(rnn_layer).__name__}")
        if rnn_layer.batch_first:
            raise ValueError("RNNModel(): rnn_layer must be time-major (batch_first=False)")
        expected = vocab_size if embed_size is None else embed_size
        if rnn_layer.input_size != expected:
            raise ValueError(f"RNNModel(): rnn_layer.input_size={rnn_layer.input_size} does not match "
                             f"{'vocab_size' if embed_size is None else 'embed_size'}={expected}")
        self.rnn = rnn_layer
        self.vocab_size = vocab_size
        self.num_hiddens = rnn_layer.hidden_size
        self.num_directions = 2 if rnn_layer.bidirectional else 1
        self.embedding = None if embed_size is None else nn.Embedding(vocab_size, embed_size)
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(self.num_hiddens * self.num_directions, vocab_size)

    def forward(self, inputs, state=None):
        if inputs.dim() != 2:
            raise ValueError(f"RNNModel.forward: inputs must be (batch, steps) token indices, got shape "
                             f"{tuple(inputs.shape)}")
        tokens = inputs.T                                          # time-major for the recurrent layer
        if self.embedding is None:
            X = F.one_hot(tokens.long(), self.vocab_size).to(self.linear.weight.dtype)
        else:
            X = self.dropout(self.embedding(tokens))
        Y, state = self.rnn(X, state)                              # (T, B, H * directions)
        logits = self.linear(self.dropout(Y))
        return logits.transpose(0, 1), state

    def begin_state(self, batch_size=1, device=None):
        """Zero initial state: a tensor (num_layers * directions, B, H), or an (h, c) pair for an LSTM."""
        shape = (self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens)
        dtype = self.linear.weight.dtype
        device = device if device is not None else self.linear.weight.device
        if isinstance(self.rnn, nn.LSTM):
            return (ember.zeros(shape, dtype=dtype, device=device), ember.zeros(shape, dtype=dtype, device=device))
        return ember.zeros(shape, dtype=dtype, device=device)


def detach_state(state):
    """The same state values cut from the graph (truncated backpropagation through time): a tensor, or a tuple of
    tensors for an LSTM; ``None`` stays ``None``."""
    if state is None:
        return None
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    return state.detach()


def perplexity(total_loss, num_tokens):
    """exp(mean cross-entropy per token), from a loss summed over ``num_tokens`` tokens."""
    if num_tokens <= 0:
        raise ValueError(f"perplexity(): num_tokens must be positive, got {num_tokens}")
    return math.exp(float(total_loss) / num_tokens)


_LAYERS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


def _build(kind, vocab_size, num_hiddens=256, num_layers=2, embed_size=64, dropout=0.0):
    """``embed_size=None`` feeds one-hot vectors, as d2l's first language models do."""
    layer = _LAYERS[kind](vocab_size if embed_size is None else embed_size, num_hiddens, num_layers,
                          dropout=dropout if num_layers > 1 else 0.0)
    return RNNModel(layer, vocab_size, embed_size=embed_size, dropout=dropout)


@register_model("rnn-lm")
def rnn_lm(vocab_size, **kwargs):
    """An Elman-RNN (tanh) language model: ``get_model("rnn-lm", vocab_size=V, num_hiddens=256, num_layers=2,
    embed_size=64, dropout=0.0)``."""
    return _build("rnn", vocab_size, **kwargs)


@register_model("gru-lm")
def gru_lm(vocab_size, **kwargs):
    """A GRU language model (same arguments as ``rnn_lm``)."""
    return _build("gru", vocab_size, **kwargs)


@register_model("lstm-lm")
def lstm_lm(vocab_size, **kwargs):
    """An LSTM language model (same arguments as ``rnn_lm``)."""
    return _build("lstm", vocab_size, **kwargs)
