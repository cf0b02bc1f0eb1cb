"""ember.text: tokenizers, Vocab, LM iterators, NMT arrays and masks (d2l's examples and hand values; masks
against a PyTorch twin of d2l's sequence_mask)."""
import zipfile

import numpy as np
import pytest
import torch

import ember
from ember.text import (CharTokenizer, SeqDataLoader, Vocab, WordTokenizer, build_array_nmt, count_corpus,
                        load_corpus, load_data_lm, load_data_nmt, padding_mask, preprocess_nmt,
                        preprocess_time_machine, seq_data_iter_random, seq_data_iter_sequential, sequence_mask,
                        tokenize, tokenize_nmt, truncate_pad, valid_lengths)


# ----------------------------------------------------------------------------------------------- tokenizers
def test_tokenize_word_and_char():
    lines = ["the time machine", "", "by h g  wells"]
    assert tokenize(lines) == [["the", "time", "machine"], [], ["by", "h", "g", "wells"]]
    assert tokenize(lines, "char")[0][:4] == ["t", "h", "e", " "]
    assert tokenize("ab", "char") == [["a", "b"]]
    with pytest.raises(ValueError, match="token must be 'word' or 'char'"):
        tokenize(lines, "bpe")


def test_preprocess_time_machine_as_d2l():
    text = "The Time Machine, by H. G. Wells [1898]\n\n\nI\n  It's 10 o'clock!  \n"
    assert preprocess_time_machine(text) == ["the time machine by h g wells", "", "", "i", "it s o clock", ""]


def test_preprocess_nmt_d2l_example():
    # The first lines of d2l's fra.txt and the book's printed result.
    raw = "Go.\tVa !\nHi.\tSalut !\nRun!\tCours\u202f!\nRun!\tCourez\u00a0!\nWho?\tQui ?\nWow!\tÇa alors\u202f!"
    assert preprocess_nmt(raw) == ("go .\tva !\nhi .\tsalut !\nrun !\tcours !\nrun !\tcourez !\nwho ?\tqui ?\n"
                                   "wow !\tça alors !")
    assert preprocess_nmt("Mourn: for") == "mourn: for"
    assert preprocess_nmt("Mourn: for", punctuation=",.!?;:") == "mourn : for"


def test_tokenize_nmt_d2l():
    text = "go .\tva !\nhi .\tsalut !\nrun !\tcours !\nbad line"
    src, tgt = tokenize_nmt(text)
    assert src == [["go", "."], ["hi", "."], ["run", "!"]]
    assert tgt == [["va", "!"], ["salut", "!"], ["cours", "!"]]
    # d2l stops once the line index exceeds num_examples: lines 0..1 for num_examples=1
    assert tokenize_nmt(text, num_examples=1)[0] == [["go", "."], ["hi", "."]]


def test_char_tokenizer_round_trip():
    text = "First Citizen:\nBefore we proceed,  hear me.\n"
    tok = CharTokenizer()
    assert tok(text) == list(text)
    assert tok.detokenize(tok(text)) == text
    with pytest.raises(TypeError, match="expected a str"):
        tok(["a"])


def test_word_tokenizer():
    tok = WordTokenizer()
    assert tok("Is't a verdict? O'er-much, my lord!") == ["Is't", "a", "verdict", "?", "O'er-much", ",", "my",
                                                          "lord", "!"]
    assert WordTokenizer(lower=True)("The KING.") == ["the", "king", "."]
    assert WordTokenizer(split_punctuation=False)("Go. Now!") == ["Go.", "Now!"]
    assert tok.detokenize(["go", ".", "now"]) == "go . now"


