"""Training recipes: what `ember train NAME` runs.

A recipe is a function ``train(args) -> dict`` registered under one or more model names. It builds the data,
the model and the optimiser from ``args`` (an ``argparse.Namespace`` whose fields are the CLI flags, with the
recipe's defaults filled in), trains, writes ``checkpoint.safetensors``, ``curves.png`` and ``metrics.json`` into
``args.out`` and returns the metrics it wrote.

Checkpoints written by a recipe carry ``{"recipe": name, "args": {...}}`` so that ``ember eval``,
``ember generate`` and ``ember translate`` can find the recipe that knows how to rebuild the model.

Recipes live in the modules listed in ``_RECIPE_MODULES``; they are imported on first lookup, so that
``import ember`` stays light.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["Recipe", "register", "get_recipe", "recipe_names"]

# Modules that register recipes when imported (kept explicit so a reader can find every recipe).
_RECIPE_MODULES = (
    "ember.recipes.vision",
    "ember.recipes.language_model",
    "ember.recipes.seq2seq",
    "ember.recipes.transformer",
    "ember.recipes.bert",
    "ember.recipes.csi",
)


@dataclass(frozen=True)
class Recipe:
    name: str
    task: str                       # "classification", "regression", "language-model", "translation", "pretraining"
    default_dataset: str
    datasets: tuple[str, ...]       # the datasets this recipe accepts (lower-case CLI names)
    train: Callable[[Any], dict]
    description: str = ""
    defaults: dict = field(default_factory=dict)   # epochs, batch_size, lr, optimizer, ...
    evaluate: Callable[[dict, Any], dict] | None = None        # (checkpoint dict, args) -> metrics
    generate: Callable[[dict, Any], str] | None = None         # (checkpoint dict, args) -> text
    translate: Callable[[dict, Any], str] | None = None        # (checkpoint dict, args) -> text


_REGISTRY: dict[str, Recipe] = {}
_loaded = False


def register(*names: str, task: str, default_dataset: str, datasets: tuple[str, ...] | None = None,
             description: str = "", evaluate=None, generate=None, translate=None, **defaults):
    """Decorator: register ``train(args) -> metrics`` under each of ``names``.

    ``args.model`` tells the function which of its names it was called as."""
    def deco(train):
        for name in names:
            if name in _REGISTRY:
                raise ValueError(f"recipe {name!r} is registered twice")
            _REGISTRY[name] = Recipe(name=name, task=task, default_dataset=default_dataset,
                                     datasets=tuple(datasets or (default_dataset,)), train=train,
                                     description=description, defaults=dict(defaults), evaluate=evaluate,
                                     generate=generate, translate=translate)
        return train
    return deco


def _load_all():
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in _RECIPE_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name != module:      # a real missing dependency inside an existing recipe module
                raise


def recipe_names() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def get_recipe(name: str) -> Recipe:
    _load_all()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; valid models: {', '.join(sorted(_REGISTRY))}") from None
