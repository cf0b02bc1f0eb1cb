"""The embedded text corpora: shipped-file checksums, sizes, splits and layout, and the build tool's
Markdown -> Tiny-Shakespeare conversion on a hand-written play."""
import hashlib
import importlib.util
import re
from pathlib import Path

import pytest

from ember.datasets import BiblePairs, Shakespeare, get_dataset
from ember.datasets.corpora import DATA_DIR, FILES

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(FILES))
def test_shipped_file_sha256(name):
    assert hashlib.sha256((DATA_DIR / name).read_bytes()).hexdigest() == FILES[name]


def test_shakespeare_size_split_and_layout():
    train, val = Shakespeare(), Shakespeare(train=False)
    assert len(train) + len(val) == 1_183_236
    assert abs(len(train) / (len(train) + len(val)) - 0.9) < 0.001
    assert train.text.startswith("First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\n")
    assert train.text.endswith("\n\n") and re.match(r"[A-Z][A-Za-z' ]*:\n", val.text)
    assert len(set(train.text + val.text)) == 64                 # Tiny Shakespeare has 65
    assert not re.search(r"[_*#\[\]\\]", train.text + val.text)  # no Markdown left
    speeches = (train.text + val.text).strip("\n").split("\n\n")
    assert all(re.fullmatch(r"[^\n]+:", s.split("\n")[0]) and "\n" in s for s in speeches)
    assert train[0:5] == "First" and get_dataset("shakespeare", train=False).text == val.text


def test_bible_pairs_sizes_split_and_lengths():
    train, test = BiblePairs(), BiblePairs(train=False)
    assert (len(train), len(test)) == (10_749, 562)
    assert train[0] == ("In the beginning God created the heaven and the earth.",
                        "Au commencement, Dieu créa les cieux et la terre.")
    assert not set(train.refs) & set(test.refs)
    for en, fr in train.pairs + test.pairs:
        assert 0 < len(en.split()) <= 20 and 0 < len(fr.split()) <= 20
        assert "\t" not in en + fr and "[" not in en + fr and not re.search(r"\(\d+:\d+\)", fr)
    # the split is the documented hash rule
    for (book, chapter, verse) in test.refs[:50]:
        key = hashlib.sha256(f"{book}:{chapter}:{verse}".encode()).digest()
        assert int.from_bytes(key[:8], "big") % 20 == 0
    assert get_dataset("bible", train=False).pairs == test.pairs


def _build_tool():
    spec = importlib.util.spec_from_file_location("build_text_corpora", ROOT / "tools" / "build_text_corpora.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_markdown_play_conversion_by_hand():
    play = ("# Coriolanus\n\n## ACT I\n\n### SCENE I. Rome. A street.\n\n"
            "_Enter a company of mutinous Citizens, with staves, clubs, and other\nweapons_\n\n"
            "**First Citizen**  \nBefore we proceed any further, hear me speak.\n\n"
            "**All**  \nSpeak, speak.  \nSpeak!\n\n"
            "_Shouts within_\n\n"
            "What shouts are these? And _\\[Censorinus,]_  \nnobly named so.\n\n"
            "**MENENIUS**  \n_Aside_  \nWhy, masters.\n")
    assert _build_tool().play_to_tiny_shakespeare(play) == (
        "First Citizen:\nBefore we proceed any further, hear me speak.\n\n"
        "All:\nSpeak, speak.\nSpeak!\nWhat shouts are these? And Censorinus,\nnobly named so.\n\n"
        "MENENIUS:\nWhy, masters.\n\n")


def test_bible_verse_cleaning():
    clean = _build_tool()._clean_verse
    assert clean("(9:1) Au chef des chantres. Sur [Meurs pour le fils]. (9:2) Je louerai\u00a0l'Éternel") == \
        "Au chef des chantres. Sur Meurs pour le fils. Je louerai l'Éternel"
