"""Machine-translation data as d2l prepares it: token lists -> padded index arrays with valid lengths.

    train_iter, test_pairs, src_vocab, tgt_vocab = load_data_nmt(batch_size=64, num_steps=24)
    for X, X_valid_len, Y, Y_valid_len in train_iter: ...        # int64 (64, 24), (64,), (64, 24), (64,)
    # test_pairs: [(english, french), ...] held-out sentences, preprocessed like the training text
    # (lower case, spaced punctuation), so `src_vocab[src.split(' ')]` and `bleu(pred, ref, k)` apply directly.

Note: d2l's ``load_data_nmt`` returns three values; this one also returns the held-out pairs (second), since
every translation recipe evaluates BLEU on them.
"""
from __future__ import annotations

import numpy as np

import ember
from ember.utils.data import DataLoader, TensorDataset

from .tokenizers import preprocess_nmt
from .vocab import Vocab

__all__ = ["truncate_pad", "build_array_nmt", "load_data_nmt", "load_pairs", "RESERVED_TOKENS"]

RESERVED_TOKENS = ["<pad>", "<bos>", "<eos>"]      # with <unk> at index 0: <pad> 1, <bos> 2, <eos> 3


def truncate_pad(line, num_steps: int, padding_token):
    """d2l's ``truncate_pad``: the first ``num_steps`` tokens of ``line``, or ``line`` padded to
    ``num_steps`` with ``padding_token``."""
    if num_steps < 0:
        raise ValueError(f"truncate_pad(): num_steps must be >= 0, got {num_steps}")
    line = list(line)
    if len(line) > num_steps:
        return line[:num_steps]
    return line + [padding_token] * (num_steps - len(line))


def build_array_nmt(lines, vocab: Vocab, num_steps: int):
    """d2l's ``build_array_nmt``: token lists -> ``(array, valid_len)``; each line gets ``<eos>`` appended,
    is truncated or padded with ``<pad>`` to ``num_steps``; ``valid_len`` counts the non-pad tokens.
    Both are int64 Tensors, shapes ``(N, num_steps)`` and ``(N,)``."""
    for token in ("<pad>", "<eos>"):
        if token not in vocab:
            raise ValueError(f"build_array_nmt(): the vocabulary has no {token!r} token; build it with "
                             f"reserved_tokens={RESERVED_TOKENS}")
    pad, eos = vocab["<pad>"], vocab["<eos>"]
    rows = [truncate_pad(vocab[list(line)] + [eos], num_steps, pad) for line in lines]
    array = np.array(rows, dtype=np.int64).reshape(len(rows), num_steps)
    valid_len = (array != pad).sum(1).astype(np.int64)
    return ember.from_numpy(array), ember.from_numpy(valid_len)


def _split_every(pairs, every=20):
    """A fixed held-out split for corpora that come without one: every ``every``-th pair is test."""
    train = [p for i, p in enumerate(pairs) if i % every != every - 1]
    test = [p for i, p in enumerate(pairs) if i % every == every - 1]
    return train, test


def load_pairs(dataset: str = "bible", root=None, download: bool = False):
    """``(train_pairs, test_pairs, punctuation)`` of raw ``(source, target)`` strings.

    ``"bible"``: the embedded ``BiblePairs`` (its own 5% test split); ``"fra-eng"``: the downloaded Tatoeba
    pairs (``ember.datasets``' ``FraEng``), every 20th pair held out."""
    dataset = dataset.lower()
    if dataset == "bible":
        from ember.datasets.corpora import BiblePairs
        return BiblePairs(root, train=True).pairs, BiblePairs(root, train=False).pairs, ",.!?;:"
    if dataset in ("fra-eng", "fraeng", "tatoeba"):
        from ember.datasets import get_dataset
        train, test = _split_every(get_dataset("fra-eng", root=root, download=download).pairs)
        return train, test, ",.!?"
    raise ValueError(f"load_data_nmt(): unknown dataset {dataset!r}; valid datasets: bible, fra-eng")


def load_data_nmt(batch_size: int, num_steps: int, num_examples: int | None = None, dataset: str = "bible",
                  min_freq: int = 2, root=None, download: bool = False):
    """d2l's ``load_data_nmt`` on an embedded or downloaded corpus:
    ``(train_iter, test_pairs, src_vocab, tgt_vocab)``.

    Both sides are preprocessed as d2l does (``preprocess_nmt``: lower case, a space before punctuation; the
    Bible also spaces ``;`` and ``:``) and split on spaces. Vocabularies come from the training pairs
    (``min_freq=2``, reserved ``<pad> <bos> <eos>`` after ``<unk>``). ``num_examples`` keeps the first
    training pairs only. ``train_iter`` is a shuffling ``DataLoader`` of ``(X, X_valid_len, Y,
    Y_valid_len)``; ``test_pairs`` are the held-out ``(source, target)`` strings, preprocessed the same way.
    """
    train, test, punctuation = load_pairs(dataset, root=root, download=download)
    if num_examples is not None:
        train = train[:num_examples]

    def prep(pairs):
        return [(preprocess_nmt(src, punctuation), preprocess_nmt(tgt, punctuation)) for src, tgt in pairs]

    train, test = prep(train), prep(test)
    source = [src.split() for src, _ in train]
    target = [tgt.split() for _, tgt in train]
    src_vocab = Vocab(source, min_freq=min_freq, reserved_tokens=RESERVED_TOKENS)
    tgt_vocab = Vocab(target, min_freq=min_freq, reserved_tokens=RESERVED_TOKENS)
    src_array, src_valid_len = build_array_nmt(source, src_vocab, num_steps)
    tgt_array, tgt_valid_len = build_array_nmt(target, tgt_vocab, num_steps)
    dataset_ = TensorDataset(src_array, src_valid_len, tgt_array, tgt_valid_len)
    train_iter = DataLoader(dataset_, batch_size=batch_size, shuffle=True)
    return train_iter, test, src_vocab, tgt_vocab
