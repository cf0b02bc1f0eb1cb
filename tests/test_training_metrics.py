"""Metrics against PyTorch (top-k) and hand-computed values; write_run's files."""
import json
import math

import numpy as np
import pytest
import torch

import ember
from ember.training import (get_metric, accuracy, topk_accuracy, confusion_matrix, ConfusionMatrix, Perplexity,
                            write_run)

SCORES = np.array([[0.1, 0.7, 0.2],      # predicts 1
                   [0.5, 0.3, 0.2],      # predicts 0
                   [0.2, 0.3, 0.5],      # predicts 2
                   [0.6, 0.1, 0.3]], dtype=np.float32)
LABELS = np.array([1, 1, 2, 2])


def test_accuracy_and_topk_by_hand():
    assert accuracy(ember.tensor(SCORES), ember.tensor(LABELS)) == 0.5
    assert topk_accuracy(SCORES, LABELS, k=2) == 1.0          # row 1: 1 is 2nd; row 3: 2 is 2nd
    assert topk_accuracy(SCORES, LABELS, k=3) == 1.0
    assert accuracy(SCORES, np.array([1, -100, 2, -100]), ignore_index=-100) == 1.0


def test_topk_matches_torch():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(200, 10)).astype(np.float32)
    labels = rng.integers(0, 10, 200)
    for k in (1, 3, 5):
        top = torch.from_numpy(scores).topk(k, dim=1).indices
        want = (top == torch.from_numpy(labels)[:, None]).any(dim=1).sum().item() / 200
        m = get_metric(f"top{k}")
        m.update(ember.tensor(scores[:120]), ember.tensor(labels[:120]))
        m.update(ember.tensor(scores[120:]), ember.tensor(labels[120:]))      # streaming over two batches
        assert m.compute() == pytest.approx(want, abs=1e-12)
        assert m.name == ("accuracy" if k == 1 else f"top{k}")


def test_sequence_outputs():
    """(N, T, C) scores with (N, T) targets, as a language model produces them."""
    scores = SCORES.reshape(2, 2, 3)
    assert accuracy(scores, LABELS.reshape(2, 2)) == 0.5


def test_confusion_matrix_by_hand():
    cm = confusion_matrix(SCORES, LABELS, 3)
    want = np.array([[0, 0, 0],
                     [1, 1, 0],
                     [1, 0, 1]])
    np.testing.assert_array_equal(cm, want)
    np.testing.assert_array_equal(confusion_matrix(np.array([0, 2]), np.array([0, 1]), 3),
                                  [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    m = ConfusionMatrix(3)
    m.update(SCORES[:2], LABELS[:2])
    m.update(SCORES[2:], LABELS[2:])
    np.testing.assert_array_equal(m.compute(), want)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        confusion_matrix(SCORES, LABELS, 2)


def test_regression_metrics_by_hand():
    out = ember.tensor([[1.0], [2.0], [4.0]])
    tgt = ember.tensor([[1.5], [2.0], [1.0]])
    mse, mae = get_metric("mse"), get_metric("mae")
    for m in (mse, mae):
        m.update(out[:2], tgt[:2])
        m.update(out[2:], tgt[2:])
    assert mse.compute() == pytest.approx((0.25 + 0 + 9) / 3)
    assert mae.compute() == pytest.approx((0.5 + 0 + 3) / 3)
    assert not mse.higher_is_better


def test_perplexity_is_exp_of_token_weighted_loss():
    m = Perplexity()
    m.update(None, None, loss=ember.tensor(1.0), n=10)
    m.update(None, None, loss=ember.tensor(2.0), n=30)
    assert m.compute() == pytest.approx(math.exp((10 * 1.0 + 30 * 2.0) / 40))
    # and against PyTorch's cross-entropy on real logits
    logits, target = torch.randn(4, 7, 11), torch.randint(0, 11, (4, 7))
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 11), target.reshape(-1))
    m.reset()
    m.update(None, None, loss=ember.tensor(loss.item()), n=28)
    assert m.compute() == pytest.approx(math.exp(loss.item()), rel=1e-6)


def test_metric_errors():
    with pytest.raises(ValueError, match=r"unknown metric 'f1'; valid metrics: accuracy, mae, mse, perplexity"):
        get_metric("f1")
    with pytest.raises(TypeError, match="expected a metric name or a Metric"):
        get_metric(3)
    with pytest.raises(ValueError, match=r"outputs of shape targets.shape \+ \(num_classes,\)"):
        accuracy(SCORES, LABELS[:3])
    with pytest.raises(ValueError, match="k=4 is out of range for 3 classes"):
        topk_accuracy(SCORES, LABELS, k=4)


def test_write_run(tmp_path):
    history = {"epoch": [1, 2, 3], "loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.6, float("nan")],
               "accuracy": [0.5, 0.8, 0.9], "val_accuracy": [0.4, 0.7, 0.85]}
    curves, path = write_run(tmp_path / "run", history, {"test_accuracy": np.float64(0.85), "epochs": 3})
    with open(curves, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    with open(path) as fh:
        doc = json.load(fh)
    assert doc["test_accuracy"] == 0.85 and doc["epochs"] == 3
    assert doc["history"]["val_loss"] == [1.1, 0.6, None]       # NaN -> null: strict JSON
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["curves.png", "metrics.json"]


def test_write_run_without_matplotlib(tmp_path, monkeypatch, capsys):
    import sys
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)      # import matplotlib.figure -> ImportError
    curves, path = write_run(tmp_path, {"loss": [1.0]}, {"epochs": 1})
    assert curves is None and (tmp_path / "metrics.json").exists() and not (tmp_path / "curves.png").exists()
    err = capsys.readouterr().err
    assert "skipping curves.png" in err and "pip install 'ember[train]'" in err
