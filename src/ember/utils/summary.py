"""``ember.summary(model, input_size)``: a per-layer table of output shapes, parameters and multiply-adds.

    >>> print(ember.summary(ember.models.get_model("lenet"), (1, 28, 28)))

It runs one forward pass (eval mode, no gradients, on zeros; the model's training flags, parameters and buffers
are left as they were) with forward hooks on the leaf modules, like torchinfo / torchsummary.

What counts as an operation ("FLOPs" in the table = multiply-adds, as the seed's homework counts them; biases,
activations, normalisation and pooling are not counted):

* ``Conv1d/2d/3d``: ``C_out × (output positions) × (C_in / groups) × K_h × K_w`` per sample.
* ``ConvTranspose*``: ``C_in × (input positions) × (C_out / groups) × (kernel positions)`` per sample.
* ``Linear``: ``in_features × out_features`` per row (× every leading dimension); ``Bilinear``: ``in1 × in2 × out``.
* ``RNN/GRU/LSTM``: ``gates × hidden × (input + hidden)`` per token, per layer and direction (gates: 1 / 3 / 4).
* ``MultiheadAttention``: the four projections plus ``2 × L × S × E`` for the scores and the weighted sum.
* everything else (BatchNorm, pooling, activations, dropout, embeddings, and tensor ops written directly in a
  ``forward``, e.g. a residual addition): 0.

Parameters are counted once per module even if it is called several times; the totals come from
``model.parameters()`` (each tensor once), split into trainable (``requires_grad``) and non-trainable.
Buffers (BatchNorm running statistics) are not parameters.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["summary", "Summary", "LayerRow"]


@dataclass
class LayerRow:
    """One call of one layer: dotted module name, class name, output shape, its own parameters (the first call
    only), multiply-adds of this call, and the module's depth in the tree."""
    name: str
    type: str
    output_shape: tuple
    params: int
    flops: int
    depth: int = 0


class Summary:
    """What :func:`summary` returns: ``rows`` (list of :class:`LayerRow`), ``total_params``,
    ``trainable_params``, ``non_trainable_params``, ``total_flops`` (multiply-adds, for the given batch),
    ``input_size``, ``params_bytes``. ``str(summary)`` is the printed table."""

    def __init__(self, model_name, rows, total_params, trainable_params, input_sizes, output_shape, params_bytes):
        self.model_name = model_name
        self.rows = rows
        self.total_params = total_params
        self.trainable_params = trainable_params
        self.non_trainable_params = total_params - trainable_params
        self.total_flops = sum(r.flops for r in rows)
        self.input_size = input_sizes[0] if len(input_sizes) == 1 else input_sizes
        self.output_shape = output_shape
        self.params_bytes = params_bytes

    @property
    def total_mult_adds(self) -> int:
        return self.total_flops

    def __str__(self) -> str:
        head = ("Layer (type)", "Output Shape", "Param #", "Mult-Adds")
        body = [(f"{r.name} ({r.type})", str(list(r.output_shape)), f"{r.params:,}",
                 f"{r.flops:,}") for r in self.rows]
        widths = [max(len(row[i]) for row in [head, *body]) for i in range(4)]
        fmt = "{:<%d}  {:>%d}  {:>%d}  {:>%d}" % tuple(widths)
        line = sum(widths) + 6
        out = [f"{self.model_name} summary", "=" * line, fmt.format(*head), "=" * line]
        out += [fmt.format(*row) for row in body]
        out += ["=" * line,
                f"Total params: {self.total_params:,}",
                f"Trainable params: {self.trainable_params:,}",
                f"Non-trainable params: {self.non_trainable_params:,}",
                f"Total mult-adds: {self.total_flops:,} ({_human(self.total_flops)})",
                "-" * line,
                f"Input size: {self.input_size}",
                f"Output shape: {self.output_shape}",
                f"Params size (MB): {self.params_bytes / 2 ** 20:.2f}",
                "-" * line]
        return "\n".join(out)

    __repr__ = __str__


def _human(n: int) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return str(n)


def _first_tensor(obj):
    """The first Tensor in a (nested) output: a tuple/list/namedtuple, a dict, or a PackedSequence-like object."""
    from .._tensor import Tensor
    if isinstance(obj, Tensor):
        return obj
    if isinstance(obj, dict):
        obj = list(obj.values())
    if isinstance(obj, (tuple, list)):
        for item in obj:
            t = _first_tensor(item)
            if t is not None:
                return t
    data = getattr(obj, "data", None)          # PackedSequence
    return data if isinstance(data, Tensor) else None


