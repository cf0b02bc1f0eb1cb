"""Byte-pair encoding (Sennrich et al. 2016) over characters: learn merges from a corpus, encode text into
subword ids and decode them back exactly.

    bpe = BPETokenizer(vocab_size=500).train(text)     # or BPETokenizer.train_from(text, vocab_size=500)
    ids = bpe.encode("To be, or not to be")            # list of int
    bpe.decode(ids) == "To be, or not to be"           # True for text made of characters seen in training
    bpe.tokenize("To be")                              # ['To', ' be'] -- the subword strings
    state = bpe.state_dict(); BPETokenizer.from_state_dict(state)   # or bpe.save(path) / BPETokenizer.load(path)

The text is first cut into pre-tokens as GPT-2 does (a word keeps the space before it: ``" be"``), and merges
never cross a pre-token, so a token is a piece of one word. ``vocab_size`` counts everything: the reserved
tokens (``<unk>`` first, then ``<pad> <bos> <eos>`` by default), the characters of the corpus, and one token per
merge. Ties between equally frequent pairs go to the pair seen first, so training is deterministic.
"""
from __future__ import annotations

import collections
import heapq
import json
import re

from .vocab import Vocab

__all__ = ["BPETokenizer"]

# GPT-2's pre-tokenizer without its English contractions: an optional space + a word, an optional space +
# punctuation, runs of whitespace. Every character belongs to exactly one match, so joining them gives the text.
_PRETOKEN = re.compile(r" ?[^\W_]+| ?[^\s\w]+| ?_+|\s+(?!\S)|\s+")


def _pretokenize(text: str) -> list[str]:
    return _PRETOKEN.findall(text)


