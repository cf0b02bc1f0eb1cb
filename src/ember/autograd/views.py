"""In-place ops that autograd records on a *view*: the base's history is rewritten, as PyTorch's CopySlices does.

``v = base[...]; v.mul_(2)`` changes the base's values too, so both must get a new ``grad_fn``:

* the view's old values are re-read from the base's current graph (``GatherFlat``: a gather at the flat
  positions the view covers), the op runs on them, and
* the base's new node is ``ScatterFlat(base_old, result)``: the base with those positions replaced. Its gradient
  is the incoming gradient with those positions zeroed (for the old base) and gathered there (for the result).
* the view's new node is ``GatherFlat(base_new)``, so later uses of the view flow back through the base.

The flat positions are found from the arrays' memory addresses (strides and data pointers), so any strided view
works, whatever chain of view ops made it. Both ops are written with ember ops in backward: double backward works.
Only the base and the modified view are rewired; other views of the same base made *before* the in-place op keep
their old ``grad_fn`` (PyTorch regenerates those too).
"""
import numpy as np

from ..backend import array_module
from .function import Op, _new

NO_GRAD_VIEW = (
    "A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given that this use "
    "case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the view and the "
    "inplace either both inside the no_grad block (if you don't want the inplace to be tracked) or both outside (if "
    "you want the inplace to be tracked).")


class GatherFlat(Op):
    """``base.reshape(-1)[idx]``: the values at flat (C-order) positions ``idx`` of the base."""
    op_name = "as_strided"
    save_inputs = ()

    def forward(ctx, base, idx):
        ctx.idx = idx
        ctx.base_shape = base.shape
        return base.reshape(-1)[idx]

    def backward(ctx, g):
        from .._tensor import Tensor
        xp = array_module(g._data)
        zeros = Tensor._make(xp.zeros(ctx.base_shape, dtype=g._data.dtype))
        return ScatterFlat.apply(zeros, g, idx=ctx.idx)

    def name(self):
        return "AsStridedBackward0"


class ScatterFlat(Op):
    """The base with its flat positions ``idx`` replaced by ``values`` (``idx`` has no repeats)."""
    op_name = "copy_slices"
    save_inputs = ()

    def forward(ctx, base, values, idx):
        ctx.idx = idx
        out = base.copy()
        out.reshape(-1)[idx.reshape(-1)] = array_module(values).broadcast_to(values, idx.shape).reshape(-1)
        return out

    def backward(ctx, g):
        from .._tensor import Tensor
        gb = gv = None
        if ctx.edges[0] is not None:
            xp = array_module(g._data)
            gb = ScatterFlat.apply(g, Tensor._make(xp.zeros(ctx.idx.shape, dtype=g._data.dtype)), idx=ctx.idx)
        if ctx.edges[1] is not None:
            gv = GatherFlat.apply(g, idx=ctx.idx)
        return gb, gv

    def name(self):
        return "CopySlices"


def _ptr(a):
    return a.__array_interface__["data"][0] if type(a) is np.ndarray else a.data.ptr


def _addresses(shape, strides, start):
    a = np.asarray(start, dtype=np.int64)
    for n, s in zip(shape, strides):
        a = a[..., None] + np.arange(n, dtype=np.int64) * s
    return a


def view_index(v, b):
    """Flat C-order positions in ``b`` of the elements of ``v`` (an array of ``v``'s shape), or ``None`` when
    ``v`` does not lie in ``b``'s memory (a reshape that had to copy)."""
    it = b.itemsize
    if v.size == 0:
        idx = np.zeros(v.shape, dtype=np.int64)
    else:
        av = _addresses(v.shape, v.strides, _ptr(v) - _ptr(b))
        if b.flags.c_contiguous:
            if av.min() < 0 or av.max() >= b.nbytes or (av % it).any():
                return None
            idx = av // it
        else:
            ab = _addresses(b.shape, b.strides, 0).reshape(-1)
            order = np.argsort(ab, kind="stable")
            sb = ab[order]
            flat = av.reshape(-1)
            pos = np.searchsorted(sb, flat)
            if pos.max() >= sb.size or (sb[pos] != flat).any():
                return None
            idx = order[pos].reshape(v.shape)
    if type(b) is not np.ndarray:
        idx = array_module(b).asarray(idx)
    return idx


def _node(cls, Tensor, inputs, data, **attrs):
    """Record a node of ``cls`` over ``inputs`` whose output holds ``data`` (no forward run: the values are
    already in place)."""
    node = _new(cls)
    for k, v in attrs.items():
        setattr(node, k, v)
    node.inputs = inputs
    return node._finish(Tensor, inputs, data)


def inplace_on_view(view, base, fn, args, kwargs):
    """Apply ``fn`` in place to ``view`` (a view of ``base``) with autograd recording; ``None`` when ``view`` does
    not actually share ``base``'s memory (the caller then treats it as an ordinary tensor)."""
    from .._tensor import Tensor
    if base._requires_grad and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    if base._requires_grad and view.grad_fn is None:
        raise RuntimeError(NO_GRAD_VIEW)
    idx = view_index(view._data, base._data)
    if idx is None:
        return None
    b = Tensor._make(base._data, base._requires_grad, base.grad_fn)
    b._output_nr = base._output_nr
    src = GatherFlat.apply(b, idx=idx)                 # the view's current values, connected to the base
    out = fn(src, *args, **kwargs)
    view._check_write(out._data)
    if out._data.dtype != view._data.dtype:
        from ..ops.elementwise import _cast
        out = _cast(out, view.dtype)
    if out._data.shape != view._data.shape:
        out = out.expand(view._data.shape)
    xp = array_module(view._data)
    xp.copyto(view._data, out._data, casting="unsafe")
    view._version[0] += 1
    if not out._requires_grad and not base._requires_grad:
        return view
    nb = _node(ScatterFlat, Tensor, (b, out), base._data, idx=idx)
    base.grad_fn = nb.grad_fn
    base._output_nr = 0
    base._requires_grad = True
    nv = _node(GatherFlat, Tensor, (nb,), view._data, idx=idx, base_shape=base._data.shape)
    view.grad_fn = nv.grad_fn
    view._output_nr = 0
    view._requires_grad = True
    view._retains_grad = False
    return view
