"""Minibatches for language models: d2l's random and sequential partitioning of a token-index corpus.

    for X, Y in seq_data_iter_sequential(corpus, batch_size=32, num_steps=35):   # X, Y: int64 (32, 35)
        ...                                   # Y is X shifted by one token: the next-token targets
    train_iter, val_iter, vocab = load_data_lm(32, 35)        # Shakespeare, characters (SeqDataLoader's)

Randomness (the start offset, the shuffle of random partitioning) comes from ember's global RNG, so
``ember.manual_seed`` makes the batches reproducible.
"""
from __future__ import annotations

import numpy as np

import ember

from .tokenizers import WordTokenizer, preprocess_time_machine
from .vocab import Vocab

__all__ = ["seq_data_iter_random", "seq_data_iter_sequential", "SeqDataLoader", "load_data_lm",
           "load_corpus"]


def _as_array(corpus) -> np.ndarray:
    if isinstance(corpus, ember.Tensor):
        corpus = corpus.numpy()
    arr = np.asarray(corpus)
    if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"expected a 1-D sequence of token indices, got shape {arr.shape} and dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _check(name, batch_size, num_steps):
    for arg, value in (("batch_size", batch_size), ("num_steps", num_steps)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name}(): {arg} must be a positive int, got {value!r}")


def _randint(high: int) -> int:
    """A uniform int in [0, high] from ember's global RNG."""
    return int(ember.randint(0, high + 1, ()).item())


