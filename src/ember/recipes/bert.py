"""``ember train bert-mini``: pre-train d2l's BERT-mini on the embedded Shakespeare, then fine-tune it.

    ember train bert-mini                       # ~10 minutes on 2 cores: pre-training, then fine-tuning
    ember train bert-mini --max-minutes 3       # the same in a smaller wall-time budget

Stage 1, pre-training (d2l's "The Dataset for Pretraining BERT" / "Pretraining BERT"): a paragraph is one speech
of ``ember.datasets.Shakespeare`` (the ``NAME:`` line dropped), split into sentences on ``.``, ``!`` and ``?``;
subword tokens from an ``ember.text.BPETokenizer`` (2,000 tokens, lower-cased) trained on the training split.
Each training example is a sentence pair for next-sentence
prediction (half the time the real next sentence of the speech, otherwise a random sentence of the corpus) with
15% of its tokens chosen for masked-language modelling (80% ``<mask>``, 10% a random token, 10% unchanged).
The masks and NSP negatives are drawn again every epoch (dynamic masking), which matters on a corpus this small.
Reported: MLM accuracy (over the masked positions) and NSP accuracy on the held-out Shakespeare split.

Stage 2, fine-tuning on "continuation or reply?", a sentence-pair task: given two consecutive sentences of the
play, is sentence B spoken by the same character continuing the same speech (label 1) or is it the first
sentence of the next speech, the other character's reply (label 0)? The classes are balanced, so chance is 50%.
Train pairs come from the training split of Shakespeare, test pairs from the held-out split (never seen in
pre-training). The same classifier (``BERTClassifier``) is trained once from the pre-trained encoder and once
from a random initialisation, with the same steps and learning rate; metrics.json records both.

The checkpoint holds ``recipe``, ``args``, the fine-tuned classifier's ``model`` state_dict, the pre-trained
``bert`` state_dict, the model ``config`` and the vocabulary as a list of tokens.
"""
from __future__ import annotations

import copy
import random
import re

import numpy as np

import ember
from ember.recipes import register
from ember.recipes._common import args_dict, make_optimizer
from ember.training.metrics import Metric
from ember.utils.data import Dataset

__all__ = ["RESERVED_TOKENS", "split_speeches", "train_tokenizer", "get_tokens_and_segments",
           "BERTPretrainDataset", "continuation_or_reply_pairs", "SentencePairDataset"]

# d2l's special tokens; <unk> comes from Vocab itself.
RESERVED_TOKENS = ["<pad>", "<mask>", "<cls>", "<sep>"]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SPEAKER = re.compile(r"^[A-Z][^\n:]{0,40}:$")


# ---------------------------------------------------------------- the corpus: speeches of sentences
def split_speeches(text):
    """Tiny-Shakespeare text -> a list of speeches, each a list of sentence strings.

    A speech is a ``NAME:`` line and the lines after it up to a blank line; a block with no speaker line (the
    speech goes on after a stage direction) is appended to the previous speech. Sentences end at . ! or ?.
    """
    speeches = []
    for block in text.split("\n\n"):
        lines = [line.strip() for line in block.strip().split("\n") if line.strip()]
        if not lines:
            continue
        named = _SPEAKER.match(lines[0]) is not None
        body = " ".join(lines[1:] if named else lines)
        sentences = [s for s in _SENTENCE_END.split(body) if s]
        if not named and speeches:
            speeches[-1].extend(sentences)
        elif sentences:
            speeches.append(sentences)
    return speeches


def train_tokenizer(text, vocab_size=2000):
    """A lower-casing ``BPETokenizer`` with BERT's reserved tokens, trained on ``text``; returns the function
    ``sentence -> list of subword strings`` and the tokenizer (whose ``.vocab`` is the model's vocabulary)."""
    from ember.text.bpe import BPETokenizer
    bpe = BPETokenizer(vocab_size=vocab_size, reserved_tokens=RESERVED_TOKENS).train(text.lower())
    return _Lowercase(bpe), bpe


