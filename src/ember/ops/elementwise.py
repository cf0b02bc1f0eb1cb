"""The elementwise family: arithmetic with broadcasting and PyTorch's type promotion, unary math, comparisons,
logical ops, clamp/where/lerp, casts, and the Tensor dunders and in-place ``_`` methods.

Binary ops first bring both operands to the promoted dtype (through ``Cast``, so gradients flow back in each
input's own dtype) and check broadcasting with PyTorch's message; ``backward`` sums the gradient back to each
input's shape with ``sum_to``. NumPy ufuncs dispatch to CuPy for CuPy arrays, so these ops are device-agnostic.
"""
import math

import numpy as np

from .._tensor import Tensor
from .._dtype import result_type, get_default_dtype, FLOAT
from ..autograd.function import Op
from ._util import export, method, inplace_of, broadcast_shape, scalar_tensor, check_tensor
from . import _alloc  # noqa: F401  (keeps freed arrays' memory for reuse: see _alloc.py)


# ---------------------------------------------------------------------------------------------- helpers
def sum_to(g, shape):
    """Sum a broadcast gradient back to ``shape`` (a no-op when the shapes already agree)."""
    if g._data.shape == shape:
        return g
    from .reduce import SumTo
    return SumTo.apply(g, shape=tuple(shape))


class Cast(Op):
    save_inputs = ()

    def forward(ctx, x, dtype):
        ctx.src = x.dtype
        return x.astype(dtype)

    def backward(ctx, g):
        return Cast.apply(g, dtype=ctx.src)


def _cast(x, dt):
    """Cast tensor ``x`` to ember dtype ``dt`` (differentiable)."""
    if x._data.dtype == dt.np:
        return x
    return Cast.apply(x, dtype=dt.np)


def _same_device(a, b, op):
    if type(a._data) is not type(b._data) and a._data.ndim and b._data.ndim:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two devices, "
                           f"{a.device} and {b.device}! (when checking argument for argument other in method "
                           f"{op})")


_scalar_cache = {}


def _scalar(value, np_dtype, like):
    """A 0-d tensor for a Python scalar operand; the arrays of common CPU scalars are made once."""
    if type(like) is np.ndarray:
        key = (type(value), value, np_dtype)
        arr = _scalar_cache.get(key)
        if arr is None:
            arr = scalar_tensor(value, np_dtype, like)._data
            arr.flags.writeable = False
            if len(_scalar_cache) < 1024:
                _scalar_cache[key] = arr
        return Tensor._make(arr)
    return scalar_tensor(value, np_dtype, like)


def _operands(a, b, op):
    """Both operands as tensors of the promoted dtype, their shapes checked for broadcasting."""
    if type(b) is float and isinstance(a, Tensor) and a._data.dtype.kind == "f":
        return a, _scalar(b, a._data.dtype, a._data)      # fast path: float tensor op Python float
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            if a._data.dtype != b._data.dtype:
                rt = result_type(a, b)
                a = _cast(a, rt)
                b = _cast(b, rt)
            if a._data.shape != b._data.shape:
                broadcast_shape(a._data.shape, b._data.shape)
                _same_device(a, b, op)
            return a, b
        if not isinstance(b, (int, float, bool, np.number, np.bool_)):
            raise TypeError(f"{op}(): argument 'other' must be Tensor or Number, not {type(b).__name__}")
        rt = result_type(a, b)
        a = _cast(a, rt)
        return a, _scalar(b, rt.np, a._data)
    if isinstance(b, Tensor):
        b2, a2 = _operands(b, a, op)
        return a2, b2
    raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(a).__name__}")


def _to_float(x):
    """Integer and bool inputs of float-valued math (exp, sqrt, div, ...) become the default float dtype."""
    if x._data.dtype.kind != "f":
        return Cast.apply(x, dtype=get_default_dtype().np)
    return x


def _zeros_grad(g):
    return g * 0


