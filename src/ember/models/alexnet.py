"""AlexNet (Krizhevsky et al. 2012) in torchvision's single-GPU form: ``features`` (five convolutions, three
max-pools), ``avgpool`` (adaptive, 6×6) and ``classifier`` (dropout, 4096, 4096, ``num_classes``), so the
``state_dict`` keys equal torchvision's; 61,100,840 parameters for 1000 classes. d2l's chapter 8.1 network is
the same shape with 96/256/384/384/256 channels; torchvision's (and ours) uses 64/192/384/256/256.

``small_input=True`` for 28×28 / 32×32 images: the 11×11 stride-4 stem becomes a 3×3 stride-1 convolution, the
three 3×3 stride-2 max-pools become 2×2 ones, ``avgpool`` is adaptive to 3×3 and the hidden dense layers are 1024
wide (four times smaller), so it trains on a CPU; the convolution channels and layer indices are unchanged.
"""
from __future__ import annotations

from .. import nn
from . import register_model

__all__ = ["AlexNet", "alexnet"]


class AlexNet(nn.Module):
    """``AlexNet(num_classes=1000, in_channels=3, small_input=False, dropout=0.5)``."""

    default_input_size = (3, 224, 224)

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, small_input: bool = False,
                 dropout: float = 0.5):
        super().__init__()
        if small_input:
            stem, pool, pooled, hidden = nn.Conv2d(in_channels, 64, kernel_size=3, padding=1), 2, 3, 1024
        else:
            stem, pool, pooled, hidden = nn.Conv2d(in_channels, 64, kernel_size=11, stride=4, padding=2), 3, 6, 4096
        self.features = nn.Sequential(
            stem, nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=pool, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=pool, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=pool, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((pooled, pooled))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * pooled * pooled, hidden), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, num_classes),
        )
        self.default_input_size = (in_channels, 28, 28) if small_input else (in_channels, 224, 224)

    def forward(self, x):
        x = self.avgpool(self.features(x)).flatten(1)
        return self.classifier(x)


@register_model("alexnet")
def alexnet(**kwargs) -> AlexNet:
    """AlexNet (see :class:`AlexNet`)."""
    return AlexNet(**kwargs)
