"""BPETokenizer: the merges of Sennrich's example by hand, exact round trips, sizes, saving and loading."""
import pytest

from ember.datasets import Shakespeare
from ember.text import BPETokenizer

SENNRICH = "low low low low low lower lower newest newest newest newest newest newest widest widest widest"


def test_first_merges_by_hand():
    # pair counts (a word keeps its leading space): e s 9, s t 9 (e s seen first) -> es, then es t 9 -> est;
    # then l o 7 and o w 7 (l o first) -> lo, then lo w 7 -> low
    bpe = BPETokenizer(vocab_size=100).train(SENNRICH)
    assert bpe.merges[:4] == [("e", "s"), ("es", "t"), ("l", "o"), ("lo", "w")]
    assert bpe.tokenize("lowest") == ["low", "est"]
    assert bpe.tokenize(" newest")[-1].endswith("est")


def test_vocab_layout_and_size():
    bpe = BPETokenizer(vocab_size=30).train(SENNRICH)
    vocab = bpe.vocab
    assert vocab.idx_to_token[:4] == ["<unk>", "<pad>", "<bos>", "<eos>"]
    assert vocab.idx_to_token[4:4 + len(bpe.alphabet)] == sorted(set(SENNRICH))
    assert len(bpe) == len(vocab) == 30 == 4 + len(bpe.alphabet) + len(bpe.merges)


def test_training_stops_when_no_pair_repeats():
    bpe = BPETokenizer(vocab_size=1000).train("abc")
    assert bpe.merges == [] and len(bpe) == 4 + 3


@pytest.fixture(scope="module")
def shakespeare_bpe():
    text = Shakespeare().text[:60_000]
    return text, BPETokenizer(vocab_size=400).train(text)


def test_round_trip_and_compression(shakespeare_bpe):
    text, bpe = shakespeare_bpe
    sample = Shakespeare(train=False).text[:5000]
    ids = bpe.encode(sample)
    assert bpe.decode(ids) == sample
    assert all(isinstance(i, int) for i in ids) and 0 not in ids
    assert len(ids) < 0.6 * len(sample)                       # subwords are shorter than characters
    assert "".join(bpe.tokenize(sample)) == sample
    assert len(bpe) == 400


def test_unseen_characters_become_unk(shakespeare_bpe):
    _, bpe = shakespeare_bpe
    ids = bpe.encode("the ∑ king")
    assert 0 in ids and bpe.decode(ids).replace("<unk>", "∑") == "the ∑ king"


def test_deterministic_and_save_load(shakespeare_bpe, tmp_path):
    text, bpe = shakespeare_bpe
    again = BPETokenizer(vocab_size=400).train(text)
    assert again.merges == bpe.merges
    path = tmp_path / "bpe.json"
    bpe.save(path)
    loaded = BPETokenizer.load(path)
    sample = "What say you, my lord?\nROMEO:\n"
    assert loaded.encode(sample) == bpe.encode(sample)
    assert loaded.vocab.idx_to_token == bpe.vocab.idx_to_token
    assert BPETokenizer.from_state_dict(bpe.state_dict()).merges == bpe.merges


def test_errors():
    with pytest.raises(ValueError, match="vocab_size must be a positive int"):
        BPETokenizer(vocab_size=0)
    with pytest.raises(RuntimeError, match="not trained"):
        BPETokenizer().encode("a")
    with pytest.raises(TypeError, match="expected a str"):
        BPETokenizer(10).train("ab ab").tokenize(["ab"])


def test_each_merge_is_a_most_frequent_pair_by_a_full_recount():
    # Replays the learned merges with a naive full recount: the incremental bookkeeping must agree.
    import collections
    from ember.text.bpe import _pretokenize
    text = Shakespeare().text[:20_000]
    bpe = BPETokenizer(vocab_size=300).train(text)
    words = collections.Counter(_pretokenize(text))
    segs = {w: list(w) for w in words}
    for a, b in bpe.merges:
        counts = collections.Counter()
        for w, f in words.items():
            for pair in zip(segs[w], segs[w][1:]):
                counts[pair] += f
        assert counts[(a, b)] == max(counts.values()) >= 2
        for w, s in segs.items():
            out, j = [], 0
            while j < len(s):
                if j + 1 < len(s) and s[j] == a and s[j + 1] == b:
                    out.append(a + b)
                    j += 2
                else:
                    out.append(s[j])
                    j += 1
            segs[w] = out
