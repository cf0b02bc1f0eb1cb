"""``ember.summary``: per-layer output shapes, parameter counts and multiply-adds against numbers worked out by
hand (LeNet in full, then one layer of each counted kind), the totals, side-effect freedom, errors, and
``ember summary MODEL`` through the CLI for every vision model."""
import math

import pytest

import ember
import ember.nn as nn
from ember.cli import main as cli_main
from ember.models import get_model

# d2l's LeNet on one 1x28x28 image, worked out by hand:
#   conv1: 6 filters of 1x5x5 (+6 biases) = 156 params; output 6x28x28 (padding 2);
#          mult-adds = C_out * H_out * W_out * C_in * K_h * K_w = 6 * 28 * 28 * 1 * 5 * 5 = 117,600
#   pool1: 2x2 average -> 6x14x14
#   conv2: 16 * 6 * 5 * 5 + 16 = 2,416 params; output 16x10x10; 16 * 10 * 10 * 6 * 5 * 5 = 240,000
#   pool2: -> 16x5x5; flatten -> 400
#   fc1: 400 * 120 + 120 = 48,120 params; 400 * 120 = 48,000
#   fc2: 120 * 84 + 84 = 10,164 params; 120 * 84 = 10,080
#   fc3: 84 * 10 + 10 = 850 params; 84 * 10 = 840
LENET_ROWS = [
    ("0", "Conv2d", (1, 6, 28, 28), 156, 117_600),
    ("1", "Sigmoid", (1, 6, 28, 28), 0, 0),
    ("2", "AvgPool2d", (1, 6, 14, 14), 0, 0),
    ("3", "Conv2d", (1, 16, 10, 10), 2_416, 240_000),
    ("4", "Sigmoid", (1, 16, 10, 10), 0, 0),
    ("5", "AvgPool2d", (1, 16, 5, 5), 0, 0),
    ("6", "Flatten", (1, 400), 0, 0),
    ("7", "Linear", (1, 120), 48_120, 48_000),
    ("8", "Sigmoid", (1, 120), 0, 0),
    ("9", "Linear", (1, 84), 10_164, 10_080),
    ("10", "Sigmoid", (1, 84), 0, 0),
    ("11", "Linear", (1, 10), 850, 840),
]
LENET_PARAMS = 156 + 2_416 + 48_120 + 10_164 + 850                 # 61,706
LENET_MULT_ADDS = 117_600 + 240_000 + 48_000 + 10_080 + 840        # 416,520


def test_lenet_rows_and_totals_by_hand():
    s = ember.summary(get_model("lenet"), (1, 28, 28))
    assert [(r.name, r.type, r.output_shape, r.params, r.flops) for r in s.rows] == LENET_ROWS
    assert s.total_params == LENET_PARAMS == 61_706
    assert s.total_flops == s.total_mult_adds == LENET_MULT_ADDS == 416_520
    assert s.trainable_params == 61_706 and s.non_trainable_params == 0
    assert s.input_size == (1, 28, 28) and s.output_shape == (1, 10)
    assert s.params_bytes == 61_706 * 4


def test_table_text():
    text = str(ember.summary(get_model("lenet"), (1, 28, 28)))
    assert repr(ember.summary(get_model("lenet"), (1, 28, 28))) == text
    lines = text.splitlines()
    assert lines[0] == "LeNet summary"
    assert lines[2].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#", "Mult-Adds"]
    assert lines[4].split() == ["0", "(Conv2d)", "[1,", "6,", "28,", "28]", "156", "117,600"]
    assert "Total params: 61,706" in lines
    assert "Trainable params: 61,706" in lines
    assert "Non-trainable params: 0" in lines
    assert "Total mult-adds: 416,520 (416.52 K)" in lines
    assert "Input size: (1, 28, 28)" in lines


def test_batch_size_scales_mult_adds_not_params():
    s = ember.summary(get_model("lenet"), (1, 28, 28), batch_size=3)
    assert s.total_flops == 3 * LENET_MULT_ADDS and s.total_params == LENET_PARAMS
    assert s.rows[0].output_shape == (3, 6, 28, 28)