def seq_data_iter_random(corpus, batch_size: int, num_steps: int):
    """d2l's random sampling: cut the corpus (after a random offset in [0, num_steps - 1]) into
    non-overlapping subsequences of ``num_steps`` tokens, shuffle them, and yield ``(X, Y)`` batches of
    ``batch_size`` of them; ``Y`` is ``X`` shifted by one token. Neighbouring batches are not adjacent text,
    so the hidden state must be reset between them."""
    _check("seq_data_iter_random", batch_size, num_steps)
    corpus = _as_array(corpus)
    corpus = corpus[_randint(num_steps - 1):]
    num_subseqs = max(0, (len(corpus) - 1) // num_steps)
    initial_indices = np.arange(0, num_subseqs * num_steps, num_steps)[ember.randperm(num_subseqs).numpy()]
    num_batches = num_subseqs // batch_size
    for i in range(0, batch_size * num_batches, batch_size):
        starts = initial_indices[i: i + batch_size, None] + np.arange(num_steps)
        yield ember.from_numpy(corpus[starts]), ember.from_numpy(corpus[starts + 1])


def seq_data_iter_sequential(corpus, batch_size: int, num_steps: int, offset: int | None = None):
    """d2l's sequential partitioning: after an offset (random in [0, num_steps] unless given), the corpus is
    laid out as ``batch_size`` parallel rows and read left to right ``num_steps`` at a time, so row ``i`` of
    one batch continues row ``i`` of the previous one (the hidden state can be carried over, detached)."""
    _check("seq_data_iter_sequential", batch_size, num_steps)
    corpus = _as_array(corpus)
    if offset is None:
        offset = _randint(num_steps)
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    if num_tokens <= 0:
        return
    Xs = corpus[offset: offset + num_tokens].reshape(batch_size, -1)
    Ys = corpus[offset + 1: offset + 1 + num_tokens].reshape(batch_size, -1)
    num_batches = Xs.shape[1] // num_steps
    for i in range(0, num_steps * num_batches, num_steps):
        yield (ember.from_numpy(np.ascontiguousarray(Xs[:, i: i + num_steps])),
               ember.from_numpy(np.ascontiguousarray(Ys[:, i: i + num_steps])))


class SeqDataLoader:
    """An iterable of ``(X, Y)`` language-model batches over ``corpus`` (token indices), a new partition on
    each pass: random sampling when ``use_random_iter``, else sequential. ``offset`` fixes the sequential
    start (e.g. 0 for a deterministic validation pass). ``vocab`` is carried along for convenience."""

    def __init__(self, corpus, batch_size: int, num_steps: int, use_random_iter: bool = False, vocab=None,
                 offset: int | None = None):
        _check("SeqDataLoader", batch_size, num_steps)
        self.corpus = _as_array(corpus)
        self.batch_size, self.num_steps = batch_size, num_steps
        self.use_random_iter = use_random_iter
        self.vocab = vocab
        self.offset = offset

    def __iter__(self):
        if self.use_random_iter:
            return seq_data_iter_random(self.corpus, self.batch_size, self.num_steps)
        return seq_data_iter_sequential(self.corpus, self.batch_size, self.num_steps, self.offset)

    def __len__(self) -> int:
        """Batches per pass. With a random offset the last batch may be missing: this is the count for the
        smallest offset, so a pass yields ``len`` or ``len - 1`` batches."""
        n, b, t = len(self.corpus), self.batch_size, self.num_steps
        if self.use_random_iter:
            return max(0, (n - 1) // t // b)
        offset = 0 if self.offset is None else self.offset
        return max(0, ((n - offset - 1) // b) // t)

    @property
    def num_tokens(self) -> int:
        return len(self.corpus)


def load_corpus(dataset: str = "shakespeare", token: str = "char", train: bool = True, root=None,
                download: bool = False) -> list[str]:
    """The token list of a language-model corpus split.

    * ``"shakespeare"`` (embedded): the text as is; ``token="char"`` keeps every character, newlines included;
      ``"word"`` uses ``WordTokenizer`` (punctuation marks are tokens, case kept).
    * ``"timemachine"`` and ``"wikitext2"`` (downloaded by ``ember.datasets``): the time machine is cleaned as
      d2l does (letters only, lower case, lines concatenated); its first 90% is the training part.
      WikiText-2 uses its own train/valid splits and whitespace words (``<unk>`` is already in the text).
    """
    dataset = dataset.lower()
    if dataset == "shakespeare":
        from ember.datasets.corpora import Shakespeare
        text = Shakespeare(root=root, train=train).text
        return list(text) if token == "char" else WordTokenizer()(text)
    if dataset in ("timemachine", "time-machine"):
        from ember.datasets import get_dataset
        lines = preprocess_time_machine(get_dataset("timemachine", root=root, download=download).text)
        tokens = [t for line in lines for t in (list(line) if token == "char" else line.split())]
        cut = int(len(tokens) * 0.9)
        return tokens[:cut] if train else tokens[cut:]
    if dataset in ("wikitext2", "wikitext-2"):
        from ember.datasets import get_dataset
        split = "train" if train else "valid"
        text = get_dataset("wikitext2", root=root, split=split, download=download).text
        return list(text) if token == "char" else text.split()
    raise ValueError(f"load_corpus(): unknown dataset {dataset!r}; valid datasets: shakespeare, timemachine, "
                     "wikitext2")


def load_data_lm(batch_size: int, num_steps: int, dataset: str = "shakespeare", token: str = "char",
                 use_random_iter: bool = False, max_tokens: int = -1, root=None, download: bool = False):
    """d2l's ``load_data_time_machine`` for any corpus: ``(train_iter, val_iter, vocab)``.

    The vocabulary is built from the training split (``Vocab(tokens)``: ``<unk>`` at 0, then by frequency);
    ``max_tokens > 0`` keeps only the first ``max_tokens`` training tokens (and at most as many validation
    tokens). ``train_iter`` partitions randomly or sequentially (``use_random_iter``); ``val_iter`` is
    sequential from offset 0, so validation is deterministic."""
    if token not in ("char", "word"):
        raise ValueError(f"load_data_lm(): token must be 'char' or 'word', got {token!r}")
    train_tokens = load_corpus(dataset, token, train=True, root=root, download=download)
    val_tokens = load_corpus(dataset, token, train=False, root=root, download=download)
    if max_tokens > 0:
        train_tokens, val_tokens = train_tokens[:max_tokens], val_tokens[:max_tokens]
    vocab = Vocab(train_tokens)
    train_iter = SeqDataLoader(vocab[train_tokens], batch_size, num_steps, use_random_iter, vocab)
    val_iter = SeqDataLoader(vocab[val_tokens], batch_size, num_steps, False, vocab, offset=0)
    return train_iter, val_iter, vocab
