"""The `ember` command line, end to end on tiny configurations (in-process, so each run takes seconds)."""
import json

import numpy as np
import pytest

import ember
from ember.cli import main


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_train_lenet_writes_the_three_files_and_eval_reads_them(tmp_path, capsys):
    out = tmp_path / "run"
    code, stdout, _ = _run(capsys, "train", "lenet", "--epochs", "2", "--subset", "256", "--out", str(out),
                           "--no-progress")
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.safetensors", "curves.png", "metrics.json"]
    with open(out / "metrics.json") as fh:
        metrics = json.load(fh)
    assert metrics["model"] == "lenet" and metrics["dataset"] == "mnist5k" and metrics["epochs"] == 2
    assert 0.0 <= metrics["test_accuracy"] <= 1.0 and metrics["seconds"] > 0
    assert len(metrics["history"]["val_accuracy"]) == 2
    assert sum(map(sum, metrics["confusion_matrix"])) == metrics["test_samples"] == 256
    assert "test_accuracy:" in stdout and f"wrote {out}" in stdout

    code, stdout, _ = _run(capsys, "eval", str(out / "checkpoint.safetensors"))
    assert code == 0
    acc = float(stdout.split("test_accuracy: ")[1].split()[0])
    test_samples = int(stdout.split("test_samples: ")[1].split()[0])
    assert test_samples == 1000           # eval uses the whole test split
    assert 0.0 <= acc <= 1.0 and "confusion matrix" in stdout

    ckpt = ember.load(out / "checkpoint.safetensors")
    assert ckpt["recipe"] == "lenet" and ckpt["args"]["epochs"] == 2 and ckpt["epoch"] == 2


def test_resume_continues_to_the_requested_epoch(tmp_path, capsys):
    first = tmp_path / "a"
    assert _run(capsys, "train", "lenet", "--epochs", "2", "--subset", "128", "--out", str(first),
                "--no-progress", "--no-augment", "--scheduler", "cosine")[0] == 0
    second = tmp_path / "b"
    code, stdout, _ = _run(capsys, "train", "lenet", "--epochs", "3", "--subset", "128", "--out", str(second),
                           "--no-progress", "--no-augment", "--scheduler", "cosine",
                           "--resume", str(first / "checkpoint.safetensors"))
    assert code == 0 and "resumed from" in stdout and "at epoch 2" in stdout
    with open(second / "metrics.json") as fh:
        metrics = json.load(fh)
    assert metrics["epochs"] == 3 and metrics["history"]["epoch"] == [1, 2, 3]


def test_regression_reports_mse(tmp_path, capsys):
    out = tmp_path / "boston"
    code, stdout, _ = _run(capsys, "train", "mlp", "--dataset", "boston", "--epochs", "30", "--out", str(out),
                           "--no-progress")
    assert code == 0
    with open(out / "metrics.json") as fh:
        metrics = json.load(fh)
    # predicting the training mean gives a test MSE of 72.2 on this split; 30 epochs must do far better
    assert metrics["test_mse"] < 40 and metrics["test_mae"] > 0 and "test_mse:" in stdout
    code, stdout, _ = _run(capsys, "eval", str(out / "checkpoint.safetensors"))
    assert code == 0
    assert float(stdout.split("test_mse: ")[1].split()[0]) == pytest.approx(metrics["test_mse"], rel=1e-5)


def test_unknown_model_and_dataset_list_the_valid_names(capsys):
    code, _, err = _run(capsys, "train", "nosuchmodel")
    assert code == 2
    assert "unknown model 'nosuchmodel'" in err and "lenet" in err and "resnet18" in err and "mlp" in err
    code, _, err = _run(capsys, "train", "lenet", "--dataset", "imagenet")
    assert code == 2
    assert "unknown dataset 'imagenet'" in err and "mnist5k, digits, mnist, fashion-mnist, cifar10" in err


def test_missing_download_is_a_message_not_a_traceback(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "empty"))
    with pytest.raises(SystemExit, match="Dataset not found.*download"):
        main(["train", "lenet", "--dataset", "fashion-mnist", "--out", str(tmp_path / "x"), "--no-progress"])


def test_eval_rejects_foreign_checkpoints(tmp_path):
    ember.save({"weight": ember.zeros(2)}, tmp_path / "w.safetensors")
    with pytest.raises(SystemExit, match="not a checkpoint written by `ember train`"):
        main(["eval", str(tmp_path / "w.safetensors")])


def test_list(capsys):
    code, stdout, _ = _run(capsys, "list")
    assert code == 0
    assert "lenet" in stdout and "classification" in stdout and "mlp" in stdout and "regression" in stdout


