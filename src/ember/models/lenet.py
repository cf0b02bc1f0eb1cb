"""LeNet-5 as d2l writes it (section 7.6): two 5×5 convolutions with average pooling, three dense layers.

``LeNet()`` is d2l's network for 28×28 Fashion-MNIST/MNIST: the first convolution pads by 2 so the 28×28 input
behaves like LeCun's 32×32 one. ``LeNet(small_input=False)`` (registered as "lenet5") is the classic layout:
a 32×32 input and no padding. Both have the same 61,706 parameters for 10 classes and one input channel.

It is an ``nn.Sequential`` with d2l's layer order, so its ``state_dict`` keys ("0.weight", "3.weight",
"7.weight", ...) are those of d2l's ``nn.Sequential`` LeNet in PyTorch.
"""
from __future__ import annotations

from .. import nn
from . import register_model

__all__ = ["LeNet", "lenet", "lenet5"]

_ACTIVATIONS = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh}
_POOLS = {"avg": nn.AvgPool2d, "max": nn.MaxPool2d}


class LeNet(nn.Sequential):
    """d2l's LeNet: conv(6, 5×5) → act → pool → conv(16, 5×5) → act → pool → 120 → 84 → ``num_classes``.

    Args:
        num_classes: output logits.
        in_channels: image channels (1 for MNIST).
        small_input: True (default) for 28×28 images (first conv padded by 2); False for LeNet-5's 32×32 input.
        activation: "sigmoid" (d2l and LeCun), "relu" or "tanh".
        pool: "avg" (d2l) or "max".
        batch_norm: insert BatchNorm after every conv and hidden dense layer, as d2l's section 8.5 does
            (changes the Sequential indices, so the keys differ from the plain network's).
    """

    default_input_size = (1, 28, 28)

    def __init__(self, num_classes: int = 10, in_channels: int = 1, small_input: bool = True,
                 activation: str = "sigmoid", pool: str = "avg", batch_norm: bool = False):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"LeNet(): activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
        if pool not in _POOLS:
            raise ValueError(f"LeNet(): pool must be one of {sorted(_POOLS)}, got {pool!r}")
        act, pool_cls = _ACTIVATIONS[activation], _POOLS[pool]

        def block(layer, bn):
            return [layer] + ([bn] if batch_norm else []) + [act()]

        layers = [*block(nn.Conv2d(in_channels, 6, kernel_size=5, padding=2 if small_input else 0),
                         nn.BatchNorm2d(6)),
                  pool_cls(kernel_size=2, stride=2),
                  *block(nn.Conv2d(6, 16, kernel_size=5), nn.BatchNorm2d(16)),
                  pool_cls(kernel_size=2, stride=2),
                  nn.Flatten(),
                  *block(nn.Linear(16 * 5 * 5, 120), nn.BatchNorm1d(120)),
                  *block(nn.Linear(120, 84), nn.BatchNorm1d(84)),
                  nn.Linear(84, num_classes)]
        super().__init__(*layers)
        self.default_input_size = (in_channels, 28, 28) if small_input else (in_channels, 32, 32)


@register_model("lenet")
def lenet(**kwargs) -> LeNet:
    """d2l's LeNet for 28×28 inputs (see :class:`LeNet` for the options)."""
    return LeNet(**kwargs)


@register_model("lenet5")
def lenet5(**kwargs) -> LeNet:
    """The classic LeNet-5 layout for 32×32 inputs (no padding on the first convolution)."""
    kwargs.setdefault("small_input", False)
    return LeNet(**kwargs)
