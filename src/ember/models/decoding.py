"""Decoding for sequence models: greedy and beam search for encoder–decoders, sampling for language models.

The encoder–decoder contract (``EncoderDecoder`` in ``seq2seq.py``, ``TransformerMT`` follow it)::

    state = model.encode(src, src_valid_len)              # src (B, S) token indices, src_valid_len (B,) or None
    logits, state = model.decode_step(tokens, state)      # tokens (B, 1) -> logits (B, 1, V) and the next state

``decode_step`` must return a new state rather than change the one it was given: beam search keeps one state per
hypothesis and expands each of them several times.

    out = greedy_decode(model, src, src_valid_len, bos, eos, max_len)        # list of B token lists (no bos/eos)
    best = beam_search(model, src, src_valid_len, bos, eos, max_len, beam_size=4)
    ids = sample(lm, prompt_ids, length, temperature=0.8, top_k=10)        # prompt + ``length`` new tokens

A language model for ``sample`` is either recurrent (it has ``begin_state``; ``lm(ids (1, T), state) ->
(logits (1, T, V), state)``: the prompt is read once, then one token per step) or stateless (``lm(ids (1, T)) ->
logits (1, T, V)``: the whole context, cropped to ``lm.max_len`` when it has one, is read at every step).
"""
from __future__ import annotations

import ember

__all__ = ["greedy_decode", "beam_search", "sample", "next_token_logits"]


def _as_batch(src, src_valid_len, fn):
    if not isinstance(src, ember.Tensor):
        src = ember.tensor(src, dtype=ember.int64)
    if src.dim() == 1:
        src = src[None]
    if src.dim() != 2:
        raise ValueError(f"{fn}(): src must be (batch, steps) token indices, got shape {tuple(src.shape)}")
    if src_valid_len is not None and not isinstance(src_valid_len, ember.Tensor):
        src_valid_len = ember.tensor(src_valid_len, dtype=ember.int64).reshape(-1)
    if src_valid_len is not None and src_valid_len.shape[0] != src.shape[0]:
        raise ValueError(f"{fn}(): src_valid_len has {src_valid_len.shape[0]} entries for a batch of "
                         f"{src.shape[0]} sequences")
    return src, src_valid_len


def _check_len(max_len, fn):
    if not isinstance(max_len, int) or max_len < 1:
        raise ValueError(f"{fn}(): max_len must be a positive int, got {max_len!r}")


def _attention(model):
    """The attention weights the model's last decode_step left (B, 1, S), if it keeps them."""
    weights = getattr(model, "attention_weights", None)
    if weights is None and hasattr(model, "decoder"):
        weights = getattr(model.decoder, "attention_weights", None)
    if isinstance(weights, (list, tuple)):
        weights = weights[-1] if weights else None
    return weights


@ember.no_grad()
def greedy_decode(model, src, src_valid_len, bos, eos, max_len, return_attention=False):
    """Translate a batch by taking the most likely token at every step (d2l's ``predict_seq2seq``).

    ``src`` is (B, S) (or (S,)) token indices, ``src_valid_len`` (B,) or None. Returns a list of B token lists
    without ``bos`` and ``eos``, each stopping at its first ``eos`` or after ``max_len`` tokens. With
    ``return_attention=True`` also returns, per sentence, a list of the attention weights (one (S,) row per output
    token, eos included) when the model keeps ``attention_weights`` (``Seq2SeqAttentionDecoder`` does)."""
    _check_len(max_len, "greedy_decode")
    src, src_valid_len = _as_batch(src, src_valid_len, "greedy_decode")
    was_training = model.training
    model.eval()
    try:
        B = src.shape[0]
        state = model.encode(src, src_valid_len)
        tokens = ember.full((B, 1), bos, dtype=ember.int64, device=src.device)
        outputs = [[] for _ in range(B)]
        attention = [[] for _ in range(B)]
        done = [False] * B
        for _ in range(max_len):
            logits, state = model.decode_step(tokens, state)
            tokens = logits.argmax(dim=-1)                      # (B, 1)
            step = tokens.reshape(-1).tolist()
            weights = _attention(model) if return_attention else None
            for b, token in enumerate(step):
                if done[b]:
                    continue
                if weights is not None:
                    attention[b].append(weights[b].reshape(-1).numpy().copy())
                if token == eos:
                    done[b] = True
                else:
                    outputs[b].append(token)
            if all(done):
                break
    finally:
        model.train(was_training)
    return (outputs, attention) if return_attention else outputs