def test_trainable_and_non_trainable():
    model = get_model("lenet")
    for p in model[0].parameters():
        p.requires_grad_(False)
    s = ember.summary(model, (1, 28, 28))
    assert s.non_trainable_params == 156 and s.trainable_params == LENET_PARAMS - 156


def test_counted_layer_kinds_by_hand():
    ember.manual_seed(0)
    # grouped conv: 8 x 8 x 8 outputs, each 3x3 over 4/2 channels: 8*8*8 * 2*9 = 9,216
    s = ember.summary(nn.Conv2d(4, 8, 3, groups=2), (4, 10, 10))
    assert s.total_flops == 9_216 and s.total_params == 8 * 2 * 9 + 8
    # strided, padded conv: out 5x5 -> 3 * 25 * 2 * 9 = 1,350
    assert ember.summary(nn.Conv2d(2, 3, 3, stride=2, padding=1), (2, 10, 10)).total_flops == 1_350
    # transposed conv counts per input position: 4 * 5 * 5 (input) * 3 (C_out) * 3 * 3 = 2,700
    s = ember.summary(nn.ConvTranspose2d(4, 3, 3), (4, 5, 5))
    assert s.total_flops == 2_700 and s.output_shape == (1, 3, 7, 7)
    # Linear on (batch 2, 5, 4): every leading position: 2 * 5 * 4 * 3 = 120
    assert ember.summary(nn.Linear(4, 3), (5, 4), batch_size=2).total_flops == 120
    # Conv1d: 6 outputs of length 8, each 3 channels x 3 taps: 6 * 8 * 9 = 432
    assert ember.summary(nn.Conv1d(3, 6, 3), (3, 10)).total_flops == 432


def test_lstm_and_attention_by_hand():
    # 2-layer bidirectional LSTM, input 10, hidden 20, 5 time steps, batch 1: per token and direction,
    # layer 0: 4 gates * 20 * (10 + 20) = 2,400; layer 1 (input 2*20): 4 * 20 * (40 + 20) = 4,800.
    lstm = nn.LSTM(10, 20, num_layers=2, bidirectional=True)
    s = ember.summary(lstm, (1, 10), batch_size=5)        # (T=5, N=1, 10): the "batch" here is time
    assert s.total_flops == (2_400 + 4_800) * 2 * 5
    assert s.rows[0].output_shape == (5, 1, 40) and s.rows[0].params == s.total_params
    assert s.total_params == 2 * (4 * 20 * (10 + 20 + 2)) + 2 * (4 * 20 * (40 + 20 + 2))
    # MultiheadAttention, E = 8, L = S = 5, batch 2 (batch_first): four projections 4 * (2*5) * 8 * 8 = 2,560,
    # scores and weighted sum 2 * (2*5) * 5 * 8 = 800; its out_proj is counted with it, in one row.
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    x = ember.zeros(2, 5, 8)
    s = ember.summary(mha, input_data=(x, x, x))
    assert s.total_flops == 2_560 + 800
    assert len(s.rows) == 1 and s.rows[0].params == 4 * 8 * 8 + 4 * 8 == s.total_params


def test_shared_module_counted_once_for_params_twice_for_work():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.scale = nn.Parameter(ember.ones(4))     # a parameter of the non-leaf module itself

        def forward(self, x):
            return self.fc(self.fc(x)) * self.scale

    s = ember.summary(Twice(), (4,))
    assert [(r.name, r.params, r.flops) for r in s.rows] == [("fc", 20, 16), ("fc", 0, 16), ("Twice", 4, 0)]
    assert s.total_params == 24 and s.total_flops == 32


def test_integer_inputs_for_token_models():
    model = nn.Sequential(nn.Embedding(100, 16), nn.Linear(16, 100))
    s = ember.summary(model, (7,), dtype=ember.long)
    assert s.output_shape == (1, 7, 100)
    assert s.total_params == 100 * 16 + 16 * 100 + 100 and s.total_flops == 7 * 16 * 100
    assert s.rows[0].flops == 0                          # an embedding is a lookup
    model.default_input_dtype = ember.long               # what a token model declares for `ember summary`
    assert ember.summary(model, (7,)).output_shape == (1, 7, 100)


