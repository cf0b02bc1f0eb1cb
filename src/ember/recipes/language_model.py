"""Recipes ``rnn-lm``, ``gru-lm``, ``lstm-lm``: character (or word) language models on Shakespeare (d2l 9.5/10.3).

    ember train lstm-lm                          # 2-layer LSTM on the embedded Shakespeare, characters
    ember generate runs/<stamp>/checkpoint.safetensors --prompt "ROMEO:" --temperature 0.8 --top-k 10

Training reads the corpus with sequential partitioning, so each batch row continues the previous batch's row:
the hidden state is carried over from batch to batch and detached (truncated backpropagation through time), and
reset at the start of every pass. The loss is the per-character cross-entropy, the metric its exponential,
perplexity. Model sizes and sequence length can be set on ``args`` (``num_hiddens``, ``num_layers``,
``embed_size``, ``num_steps``, ``dropout``, ``clip``, ``token``, ``max_tokens``, ``use_random_iter``) when the
recipe is called from Python; the CLI uses the defaults below.
"""
from __future__ import annotations

import os
import time

import ember
import ember.nn.functional as F
from ember.recipes import register
from ember.training import Callback, Trainer, write_run

# Defaults chosen to pass validation perplexity 5.5 well inside 10 minutes on 2 CPU cores (see the README).
MODEL_DEFAULTS = dict(num_hiddens=256, num_layers=2, embed_size=64, dropout=0.0, num_steps=64, clip=1.0,
                      token="char", max_tokens=-1, use_random_iter=False)
SAMPLE_PROMPT = {"shakespeare": "ROMEO:", "timemachine": "the time traveller", "wikitext2": "The"}


class CPUTimeLimit(Callback):
    """Stop cleanly once this process has used ``max_cpu_minutes`` of CPU time since ``fit`` started (all threads
    counted). On a machine shared with other jobs, wall time says little about the work done; with one BLAS
    thread, 10 CPU-minutes are what 10 minutes of a quiet core give. ``args.max_cpu_minutes`` sets it."""

    def __init__(self, max_cpu_minutes):
        self.max_seconds = float(max_cpu_minutes) * 60.0
        self.start = None

    def on_fit_start(self, trainer):
        self.start = time.process_time()

    def on_train_batch_end(self, trainer, batch_idx, logs):
        if time.process_time() - self.start >= self.max_seconds and not trainer.stop_training:
            trainer.stop_training = True
            trainer.log(f"CPU time limit of {self.max_seconds / 60:g} minutes reached: stopping")


def time_limits(args):
    """The callbacks for ``args.max_cpu_minutes`` (Python-only setting; ``--max-minutes`` is the trainer's)."""
    cpu = getattr(args, "max_cpu_minutes", None)
    return [] if cpu is None else [CPUTimeLimit(cpu)]


class LanguageModelTrainer(Trainer):
    """``Trainer`` for ``(X, Y)`` language-model batches; counts tokens, not sequences. With sequential
    partitioning (the default) the hidden state is carried from batch to batch, detached (truncated BPTT), and
    reset at every pass; with ``use_random_iter=True`` the batches are not adjacent text, so every batch starts
    from a zero state."""

    state = None

    def __init__(self, *args, use_random_iter=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.use_random_iter = use_random_iter

    def on_epoch_start(self, epoch, train):
        self.state = None

    def training_step(self, batch):
        from ember.models.rnn_lm import detach_state
        X, Y = batch
        if self.use_random_iter and self.model.training:
            self.state = None
        logits, state = self.model(X, detach_state(self.state))
        self.state = state
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), Y.reshape(-1))
        return {"loss": loss, "n": Y.numel()}


def _hparams(args):
    """The model/data settings: ``MODEL_DEFAULTS`` overridden by any that ``args`` sets."""
    hp = dict(MODEL_DEFAULTS)
    for key in hp:
        if getattr(args, key, None) is not None:
            hp[key] = getattr(args, key)
    return hp


def _build_model(name, vocab_size, hp):
    from ember.models import get_model
    return get_model(name, vocab_size=vocab_size, num_hiddens=hp["num_hiddens"], num_layers=hp["num_layers"],
                     embed_size=hp["embed_size"], dropout=hp["dropout"])


def _make_optimizer(name, params, lr):
    optimizers = {"adam": ember.optim.Adam, "adamw": ember.optim.AdamW, "sgd": ember.optim.SGD,
                  "rmsprop": ember.optim.RMSprop}
    try:
        return optimizers[name.lower()](params, lr=lr)
    except KeyError:
        raise ValueError(f"unknown optimizer {name!r}; valid optimizers: {', '.join(optimizers)}") from None


def _join(vocab_tokens, token):
    return "".join(vocab_tokens) if token == "char" else " ".join(vocab_tokens)


def _encode_prompt(prompt, vocab, token):
    from ember.text import WordTokenizer
    tokens = list(prompt) if token == "char" else WordTokenizer()(prompt)
    return vocab[tokens] if tokens else [vocab["\n"] if token == "char" else vocab.unk]


