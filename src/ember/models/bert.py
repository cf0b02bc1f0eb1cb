"""BERT-mini: d2l's BERT (chapter "Bidirectional Encoder Representations from Transformers").

    from ember.models.bert import BERTModel
    net = BERTModel(vocab_size=2000, num_hiddens=128, ffn_num_hiddens=256, num_heads=2, num_blks=2,
                    dropout=0.1, max_len=64)
    encoded, mlm_logits, nsp_logits = net(tokens, segments, valid_lens, pred_positions)

* ``BERTEncoder``: token + segment + learned position embeddings, then ``nn.TransformerEncoder`` layers
  (post-norm like BERT and d2l, batch first, a ReLU feed-forward like d2l's; ``activation="gelu"`` is BERT's).
  ``valid_lens`` becomes the key-padding mask, so padded positions are never attended to.
* ``MaskLM``: gathers the encodings at ``pred_positions`` (one row per example, padded with 0) and predicts the
  original tokens with a two-layer MLP.
* ``NextSentencePred``: a linear classifier on the ``<cls>`` representation (after BERT's tanh "pooler").
* ``BERTClassifier``: d2l's fine-tuning head: the pre-trained encoder and pooler, a new linear output layer.

The pre-training loss (``bert_pretrain_loss``) is d2l's: the masked-language-model cross-entropy averaged over
the real (weight 1) predictions plus the next-sentence-prediction cross-entropy.
"""
from __future__ import annotations

import ember
from ember import nn
import ember.nn.functional as F
from ember.models import register_model

__all__ = ["BERTEncoder", "MaskLM", "NextSentencePred", "BERTModel", "BERTClassifier", "bert_mini",
           "bert_pretrain_loss", "valid_lens_to_padding_mask"]


def valid_lens_to_padding_mask(valid_lens, seq_len):
    """(B,) lengths -> (B, seq_len) bool mask, True where a position is padding (PyTorch's key_padding_mask)."""
    positions = ember.arange(seq_len, device=valid_lens.device).unsqueeze(0)
    return positions >= valid_lens.reshape(-1, 1).to(positions.dtype)


class BERTEncoder(nn.Module):
    """Token, segment and learned position embeddings followed by ``num_blks`` Transformer encoder layers.

    ``forward(tokens (B, T) long, segments (B, T) long, valid_lens (B,) or None) -> (B, T, num_hiddens)``.
    """

    def __init__(self, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout, max_len=1000,
                 activation="relu"):
        super().__init__()
        self.max_len = max_len
        self.token_embedding = nn.Embedding(vocab_size, num_hiddens)
        self.segment_embedding = nn.Embedding(2, num_hiddens)
        layer = nn.TransformerEncoderLayer(num_hiddens, num_heads, dim_feedforward=ffn_num_hiddens,
                                           dropout=dropout, activation=activation, batch_first=True)
        # No nested-tensor shortcut: padded positions get ordinary encodings (d2l's semantics) in train and eval.
        self.blks = nn.TransformerEncoder(layer, num_blks, enable_nested_tensor=False)
        # Learnable positional embeddings (BERT's), unlike the Transformer's fixed sinusoids.
        self.pos_embedding = nn.Parameter(ember.randn(1, max_len, num_hiddens) * 0.02)

    def forward(self, tokens, segments, valid_lens=None):
        if tokens.dim() != 2 or tuple(segments.shape) != tuple(tokens.shape):
            raise ValueError(f"BERTEncoder.forward: expected tokens and segments of the same shape (B, T), got "
                             f"tokens {tuple(tokens.shape)} and segments {tuple(segments.shape)}")
        seq_len = tokens.shape[1]
        if seq_len > self.max_len:
            raise ValueError(f"BERTEncoder.forward: sequence length {seq_len} exceeds max_len={self.max_len}")
        X = self.token_embedding(tokens) + self.segment_embedding(segments)
        X = X + self.pos_embedding[:, :seq_len, :]
        mask = None if valid_lens is None else valid_lens_to_padding_mask(valid_lens, seq_len)
        return self.blks(X, src_key_padding_mask=mask)


class MaskLM(nn.Module):
    """The masked-language-model head: ``forward(X (B, T, H), pred_positions (B, P)) -> (B, P, vocab_size)``."""

    def __init__(self, vocab_size, num_hiddens):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(num_hiddens, num_hiddens), nn.ReLU(), nn.LayerNorm(num_hiddens),
                                 nn.Linear(num_hiddens, vocab_size))

    @staticmethod
    def gather(X, pred_positions):
        """``X[b, pred_positions[b, p]]`` for every b, p: (B, P, H)."""
        if pred_positions.dim() != 2 or pred_positions.shape[0] != X.shape[0]:
            raise ValueError(f"MaskLM: expected pred_positions of shape (B, P) with B={X.shape[0]}, got "
                             f"{tuple(pred_positions.shape)}")
        batch_size, num_pred = pred_positions.shape
        batch_idx = ember.repeat_interleave(ember.arange(batch_size, device=X.device), num_pred)
        masked_X = X[batch_idx, pred_positions.reshape(-1)]
        return masked_X.reshape(batch_size, num_pred, -1)

    def forward(self, X, pred_positions):
        return self.mlp(self.gather(X, pred_positions))