class _Lowercase:
    """``sentence -> bpe.tokenize(sentence.lower())`` (a class, not a lambda, so it can be pickled)."""

    def __init__(self, bpe):
        self.bpe = bpe

    def __call__(self, sentence):
        return self.bpe.tokenize(sentence.lower())


# ---------------------------------------------------------------- d2l's pre-training data
def get_tokens_and_segments(tokens_a, tokens_b=None):
    """``<cls> A <sep> [B <sep>]`` and the segment ids (0 for A's part, 1 for B's)."""
    tokens = ["<cls>"] + list(tokens_a) + ["<sep>"]
    segments = [0] * (len(tokens_a) + 2)
    if tokens_b is not None:
        tokens += list(tokens_b) + ["<sep>"]
        segments += [1] * (len(tokens_b) + 1)
    return tokens, segments


def _get_next_sentence(sentence, next_sentence, paragraphs, rng=random):
    """Keep the real next sentence with probability 1/2, else a random sentence of a random paragraph."""
    if rng.random() < 0.5:
        is_next = True
    else:
        next_sentence = rng.choice(rng.choice(paragraphs))
        is_next = False
    return sentence, next_sentence, is_next


def _get_nsp_data_from_paragraph(paragraph, paragraphs, max_len, rng=random):
    """NSP examples ``(tokens, segments, is_next)`` from each adjacent pair of a tokenised paragraph; pairs
    longer than ``max_len`` with their three special tokens are skipped."""
    examples = []
    for i in range(len(paragraph) - 1):
        tokens_a, tokens_b, is_next = _get_next_sentence(paragraph[i], paragraph[i + 1], paragraphs, rng)
        if len(tokens_a) + len(tokens_b) + 3 > max_len:
            continue
        tokens, segments = get_tokens_and_segments(tokens_a, tokens_b)
        examples.append((tokens, segments, is_next))
    return examples


def _replace_mlm_tokens(tokens, candidate_pred_positions, num_mlm_preds, vocab, rng=random):
    """Choose ``num_mlm_preds`` of the candidate positions; replace each by ``<mask>`` (80%), a random vocabulary
    token (10%) or itself (10%). Returns ``(mlm_input_tokens, [(position, original_token), ...])``; the input
    list is not modified."""
    mlm_input_tokens = list(tokens)
    pred_positions_and_labels = []
    candidates = list(candidate_pred_positions)
    rng.shuffle(candidates)
    for position in candidates:
        if len(pred_positions_and_labels) >= num_mlm_preds:
            break
        if rng.random() < 0.8:
            masked_token = "<mask>"
        elif rng.random() < 0.5:
            masked_token = tokens[position]
        else:
            masked_token = vocab.to_tokens(rng.randrange(len(vocab)))
        mlm_input_tokens[position] = masked_token
        pred_positions_and_labels.append((position, tokens[position]))
    return mlm_input_tokens, pred_positions_and_labels


def _get_mlm_data_from_tokens(tokens, vocab, rng=random):
    """15% of the non-special positions (at least one) become MLM predictions: returns the input ids, the
    sorted predicted positions and the ids of the original tokens there."""
    candidates = [i for i, token in enumerate(tokens) if token not in ("<cls>", "<sep>")]
    num_mlm_preds = max(1, round(len(tokens) * 0.15))
    mlm_input_tokens, pairs = _replace_mlm_tokens(tokens, candidates, num_mlm_preds, vocab, rng)
    pairs.sort(key=lambda pair: pair[0])
    pred_positions = [p for p, _ in pairs]
    mlm_pred_labels = [label for _, label in pairs]
    return vocab[mlm_input_tokens], pred_positions, vocab[mlm_pred_labels]


