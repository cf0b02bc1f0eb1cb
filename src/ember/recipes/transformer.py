"""Recipes ``transformer-mt`` (English -> French translation, d2l 11.7) and ``gpt-mini`` (a character-level
decoder-only Transformer language model) on the embedded corpora.

    ember train transformer-mt                   # Bible verse pairs; BLEU on the held-out pairs vs copying the source
    ember translate runs/<stamp>/checkpoint.safetensors "in the beginning god created the heaven and the earth ." --beam-size 4
    ember train gpt-mini                         # Shakespeare characters; validation perplexity
    ember generate runs/<stamp>/checkpoint.safetensors --prompt "ROMEO:" --temperature 0.8 --top-k 10

Both use the Transformer paper's recipe: Adam with betas (0.9, 0.98), the Noam schedule (linear warm-up over
``warmup`` optimiser steps, then decay as 1/sqrt(step)) scaled so that the learning rate peaks at ``--lr``, and
gradient clipping. ``transformer-mt`` trains with label smoothing (so its training loss is the smoothed
cross-entropy) and validates with the plain per-token cross-entropy, whose exponential is ``val_perplexity``;
each batch is cut to its longest sentence, so padding costs little. After training, the held-out pairs are
translated greedily and scored with corpus BLEU (and d2l's mean sentence BLEU), next to the copy-the-source
baseline. ``gpt-mini`` reads randomly partitioned windows of ``num_steps`` characters (the model has no state to
carry between batches) and validates on the sequential held-out text.

Model and data settings (``MT_DEFAULTS`` / ``GPT_DEFAULTS`` keys) may be set as attributes of ``args`` when a
recipe is called from Python; the CLI uses the defaults. Checkpoints hold the vocabularies.
"""
from __future__ import annotations

import time

import ember
import ember.nn.functional as F
from ember.recipes import register
from ember.recipes._common import evaluate_lm, fit_and_save, hparams, record_args, sample_text
from ember.training import Trainer, write_run

# Chosen for 10 minutes of training on 2 CPU cores (measured numbers in the README).
MT_DEFAULTS = dict(d_model=128, nhead=4, num_layers=2, dim_feedforward=512, dropout=0.1, label_smoothing=0.1,
                   warmup=100, num_steps=30, clip=1.0, num_examples=None, max_test=None)
GPT_DEFAULTS = dict(d_model=128, nhead=4, num_layers=4, dim_feedforward=512, dropout=0.1, warmup=100,
                    num_steps=128, clip=1.0, max_tokens=-1, positional="learned")
SAMPLE_PROMPT = {"shakespeare": "ROMEO:", "timemachine": "the time traveller", "wikitext2": "The"}


# ---------------------------------------------------------------------------------------------- shared pieces

def _optimizer_and_schedule(name, model, lr, d_model, warmup):
    """Adam(W) with the Transformer's betas and the Noam schedule, peaking at ``lr`` after ``warmup`` steps."""
    from ember.models._transformer_blocks import NoamLR
    optimizers = {"adam": ember.optim.Adam, "adamw": ember.optim.AdamW}
    try:
        optimizer = optimizers[name.lower()](model.parameters(), lr=lr, betas=(0.9, 0.98), eps=1e-9)
    except KeyError:
        raise ValueError(f"unknown optimizer {name!r} for the Transformer recipes; valid optimizers: "
                         f"{', '.join(optimizers)}") from None
    # noam_lambda(warmup) = factor * (d_model * warmup)^-0.5, so this factor makes the peak exactly lr
    scheduler = NoamLR(optimizer, d_model, warmup, factor=(d_model * warmup) ** 0.5)
    return optimizer, scheduler


def _parameters(model):
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


# ---------------------------------------------------------------------------------------------- transformer-mt

