"""GoogLeNet / Inception v1 (Szegedy et al. 2014) with torchvision's structure (``conv1``..``conv3``,
``inception3a``..``inception5b``, ``avgpool``/``dropout``/``fc``; every convolution is a ``BasicConv2d`` =
conv without bias + BatchNorm(eps=0.001) + ReLU), so ``state_dict`` keys equal torchvision's; 6,624,904
parameters for 1000 classes without the auxiliary heads (the default, ``aux_logits=False``).

As in torchvision (and its published weights), the "5×5" branch of each Inception block uses a 3×3 kernel; keep
it so that torchvision checkpoints load. d2l (section 8.4) writes the same network with a true 5×5 and no
BatchNorm.

``small_input=True`` for 28×28 / 32×32 images: the 7×7 stride-2 stem becomes a 3×3 stride-1 convolution and the
first max-pool is an ``nn.Identity`` (the ImageNet stem shrinks by 4 before ``conv2``); all other keys and shapes
are unchanged.
"""
from __future__ import annotations

from collections import namedtuple

from .. import nn
from ..ops.shape import cat
from . import register_model

__all__ = ["GoogLeNet", "GoogLeNetOutputs", "Inception", "InceptionAux", "BasicConv2d", "googlenet"]

GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])


class BasicConv2d(nn.Module):
    """conv (no bias: the BatchNorm that follows has one) → BatchNorm(eps=0.001) → ReLU."""

    def __init__(self, in_channels: int, out_channels: int, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        return self.bn(self.conv(x)).relu()


class Inception(nn.Module):
    """Four parallel branches concatenated on channels: 1×1; 1×1→3×3; 1×1→3×3 (torchvision's "5×5");
    3×3 max-pool→1×1. Output channels: ``ch1x1 + ch3x3 + ch5x5 + pool_proj``."""

    def __init__(self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int, ch5x5: int,
                 pool_proj: int):
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(BasicConv2d(in_channels, ch3x3red, kernel_size=1),
                                     BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(BasicConv2d(in_channels, ch5x5red, kernel_size=1),
                                     BasicConv2d(ch5x5red, ch5x5, kernel_size=3, padding=1))
        self.branch4 = nn.Sequential(nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
                                     BasicConv2d(in_channels, pool_proj, kernel_size=1))

    def forward(self, x):
        return cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class InceptionAux(nn.Module):
    """Auxiliary classifier on an intermediate feature map (training only): pool to 4×4 → 1×1 conv → 1024 → logits."""

    def __init__(self, in_channels: int, num_classes: int, dropout: float = 0.7):
        super().__init__()
        self.conv = BasicConv2d(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x):
        x = self.conv(nn.functional.adaptive_avg_pool2d(x, (4, 4))).flatten(1)
        return self.fc2(self.dropout(self.fc1(x).relu()))


class GoogLeNet(nn.Module):
    """``GoogLeNet(num_classes=1000, in_channels=3, small_input=False, aux_logits=False, transform_input=False,
    dropout=0.2, dropout_aux=0.7)``. With ``aux_logits=True`` the forward in training mode returns
    ``GoogLeNetOutputs(logits, aux_logits2, aux_logits1)`` (torchvision's), in eval mode the logits only.
    ``transform_input=True`` (what torchvision's ImageNet weights were trained with) maps an image normalised
    with ImageNet's mean/std to the (x - 0.5) / 0.5 scaling of the original Inception."""

    default_input_size = (3, 224, 224)

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, small_input: bool = False,
                 aux_logits: bool = False, transform_input: bool = False, dropout: float = 0.2,
                 dropout_aux: float = 0.7, init_weights: bool = True):
        super().__init__()
        if transform_input and in_channels != 3:
            raise ValueError(f"GoogLeNet(): transform_input needs in_channels=3 (RGB), got {in_channels}")
        self.aux_logits = aux_logits
        self.transform_input = transform_input
        if small_input:
            self.conv1 = BasicConv2d(in_channels, 64, kernel_size=3, stride=1, padding=1)
            self.maxpool1 = nn.Identity()
        else:
            self.conv1 = BasicConv2d(in_channels, 64, kernel_size=7, stride=2, padding=3)
            self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)

        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)

        if aux_logits:
            self.aux1 = InceptionAux(512, num_classes, dropout=dropout_aux)
            self.aux2 = InceptionAux(528, num_classes, dropout=dropout_aux)
        else:
            self.aux1 = None
            self.aux2 = None

        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)
        self.default_input_size = (in_channels, 32, 32) if small_input else (in_channels, 224, 224)

        if init_weights:       # torchvision's: truncated normal(0, 0.01) in [-0.02, 0.02] for conv and dense
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)

    def _transform_input(self, x):
        channels = [x[:, i:i + 1] * (std / 0.5) + (mean - 0.5) / 0.5
                    for i, (mean, std) in enumerate(((0.485, 0.229), (0.456, 0.224), (0.406, 0.225)))]
        return cat(channels, 1)

    def forward(self, x):
        if self.transform_input:
            x = self._transform_input(x)
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.maxpool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        x = self.fc(self.dropout(self.avgpool(x).flatten(1)))
        if self.aux_logits and self.training:
            return GoogLeNetOutputs(x, aux2, aux1)
        return x


@register_model("googlenet")
def googlenet(**kwargs) -> GoogLeNet:
    """GoogLeNet / Inception v1 (see :class:`GoogLeNet`)."""
    return GoogLeNet(**kwargs)