# ---------------------------------------------------------------------------------------------- arithmetic
class Add(Op):
    save_inputs = ()

    def forward(ctx, a, b):
        return a + b

    def backward(ctx, g):
        a, b = ctx.inputs
        e = ctx.edges
        return (sum_to(g, a._data.shape) if e[0] is not None else None,
                sum_to(g, b._data.shape) if e[1] is not None else None)


class Sub(Op):
    save_inputs = ()

    def forward(ctx, a, b):
        return a - b

    def backward(ctx, g):
        a, b = ctx.inputs
        e = ctx.edges
        return (sum_to(g, a._data.shape) if e[0] is not None else None,
                sum_to(-g, b._data.shape) if e[1] is not None else None)


class Mul(Op):
    save_inputs = (0, 1)

    def forward(ctx, a, b):
        return a * b

    def backward(ctx, g):
        a, b = ctx.inputs
        e = ctx.edges
        return (sum_to(g * b, a._data.shape) if e[0] is not None else None,
                sum_to(g * a, b._data.shape) if e[1] is not None else None)


class Div(Op):
    save_inputs = (0, 1)

    def forward(ctx, a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            return a / b

    def backward(ctx, g):
        a, b = ctx.inputs
        e = ctx.edges
        return (sum_to(g / b, a._data.shape) if e[0] is not None else None,
                sum_to(-g * a / (b * b), b._data.shape) if e[1] is not None else None)


class Neg(Op):
    save_inputs = ()

    def forward(ctx, x):
        return -x

    def backward(ctx, g):
        return -g


@export("add")
def add(input, other, *, alpha=1, out=None):
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    a, b = _operands(input, other, "add")
    return _maybe_out(Add.apply(a, b), out)


@export("sub", "subtract")
def sub(input, other, *, alpha=1, out=None):
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    a, b = _operands(input, other, "sub")
    if a._data.dtype == np.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
                           "or `logical_xor()` operator instead.")
    return _maybe_out(Sub.apply(a, b), out)


@export("mul", "multiply")
def mul(input, other, *, out=None):
    a, b = _operands(input, other, "mul")
    return _maybe_out(Mul.apply(a, b), out)


@export("div", "divide", "true_divide")
def div(input, other, *, rounding_mode=None, out=None):
    a, b = _operands(input, other, "div")
    if rounding_mode is None:
        return _maybe_out(Div.apply(_to_float(a), _to_float(b)), out)
    if rounding_mode == "trunc":
        return _maybe_out(_rounded_div(a, b, np.trunc), out)
    if rounding_mode == "floor":
        return _maybe_out(_rounded_div(a, b, np.floor), out)
    raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                       f"'{rounding_mode}'")