class NextSentencePred(nn.Module):
    """Is sentence B the one that follows sentence A? ``forward(X (B, H)) -> (B, 2)`` logits (1 = is next)."""

    def __init__(self, num_hiddens):
        super().__init__()
        self.output = nn.Linear(num_hiddens, 2)

    def forward(self, X):
        return self.output(X)


class BERTModel(nn.Module):
    """Encoder + MLM head + pooler + NSP head.

    ``forward(tokens, segments, valid_lens=None, pred_positions=None) -> (encoded_X, mlm_Y_hat, nsp_Y_hat)``;
    ``mlm_Y_hat`` is None when no ``pred_positions`` are given.
    """

    def __init__(self, vocab_size, num_hiddens=128, ffn_num_hiddens=256, num_heads=2, num_blks=2, dropout=0.1,
                 max_len=64, activation="relu"):
        super().__init__()
        self.config = dict(vocab_size=vocab_size, num_hiddens=num_hiddens, ffn_num_hiddens=ffn_num_hiddens,
                           num_heads=num_heads, num_blks=num_blks, dropout=dropout, max_len=max_len,
                           activation=activation)
        self.encoder = BERTEncoder(vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout,
                                   max_len=max_len, activation=activation)
        self.hidden = nn.Sequential(nn.Linear(num_hiddens, num_hiddens), nn.Tanh())    # BERT's pooler
        self.mlm = MaskLM(vocab_size, num_hiddens)
        self.nsp = NextSentencePred(num_hiddens)

    def forward(self, tokens, segments, valid_lens=None, pred_positions=None):
        encoded_X = self.encoder(tokens, segments, valid_lens)
        mlm_Y_hat = None if pred_positions is None else self.mlm(encoded_X, pred_positions)
        # The <cls> token (position 0) represents the whole pair.
        nsp_Y_hat = self.nsp(self.hidden(encoded_X[:, 0, :]))
        return encoded_X, mlm_Y_hat, nsp_Y_hat


class BERTClassifier(nn.Module):
    """d2l's fine-tuning model: a (pre-trained) BERT's encoder and pooler with a new ``num_classes`` head.

    ``forward(tokens, segments, valid_lens) -> (B, num_classes)`` logits.
    """

    def __init__(self, bert: BERTModel, num_classes=2, dropout=0.1):
        super().__init__()
        self.encoder = bert.encoder
        self.hidden = bert.hidden
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(bert.hidden[0].out_features, num_classes)

    def forward(self, tokens, segments, valid_lens=None):
        encoded_X = self.encoder(tokens, segments, valid_lens)
        return self.output(self.dropout(self.hidden(encoded_X[:, 0, :])))


def bert_pretrain_loss(mlm_Y_hat, nsp_Y_hat, mlm_Y, mlm_weights, nsp_y):
    """d2l's pre-training loss: returns ``(total, mlm_loss, nsp_loss)`` (0-d Tensors).

    The MLM cross-entropy of each predicted position is weighted by ``mlm_weights`` (0 for padding
    predictions) and averaged over the real ones; the NSP loss is the mean cross-entropy.
    """
    vocab_size = mlm_Y_hat.shape[-1]
    mlm_l = F.cross_entropy(mlm_Y_hat.reshape(-1, vocab_size), mlm_Y.reshape(-1), reduction="none")
    weights = mlm_weights.reshape(-1).to(mlm_l.dtype)
    mlm_l = (mlm_l * weights).sum() / (weights.sum() + 1e-8)
    nsp_l = F.cross_entropy(nsp_Y_hat, nsp_y)
    return mlm_l + nsp_l, mlm_l, nsp_l


@register_model("bert-mini")
def bert_mini(vocab_size=2000, num_hiddens=128, ffn_num_hiddens=256, num_heads=2, num_blks=2, dropout=0.1,
              max_len=64, **kwargs):
    """d2l's small pre-training configuration (2 blocks, 128 hidden units, 2 heads); the "bert-mini" model."""
    return BERTModel(vocab_size, num_hiddens=num_hiddens, ffn_num_hiddens=ffn_num_hiddens, num_heads=num_heads,
                     num_blks=num_blks, dropout=dropout, max_len=max_len, **kwargs)
