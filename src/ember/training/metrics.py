"""Metrics for ``Trainer``: streaming accumulators with ``reset`` / ``update`` / ``compute``, and a registry.

    from ember.training.metrics import get_metric, accuracy
    m = get_metric("top5")                   # "accuracy", "top5" (any "top<k>"), "mse", "mae", "perplexity"
    m.update(outputs, targets, loss=loss, n=len(targets))
    m.compute()                              # a Python float over everything seen since reset()

``ConfusionMatrix(num_classes)`` gives a NumPy (num_classes x num_classes) matrix (rows = true class,
columns = predicted class); the functions ``accuracy``, ``topk_accuracy`` and ``confusion_matrix`` compute one
batch's value directly. Outputs are ember Tensors or arrays: class scores ``(N, C)`` or ``(N, ..., C)`` with
targets ``(N,)`` / ``(N, ...)`` for classification, same-shaped values for regression.
"""
from __future__ import annotations

import math
import re

import numpy as np

__all__ = ["Metric", "Accuracy", "TopKAccuracy", "MeanSquaredError", "MeanAbsoluteError", "Perplexity",
           "ConfusionMatrix", "METRICS", "get_metric", "accuracy", "topk_accuracy", "confusion_matrix"]


def _np(x):
    """Host NumPy array of a Tensor / array / number (metrics never need gradients)."""
    if hasattr(x, "detach"):
        x = x.detach()
        if hasattr(x, "cpu"):
            x = x.cpu()
        return x.numpy()
    if hasattr(x, "get"):          # a CuPy array
        return x.get()
    return np.asarray(x)


def _class_scores(outputs, targets, fn):
    out, tgt = _np(outputs), _np(targets)
    if out.ndim < 1 or out.shape[:-1] != tgt.shape:
        raise ValueError(f"{fn}: expected outputs of shape targets.shape + (num_classes,), got outputs "
                         f"{tuple(out.shape)} and targets {tuple(tgt.shape)}")
    return out.reshape(-1, out.shape[-1]), tgt.reshape(-1).astype(np.int64)


def accuracy(outputs, targets, ignore_index=None) -> float:
    """Fraction of rows whose arg-max class equals the target (``ignore_index`` targets are skipped)."""
    correct, total = _count_topk(outputs, targets, 1, ignore_index, "accuracy")
    return correct / total if total else float("nan")


def topk_accuracy(outputs, targets, k=5, ignore_index=None) -> float:
    """Fraction of rows whose target is among the ``k`` highest-scoring classes."""
    correct, total = _count_topk(outputs, targets, k, ignore_index, "topk_accuracy")
    return correct / total if total else float("nan")


def _count_topk(outputs, targets, k, ignore_index, fn):
    out, tgt = _class_scores(outputs, targets, fn)
    if ignore_index is not None:
        keep = tgt != ignore_index
        out, tgt = out[keep], tgt[keep]
    if k == 1:
        return int((out.argmax(axis=1) == tgt).sum()), len(tgt)
    if not 1 <= k <= out.shape[1]:
        raise ValueError(f"{fn}: k={k} is out of range for {out.shape[1]} classes")
    top = np.argpartition(-out, k - 1, axis=1)[:, :k]
    return int((top == tgt[:, None]).any(axis=1).sum()), len(tgt)


def confusion_matrix(outputs, targets, num_classes) -> np.ndarray:
    """``(num_classes, num_classes)`` int64 counts: entry ``[t, p]`` = samples of class t predicted as p.

    ``outputs`` are class scores ``(N, C)`` or already predicted labels ``(N,)``."""
    out, tgt = _np(outputs), _np(targets)
    pred = out.argmax(axis=-1) if out.ndim == tgt.ndim + 1 else out
    pred, tgt = pred.reshape(-1).astype(np.int64), tgt.reshape(-1).astype(np.int64)
    if pred.shape != tgt.shape:
        raise ValueError(f"confusion_matrix: {pred.shape[0]} predictions but {tgt.shape[0]} targets")
    bad = (tgt < 0) | (tgt >= num_classes) | (pred < 0) | (pred >= num_classes)
    if bad.any():
        raise ValueError(f"confusion_matrix: labels must lie in [0, {num_classes}), got targets in "
                         f"[{tgt.min()}, {tgt.max()}] and predictions in [{pred.min()}, {pred.max()}]")
    return np.bincount(tgt * num_classes + pred, minlength=num_classes ** 2).reshape(num_classes, num_classes)