# -------------------------------------------------------------------------------------------------- Vocab
def test_vocab_order_reserved_and_min_freq():
    tokens = [["b", "a", "c"], ["a", "b", "a", "d"]]       # a:3, b:2, c:1, d:1 (c seen before d)
    vocab = Vocab(tokens, reserved_tokens=["<pad>", "<bos>", "<eos>"])
    assert vocab.idx_to_token == ["<unk>", "<pad>", "<bos>", "<eos>", "a", "b", "c", "d"]
    assert vocab.token_freqs == [("a", 3), ("b", 2), ("c", 1), ("d", 1)]
    assert len(vocab) == 8 and vocab.unk == 0
    assert vocab["a"] == 4 and vocab["zzz"] == 0
    assert vocab[["d", "a", "nope"]] == [7, 4, 0]
    assert vocab[[["a"], ["b", "c"]]] == [[4], [5, 6]]
    assert vocab.to_tokens(5) == "b" and vocab.to_tokens([4, 7]) == ["a", "d"]
    assert vocab.to_tokens(ember.tensor([4, 0])) == ["a", "<unk>"]
    assert "a" in vocab and "z" not in vocab
    assert Vocab(tokens, min_freq=2).idx_to_token == ["<unk>", "a", "b"]


def test_vocab_ties_keep_first_appearance_and_flat_tokens():
    vocab = Vocab(list("xyyxz"))                            # x:2, y:2 (x first), z:1
    assert vocab.idx_to_token == ["<unk>", "x", "y", "z"]
    assert count_corpus([]) == {}
    assert Vocab().idx_to_token == ["<unk>"]


def test_vocab_reserved_token_in_corpus_not_duplicated():
    vocab = Vocab([["<eos>", "a", "<eos>"]], reserved_tokens=["<pad>", "<eos>"])
    assert vocab.idx_to_token == ["<unk>", "<pad>", "<eos>", "a"]


def test_vocab_state_dict_round_trip_through_a_checkpoint(tmp_path):
    vocab = Vocab(list("to be or not to be\n"), reserved_tokens=["<pad>"])
    path = tmp_path / "vocab.safetensors"
    ember.save({"vocab": vocab.state_dict()}, path)
    back = Vocab.from_state_dict(ember.load(path)["vocab"])
    assert back == vocab and back.idx_to_token == vocab.idx_to_token
    assert back.token_freqs == vocab.token_freqs and back["\n"] == vocab["\n"]
    with pytest.raises(ValueError, match="must start with '<unk>'"):
        Vocab.from_state_dict({"idx_to_token": ["a"]})


def test_vocab_rejects_a_str():
    with pytest.raises(TypeError, match="not a str"):
        Vocab("hello")


# ---------------------------------------------------------------------------------------------- iterators
def _batches(it):
    return [(X.numpy(), Y.numpy()) for X, Y in it]


