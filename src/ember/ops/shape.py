"""Shape ops: Size, view/reshape, expand, permute and friends (views share storage and the version counter)."""
import numpy as np

from .._tensor import Tensor
from ..autograd.function import Op
from .._config import grad_enabled as _grad_enabled
from .._dtype import from_numpy_dtype, promote_types
from ..backend import array_module
from ._util import export, method, wrap_dim, wrap_dims, check_tensor, inplace_of, broadcast_shape
from .elementwise import _cast, _maybe_out, Clone


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


class ReshapeCopy(Reshape):
    """A reshape that had to copy (a non-contiguous input): the result does not share the version counter."""
    view = False
    op_name = "reshape"


def _fast_shape(shape, numel):
    """The target shape when it is given as plain ints (at most one -1) that fit ``numel``; else None."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    n = 1
    neg = -1
    for i, v in enumerate(shape):
        if type(v) is not int:
            return None
        if v < 0:
            if v != -1 or neg >= 0:
                return None
            neg = i
        else:
            n *= v
    if neg >= 0:
        if n == 0 or numel % n:
            return None
        shape = tuple(shape)
        return shape[:neg] + (numel // n,) + shape[neg + 1:]
    return tuple(shape) if n == numel else None


def _reshape_to(input, shape):
    """Reshape to a checked ``shape``: a view where the strides allow it (as PyTorch), else a copy."""
    a = input._data
    if not a.flags.c_contiguous and a.size > 1:
        try:
            a.view().shape = shape
        except AttributeError:
            return ReshapeCopy.apply(input, shape=shape, must_view=False)
    return Reshape.apply(input, shape=shape, must_view=False)


@export("reshape")
def reshape(input, *shape):
    if not isinstance(input, Tensor):
        check_tensor(input, "reshape")
    a = input._data
    shape = _fast_shape(shape, a.size) or _infer_shape(_shape_arg(shape), a.size, "reshape")
    if shape == a.shape and not input._requires_grad:
        return _alias(input)
    return _reshape_to(input, shape)


def _alias(x):
    t = Tensor._make(x._data)
    t._version = x._version
    t._base = x if x._base is None else x._base
    return t


@method("view")
def view(self, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, np.integer, Tensor)):
        from .._dtype import to_dtype
        dt = to_dtype(shape[0])
        if dt.itemsize != self._data.itemsize:
            raise RuntimeError("view(dtype) with a different element size is not supported")
        out = Tensor._make(self._data.view(dt.np))
        out._version = self._version      # same storage: in-place writes show through both
        out._base = self if self._base is None else self._base
        return out
    shape = _fast_shape(shape, self._data.size) or _infer_shape(_shape_arg(shape), self._data.size, "view")
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
    dims = tuple(wrap_dim(d, nd, "permute") for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
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


# ---------------------------------------------------------------------------------------------- view checks
# ---------------------------------------------------------------------------------------------- basic slicing
def _np_key(key):
    """A basic-indexing key that always yields a view (an Ellipsis keeps NumPy from returning a scalar)."""
    return key + (Ellipsis,) if Ellipsis not in key else key


class Slice(Op):
    """``x[key]`` for a basic key (ints, slices, None, Ellipsis): a view."""
    save_inputs = ()
    view = True

    def forward(ctx, x, key):
        ctx.in_shape = x.shape
        ctx.key = key
        return x[key]

    def backward(ctx, g):
        return SliceBackward.apply(g, key=ctx.key, shape=ctx.in_shape)


class SliceBackward(Op):
    """Zeros of ``shape`` with ``g`` written at ``key`` (the gradient of a basic slice)."""
    save_inputs = ()

    def forward(ctx, g, key, shape):
        ctx.key = key
        out = array_module(g).zeros(shape, dtype=g.dtype)
        out[key] = g
        return out

    def backward(ctx, gg):
        return Slice.apply(gg, key=ctx.key)


def _slice_dim(x, dim, index):
    """A view of ``x`` with ``index`` (an int or slice) applied at ``dim``."""
    return Slice.apply(x, key=(slice(None),) * dim + (index, Ellipsis))


# ---------------------------------------------------------------------------------------------- (un)squeeze, flatten
@export("unsqueeze")
def unsqueeze(input, dim):
    check_tensor(input, "unsqueeze")
    nd = input._data.ndim
    d = wrap_dim(dim, nd + 1, "unsqueeze")
    s = input._data.shape
    return Reshape.apply(input, shape=s[:d] + (1,) + s[d:], must_view=False)


@export("squeeze")
def squeeze(input, dim=None):
    check_tensor(input, "squeeze")
    s = input._data.shape
    if dim is None:
        dims = tuple(i for i, n in enumerate(s) if n == 1)
    else:
        dims = wrap_dims(dim, len(s), "squeeze")
        dims = tuple(d for d in dims if s[d] == 1)
    if not dims:
        return _alias(input) if not input._requires_grad else Reshape.apply(input, shape=s, must_view=False)
    return Reshape.apply(input, shape=tuple(n for i, n in enumerate(s) if i not in dims), must_view=False)


@export("flatten")
def flatten(input, start_dim=0, end_dim=-1):
    check_tensor(input, "flatten")
    s = input._data.shape
    if len(s) == 0:
        wrap_dim(start_dim, 0, "flatten")
        wrap_dim(end_dim, 0, "flatten")
        return reshape(input, (1,))
    a, b = wrap_dim(start_dim, len(s), "flatten"), wrap_dim(end_dim, len(s), "flatten")
    if a > b:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if a == b:
        return _alias(input) if not input._requires_grad else Reshape.apply(input, shape=s, must_view=False)
    n = 1
    for k in s[a:b + 1]:
        n *= k
    return _reshape_to(input, s[:a] + (n,) + s[b + 1:])


@export("unflatten")
def unflatten(input, dim, sizes):
    check_tensor(input, "unflatten")
    s = input._data.shape
    d = wrap_dim(dim, len(s), "unflatten")
    sizes = _shape_arg((sizes,))
    if len(sizes) == 0:
        raise RuntimeError("unflatten: sizes must be non-empty")
    try:
        sizes = _infer_shape(sizes, s[d], "unflatten")
    except RuntimeError:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({s[d]}) in the input tensor") from None
    return _reshape_to(input, s[:d] + sizes + s[d + 1:])


def _inplace_view(self, fn, *args, **kwargs):
    """``x.squeeze_()`` and friends: ``x`` itself becomes the view (its node, when recording, is the view's)."""
    if _grad_enabled[0] and self._requires_grad:
        if self.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        src = Tensor._make(self._data, True, self.grad_fn)
        src._output_nr = self._output_nr
        src._version = self._version
        src._base = self._base
        out = fn(src, *args, **kwargs)
        self.grad_fn = out.grad_fn
        self._output_nr = out._output_nr
    else:
        out = fn(self, *args, **kwargs)
    self._data = out._data
    return self


Tensor.squeeze_ = lambda self, dim=None: _inplace_view(self, squeeze, dim)
Tensor.unsqueeze_ = lambda self, dim: _inplace_view(self, unsqueeze, dim)
Tensor.t_ = lambda self: _inplace_view(self, t)
Tensor.transpose_ = lambda self, dim0, dim1: _inplace_view(self, transpose, dim0, dim1)
Tensor.swapaxes_ = Tensor.swapdims_ = Tensor.transpose_


# ---------------------------------------------------------------------------------------------- narrow / select
@export("narrow")
def narrow(input, dim, start, length):
    check_tensor(input, "narrow")
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, nd, "narrow")
    size = input._data.shape[d]
    start, length = int(start), int(length)
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return _slice_dim(input, d, slice(start, start + length))


