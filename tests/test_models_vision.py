"""The CNN model zoo (``ember.models``): parameter counts of the ImageNet variants against torchvision's published
figures, output shapes of every model, one training step each, ``state_dict`` keys and outputs against PyTorch
twins written here (torchvision is not installed: LeNet as d2l writes it, torchvision's ResNet blocks), the
registry, and CsiNet with its NMSE against hand-computed values."""
import math

import numpy as np
import pytest
import torch
import torch.nn as tnn

import ember
import ember.nn as nn
from ember.models import get_model, list_models, register_model
from ember.models.csinet import nmse
from ember.models.googlenet import Inception

VISION = ["lenet", "lenet5", "alexnet", "vgg11", "vgg16", "nin", "googlenet", "resnet18", "resnet34", "resnet50",
          "densenet121"]

# torchvision's published parameter counts (1000 classes, 3 input channels; GoogLeNet without aux heads).
TORCHVISION_PARAMS = {"alexnet": 61_100_840, "vgg11": 132_863_336, "vgg16": 138_357_544, "googlenet": 6_624_904,
                      "resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
                      "densenet121": 7_978_856}


@pytest.fixture
def no_init(monkeypatch):
    """Counting parameters needs only their shapes: skip the random initialisation (100 M+ numbers for VGG)."""
    for name in ("kaiming_uniform_", "kaiming_normal_", "uniform_", "normal_", "trunc_normal_", "constant_"):
        monkeypatch.setattr(ember.nn.init, name, lambda tensor, *args, **kwargs: tensor)


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def to_ember_state(torch_module):
    return {k: ember.tensor(v.detach().numpy()) for k, v in torch_module.state_dict().items()}


def shapes(state_dict):
    return {k: tuple(v.shape) for k, v in state_dict.items()}


# ------------------------------------------------------------------------------------------ registry
def test_registry_lists_every_vision_model():
    names = list_models()
    assert names == sorted(names)
    for name in VISION + ["csinet"]:
        assert name in names


def test_get_model_errors():
    with pytest.raises(ValueError, match=r"get_model\(\): unknown model 'nosuch'; valid models: .*resnet18"):
        get_model("nosuch")
    with pytest.raises(TypeError, match=r"get_model\(\): argument 'name' must be str"):
        get_model(18)
    with pytest.raises(ValueError, match="registered twice"):
        register_model("lenet")(lambda **kw: None)
    assert isinstance(get_model("ResNet18"), ember.models.ResNet)      # names are case-insensitive


# ------------------------------------------------------------------------------------------ parameter counts
@pytest.mark.parametrize("name", sorted(TORCHVISION_PARAMS))
def test_imagenet_parameter_counts_equal_torchvision(name, no_init):
    model = get_model(name)
    assert n_params(model) == TORCHVISION_PARAMS[name]
    assert model.default_input_size == (3, 224, 224)


def test_lenet_and_googlenet_aux_parameter_counts(no_init):
    # d2l's LeNet: 156 + 2,416 + 48,120 + 10,164 + 850; torchvision's GoogLeNet with both aux heads: 13,004,888.
    assert n_params(get_model("lenet")) == 61_706
    assert n_params(get_model("lenet5")) == 61_706
    assert n_params(get_model("googlenet", aux_logits=True)) == 13_004_888


def test_num_classes_and_in_channels_change_only_the_ends(no_init):
    base = get_model("resnet18")
    other = get_model("resnet18", num_classes=10, in_channels=1)
    # conv1: 64*3*49 -> 64*1*49; fc: 512*1000+1000 -> 512*10+10
    assert n_params(base) - n_params(other) == 64 * 2 * 49 + 512 * 990 + 990


# ------------------------------------------------------------------------------------------ shapes and a step
@pytest.mark.parametrize("name", VISION)
def test_small_input_forward_shapes(name):
    ember.manual_seed(0)
    model = get_model(name, num_classes=7, in_channels=1, small_input=name != "lenet5")
    c, h, w = model.default_input_size
    assert c == 1 and h == w and h in (28, 32)
    model.eval()
    with ember.no_grad():
        assert model(ember.randn(1, c, h, w)).shape == (1, 7)
        if name not in ("lenet", "lenet5"):     # the small variants take both MNIST's and CIFAR's sizes
            assert model(ember.randn(1, 1, 60 - h, 60 - h)).shape == (1, 7)


