"""BLEU (d2l's per-sentence score and the standard corpus BLEU) and perplexity, against hand-computed values."""
import math

import pytest

import ember
from ember.text import bleu, corpus_bleu, perplexity


# ------------------------------------------------------------------------------------------------ d2l's bleu
@pytest.mark.parametrize("pred,label,expected", [
    # the d2l book's seq2seq results (section 10.7): go ., i lost ., he's calm ., i'm home .
    ("va !", "va !", 1.0),
    ("j'ai perdu .", "j'ai perdu .", 1.0),
    ("il est riche .", "il est calme .", math.sqrt(3 / 4) * (1 / 3) ** 0.25),     # printed as 0.658
    ("je suis chez moi .", "je suis chez moi .", 1.0),
])
def test_bleu_d2l_book_examples(pred, label, expected):
    assert bleu(pred, label, k=2) == pytest.approx(expected, rel=1e-12)


def test_bleu_d2l_printed_value():
    assert round(bleu("il est riche .", "il est calme .", k=2), 3) == 0.658


def test_bleu_brevity_penalty_and_clipping():
    # pred 2 tokens, label 4: penalty exp(1 - 4/2); p1 = 2/2, p2 = 1/1
    assert bleu("a b", "a b c d", k=2) == pytest.approx(math.exp(-1))
    # repeated tokens are clipped by the label counts: "a a a" vs "a b": p1 = 1/3; no penalty (pred longer)
    assert bleu("a a a", "a b", k=1) == pytest.approx((1 / 3) ** 0.5)
    # p3 weights 1/8: "a b c d" vs "a b c e": p1 = 3/4, p2 = 2/3, p3 = 1/2
    assert bleu("a b c d", "a b c e", k=3) == pytest.approx(0.75 ** 0.5 * (2 / 3) ** 0.25 * 0.5 ** 0.125)
    assert bleu(["a", "b"], ["a", "b"], k=2) == 1.0                   # token lists work too


def test_bleu_degenerate_predictions_score_zero():
    assert bleu("", "a b", k=2) == 0.0
    assert bleu("a", "a b", k=2) == 0.0                               # no bigram to match
    assert bleu("x y", "a b", k=1) == 0.0
    with pytest.raises(ValueError, match="k must be a positive int"):
        bleu("a", "a", k=0)
    with pytest.raises(TypeError, match="pred_seq must be a str"):
        bleu(3, "a", k=1)


# ------------------------------------------------------------------------------------------- corpus BLEU
def test_corpus_bleu_papineni_clipping_example():
    # Papineni et al. 2002, section 2.1: the unigram precision of "the the the ..." is 2/7
    hyp = "the the the the the the the"
    refs = ["the cat is on the mat", "there is a cat on the mat"]
    assert corpus_bleu([hyp], [refs], max_n=1) == pytest.approx(2 / 7)


def test_corpus_bleu_four_grams_hand_value():
    # p1 = 4/5, p2 = 3/4, p3 = 2/3, p4 = 1/2; c = r = 5 -> BP = 1
    expected = (0.8 * 0.75 * (2 / 3) * 0.5) ** 0.25
    assert corpus_bleu(["a b c d e"], [["a b c d f"]]) == pytest.approx(expected)
    assert corpus_bleu([["a", "b", "c", "d", "e"]], [[["a", "b", "c", "d", "f"]]]) == pytest.approx(expected)
    assert corpus_bleu([["a", "b", "c", "d", "e"]], [["a", "b", "c", "d", "f"]]) == pytest.approx(expected)
    assert corpus_bleu(["a b c d e"], ["a b c d f"]) == pytest.approx(expected)      # one reference as str
    assert corpus_bleu(["a b c"], [["a b c"]]) == 0.0               # no 4-gram: p4 = 0


def test_corpus_bleu_pools_counts_over_the_corpus():
    # sentence 1: "a b" vs "a b" (2/2 unigrams, 1/1 bigram); sentence 2: "c d e" vs "c x e" (2/3, 0/2)
    # corpus: p1 = 4/5, p2 = 1/3; c = 5, r = 5 -> BP = 1
    score = corpus_bleu(["a b", "c d e"], [["a b"], ["c x e"]], max_n=2)
    assert score == pytest.approx(math.sqrt(0.8 * (1 / 3)))


def test_corpus_bleu_brevity_penalty_closest_reference():
    # c = 3; references of lengths 4 and 6: r = 4 -> BP = exp(1 - 4/3)
    score = corpus_bleu(["a b c"], [["a b c d", "a b c d e f"]], max_n=2)
    assert score == pytest.approx(math.exp(1 - 4 / 3))
    # tie between lengths 2 and 4 for c = 3: the shorter one is used, so c > r and there is no penalty
    assert corpus_bleu(["a b c"], [["a b c d", "a b"]], max_n=2) == pytest.approx(1.0)


def test_corpus_bleu_multiple_references_clip_by_the_max():
    # "a a b": unigram a clipped to max(1, 2) = 2, b 1 -> 3/3; bigrams "a a" (ref2), "a b" (ref1) -> 2/2
    assert corpus_bleu(["a a b"], [["a b c", "a a c"]], max_n=2) == pytest.approx(1.0)


def test_corpus_bleu_smoothing():
    # "a b c" vs "a c b": p1 = 3/3, p2 = 0/2 -> 0; smoothed p2 = 1/3
    assert corpus_bleu(["a b c"], [["a c b"]], max_n=2) == 0.0
    assert corpus_bleu(["a b c"], [["a c b"]], max_n=2, smooth=True) == pytest.approx(math.sqrt(1 / 3))


def test_corpus_bleu_errors():
    with pytest.raises(ValueError, match="1 hypotheses but 2 reference sets"):
        corpus_bleu(["a"], [["a"], ["b"]])
    with pytest.raises(ValueError, match="max_n must be a positive int"):
        corpus_bleu(["a"], [["a"]], max_n=0)
    with pytest.raises(TypeError, match="must be lists"):
        corpus_bleu("a b", ["a b"])
    assert corpus_bleu([""], [["a"]]) == 0.0


# --------------------------------------------------------------------------------------------- perplexity
def test_perplexity():
    assert perplexity(0.0) == 1.0
    assert perplexity(1.0) == pytest.approx(math.e)
    assert perplexity(ember.tensor(math.log(5.5))) == pytest.approx(5.5)
    assert perplexity(1e6) == math.inf
    with pytest.raises(ValueError, match="NaN"):
        perplexity(float("nan"))