class TranslationTrainer(Trainer):
    """``Trainer`` for ``(X, X_valid_len, Y, Y_valid_len)`` batches: teacher forcing (the decoder reads ``<bos>``
    and the reference shifted by one), label-smoothed cross-entropy over the real target tokens in training,
    the plain cross-entropy in validation; ``n`` counts target tokens."""

    def __init__(self, model, optimizer, bos, pad, label_smoothing=0.0, **kwargs):
        super().__init__(model, optimizer, **kwargs)
        self.bos, self.pad, self.label_smoothing = bos, pad, label_smoothing

    def _step(self, batch, label_smoothing):
        X, X_valid_len, Y, Y_valid_len = batch
        # cut the padding columns every sentence of this batch has
        X, Y = X[:, :int(X_valid_len.max())], Y[:, :int(Y_valid_len.max())]
        bos = ember.full((Y.shape[0], 1), self.bos, dtype=Y.dtype, device=Y.device)
        logits = self.model(X, ember.cat([bos, Y[:, :-1]], dim=1), X_valid_len)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1), ignore_index=self.pad,
                               label_smoothing=label_smoothing)
        return {"loss": loss, "n": int(Y_valid_len.sum())}

    def training_step(self, batch):
        return self._step(batch, self.label_smoothing)

    def validation_step(self, batch):
        return self._step(batch, 0.0)


def _build_mt(src_vocab, tgt_vocab, hp):
    from ember.models import get_model
    return get_model("transformer-mt", src_vocab_size=len(src_vocab), tgt_vocab_size=len(tgt_vocab),
                     d_model=hp["d_model"], nhead=hp["nhead"], num_encoder_layers=hp["num_layers"],
                     num_decoder_layers=hp["num_layers"], dim_feedforward=hp["dim_feedforward"],
                     dropout=hp["dropout"], max_len=max(256, hp["num_steps"] + 16), padding_idx=src_vocab["<pad>"])


def train_mt(args):
    from ember.recipes.seq2seq import bleu_scores, translate_batch
    from ember.text import build_array_nmt, load_data_nmt
    from ember.utils.data import DataLoader, TensorDataset
    hp = hparams(args, MT_DEFAULTS)
    ember.manual_seed(args.seed)
    train_iter, test_pairs, src_vocab, tgt_vocab = load_data_nmt(
        args.batch_size, hp["num_steps"], num_examples=hp["num_examples"], dataset=args.dataset,
        root=getattr(args, "root", None), download=getattr(args, "download", False))
    if src_vocab["<pad>"] != tgt_vocab["<pad>"]:
        raise RuntimeError("transformer-mt: source and target vocabularies disagree on <pad>")
    if hp["max_test"]:
        test_pairs = test_pairs[:hp["max_test"]]
    val_arrays = [*build_array_nmt([s.split() for s, _ in test_pairs], src_vocab, hp["num_steps"]),
                  *build_array_nmt([t.split() for _, t in test_pairs], tgt_vocab, hp["num_steps"])]
    val_iter = DataLoader(TensorDataset(*val_arrays), batch_size=args.batch_size)

    model = _build_mt(src_vocab, tgt_vocab, hp)
    optimizer, scheduler = _optimizer_and_schedule(args.optimizer, model, args.lr, hp["d_model"], hp["warmup"])
    trainer = TranslationTrainer(model, optimizer, tgt_vocab["<bos>"], tgt_vocab["<pad>"],
                                 label_smoothing=hp["label_smoothing"], scheduler=scheduler,
                                 scheduler_interval="step", metrics=("perplexity",), clip_grad_norm=hp["clip"],
                                 device=args.device, progress=not getattr(args, "no_progress", False),
                                 max_minutes=args.max_minutes)
    seconds, _ = fit_and_save(trainer, args, train_iter, val_iter,
                              extra={"recipe": args.model, "args": record_args(args, hp),
                                     "src_vocab": src_vocab.state_dict(), "tgt_vocab": tgt_vocab.state_dict()})
    history = trainer.history
    t1 = time.perf_counter()
    sources = [src for src, _ in test_pairs]
    references = [tgt for _, tgt in test_pairs]
    hypotheses = translate_batch(model, sources, src_vocab, tgt_vocab, hp["num_steps"])
    scores, copy = bleu_scores(hypotheses, references), bleu_scores(sources, references)
    metrics = {
        "test_bleu": scores["bleu"],
        "test_bleu_d2l": scores["bleu_d2l"],
        "copy_baseline_bleu": copy["bleu"],
        "copy_baseline_bleu_d2l": copy["bleu_d2l"],
        "val_loss": history["val_loss"][-1],
        "val_perplexity": history["val_perplexity"][-1],
        "epochs": trainer.epoch,
        "optimizer_steps": trainer.global_step,
        "seconds": round(seconds, 1),
        "eval_seconds": round(time.perf_counter() - t1, 1),
        "test_pairs": len(test_pairs),
        "parameters": _parameters(model),
        "examples": [{"source": s, "reference": r, "translation": h}
                     for s, r, h in list(zip(sources, references, hypotheses))[:5]],
    }
    write_run(args.out, history, metrics, title=f"{args.model} on {args.dataset}")
    return metrics