def _sample_text(model, vocab, token, prompt, length, temperature=1.0, top_k=None, greedy=False, generator=None):
    from ember.models.decoding import sample
    ids = sample(model, _encode_prompt(prompt, vocab, token), length, temperature=temperature, top_k=top_k,
                 greedy=greedy, generator=generator)
    return _join(vocab.to_tokens(ids), token) if prompt else _join(vocab.to_tokens(ids[1:]), token)


def train(args):
    from ember.text import load_data_lm
    hp = _hparams(args)
    ember.manual_seed(args.seed)
    train_iter, val_iter, vocab = load_data_lm(args.batch_size, hp["num_steps"], dataset=args.dataset,
                                               token=hp["token"], max_tokens=hp["max_tokens"],
                                               use_random_iter=hp["use_random_iter"],
                                               root=getattr(args, "root", None),
                                               download=getattr(args, "download", False))
    model = _build_model(args.model, len(vocab), hp)
    optimizer = _make_optimizer(args.optimizer, model.parameters(), args.lr)
    trainer = LanguageModelTrainer(model, optimizer, metrics=("perplexity",), clip_grad_norm=hp["clip"],
                                   use_random_iter=hp["use_random_iter"], device=args.device,
                                   progress=not getattr(args, "no_progress", False), max_minutes=args.max_minutes,
                                   callbacks=time_limits(args))
    if getattr(args, "resume", None):
        trainer.load_checkpoint(args.resume)
    t0, cpu0 = time.perf_counter(), time.process_time()
    history = trainer.fit(train_iter, val_iter, epochs=args.epochs)
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - cpu0

    os.makedirs(args.out, exist_ok=True)
    record = {key: value for key, value in vars(args).items() if isinstance(value, (str, int, float, bool))}
    record.update(hp)
    trainer.save_checkpoint(os.path.join(args.out, "checkpoint.safetensors"),
                            extra={"recipe": args.model, "args": record, "vocab": vocab.state_dict()})
    prompt = SAMPLE_PROMPT.get(args.dataset, "")
    generator = ember.Generator().manual_seed(args.seed)
    metrics = {
        "val_perplexity": history["val_perplexity"][-1],
        "train_perplexity": history["perplexity"][-1],
        "val_loss": history["val_loss"][-1],
        "epochs": trainer.epoch,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu_seconds, 1),
        "tokens_per_sec": round(sum(history["samples_per_sec"]) / len(history["samples_per_sec"]), 1),
        "vocab_size": len(vocab),
        "parameters": sum(p.numel() for p in model.parameters()),
        "sample": _sample_text(model, vocab, hp["token"], prompt, 200, temperature=0.8, top_k=10,
                               generator=generator),
    }
    write_run(args.out, history, metrics, title=f"{args.model} on {args.dataset}")
    return metrics


def _restore(ckpt, device="cpu"):
    from ember.text import Vocab
    saved = ckpt["args"]
    vocab = Vocab.from_state_dict(ckpt["vocab"])
    hp = {key: saved.get(key, default) for key, default in MODEL_DEFAULTS.items()}
    model = _build_model(ckpt["recipe"], len(vocab), hp).to(device)
    model.load_state_dict(ckpt["model"])
    model.eval()
    return model, vocab, saved, hp


def evaluate(ckpt, args):
    """Validation perplexity of a checkpoint on its dataset's held-out part (``ember eval CKPT``)."""
    from ember.text import SeqDataLoader, load_corpus
    model, vocab, saved, hp = _restore(ckpt, getattr(args, "device", "cpu"))
    dataset = getattr(args, "dataset", None) or saved["dataset"]
    tokens = load_corpus(dataset, hp["token"], train=False, root=getattr(args, "root", None))
    batch_size = getattr(args, "batch_size", None) or saved.get("batch_size", 64)
    loader = SeqDataLoader(vocab[tokens], batch_size, hp["num_steps"], offset=0)
    trainer = LanguageModelTrainer(model, ember.optim.SGD(model.parameters(), lr=0.0), metrics=("perplexity",),
                                   progress=False, device=getattr(args, "device", "cpu"))
    result = trainer.evaluate(loader)
    return {"val_loss": result["loss"], "val_perplexity": result["perplexity"]}


def generate(ckpt, args):
    """Text sampled from a checkpoint (``ember generate CKPT --prompt ...``)."""
    model, vocab, saved, hp = _restore(ckpt, getattr(args, "device", "cpu"))
    generator = ember.Generator().manual_seed(getattr(args, "seed", 0))
    return _sample_text(model, vocab, hp["token"], args.prompt, args.length, temperature=args.temperature,
                        top_k=args.top_k, greedy=getattr(args, "greedy", False), generator=generator)


register("rnn-lm", "gru-lm", "lstm-lm", task="language-model", default_dataset="shakespeare",
         datasets=("shakespeare", "timemachine", "wikitext2"),
         description="character-level RNN/GRU/LSTM language model (perplexity)",
         evaluate=evaluate, generate=generate,
         epochs=30, batch_size=32, lr=2e-3, optimizer="adam", max_minutes=10.0)(train)