def _pad_bert_inputs(examples, max_len, vocab):
    """Pad ``(token_ids, pred_positions, mlm_label_ids, segments, is_next)`` examples to ``max_len`` tokens and
    ``round(0.15 * max_len)`` predictions. Returns NumPy arrays: token ids, segments (N, max_len) int64, valid
    lengths (N,) float32, predicted positions, MLM weights (1 real / 0 padding, float32), MLM labels (N, P) and
    NSP labels (N,)."""
    max_num_mlm_preds = round(max_len * 0.15)
    n = len(examples)
    pad = vocab["<pad>"]
    token_ids = np.full((n, max_len), pad, dtype=np.int64)
    segments = np.zeros((n, max_len), dtype=np.int64)
    valid_lens = np.zeros(n, dtype=np.float32)
    pred_positions = np.zeros((n, max_num_mlm_preds), dtype=np.int64)
    mlm_weights = np.zeros((n, max_num_mlm_preds), dtype=np.float32)
    mlm_labels = np.zeros((n, max_num_mlm_preds), dtype=np.int64)
    nsp_labels = np.zeros(n, dtype=np.int64)
    for i, (ids, positions, label_ids, segs, is_next) in enumerate(examples):
        if len(ids) > max_len or len(positions) > max_num_mlm_preds:
            raise ValueError(f"_pad_bert_inputs: example {i} has {len(ids)} tokens and {len(positions)} "
                             f"predictions; max_len={max_len} allows {max_num_mlm_preds}")
        token_ids[i, :len(ids)] = ids
        segments[i, :len(segs)] = segs
        valid_lens[i] = len(ids)
        pred_positions[i, :len(positions)] = positions
        mlm_weights[i, :len(label_ids)] = 1.0
        mlm_labels[i, :len(label_ids)] = label_ids
        nsp_labels[i] = int(is_next)
    return token_ids, segments, valid_lens, pred_positions, mlm_weights, mlm_labels, nsp_labels


class BERTPretrainDataset(Dataset):
    """d2l's ``_WikiTextDataset`` for already tokenised paragraphs (each a list of sentences, each a list of
    tokens): NSP pairs with MLM masks, padded to ``max_len``.

    ``ds[i]`` is ``(tokens, segments, valid_len, pred_positions, mlm_weights, mlm_labels, nsp_label)`` as ember
    Tensors. ``vocab`` (an ``ember.text.Vocab`` holding ``RESERVED_TOKENS``, e.g. a ``BPETokenizer``'s) is built
    from the paragraphs' tokens with ``min_freq`` when not given (d2l's word-level choice). ``seed`` fixes the NSP
    negatives and the masks; ``resample(seed)`` draws new ones.
    """

    def __init__(self, paragraphs, max_len, vocab=None, min_freq=5, seed=0):
        if vocab is None:
            from ember.text.vocab import Vocab
            sentences = [sentence for paragraph in paragraphs for sentence in paragraph]
            vocab = Vocab(sentences, min_freq=min_freq, reserved_tokens=RESERVED_TOKENS)
        self.paragraphs = paragraphs
        self.vocab = vocab
        self.max_len = max_len
        self.resample(seed)

    def resample(self, seed):
        """Draw new NSP negatives and new MLM masks (dynamic masking: call once per epoch with a new seed)."""
        rng = random.Random(seed)
        examples = []
        for paragraph in self.paragraphs:
            examples.extend(_get_nsp_data_from_paragraph(paragraph, self.paragraphs, self.max_len, rng))
        examples = [_get_mlm_data_from_tokens(tokens, self.vocab, rng) + (segments, is_next)
                    for tokens, segments, is_next in examples]
        self.arrays = _pad_bert_inputs(examples, self.max_len, self.vocab)

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, idx):
        return tuple(ember.from_numpy(np.asarray(a[idx])) for a in self.arrays)


# ---------------------------------------------------------------- the fine-tuning task
def continuation_or_reply_pairs(speeches, seed=0):
    """Balanced sentence pairs ``(sentence_a, sentence_b, label)`` from consecutive sentences of a play.

    Label 1: B is the next sentence of the same speech (the speaker goes on). Label 0: A ends a speech and B
    opens the next one (the reply). The larger class is subsampled to the size of the smaller, so chance is
    exactly 50%.
    """
    continuations = [(a, b, 1) for speech in speeches for a, b in zip(speech, speech[1:])]
    replies = [(first[-1], second[0], 0) for first, second in zip(speeches, speeches[1:])]
    rng = random.Random(seed)
    n = min(len(continuations), len(replies))
    pairs = rng.sample(continuations, n) + rng.sample(replies, n)
    rng.shuffle(pairs)
    return pairs