@pytest.mark.parametrize("name, size", [("nin", 96), ("googlenet", 64), ("resnet18", 64), ("resnet50", 64),
                                        ("densenet121", 64)])
def test_imagenet_variants_at_reduced_input(name, size):
    # The ImageNet stems are kept; these are small sizes the strides and pools still pass through.
    model = get_model(name, num_classes=5, in_channels=3).eval()
    with ember.no_grad():
        assert model(ember.randn(1, 3, size, size)).shape == (1, 5)


def test_imagenet_alexnet_and_vgg_features_at_reduced_input():
    # Only the convolutional part (the 100 M-parameter classifiers are counted above, not run).
    ember.manual_seed(0)
    with ember.no_grad():
        feats = nn.Sequential(*list(ember.models.AlexNet().features))
        assert feats(ember.randn(1, 3, 224, 224)).shape == (1, 256, 6, 6)
        vgg = ember.models.vgg.make_layers(ember.models.vgg.cfgs["A"])
        assert vgg(ember.randn(1, 3, 64, 64)).shape == (1, 512, 2, 2)


@pytest.mark.parametrize("name", VISION)
def test_one_training_step(name):
    ember.manual_seed(0)
    model = get_model(name, num_classes=10, in_channels=1, small_input=name != "lenet5")
    # LeNet needs its own size; the others take 16x16 too (a quarter of the work of 32x32).
    size = model.default_input_size if name in ("lenet", "lenet5") else (1, 16, 16)
    x = ember.randn(2, *size)
    y = ember.tensor([0, 3])
    opt = ember.optim.SGD(model.parameters(), lr=0.01)
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    assert math.isfinite(loss.item())
    for pname, p in model.named_parameters():
        assert p.grad is not None, pname
        assert np.isfinite(p.grad.numpy()).all() and p.grad.abs().sum().item() > 0, pname
    opt.step()
    assert math.isfinite(nn.functional.cross_entropy(model(x), y).item())


def test_lenet_loss_drops_over_a_few_steps():
    ember.manual_seed(0)
    model = get_model("lenet", activation="relu")
    x, y = ember.randn(16, 1, 28, 28), ember.randint(0, 10, (16,))
    opt = ember.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(10):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.9 * losses[0]


def test_googlenet_aux_outputs_in_training_only():
    model = get_model("googlenet", num_classes=4, small_input=True, aux_logits=True)
    out = model(ember.randn(2, 3, 16, 16))
    assert type(out).__name__ == "GoogLeNetOutputs"
    assert [o.shape for o in out] == [(2, 4)] * 3
    model.eval()
    with ember.no_grad():
        assert model(ember.randn(2, 3, 16, 16)).shape == (2, 4)


def test_googlenet_transform_input():
    # torchvision's formula: channel c becomes x_c * (std_c / 0.5) + (mean_c - 0.5) / 0.5, before conv1.
    model = get_model("googlenet", num_classes=3, small_input=True, transform_input=True).eval()
    seen = []
    model.conv1.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    x = np.random.default_rng(0).random((1, 3, 16, 16)).astype(np.float32)
    with ember.no_grad():
        model(ember.tensor(x))
    mean = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)
    std = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)
    np.testing.assert_allclose(seen[0].numpy(), x * (std / 0.5) + (mean - 0.5) / 0.5, atol=1e-6)
    with pytest.raises(ValueError, match=r"GoogLeNet\(\): transform_input needs in_channels=3"):
        get_model("googlenet", in_channels=1, transform_input=True)