def _restore_mt(ckpt, device="cpu"):
    from ember.text import Vocab
    saved = ckpt["args"]
    src_vocab, tgt_vocab = Vocab.from_state_dict(ckpt["src_vocab"]), Vocab.from_state_dict(ckpt["tgt_vocab"])
    hp = {key: saved.get(key, default) for key, default in MT_DEFAULTS.items()}
    model = _build_mt(src_vocab, tgt_vocab, hp).to(device)
    model.load_state_dict(ckpt["model"])
    model.eval()
    return model, src_vocab, tgt_vocab, saved, hp


def evaluate_mt(ckpt, args):
    """BLEU of a checkpoint's greedy translations of the held-out pairs (``ember eval CKPT``)."""
    from ember.recipes.seq2seq import _test_pairs, bleu_scores, translate_batch
    model, src_vocab, tgt_vocab, saved, hp = _restore_mt(ckpt, getattr(args, "device", "cpu"))
    dataset = getattr(args, "dataset", None) or saved["dataset"]
    test_pairs, _ = _test_pairs(dataset, getattr(args, "root", None))
    if saved.get("max_test") and dataset == saved.get("dataset"):
        test_pairs = test_pairs[:saved["max_test"]]         # the held-out pairs the training run scored
    hypotheses = translate_batch(model, [s for s, _ in test_pairs], src_vocab, tgt_vocab, hp["num_steps"])
    scores = bleu_scores(hypotheses, [t for _, t in test_pairs])
    return {"test_bleu": scores["bleu"], "test_bleu_d2l": scores["bleu_d2l"], "test_pairs": len(test_pairs)}


def translate_mt(ckpt, args):
    """Translate one English sentence with beam search (``ember translate CKPT "..." [--beam-size K]``)."""
    from ember.models.decoding import beam_search
    from ember.text import build_array_nmt, preprocess_nmt
    model, src_vocab, tgt_vocab, saved, hp = _restore_mt(ckpt, getattr(args, "device", "cpu"))
    punctuation = ",.!?;:" if saved.get("dataset") == "bible" else ",.!?"      # as ember.text.load_pairs does
    sentence = preprocess_nmt(args.sentence, punctuation)
    X, X_valid_len = build_array_nmt([sentence.split()], src_vocab, hp["num_steps"])
    max_len = getattr(args, "max_length", None) or hp["num_steps"] + 10
    ids = beam_search(model, X, X_valid_len, tgt_vocab["<bos>"], tgt_vocab["<eos>"], max_len,
                      beam_size=getattr(args, "beam_size", 1) or 1)
    return " ".join(tgt_vocab.to_tokens(ids))


register("transformer-mt", task="translation", default_dataset="bible", datasets=("bible", "fra-eng"),
         description="Transformer encoder-decoder English->French (label smoothing, Noam warm-up), BLEU",
         evaluate=evaluate_mt, translate=translate_mt,
         epochs=40, batch_size=64, lr=2e-3, optimizer="adam", max_minutes=10.0)(train_mt)


# ---------------------------------------------------------------------------------------------- gpt-mini

class CausalLMTrainer(Trainer):
    """``Trainer`` for ``(X, Y)`` windows: next-token cross-entropy at every position; ``n`` counts tokens."""

    def training_step(self, batch):
        X, Y = batch
        logits = self.model(X)
        return {"loss": F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1)), "n": Y.numel()}