@export("select")
def select(input, dim, index):
    check_tensor(input, "select")
    nd = input._data.ndim
    if nd == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, nd, "select")
    size = input._data.shape[d]
    index = int(index)
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input._data.shape)} at "
                         f"dimension {d}")
    return _slice_dim(input, d, index)


# ---------------------------------------------------------------------------------------------- split family
class SplitOp(Op):
    """Views of consecutive pieces of ``x`` along ``dim`` (several outputs); backward concatenates."""
    save_inputs = ()
    view = True
    op_name = "split"

    def forward(ctx, x, dim, bounds):
        ctx.dim, ctx.bounds, ctx.in_shape, ctx.np_dtype = dim, bounds, x.shape, x.dtype
        pre = (slice(None),) * dim
        return tuple(x[pre + (slice(a, b), Ellipsis)] for a, b in bounds)

    def backward(ctx, *grads):
        b = ctx.bounds
        if b[0][0] != 0 or b[-1][1] != ctx.in_shape[ctx.dim] or any(b[i][1] != b[i + 1][0]
                                                                    for i in range(len(b) - 1)):
            # overlapping pieces (tensor_split with unsorted indices): add each piece's gradient in place
            pre = (slice(None),) * ctx.dim
            total = None
            for g, (lo, hi) in zip(grads, b):
                if g is not None:
                    p = SliceBackward.apply(g, key=pre + (slice(lo, hi), Ellipsis), shape=ctx.in_shape)
                    total = p if total is None else total + p
            return total
        parts = []
        xp = None
        for g in grads:
            if g is not None:
                xp = array_module(g._data)
                break
        for g, (a, b) in zip(grads, ctx.bounds):
            if g is None:
                s = ctx.in_shape[:ctx.dim] + (b - a,) + ctx.in_shape[ctx.dim + 1:]
                g = Tensor._make(xp.zeros(s, dtype=ctx.np_dtype))
            parts.append(g)
        if len(parts) == 1:
            return parts[0]
        return Cat.apply(*parts, dim=ctx.dim, skip=())