def _truncate_pair_of_tokens(tokens_a, tokens_b, max_len):
    """d2l's SNLI rule: drop the last token of the longer sentence until the pair fits with 3 special tokens."""
    tokens_a, tokens_b = list(tokens_a), list(tokens_b)
    while len(tokens_a) + len(tokens_b) > max_len - 3:
        (tokens_a if len(tokens_a) > len(tokens_b) else tokens_b).pop()
    return tokens_a, tokens_b


class SentencePairDataset(Dataset):
    """d2l's ``SNLIBERTDataset`` for ``(sentence_a, sentence_b, label)`` string triples, tokenised with
    ``tokenize`` (``str -> list of tokens``) and looked up in ``vocab``.

    ``ds[i]`` is ``((tokens, segments, valid_len), label)``: ember Tensors, tokens padded to ``max_len``."""

    def __init__(self, pairs, tokenize, vocab, max_len):
        n = len(pairs)
        self.tokens = np.full((n, max_len), vocab["<pad>"], dtype=np.int64)
        self.segments = np.zeros((n, max_len), dtype=np.int64)
        self.valid_lens = np.zeros(n, dtype=np.float32)
        self.labels = np.array([label for _, _, label in pairs], dtype=np.int64)
        for i, (a, b, _) in enumerate(pairs):
            tokens_a, tokens_b = _truncate_pair_of_tokens(tokenize(a), tokenize(b), max_len)
            tokens, segments = get_tokens_and_segments(tokens_a, tokens_b)
            self.tokens[i, :len(tokens)] = vocab[tokens]
            self.segments[i, :len(segments)] = segments
            self.valid_lens[i] = len(tokens)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        inputs = (ember.from_numpy(self.tokens[idx]), ember.from_numpy(self.segments[idx]),
                  ember.from_numpy(np.asarray(self.valid_lens[idx])))
        return inputs, int(self.labels[idx])


# ---------------------------------------------------------------- training
def _trim(valid_lens, *seqs):
    """Cut padded (B, max_len) inputs to the batch's longest sequence: the padding is masked anyway, and
    shorter sequences make every step cheaper (the learned position embeddings start at 0 either way)."""
    longest = max(1, int(valid_lens.max().item()))
    return tuple(x[:, :longest] for x in seqs)


def _host(t):
    """A Tensor's values as a host NumPy array (metrics never need gradients)."""
    return t.detach().cpu().numpy()


class MLMAccuracy(Metric):
    """Fraction of the real (weight 1) masked positions whose original token is the arg-max prediction."""
    name, higher_is_better, needs_outputs = "mlm_accuracy", True, True

    def reset(self):
        self.correct = self.total = 0.0

    def update(self, outputs, targets, loss=None, n=None):
        mlm_hat, mlm_y, weights = outputs[0], targets[0], targets[1]
        predicted = _host(mlm_hat.argmax(-1))
        w = _host(weights)
        self.correct += float(((predicted == _host(mlm_y)) * w).sum())
        self.total += float(w.sum())

    def compute(self):
        return self.correct / self.total if self.total else float("nan")


class NSPAccuracy(MLMAccuracy):
    """Fraction of sentence pairs whose is-next label is predicted."""
    name = "nsp_accuracy"

    def update(self, outputs, targets, loss=None, n=None):
        predicted = _host(outputs[1].argmax(-1))
        self.correct += float((predicted == _host(targets[2])).sum())
        self.total += len(predicted)


