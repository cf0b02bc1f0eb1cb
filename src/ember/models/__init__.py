"""``ember.models``: the model zoo, by name.

    model = ember.models.get_model("resnet18", num_classes=10, in_channels=1, small_input=True)
    ember.models.list_models()        # every registered name

Vision models (torchvision's module structure and ``state_dict`` keys where torchvision has the model, so its
checkpoints load) all take ``num_classes=``, ``in_channels=`` and ``small_input=`` (d2l's variant for 28×28 /
32×32 images; each model's docstring says what it changes) and carry ``default_input_size`` (C, H, W).
The builders are also importable directly: ``ember.models.resnet18(...)``, ``ember.models.LeNet(...)``, ...

Adding a model: decorate a builder ``fn(**kwargs) -> Module`` with ``@register_model("name")`` in its own module,
then import that module once below (one line), so that ``get_model`` finds it.
"""
from __future__ import annotations

from typing import Callable

__all__ = ["get_model", "list_models", "register_model"]

_MODELS: dict[str, Callable] = {}


def register_model(*names: str):
    """Decorator: make ``get_model(name, **kwargs)`` call the decorated builder for each of ``names``."""
    def deco(builder):
        for name in names:
            if name in _MODELS:
                raise ValueError(f"register_model(): model {name!r} is registered twice")
            _MODELS[name] = builder
        return builder
    return deco


def list_models() -> list[str]:
    """The names ``get_model`` accepts, sorted."""
    return sorted(_MODELS)


def get_model(name: str, **kwargs):
    """Build the model registered as ``name`` (case-insensitive) with the builder's keyword arguments."""
    if not isinstance(name, str):
        raise TypeError(f"get_model(): argument 'name' must be str, not {type(name).__name__}")
    try:
        builder = _MODELS[name.lower()]
    except KeyError:
        raise ValueError(f"get_model(): unknown model {name!r}; valid models: {', '.join(list_models())}") from None
    return builder(**kwargs)


# Vision models (the CNN zoo) and the CSI-feedback autoencoder: each module registers its names on import.
from .lenet import LeNet, lenet, lenet5  # noqa: E402,F401
from .alexnet import AlexNet, alexnet  # noqa: E402,F401
from .vgg import VGG, vgg11, vgg16  # noqa: E402,F401
from .nin import NiN, nin  # noqa: E402,F401
from .googlenet import GoogLeNet, googlenet  # noqa: E402,F401
from .resnet import ResNet, BasicBlock, Bottleneck, resnet18, resnet34, resnet50  # noqa: E402,F401
from .densenet import DenseNet, densenet121  # noqa: E402,F401
from .csinet import CsiNet, csinet, nmse  # noqa: E402,F401

# Text models: one import line per module (it registers its names with @register_model).
from . import bert  # noqa: E402,F401  ("bert-mini")
from . import transformer_mt, gpt  # noqa: E402,F401  ("transformer-mt", "gpt-mini")
from . import rnn_lm, seq2seq  # noqa: E402,F401  ("rnn-lm", "gru-lm", "lstm-lm", "seq2seq", "seq2seq-attn")