@pytest.mark.parametrize("batch_size,num_steps", [(2, 5), (3, 4), (1, 7)])
def test_seq_data_iter_random_partition(batch_size, num_steps):
    corpus = list(range(35))                                 # d2l's my_seq
    for seed in range(5):
        ember.manual_seed(seed)
        batches = _batches(seq_data_iter_random(corpus, batch_size, num_steps))
        starts = np.concatenate([X[:, 0] for X, _ in batches])
        offset = starts.min() % num_steps
        # one offset in [0, num_steps - 1]; the subsequences tile the corpus after it, without overlap
        assert np.all(starts % num_steps == offset) and len(set(starts)) == len(starts)
        assert len(batches) == ((35 - offset - 1) // num_steps) // batch_size
        for X, Y in batches:
            assert X.shape == (batch_size, num_steps) and X.dtype == np.int64
            np.testing.assert_array_equal(X, X[:, :1] + np.arange(num_steps))      # contiguous
            np.testing.assert_array_equal(Y, X + 1)                                # next tokens


def test_seq_data_iter_random_is_shuffled_and_seeded():
    corpus = list(range(1000))
    ember.manual_seed(3)
    a = _batches(seq_data_iter_random(corpus, 4, 5))
    ember.manual_seed(3)
    b = _batches(seq_data_iter_random(corpus, 4, 5))
    assert all(np.array_equal(x[0], y[0]) for x, y in zip(a, b))
    starts = np.concatenate([X[:, 0] for X, _ in a])
    assert not np.all(np.diff(starts) > 0)                  # not in corpus order


@pytest.mark.parametrize("batch_size,num_steps", [(2, 5), (3, 4), (4, 1)])
def test_seq_data_iter_sequential_partition(batch_size, num_steps):
    corpus = list(range(35))
    for offset in range(num_steps + 1):
        batches = _batches(seq_data_iter_sequential(corpus, batch_size, num_steps, offset=offset))
        row_len = (35 - offset - 1) // batch_size
        assert len(batches) == row_len // num_steps
        assert batches[0][0][0, 0] == offset
        for i, (X, Y) in enumerate(batches):
            assert X.shape == (batch_size, num_steps)
            np.testing.assert_array_equal(Y, X + 1)
            # row r of batch i continues row r of batch i-1: the rows are consecutive stretches of the corpus
            np.testing.assert_array_equal(X[:, 0], offset + np.arange(batch_size) * row_len + i * num_steps)
        seen = np.concatenate([X.ravel() for X, _ in batches])
        assert len(set(seen)) == len(seen)                   # no token is read twice in one pass


def test_seq_data_iter_sequential_random_offset_in_range_and_shift_invariant():
    rng = np.random.default_rng(0)
    corpus = rng.integers(0, 50, size=500)
    offsets = set()
    for seed in range(30):
        ember.manual_seed(seed)
        batches = _batches(seq_data_iter_sequential(corpus, 4, 6))
        flat_x = np.concatenate([X for X, _ in batches], axis=1)
        flat_y = np.concatenate([Y for _, Y in batches], axis=1)
        np.testing.assert_array_equal(flat_y[:, :-1], flat_x[:, 1:])     # Y is X shifted by one
        start = int(np.flatnonzero(np.all(np.lib.stride_tricks.sliding_window_view(corpus, 6)
                                          == batches[0][0][0], axis=1))[0])
        offsets.add(start)
    assert offsets <= set(range(7)) and len(offsets) > 1


def test_seq_data_loader_len_and_errors():
    loader = SeqDataLoader(list(range(100)), 3, 5, offset=0)
    assert len(loader) == len(list(loader)) == (99 // 3) // 5
    rand = SeqDataLoader(list(range(100)), 3, 5, use_random_iter=True)
    for seed in range(5):
        ember.manual_seed(seed)
        assert len(list(rand)) in (len(rand), len(rand) - 1)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        SeqDataLoader([1, 2, 3], 0, 5)
    with pytest.raises(ValueError, match="1-D sequence of token indices"):
        list(seq_data_iter_sequential(np.zeros((3, 3), dtype=np.int64), 1, 1))


def test_load_data_lm_shakespeare_chars():
    train_iter, val_iter, vocab = load_data_lm(8, 16, max_tokens=20_000)
    assert vocab.idx_to_token[0] == "<unk>" and "\n" in vocab and " " in vocab
    X, Y = next(iter(val_iter))
    assert X.shape == (8, 16) and X.dtype == ember.int64
    text = "".join(vocab.to_tokens(X[0].tolist()))
    assert text.startswith("ESCALUS:\n")                     # the validation part starts at a speech
    assert [x.tolist() for x, _ in val_iter] == [x.tolist() for x, _ in val_iter]   # deterministic
    ember.manual_seed(0)
    X, Y = next(iter(train_iter))
    assert "".join(vocab.to_tokens(X[0, 1:].tolist())) == "".join(vocab.to_tokens(Y[0, :-1].tolist()))
    _, _, wvocab = load_data_lm(8, 16, token="word", max_tokens=5000)
    assert "Citizen" in wvocab and ":" in wvocab
    with pytest.raises(ValueError, match="token must be 'char' or 'word'"):
        load_data_lm(8, 16, token="bpe")


def test_load_corpus_downloaded_files_in_place(tmp_path, monkeypatch):
    from ember.datasets import TimeMachine, WikiText2
    monkeypatch.setattr(TimeMachine, "checksum", None)       # a local stand-in file, not d2l's
    monkeypatch.setattr(WikiText2, "checksum", None)
    (tmp_path / "TimeMachine").mkdir()
    (tmp_path / "TimeMachine" / "timemachine.txt").write_text("The Time Machine, by H. G. Wells\n\nI\n" * 10)
    tokens = load_corpus("timemachine", "char", root=tmp_path) + load_corpus("timemachine", "char", False,
                                                                             root=tmp_path)
    assert "".join(tokens) == "the time machine by h g wellsi" * 10          # d2l: lines concatenated
    words = load_corpus("timemachine", "word", root=tmp_path)
    assert words[:8] == ["the", "time", "machine", "by", "h", "g", "wells", "i"]
    (tmp_path / "WikiText2").mkdir()
    with zipfile.ZipFile(tmp_path / "WikiText2" / "wikitext-2-v1.zip", "w") as z:
        z.writestr("wikitext-2/wiki.train.tokens", " = Valkyria = \n the <unk> game \n")
        z.writestr("wikitext-2/wiki.valid.tokens", " = Homarus = \n")
    assert load_corpus("wikitext2", "word", root=tmp_path) == ["=", "Valkyria", "=", "the", "<unk>", "game"]
    assert load_corpus("wikitext2", "word", train=False, root=tmp_path) == ["=", "Homarus", "="]
    with pytest.raises(ValueError, match="valid datasets: shakespeare, timemachine, wikitext2"):
        load_corpus("penn")


# ---------------------------------------------------------------------------------------------------- NMT
def test_truncate_pad_d2l_example():
    assert truncate_pad([47, 4], 10, 1) == [47, 4, 1, 1, 1, 1, 1, 1, 1, 1]       # the book's output
    assert truncate_pad([1, 2, 3, 4], 3, 0) == [1, 2, 3]
    assert truncate_pad([], 2, "<pad>") == ["<pad>", "<pad>"]
    with pytest.raises(ValueError, match="num_steps must be >= 0"):
        truncate_pad([1], -1, 0)


def test_build_array_nmt_hand_values():
    vocab = Vocab([["go", "."], ["hi", "."]], reserved_tokens=["<pad>", "<bos>", "<eos>"])
    # <unk> 0, <pad> 1, <bos> 2, <eos> 3, . 4, go 5, hi 6
    array, valid_len = build_array_nmt([["go", "."], ["hi", "there", "."], ["go"]], vocab, 4)
    assert array.tolist() == [[5, 4, 3, 1], [6, 0, 4, 3], [5, 3, 1, 1]]
    assert valid_len.tolist() == [3, 4, 2] and array.dtype == valid_len.dtype == ember.int64
    array, valid_len = build_array_nmt([["go", ".", "go", "."]], vocab, 3)        # <eos> truncated away
    assert array.tolist() == [[5, 4, 5]] and valid_len.tolist() == [3]
    with pytest.raises(ValueError, match="no '<pad>' token"):
        build_array_nmt([["a"]], Vocab([["a"]]), 3)


def test_load_data_nmt_bible():
    ember.manual_seed(0)
    train_iter, test_pairs, src_vocab, tgt_vocab = load_data_nmt(16, 12, num_examples=600)
    assert src_vocab.idx_to_token[:4] == tgt_vocab.idx_to_token[:4] == ["<unk>", "<pad>", "<bos>", "<eos>"]
    assert len(train_iter.dataset) == 600 and len(test_pairs) == 562
    X, X_valid_len, Y, Y_valid_len = next(iter(train_iter))
    assert X.shape == Y.shape == (16, 12) and X_valid_len.shape == (16,) and X.dtype == ember.int64
    np.testing.assert_array_equal(X_valid_len.numpy(), (X.numpy() != 1).sum(1))
    for row, n in zip(Y.numpy(), Y_valid_len.numpy()):
        assert np.all(row[n:] == 1)
        assert n == 12 or row[n - 1] == 3                    # not truncated: ends with <eos>
    from ember.datasets import BiblePairs
    raw_en, raw_fr = BiblePairs(train=False).pairs[0]
    assert test_pairs[0] == (preprocess_nmt(raw_en, ",.!?;:"), preprocess_nmt(raw_fr, ",.!?;:"))
    assert test_pairs[0][0] == "these are the three sons of noah : and of them was the whole earth overspread ."
    with pytest.raises(ValueError, match="valid datasets: bible, fra-eng"):
        load_data_nmt(4, 4, dataset="klingon")


# -------------------------------------------------------------------------------------------------- masks
def _torch_sequence_mask(X, valid_len, value=0):              # d2l's, verbatim
    maxlen = X.size(1)
    mask = torch.arange((maxlen), dtype=torch.float32, device=X.device)[None, :] < valid_len[:, None]
    X[~mask] = value
    return X


def test_sequence_mask_d2l_example():
    X = ember.tensor([[1, 2, 3], [4, 5, 6]])
    out = sequence_mask(X, ember.tensor([1, 2]))
    assert out is X and out.tolist() == [[1, 0, 0], [4, 5, 0]]
    X = sequence_mask(ember.ones(2, 3, 4), ember.tensor([1, 2]), value=-1)
    expected = _torch_sequence_mask(torch.ones(2, 3, 4), torch.tensor([1, 2]), value=-1)
    np.testing.assert_array_equal(X.numpy(), expected.numpy())


def test_sequence_mask_values_and_gradients_vs_torch():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 5, 2)).astype(np.float32)
    vl = np.array([0, 3, 5])
    xe = ember.tensor(a, requires_grad=True)
    xt = torch.tensor(a, requires_grad=True)
    ye = sequence_mask(xe * 2, ember.tensor(vl), value=-1e6)
    yt = _torch_sequence_mask(xt * 2, torch.tensor(vl), value=-1e6)
    np.testing.assert_array_equal(ye.detach().numpy(), yt.detach().numpy())
    g = rng.standard_normal((3, 5, 2)).astype(np.float32)
    (ye * ember.tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy())