class RoundedDiv(Op):
    """Division rounded toward zero or -inf: piecewise constant, so its gradient is zero."""
    save_inputs = ()

    def forward(ctx, a, b, rounder):
        if a.dtype.kind in "iub":
            if (b == 0).any():
                raise RuntimeError("ZeroDivisionError")
            if rounder is np.floor:
                return a // b
            q = np.abs(a) // np.abs(b)
            return (q * np.sign(a) * np.sign(b)).astype(a.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            return rounder(a / b)

    def backward(ctx, g):
        a, b = ctx.inputs
        return sum_to(g * 0, a._data.shape), sum_to(g * 0, b._data.shape)


def _rounded_div(a, b, rounder):
    return RoundedDiv.apply(a, b, rounder=rounder)


@export("floor_divide")
def floor_divide(input, other, *, out=None):
    a, b = _operands(input, other, "floor_divide")
    return _maybe_out(_rounded_div(a, b, np.floor), out)


class Remainder(Op):
    save_inputs = (0, 1)

    def forward(ctx, a, b, python_sign):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.mod(a, b) if python_sign else np.fmod(a, b)

    def backward(ctx, g):
        a, b = ctx.inputs
        q = (a / b).floor() if ctx_python_sign(ctx) else (a / b).trunc()
        return sum_to(g, a._data.shape), sum_to(-g * q, b._data.shape)


def ctx_python_sign(ctx):
    return ctx.op_name == "remainder"


class Fmod(Remainder):
    pass


@export("remainder")
def remainder(input, other, *, out=None):
    a, b = _operands(input, other, "remainder")
    if a._data.dtype.kind in "iub" and (b._data == 0).any():
        raise RuntimeError("ZeroDivisionError")
    return _maybe_out(Remainder.apply(a, b, python_sign=True), out)


@export("fmod")
def fmod(input, other, *, out=None):
    a, b = _operands(input, other, "fmod")
    if a._data.dtype.kind in "iub" and (b._data == 0).any():
        raise RuntimeError("ZeroDivisionError")
    return _maybe_out(Fmod.apply(a, b, python_sign=False), out)


@export("neg", "negative")
def neg(input):
    check_tensor(input, "neg")
    if input._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    return Neg.apply(input)


class PowScalar(Op):
    """``x ** n`` for a Python number ``n``."""
    save_inputs = (0,)

    def forward(ctx, x, exponent):
        ctx.exponent = exponent
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.power(x, exponent)

    def backward(ctx, g):
        x, = ctx.inputs
        n = ctx.exponent
        if n == 0:
            return g * 0
        if n == 1:
            return g
        if n == 2:
            return g * 2 * x
        return g * n * pow(x, n - 1)


class Pow(Op):
    save_inputs = (0, 1)
    save_output = True

    def forward(ctx, a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.power(a, b)

    def backward(ctx, g):
        a, b = ctx.inputs
        e = ctx.edges
        ga = gb = None
        if e[0] is not None:
            ga = sum_to(g * b * pow(a, b - 1), a._data.shape)
        if e[1] is not None:
            # d/db a**b = a**b log a, taken as 0 where a == 0 and b >= 0 (PyTorch's convention)
            safe = where((a == 0) & (b >= 0), ones_like_scalar(a), a)
            gb = sum_to(where((a == 0) & (b >= 0), g * 0, g * ctx.output() * log(safe)), b._data.shape)
        return ga, gb


def ones_like_scalar(a):
    return scalar_tensor(1, a._data.dtype, a._data)


@export("pow")
def pow(input, exponent, *, out=None):
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        if not isinstance(exponent, (int, float, bool, np.number)):
            raise TypeError(f"pow(): argument 'exponent' must be Tensor or Number, not {type(exponent).__name__}")
        x = input
        rt = result_type(x, exponent)
        x = _cast(x, rt)
        if x._data.dtype.kind in "iu" and isinstance(exponent, (int, np.integer)) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return _maybe_out(PowScalar.apply(x, exponent=exponent if x._data.dtype.kind == "f" else int(exponent)),
                          out)
    a, b = _operands(input, exponent, "pow")
    if a._data.dtype.kind in "iu" and (b._data < 0).any():
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return _maybe_out(Pow.apply(a, b), out)


@export("float_power")
def float_power(input, exponent):
    from .._dtype import float64
    a = input.to(float64) if isinstance(input, Tensor) else input
    b = exponent.to(float64) if isinstance(exponent, Tensor) else float(exponent)
    return pow(a, b)


def _maybe_out(result, out):
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"argument 'out' must be Tensor, not {type(out).__name__}")
    if out._data.shape != result._data.shape:
        out._data = result._data.astype(out._data.dtype, copy=True)
        out._version[0] += 1
        return out
    out._write(result)
    return out


# ---------------------------------------------------------------------------------------------- unary math
def _unary(name, np_fn, grad, *, float_only=True, save_output=False, aliases=(), keep_int=False):
    """Make a unary op class, its function ``ember.<name>``, the method and the in-place ``name_``."""

    def forward(ctx, x):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return np_fn(x)

    def backward(ctx, g):
        x = ctx.inputs[0] if ctx.inputs else None
        return grad(g, x, ctx.output() if save_output else None)

    cls = type(name.capitalize(), (Op,), dict(forward=forward, backward=backward, op_name=name,
                                              save_inputs=() if save_output else (0,), save_output=save_output,
                                              __doc__=f"Elementwise {name}."))

    def fn(input, *, out=None):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
        x = _to_float(input) if float_only else input
        return _maybe_out(cls.apply(x), out)

    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{name}`` (PyTorch's ``torch.{name}``)."
    export(name, *aliases)(fn)
    ip = inplace_of(fn)
    for n in (name,) + tuple(aliases):
        setattr(Tensor, n + "_", ip)
    globals()[cls.__name__] = cls
    return fn


_LN2 = math.log(2.0)
_LN10 = math.log(10.0)

exp = _unary("exp", np.exp, lambda g, x, y: g * y, save_output=True)
exp2 = _unary("exp2", np.exp2, lambda g, x, y: g * y * _LN2, save_output=True)
expm1 = _unary("expm1", np.expm1, lambda g, x, y: g * (y + 1), save_output=True)
log = _unary("log", np.log, lambda g, x, y: g / x)
log2 = _unary("log2", np.log2, lambda g, x, y: g / (x * _LN2))
log10 = _unary("log10", np.log10, lambda g, x, y: g / (x * _LN10))
log1p = _unary("log1p", np.log1p, lambda g, x, y: g / (x + 1))
sqrt = _unary("sqrt", np.sqrt, lambda g, x, y: g / (y * 2), save_output=True)
rsqrt = _unary("rsqrt", lambda x: 1 / np.sqrt(x), lambda g, x, y: g * (y * y * y) * -0.5, save_output=True)
sin = _unary("sin", np.sin, lambda g, x, y: g * cos(x))
cos = _unary("cos", np.cos, lambda g, x, y: -g * sin(x))
tan = _unary("tan", np.tan, lambda g, x, y: g * (y * y + 1), save_output=True)
asin = _unary("asin", np.arcsin, lambda g, x, y: g * rsqrt(1 - x * x), aliases=("arcsin",))
acos = _unary("acos", np.arccos, lambda g, x, y: -g * rsqrt(1 - x * x), aliases=("arccos",))
atan = _unary("atan", np.arctan, lambda g, x, y: g / (x * x + 1), aliases=("arctan",))
sinh = _unary("sinh", np.sinh, lambda g, x, y: g * cosh(x))
cosh = _unary("cosh", np.cosh, lambda g, x, y: g * sinh(x))
class TanhBackward(Op):
    """``g * (1 - y**2)`` as one node (tanh's backward runs on every step of an RNN)."""
    save_inputs = (1,)

    def forward(ctx, g, y):
        return g * (1 - y * y)

    def backward(ctx, gg):
        g, y = ctx.inputs
        return gg * (1 - y * y), gg * g * y * -2


class SigmoidBackward(Op):
    """``g * y * (1 - y)`` as one node."""
    save_inputs = (0, 1)

    def forward(ctx, g, y):
        return g * y * (1 - y)

    def backward(ctx, gg):
        g, y = ctx.inputs
        return gg * y * (1 - y), gg * g * (1 - 2 * y)


tanh = _unary("tanh", np.tanh, lambda g, x, y: TanhBackward.apply(g, y), save_output=True)
asinh = _unary("asinh", np.arcsinh, lambda g, x, y: g * rsqrt(x * x + 1), aliases=("arcsinh",))
acosh = _unary("acosh", np.arccosh, lambda g, x, y: g * rsqrt(x * x - 1), aliases=("arccosh",))
atanh = _unary("atanh", np.arctanh, lambda g, x, y: g / (1 - x * x), aliases=("arctanh",))


def _sigmoid_np(x):
    # exp of a negative number only, so neither branch overflows
    out = np.empty_like(x)
    pos = x >= 0
    e = np.exp(-np.abs(x))
    np.divide(1, 1 + e, out=out, where=pos)
    np.divide(e, 1 + e, out=out, where=~pos)
    return out


sigmoid = _unary("sigmoid", _sigmoid_np, lambda g, x, y: SigmoidBackward.apply(g, y), save_output=True)
reciprocal = _unary("reciprocal", np.reciprocal, lambda g, x, y: -g * y * y, save_output=True)
square = _unary("square", np.square, lambda g, x, y: g * 2 * x, float_only=False)
abs = _unary("abs", np.abs, lambda g, x, y: g * sign(x), float_only=False, aliases=("absolute",))
sign = _unary("sign", np.sign, lambda g, x, y: g * 0, float_only=False)
sgn = PUBLIC_SGN = sign
floor = _unary("floor", np.floor, lambda g, x, y: g * 0, float_only=False)
ceil = _unary("ceil", np.ceil, lambda g, x, y: g * 0, float_only=False)
trunc = _unary("trunc", np.trunc, lambda g, x, y: g * 0, float_only=False, aliases=("fix",))
frac = _unary("frac", lambda x: x - np.trunc(x), lambda g, x, y: g, float_only=False)
Tensor.sgn = sign


class Round(Op):
    save_inputs = ()

    def forward(ctx, x, decimals):
        # round half to even, like PyTorch
        return np.round(x, decimals) if decimals else np.rint(x) if x.dtype.kind == "f" else x.copy()

    def backward(ctx, g):
        return g * 0


@export("round")
def round(input, *, decimals=0):
    check_tensor(input, "round")
    return Round.apply(input, decimals=decimals)


Tensor.round_ = inplace_of(round)


@export("positive")
def positive(input):
    return input


# ---------------------------------------------------------------------------------------------- binary math
class Maximum(Op):
    save_inputs = (0, 1)

    def forward(ctx, a, b):
        ctx.take_max = ctx.op_name == "maximum"
        return np.maximum(a, b) if ctx.take_max else np.minimum(a, b)

    def backward(ctx, g):
        a, b = ctx.inputs
        first = (a > b) if ctx.take_max else (a < b)
        tie = a == b
        wa = first.to(g.dtype) + tie.to(g.dtype) * 0.5   # ties split the gradient, as in PyTorch
        return sum_to(g * wa, a._data.shape), sum_to(g * (1 - wa), b._data.shape)


class Minimum(Maximum):
    pass


@export("maximum", "max_elementwise")
def maximum(input, other):
    a, b = _operands(input, other, "maximum")
    return Maximum.apply(a, b)


@export("minimum")
def minimum(input, other):
    a, b = _operands(input, other, "minimum")
    return Minimum.apply(a, b)


@export("fmax")
def fmax(input, other):
    a, b = _operands(input, other, "fmax")
    return where(isnan(b), a, where(isnan(a), b, maximum(a, b)))


@export("fmin")
def fmin(input, other):
    a, b = _operands(input, other, "fmin")
    return where(isnan(b), a, where(isnan(a), b, minimum(a, b)))


class Atan2(Op):
    save_inputs = (0, 1)

    def forward(ctx, a, b):
        return np.arctan2(a, b)

    def backward(ctx, g):
        a, b = ctx.inputs
        d = a * a + b * b
        return sum_to(g * b / d, a._data.shape), sum_to(-g * a / d, b._data.shape)


@export("atan2", "arctan2")
def atan2(input, other):
    a, b = _operands(input, other, "atan2")
    return Atan2.apply(_to_float(a), _to_float(b))


@export("hypot")
def hypot(input, other):
    return sqrt(input * input + other * other)


@export("lerp")
def lerp(input, end, weight):
    """``input + weight * (end - input)``."""
    return input + weight * (end - input)


@export("xlogy")
def xlogy(input, other):
    a, b = _operands(input, other, "xlogy")
    a, b = _to_float(a), _to_float(b)
    return where(a == 0, a * 0, a * log(b))


# ---------------------------------------------------------------------------------------------- where / clamp
class Where(Op):
    save_inputs = ()

    def forward(ctx, cond, a, b):
        ctx.cond = cond
        return np.where(cond, a, b)

    def backward(ctx, g):
        _, a, b = ctx.inputs
        c = Tensor._make(ctx.cond)
        e = ctx.edges
        zero = g * 0
        return (None,
                sum_to(where(c, g, zero), a._data.shape) if e[1] is not None else None,
                sum_to(where(c, zero, g), b._data.shape) if e[2] is not None else None)


@export("where")
def where(condition, input=None, other=None, *, out=None):
    """``where(cond, x, y)`` picks from ``x`` where ``cond`` holds, else from ``y``; ``where(cond)`` is
    ``nonzero(cond, as_tuple=True)``."""
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' (position 1) must be Tensor, not "
                        f"{type(condition).__name__}")
    if condition._data.dtype != np.bool_:
        if condition._data.dtype == np.uint8:
            condition = condition.to(bool)
        else:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                               f"{condition.dtype.name.capitalize()}")
    a, b = _operands(input, other, "where")
    broadcast_shape(condition._data.shape, broadcast_shape(a._data.shape, b._data.shape))
    return _maybe_out(Where.apply(condition, a, b), out)