def _split_bounds(sizes):
    out, a = [], 0
    for s in sizes:
        out.append((a, a + s))
        a += s
    return tuple(out)


def _split_views(input, d, bounds):
    outs = SplitOp.apply(input, dim=d, bounds=bounds)
    return outs


@export("split")
def split(tensor, split_size_or_sections, dim=0):
    check_tensor(tensor, "split")
    nd = tensor._data.ndim
    if nd == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, nd, "split")
    size = tensor._data.shape[d]
    s = split_size_or_sections
    if isinstance(s, Tensor) and s._data.ndim == 0:
        s = int(s)
    if isinstance(s, (int, np.integer)):
        s = int(s)
        if s < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
        if s == 0:
            if size != 0:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of "
                                   f"{size}")
            sizes = [0]
        else:
            sizes = [s] * (size // s) + ([size % s] if size % s else [])
            if not sizes:
                sizes = [0]
    else:
        sizes = [int(v) for v in s]
        if sum(sizes) != size or any(v < 0 for v in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's "
                               f"size at dimension {d}), but got split_sizes={sizes}")
    return _split_views(tensor, d, _split_bounds(sizes))


@method("split_with_sizes")
def split_with_sizes(self, split_sizes, dim=0):
    return split(self, list(split_sizes), dim)


@export("chunk")
def chunk(input, chunks, dim=0):
    check_tensor(input, "chunk")
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    chunks = int(chunks)
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    d = wrap_dim(dim, nd, "chunk")
    size = input._data.shape[d]
    step = -(-size // chunks)
    if size == 0:
        return split(input, 0, d) if chunks else ()
    return split(input, step, d)


@export("tensor_split")
def tensor_split(input, indices_or_sections, dim=0):
    check_tensor(input, "tensor_split")
    nd = input._data.ndim
    if nd == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    d = wrap_dim(dim, nd, "tensor_split")
    size = input._data.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios._data.dtype.kind not in "iu":
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have integer dtype, but got "
                               f"{ios.dtype}")
        if ios._data.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {ios._data.ndim} dims")
        ios = int(ios) if ios._data.ndim == 0 else [int(v) for v in ios.tolist()]
    if isinstance(ios, (int, np.integer)):
        n = int(ios)
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        q, r = divmod(size, n)
        sizes = [q + 1] * r + [q] * (n - r)
        return _split_views(input, d, _split_bounds(sizes))
    bounds, prev = [], 0
    for i in list(ios) + [size]:
        i = int(i)
        if i < 0:
            i = max(i + size, 0)
        i = min(i, size)
        bounds.append((prev, max(i, prev)))
        prev = i
    return _split_views(input, d, tuple(bounds))


def _hvd_split(name, dim_of, min_nd):
    def fn(input, indices_or_sections):
        nd = input._data.ndim
        if nd < min_nd:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {min_nd} dimension, but got a tensor "
                               f"with {nd} dimensions!")
        d = dim_of(nd)
        if isinstance(indices_or_sections, (int, np.integer)) and input._data.shape[d] % int(indices_or_sections):
            raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but the size of the "
                               f"dimension {input._data.shape[d]} is not divisible by the split_size "
                               f"{indices_or_sections}!")
        return tensor_split(input, indices_or_sections, d)
    fn.__name__ = name
    return export(name)(fn)