def test_sequence_mask_errors():
    with pytest.raises(ValueError, match=r"valid_len must have shape \(2,\)"):
        sequence_mask(ember.ones(2, 3), ember.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        sequence_mask(ember.ones(3), ember.tensor([1]))


def test_padding_mask_and_valid_lengths():
    mask = padding_mask(ember.tensor([1, 3, 0]), 3)
    assert mask.dtype == ember.bool
    assert mask.tolist() == [[False, True, True], [False, False, False], [True, True, True]]
    tokens = ember.tensor([[5, 6, 1, 1], [7, 1, 1, 1], [2, 3, 4, 5]])
    assert valid_lengths(tokens, pad_idx=1).tolist() == [2, 1, 4]
    assert padding_mask(valid_lengths(tokens, 1), 4).tolist() == (tokens == 1).tolist()


def test_padding_mask_matches_torch_key_padding_mask():
    # nn.MultiheadAttention ignores the keys marked True: with ember's mask, ember and torch agree.
    rng = np.random.default_rng(2)
    q = rng.standard_normal((2, 4, 8)).astype(np.float32)
    vl = [2, 4]
    torch.manual_seed(0)
    mha_t = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    mha_e = ember.nn.MultiheadAttention(8, 2, batch_first=True)
    mha_e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in mha_t.state_dict().items()})
    out_e, _ = mha_e(*(ember.tensor(q),) * 3, key_padding_mask=padding_mask(ember.tensor(vl), 4))
    mask_t = torch.arange(4)[None, :] >= torch.tensor(vl)[:, None]
    out_t, _ = mha_t(*(torch.tensor(q),) * 3, key_padding_mask=mask_t)
    np.testing.assert_allclose(out_e.detach().numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-6)


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=40)
@given(n=st.integers(0, 60), batch_size=st.integers(1, 5), num_steps=st.integers(1, 6), seed=st.integers(0, 3))
def test_partitions_on_any_corpus_length(n, batch_size, num_steps, seed):
    corpus = np.arange(n) * 7 % 11 + 100 * np.arange(n)       # distinct values that reveal positions
    for fn in (seq_data_iter_random, seq_data_iter_sequential):
        ember.manual_seed(seed)
        batches = _batches(fn(corpus, batch_size, num_steps))
        seen = []
        for X, Y in batches:
            assert X.shape == Y.shape == (batch_size, num_steps)
            pos = X // 100                                    # the corpus positions of the tokens
            np.testing.assert_array_equal(Y // 100, pos + 1)
            np.testing.assert_array_equal(pos, pos[:, :1] + np.arange(num_steps))
            seen.extend(pos.ravel().tolist())
        assert len(seen) == len(set(seen))                    # no overlap
        # what is left unread: the offset (< num_steps + 1), the last token, an incomplete batch
        assert n - len(seen) <= batch_size * num_steps + num_steps