Tensor.where = lambda self, condition, other: where(condition, self, other)


class Clamp(Op):
    save_inputs = (0,)

    def forward(ctx, x, lo, hi):
        ctx.lo, ctx.hi = lo, hi
        if lo is not None and hi is not None and lo > hi:
            return np.full_like(x, hi)
        out = x
        if lo is not None:
            out = np.maximum(out, lo)
        if hi is not None:
            out = np.minimum(out, hi)
        return out if out is not x else x.copy()

    def backward(ctx, g):
        x, = ctx.inputs
        keep = None
        if ctx.lo is not None:
            keep = x >= ctx.lo
        if ctx.hi is not None:
            k2 = x <= ctx.hi
            keep = k2 if keep is None else keep & k2
        return where(keep, g, g * 0)


@export("clamp", "clip")
def clamp(input, min=None, max=None, *, out=None):
    check_tensor(input, "clamp")
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        x = input
        if min is not None:
            x = where(x < min, _operands(x, min, "clamp")[1] + x * 0, x)
        if max is not None:
            x = where(x > max, _operands(x, max, "clamp")[1] + x * 0, x)
        return _maybe_out(x, out)
    x = input
    rt = result_type(x, *(v for v in (min, max) if v is not None))
    x = _cast(x, rt)
    if rt.category != FLOAT:
        min = None if min is None else int(min)
        max = None if max is None else int(max)
    return _maybe_out(Clamp.apply(x, lo=min, hi=max), out)