def _trainers():
    """The two ``Trainer`` subclasses (defined lazily: ``ember.training`` is imported only when training)."""
    from ember.models.bert import bert_pretrain_loss
    from ember.training import Trainer
    import ember.nn.functional as F

    class BERTPretrainer(Trainer):
        """MLM + NSP loss per batch; draws new masks every epoch when the loader's dataset can ``resample``."""

        seed = 0

        def training_step(self, batch):
            tokens, segments, valid_lens, pred_positions, mlm_weights, mlm_y, nsp_y = batch
            tokens, segments = _trim(valid_lens, tokens, segments)
            _, mlm_hat, nsp_hat = self.model(tokens, segments, valid_lens, pred_positions)
            loss = bert_pretrain_loss(mlm_hat, nsp_hat, mlm_y, mlm_weights, nsp_y)[0]
            return {"loss": loss, "n": len(nsp_y), "outputs": (mlm_hat, nsp_hat),
                    "targets": (mlm_y, mlm_weights, nsp_y)}

        def on_epoch_start(self, epoch, train):
            dataset = getattr(self._train_loader, "dataset", None)
            if train and epoch > 1 and hasattr(dataset, "resample"):
                dataset.resample(self.seed * 100_003 + epoch)

    class PairClassifierTrainer(Trainer):
        """Cross-entropy of ``model(tokens, segments, valid_lens)`` against the pair labels."""

        def training_step(self, batch):
            (tokens, segments, valid_lens), labels = batch
            tokens, segments = _trim(valid_lens, tokens, segments)
            logits = self.model(tokens, segments, valid_lens)
            return {"loss": F.cross_entropy(logits, labels), "n": len(labels), "outputs": logits,
                    "targets": labels}

    return BERTPretrainer, PairClassifierTrainer


def _setting(args, name, default):
    """Optional knobs without CLI flags (tests and the Python example set them on ``args``)."""
    value = getattr(args, name, None)
    return default if value is None else value


def _make_optimizer(args, params, lr):
    return make_optimizer(args.optimizer or "adam", params, lr, choices=("adam", "adamw", "sgd"))


