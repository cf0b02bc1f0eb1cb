"""Recipes ``seq2seq`` and ``seq2seq-attn``: English -> French translation with GRU encoder–decoders (d2l 10.7,
11.4) on the embedded King James / Louis Segond verse pairs.

    ember train seq2seq-attn                      # Bahdanau attention; `ember train seq2seq` without it
    ember translate runs/<stamp>/checkpoint.safetensors "in the beginning god created the heaven and the earth ."

Training uses teacher forcing (the decoder reads ``<bos>`` + the reference shifted by one) and d2l's masked
softmax cross-entropy; the loss is reported per real target token. After training the held-out pairs are
translated greedily and scored with the standard corpus BLEU (4-grams, brevity penalty) and d2l's mean
sentence BLEU (k=2), next to the copy-the-source baseline (the English sentence given as its own "translation").
The attention model also leaves ``attention.png``: its weights on a few held-out sentences.
"""
from __future__ import annotations

import os
import time

import numpy as np

import ember
from ember.recipes import register
from ember.recipes._common import fit_and_save, hparams, make_optimizer, record_args
from ember.recipes.language_model import time_limits
from ember.training import Trainer, write_run

MODEL_DEFAULTS = dict(embed_size=128, num_hiddens=256, num_layers=1, dropout=0.2, bidirectional=False,
                      num_steps=30, clip=1.0, num_examples=None, max_test=None)
D2L_BLEU_K = 2


class Seq2SeqTrainer(Trainer):
    """``Trainer`` for ``(X, X_valid_len, Y, Y_valid_len)`` batches: teacher forcing and the masked loss,
    averaged over the real (non-padding) target tokens."""

    def __init__(self, model, optimizer, bos, **kwargs):
        from ember.models.seq2seq import MaskedSoftmaxCELoss
        super().__init__(model, optimizer, MaskedSoftmaxCELoss(), **kwargs)
        self.bos = bos

    def training_step(self, batch):
        X, X_valid_len, Y, Y_valid_len = batch
        bos = ember.full((Y.shape[0], 1), self.bos, dtype=Y.dtype, device=Y.device)
        dec_input = ember.cat([bos, Y[:, :-1]], dim=1)                  # teacher forcing
        Y_hat = self.model(X, dec_input, X_valid_len)
        num_tokens = int(Y_valid_len.sum().item())
        # MaskedSoftmaxCELoss averages each sequence over all T steps; times T over the real tokens = per token
        loss = self.loss_fn(Y_hat, Y, Y_valid_len).sum() * Y.shape[1] / num_tokens
        return {"loss": loss, "n": num_tokens}


def _build_model(name, src_vocab, tgt_vocab, hp):
    from ember.models import get_model
    return get_model(name, src_vocab_size=len(src_vocab), tgt_vocab_size=len(tgt_vocab),
                     embed_size=hp["embed_size"], num_hiddens=hp["num_hiddens"], num_layers=hp["num_layers"],
                     dropout=hp["dropout"], bidirectional=hp["bidirectional"])


def _source_array(sentences, src_vocab, num_steps):
    """Token arrays as in training: words + <eos>, truncated or padded to ``num_steps``."""
    from ember.text import build_array_nmt
    return build_array_nmt([s.split() for s in sentences], src_vocab, num_steps)


def translate_batch(model, sentences, src_vocab, tgt_vocab, num_steps, batch_size=128, return_attention=False):
    """Greedy translations (strings) of preprocessed source sentences."""
    from ember.models.decoding import greedy_decode
    X, X_valid_len = _source_array(sentences, src_vocab, num_steps)
    outputs, attention = [], []
    for i in range(0, len(sentences), batch_size):
        out = greedy_decode(model, X[i:i + batch_size], X_valid_len[i:i + batch_size], tgt_vocab["<bos>"],
                            tgt_vocab["<eos>"], max_len=num_steps + 10, return_attention=return_attention)
        if return_attention:
            out, weights = out
            attention.extend(weights)
        outputs.extend(" ".join(tgt_vocab.to_tokens(ids)) for ids in out)
    return (outputs, attention) if return_attention else outputs


def bleu_scores(hypotheses, references):
    """``{"bleu": corpus BLEU, "bleu_d2l": mean of d2l's sentence BLEU (k=2)}`` of hypothesis strings."""
    from ember.text import bleu, corpus_bleu
    return {"bleu": corpus_bleu(hypotheses, references, max_n=4),
            "bleu_d2l": sum(bleu(h, r, k=D2L_BLEU_K) for h, r in zip(hypotheses, references)) / len(references)}


def _attention_png(model, source, src_vocab, tgt_vocab, num_steps, path):
    """Heat map of the attention weights while translating ``source`` (output tokens x source tokens)."""
    from ember.models.seq2seq import show_heatmaps
    (output,), (weights,) = translate_batch(model, [source], src_vocab, tgt_vocab, num_steps,
                                            return_attention=True)
    src_tokens = source.split()[:num_steps - 1] + ["<eos>"]
    out_tokens = (output.split() + ["<eos>"])[:len(weights)]
    show_heatmaps(np.stack([w[:len(src_tokens)] for w in weights]), path, xlabel="source", ylabel="output",
                  xticklabels=src_tokens, yticklabels=out_tokens, figsize=(7.0, 6.0))
    return path


def _test_pairs(dataset, root=None):
    """The held-out (source, target) pairs of ``dataset``, preprocessed as in training."""
    from ember.text import load_pairs, preprocess_nmt
    _, test, punctuation = load_pairs(dataset, root=root)
    return [(preprocess_nmt(s, punctuation), preprocess_nmt(t, punctuation)) for s, t in test], punctuation