@export("clamp_min")
def clamp_min(input, min):
    return clamp(input, min=min)


@export("clamp_max")
def clamp_max(input, max):
    return clamp(input, max=max)


Tensor.clamp_ = Tensor.clip_ = inplace_of(clamp)
Tensor.clamp_min_ = inplace_of(clamp_min)
Tensor.clamp_max_ = inplace_of(clamp_max)


# ---------------------------------------------------------------------------------------------- comparisons
def _compare(name, np_fn, symbol=None):
    class Cmp(Op):
        differentiable = False
        save_inputs = ()

        def forward(ctx, a, b):
            return np_fn(a, b)

    Cmp.__name__ = name.capitalize()
    Cmp.op_name = name

    def fn(input, other, *, out=None):
        a, b = _operands(input, other, name)
        return _maybe_out(Cmp.apply(a, b), out)

    fn.__name__ = name
    return fn


eq = export("eq")(_compare("eq", np.equal))
ne = export("ne", "not_equal")(_compare("ne", np.not_equal))
lt = export("lt", "less")(_compare("lt", np.less))
le = export("le", "less_equal")(_compare("le", np.less_equal))
gt = export("gt", "greater")(_compare("gt", np.greater))
ge = export("ge", "greater_equal")(_compare("ge", np.greater_equal))
logical_and = export("logical_and")(_compare("logical_and", np.logical_and))
logical_or = export("logical_or")(_compare("logical_or", np.logical_or))
logical_xor = export("logical_xor")(_compare("logical_xor", np.logical_xor))


