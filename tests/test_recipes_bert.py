"""The BERT pre-training data pipeline (d2l's), the fine-tuning task and a few-step `bert-mini` recipe run."""
import argparse
import collections
import json
import random

import numpy as np
import pytest

import ember
from ember.recipes.bert import (BERTPretrainDataset, MLMAccuracy, NSPAccuracy, SentencePairDataset,
                                _get_mlm_data_from_tokens, _get_next_sentence, _get_nsp_data_from_paragraph,
                                _pad_bert_inputs, _replace_mlm_tokens, _truncate_pair_of_tokens,
                                continuation_or_reply_pairs, get_tokens_and_segments, split_speeches)
from ember.text.vocab import Vocab

RESERVED = ["<pad>", "<mask>", "<cls>", "<sep>"]
WORDS = [f"w{i}" for i in range(200)]


def _vocab():
    return Vocab([WORDS], reserved_tokens=RESERVED)


def _paragraphs(n=60, seed=0):
    """Paragraphs of 2-5 sentences of 2-6 distinct made-up words each (every sentence is unique)."""
    rng = random.Random(seed)
    out, k = [], 0
    for _ in range(n):
        para = []
        for _ in range(rng.randint(2, 5)):
            para.append([f"w{(k + j) % 200}" for j in range(rng.randint(2, 6))] + [f"s{k}"])
            k += 1
        out.append(para)
    return out


def test_split_speeches_on_tiny_shakespeare_layout():
    text = ("First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n"
            "First Citizen:\nYou are all resolved rather to die than to famish? Resolved!\nWe know't.\n\n"
            "He goes on after a stage direction.\n\nMENENIUS:\nWhat work's, my countrymen")
    assert split_speeches(text) == [
        ["Before we proceed any further, hear me speak."],
        ["Speak, speak."],
        ["You are all resolved rather to die than to famish?", "Resolved!", "We know't.",
         "He goes on after a stage direction."],
        ["What work's, my countrymen"],
    ]


def test_get_tokens_and_segments():
    assert get_tokens_and_segments(["a", "b"], ["c"]) == (["<cls>", "a", "b", "<sep>", "c", "<sep>"],
                                                          [0, 0, 0, 0, 1, 1])
    assert get_tokens_and_segments(["a"]) == (["<cls>", "a", "<sep>"], [0, 0, 0])


def test_replace_mlm_tokens_80_10_10_and_untouched_positions():
    vocab, rng = _vocab(), random.Random(0)
    tokens = ["<cls>"] + WORDS[:30] + ["<sep>"]
    original = list(tokens)
    counts = collections.Counter()
    for _ in range(2000):
        candidates = list(range(1, 31))
        out, preds = _replace_mlm_tokens(tokens, candidates, 5, vocab, rng)
        assert tokens == original                                   # the input is not modified
        assert len(preds) == 5 and len({p for p, _ in preds}) == 5
        chosen = {p for p, _ in preds}
        assert all(out[i] == tokens[i] for i in range(len(tokens)) if i not in chosen)
        assert all(label == tokens[p] and 1 <= p <= 30 for p, label in preds)
        for p, _ in preds:
            counts["mask" if out[p] == "<mask>" else "same" if out[p] == tokens[p] else "random"] += 1
    total = sum(counts.values())                                    # 10,000 predictions
    assert abs(counts["mask"] / total - 0.8) < 0.02
    # a random token equals the original with probability 1/len(vocab); both shares are ~10%
    assert abs(counts["same"] / total - 0.1) < 0.015
    assert abs(counts["random"] / total - 0.1) < 0.015


def test_replace_mlm_tokens_stops_at_the_candidates():
    out, preds = _replace_mlm_tokens(["<cls>", "w1", "<sep>"], [1], 3, _vocab(), random.Random(0))
    assert [p for p, _ in preds] == [1] and preds[0][1] == "w1"


def test_mlm_data_skips_special_tokens_and_sorts_positions():
    vocab, rng = _vocab(), random.Random(1)
    tokens, _ = get_tokens_and_segments(WORDS[:10], WORDS[10:20])     # 23 tokens -> round(3.45) = 3 predictions
    for _ in range(50):
        ids, positions, labels = _get_mlm_data_from_tokens(tokens, vocab, rng)
        assert len(ids) == len(tokens) and len(positions) == 3
        assert positions == sorted(positions)
        assert all(tokens[p] not in ("<cls>", "<sep>") for p in positions)
        assert labels == vocab[[tokens[p] for p in positions]]
    # at least one prediction even for a one-word pair
    assert len(_get_mlm_data_from_tokens(["<cls>", "w1", "<sep>"], vocab, rng)[1]) == 1