def test_no_side_effects():
    ember.manual_seed(0)
    model = get_model("resnet18", num_classes=10, in_channels=1, small_input=True)
    model.train()
    model.layer1.eval()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    rng = ember.get_rng_state()
    ember.summary(model, (1, 16, 16))
    assert model.training and not model.layer1.training and model.layer2.training
    after = model.state_dict()
    assert all((after[k].numpy() == v).all() for k, v in before.items())     # BatchNorm statistics untouched
    assert (ember.get_rng_state().numpy() == rng.numpy()).all()
    assert all(not m._forward_hooks for m in model.modules())                 # hooks removed


def test_published_mult_adds_of_imagenet_models():
    # torchvision's model cards: ResNet-18 1.81 GFLOPS, GoogLeNet 1.50 (mult-adds, 224x224).
    assert round(ember.summary(get_model("resnet18"), (3, 224, 224)).total_flops / 1e9, 2) == 1.81
    assert round(ember.summary(get_model("googlenet"), (3, 224, 224)).total_flops / 1e9, 2) == 1.50


def test_errors():
    with pytest.raises(TypeError, match=r"summary\(\): argument 'model' must be an ember.nn.Module, not str"):
        ember.summary("lenet", (1, 28, 28))
    with pytest.raises(TypeError, match=r"summary\(\): input_size must be a tuple of positive ints"):
        ember.summary(get_model("lenet"), (1, -28, 28))
    with pytest.raises(TypeError, match=r"summary\(\): input_size must be"):
        ember.summary(get_model("lenet"), "1x28x28")
    with pytest.raises(TypeError, match=r"summary\(\): give input_size"):
        ember.summary(get_model("lenet"))
    with pytest.raises(ValueError, match=r"summary\(\): batch_size must be a positive int, got 0"):
        ember.summary(get_model("lenet"), (1, 28, 28), batch_size=0)
    with pytest.raises(RuntimeError, match=r"summary\(\): the forward pass of LeNet on inputs of shape "
                                           r"\[\(1, 3, 28, 28\)\] failed: RuntimeError: .*channels"):
        ember.summary(get_model("lenet"), (3, 28, 28))


# ------------------------------------------------------------------------------------------ the CLI
VISION = ["lenet", "lenet5", "alexnet", "vgg11", "vgg16", "nin", "googlenet", "resnet18", "resnet34", "resnet50",
          "densenet121"]


@pytest.mark.parametrize("name", VISION)
def test_cli_summary_small_variant(name, capsys):
    assert cli_main(["summary", name, "--small-input", "--in-channels", "1", "--num-classes", "10"]) == 0
    out = capsys.readouterr().out
    model = get_model(name, small_input=True, in_channels=1, num_classes=10)
    assert f"Total params: {sum(p.numel() for p in model.parameters()):,}" in out
    assert f"Input size: {model.default_input_size}" in out and "Output shape: (1, 10)" in out


@pytest.mark.parametrize("name", ["lenet", "nin", "resnet18", "csinet"])
def test_cli_summary_defaults(name, capsys):
    assert cli_main(["summary", name]) == 0
    out = capsys.readouterr().out
    assert "Total params:" in out and "Total mult-adds:" in out


def test_cli_summary_input_size_and_errors(capsys):
    assert cli_main(["summary", "lenet5", "--input-size", "1", "32", "32"]) == 0
    assert "Total mult-adds: 416,520" in capsys.readouterr().out     # same work as d2l's padded 28x28 LeNet
    assert cli_main(["summary", "nosuchmodel"]) == 2
    assert "valid models:" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="expected input.*to have 3 channels"):
        cli_main(["summary", "resnet18", "--input-size", "1", "28", "28"])


def test_lenet_mult_adds_formula_matches_seed_homework():
    # The seed's homework formula for a conv layer, C_out * H_out * W_out * C_in * K_h * K_w, row by row.
    s = ember.summary(get_model("lenet5"), (1, 32, 32))
    convs = [r for r in s.rows if r.type == "Conv2d"]
    assert [r.flops for r in convs] == [6 * 28 * 28 * 1 * 5 * 5, 16 * 10 * 10 * 6 * 5 * 5]
    assert math.prod(convs[0].output_shape) == 6 * 28 * 28