def _bitwise(name, np_fn):
    cmp = _compare(name, np_fn)

    def fn(input, other, *, out=None):
        for v in (input, other):
            if isinstance(v, Tensor) and v._data.dtype.kind == "f":
                raise NotImplementedError(f'"{name}_cpu" not implemented for \'Float\'')
            if isinstance(v, float):
                raise TypeError(f"{name}(): argument 'other' must be an integer or bool, not float")
        return cmp(input, other, out=out)

    fn.__name__ = name
    return fn


bitwise_and = export("bitwise_and")(_bitwise("bitwise_and", np.bitwise_and))
bitwise_or = export("bitwise_or")(_bitwise("bitwise_or", np.bitwise_or))
bitwise_xor = export("bitwise_xor")(_bitwise("bitwise_xor", np.bitwise_xor))


class _NoGradUnary(Op):
    differentiable = False
    save_inputs = ()

    def forward(ctx, x, fn):
        return fn(x)


@export("logical_not")
def logical_not(input):
    return _NoGradUnary.apply(input, fn=np.logical_not)


@export("bitwise_not")
def bitwise_not(input):
    if input._data.dtype.kind == "f":
        raise NotImplementedError("\"bitwise_not_cpu\" not implemented for 'Float'")
    return _NoGradUnary.apply(input, fn=np.invert)


