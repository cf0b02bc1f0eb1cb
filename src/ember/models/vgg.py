"""VGG (Simonyan & Zisserman 2014) with torchvision's structure: ``features`` built from a configuration list
(channel counts and "M" for a 2×2 max-pool), ``avgpool`` (adaptive, 7×7) and ``classifier`` (4096, 4096,
``num_classes`` with dropout), so ``state_dict`` keys equal torchvision's. VGG-11 has 132,863,336 and VGG-16
138,357,544 parameters for 1000 classes; ``batch_norm=True`` inserts BatchNorm after every convolution
(torchvision's ``vgg11_bn``/``vgg16_bn``). d2l builds the same network from ``vgg_block``s (section 8.2).

``small_input=True`` for 28×28 / 32×32 images (the usual CIFAR VGG): the last max-pool of the configuration is
dropped (five halvings would shrink 28×28 to nothing), ``avgpool`` is adaptive to 1×1 and the classifier's
hidden layers are 512 wide; the convolutions, their indices and shapes are unchanged.
"""
from __future__ import annotations

from .. import nn
from . import register_model

__all__ = ["VGG", "make_layers", "cfgs", "vgg11", "vgg16"]

# torchvision's configurations: "A" is VGG-11, "B" VGG-13, "D" VGG-16, "E" VGG-19.
cfgs = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def make_layers(cfg, batch_norm: bool = False, in_channels: int = 3) -> nn.Sequential:
    """Turn a configuration list (ints: 3×3 conv channels, "M": 2×2 max-pool) into VGG's ``features``."""
    layers = []
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
            raise ValueError(f"make_layers(): cfg entries must be positive ints or 'M', got {v!r}")
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """``VGG(cfg="D", batch_norm=False, num_classes=1000, in_channels=3, small_input=False, dropout=0.5)``.

    ``cfg`` is a key of :data:`cfgs` ("A" VGG-11, "B" VGG-13, "D" VGG-16, "E" VGG-19) or a list such as
    ``[64, "M", 128, "M"]``. Also accepts a ready ``features`` module (torchvision's signature) via ``features=``.
    """

    default_input_size = (3, 224, 224)

    def __init__(self, cfg="D", batch_norm: bool = False, num_classes: int = 1000, in_channels: int = 3,
                 small_input: bool = False, dropout: float = 0.5, init_weights: bool = True, features=None):
        super().__init__()
        if features is None:
            if isinstance(cfg, str):
                if cfg not in cfgs:
                    raise ValueError(f"VGG(): unknown cfg {cfg!r}; valid: {sorted(cfgs)} or a list")
                cfg = cfgs[cfg]
            cfg = list(cfg)
            if small_input and cfg and cfg[-1] == "M":
                cfg = cfg[:-1]
            features = make_layers(cfg, batch_norm, in_channels)
        out_channels = [m.out_channels for m in features.modules() if isinstance(m, nn.Conv2d)][-1]
        pooled, hidden = (1, 512) if small_input else (7, 4096)
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((pooled, pooled))
        self.classifier = nn.Sequential(
            nn.Linear(out_channels * pooled * pooled, hidden), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(hidden, hidden), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(hidden, num_classes),
        )
        self.default_input_size = (in_channels, 32, 32) if small_input else (in_channels, 224, 224)
        if init_weights:       # torchvision's initialisation
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.avgpool(self.features(x)).flatten(1)
        return self.classifier(x)


@register_model("vgg11")
def vgg11(**kwargs) -> VGG:
    """VGG-11 (configuration "A"); ``batch_norm=True`` for ``vgg11_bn``."""
    return VGG("A", **kwargs)


@register_model("vgg16")
def vgg16(**kwargs) -> VGG:
    """VGG-16 (configuration "D"); ``batch_norm=True`` for ``vgg16_bn``."""
    return VGG("D", **kwargs)
