"""Text metrics: BLEU (d2l's and the standard corpus BLEU) and perplexity.

    bleu("il est riche .", "il est calme .", k=2)                     # 0.658 (d2l's per-sentence score)
    corpus_bleu(["the cat sat on the mat"], [["the cat is on the mat"]])   # Papineni et al., in [0, 1]
    perplexity(mean_nll)                                              # exp of the mean negative log-likelihood
"""
from __future__ import annotations

import collections
import math

__all__ = ["bleu", "corpus_bleu", "perplexity"]


def _tokens(seq, name):
    if isinstance(seq, str):
        return seq.split(" ") if seq else []
    if isinstance(seq, (list, tuple)):
        return list(seq)
    raise TypeError(f"{name} must be a str (tokens separated by spaces) or a list of tokens, "
                    f"got {type(seq).__name__}")


def bleu(pred_seq, label_seq, k: int) -> float:
    """d2l's BLEU of one prediction against one label (strings split on spaces, or token lists)::

        exp(min(0, 1 - len_label / len_pred)) * prod_{n=1..k} p_n ** (1 / 2**n)

    where ``p_n`` is the clipped n-gram precision. A prediction with fewer than ``n`` tokens has no n-grams:
    its ``p_n`` is 0 (d2l's formula would divide by zero), and so is the score of an empty prediction."""
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"bleu(): k must be a positive int, got {k!r}")
    pred_tokens, label_tokens = _tokens(pred_seq, "bleu(): pred_seq"), _tokens(label_seq, "bleu(): label_seq")
    len_pred, len_label = len(pred_tokens), len(label_tokens)
    if len_pred == 0:
        return 0.0
    score = math.exp(min(0, 1 - len_label / len_pred))
    for n in range(1, k + 1):
        if len_pred - n + 1 <= 0:
            return 0.0
        num_matches, label_subs = 0, collections.defaultdict(int)
        for i in range(len_label - n + 1):
            label_subs[" ".join(label_tokens[i: i + n])] += 1
        for i in range(len_pred - n + 1):
            if label_subs[" ".join(pred_tokens[i: i + n])] > 0:
                num_matches += 1
                label_subs[" ".join(pred_tokens[i: i + n])] -= 1
        score *= math.pow(num_matches / (len_pred - n + 1), math.pow(0.5, n))
    return score


def _ngrams(tokens, n):
    return collections.Counter(tuple(tokens[i: i + n]) for i in range(len(tokens) - n + 1))


def _references(refs, hyp_is_str, i):
    """One hypothesis' references as token lists. References take the hypotheses' form: for string
    hypotheses a string or a list of strings; for token-list hypotheses a token list or a list of them."""
    if isinstance(refs, str):
        return [refs.split()]
    if not isinstance(refs, (list, tuple)) or not refs:
        raise ValueError(f"corpus_bleu(): references[{i}] must be a reference or a non-empty list of them, "
                         f"got {refs!r}")
    if all(isinstance(r, str) for r in refs):
        return [r.split() for r in refs] if hyp_is_str else [list(refs)]
    return [r.split() if isinstance(r, str) else list(r) for r in refs]


def corpus_bleu(hypotheses, references, max_n: int = 4, smooth: bool = False) -> float:
    """Standard corpus BLEU (Papineni et al. 2002), in [0, 1]::

        BP * exp(sum_{n=1..max_n} log(p_n) / max_n),   BP = 1 if c > r else exp(1 - r / c)

    ``p_n`` is the corpus n-gram precision: n-gram matches of every hypothesis, each clipped by its largest
    count in any one reference, over the hypotheses' n-gram total; ``c`` is the total hypothesis length and
    ``r`` the sum of the reference lengths closest to each hypothesis' length (the shorter on a tie).

    ``hypotheses``: strings (split on whitespace) or token lists; ``references[i]``: the references of
    hypothesis ``i`` in the same form (one, or a list of several). Without smoothing any ``p_n = 0`` gives
    0; ``smooth=True`` adds one to the numerator and denominator of ``p_n`` for ``n > 1`` (Lin and Och
    2004, as torchmetrics' ``smooth=True``)."""
    if not isinstance(max_n, int) or max_n < 1:
        raise ValueError(f"corpus_bleu(): max_n must be a positive int, got {max_n!r}")
    if isinstance(hypotheses, str) or isinstance(references, str):
        raise TypeError("corpus_bleu(): hypotheses and references must be lists (one entry per sentence)")
    if len(hypotheses) != len(references):
        raise ValueError(f"corpus_bleu(): {len(hypotheses)} hypotheses but {len(references)} reference sets")
    matches, totals = [0] * max_n, [0] * max_n
    hyp_len = ref_len = 0
    for i, (hyp, refs) in enumerate(zip(hypotheses, references)):
        hyp_is_str = isinstance(hyp, str)
        hyp = hyp.split() if hyp_is_str else _tokens(hyp, f"corpus_bleu(): hypotheses[{i}]")
        refs = _references(refs, hyp_is_str, i)
        hyp_len += len(hyp)
        ref_len += min((len(r) for r in refs), key=lambda L: (abs(L - len(hyp)), L))
        for n in range(1, max_n + 1):
            hyp_counts = _ngrams(hyp, n)
            max_ref = collections.Counter()
            for r in refs:
                max_ref |= _ngrams(r, n)                 # elementwise max of the counts
            matches[n - 1] += sum(min(c, max_ref[g]) for g, c in hyp_counts.items())
            totals[n - 1] += max(0, len(hyp) - n + 1)
    if hyp_len == 0:
        return 0.0
    log_p = 0.0
    for n in range(max_n):
        num, den = matches[n], totals[n]
        if smooth and n > 0:
            num, den = num + 1, den + 1
        if num == 0 or den == 0:
            return 0.0
        log_p += math.log(num / den) / max_n
    bp = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    return bp * math.exp(log_p)


def perplexity(mean_nll) -> float:
    """``exp(mean_nll)``: the perplexity of a mean per-token negative log-likelihood (a float or a 0-d
    Tensor, in nats)."""
    value = float(mean_nll.item() if hasattr(mean_nll, "item") else mean_nll)
    if math.isnan(value):
        raise ValueError("perplexity(): mean_nll is NaN")
    return math.exp(value) if value < 709.0 else math.inf