hsplit = _hvd_split("hsplit", lambda nd: 1 if nd > 1 else 0, 1)
vsplit = _hvd_split("vsplit", lambda nd: 0, 2)
dsplit = _hvd_split("dsplit", lambda nd: 2, 3)


class Unbind(Op):
    save_inputs = ()
    view = True

    def forward(ctx, x, dim):
        ctx.dim, ctx.in_shape, ctx.np_dtype = dim, x.shape, x.dtype
        pre = (slice(None),) * dim
        return tuple(x[pre + (i, Ellipsis)] for i in range(x.shape[dim]))

    def backward(ctx, *grads):
        xp = None
        for g in grads:
            if g is not None:
                xp = array_module(g._data)
                break
        s = ctx.in_shape[:ctx.dim] + ctx.in_shape[ctx.dim + 1:]
        parts = [Tensor._make(xp.zeros(s, dtype=ctx.np_dtype)) if g is None else g for g in grads]
        return Stack.apply(*parts, dim=ctx.dim)


@export("unbind")
def unbind(input, dim=0):
    check_tensor(input, "unbind")
    nd = input._data.ndim
    if nd == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = wrap_dim(dim, nd, "unbind")
    if input._data.shape[d] == 0:
        return ()
    return Unbind.apply(input, dim=d)


# ---------------------------------------------------------------------------------------------- cat / stack
class Cat(Op):
    save_inputs = ()

    def forward(ctx, *arrays, dim, skip):
        ctx.dim = dim
        ctx.skip = skip
        ctx.sizes = [a.shape[dim] if i not in skip else 0 for i, a in enumerate(arrays)]
        ctx.np_dtype = arrays[0].dtype
        if skip:
            arrays = [a for i, a in enumerate(arrays) if i not in skip]
        return array_module(arrays[0]).concatenate(arrays, axis=dim)

    def backward(ctx, g):
        kept = [i for i in range(len(ctx.sizes)) if i not in ctx.skip]
        pieces = SplitOp.apply(g, dim=ctx.dim, bounds=_split_bounds([ctx.sizes[i] for i in kept]))
        if type(pieces) is not tuple:
            pieces = (pieces,)
        out = [None] * len(ctx.sizes)
        for i, p in zip(kept, pieces):
            out[i] = p if ctx.edges[i] is not None else None
        for i in ctx.skip:
            if ctx.edges[i] is not None:
                out[i] = Tensor._make(array_module(g._data).zeros((0,), dtype=g._data.dtype))
        return tuple(out)