@ember.no_grad()
def beam_search(model, src, src_valid_len, bos, eos, max_len, beam_size=4, alpha=0.75, return_all=False):
    """Beam search (d2l 10.8) for one source sentence: keep the ``beam_size`` most likely prefixes at each step.

    ``src`` is one sentence, (S,) or (1, S). A hypothesis ends at ``eos`` or after ``max_len`` tokens; the
    answer is the hypothesis with the highest length-normalised score ``log P(y) / L**alpha`` (``L`` counts the
    generated tokens, eos included). Returns its token list (no bos/eos), or with ``return_all=True`` every
    finished hypothesis as ``(tokens, score)`` sorted best first. ``beam_size=1`` is greedy decoding."""
    _check_len(max_len, "beam_search")
    if not isinstance(beam_size, int) or beam_size < 1:
        raise ValueError(f"beam_search(): beam_size must be a positive int, got {beam_size!r}")
    src, src_valid_len = _as_batch(src, src_valid_len, "beam_search")
    if src.shape[0] != 1:
        raise ValueError(f"beam_search(): decodes one sentence at a time, got a batch of {src.shape[0]}")
    was_training = model.training
    model.eval()
    try:
        # A hypothesis: (log-probability, generated tokens, state that decode_step continues from).
        alive = [(0.0, [], model.encode(src, src_valid_len))]
        finished = []
        for _ in range(max_len):
            candidates = []
            for logp, tokens, state in alive:
                last = ember.full((1, 1), tokens[-1] if tokens else bos, dtype=ember.int64, device=src.device)
                logits, new_state = model.decode_step(last, state)
                logprobs = ember.log_softmax(logits.reshape(-1).double(), dim=0)
                top = ember.topk(logprobs, min(beam_size, logprobs.shape[0]))
                for lp, token in zip(top.values.tolist(), top.indices.tolist()):
                    candidates.append((logp + lp, tokens + [token], new_state))
            # Stable sort: among equal scores the earlier (higher-ranked) candidate wins, as argmax would.
            candidates.sort(key=lambda c: -c[0])
            alive = []
            for logp, tokens, state in candidates[:beam_size]:
                (finished if tokens[-1] == eos else alive).append((logp, tokens, state))
            if not alive:
                break
        finished.extend(alive)       # hypotheses still open after max_len steps compete as they are
        scored = [(tokens[:-1] if tokens[-1] == eos else tokens, logp / len(tokens) ** alpha)
                  for logp, tokens, _ in finished]
        scored.sort(key=lambda h: -h[1])
    finally:
        model.train(was_training)
    return scored if return_all else scored[0][0]


def next_token_logits(logits, temperature=1.0, top_k=None):
    """The logits (B, V) that ``sample`` draws from: divided by ``temperature``, everything below the ``top_k``-th
    largest set to -inf."""
    if temperature <= 0:
        raise ValueError(f"sample(): temperature must be positive (use greedy decoding for 0), got {temperature}")
    logits = logits / temperature
    if top_k is not None:
        if not isinstance(top_k, int) or top_k < 1:
            raise ValueError(f"sample(): top_k must be a positive int, got {top_k!r}")
        kth = ember.topk(logits, min(top_k, logits.shape[-1]), dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return logits


@ember.no_grad()
def sample(lm, prompt_ids, length, temperature=1.0, top_k=None, greedy=False, generator=None):
    """Continue ``prompt_ids`` (a non-empty list of ints) by ``length`` tokens and return prompt + continuation.

    Each token is drawn from softmax(logits / temperature) restricted to the ``top_k`` most likely tokens;
    ``greedy=True`` takes the most likely token (so does ``top_k=1``, through the sampler). Randomness comes from
    ``generator`` or ember's global RNG (``ember.manual_seed`` makes it reproducible). See the module docstring for what ``lm`` must be."""
    ids = [int(i) for i in prompt_ids]
    if not ids:
        raise ValueError("sample(): prompt_ids needs at least one token (e.g. a newline or <bos>)")
    if not isinstance(length, int) or length < 0:
        raise ValueError(f"sample(): length must be a non-negative int, got {length!r}")
    if not greedy:
        next_token_logits(ember.zeros(1, 1), temperature, top_k)      # validate the arguments up front
    params = list(lm.parameters())
    device = params[0].device if params else None
    recurrent = hasattr(lm, "begin_state")
    max_len = getattr(lm, "max_len", None)
    was_training = lm.training
    lm.eval()
    try:
        state = lm.begin_state(batch_size=1, device=device) if recurrent else None
        feed = ids
        for _ in range(length):
            x = ember.tensor([feed], dtype=ember.int64, device=device)
            if recurrent:
                logits, state = lm(x, state)
            else:
                out = lm(x[:, -max_len:] if max_len else x)
                logits = out[0] if isinstance(out, tuple) else out
            logits = logits[:, -1, :].double()
            if greedy:
                token = int(logits.argmax(dim=-1).item())
            else:
                probs = ember.softmax(next_token_logits(logits, temperature, top_k), dim=-1)
                token = int(ember.multinomial(probs, 1, generator=generator).item())
            ids.append(token)
            feed = [token] if recurrent else ids
    finally:
        lm.train(was_training)
    return ids