@export("isnan")
def isnan(input):
    return _NoGradUnary.apply(input, fn=np.isnan)


@export("isinf")
def isinf(input):
    return _NoGradUnary.apply(input, fn=np.isinf)


@export("isfinite")
def isfinite(input):
    return _NoGradUnary.apply(input, fn=np.isfinite)


@export("isposinf")
def isposinf(input):
    return _NoGradUnary.apply(input, fn=np.isposinf)


@export("isneginf")
def isneginf(input):
    return _NoGradUnary.apply(input, fn=np.isneginf)


@export("signbit")
def signbit(input):
    return _NoGradUnary.apply(input, fn=np.signbit)


@export("nan_to_num")
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    if input._data.dtype.kind != "f":
        return input.clone()
    info = np.finfo(input._data.dtype)
    x = where(isnan(input), nan + input * 0, input)
    x = where(isposinf(input), (info.max if posinf is None else posinf) + input * 0, x)
    return where(isneginf(input), (info.min if neginf is None else neginf) + input * 0, x)


@export("allclose")
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


@export("isclose")
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    a, b = _operands(input, other, "isclose")
    return _NoGradUnary.apply(a, fn=lambda x: np.isclose(x, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


@export("equal")
def equal(input, other):
    return input._data.shape == other._data.shape and bool((input._data == other._data).all())


# ---------------------------------------------------------------------------------------------- copies
class Clone(Op):
    save_inputs = ()

    def forward(ctx, x):
        return x.copy()

    def backward(ctx, g):
        return g


@export("clone")
def clone(input, *, memory_format=None):
    return Clone.apply(input)


@method("contiguous")
def contiguous(self, memory_format=None):
    if self._data.flags.c_contiguous:
        return self
    return Clone.apply(self)


# ---------------------------------------------------------------------------------------------- dunders
def _swap(fn):
    def r(self, other):
        if not isinstance(other, (int, float, bool, np.number, Tensor)):
            return NotImplemented
        return fn(other, self)
    return r


def _dunder(fn):
    def d(self, other):
        if not isinstance(other, (int, float, bool, np.number, np.bool_, Tensor)):
            return NotImplemented
        return fn(self, other)
    return d


Tensor.__add__ = _dunder(add)
Tensor.__radd__ = _swap(add)
Tensor.__sub__ = _dunder(sub)
Tensor.__rsub__ = _swap(sub)
Tensor.__mul__ = _dunder(mul)
Tensor.__rmul__ = _swap(mul)
Tensor.__truediv__ = _dunder(div)
Tensor.__rtruediv__ = _swap(div)
Tensor.__floordiv__ = _dunder(floor_divide)
Tensor.__rfloordiv__ = _swap(floor_divide)
Tensor.__mod__ = _dunder(remainder)
Tensor.__rmod__ = _swap(remainder)
Tensor.__pow__ = _dunder(pow)
Tensor.__rpow__ = _swap(pow)
Tensor.__neg__ = neg
Tensor.__pos__ = positive
Tensor.__abs__ = abs
Tensor.__eq__ = _dunder(eq)
Tensor.__ne__ = _dunder(ne)
Tensor.__lt__ = _dunder(lt)
Tensor.__le__ = _dunder(le)
Tensor.__gt__ = _dunder(gt)
Tensor.__ge__ = _dunder(ge)
Tensor.__and__ = _dunder(bitwise_and)
Tensor.__rand__ = _swap(bitwise_and)
Tensor.__or__ = _dunder(bitwise_or)
Tensor.__ror__ = _swap(bitwise_or)
Tensor.__xor__ = _dunder(bitwise_xor)
Tensor.__rxor__ = _swap(bitwise_xor)
Tensor.__invert__ = bitwise_not


def _inplace_dunder(fn):
    ip = inplace_of(fn)

    def d(self, other):
        if not isinstance(other, (int, float, bool, np.number, Tensor)):
            return NotImplemented
        return ip(self, other)
    return d


for _name, _fn in (("add", add), ("sub", sub), ("mul", mul), ("div", div), ("pow", pow),
                   ("remainder", remainder), ("fmod", fmod), ("floor_divide", floor_divide),
                   ("maximum", maximum), ("minimum", minimum), ("atan2", atan2), ("lerp", lerp),
                   ("neg", neg), ("logical_not", logical_not), ("bitwise_and", bitwise_and),
                   ("bitwise_or", bitwise_or), ("bitwise_xor", bitwise_xor), ("bitwise_not", bitwise_not),
                   ("logical_and", logical_and), ("logical_or", logical_or), ("logical_xor", logical_xor),
                   ("eq", eq), ("ne", ne), ("lt", lt), ("le", le), ("gt", gt), ("ge", ge),
                   ("nan_to_num", nan_to_num), ("xlogy", xlogy), ("hypot", hypot)):
    setattr(Tensor, _name + "_", inplace_of(_fn))
Tensor.subtract_ = Tensor.sub_
Tensor.multiply_ = Tensor.mul_
Tensor.divide_ = Tensor.true_divide_ = Tensor.div_
Tensor.negative_ = Tensor.neg_
Tensor.__iadd__ = _inplace_dunder(add)
Tensor.__isub__ = _inplace_dunder(sub)
Tensor.__imul__ = _inplace_dunder(mul)
Tensor.__itruediv__ = _inplace_dunder(div)
Tensor.__ifloordiv__ = _inplace_dunder(floor_divide)
Tensor.__imod__ = _inplace_dunder(remainder)
Tensor.__ipow__ = _inplace_dunder(pow)
Tensor.__iand__ = _inplace_dunder(bitwise_and)
Tensor.__ior__ = _inplace_dunder(bitwise_or)
Tensor.__ixor__ = _inplace_dunder(bitwise_xor)


@method("addcmul")
def _addcmul_m(self, tensor1, tensor2, *, value=1):
    return addcmul(self, tensor1, tensor2, value=value)


@export("addcmul", method=False)
def addcmul(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 * tensor2


@export("addcdiv")
def addcdiv(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 / tensor2


Tensor.addcmul_ = inplace_of(addcmul)
Tensor.addcdiv_ = inplace_of(addcdiv)