def train(args):
    from ember.text import build_array_nmt, load_data_nmt
    from ember.utils.data import DataLoader, TensorDataset
    hp = hparams(args, MODEL_DEFAULTS)
    ember.manual_seed(args.seed)
    train_iter, test_pairs, src_vocab, tgt_vocab = load_data_nmt(
        args.batch_size, hp["num_steps"], num_examples=hp["num_examples"], dataset=args.dataset,
        root=getattr(args, "root", None), download=getattr(args, "download", False))
    if hp["max_test"]:
        test_pairs = test_pairs[:hp["max_test"]]
    val_arrays = [*build_array_nmt([s.split() for s, _ in test_pairs], src_vocab, hp["num_steps"]),
                  *build_array_nmt([t.split() for _, t in test_pairs], tgt_vocab, hp["num_steps"])]
    val_iter = DataLoader(TensorDataset(*val_arrays), batch_size=args.batch_size)

    model = _build_model(args.model, src_vocab, tgt_vocab, hp)
    optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr, choices=("adam", "adamw", "sgd", "rmsprop"))
    trainer = Seq2SeqTrainer(model, optimizer, tgt_vocab["<bos>"], metrics=("perplexity",),
                             clip_grad_norm=hp["clip"], device=args.device,
                             progress=not getattr(args, "no_progress", False), max_minutes=args.max_minutes,
                             callbacks=time_limits(args))
    seconds, cpu_seconds = fit_and_save(trainer, args, train_iter, val_iter,
                                        extra={"recipe": args.model, "args": record_args(args, hp),
                                               "src_vocab": src_vocab.state_dict(),
                                               "tgt_vocab": tgt_vocab.state_dict()})
    history = trainer.history

    t1 = time.perf_counter()
    sources = [src for src, _ in test_pairs]
    references = [tgt for _, tgt in test_pairs]
    hypotheses = translate_batch(model, sources, src_vocab, tgt_vocab, hp["num_steps"])
    scores = bleu_scores(hypotheses, references)
    copy = bleu_scores(sources, references)
    metrics = {
        "test_bleu": scores["bleu"],
        "test_bleu_d2l": scores["bleu_d2l"],
        "copy_baseline_bleu": copy["bleu"],
        "copy_baseline_bleu_d2l": copy["bleu_d2l"],
        "val_loss": history["val_loss"][-1],
        "val_perplexity": history["val_perplexity"][-1],
        "epochs": trainer.epoch,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu_seconds, 1),
        "eval_seconds": round(time.perf_counter() - t1, 1),
        "test_pairs": len(test_pairs),
        "parameters": sum(p.numel() for p in model.parameters()),
        "examples": [{"source": s, "reference": r, "translation": h}
                     for s, r, h in list(zip(sources, references, hypotheses))[:5]],
    }
    if args.model == "seq2seq-attn" and test_pairs:
        _attention_png(model, test_pairs[0][0], src_vocab, tgt_vocab, hp["num_steps"],
                       os.path.join(args.out, "attention.png"))
    write_run(args.out, history, metrics, title=f"{args.model} on {args.dataset}")
    return metrics


def _restore(ckpt, device="cpu"):
    from ember.text import Vocab
    saved = ckpt["args"]
    src_vocab, tgt_vocab = Vocab.from_state_dict(ckpt["src_vocab"]), Vocab.from_state_dict(ckpt["tgt_vocab"])
    hp = {key: saved.get(key, default) for key, default in MODEL_DEFAULTS.items()}
    model = _build_model(ckpt["recipe"], src_vocab, tgt_vocab, hp).to(device)
    model.load_state_dict(ckpt["model"])
    model.eval()
    return model, src_vocab, tgt_vocab, saved, hp


def evaluate(ckpt, args):
    """BLEU of a checkpoint's greedy translations of the held-out pairs (``ember eval CKPT``)."""
    model, src_vocab, tgt_vocab, saved, hp = _restore(ckpt, getattr(args, "device", "cpu"))
    dataset = getattr(args, "dataset", None) or saved["dataset"]
    test_pairs, _ = _test_pairs(dataset, getattr(args, "root", None))
    hypotheses = translate_batch(model, [s for s, _ in test_pairs], src_vocab, tgt_vocab, hp["num_steps"])
    scores = bleu_scores(hypotheses, [t for _, t in test_pairs])
    return {"test_bleu": scores["bleu"], "test_bleu_d2l": scores["bleu_d2l"], "test_pairs": len(test_pairs)}


def translate(ckpt, args):
    """Translate one English sentence (``ember translate CKPT "..." [--beam-size K]``)."""
    from ember.models.decoding import beam_search
    from ember.text import preprocess_nmt
    model, src_vocab, tgt_vocab, saved, hp = _restore(ckpt, getattr(args, "device", "cpu"))
    punctuation = ",.!?;:" if saved["dataset"] == "bible" else ",.!?"       # as ember.text.load_pairs does
    sentence = preprocess_nmt(args.sentence, punctuation)
    X, X_valid_len = _source_array([sentence], src_vocab, hp["num_steps"])
    beam_size = getattr(args, "beam_size", 1) or 1
    max_len = getattr(args, "max_length", None) or hp["num_steps"] + 10
    ids = beam_search(model, X, X_valid_len, tgt_vocab["<bos>"], tgt_vocab["<eos>"], max_len,
                      beam_size=beam_size)
    return " ".join(tgt_vocab.to_tokens(ids))


register("seq2seq", "seq2seq-attn", task="translation", default_dataset="bible", datasets=("bible", "fra-eng"),
         description="GRU encoder-decoder English->French, with (seq2seq-attn) or without Bahdanau attention",
         evaluate=evaluate, translate=translate,
         epochs=30, batch_size=64, lr=3e-3, optimizer="adam", max_minutes=10.0)(train)