class BPETokenizer:
    """Character-level byte-pair encoding trained on a corpus; see the module docstring."""

    def __init__(self, vocab_size: int = 1000, reserved_tokens=("<pad>", "<bos>", "<eos>")):
        if not isinstance(vocab_size, int) or vocab_size < 1:
            raise ValueError(f"BPETokenizer(): vocab_size must be a positive int, got {vocab_size!r}")
        self.vocab_size = vocab_size
        self.reserved_tokens = [t for t in reserved_tokens if t != "<unk>"]
        self.merges: list[tuple[str, str]] = []
        self.alphabet: list[str] = []
        self.vocab: Vocab | None = None
        self._ranks: dict[tuple[str, str], int] = {}
        self._cache: dict[str, list[str]] = {}

    # ------------------------------------------------------------------ training
    def train(self, corpus) -> "BPETokenizer":
        """Learn merges from ``corpus`` (a str or a list of str) until the vocabulary has ``vocab_size``
        tokens or no pair occurs twice. Returns ``self``."""
        if isinstance(corpus, str):
            corpus = [corpus]
        word_freqs: collections.Counter = collections.Counter()
        for text in corpus:
            word_freqs.update(_pretokenize(text))
        alphabet = sorted({ch for word in word_freqs for ch in word})
        words = [list(w) for w in word_freqs]           # each pre-token as its current list of symbols
        freqs = list(word_freqs.values())

        # Pair counts over the corpus, and which words hold each pair, updated incrementally per merge.
        pair_counts: collections.Counter = collections.Counter()
        where: dict[tuple[str, str], set[int]] = collections.defaultdict(set)
        first_seen: dict[tuple[str, str], int] = {}
        for i, symbols in enumerate(words):
            for pair in zip(symbols, symbols[1:]):
                pair_counts[pair] += freqs[i]
                where[pair].add(i)
                first_seen.setdefault(pair, len(first_seen))

        # The most frequent pair comes off a heap keyed (-count, first_seen); entries whose count has changed
        # since they were pushed are stale and skipped (each change pushes a fresh entry).
        heap = [(-c, first_seen[p], p) for p, c in pair_counts.items()]
        heapq.heapify(heap)
        merges = []
        budget = self.vocab_size - 1 - len(self.reserved_tokens) - len(alphabet)
        while len(merges) < budget and heap:
            neg_count, _, pair = heapq.heappop(heap)
            if pair_counts.get(pair, 0) != -neg_count:
                continue
            if -neg_count < 2:
                break
            merges.append(pair)
            merged = pair[0] + pair[1]
            changed = set()
            for i in list(where[pair]):
                symbols = words[i]
                for old in zip(symbols, symbols[1:]):        # take the word's old pairs out ...
                    pair_counts[old] -= freqs[i]
                    if pair_counts[old] <= 0:
                        del pair_counts[old]
                    where[old].discard(i)
                    changed.add(old)
                out, j = [], 0
                while j < len(symbols):
                    if j + 1 < len(symbols) and symbols[j] == pair[0] and symbols[j + 1] == pair[1]:
                        out.append(merged)
                        j += 2
                    else:
                        out.append(symbols[j])
                        j += 1
                words[i] = out
                for new in zip(out, out[1:]):                # ... and its new pairs in
                    pair_counts[new] += freqs[i]
                    where[new].add(i)
                    first_seen.setdefault(new, len(first_seen))
                    changed.add(new)
            for p in changed:
                if p in pair_counts:
                    heapq.heappush(heap, (-pair_counts[p], first_seen[p], p))
        self._set(alphabet, merges)
        return self

    @classmethod
    def train_from(cls, corpus, vocab_size: int = 1000, reserved_tokens=("<pad>", "<bos>", "<eos>")):
        return cls(vocab_size, reserved_tokens).train(corpus)

    def _set(self, alphabet, merges):
        self.alphabet = list(alphabet)
        self.merges = [tuple(m) for m in merges]
        self._ranks = {pair: rank for rank, pair in enumerate(self.merges)}
        self._cache = {}
        vocab = Vocab.__new__(Vocab)
        vocab.idx_to_token = (["<unk>"] + self.reserved_tokens + self.alphabet
                              + [a + b for a, b in self.merges])
        # A merge can rebuild a string that is already a token (e.g. from two different splits): keep the first.
        vocab.token_to_idx = {}
        for idx, token in enumerate(vocab.idx_to_token):
            vocab.token_to_idx.setdefault(token, idx)
        vocab._token_freqs = []
        self.vocab = vocab

    # ------------------------------------------------------------------ using it
    def _check_trained(self, name):
        if self.vocab is None:
            raise RuntimeError(f"BPETokenizer.{name}(): the tokenizer is not trained; call train(corpus) first")

    def _bpe(self, word: str) -> list[str]:
        """Apply the merges to one pre-token, lowest rank first (the order they were learned)."""
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        symbols = list(word)
        while len(symbols) > 1:
            ranked = [(self._ranks.get(p, len(self._ranks)), j) for j, p in enumerate(zip(symbols, symbols[1:]))]
            rank, _ = min(ranked)
            if rank == len(self._ranks):
                break
            a, b = self.merges[rank]
            out, j = [], 0
            while j < len(symbols):
                if j + 1 < len(symbols) and symbols[j] == a and symbols[j + 1] == b:
                    out.append(a + b)
                    j += 2
                else:
                    out.append(symbols[j])
                    j += 1
            symbols = out
        if len(self._cache) < 100_000:
            self._cache[word] = symbols
        return symbols

    def tokenize(self, text: str) -> list[str]:
        """The subword strings of ``text`` (characters never seen in training stay single characters)."""
        self._check_trained("tokenize")
        if not isinstance(text, str):
            raise TypeError(f"BPETokenizer.tokenize(): expected a str, got {type(text).__name__}")
        return [piece for word in _pretokenize(text) for piece in self._bpe(word)]

    __call__ = tokenize

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``; characters never seen in training become ``<unk>`` (0)."""
        return self.vocab[self.tokenize(text)]

    def decode(self, ids) -> str:
        """Text of token ids (a list, array or Tensor); reserved tokens other than ``<unk>`` are skipped."""
        self._check_trained("decode")
        skip = set(self.reserved_tokens)
        return "".join(t for t in self.vocab.to_tokens(list(ids) if not hasattr(ids, "tolist") else ids.tolist())
                       if t not in skip)

    def __len__(self) -> int:
        self._check_trained("__len__")
        return len(self.vocab)

    # ------------------------------------------------------------------ saving
    def state_dict(self) -> dict:
        self._check_trained("state_dict")
        return {"vocab_size": self.vocab_size, "reserved_tokens": list(self.reserved_tokens),
                "alphabet": list(self.alphabet), "merges": [list(m) for m in self.merges]}

    @classmethod
    def from_state_dict(cls, state: dict) -> "BPETokenizer":
        tok = cls(int(state["vocab_size"]), tuple(state["reserved_tokens"]))
        tok._set(state["alphabet"], [tuple(m) for m in state["merges"]])
        return tok

    def save(self, path):
        """Write the state as JSON (alphabet and merges in order: all that ``load`` needs)."""
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.state_dict(), f, ensure_ascii=False)

    @classmethod
    def load(cls, path) -> "BPETokenizer":
        with open(path, encoding="utf-8") as f:
            return cls.from_state_dict(json.load(f))

    def __repr__(self) -> str:
        size = "untrained" if self.vocab is None else f"{len(self.vocab)} tokens, {len(self.merges)} merges"
        return f"BPETokenizer(vocab_size={self.vocab_size}, {size})"
