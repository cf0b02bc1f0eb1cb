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


import ember
import ember.nn.functional as F
from ember.recipes import register
from ember.recipes._common import evaluate_lm, fit_and_save, hparams, make_optimizer, record_args, sample_text
from ember.training import TimeLimit, Trainer, write_run

# Defaults chosen to pass validation perplexity 5.5 well inside 10 minutes on 2 CPU cores (see the README).
MODEL_DEFAULTS = dict(num_hiddens=256, num_layers=2, embed_size=64, dropout=0.0, num_steps=64, clip=1.0,
                      token="char", max_tokens=-1, use_random_iter=False)
SAMPLE_PROMPT = {"shakespeare": "ROMEO:", "timemachine": "the time traveller", "wikitext2": "The"}


def time_limits(args):
    """The callbacks for ``args.max_cpu_minutes`` (Python-only setting; ``--max-minutes`` is the trainer's)."""
    cpu = getattr(args, "max_cpu_minutes", None)
    return [] if cpu is None else [TimeLimit(cpu, cpu_time=True)]


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


def _build_model(name, vocab_size, hp):
    from ember.models import get_model
    return get_model(name, vocab_size=vocab_size, num_hiddens=hp["num_hiddens"], num_layers=hp["num_layers"],
                     embed_size=hp["embed_size"], dropout=hp["dropout"])


def train(args):
    from ember.text import load_data_lm
    hp = hparams(args, MODEL_DEFAULTS)
    ember.manual_seed(args.seed)
    train_iter, val_iter, vocab = load_data_lm(args.batch_size, hp["num_steps"], dataset=args.dataset,
                                               token=hp["token"], max_tokens=hp["max_tokens"],
                                               use_random_iter=hp["use_random_iter"],
                                               root=getattr(args, "root", None),
                                               download=getattr(args, "download", False))
    model = _build_model(args.model, len(vocab), hp)
    optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr, choices=("adam", "adamw", "sgd", "rmsprop"))
    trainer = LanguageModelTrainer(model, optimizer, metrics=("perplexity",), clip_grad_norm=hp["clip"],
                                   use_random_iter=hp["use_random_iter"], device=args.device,
                                   progress=not getattr(args, "no_progress", False), max_minutes=args.max_minutes,
                                   callbacks=time_limits(args))
    seconds, cpu_seconds = fit_and_save(trainer, args, train_iter, val_iter,
                                        extra={"recipe": args.model, "args": record_args(args, hp),
                                               "vocab": vocab.state_dict()})
    history = trainer.history
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
        "sample": sample_text(model, vocab, prompt, 200, hp["token"], temperature=0.8, top_k=10,
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
    model, vocab, saved, hp = _restore(ckpt, getattr(args, "device", "cpu"))
    return evaluate_lm(LanguageModelTrainer, model, vocab, saved, args, hp["token"], hp["num_steps"], 64)


def generate(ckpt, args):
    """Text sampled from a checkpoint (``ember generate CKPT --prompt ...``)."""
    model, vocab, saved, hp = _restore(ckpt, getattr(args, "device", "cpu"))
    generator = ember.Generator().manual_seed(getattr(args, "seed", 0))
    return sample_text(model, vocab, args.prompt, args.length, hp["token"], temperature=args.temperature,
                        top_k=args.top_k, greedy=getattr(args, "greedy", False), generator=generator)


register("rnn-lm", "gru-lm", "lstm-lm", task="language-model", default_dataset="shakespeare",
         datasets=("shakespeare", "timemachine", "wikitext2"),
         description="character-level RNN/GRU/LSTM language model (perplexity)",
         evaluate=evaluate, generate=generate,
         epochs=30, batch_size=32, lr=2e-3, optimizer="adam", max_minutes=10.0)(train)