def _mult_adds(module, args, kwargs, output) -> int:
    from .. import nn
    out = _first_tensor(output)
    if isinstance(module, nn.modules.conv._ConvTransposeNd):
        x = _first_tensor(args)
        return x.numel() * (module.out_channels // module.groups) * math.prod(module.kernel_size)
    if isinstance(module, nn.modules.conv._ConvNd):
        return out.numel() * (module.in_channels // module.groups) * math.prod(module.kernel_size)
    if isinstance(module, nn.Linear):
        return out.numel() * module.in_features
    if isinstance(module, nn.Bilinear):
        return out.numel() * module.in1_features * module.in2_features
    if isinstance(module, nn.RNNBase):
        x = _first_tensor(args)
        tokens = x.numel() // module.input_size
        gates = {"LSTM": 4, "GRU": 3}.get(module.mode, 1)
        dirs = 2 if module.bidirectional else 1
        total = 0
        for layer in range(module.num_layers):
            layer_in = module.input_size if layer == 0 else module.hidden_size * dirs
            total += dirs * tokens * gates * module.hidden_size * (layer_in + module.hidden_size)
        return total
    if isinstance(module, nn.MultiheadAttention):
        names = ("query", "key", "value")
        qkv = [args[i] if i < len(args) else kwargs.get(n) for i, n in enumerate(names)]
        q, k, v = qkv
        e = module.embed_dim
        if q.dim() == 2:
            batch = 1
        else:
            batch = q.shape[0] if module.batch_first else q.shape[1]
        q_tokens = q.numel() // e
        src_len = k.numel() // module.kdim // batch
        projections = q.numel() * e + k.numel() * e + v.numel() * e + q.numel() * e
        return projections + 2 * q_tokens * src_len * e
    return 0


def _make_inputs(input_size, dtype, batch_size, device):
    from .. import ops
    from .._dtype import dtype as dtype_cls
    sizes = input_size
    if isinstance(sizes, (tuple, list)) and sizes and all(isinstance(s, int) for s in sizes):
        sizes = [tuple(sizes)]
    if not isinstance(sizes, (tuple, list)) or not sizes or not all(
            isinstance(s, (tuple, list)) and all(isinstance(d, int) and not isinstance(d, bool) and d > 0
                                                 for d in s) for s in sizes):
        raise TypeError(f"summary(): input_size must be a tuple of positive ints (one input, without the batch "
                        f"dimension) or a list of such tuples, got {input_size!r}")
    dtypes = dtype if isinstance(dtype, (tuple, list)) else [dtype] * len(sizes)
    if len(dtypes) != len(sizes):
        raise ValueError(f"summary(): got {len(dtypes)} dtypes for {len(sizes)} inputs")
    for d in dtypes:
        if d is not None and not isinstance(d, dtype_cls):
            raise TypeError(f"summary(): dtype must be an ember.dtype or None, got {d!r}")
    # Zeros, not random numbers: a summary must not advance the global random generator.
    inputs = [ops.creation.zeros((batch_size, *s), dtype=d, device=device) for s, d in zip(sizes, dtypes)]
    return [tuple(s) for s in sizes], inputs


def summary(model, input_size=None, dtype=None, *, batch_size: int = 1, input_data=None, device=None) -> Summary:
    """Run ``model`` once on zeros of shape ``(batch_size, *input_size)`` and tabulate every leaf layer.

    Args:
        model: an ``ember.nn.Module``.
        input_size: one input's shape without the batch dimension, e.g. ``(1, 28, 28)``, or a list of shapes
            for a model with several inputs.
        dtype: the input dtype, or one per input (default: the model's ``default_input_dtype`` attribute if it
            has one, e.g. ``ember.long`` for a model of token ids, else ember's default float dtype).
        batch_size: the batch dimension added in front (the mult-adds are for the whole batch).
        input_data: instead of ``input_size``, the actual input Tensor (or a tuple of Tensors) to run.
        device: where the inputs are made (default: the device of the model's first parameter).

    Returns a :class:`Summary`; ``print`` it for the table.
    """
    from .. import nn
    from .._config import no_grad
    from .._tensor import Tensor

    if not isinstance(model, nn.Module):
        raise TypeError(f"summary(): argument 'model' must be an ember.nn.Module, not {type(model).__name__}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(f"summary(): batch_size must be a positive int, got {batch_size!r}")
    params = list({id(p): p for p in model.parameters()}.values())
    if device is None:
        device = params[0].device if params else None
    if input_data is not None:
        inputs = list(input_data) if isinstance(input_data, (tuple, list)) else [input_data]
        if not all(isinstance(t, Tensor) for t in inputs):
            raise TypeError("summary(): input_data must be a Tensor or a tuple of Tensors")
        sizes = [tuple(t.shape) for t in inputs]
    elif input_size is None:
        raise TypeError("summary(): give input_size (or input_data)")
    else:
        if dtype is None:
            dtype = getattr(model, "default_input_dtype", None)
        sizes, inputs = _make_inputs(input_size, dtype, batch_size, device)

    # The modules that get a row: leaves, modules holding parameters of their own, and modules whose forward
    # does not call their children (MultiheadAttention, RNN layers), which count as one layer.
    atomic = (nn.MultiheadAttention, nn.RNNBase)
    rows: list[LayerRow] = []
    seen: set[int] = set()
    handles = []

    def make_hook(name, depth, whole):
        def hook(module, args, kwargs, output):
            first = id(module) not in seen
            seen.add(id(module))
            own = module.parameters() if whole else module.parameters(recurse=False)
            n_params = sum(p.numel() for p in own) if first else 0
            out = _first_tensor(output)
            rows.append(LayerRow(name, type(module).__name__, tuple(out.shape) if out is not None else (),
                                 n_params, int(_mult_adds(module, args, kwargs, output)), depth))
        return hook

    skip_under: list[str] = []
    for name, module in model.named_modules():
        if any(name.startswith(p + ".") for p in skip_under):
            continue
        whole = isinstance(module, atomic) or not module._modules
        if isinstance(module, atomic):
            skip_under.append(name)
        if whole or any(p is not None for p in module._parameters.values()):
            depth = name.count(".")
            handles.append(module.register_forward_hook(make_hook(name or type(module).__name__, depth, whole),
                                                        with_kwargs=True))

    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with no_grad():
            output = model(*inputs)
    except Exception as e:
        raise RuntimeError(f"summary(): the forward pass of {type(model).__name__} on inputs of shape "
                           f"{[tuple(t.shape) for t in inputs]} failed: {type(e).__name__}: {e}") from e
    finally:
        for h in handles:
            h.remove()
        for m, training in modes:
            m.training = training

    out = _first_tensor(output)
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    nbytes = sum(p.numel() * p.element_size() for p in params)
    return Summary(type(model).__name__, rows, total, trainable, sizes,
                   tuple(out.shape) if out is not None else None, nbytes)
