"""d2l's ``Vocab``: tokens <-> indices, most frequent first.

    vocab = Vocab(tokens, min_freq=2, reserved_tokens=["<pad>", "<bos>", "<eos>"])
    vocab["the"], vocab[["the", "king"]], vocab.to_tokens([5, 6]), len(vocab), vocab.unk   # unk is 0
    state = vocab.state_dict(); same = Vocab.from_state_dict(state)     # e.g. inside a checkpoint
"""
from __future__ import annotations

import collections

__all__ = ["Vocab", "count_corpus"]


def count_corpus(tokens) -> collections.Counter:
    """Token frequencies of a list of tokens or a list of token lists (d2l's ``count_corpus``)."""
    if len(tokens) == 0 or isinstance(tokens[0], (list, tuple)):
        tokens = [token for line in tokens for token in line]
    return collections.Counter(tokens)


class Vocab:
    """Vocabulary for text (d2l's semantics).

    Index 0 is ``<unk>``, then ``reserved_tokens`` in the given order, then the tokens of ``tokens`` (a list
    of tokens or of token lists) seen at least ``min_freq`` times, most frequent first; ties keep the order
    of first appearance (a stable sort of a ``Counter``, as d2l does). Unknown tokens map to ``unk`` (0).
    """

    def __init__(self, tokens=None, min_freq: int = 0, reserved_tokens=None):
        if tokens is None:
            tokens = []
        if reserved_tokens is None:
            reserved_tokens = []
        if isinstance(tokens, str):
            raise TypeError("Vocab(): tokens must be a list of tokens or of token lists, not a str "
                            "(use ember.text.tokenize or list(text) first)")
        counter = count_corpus(tokens)
        self._token_freqs = sorted(counter.items(), key=lambda x: x[1], reverse=True)
        self.idx_to_token = ["<unk>"] + [t for t in reserved_tokens if t != "<unk>"]
        self.token_to_idx = {token: idx for idx, token in enumerate(self.idx_to_token)}
        for token, freq in self._token_freqs:
            if freq < min_freq:
                break                                 # sorted by frequency: the rest are rarer
            if token not in self.token_to_idx:
                self.idx_to_token.append(token)
                self.token_to_idx[token] = len(self.idx_to_token) - 1

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __contains__(self, token) -> bool:
        return token in self.token_to_idx

    def __getitem__(self, tokens):
        """Index of a token, or a list of indices for a list/tuple of tokens (unknown -> ``unk``)."""
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, self.unk)
        get, unk = self.token_to_idx.get, self.unk
        return [self.__getitem__(t) if isinstance(t, (list, tuple)) else get(t, unk) for t in tokens]

    def to_tokens(self, indices):
        """Token of an index, or the tokens of a list/tuple/array/Tensor of indices."""
        if hasattr(indices, "tolist"):              # Tensor or ndarray
            indices = indices.tolist()
        if not isinstance(indices, (list, tuple)):
            return self.idx_to_token[int(indices)]
        return [self.to_tokens(index) for index in indices]

    @property
    def unk(self) -> int:
        return 0

    @property
    def token_freqs(self) -> list[tuple[str, int]]:
        """(token, count) pairs of the corpus the vocabulary was built from, most frequent first."""
        return self._token_freqs

    def state_dict(self) -> dict:
        """Plain lists (JSON- and ``ember.save``-friendly) that ``Vocab.from_state_dict`` turns back into this."""
        return {"idx_to_token": list(self.idx_to_token),
                "token_freqs": [[token, int(freq)] for token, freq in self._token_freqs]}

    @classmethod
    def from_state_dict(cls, state: dict) -> "Vocab":
        if not isinstance(state, dict) or "idx_to_token" not in state:
            raise ValueError("Vocab.from_state_dict(): expected a dict with an 'idx_to_token' list, "
                             f"got {type(state).__name__}")
        vocab = cls.__new__(cls)
        vocab.idx_to_token = list(state["idx_to_token"])
        if not vocab.idx_to_token or vocab.idx_to_token[0] != "<unk>":
            raise ValueError("Vocab.from_state_dict(): idx_to_token must start with '<unk>'")
        vocab.token_to_idx = {token: idx for idx, token in enumerate(vocab.idx_to_token)}
        if len(vocab.token_to_idx) != len(vocab.idx_to_token):
            raise ValueError("Vocab.from_state_dict(): idx_to_token has duplicate tokens")
        vocab._token_freqs = [(token, int(freq)) for token, freq in state.get("token_freqs", [])]
        return vocab

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocab) and self.idx_to_token == other.idx_to_token

    def __repr__(self) -> str:
        head = ", ".join(repr(t) for t in self.idx_to_token[:8])
        return f"Vocab(size={len(self)}, tokens=[{head}{', ...' if len(self) > 8 else ''}])"
