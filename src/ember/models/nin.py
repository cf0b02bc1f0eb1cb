"""Network in Network (Lin et al. 2013) as d2l writes it (section 8.3): four NiN blocks (a k×k convolution followed
by two 1×1 convolutions, each with ReLU), max-pools between them, dropout, and a last block with ``num_classes``
channels whose global average is the logits: no dense layer at all.

It is an ``nn.Sequential`` with d2l's layer order (the keys are d2l's: "0.0.weight", "0.2.weight", ...).

``small_input=True`` for 28×28 / 32×32 images: the first block's 11×11 stride-4 convolution becomes a 3×3
stride-1 one (d2l instead resizes Fashion-MNIST to 224×224); everything else is unchanged.
"""
from __future__ import annotations

from .. import nn
from . import register_model

__all__ = ["NiN", "nin_block", "nin"]


def nin_block(in_channels: int, out_channels: int, kernel_size: int, strides: int, padding: int) -> nn.Sequential:
    """d2l's block: conv(k×k) → ReLU → conv(1×1) → ReLU → conv(1×1) → ReLU (1×1 convs = per-pixel MLP)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU())


class NiN(nn.Sequential):
    """``NiN(num_classes=10, in_channels=1, small_input=False, dropout=0.5)``; d2l's defaults (Fashion-MNIST)."""

    default_input_size = (1, 224, 224)

    def __init__(self, num_classes: int = 10, in_channels: int = 1, small_input: bool = False,
                 dropout: float = 0.5):
        first = nin_block(in_channels, 96, 3, 1, 1) if small_input else nin_block(in_channels, 96, 11, 4, 0)
        super().__init__(
            first, nn.MaxPool2d(3, stride=2),
            nin_block(96, 256, kernel_size=5, strides=1, padding=2), nn.MaxPool2d(3, stride=2),
            nin_block(256, 384, kernel_size=3, strides=1, padding=1), nn.MaxPool2d(3, stride=2),
            nn.Dropout(dropout),
            nin_block(384, num_classes, kernel_size=3, strides=1, padding=1),
            nn.AdaptiveAvgPool2d((1, 1)),
            nn.Flatten())
        self.default_input_size = (in_channels, 28, 28) if small_input else (in_channels, 224, 224)


@register_model("nin")
def nin(**kwargs) -> NiN:
    """Network in Network (see :class:`NiN`)."""
    return NiN(**kwargs)
