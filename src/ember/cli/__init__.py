"""The ``ember`` command line: train, evaluate, summarise, generate and translate.

    ember train [MODEL] [--dataset D] [--epochs N] [--batch-size B] [--lr LR] [--optimizer O]
                [--device D] [--out DIR] [--resume CKPT] [--seed S] [--max-minutes M] [--subset N] ...
    ember eval CKPT [--dataset D]
    ember summary MODEL [--input-size C H W]
    ember generate CKPT --prompt "..." [--length N] [--temperature T] [--top-k K]
    ember translate CKPT "sentence" [--beam-size K]
    ember list

``ember train`` with no arguments is the README's main job: LeNet on the embedded MNIST5k.
Each model name maps to a recipe (``ember.recipes``) that knows its data, loss and metrics.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

DEFAULT_MODEL = "lenet"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ember", description="Train and use ember models.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a model (default: LeNet on the embedded MNIST5k)")
    t.add_argument("model", nargs="?", default=DEFAULT_MODEL, help="model name (see `ember list`)")
    t.add_argument("--dataset", help="dataset name (default: the model's own)")
    t.add_argument("--epochs", type=int)
    t.add_argument("--batch-size", type=int)
    t.add_argument("--lr", type=float)
    t.add_argument("--optimizer", help="sgd, adam, adamw, rmsprop, ...")
    t.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    t.add_argument("--out", help="output folder (default: runs/<timestamp>)")
    t.add_argument("--resume", help="checkpoint to resume from")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--root", help="data folder for downloadable datasets (default: $EMBER_HOME or ~/.cache/ember)")
    t.add_argument("--download", action="store_true", help="download the dataset if it is not present")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.add_argument("--max-minutes", type=float, help="stop training after this much wall time")
    t.add_argument("--weight-decay", type=float, help="L2 penalty (the optimiser's weight_decay)")
    t.add_argument("--scheduler", help="learning-rate schedule: onecycle, cosine, step, none (vision recipes)")
    t.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                   help="data augmentation on/off (default: the recipe's)")
    t.add_argument("--accumulate-steps", type=int,
                   help="gradient accumulation: step the optimiser every k batches (effective batch k x B)")
    t.add_argument("--clip-grad-norm", type=float, help="clip the gradient norm to this value")
    t.add_argument("--subset", type=int, help="use only the first N training and test samples (quick checks)")
    t.add_argument("--encoded-dim", type=int, help="csinet: codeword size M (compression M/2048; 512 = 1/4)")

    e = sub.add_parser("eval", help="evaluate a checkpoint on its test set")
    e.add_argument("checkpoint")
    e.add_argument("--dataset")
    e.add_argument("--device", default="cpu")
    e.add_argument("--root")
    e.add_argument("--batch-size", type=int)

    s = sub.add_parser("summary", help="per-layer shapes, parameters and FLOPs of a model")
    s.add_argument("model")
    s.add_argument("--input-size", type=int, nargs="+", help="C H W (default: the model's usual input)")
    s.add_argument("--num-classes", type=int)
    s.add_argument("--in-channels", type=int, help="input channels of a vision model")
    s.add_argument("--small-input", action="store_true", help="the 28x28/32x32 variant of a vision model")

    g = sub.add_parser("generate", help="sample text from a language-model checkpoint")
    g.add_argument("checkpoint")
    g.add_argument("--prompt", default="")
    g.add_argument("--length", type=int, default=200)
    g.add_argument("--temperature", type=float, default=1.0)
    g.add_argument("--top-k", type=int)
    g.add_argument("--greedy", action="store_true")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--device", default="cpu")

    tr = sub.add_parser("translate", help="translate a sentence with a translation checkpoint")
    tr.add_argument("checkpoint")
    tr.add_argument("sentence")
    tr.add_argument("--beam-size", type=int, default=1)
    tr.add_argument("--max-length", type=int, default=40)
    tr.add_argument("--device", default="cpu")

    sub.add_parser("list", help="list the models and their datasets")
    return p


def _fill_defaults(args, recipe):
    """Flags the user left out take the recipe's defaults."""
    for key, value in recipe.defaults.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    if args.dataset is None:
        args.dataset = recipe.default_dataset
    args.dataset = args.dataset.lower()
    if args.dataset not in recipe.datasets:
        raise ValueError(f"unknown dataset {args.dataset!r} for model {recipe.name!r}; "
                         f"valid datasets: {', '.join(recipe.datasets)}")
    if args.out is None:
        args.out = str(Path("runs") / time.strftime("%Y%m%d-%H%M%S"))


def _load_checkpoint(path):
    import ember
    from ember.recipes import get_recipe
    ckpt = ember.load(path)
    if not isinstance(ckpt, dict) or "recipe" not in ckpt:
        raise SystemExit(f"{path}: not a checkpoint written by `ember train` (no 'recipe' entry)")
    return ckpt, get_recipe(ckpt["recipe"])


def _print_metrics(metrics: dict):
    for key, value in metrics.items():
        print(f"{key}: {value:.6g}" if isinstance(value, float) else f"{key}: {value}")


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    from ember.recipes import get_recipe, recipe_names

    try:
        if args.command == "train":
            recipe = get_recipe(args.model)
            _fill_defaults(args, recipe)
            metrics = recipe.train(args)
            _print_metrics(metrics)
            print(f"wrote {args.out}")
        elif args.command == "eval":
            ckpt, recipe = _load_checkpoint(args.checkpoint)
            if recipe.evaluate is None:
                raise SystemExit(f"model {recipe.name!r} has no evaluation")
            _print_metrics(recipe.evaluate(ckpt, args))
        elif args.command in ("generate", "translate"):
            ckpt, recipe = _load_checkpoint(args.checkpoint)
            fn = getattr(recipe, args.command)
            if fn is None:
                raise SystemExit(f"model {recipe.name!r} cannot {args.command}")
            print(fn(ckpt, args))
        elif args.command == "summary":
            import ember
            from ember.models import get_model
            kwargs = {key: value for key, value in (("num_classes", args.num_classes),
                                                    ("in_channels", args.in_channels)) if value is not None}
            if args.small_input:
                kwargs["small_input"] = True
            try:
                model = get_model(args.model, **kwargs)
            except TypeError as e:       # e.g. a text model that needs its vocabulary size
                raise SystemExit(f"ember summary {args.model}: cannot build the model from these flags: {e}")
            input_size = tuple(args.input_size) if args.input_size else getattr(model, "default_input_size", None)
            if input_size is None:
                raise SystemExit(f"ember summary {args.model}: no default input size; give --input-size")
            try:
                print(ember.summary(model, input_size))
            except RuntimeError as e:    # a shape mismatch between the model and --input-size
                raise SystemExit(f"ember summary {args.model}: {e}")
        elif args.command == "list":
            for name in recipe_names():
                r = get_recipe(name)
                print(f"{name:16s} {r.task:16s} datasets: {', '.join(r.datasets)}")
    except ValueError as e:          # unknown model / dataset names: a message, not a traceback
        print(f"ember {args.command}: {e}", file=sys.stderr)
        return 2
    return 0
