"""ResNet-18/34/50 (He et al. 2015) with torchvision's module structure: ``conv1``/``bn1``/``relu``/``maxpool``,
``layer1``..``layer4`` of ``BasicBlock`` or ``Bottleneck``, ``avgpool``/``fc``, so ``state_dict`` keys equal
torchvision's and its checkpoints load. The ImageNet variants have torchvision's parameter counts
(ResNet-18 11,689,512; ResNet-34 21,797,672; ResNet-50 25,557,032 for 1000 classes).

``small_input=True`` is the usual variant for 28×28 / 32×32 images (d2l, CIFAR ResNets): the stem is a 3×3
stride-1 convolution and the max-pool is an ``nn.Identity`` (so a 32×32 image reaches ``layer4`` at 4×4 instead
of vanishing). Only ``conv1``'s weight shape changes; every other key and shape is the ImageNet one.

Initialisation is torchvision's: Kaiming-normal (fan_out, ReLU) convolutions, BatchNorm weight 1 / bias 0, and
``zero_init_residual=True`` zeroes the last BatchNorm of each block.
"""
from __future__ import annotations

from .. import nn
from . import register_model

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet34", "resnet50"]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1, dilation: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation, groups=groups,
                     bias=False, dilation=dilation)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3×3 convolutions with a shortcut: ``relu(bn2(conv2(relu(bn1(conv1(x))))) + downsample(x))``."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 groups: int = 1, base_width: int = 64, dilation: int = 1, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1×1 reduce → 3×3 (carries the stride, as torchvision's "ResNet v1.5") → 1×1 expand by 4, plus shortcut."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None,
                 groups: int = 1, base_width: int = 64, dilation: int = 1, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """``ResNet(block, layers, num_classes=1000, in_channels=3, small_input=False, zero_init_residual=False)``.

    ``block`` is :class:`BasicBlock` or :class:`Bottleneck`; ``layers`` the number of blocks per stage, e.g.
    ``[2, 2, 2, 2]`` for ResNet-18. ``small_input=True``: 3×3 stride-1 stem, no max-pool (see module docstring).
    """

    default_input_size = (3, 224, 224)

    def __init__(self, block, layers, num_classes: int = 1000, in_channels: int = 3, small_input: bool = False,
                 zero_init_residual: bool = False, groups: int = 1, width_per_group: int = 64, norm_layer=None):
        super().__init__()
        if len(layers) != 4:
            raise ValueError(f"ResNet(): layers must have 4 entries (blocks per stage), got {list(layers)}")
        self._norm_layer = norm_layer or nn.BatchNorm2d
        self.inplanes = 64
        self.dilation = 1
        self.groups = groups
        self.base_width = width_per_group
        if small_input:
            self.conv1 = nn.Conv2d(in_channels, self.inplanes, kernel_size=3, stride=1, padding=1, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = self._norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity() if small_input else nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        self.default_input_size = (in_channels, 32, 32) if small_input else (in_channels, 224, 224)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            # Each block then starts as the identity, which helps very deep nets (Goyal et al. 2017).
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock):
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        norm_layer = self._norm_layer
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            # The shortcut must change shape too: a strided 1×1 projection (torchvision's option B).
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width, self.dilation,
                        norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                                dilation=self.dilation, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.avgpool(x).flatten(1)
        return self.fc(x)


@register_model("resnet18")
def resnet18(**kwargs) -> ResNet:
    """ResNet-18: BasicBlock × [2, 2, 2, 2]."""
    return ResNet(BasicBlock, [2, 2, 2, 2], **kwargs)


@register_model("resnet34")
def resnet34(**kwargs) -> ResNet:
    """ResNet-34: BasicBlock × [3, 4, 6, 3]."""
    return ResNet(BasicBlock, [3, 4, 6, 3], **kwargs)


@register_model("resnet50")
def resnet50(**kwargs) -> ResNet:
    """ResNet-50: Bottleneck × [3, 4, 6, 3]."""
    return ResNet(Bottleneck, [3, 4, 6, 3], **kwargs)