def _tensor_list(tensors, op):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for i, t_ in enumerate(tensors):
        if not isinstance(t_, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t_).__name__}")
    return list(tensors)


def _promote_all(tensors):
    dt = tensors[0]._data.dtype
    if all(t_._data.dtype == dt for t_ in tensors):
        return tensors
    r = from_numpy_dtype(dt)
    for t_ in tensors[1:]:
        r = promote_types(r, from_numpy_dtype(t_._data.dtype))
    return [_cast(t_, r) for t_ in tensors]


@export("cat", "concat", "concatenate")
def cat(tensors, dim=0, *, axis=None, out=None):
    tensors = _tensor_list(tensors, "cat")
    if axis is not None:
        dim = axis
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    skip = tuple(i for i, t_ in enumerate(tensors) if t_._data.shape == (0,))
    ref = None
    for i, t_ in enumerate(tensors):
        if i in skip:
            continue
        if t_._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
        if ref is None:
            ref = i
    if ref is None:   # every input is a legacy empty tensor
        ref = 0
        skip = ()
    rs = tensors[ref]._data.shape
    d = wrap_dim(dim, len(rs), "cat")
    for i, t_ in enumerate(tensors):
        if i in skip:
            continue
        s = t_._data.shape
        if len(s) != len(rs):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(rs)} and {len(s)}")
        for k in range(len(s)):
            if k != d and s[k] != rs[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size {rs[k]} "
                                   f"but got size {s[k]} for tensor number {i} in the list.")
    tensors = _promote_all(tensors)
    if len(tensors) == 1:
        r = Cat.apply(tensors[0], dim=d, skip=())
    else:
        r = Cat.apply(*tensors, dim=d, skip=skip)
    return _maybe_out(r, out)


class Stack(Op):
    save_inputs = ()

    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        return array_module(arrays[0]).stack(arrays, axis=dim)

    def backward(ctx, g):
        parts = Unbind.apply(g, dim=ctx.dim)
        if type(parts) is not tuple:
            parts = (parts,)
        return tuple(p if e is not None else None for p, e in zip(parts, ctx.edges))


@export("stack")
def stack(tensors, dim=0, *, out=None):
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    s0 = tensors[0]._data.shape
    for i, t_ in enumerate(tensors):
        if t_._data.shape != s0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(s0)} at entry 0 and "
                               f"{list(t_._data.shape)} at entry {i}")
    d = wrap_dim(dim, len(s0) + 1, "stack")
    tensors = _promote_all(tensors)
    return _maybe_out(Stack.apply(*tensors, dim=d), out)


def _atleast(n):
    def fn(*tensors):
        single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
        if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
            tensors = tuple(tensors[0])
        outs = []
        for x in tensors:
            s = x._data.shape
            if len(s) >= n:
                outs.append(x)
            elif n == 1:
                outs.append(reshape(x, (1,)))
            elif n == 2:
                outs.append(reshape(x, (1,) * (2 - len(s)) + s))
            else:
                ns = (1, 1, 1) if len(s) == 0 else (1,) + s + (1,) if len(s) == 1 else s + (1,)
                outs.append(reshape(x, ns))
        return outs[0] if single else tuple(outs)
    fn.__name__ = f"atleast_{n}d"
    return export(fn.__name__, method=False)(fn)


atleast_1d = _atleast(1)
atleast_2d = _atleast(2)
atleast_3d = _atleast(3)


@export("hstack", method=False)
def hstack(tensors, *, out=None):
    ts = atleast_1d(*_tensor_list(tensors, "hstack"))
    ts = [ts] if isinstance(ts, Tensor) else list(ts)
    return cat(ts, 0 if ts and ts[0]._data.ndim == 1 else 1, out=out)