def test_next_sentence_labels_are_balanced_and_true():
    paragraphs, rng = _paragraphs(200), random.Random(0)
    labels = []
    for para in paragraphs:
        for tokens, segments, is_next in _get_nsp_data_from_paragraph(para, paragraphs, 64, rng):
            sep = tokens.index("<sep>")
            a, b = tokens[1:sep], tokens[sep + 1:-1]
            i = para.index(a)
            assert (para[i + 1] == b) == is_next                  # is_next <=> B really follows A
            assert segments == [0] * (sep + 1) + [1] * (len(b) + 1)
            labels.append(is_next)
    assert len(labels) == sum(len(p) - 1 for p in paragraphs)
    assert abs(np.mean(labels) - 0.5) < 0.05                      # ~690 pairs: 3.8 standard deviations
    sentence, nxt, is_next = _get_next_sentence(["a"], ["b"], [[["c"]]], random.Random(3))
    assert sentence == ["a"] and (nxt == ["b"]) == is_next


def test_nsp_skips_pairs_longer_than_max_len():
    para = [["w1"] * 5, ["w2"] * 5, ["w3"]]
    examples = _get_nsp_data_from_paragraph(para, [para], 12, random.Random(0))
    assert all(len(tokens) <= 12 for tokens, _, _ in examples)
    assert len(_get_nsp_data_from_paragraph(para, [para], 9, random.Random(0))) <= 1


