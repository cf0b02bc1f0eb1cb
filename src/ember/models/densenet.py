"""DenseNet-121 (Huang et al. 2016) with torchvision's structure: ``features`` (``conv0``/``norm0``/``relu0``/
``pool0``, ``denseblock1``..``denseblock4`` of ``denselayer1``.., ``transition1``..``transition3``, ``norm5``) and
``classifier``, so ``state_dict`` keys equal torchvision's; 7,978,856 parameters for 1000 classes.

Each dense layer sees the concatenation of every earlier feature map of its block and adds ``growth_rate`` new
channels (BN-ReLU-1×1 conv to ``bn_size × growth_rate`` channels, then BN-ReLU-3×3 conv); transitions halve the
channels (1×1 conv) and the resolution (2×2 average pool). d2l (section 8.7) writes a smaller one the same way.

``small_input=True`` for 28×28 / 32×32 images: the 7×7 stride-2 stem becomes a 3×3 stride-1 convolution and
``pool0`` an ``nn.Identity``; the three transitions still bring 32×32 down to 4×4. Other keys and shapes are
unchanged.
"""
from __future__ import annotations

from collections import OrderedDict

from .. import nn
from ..ops.shape import cat
from . import register_model

__all__ = ["DenseNet", "densenet121"]


class _DenseLayer(nn.Module):
    def __init__(self, num_input_features: int, growth_rate: int, bn_size: int, drop_rate: float):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1, stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1, padding=1, bias=False)
        self.drop_rate = float(drop_rate)

    def forward(self, features):
        # ``features``: the list of every earlier map in the block (the dense connectivity).
        x = cat(features, 1) if isinstance(features, (list, tuple)) else features
        x = self.conv1(self.relu1(self.norm1(x)))
        x = self.conv2(self.relu2(self.norm2(x)))
        if self.drop_rate > 0:
            x = nn.functional.dropout(x, p=self.drop_rate, training=self.training)
        return x


class _DenseBlock(nn.ModuleDict):
    def __init__(self, num_layers: int, num_input_features: int, bn_size: int, growth_rate: int,
                 drop_rate: float):
        super().__init__()
        for i in range(num_layers):
            layer = _DenseLayer(num_input_features + i * growth_rate, growth_rate, bn_size, drop_rate)
            self.add_module(f"denselayer{i + 1}", layer)

    def forward(self, init_features):
        features = [init_features]
        for layer in self.values():
            features.append(layer(features))
        return cat(features, 1)


class _Transition(nn.Sequential):
    def __init__(self, num_input_features: int, num_output_features: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """``DenseNet(growth_rate=32, block_config=(6, 12, 24, 16), num_init_features=64, bn_size=4, drop_rate=0,
    num_classes=1000, in_channels=3, small_input=False)``; the defaults are DenseNet-121."""

    default_input_size = (3, 224, 224)

    def __init__(self, growth_rate: int = 32, block_config=(6, 12, 24, 16), num_init_features: int = 64,
                 bn_size: int = 4, drop_rate: float = 0.0, num_classes: int = 1000, in_channels: int = 3,
                 small_input: bool = False):
        super().__init__()
        if small_input:
            stem = [("conv0", nn.Conv2d(in_channels, num_init_features, kernel_size=3, stride=1, padding=1,
                                        bias=False)),
                    ("norm0", nn.BatchNorm2d(num_init_features)), ("relu0", nn.ReLU(inplace=True)),
                    ("pool0", nn.Identity())]
        else:
            stem = [("conv0", nn.Conv2d(in_channels, num_init_features, kernel_size=7, stride=2, padding=3,
                                        bias=False)),
                    ("norm0", nn.BatchNorm2d(num_init_features)), ("relu0", nn.ReLU(inplace=True)),
                    ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1))]
        self.features = nn.Sequential(OrderedDict(stem))

        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            block = _DenseBlock(num_layers, num_features, bn_size, growth_rate, drop_rate)
            self.features.add_module(f"denseblock{i + 1}", block)
            num_features += num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}", _Transition(num_features, num_features // 2))
                num_features //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)
        self.default_input_size = (in_channels, 32, 32) if small_input else (in_channels, 224, 224)

        for m in self.modules():       # torchvision's initialisation
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.features(x).relu()
        x = nn.functional.adaptive_avg_pool2d(x, (1, 1)).flatten(1)
        return self.classifier(x)


@register_model("densenet121")
def densenet121(**kwargs) -> DenseNet:
    """DenseNet-121: growth 32, blocks (6, 12, 24, 16), 64 initial features."""
    return DenseNet(32, (6, 12, 24, 16), 64, **kwargs)
