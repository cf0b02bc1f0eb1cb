"""What a training run leaves behind: ``curves.png`` (loss and the main metric, train vs validation, per epoch)
and ``metrics.json`` (the final metrics plus the per-epoch history).

    ember.training.write_run("runs/lenet", trainer.history, {"test_accuracy": 0.981, "epochs": 15})
"""
from __future__ import annotations

import json
import math
import os
import sys

__all__ = ["write_run", "plot_curves", "write_metrics"]

# Which history series the second panel shows, in order of preference (the first one present wins).
_METRIC_PANELS = ("accuracy", "top5", "perplexity", "mse", "mae", "bleu", "nmse_db")


def _clean(obj):
    """JSON-safe copy: NumPy scalars/arrays become Python values, non-finite floats become None."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "tolist") and not isinstance(obj, (str, bytes)):
        return _clean(obj.tolist())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    return obj


def write_metrics(path, metrics, history=None):
    """Write ``metrics`` (and ``history`` under ``"history"``) as JSON, atomically."""
    doc = dict(metrics)
    if history is not None:
        doc["history"] = history
    tmp = os.fspath(path) + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(_clean(doc), fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)


def plot_curves(history, path, title=None, val_label="validation"):
    """Save a PNG: loss (train/val) on the left, the first metric found in ``history`` (accuracy, top5,
    perplexity, mse, ...) on the right, against the epoch; the ``val_*`` series are labelled ``val_label``.
    Needs matplotlib (uses the Agg canvas directly, so it never touches pyplot's global backend)."""
    try:
        from matplotlib.figure import Figure
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        raise ImportError("plot_curves needs matplotlib: pip install 'ember[train]' (or matplotlib)") from None

    epochs = list(history.get("epoch") or range(1, len(history.get("loss", [])) + 1))
    metric = next((m for m in _METRIC_PANELS if m in history or f"val_{m}" in history), None)
    panels = [("loss", "loss")] + ([(metric, metric)] if metric else [])
    fig = Figure(figsize=(5.2 * len(panels), 3.8), dpi=100)
    FigureCanvasAgg(fig)
    for i, (key, label) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        for series, style, name in ((key, "-o", "train"), (f"val_{key}", "-s", val_label)):
            values = history.get(series)
            if values:
                ys = [float("nan") if v is None else v for v in values]
                ax.plot(epochs[:len(ys)], ys, style, markersize=3, label=name)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))     # epochs are whole numbers
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    tmp = os.fspath(path) + ".tmp.png"
    fig.savefig(tmp)
    os.replace(tmp, path)


def write_run(out_dir, history, metrics, title=None, val_label="validation"):
    """Write ``curves.png`` and ``metrics.json`` into ``out_dir`` (created if needed); returns the two paths.
    Without matplotlib the curves are skipped with a message (the path returned is then None): a finished
    training run should not fail for want of a plotting library."""
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    curves = os.path.join(out_dir, "curves.png")
    metrics_path = os.path.join(out_dir, "metrics.json")
    write_metrics(metrics_path, metrics, history)
    try:
        plot_curves(history, curves, title=title, val_label=val_label)
    except ImportError as e:
        print(f"write_run: skipping curves.png ({e})", file=sys.stderr)
        curves = None
    return curves, metrics_path
