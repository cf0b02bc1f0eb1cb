"""Pieces every recipe needs: the optimiser by CLI name, settings from ``args`` over defaults, the arguments as a
checkpoint records them, the per-epoch checkpoint callback, and text sampling and evaluation of a language model."""
from __future__ import annotations

import os
import time

from ..training import Callback

__all__ = ["make_optimizer", "hparams", "args_dict", "record_args", "checkpoint_path", "fit_and_save",
           "SaveEachEpoch", "sample_text", "evaluate_lm"]


def make_optimizer(name, params, lr, *, choices=None, **options):
    """``ember.optim.<name>(params, lr=lr, **options)`` for a CLI optimiser name (case-insensitive).

    ``choices`` limits the names a recipe accepts; an unknown name raises ``ValueError`` listing them."""
    import ember.optim as optim
    classes = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW, "rmsprop": optim.RMSprop,
               "adagrad": optim.Adagrad, "nadam": optim.NAdam, "radam": optim.RAdam}
    choices = tuple(choices or classes)
    key = (name or "").lower()
    if key not in choices:
        raise ValueError(f"unknown optimizer {name!r}; valid optimizers: {', '.join(choices)}")
    return classes[key](params, lr=lr, **options)


def hparams(args, defaults):
    """``defaults`` overridden by any of their keys that ``args`` sets (not None)."""
    hp = dict(defaults)
    for key in hp:
        if getattr(args, key, None) is not None:
            hp[key] = getattr(args, key)
    return hp


def args_dict(args):
    """The CLI arguments as a plain dict of scalars (what a checkpoint stores under "args")."""
    return {k: v for k, v in vars(args).items() if v is None or isinstance(v, (bool, int, float, str))}


def record_args(args, hp):
    """What a checkpoint stores under "args": the CLI scalars that are set, plus the resolved settings ``hp``."""
    record = {k: v for k, v in args_dict(args).items() if v is not None}
    record.update({k: v for k, v in hp.items() if v is not None})
    return record


def checkpoint_path(args):
    """``args.out/checkpoint.safetensors``, creating ``args.out``."""
    os.makedirs(args.out, exist_ok=True)
    return os.path.join(args.out, "checkpoint.safetensors")


def fit_and_save(trainer, args, train_loader, val_loader, extra):
    """Resume from ``args.resume`` if given, train up to ``args.epochs`` and write the final checkpoint (with
    ``extra``) to ``args.out``. Returns the wall and CPU seconds the training took."""
    if getattr(args, "resume", None):
        trainer.load_checkpoint(args.resume)
        print(f"resumed from {args.resume} at epoch {trainer.epoch}")
    t0, cpu0 = time.perf_counter(), time.process_time()
    trainer.fit(train_loader, val_loader, epochs=args.epochs)
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - cpu0
    trainer.save_checkpoint(checkpoint_path(args), extra=extra)
    return seconds, cpu_seconds


class SaveEachEpoch(Callback):
    """Keep ``checkpoint.safetensors`` current after every epoch, so ``--resume`` can pick up a killed run."""

    def __init__(self, path, extra):
        self.path, self.extra = path, extra

    def on_epoch_end(self, trainer, epoch, logs):
        trainer.save_checkpoint(self.path, extra=self.extra)


def sample_text(model, vocab, prompt, length, token="char", temperature=1.0, top_k=None, greedy=False,
                generator=None):
    """``prompt`` continued by ``length`` sampled tokens of a language model (``ember.models.decoding.sample``).

    ``token`` is "char" or "word" (how the prompt is split and the output joined); an empty prompt starts from a
    newline (characters) or ``<unk>`` (words), which is not printed."""
    from ..models.decoding import sample
    from ..text import WordTokenizer
    tokens = list(prompt) if token == "char" else WordTokenizer()(prompt)
    ids = vocab[tokens] if tokens else [vocab["\n"] if token == "char" else vocab.unk]
    ids = sample(model, ids, length, temperature=temperature, top_k=top_k, greedy=greedy, generator=generator)
    out = vocab.to_tokens(ids if tokens else ids[1:])
    return "".join(out) if token == "char" else " ".join(out)


def evaluate_lm(trainer_cls, model, vocab, saved, args, token, num_steps, default_batch_size):
    """Validation loss and perplexity of a restored language model on its dataset's held-out text
    (``ember eval CKPT`` of the LM recipes). ``saved`` is the checkpoint's recorded arguments."""
    import ember
    from ..text import SeqDataLoader, load_corpus
    dataset = getattr(args, "dataset", None) or saved["dataset"]
    tokens = load_corpus(dataset, token, train=False, root=getattr(args, "root", None))
    if saved.get("max_tokens", -1) > 0 and dataset == saved.get("dataset"):
        tokens = tokens[:saved["max_tokens"]]              # the held-out text the training run scored
    batch_size = getattr(args, "batch_size", None) or saved.get("batch_size", default_batch_size)
    loader = SeqDataLoader(vocab[tokens], batch_size, num_steps, offset=0)
    trainer = trainer_cls(model, ember.optim.SGD(model.parameters(), lr=0.0), metrics=("perplexity",),
                          progress=False, device=getattr(args, "device", "cpu"))
    result = trainer.evaluate(loader)
    return {"val_loss": result["loss"], "val_perplexity": result["perplexity"]}
