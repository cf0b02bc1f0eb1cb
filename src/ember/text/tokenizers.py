"""Character and word tokenizers, and d2l's text helpers.

    tokenize(["the time machine", "by h g wells"], token="word")   # [['the', 'time', 'machine'], ['by', ...]]
    CharTokenizer()("to be")            # ['t', 'o', ' ', 'b', 'e']      .detokenize(tokens) -> "to be"
    WordTokenizer()("Go. Now!")         # ['Go', '.', 'Now', '!']        .detokenize(tokens) -> "Go . Now !"
    preprocess_nmt("Go.\tVa !")         # 'go .\tva !'  (d2l: lower case, a space before , . ! ?)

``BPETokenizer`` (subwords) is in ``ember.text.bpe``.
"""
from __future__ import annotations

import re

__all__ = ["tokenize", "preprocess_nmt", "tokenize_nmt", "CharTokenizer", "WordTokenizer",
           "preprocess_time_machine"]


def tokenize(lines, token: str = "word") -> list[list[str]]:
    """d2l's ``tokenize``: each line split into words (on whitespace) or into characters."""
    if isinstance(lines, str):
        lines = [lines]
    if token == "word":
        return [line.split() for line in lines]
    if token == "char":
        return [list(line) for line in lines]
    raise ValueError(f"tokenize(): token must be 'word' or 'char', got {token!r}")


def preprocess_time_machine(text: str) -> list[str]:
    """d2l's ``read_time_machine`` cleaning: each line with non-letters turned into spaces, stripped,
    lower-cased (empty lines kept, as in d2l)."""
    return [re.sub("[^A-Za-z]+", " ", line).strip().lower() for line in text.split("\n")]


def preprocess_nmt(text: str, punctuation: str = ",.!?") -> str:
    """d2l's ``preprocess_nmt``: no-break spaces to spaces, lower case, a space before each mark in
    ``punctuation`` that does not already follow a space. ``punctuation=",.!?;:"`` suits the Bible pairs."""
    marks = set(punctuation)
    text = text.replace("\u202f", " ").replace("\xa0", " ").lower()
    out = [" " + char if i > 0 and char in marks and text[i - 1] != " " else char
           for i, char in enumerate(text)]
    return "".join(out)


def tokenize_nmt(text: str, num_examples: int | None = None) -> tuple[list[list[str]], list[list[str]]]:
    """d2l's ``tokenize_nmt``: ``source\\ttarget`` lines -> (source token lists, target token lists); at most
    ``num_examples`` pairs (d2l's loop stops once the line index exceeds ``num_examples``, so up to
    ``num_examples + 1`` lines are read; kept as is so the numbers match the book)."""
    source, target = [], []
    for i, line in enumerate(text.split("\n")):
        if num_examples and i > num_examples:
            break
        parts = line.split("\t")
        if len(parts) == 2:
            source.append(parts[0].split(" "))
            target.append(parts[1].split(" "))
    return source, target


class CharTokenizer:
    """Text -> list of characters (newlines and spaces included); ``detokenize`` joins them back exactly."""

    def tokenize(self, text: str) -> list[str]:
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer.tokenize(): expected a str, got {type(text).__name__}")
        return list(text)

    __call__ = tokenize

    def detokenize(self, tokens) -> str:
        return "".join(tokens)

    def __repr__(self) -> str:
        return "CharTokenizer()"


class WordTokenizer:
    """Text -> words. By default punctuation marks become tokens of their own (``"king's."`` ->
    ``["king's", "."]``); ``split_punctuation=False`` splits on whitespace only (d2l's ``tokenize``).
    ``lower=True`` lower-cases first. ``detokenize`` joins with single spaces (whitespace is not kept)."""

    # A word is letters/digits with inner apostrophes or hyphens (o'er, ne'er-do-well); any other
    # non-space character is a token of its own.
    _PATTERN = re.compile(r"\w+(?:['\u2019-]\w+)*|[^\w\s]")

    def __init__(self, lower: bool = False, split_punctuation: bool = True):
        self.lower = lower
        self.split_punctuation = split_punctuation

    def tokenize(self, text: str) -> list[str]:
        if not isinstance(text, str):
            raise TypeError(f"WordTokenizer.tokenize(): expected a str, got {type(text).__name__}")
        if self.lower:
            text = text.lower()
        if not self.split_punctuation:
            return text.split()
        return self._PATTERN.findall(text)

    __call__ = tokenize

    def detokenize(self, tokens) -> str:
        return " ".join(tokens)

    def __repr__(self) -> str:
        return f"WordTokenizer(lower={self.lower}, split_punctuation={self.split_punctuation})"