def test_small_input_changes_what_the_docstrings_say(no_init):
    big, small = get_model("resnet18"), get_model("resnet18", small_input=True)
    assert shapes(big.state_dict()).keys() == shapes(small.state_dict()).keys()
    assert small.conv1.weight.shape == (64, 3, 3, 3) and isinstance(small.maxpool, nn.Identity)
    vgg = get_model("vgg16", small_input=True)
    assert sum(isinstance(m, nn.MaxPool2d) for m in vgg.features) == 4
    assert vgg.classifier[0].in_features == 512 and vgg.classifier[-1].in_features == 512
    assert get_model("densenet121", small_input=True).features.conv0.kernel_size == (3, 3)
    assert isinstance(get_model("googlenet", small_input=True).maxpool1, nn.Identity)


def test_vgg_custom_cfg_and_batch_norm():
    model = ember.models.VGG([8, "M", 16, "M"], batch_norm=True, num_classes=3, in_channels=1, small_input=True)
    assert [type(m).__name__ for m in model.features] == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Conv2d",
                                                           "BatchNorm2d", "ReLU"]
    assert model(ember.randn(2, 1, 28, 28)).shape == (2, 3)
    with pytest.raises(ValueError, match="unknown cfg 'Z'"):
        ember.models.VGG("Z")
    with pytest.raises(ValueError, match="cfg entries must be positive ints or 'M'"):
        ember.models.VGG([8, "X"])


def test_lenet_option_errors():
    with pytest.raises(ValueError, match=r"LeNet\(\): activation must be one of"):
        get_model("lenet", activation="swish")
    with pytest.raises(ValueError, match=r"LeNet\(\): pool must be one of"):
        get_model("lenet", pool="min")


# ------------------------------------------------------------------------------------------ PyTorch twins
def torch_lenet():
    """d2l's LeNet (section 7.6), exactly as the book writes it."""
    return tnn.Sequential(
        tnn.Conv2d(1, 6, kernel_size=5, padding=2), tnn.Sigmoid(), tnn.AvgPool2d(kernel_size=2, stride=2),
        tnn.Conv2d(6, 16, kernel_size=5), tnn.Sigmoid(), tnn.AvgPool2d(kernel_size=2, stride=2),
        tnn.Flatten(), tnn.Linear(16 * 5 * 5, 120), tnn.Sigmoid(), tnn.Linear(120, 84), tnn.Sigmoid(),
        tnn.Linear(84, 10))


class TorchBasicBlock(tnn.Module):
    """torchvision.models.resnet.BasicBlock."""
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = tnn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.relu = tnn.ReLU(inplace=True)
        self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class TorchBottleneck(tnn.Module):
    """torchvision.models.resnet.Bottleneck."""
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = tnn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.conv2 = tnn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.conv3 = tnn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = tnn.BatchNorm2d(planes * 4)
        self.relu = tnn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + identity)