def _build_gpt(vocab_size, hp):
    from ember.models import get_model
    return get_model("gpt-mini", vocab_size=vocab_size, d_model=hp["d_model"], nhead=hp["nhead"],
                     num_layers=hp["num_layers"], dim_feedforward=hp["dim_feedforward"], dropout=hp["dropout"],
                     max_len=hp["num_steps"], positional=hp["positional"])


def train_gpt(args):
    from ember.text import load_data_lm
    hp = hparams(args, GPT_DEFAULTS)
    ember.manual_seed(args.seed)
    train_iter, val_iter, vocab = load_data_lm(args.batch_size, hp["num_steps"], dataset=args.dataset,
                                               token="char", use_random_iter=True, max_tokens=hp["max_tokens"],
                                               root=getattr(args, "root", None),
                                               download=getattr(args, "download", False))
    model = _build_gpt(len(vocab), hp)
    optimizer, scheduler = _optimizer_and_schedule(args.optimizer, model, args.lr, hp["d_model"], hp["warmup"])
    trainer = CausalLMTrainer(model, optimizer, scheduler=scheduler, scheduler_interval="step",
                              metrics=("perplexity",), clip_grad_norm=hp["clip"], device=args.device,
                              progress=not getattr(args, "no_progress", False), max_minutes=args.max_minutes)
    seconds, _ = fit_and_save(trainer, args, train_iter, val_iter,
                              extra={"recipe": args.model, "args": record_args(args, hp),
                                     "vocab": vocab.state_dict()})
    history = trainer.history
    generator = ember.Generator().manual_seed(args.seed)
    metrics = {
        "val_perplexity": history["val_perplexity"][-1],
        "train_perplexity": history["perplexity"][-1],
        "val_loss": history["val_loss"][-1],
        "epochs": trainer.epoch,
        "optimizer_steps": trainer.global_step,
        "seconds": round(seconds, 1),
        "tokens_per_sec": round(sum(history["samples_per_sec"]) / len(history["samples_per_sec"]), 1),
        "vocab_size": len(vocab),
        "parameters": _parameters(model),
        "sample": sample_text(model, vocab, SAMPLE_PROMPT.get(args.dataset, ""), 200, temperature=0.8, top_k=10,
                              generator=generator),
    }
    write_run(args.out, history, metrics, title=f"{args.model} on {args.dataset}")
    return metrics


def _restore_gpt(ckpt, device="cpu"):
    from ember.text import Vocab
    saved = ckpt["args"]
    vocab = Vocab.from_state_dict(ckpt["vocab"])
    hp = {key: saved.get(key, default) for key, default in GPT_DEFAULTS.items()}
    model = _build_gpt(len(vocab), hp).to(device)
    model.load_state_dict(ckpt["model"])
    model.eval()
    return model, vocab, saved, hp


def evaluate_gpt(ckpt, args):
    """Validation perplexity of a checkpoint on its dataset's held-out text (``ember eval CKPT``)."""
    model, vocab, saved, hp = _restore_gpt(ckpt, getattr(args, "device", "cpu"))
    return evaluate_lm(CausalLMTrainer, model, vocab, saved, args, "char", hp["num_steps"], 32)


def generate_gpt(ckpt, args):
    """Text sampled from a checkpoint (``ember generate CKPT --prompt ...``)."""
    model, vocab, saved, hp = _restore_gpt(ckpt, getattr(args, "device", "cpu"))
    generator = ember.Generator().manual_seed(getattr(args, "seed", 0))
    return sample_text(model, vocab, args.prompt, args.length, temperature=args.temperature, top_k=args.top_k,
                       greedy=getattr(args, "greedy", False), generator=generator)


register("gpt-mini", task="language-model", default_dataset="shakespeare",
         datasets=("shakespeare", "timemachine", "wikitext2"),
         description="small decoder-only Transformer, character level (perplexity), with sampling",
         evaluate=evaluate_gpt, generate=generate_gpt,
         epochs=50, batch_size=32, lr=2e-3, optimizer="adamw", max_minutes=10.0)(train_gpt)