def test_pad_bert_inputs_hand_example():
    vocab = _vocab()
    examples = [([3, 7, 8, 4, 9, 4], [2], [vocab["w5"]], [0, 0, 0, 0, 1, 1], True),
                ([3, 7, 4], [1], [vocab["w1"]], [0, 0, 0], False)]
    tokens, segments, valid_lens, positions, weights, labels, nsp = _pad_bert_inputs(examples, 10, vocab)
    pad = vocab["<pad>"]
    assert tokens.shape == segments.shape == (2, 10) and positions.shape == weights.shape == labels.shape == (2, 2)
    np.testing.assert_array_equal(tokens[0], [3, 7, 8, 4, 9, 4] + [pad] * 4)
    np.testing.assert_array_equal(tokens[1], [3, 7, 4] + [pad] * 7)
    np.testing.assert_array_equal(segments[0], [0, 0, 0, 0, 1, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(valid_lens, [6, 3])
    np.testing.assert_array_equal(positions, [[2, 0], [1, 0]])
    np.testing.assert_array_equal(weights, [[1, 0], [1, 0]])
    np.testing.assert_array_equal(labels, [[vocab["w5"], 0], [vocab["w1"], 0]])
    np.testing.assert_array_equal(nsp, [1, 0])
    assert valid_lens.dtype == np.float32 and tokens.dtype == np.int64
    with pytest.raises(ValueError, match="max_len=4"):
        _pad_bert_inputs(examples, 4, vocab)


def test_pretrain_dataset_items_and_resampling():
    ds = BERTPretrainDataset(_paragraphs(), max_len=16, vocab=_vocab(), seed=0)
    item = ds[0]
    assert len(item) == 7 and tuple(item[0].shape) == (16,) and tuple(item[3].shape) == (2,)   # round(2.4) = 2
    assert item[0].dtype == ember.int64 and item[2].dtype == ember.float32
    tokens = ds.arrays[0]
    n_mask = (tokens == ds.vocab["<mask>"]).sum()
    ds.resample(1)
    assert (ds.arrays[0] == ds.vocab["<mask>"]).sum() > 0 and not np.array_equal(ds.arrays[0][:len(tokens)],
                                                                                   tokens[:len(ds.arrays[0])])
    assert n_mask > 0
    word_level = BERTPretrainDataset(_paragraphs(), max_len=16, min_freq=1)      # d2l's own Vocab
    assert "<mask>" in word_level.vocab and "s0" in word_level.vocab


def test_continuation_or_reply_pairs():
    speeches = [["a1", "a2", "a3"], ["b1"], ["c1", "c2"], ["d1"]]
    pairs = continuation_or_reply_pairs(speeches, seed=0)
    continuations = {("a1", "a2"), ("a2", "a3"), ("c1", "c2")}
    replies = {("a3", "b1"), ("b1", "c1"), ("c2", "d1")}
    assert len(pairs) == 6 and sum(label for _, _, label in pairs) == 3     # balanced: chance is 50%
    for a, b, label in pairs:
        assert (a, b) in (continuations if label == 1 else replies)


def test_truncate_pair_and_sentence_pair_dataset():
    a, b = _truncate_pair_of_tokens(list("abcdef"), list("xy"), 8)
    assert a == list("abc") and b == list("xy")
    vocab = Vocab([list("abcdefxy")], reserved_tokens=RESERVED)
    ds = SentencePairDataset([("abcdef", "xy", 1), ("a", "b", 0)], list, vocab, 8)
    (tokens, segments, valid_len), label = ds[0]
    assert label == 1 and float(valid_len) == 8
    assert vocab.to_tokens(tokens.tolist()) == ["<cls>", "a", "b", "c", "<sep>", "x", "y", "<sep>"]
    np.testing.assert_array_equal(segments.numpy(), [0, 0, 0, 0, 0, 1, 1, 1])
    (tokens, _, valid_len), label = ds[1]
    assert label == 0 and float(valid_len) == 5 and tokens.tolist()[5:] == [vocab["<pad>"]] * 3


def test_mlm_and_nsp_accuracy_metrics():
    mlm_hat = ember.tensor([[[0.0, 1.0], [2.0, 0.0]], [[0.0, 3.0], [1.0, 0.0]]])   # argmax [[1, 0], [1, 0]]
    mlm_y = ember.tensor([[1, 1], [0, 0]])
    weights = ember.tensor([[1.0, 1.0], [1.0, 0.0]])
    nsp_hat, nsp_y = ember.tensor([[0.0, 1.0], [1.0, 0.0]]), ember.tensor([1, 1])
    mlm, nsp = MLMAccuracy(), NSPAccuracy()
    mlm.update((mlm_hat, nsp_hat), (mlm_y, weights, nsp_y))
    nsp.update((mlm_hat, nsp_hat), (mlm_y, weights, nsp_y))
    assert mlm.compute() == pytest.approx(1 / 3)      # right at (0,0); wrong at (0,1) and (1,0); (1,1) padding
    assert nsp.compute() == pytest.approx(0.5)


def test_recipe_few_steps(tmp_path):
    from ember.recipes import get_recipe
    recipe = get_recipe("bert-mini")
    args = argparse.Namespace(model="bert-mini", dataset="shakespeare", epochs=2, batch_size=32, lr=2e-3,
                              optimizer="adam", device="cpu", out=str(tmp_path / "run"), resume=None, seed=0,
                              no_progress=True, max_minutes=2.0, corpus_chars=20000, vocab_size=200,
                              num_hiddens=16, ffn_num_hiddens=32, num_heads=2, num_blks=1, max_len=40,
                              finetune_epochs=1)
    metrics = recipe.train(args)
    for name in ("checkpoint.safetensors", "curves.png", "metrics.json"):
        assert (tmp_path / "run" / name).stat().st_size > 0
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    for key in ("mlm_accuracy", "nsp_accuracy", "finetune_accuracy", "scratch_accuracy", "finetune_chance"):
        assert 0.0 <= saved[key] <= 1.0
    pre = saved["history"]["pretrain"]
    assert len(pre["loss"]) == 2 and all(np.isfinite(pre["val_loss"]))
    assert metrics["scratch_steps"] == metrics["finetune_steps"] > 0     # a fair comparison: the same steps
    ckpt = ember.load(str(tmp_path / "run" / "checkpoint.safetensors"))
    assert ckpt["recipe"] == "bert-mini" and ckpt["vocab"][:5] == ["<unk>"] + RESERVED
    key = "encoder.blks.layers.0.linear1.weight"          # fine-tuning trained a copy of the pre-trained encoder
    assert not np.array_equal(ckpt["bert"][key].numpy(), ckpt["model"][key].numpy())
    again = recipe.evaluate(ckpt, argparse.Namespace(batch_size=None))
    assert again["finetune_accuracy"] == pytest.approx(metrics["finetune_accuracy"])
    assert again["mlm_accuracy"] == pytest.approx(metrics["mlm_accuracy"])   # the stored BERT is the pre-trained one
    assert again["nsp_accuracy"] == pytest.approx(metrics["nsp_accuracy"])


def test_cli_rejects_resume_and_unknown_dataset(tmp_path, capsys):
    from ember.cli import main
    assert main(["train", "bert-mini", "--resume", "x.safetensors", "--out", str(tmp_path)]) == 2
    assert "--resume is not supported" in capsys.readouterr().err
    assert main(["train", "bert-mini", "--dataset", "mnist5k", "--out", str(tmp_path)]) == 2
    assert "valid datasets: shakespeare" in capsys.readouterr().err