class Metric:
    """A streaming metric. ``name`` keys it in ``history``; ``higher_is_better`` guides callbacks."""
    name = "metric"
    higher_is_better = True

    def __init__(self):
        self.reset()

    def reset(self):
        self.total, self.count = 0.0, 0

    def update(self, outputs, targets, loss=None, n=None):
        raise NotImplementedError

    def compute(self):
        return self.total / self.count if self.count else float("nan")


class TopKAccuracy(Metric):
    """Top-k accuracy (k=1 is plain accuracy); targets equal to ``ignore_index`` are not counted."""
    higher_is_better = True

    def __init__(self, k=1, ignore_index=None, name=None):
        self.k, self.ignore_index = int(k), ignore_index
        self.name = name or ("accuracy" if self.k == 1 else f"top{self.k}")
        super().__init__()

    def update(self, outputs, targets, loss=None, n=None):
        correct, total = _count_topk(outputs, targets, self.k, self.ignore_index, self.name)
        self.total += correct
        self.count += total


class Accuracy(TopKAccuracy):
    def __init__(self, ignore_index=None):
        super().__init__(1, ignore_index)


class MeanSquaredError(Metric):
    name, higher_is_better = "mse", False

    def update(self, outputs, targets, loss=None, n=None):
        diff = _np(outputs).astype(np.float64) - _np(targets).astype(np.float64).reshape(_np(outputs).shape)
        self.total += float(np.square(diff).sum())
        self.count += diff.size


class MeanAbsoluteError(Metric):
    name, higher_is_better = "mae", False

    def update(self, outputs, targets, loss=None, n=None):
        diff = _np(outputs).astype(np.float64) - _np(targets).astype(np.float64).reshape(_np(outputs).shape)
        self.total += float(np.abs(diff).sum())
        self.count += diff.size


class Perplexity(Metric):
    """``exp`` of the mean per-token cross-entropy: uses the step's ``loss`` (a mean over ``n`` tokens)."""
    name, higher_is_better = "perplexity", False
    needs_outputs = False

    def update(self, outputs, targets, loss=None, n=None):
        if loss is None or n is None:
            raise ValueError("perplexity: needs the step's mean loss and its token count n")
        self.total += float(_np(loss)) * n
        self.count += n

    def compute(self):
        return math.exp(self.total / self.count) if self.count else float("nan")


class ConfusionMatrix(Metric):
    """Accumulated confusion matrix; ``compute()`` returns the NumPy matrix (not a history scalar)."""
    name = "confusion_matrix"

    def __init__(self, num_classes):
        self.num_classes = int(num_classes)
        super().__init__()

    def reset(self):
        self.matrix = np.zeros((self.num_classes, self.num_classes), dtype=np.int64)

    def update(self, outputs, targets, loss=None, n=None):
        self.matrix += confusion_matrix(outputs, targets, self.num_classes)

    def compute(self):
        return self.matrix.copy()


METRICS = {"accuracy": Accuracy, "mse": MeanSquaredError, "mae": MeanAbsoluteError, "perplexity": Perplexity}


def get_metric(metric) -> Metric:
    """A fresh ``Metric`` from a name (``"accuracy"``, ``"top<k>"``, ``"mse"``, ``"mae"``, ``"perplexity"``) or
    a ``Metric`` instance (returned as is)."""
    if isinstance(metric, Metric):
        return metric
    if isinstance(metric, str):
        m = re.fullmatch(r"top(\d+)", metric)
        if m:
            return TopKAccuracy(int(m.group(1)))
        if metric in METRICS:
            return METRICS[metric]()
        raise ValueError(f"get_metric: unknown metric {metric!r}; valid metrics: "
                         f"{', '.join(sorted(METRICS))}, top<k> (e.g. top5)")
    raise TypeError(f"get_metric: expected a metric name or a Metric, got {type(metric).__name__}")