def test_zoo_model_with_resized_inputs(tmp_path, capsys):
    """LeNet-5 takes 32x32 images: the 8x8 Digits are resized for training and again by `ember eval`."""
    out = tmp_path / "digits"
    code, _, _ = _run(capsys, "train", "lenet5", "--dataset", "digits", "--epochs", "1", "--subset", "64",
                      "--batch-size", "16", "--optimizer", "adam", "--lr", "0.001", "--out", str(out),
                      "--no-progress")
    assert code == 0
    ckpt = ember.load(out / "checkpoint.safetensors")
    assert ckpt["input_size"] == [32, 32] and ckpt["in_channels"] == 1 and ckpt["num_classes"] == 10
    code, stdout, _ = _run(capsys, "eval", str(out / "checkpoint.safetensors"))
    assert code == 0 and "test_samples: 360" in stdout


def test_unknown_optimizer_lists_the_valid_ones(tmp_path, capsys):
    code, _, err = _run(capsys, "train", "lenet", "--optimizer", "lbfgs", "--subset", "8", "--out",
                        str(tmp_path / "x"), "--no-progress")
    assert code == 2 and "unknown optimizer 'lbfgs'; valid optimizers: sgd, adam" in err


def test_cli_resume_is_bit_identical(tmp_path, capsys):
    """1 epoch + --resume to 2 equals 2 straight epochs, augmentation and shuffling included."""
    common = ["--subset", "96", "--batch-size", "32", "--scheduler", "none", "--no-progress"]
    assert _run(capsys, "train", "lenet", "--epochs", "2", "--out", str(tmp_path / "straight"), *common)[0] == 0
    assert _run(capsys, "train", "lenet", "--epochs", "1", "--out", str(tmp_path / "first"), *common)[0] == 0
    assert _run(capsys, "train", "lenet", "--epochs", "2", "--out", str(tmp_path / "resumed"), *common,
                "--resume", str(tmp_path / "first" / "checkpoint.safetensors"))[0] == 0
    a = ember.load(tmp_path / "straight" / "checkpoint.safetensors")["model"]
    b = ember.load(tmp_path / "resumed" / "checkpoint.safetensors")["model"]
    assert list(a) == list(b)
    for name in a:
        assert (a[name].numpy() == b[name].numpy()).all(), name


def test_summary(capsys):
    code, stdout, _ = _run(capsys, "summary", "lenet")
    assert code == 0 and "Total params: 61,706" in stdout and "Total mult-adds: 416,520" in stdout
    code, stdout, _ = _run(capsys, "summary", "lenet", "--num-classes", "4", "--input-size", "1", "28", "28")
    assert code == 0 and "Output shape: (1, 4)" in stdout
    code, _, err = _run(capsys, "summary", "nosuch")
    assert code == 2 and "unknown model 'nosuch'" in err and "resnet18" in err


def test_max_minutes_stops_cleanly_with_all_files(tmp_path, capsys):
    out = tmp_path / "short"
    code, stdout, _ = _run(capsys, "train", "lenet", "--epochs", "5", "--subset", "64", "--batch-size", "16",
                           "--max-minutes", "0", "--out", str(out), "--no-progress")
    assert code == 0 and "time limit of 0 minutes reached" in stdout
    with open(out / "metrics.json") as fh:
        metrics = json.load(fh)
    assert metrics["epochs"] == 1 and len(metrics["history"]["loss"]) == 1
    assert (out / "checkpoint.safetensors").exists() and (out / "curves.png").exists()


class _FakeColour:
    """CIFAR-10's interface (uint8 N×32×32×3 ``.data``, ``.classes``) on random pixels: the real files are a
    download away, and the colour path of the recipe (3-channel statistics, crops and flips) needs testing."""

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=False):
        rng = np.random.default_rng(0 if train else 1)
        self.data = rng.integers(0, 256, (40, 32, 32, 3), dtype=np.uint8)
        self.targets = rng.integers(0, 10, 40).tolist()
        self.classes = [f"class{i}" for i in range(10)]
        self.transform = transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        img = self.data[i]
        return (self.transform(img) if self.transform else img), self.targets[i]


def test_colour_dataset_path(tmp_path, capsys, monkeypatch):
    import ember.datasets
    real = ember.datasets.get_dataset
    monkeypatch.setattr(ember.datasets, "get_dataset",
                        lambda name, **kw: _FakeColour(**kw) if name == "cifar10" else real(name, **kw))
    out = tmp_path / "cifar"
    code, _, _ = _run(capsys, "train", "lenet", "--dataset", "cifar10", "--epochs", "1", "--subset", "16",
                      "--batch-size", "4", "--out", str(out), "--no-progress")
    assert code == 0
    ckpt = ember.load(out / "checkpoint.safetensors")        # 32×32 colour images resized to LeNet's 28×28
    assert ckpt["in_channels"] == 3 and ckpt["input_size"] == [28, 28] and len(ckpt["normalize"]["mean"]) == 3
    data = _FakeColour().data / 255.0
    np.testing.assert_allclose(ckpt["normalize"]["mean"], data.mean(axis=(0, 1, 2)), rtol=1e-9)
    np.testing.assert_allclose(ckpt["normalize"]["std"], data.std(axis=(0, 1, 2)), rtol=1e-9)