@export("vstack", "row_stack", method=False)
def vstack(tensors, *, out=None):
    ts = atleast_2d(*_tensor_list(tensors, "vstack"))
    ts = [ts] if isinstance(ts, Tensor) else list(ts)
    return cat(ts, 0, out=out)


@export("dstack", method=False)
def dstack(tensors, *, out=None):
    ts = atleast_3d(*_tensor_list(tensors, "dstack"))
    ts = [ts] if isinstance(ts, Tensor) else list(ts)
    return cat(ts, 2, out=out)


@export("column_stack", method=False)
def column_stack(tensors, *, out=None):
    ts = []
    for x in _tensor_list(tensors, "column_stack"):
        nd = x._data.ndim
        ts.append(reshape(x, (x._data.size, 1)) if nd <= 1 else x)
    return cat(ts, 1, out=out)


# ---------------------------------------------------------------------------------------------- repeat / tile
class Repeat(Op):
    save_inputs = ()

    def forward(ctx, x, reps):
        lead = len(reps) - x.ndim
        shape = (1,) * lead + x.shape
        ctx.shape, ctx.reps = shape, reps
        return array_module(x).tile(x.reshape(shape), reps)

    def backward(ctx, g):
        from .reduce import sum as _sum
        inter = []
        for r, s in zip(ctx.reps, ctx.shape):
            inter += [r, s]
        g = reshape(g, tuple(inter))
        return _sum(g, tuple(range(0, len(inter), 2)))


@method("repeat")
def repeat(self, *sizes):
    reps = _shape_arg(sizes)
    if len(reps) < self._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           "tensor")
    for r in reps:
        if r < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {r}: {list(reps)}")
    x = self
    lead = len(reps) - x._data.ndim
    if lead:
        x = reshape(x, (1,) * lead + x._data.shape)
    return Repeat.apply(x, reps=reps)


@export("tile")
def tile(input, dims):
    check_tensor(input, "tile")
    reps = _shape_arg((dims,))
    if len(reps) < input._data.ndim:
        reps = (1,) * (input._data.ndim - len(reps)) + reps
    return repeat(input, reps)


@export("repeat_interleave")
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:      # repeat_interleave(repeats_tensor): indices repeated by their counts
        r = input
        if r._data.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        xp = array_module(r._data)
        return Tensor._make(xp.repeat(xp.arange(r._data.shape[0], dtype=np.int64), r._data.astype(np.int64)))
    check_tensor(input, "repeat_interleave")
    x = input
    if dim is None:
        x = reshape(x, (-1,))
        d = 0
    else:
        d = wrap_dim(dim, x._data.ndim, "repeat_interleave")
    if x._data.ndim == 0:
        x = reshape(x, (1,))
    n = x._data.shape[d]
    xp = array_module(x._data)
    if isinstance(repeats, Tensor):
        if repeats._data.dtype.kind not in "iu":
            raise RuntimeError("repeat_interleave: repeats has to be Long or Int tensor")
        if repeats._data.ndim > 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        rep = repeats._data.reshape(-1)
        if rep.size == 1:
            rep = xp.full((n,), int(rep[0]), dtype=np.int64)
        elif rep.size != n:
            raise RuntimeError("repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{rep.size} and input.size({d}) = {n}")
    else:
        rep = int(repeats)
        if rep < 0:
            raise RuntimeError("repeats can not be negative")
        rep = xp.full((n,), rep, dtype=np.int64)
    if (rep < 0).any():
        raise RuntimeError("repeats can not be negative")
    idx = xp.repeat(xp.arange(n, dtype=np.int64), rep.astype(np.int64))
    from .indexing import index_select
    return index_select(x, d, Tensor._make(idx))


# ---------------------------------------------------------------------------------------------- flip / roll / rot90
class Flip(Op):
    save_inputs = ()

    def forward(ctx, x, dims):
        ctx.dims = dims
        return array_module(x).flip(x, axis=dims).copy() if dims else x.copy()

    def backward(ctx, g):
        return Flip.apply(g, dims=ctx.dims)


