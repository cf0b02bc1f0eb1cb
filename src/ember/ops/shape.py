"""Shape ops: Size, view/reshape, expand, permute and friends (views share storage and the version counter)."""
import numpy as np

from .._tensor import Tensor
from ..autograd.function import Op
from ._util import export, method, wrap_dim, wrap_dims, check_tensor


class Size(tuple):
    """``x.shape``: a tuple that prints as ``ember.Size([2, 3])``."""

    def __repr__(self):
        return f"ember.Size({list(self)})"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))


def _shape_arg(shape):
    """Accept ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(Size)``; sizes may be 0-d int tensors."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    out = []
    for s in shape:
        if isinstance(s, Tensor):
            s = int(s)
        elif not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"shape must be a sequence of ints, but got an element of type {type(s).__name__}")
        out.append(int(s))
    return tuple(out)


def _infer_shape(shape, numel, op):
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    if neg:
        known = 1
        for s in shape:
            if s != -1:
                known *= s
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    n = 1
    for s in shape:
        n *= s
    if n != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class Reshape(Op):
    save_inputs = ()
    view = True

    def forward(ctx, x, shape, must_view):
        ctx.in_shape = x.shape
        if must_view:
            v = x.view()
            try:
                v.shape = shape
            except AttributeError:
                raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                                   "dimension spans across two contiguous subspaces). Use .reshape(...) instead.") \
                    from None
            return v
        return x.reshape(shape)

    def backward(ctx, g):
        return g.reshape(ctx.in_shape)


@export("reshape")
def reshape(input, *shape):
    check_tensor(input, "reshape")
    shape = _infer_shape(_shape_arg(shape), input._data.size, "reshape")
    if shape == input._data.shape:
        return Reshape.apply(input, shape=shape, must_view=False) if input._requires_grad else \
            _alias(input)
    return Reshape.apply(input, shape=shape, must_view=False)


def _alias(x):
    t = Tensor._make(x._data)
    t._version = x._version
    t._base = x if x._base is None else x._base
    return t


@method("view")
def view(self, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, np.integer, Tensor)):
        from .elementwise import _cast
        from .._dtype import to_dtype
        dt = to_dtype(shape[0])
        if dt.itemsize != self._data.itemsize:
            raise RuntimeError("view(dtype) with a different element size is not supported")
        return Tensor._make(self._data.view(dt.np))
    shape = _infer_shape(_shape_arg(shape), self._data.size, "view")
    return Reshape.apply(self, shape=shape, must_view=True)


@method("view_as")
def view_as(self, other):
    return view(self, other._data.shape)


@method("reshape_as")
def reshape_as(self, other):
    return reshape(self, other._data.shape)


class Expand(Op):
    save_inputs = ()
    view = True

    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return np.broadcast_to(x, shape)

    def backward(ctx, g):
        from .elementwise import sum_to
        return sum_to(g, ctx.in_shape)


def _expand_shape(in_shape, sizes):
    if len(sizes) < len(in_shape):
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(in_shape)}}}, size={list(sizes)}): the number of sizes "
                           f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the "
                           f"tensor ({len(in_shape)})")
    lead = len(sizes) - len(in_shape)
    out = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                                   "non-existing dimension 0")
            out.append(s)
            continue
        cur = in_shape[i - lead]
        if s == -1:
            out.append(cur)
        elif cur == s or cur == 1:
            out.append(s)
        else:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                               f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                               f"{list(in_shape)}")
    return tuple(out)


@method("expand")
def expand(self, *sizes):
    shape = _expand_shape(self._data.shape, _shape_arg(sizes))
    if shape == self._data.shape:
        return _alias(self) if not self._requires_grad else Expand.apply(self, shape=shape)
    return Expand.apply(self, shape=shape)


@method("expand_as")
def expand_as(self, other):
    return expand(self, other._data.shape)


@export("broadcast_to")
def broadcast_to(input, size):
    return expand(input, size)


class Permute(Op):
    save_inputs = ()
    view = True

    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    def backward(ctx, g):
        inv = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inv[d] = i
        return permute(g, tuple(inv))


@export("permute")
def permute(input, *dims):
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal to "
                           f"len(dims) = {len(dims)}")
    dims = wrap_dims(dims, nd, "permute")
    return Permute.apply(input, dims=dims)


@export("transpose", "swapaxes", "swapdims")
def transpose(input, dim0, dim1):
    nd = input._data.ndim
    if nd == 0:
        wrap_dim(dim0, 0)
        wrap_dim(dim1, 0)
        return _alias(input)
    d0, d1 = wrap_dim(dim0, nd), wrap_dim(dim1, nd)
    perm = list(range(nd))
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return Permute.apply(input, dims=tuple(perm))


def _T(self):
    nd = self._data.ndim
    return Permute.apply(self, dims=tuple(range(nd - 1, -1, -1))) if nd >= 2 else self


def _mT(self):
    if self._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got "
                           f"{self._data.ndim}-D tensor.")
    return transpose(self, -2, -1)


Tensor.T = property(_T)
Tensor.mT = property(_mT)
Tensor.H = property(_T)
Tensor.mH = property(_mT)


@export("t")
def t(input):
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")
    return _T(input)


@export("adjoint")
def adjoint(input):
    return _mT(input)