def _build_data(args, tokenize=None, bpe=None):
    """Speeches, tokenizer, pre-training datasets and fine-tuning datasets from the embedded Shakespeare."""
    from ember.datasets.corpora import Shakespeare
    chars = _setting(args, "corpus_chars", None)            # a prefix of each split, for quick runs
    train_text, val_text = Shakespeare(train=True).text, Shakespeare(train=False).text
    if chars:
        train_text, val_text = train_text[:chars], val_text[:max(chars // 4, 2000)]
    if tokenize is None:
        tokenize, bpe = train_tokenizer(train_text, _setting(args, "vocab_size", 2000))
    max_len = _setting(args, "max_len", 64)
    data = {"tokenize": tokenize, "bpe": bpe, "max_len": max_len}
    for split, text in (("train", train_text), ("val", val_text)):
        speeches = split_speeches(text)
        # d2l keeps paragraphs of at least two sentences: the others give no next-sentence pair.
        paragraphs = [[tokenize(s) for s in speech] for speech in speeches if len(speech) >= 2]
        data[f"pretrain_{split}"] = BERTPretrainDataset(paragraphs, max_len, vocab=bpe.vocab,
                                                        seed=args.seed + (split == "val"))
        data[f"pairs_{split}"] = SentencePairDataset(
            continuation_or_reply_pairs(speeches, seed=args.seed), tokenize, bpe.vocab, max_len)
    return data


def _model_config(args, vocab_size):
    return dict(vocab_size=vocab_size, num_hiddens=_setting(args, "num_hiddens", 128),
                ffn_num_hiddens=_setting(args, "ffn_num_hiddens", 256), num_heads=_setting(args, "num_heads", 2),
                num_blks=_setting(args, "num_blks", 2), dropout=_setting(args, "dropout", 0.1),
                max_len=_setting(args, "max_len", 64))


def _loader(dataset, batch_size, shuffle, seed):
    from ember.utils.data import DataLoader
    generator = ember.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)


def _finetune(args, bert, data, minutes, label, max_steps=None):
    """Fine-tune ``BERTClassifier(bert)`` on the continuation-or-reply pairs for at most ``minutes`` (and
    ``max_steps`` optimiser steps); returns (classifier, history, test accuracy, steps taken)."""
    from ember.models.bert import BERTClassifier
    from ember.training import Callback
    _, PairClassifierTrainer = _trainers()

    class StepLimit(Callback):
        def on_optimizer_step(self, trainer):
            if max_steps is not None and trainer.global_step >= max_steps:
                trainer.stop_training = True

    clf = BERTClassifier(bert, num_classes=2, dropout=_setting(args, "dropout", 0.1))
    opt = _make_optimizer(args, clf.parameters(), _setting(args, "finetune_lr", 2e-4))
    trainer = PairClassifierTrainer(clf, opt, metrics=("accuracy",), progress=not args.no_progress,
                                    max_minutes=minutes, callbacks=[StepLimit()], device=args.device)
    trainer.log(f"fine-tuning ({label} encoder) on continuation-or-reply: {len(data['pairs_train'])} train / "
                f"{len(data['pairs_val'])} test pairs")
    history = trainer.fit(_loader(data["pairs_train"], args.batch_size, True, args.seed),
                          _loader(data["pairs_val"], 256, False, 0), epochs=_setting(args, "finetune_epochs", 3))
    return clf, history, history["val_accuracy"][-1], trainer.global_step


def _plot(path, pre, fine, scratch):
    """curves.png: pre-training loss, MLM/NSP accuracy (validation), fine-tuning accuracy per epoch."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(15, 3.8), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 3, 1)
    ax.plot(pre["epoch"], pre["loss"], "-o", ms=3, label="train")
    ax.plot(pre["epoch"], pre["val_loss"], "-s", ms=3, label="validation")
    ax.set(xlabel="pre-training epoch", ylabel="MLM + NSP loss")
    ax = fig.add_subplot(1, 3, 2)
    for key, style in (("mlm_accuracy", "-o"), ("nsp_accuracy", "-s")):
        ax.plot(pre["epoch"], pre[f"val_{key}"], style, ms=3, label=f"validation {key.split('_')[0].upper()}")
    ax.set(xlabel="pre-training epoch", ylabel="accuracy")
    ax = fig.add_subplot(1, 3, 3)
    for hist, name, style in ((fine, "pre-trained", "-o"), (scratch, "from scratch", "-s")):
        ax.plot(hist["epoch"], hist["val_accuracy"], style, ms=3, label=f"{name} (test)")
        ax.plot(hist["epoch"], hist["accuracy"], ":", label=f"{name} (train)")
    ax.axhline(0.5, color="gray", lw=0.8, ls="--", label="chance")
    ax.set(xlabel="fine-tuning epoch", ylabel="continuation-or-reply accuracy")
    from matplotlib.ticker import MaxNLocator
    for ax in fig.axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


def evaluate(ckpt, args):
    """``ember eval CKPT``: MLM/NSP accuracy of the pre-trained BERT and the fine-tuned classifier's accuracy on
    the held-out Shakespeare split."""
    import argparse
    from ember.models.bert import BERTClassifier, BERTModel
    from ember.text.bpe import BPETokenizer
    saved = argparse.Namespace(**ckpt["args"])
    bpe = BPETokenizer.from_state_dict(ckpt["bpe"])
    data = _build_data(saved, tokenize=_Lowercase(bpe), bpe=bpe)
    bert = BERTModel(**ckpt["config"])
    bert.load_state_dict(ckpt["bert"])
    clf = BERTClassifier(BERTModel(**ckpt["config"]), num_classes=2)
    clf.load_state_dict(ckpt["model"])
    BERTPretrainer, PairClassifierTrainer = _trainers()
    batch_size = getattr(args, "batch_size", None) or 256
    pre = BERTPretrainer(bert, _make_optimizer(saved, bert.parameters(), 1e-3), progress=False,
                         metrics=(MLMAccuracy(), NSPAccuracy())).evaluate(_loader(data["pretrain_val"], batch_size,
                                                                                  False, 0))
    fine = PairClassifierTrainer(clf, _make_optimizer(saved, clf.parameters(), 1e-3), progress=False).evaluate(
        _loader(data["pairs_val"], batch_size, False, 0))
    return {"mlm_accuracy": pre["mlm_accuracy"], "nsp_accuracy": pre["nsp_accuracy"],
            "finetune_accuracy": fine["accuracy"], "finetune_chance": 0.5}


@register("bert-mini", task="pretraining", default_dataset="shakespeare", datasets=("shakespeare",),
          description="BERT-mini: MLM + NSP pre-training on Shakespeare, then continuation-or-reply fine-tuning",
          evaluate=evaluate, epochs=30, batch_size=64, lr=1e-3, optimizer="adam", max_minutes=10.0)
def train(args):
    """Pre-train (about 60% of ``--max-minutes``), then fine-tune the pre-trained and a fresh encoder (about 17%
    each); ``--epochs`` bounds the pre-training epochs."""
    import time
    from pathlib import Path
    from ember.models.bert import BERTModel
    from ember.training import write_metrics
    if getattr(args, "resume", None):
        raise ValueError("ember train bert-mini: --resume is not supported (the run is a fixed pre-train then "
                         "fine-tune schedule within --max-minutes)")
    start = time.perf_counter()
    budget = float(args.max_minutes)
    ember.manual_seed(args.seed)
    random.seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    data = _build_data(args)
    bpe = data["bpe"]
    config = _model_config(args, len(bpe.vocab))
    print(f"bert-mini: BPE vocabulary {len(bpe.vocab)}, {len(data['pretrain_train'])} pre-training pairs "
          f"({len(data['pretrain_val'])} validation), max_len {config['max_len']}", flush=True)

    # Stage 1: pre-training.
    BERTPretrainer, _ = _trainers()
    bert = BERTModel(**config)
    trainer = BERTPretrainer(bert, _make_optimizer(args, bert.parameters(), args.lr),
                             metrics=(MLMAccuracy(), NSPAccuracy()), progress=not args.no_progress,
                             max_minutes=0.6 * budget - (time.perf_counter() - start) / 60, device=args.device)
    trainer.seed = args.seed
    pre = trainer.fit(_loader(data["pretrain_train"], args.batch_size, True, args.seed),
                      _loader(data["pretrain_val"], 256, False, 0), epochs=args.epochs)
    pretrain_seconds = time.perf_counter() - start

    # Stage 2: the same classifier fine-tuned from the pre-trained encoder and from scratch.
    ft_minutes = max((budget * 60 - (time.perf_counter() - start)) / 60 / 2 * 0.9, 0.05)
    # Fine-tune a copy: ``bert`` stays the pre-trained model that the checkpoint stores and `ember eval` scores.
    clf, fine, finetune_accuracy, steps = _finetune(args, copy.deepcopy(bert), data, ft_minutes, "pretrained")
    ember.manual_seed(args.seed + 1)
    scratch_bert = BERTModel(**config)
    # The same number of optimiser steps (the time limit is only a safety net here).
    _, scratch, scratch_accuracy, scratch_steps = _finetune(args, scratch_bert, data, 1.5 * ft_minutes,
                                                            "scratch", max_steps=steps)

    metrics = {
        "mlm_accuracy": pre["val_mlm_accuracy"][-1], "nsp_accuracy": pre["val_nsp_accuracy"][-1],
        "pretrain_loss": pre["loss"][-1], "pretrain_val_loss": pre["val_loss"][-1],
        "finetune_task": "continuation-or-reply (Shakespeare, held-out split)", "finetune_chance": 0.5,
        "finetune_accuracy": finetune_accuracy, "scratch_accuracy": scratch_accuracy,
        "epochs": len(pre["epoch"]), "finetune_epochs": len(fine["epoch"]),
        "scratch_epochs": len(scratch["epoch"]), "finetune_steps": steps, "scratch_steps": scratch_steps,
        "pretrain_steps": trainer.global_step, "pretrain_seconds": pretrain_seconds,
        "seconds": time.perf_counter() - start, "vocab_size": len(bpe.vocab),
        "parameters": sum(p.numel() for p in bert.parameters()),
    }
    ember.save({"recipe": "bert-mini", "args": args_dict(args), "config": config, "model": clf.state_dict(),
                "bert": bert.state_dict(), "bpe": bpe.state_dict(), "vocab": list(bpe.vocab.idx_to_token)},
               str(out / "checkpoint.safetensors"))
    _plot(out / "curves.png", pre, fine, scratch)
    write_metrics(out / "metrics.json", metrics, {"pretrain": pre, "finetune": fine, "scratch": scratch})
    return metrics
