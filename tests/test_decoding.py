"""Greedy decoding, beam search and sampling (ember.models.decoding) on hand-made toy models with known answers
and on the seq2seq / language models."""
import math

import numpy as np
import pytest

import ember
from ember import nn
from ember.models import get_model
from ember.models.decoding import beam_search, greedy_decode, next_token_logits, sample

BOS, EOS, A, B, C = 0, 1, 2, 3, 4


class TableModel(nn.Module):
    """A toy encoder–decoder whose next-token distribution depends only on the prefix generated so far, looked
    up in ``table`` (prefix tuple -> probabilities over 5 tokens). The source is ignored."""

    def __init__(self, table):
        super().__init__()
        self.table = table
        self.calls = 0

    def encode(self, src, src_valid_len=None):
        return [()] * src.shape[0]                        # one prefix per sentence

    def decode_step(self, tokens, state):
        self.calls += 1
        new_state, rows = [], []
        for prefix, token in zip(state, tokens.reshape(-1).tolist()):
            prefix = prefix + (token,) if token != BOS else prefix
            new_state.append(prefix)
            probs = self.table.get(prefix, [0.0, 1.0, 0.0, 0.0, 0.0])      # unknown prefix: end
            rows.append(np.log(np.maximum(probs, 1e-12)))
        return ember.tensor(np.array(rows)[:, None, :]), new_state


# Greedy takes A (0.5) and then can only continue with spread-out tokens; the best sequence is B EOS (0.4 * 0.9).
TABLE = {
    (): [0.0, 0.1, 0.5, 0.4, 0.0],
    (A,): [0.0, 0.3, 0.36, 0.0, 0.34],
    (A, A): [0.0, 1.0, 0.0, 0.0, 0.0],
    (A, C): [0.0, 1.0, 0.0, 0.0, 0.0],
    (B,): [0.0, 0.9, 0.05, 0.05, 0.0],
}


def test_greedy_decode_toy():
    model = TableModel(TABLE)
    out = greedy_decode(model, ember.zeros(1, 3, dtype=ember.int64), None, BOS, EOS, max_len=10)
    # A (0.5), then A (0.36), then EOS: probability 0.18 < 0.36 of B EOS
    assert out == [[A, A]]


def test_beam_search_finds_known_best_sequence():
    model = TableModel(TABLE)
    src = ember.zeros(1, 3, dtype=ember.int64)
    assert beam_search(model, src, None, BOS, EOS, max_len=10, beam_size=2, alpha=0.0) == [B]
    hyps = beam_search(model, src, None, BOS, EOS, max_len=10, beam_size=2, alpha=0.0, return_all=True)
    assert hyps[0][0] == [B]
    assert hyps[0][1] == pytest.approx(math.log(0.4 * 0.9))
    scores = [s for _, s in hyps]
    assert scores == sorted(scores, reverse=True)
    # beam size 1 is greedy
    assert beam_search(model, src, None, BOS, EOS, max_len=10, beam_size=1) == [A, A]


def test_beam_search_length_normalisation():
    # "EOS" now (p=0.3) vs "A A EOS" (0.7 * 0.6 * 1.0 = 0.42): raw log-probabilities prefer the longer one;
    # with alpha=0 the longer wins, and a short-penalising alpha keeps it ahead by more.
    table = {(): [0.0, 0.3, 0.7, 0.0, 0.0], (A,): [0.0, 0.4, 0.6, 0.0, 0.0], (A, A): [0.0, 1.0, 0, 0, 0]}
    model = TableModel(table)
    src = ember.zeros(1, 2, dtype=ember.int64)
    hyps = dict((tuple(t), s) for t, s in beam_search(model, src, None, BOS, EOS, 10, beam_size=3, alpha=0.75,
                                                       return_all=True))
    assert hyps[()] == pytest.approx(math.log(0.3) / 1 ** 0.75)
    assert hyps[(A, A)] == pytest.approx(math.log(0.42) / 3 ** 0.75)
    assert hyps[(A,)] == pytest.approx(math.log(0.28) / 2 ** 0.75)
    assert beam_search(model, src, None, BOS, EOS, 10, beam_size=3) == [A, A]


def test_max_len_stops_unfinished_hypotheses():
    loop = {(): [0.0, 0.0, 1.0, 0.0, 0.0]}
    table = dict(loop)
    table.update({(A,) * n: [0.0, 0.0, 1.0, 0.0, 0.0] for n in range(1, 10)})
    model = TableModel(table)
    src = ember.zeros(1, 1, dtype=ember.int64)
    assert greedy_decode(model, src, None, BOS, EOS, max_len=4) == [[A] * 4]
    assert beam_search(model, src, None, BOS, EOS, max_len=4, beam_size=2) == [A] * 4


@pytest.mark.parametrize("name", ["seq2seq", "seq2seq-attn"])
def test_beam_size_one_equals_greedy_on_seq2seq(name):
    ember.manual_seed(3)
    model = get_model(name, src_vocab_size=12, tgt_vocab_size=9, embed_size=6, num_hiddens=8, num_layers=2)
    src, vl = ember.randint(0, 12, (4, 6)), ember.tensor([6, 4, 3, 1])
    batch = greedy_decode(model, src, vl, BOS, EOS, max_len=8)
    assert len(batch) == 4
    for i in range(4):
        single = greedy_decode(model, src[i:i + 1], vl[i:i + 1], BOS, EOS, max_len=8)[0]
        assert single == batch[i]
        assert beam_search(model, src[i], vl[i:i + 1], BOS, EOS, max_len=8, beam_size=1) == batch[i]
    assert model.training                         # decoding puts the model back in its mode


