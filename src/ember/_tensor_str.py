"""``repr(tensor)`` in PyTorch's format: ``tensor([[1.0000, 2.5000], ...], dtype=..., requires_grad=True)``."""
import numpy as np

from ._dtype import get_default_dtype, int64, bool_

PRINT_OPTIONS = dict(precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    if profile == "default":
        PRINT_OPTIONS.update(precision=4, threshold=1000, edgeitems=3, linewidth=80)
    elif profile == "short":
        PRINT_OPTIONS.update(precision=2, threshold=1000, edgeitems=2, linewidth=80)
    elif profile == "full":
        PRINT_OPTIONS.update(precision=4, threshold=float("inf"), edgeitems=3, linewidth=80)
    for k, v in dict(precision=precision, threshold=threshold, edgeitems=edgeitems, linewidth=linewidth).items():
        if v is not None:
            PRINT_OPTIONS[k] = v
    PRINT_OPTIONS["sci_mode"] = sci_mode


def _float_formatter(arr):
    p = PRINT_OPTIONS["precision"]
    finite = arr[np.isfinite(arr)]
    nonzero = np.abs(finite[finite != 0]).astype(np.float64)
    int_mode = finite.size == 0 or bool(np.all(finite == np.round(finite)))
    sci = False
    if nonzero.size:
        mx, mn = nonzero.max(), nonzero.min()
        sci = mx / mn > 1000.0 or mx > 1e8 or mn < 1e-4
    if PRINT_OPTIONS["sci_mode"] is not None:
        sci = PRINT_OPTIONS["sci_mode"]
    if int_mode and not sci:
        def fmt(v):
            return _special(v) or f"{v:.0f}."
    elif sci:
        def fmt(v):
            return _special(v) or f"{v:.{p}e}"
    else:
        def fmt(v):
            return _special(v) or f"{v:.{p}f}"
    return fmt


def _special(v):
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def _format(arr):
    kind = arr.dtype.kind
    threshold = PRINT_OPTIONS["threshold"]
    edge = PRINT_OPTIONS["edgeitems"]
    summarize = arr.size > threshold
    sample = _summary_values(arr, edge) if summarize else arr.ravel()
    if kind == "f":
        base = _float_formatter(sample.astype(np.float64))
        width = max((len(base(float(v))) for v in sample), default=1)
        fmt = lambda v: base(float(v)).rjust(width)  # noqa: E731
        formatter = {"float_kind": fmt}
    elif kind == "b":
        width = 5 if (~sample.astype(bool)).any() else 4
        fmt = lambda v: str(bool(v)).rjust(width)  # noqa: E731
        formatter = {"bool": fmt}
    else:
        width = max((len(str(int(v))) for v in sample), default=1)
        fmt = lambda v: str(int(v)).rjust(width)  # noqa: E731
        formatter = {"int_kind": fmt}
    if arr.ndim == 0:
        return fmt(arr.item()).strip()
    return np.array2string(arr, separator=", ", prefix="tensor(", formatter=formatter,
                           threshold=threshold if summarize else arr.size + 1, edgeitems=edge,
                           max_line_width=PRINT_OPTIONS["linewidth"])


def _summary_values(arr, edge):
    if arr.ndim == 0:
        return arr.ravel()
    idx = []
    for s in arr.shape:
        idx.append(np.r_[0:min(edge, s), max(s - edge, min(edge, s)):s])
    return arr[np.ix_(*idx)].ravel()


def tensor_repr(t):
    data = t.detach().cpu()._data if t.device.type != "cpu" else t._data
    suffixes = []
    if data.size == 0:
        body = "[]"
        if data.shape != (0,):
            suffixes.append(f"size={tuple(data.shape)}")
    else:
        body = _format(data)
    dt = t.dtype
    if dt is not get_default_dtype() and dt is not int64 and dt is not bool_:
        suffixes.append(f"dtype={dt!r}")
    elif data.size == 0 and dt is not get_default_dtype():
        suffixes.append(f"dtype={dt!r}")
    if t.device.type != "cpu":
        suffixes.insert(0, f"device='{t.device}'")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    prefix = "Parameter containing:\ntensor(" if type(t).__name__ == "Parameter" else "tensor("
    return prefix + body + "".join(", " + s for s in suffixes) + ")"
