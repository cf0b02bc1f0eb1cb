"""``repr(tensor)`` in PyTorch's format: ``tensor([[1.0000, 2.5000], ...], dtype=..., requires_grad=True)``.

A port of PyTorch's ``torch/_tensor_str.py`` (BSD licence) onto NumPy arrays, so that the output matches it
character for character: one formatter per tensor (width from the non-zero finite values, integer mode,
scientific mode), rows wrapped at ``linewidth``, ``...`` summaries over ``threshold`` elements, suffixes wrapped.
"""
import math

import numpy as np

from ._dtype import get_default_dtype, int64, bool_


class _PrintOptions:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


PRINT_OPTS = _PrintOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    """Like ``torch.set_printoptions``."""
    if profile is not None:
        if profile == "default":
            PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 4, 1000, 3, 80
        elif profile == "short":
            PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = 2, 1000, 2, 80
        elif profile == "full":
            PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth = \
                4, math.inf, 3, 80
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    return dict(precision=PRINT_OPTS.precision, threshold=PRINT_OPTS.threshold, edgeitems=PRINT_OPTS.edgeitems,
                linewidth=PRINT_OPTS.linewidth, sci_mode=PRINT_OPTS.sci_mode)


class _Formatter:
    def __init__(self, arr):
        self.floating_dtype = arr.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = arr.reshape(-1)
        if not self.floating_dtype:
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(f"{value}"))
            return
        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size == 0:
            return
        absv = np.abs(vals).astype(np.float64)
        mn, mx = absv.min(), absv.max()
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        p = PRINT_OPTS.precision
        self.sci_mode = (mx / mn > 1000.0 or mx > 1.0e8 or mn < 1.0e-4) if PRINT_OPTS.sci_mode is None \
            else PRINT_OPTS.sci_mode
        pyvals = vals.tolist()
        if self.sci_mode:
            w = max(len(f"{v:.{p}e}") for v in pyvals)
        elif self.int_mode:
            w = max(len(f"{v:.0f}") for v in pyvals) + 1
        else:
            w = max(len(f"{v:.{p}f}") for v in pyvals)
        self.max_width = max(self.max_width, w)

    def width(self):
        return self.max_width

    def format(self, value):
        if self.floating_dtype:
            p = PRINT_OPTS.precision
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{p}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{p}f}"
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _vector_str(arr, indent, summarize, formatter):
    element_length = formatter.width() + 2
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    e = PRINT_OPTS.edgeitems
    fmt = formatter.format
    if summarize and not e:
        data = ["..."]
    elif summarize and arr.shape[0] > 2 * e:
        data = [fmt(v) for v in arr[:e].tolist()] + [" ..."] + [fmt(v) for v in arr[-e:].tolist()]
    else:
        data = [fmt(v) for v in arr.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(arr, indent, summarize, formatter):
    dim = arr.ndim
    if dim == 0:
        return formatter.format(arr.item())
    if dim == 1:
        return _vector_str(arr, indent, summarize, formatter)
    e = PRINT_OPTS.edgeitems
    n = arr.shape[0]
    if summarize and n > 2 * e:
        slices = ([_tensor_str_with_formatter(arr[i], indent + 1, summarize, formatter) for i in range(e)]
                  + ["..."]
                  + [_tensor_str_with_formatter(arr[i], indent + 1, summarize, formatter) for i in range(n - e, n)])
    else:
        slices = [_tensor_str_with_formatter(arr[i], indent + 1, summarize, formatter) for i in range(n)]
    return "[" + ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices) + "]"


def _summarized_data(arr):
    """The values that a summarised print shows (the formatter's width comes from them only)."""
    e = PRINT_OPTS.edgeitems
    if arr.ndim == 0:
        return arr
    if arr.ndim == 1:
        return np.concatenate((arr[:e], arr[-e:])) if arr.shape[0] > 2 * e else arr
    if not e:
        return arr[tuple(slice(0, 0) for _ in arr.shape)]
    if arr.shape[0] > 2 * e:
        rows = [arr[i] for i in range(e)] + [arr[i] for i in range(arr.shape[0] - e, arr.shape[0])]
    else:
        rows = list(arr)
    return np.stack([_summarized_data(r) for r in rows])


def _tensor_str(arr, indent):
    if arr.size == 0:
        return "[]"
    summarize = arr.size > PRINT_OPTS.threshold
    formatter = _Formatter(_summarized_data(arr) if summarize else arr)
    return _tensor_str_with_formatter(arr, indent, summarize, formatter)


def _add_suffixes(tensor_str, suffixes, indent, force_newline=False):
    out = [tensor_str]
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        n = len(suffix)
        if force_newline or last_line_len + n + 2 > PRINT_OPTS.linewidth:
            out.append(",\n" + " " * indent + suffix)
            last_line_len = indent + n
            force_newline = False
        else:
            out.append(", " + suffix)
            last_line_len += n + 2
    out.append(")")
    return "".join(out)


def tensor_repr(t):
    prefix = "tensor("
    indent = len(prefix)
    data = t._data if type(t._data) is np.ndarray else t._data.get()
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    dt = t.dtype
    default = get_default_dtype()
    has_default_dtype = dt is default or dt is int64 or dt is bool_
    if data.size == 0:
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        if dt is not default:
            suffixes.append(f"dtype={dt!r}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(data.shape)}")
        if not has_default_dtype:
            suffixes.append(f"dtype={dt!r}")
        body = _tensor_str(data, indent)
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    s = _add_suffixes(prefix + body, suffixes, indent)
    if type(t).__name__ == "Parameter":
        return "Parameter containing:\n" + s
    return s