def test_greedy_decode_returns_attention_rows():
    ember.manual_seed(0)
    model = get_model("seq2seq-attn", src_vocab_size=12, tgt_vocab_size=9, embed_size=6, num_hiddens=8,
                      num_layers=1)
    src, vl = ember.randint(0, 12, (2, 5)), ember.tensor([5, 2])
    out, attention = greedy_decode(model, src, vl, BOS, EOS, max_len=6, return_attention=True)
    for tokens, rows in zip(out, attention):
        assert len(rows) in (len(tokens), len(tokens) + 1)           # one row per output token (+ eos)
        for row in rows:
            assert row.shape == (5,) and row.sum() == pytest.approx(1.0, abs=1e-5)
    assert all(row[2:].max() == 0.0 for row in attention[1])      # past the valid length: no weight


def test_decoding_argument_errors():
    model = TableModel(TABLE)
    src = ember.zeros(1, 3, dtype=ember.int64)
    with pytest.raises(ValueError, match="max_len must be a positive int"):
        greedy_decode(model, src, None, BOS, EOS, max_len=0)
    with pytest.raises(ValueError, match="beam_size must be a positive int"):
        beam_search(model, src, None, BOS, EOS, max_len=3, beam_size=0)
    with pytest.raises(ValueError, match="one sentence at a time"):
        beam_search(model, ember.zeros(2, 3, dtype=ember.int64), None, BOS, EOS, max_len=3)
    with pytest.raises(ValueError, match="src_valid_len has 1 entries for a batch of 2"):
        greedy_decode(model, ember.zeros(2, 3, dtype=ember.int64), [3], BOS, EOS, max_len=3)


# ------------------------------------------------------------------------------------------ sampling
class FixedLM(nn.Module):
    """A stateless LM whose next-token logits are always ``logits`` (it has a parameter, like any model)."""

    def __init__(self, logits):
        super().__init__()
        self.bias = nn.Parameter(ember.tensor(logits))
        self.seen = []

    def forward(self, ids):
        self.seen.append(ids.shape[1])
        return self.bias.expand(ids.shape[0], ids.shape[1], -1)


def test_sample_top_k_one_equals_greedy_on_lstm_lm():
    ember.manual_seed(0)
    lm = get_model("lstm-lm", vocab_size=15, num_hiddens=12, num_layers=2, embed_size=6)
    greedy = sample(lm, [3, 4], 20, greedy=True)
    assert greedy[:2] == [3, 4] and len(greedy) == 22
    assert sample(lm, [3, 4], 20, top_k=1, temperature=0.7) == greedy
    # the recurrent model reads the prompt once, then one token per step: same as re-reading everything
    ids = [3, 4]
    with ember.no_grad():
        for _ in range(20):
            logits, _ = lm(ember.tensor([ids]), None)
            ids.append(int(logits[0, -1].argmax()))
    assert ids == greedy


def test_sample_reproducible_and_respects_top_k():
    lm = FixedLM([0.0, 1.0, 2.0, 3.0, 0.5])
    a = sample(lm, [0], 50, temperature=1.0, generator=ember.Generator().manual_seed(1))
    b = sample(lm, [0], 50, temperature=1.0, generator=ember.Generator().manual_seed(1))
    assert a == b
    assert len(set(a[1:])) > 2                                      # plain sampling visits several tokens
    top2 = sample(lm, [0], 200, top_k=2, generator=ember.Generator().manual_seed(2))
    assert set(top2[1:]) == {2, 3}
    cold = sample(lm, [0], 100, temperature=0.05, generator=ember.Generator().manual_seed(3))
    assert set(cold[1:]) == {3}                                     # low temperature: almost greedy


def test_sample_frequencies_follow_softmax():
    logits = np.array([0.0, 1.0, 2.0])
    lm = FixedLM(logits)
    ember.manual_seed(0)
    ids = sample(lm, [0], 3000, temperature=2.0)[1:]
    freq = np.bincount(ids, minlength=3) / len(ids)
    expected = np.exp(logits / 2.0) / np.exp(logits / 2.0).sum()
    np.testing.assert_allclose(freq, expected, atol=0.03)


def test_sample_crops_context_to_max_len():
    lm = FixedLM([0.0, 5.0])
    lm.max_len = 4
    sample(lm, [0, 0, 0], 5, greedy=True)
    assert lm.seen == [3, 4, 4, 4, 4]


def test_next_token_logits_and_sample_errors():
    out = next_token_logits(ember.tensor([[1.0, 3.0, 2.0]]), temperature=2.0, top_k=2)
    np.testing.assert_allclose(out.numpy(), [[-np.inf, 1.5, 1.0]])
    lm = FixedLM([0.0, 1.0])
    with pytest.raises(ValueError, match="temperature must be positive"):
        sample(lm, [0], 3, temperature=0.0)
    with pytest.raises(ValueError, match="top_k must be a positive int"):
        sample(lm, [0], 3, top_k=0)
    with pytest.raises(ValueError, match="at least one token"):
        sample(lm, [], 3)