@export("flip")
def flip(input, *dims):
    check_tensor(input, "flip")
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    dims = wrap_dims(tuple(dims), input._data.ndim, "flip")
    return Flip.apply(input, dims=dims)


@export("fliplr")
def fliplr(input):
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


@export("flipud")
def flipud(input):
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


class Roll(Op):
    save_inputs = ()

    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return array_module(x).roll(x, shifts, axis=dims)

    def backward(ctx, g):
        return Roll.apply(g, shifts=tuple(-s for s in ctx.shifts), dims=ctx.dims)


@export("roll")
def roll(input, shifts, dims=None):
    check_tensor(input, "roll")
    shifts = (int(shifts),) if isinstance(shifts, (int, np.integer)) else tuple(int(s) for s in shifts)
    if dims is None or (isinstance(dims, (tuple, list)) and len(dims) == 0):
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        s = input._data.shape
        return reshape(Roll.apply(reshape(input, (-1,)), shifts=shifts, dims=(0,)), s)
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    nd = input._data.ndim
    dims = tuple(wrap_dim(d, nd, "roll") for d in dims)
    return Roll.apply(input, shifts=shifts, dims=dims)


@export("rot90")
def rot90(input, k=1, dims=(0, 1)):
    check_tensor(input, "rot90")
    dims = tuple(dims)
    nd = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = wrap_dim(dims[0], nd, "rot90"), wrap_dim(dims[1], nd, "rot90")
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k = int(k) % 4
    if k == 1:
        return transpose(flip(input, (d1,)), d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(transpose(input, d0, d1), (d1,))
    return Clone.apply(input)


# ---------------------------------------------------------------------------------------------- triangles, diagonals
class Tril(Op):
    save_inputs = ()

    def forward(ctx, x, k):
        ctx.k = k
        return self_tri(ctx)(x, k)

    def backward(ctx, g):
        return type(ctx).apply(g, k=ctx.k)


def self_tri(ctx):
    return np.tril if ctx.op_name == "tril" else np.triu


class Triu(Tril):
    pass


def _tri(cls, name):
    def fn(input, diagonal=0, *, out=None):
        check_tensor(input, name)
        if input._data.ndim < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        return _maybe_out(cls.apply(input, k=int(diagonal)), out)
    fn.__name__ = name
    export(name)(fn)
    setattr(Tensor, name + "_", inplace_of(fn))
    return fn


tril = _tri(Tril, "tril")
triu = _tri(Triu, "triu")


def _diag_len(s1, s2, offset):
    return max(0, min(s1, s2 - offset) if offset >= 0 else min(s1 + offset, s2))


def _diag_view(x, offset, d1, d2):
    """The writable strided view of the diagonal of ``x`` over dims ``d1``/``d2`` (put last)."""
    s, st = x.shape, x.strides
    n = _diag_len(s[d1], s[d2], offset)
    ptr_dim = d2 if offset >= 0 else d1
    if n > 0 and offset:
        x = x[(slice(None),) * ptr_dim + (slice(abs(offset), None), Ellipsis)]
    shape = tuple(v for i, v in enumerate(s) if i not in (d1, d2)) + (n,)
    strides = tuple(v for i, v in enumerate(st) if i not in (d1, d2)) + (st[d1] + st[d2],)
    xp = array_module(x)
    return xp.lib.stride_tricks.as_strided(x, shape, strides, writeable=bool(x.flags.writeable)) \
        if xp is np else xp.lib.stride_tricks.as_strided(x, shape, strides)


class Diagonal(Op):
    save_inputs = ()
    view = True

    def forward(ctx, x, offset, d1, d2):
        ctx.args = (x.shape, offset, d1, d2)
        return _diag_view(x, offset, d1, d2)

    def backward(ctx, g):
        shape, offset, d1, d2 = ctx.args
        return DiagEmbed.apply(g, shape=shape, offset=offset, d1=d1, d2=d2)


class DiagEmbed(Op):
    """Zeros of ``shape`` with the last dim of ``x`` written on the (d1, d2, offset) diagonal."""
    save_inputs = ()

    def forward(ctx, x, shape, offset, d1, d2):
        ctx.args = (offset, d1, d2)
        out = array_module(x).zeros(shape, dtype=x.dtype)
        _diag_view(out, offset, d1, d2)[...] = x
        return out

    def backward(ctx, g):
        offset, d1, d2 = ctx.args
        return Diagonal.apply(g, offset=offset, d1=d1, d2=d2)


@export("diagonal")
def diagonal(input, offset=0, dim1=0, dim2=1):
    check_tensor(input, "diagonal")
    nd = input._data.ndim
    if nd < 2:
        raise RuntimeError(f"diagonal dimensions requires ndim larger than 1, but got ndim={nd}") if nd else \
            IndexError("Dimension specified as 0 but tensor has no dimensions")
    d1, d2 = wrap_dim(dim1, nd, "diagonal"), wrap_dim(dim2, nd, "diagonal")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, offset=int(offset), d1=d1, d2=d2)