class TorchResNet(tnn.Module):
    """torchvision.models.resnet.ResNet (groups=1, width 64), with the small-input stem as an option."""

    def __init__(self, block, layers, num_classes=1000, in_channels=3, small_input=False):
        super().__init__()
        self.inplanes = 64
        if small_input:
            self.conv1 = tnn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
        else:
            self.conv1 = tnn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
        self.bn1 = tnn.BatchNorm2d(64)
        self.relu = tnn.ReLU(inplace=True)
        self.maxpool = tnn.Identity() if small_input else tnn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], 2)
        self.layer3 = self._make_layer(block, 256, layers[2], 2)
        self.layer4 = self._make_layer(block, 512, layers[3], 2)
        self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
        self.fc = tnn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = tnn.Sequential(tnn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                                        tnn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return tnn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _perturb_bn(module):
    """Non-trivial BatchNorm affine parameters and running statistics, so eval mode tests them."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, tnn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5, generator=g)
                m.bias.uniform_(-0.5, 0.5, generator=g)
                m.running_mean.uniform_(-0.2, 0.2, generator=g)
                m.running_var.uniform_(0.5, 2.0, generator=g)


def _compare_forward_backward(tmodel, emodel, x, atol=1e-4, rtol=1e-4):
    xt = torch.tensor(x, requires_grad=True)
    xe = ember.tensor(x, requires_grad=True)
    yt, ye = tmodel(xt), emodel(xe)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), atol=atol, rtol=rtol)
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape)).astype(np.float32)
    yt.backward(torch.tensor(g))
    ye.backward(ember.tensor(g))
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), atol=atol, rtol=rtol)
    tgrads = {k: p.grad for k, p in tmodel.named_parameters()}
    for k, p in emodel.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tgrads[k].numpy(), atol=atol, rtol=rtol, err_msg=k)


def test_lenet_state_dict_keys_and_outputs_equal_d2l_torch():
    torch.manual_seed(0)
    tmodel, emodel = torch_lenet(), get_model("lenet")
    assert shapes(emodel.state_dict()) == shapes(tmodel.state_dict())
    assert list(emodel.state_dict()) == list(tmodel.state_dict())
    emodel.load_state_dict(to_ember_state(tmodel))
    x = np.random.default_rng(0).standard_normal((3, 1, 28, 28)).astype(np.float32)
    _compare_forward_backward(tmodel, emodel, x)


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("stride", [1, 2])
def test_basic_block_equals_torchvision_twin(stride, train):
    torch.manual_seed(0)
    down_t = down_e = None
    if stride != 1:
        down_t = tnn.Sequential(tnn.Conv2d(8, 16, 1, stride, bias=False), tnn.BatchNorm2d(16))
        down_e = nn.Sequential(nn.Conv2d(8, 16, 1, stride, bias=False), nn.BatchNorm2d(16))
    planes = 16 if stride != 1 else 8
    tblock = TorchBasicBlock(8, planes, stride, down_t)
    eblock = ember.models.BasicBlock(8, planes, stride, down_e)
    _perturb_bn(tblock)
    assert list(eblock.state_dict()) == list(tblock.state_dict())
    assert shapes(eblock.state_dict()) == shapes(tblock.state_dict())
    eblock.load_state_dict(to_ember_state(tblock))
    tblock.train(train)
    eblock.train(train)
    x = np.random.default_rng(0).standard_normal((2, 8, 6, 6)).astype(np.float32)
    _compare_forward_backward(tblock, eblock, x)
    if train:      # the running statistics were updated the same way
        for k, v in tblock.state_dict().items():
            np.testing.assert_allclose(eblock.state_dict()[k].numpy(), v.numpy(), atol=1e-5, rtol=1e-5, err_msg=k)


def test_bottleneck_equals_torchvision_twin():
    torch.manual_seed(0)
    down_t = tnn.Sequential(tnn.Conv2d(8, 16, 1, 2, bias=False), tnn.BatchNorm2d(16))
    down_e = nn.Sequential(nn.Conv2d(8, 16, 1, 2, bias=False), nn.BatchNorm2d(16))
    tblock, eblock = TorchBottleneck(8, 4, 2, down_t), ember.models.Bottleneck(8, 4, 2, down_e)
    _perturb_bn(tblock)
    assert shapes(eblock.state_dict()) == shapes(tblock.state_dict())
    eblock.load_state_dict(to_ember_state(tblock))
    tblock.eval()
    eblock.eval()
    x = np.random.default_rng(0).standard_normal((2, 8, 6, 6)).astype(np.float32)
    _compare_forward_backward(tblock, eblock, x)


@pytest.mark.parametrize("name, block, layers", [("resnet18", TorchBasicBlock, [2, 2, 2, 2]),
                                                 ("resnet50", TorchBottleneck, [3, 4, 6, 3])])
def test_resnet_state_dict_equals_torchvision_layout(name, block, layers, no_init):
    tmodel = TorchResNet(block, layers)
    emodel = get_model(name)
    assert list(emodel.state_dict()) == list(tmodel.state_dict())
    assert shapes(emodel.state_dict()) == shapes(tmodel.state_dict())


def test_small_resnet18_loads_a_torch_checkpoint_and_matches(tmp_path):
    torch.manual_seed(0)
    tmodel = TorchResNet(TorchBasicBlock, [2, 2, 2, 2], num_classes=10, in_channels=1, small_input=True)
    _perturb_bn(tmodel)
    torch.save(tmodel.state_dict(), tmp_path / "resnet18.pth")       # what torchvision's weights files are
    emodel = get_model("resnet18", num_classes=10, in_channels=1, small_input=True)
    emodel.load_state_dict(ember.load(tmp_path / "resnet18.pth"))    # strict: every key and shape matches
    tmodel.eval()
    emodel.eval()
    x = np.random.default_rng(0).standard_normal((2, 1, 16, 16)).astype(np.float32)
    with torch.no_grad(), ember.no_grad():
        np.testing.assert_allclose(emodel(ember.tensor(x)).numpy(), tmodel(torch.tensor(x)).numpy(),
                                   atol=1e-4, rtol=1e-4)


def test_torchvision_initialisation():
    ember.manual_seed(0)
    model = get_model("resnet18", zero_init_residual=True)
    assert float(model.layer1[0].bn2.weight.abs().sum()) == 0.0
    assert float(model.bn1.weight.sum()) == 64.0
    w = model.conv1.weight.detach().numpy()          # kaiming_normal_(fan_out, relu): std = sqrt(2 / (64 * 49))
    assert abs(w.std() - math.sqrt(2 / (64 * 49))) < 0.1 * math.sqrt(2 / (64 * 49))
    fc = get_model("vgg11", small_input=True).classifier[0]
    assert abs(fc.weight.detach().numpy().std() - 0.01) < 0.001 and float(fc.bias.abs().sum()) == 0.0


# ------------------------------------------------------------------------------------------ CsiNet
def test_csinet_shapes_codeword_and_training_step():
    ember.manual_seed(0)
    model = get_model("csinet", encoded_dim=64)
    assert model.default_input_size == (2, 32, 32) and model.compression_ratio == 1 / 32
    x = ember.rand(3, 2, 32, 32)
    code = model.encode(x)
    assert code.shape == (3, 64)
    y = model(x)
    assert y.shape == (3, 2, 32, 32)
    assert 0.0 < float(y.min()) and float(y.max()) < 1.0         # sigmoid output, like the [0, 1] data
    opt = ember.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), x)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    assert all(p.grad is not None for p in model.parameters())


def test_csinet_parameter_count():
    # encoder conv 2*2*9+2 + BN 4; dense 2048*M+M twice (in and out); 2 RefineNet blocks of
    # (2*8*9+8 + 16) + (8*16*9+16 + 32) + (16*2*9+2 + 4); decoder conv 2*2*9+2.
    m = 32
    refine = (2 * 8 * 9 + 8 + 16) + (8 * 16 * 9 + 16 + 32) + (16 * 2 * 9 + 2 + 4)
    expected = (38 + 4) + (2048 * m + m) + (m * 2048 + 2048) + 2 * refine + 38
    assert n_params(get_model("csinet", encoded_dim=m)) == expected


def test_csinet_errors():
    with pytest.raises(ValueError, match=r"CsiNet\(\): encoded_dim must be in \[1, 2048\]"):
        get_model("csinet", encoded_dim=4096)
    with pytest.raises(ValueError, match=r"CsiNet.encode\(\): expected input of shape \(N, 2, 32, 32\)"):
        get_model("csinet")(ember.zeros(1, 2, 16, 16))


def test_nmse_hand_computed():
    # sample 1: x = (3, 4), x_hat = (3, 3): 1 / 25 = 0.04; sample 2: x = (1, 0), x_hat = (0, 0): 1 / 1.
    x = np.array([[3.0, 4.0], [1.0, 0.0]])
    x_hat = np.array([[3.0, 3.0], [0.0, 0.0]])
    expected = 10 * math.log10((0.04 + 1.0) / 2)          # -2.8399 dB
    assert nmse(x_hat, x) == pytest.approx(expected, abs=1e-12)
    assert nmse(ember.tensor(x_hat + 0.5), ember.tensor(x + 0.5), offset=0.5) == pytest.approx(expected, abs=1e-9)
    assert nmse(x, x) == -math.inf
    assert nmse(np.zeros((1, 4)), np.ones((1, 4))) == pytest.approx(0.0)     # predicting zero: 0 dB
    with pytest.raises(ValueError, match=r"nmse\(\): x_hat and x must have the same"):
        nmse(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="zero energy"):
        nmse(np.ones((1, 2)), np.zeros((1, 2)))


# torchvision's key names and shapes at a few telling places (from its model definitions), so that its weight
# files load: the last dense layer of DenseNet-121, its transitions, GoogLeNet's 3x3 "5x5" branch, AlexNet's and
# VGG-16's classifier indices.
TORCHVISION_KEYS = {
    "densenet121": {"features.denseblock4.denselayer16.conv2.weight": (32, 128, 3, 3),
                    "features.denseblock4.denselayer16.norm1.running_var": (992,),
                    "features.transition3.conv.weight": (512, 1024, 1, 1),
                    "features.norm5.weight": (1024,), "classifier.weight": (1000, 1024)},
    "googlenet": {"conv1.conv.weight": (64, 3, 7, 7), "conv1.bn.running_mean": (64,),
                  "inception3a.branch3.1.conv.weight": (32, 16, 3, 3),
                  "inception4e.branch4.1.conv.weight": (128, 528, 1, 1),
                  "inception5b.branch3.1.conv.weight": (128, 48, 3, 3), "fc.weight": (1000, 1024)},
    "alexnet": {"features.0.weight": (64, 3, 11, 11), "features.10.weight": (256, 256, 3, 3),
                "classifier.1.weight": (4096, 9216), "classifier.4.weight": (4096, 4096),
                "classifier.6.weight": (1000, 4096)},
    "vgg16": {"features.0.weight": (64, 3, 3, 3), "features.28.weight": (512, 512, 3, 3),
              "classifier.0.weight": (4096, 25088), "classifier.3.weight": (4096, 4096),
              "classifier.6.bias": (1000,)},
    "resnet50": {"layer1.0.downsample.0.weight": (256, 64, 1, 1), "layer4.2.conv3.weight": (2048, 512, 1, 1),
                 "layer3.5.bn2.num_batches_tracked": (), "fc.weight": (1000, 2048)},
}
TORCHVISION_KEY_COUNTS = {"resnet18": 122, "resnet50": 320, "densenet121": 727, "googlenet": 344, "alexnet": 16,
                          "vgg16": 32}


@pytest.mark.parametrize("name", sorted(TORCHVISION_KEY_COUNTS))
def test_torchvision_key_names(name, no_init):
    sd = get_model(name).state_dict()
    assert len(sd) == TORCHVISION_KEY_COUNTS[name]
    for key, shape in TORCHVISION_KEYS.get(name, {}).items():
        assert tuple(sd[key].shape) == shape, key


class TorchBasicConv2d(tnn.Module):
    def __init__(self, cin, cout, **kw):
        super().__init__()
        self.conv = tnn.Conv2d(cin, cout, bias=False, **kw)
        self.bn = tnn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class TorchInception(tnn.Module):
    """torchvision.models.googlenet.Inception."""

    def __init__(self, cin, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        super().__init__()
        self.branch1 = TorchBasicConv2d(cin, ch1x1, kernel_size=1)
        self.branch2 = tnn.Sequential(TorchBasicConv2d(cin, ch3x3red, kernel_size=1),
                                      TorchBasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1))
        self.branch3 = tnn.Sequential(TorchBasicConv2d(cin, ch5x5red, kernel_size=1),
                                      TorchBasicConv2d(ch5x5red, ch5x5, kernel_size=3, padding=1))
        self.branch4 = tnn.Sequential(tnn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
                                      TorchBasicConv2d(cin, pool_proj, kernel_size=1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


@pytest.mark.parametrize("train", [True, False])
def test_inception_block_equals_torchvision_twin(train):
    torch.manual_seed(0)
    args = (12, 4, 6, 8, 2, 4, 4)
    tblock, eblock = TorchInception(*args), Inception(*args)
    _perturb_bn(tblock)
    assert shapes(eblock.state_dict()) == shapes(tblock.state_dict())
    eblock.load_state_dict(to_ember_state(tblock))
    tblock.train(train)
    eblock.train(train)
    x = np.random.default_rng(0).standard_normal((2, 12, 5, 5)).astype(np.float32)
    _compare_forward_backward(tblock, eblock, x)
