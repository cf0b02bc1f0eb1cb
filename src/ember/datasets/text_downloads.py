"""Downloadable text corpora of the d2l book: ``TimeMachine``, ``FraEng`` and ``WikiText2``.

    tm = TimeMachine(download=True);  tm.text[:60], tm.lines[:3]
    pairs = FraEng(download=True).pairs               # [("Go.", "Va !"), ...]
    wiki = WikiText2(split="valid", download=True).text

Each file is fetched once (mirrors, resume, checksum; see ``download_url``) into ``<root>/<ClassName>/``, with
``root`` defaulting to ``$EMBER_HOME`` or ``~/.cache/ember``; zip archives are read in place, not unpacked.
``mirrors``/``filename``/``checksum`` are class attributes (d2l's URLs and sha1 values).
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ._download import cache_dir, check_integrity, checksum_kwargs, download_url

__all__ = ["TimeMachine", "FraEng", "WikiText2"]

D2L_DATA_URL = "http://d2l-data.s3-accelerate.amazonaws.com/"


class _DownloadedText:
    mirrors: list = []
    filename: str = ""
    checksum: str | None = None

    def __init__(self, root=None, download: bool = False):
        self.root = Path(root).expanduser() if root is not None else cache_dir()
        self.folder = self.root / type(self).__name__
        path = self.folder / self.filename
        if not check_integrity(path, **checksum_kwargs(self.checksum)):
            if not download:
                raise RuntimeError(f"Dataset not found. You can use download=True to download it, or place "
                                   f"{self.filename} in {self.folder} (mirrors: {', '.join(self.mirrors)})")
            download_url([m + self.filename for m in self.mirrors], path, **checksum_kwargs(self.checksum))
        self.path = path

    def _read_member(self, member: str) -> str:
        with zipfile.ZipFile(self.path) as zf:
            try:
                return zf.read(member).decode("utf-8")
            except KeyError:
                raise RuntimeError(f"{type(self).__name__}: {self.path} has no member {member!r}") from None

    def __repr__(self):
        return f"{type(self).__name__}(root={str(self.root)!r})"


class TimeMachine(_DownloadedText):
    """H. G. Wells, *The Time Machine* (1895, public domain; d2l's ``timemachine.txt``).

    ``.text``: the file as a str. ``.lines``: d2l's ``read_time_machine()``: every run of non-letters becomes one
    space, lines stripped and lower-cased."""

    mirrors = [D2L_DATA_URL]
    filename = "timemachine.txt"
    checksum = "090b5e7e70c295757f55df93cb0a180b9691891a"      # sha1, as d2l publishes it

    def __init__(self, root=None, download: bool = False):
        super().__init__(root, download)
        self.text = self.path.read_text(encoding="utf-8")

    @property
    def lines(self) -> list:
        return [re.sub("[^A-Za-z]+", " ", line).strip().lower() for line in self.text.splitlines()]

    def __len__(self):
        return len(self.text)


class FraEng(_DownloadedText):
    """English–French sentence pairs from the Tatoeba project (manythings.org's ``fra.txt``, CC-BY 2.0 FR), as
    d2l ships them in ``fra-eng.zip``.

    ``.text``: ``fra.txt`` as a str (``english<TAB>french`` per line). ``.pairs``: list of (en, fr) str tuples,
    unprocessed (d2l's ``preprocess_nmt`` lower-cases and spaces the punctuation; ``ember.text`` does that)."""

    mirrors = [D2L_DATA_URL]
    filename = "fra-eng.zip"
    checksum = "94646ad1522d915e7b0f9296181140edcf86a4f5"      # sha1
    member = "fra-eng/fra.txt"

    def __init__(self, root=None, download: bool = False):
        super().__init__(root, download)
        self.text = self._read_member(self.member)
        self.pairs = []
        for number, line in enumerate(self.text.splitlines(), 1):
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) < 2:
                raise RuntimeError(f"FraEng: line {number} of {self.member} has no tab: {line[:60]!r}")
            self.pairs.append((fields[0], fields[1]))

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, index):
        return self.pairs[index]


class WikiText2(_DownloadedText):
    """WikiText-2 (Merity et al. 2016, CC BY-SA 3.0): tokenised Wikipedia articles, ``wikitext-2-v1.zip``.

    ``split``: "train", "valid" or "test". ``.text``: ``wiki.<split>.tokens`` as a str (one paragraph or heading
    per line, rare words already ``<unk>``)."""

    mirrors = ["https://s3.amazonaws.com/research.metamind.io/wikitext/"]
    filename = "wikitext-2-v1.zip"
    checksum = "3c914d17d80b1459be871a5039ac23e752a53cbe"      # sha1
    splits = ("train", "valid", "test")

    def __init__(self, root=None, split: str = "train", download: bool = False):
        if split not in self.splits:
            raise ValueError(f"WikiText2(): split must be one of {', '.join(self.splits)}, got {split!r}")
        super().__init__(root, download)
        self.split = split
        self.text = self._read_member(f"wikitext-2/wiki.{split}.tokens")

    @property
    def lines(self) -> list:
        return self.text.splitlines()

    def __len__(self):
        return len(self.text)

    def __repr__(self):
        return f"WikiText2(root={str(self.root)!r}, split={self.split!r})"