@export("diag_embed")
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    check_tensor(input, "diag_embed")
    nd = input._data.ndim + 1
    if nd < 2:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got -2)")
    d1, d2 = wrap_dim(dim1, nd, "diag_embed"), wrap_dim(dim2, nd, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    offset = int(offset)
    n = input._data.shape[-1] + abs(offset)
    rest = iter(input._data.shape[:-1])
    shape = tuple(n if i in (d1, d2) else next(rest) for i in range(nd))
    return DiagEmbed.apply(input, shape=shape, offset=offset, d1=d1, d2=d2)


@export("diag")
def diag(input, diagonal=0, *, out=None):
    check_tensor(input, "diag")
    nd = input._data.ndim
    k = int(diagonal)
    if nd == 1:
        n = input._data.shape[0] + abs(k)
        return _maybe_out(DiagEmbed.apply(input, shape=(n, n), offset=k, d1=0, d2=1), out)
    if nd == 2:
        return _maybe_out(Clone.apply(Diagonal.apply(input, offset=k, d1=0, d2=1)), out)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")


# ---------------------------------------------------------------------------------------------- moving dims
@export("movedim", "moveaxis")
def movedim(input, source, destination):
    check_tensor(input, "movedim")
    nd = input._data.ndim
    src = (source,) if isinstance(source, (int, np.integer)) else tuple(source)
    dst = (destination,) if isinstance(destination, (int, np.integer)) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
                           f"contain the same number of dims as destination ({list(dst)} dims)")
    src = tuple(wrap_dim(d, nd, "movedim") for d in src)
    dst = tuple(wrap_dim(d, nd, "movedim") for d in dst)
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(source) if not isinstance(source, int) else source})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` "
                           f"({list(destination) if not isinstance(destination, int) else destination})")
    if nd == 0:
        return _alias(input)
    order = [d for d in range(nd) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Permute.apply(input, dims=tuple(order))


# ---------------------------------------------------------------------------------------------- broadcasting helpers
@export("broadcast_tensors", method=False)
def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = ()
    for x in tensors:
        shape = broadcast_shape(shape, x._data.shape)
    return tuple(expand(x, shape) for x in tensors)


@export("meshgrid", method=False)
def meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        import warnings
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for i, x in enumerate(tensors):
        if x._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {x}")
        if x._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    ts = [reshape(x, (-1,)) for x in tensors]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(x._data.shape[0] for x in ts)
    n = len(ts)
    outs = [expand(reshape(x, (1,) * i + (-1,) + (1,) * (n - i - 1)), shape) for i, x in enumerate(ts)]
    if swap:
        outs[0], outs[1] = outs[1], outs[0]
    return tuple(outs)

