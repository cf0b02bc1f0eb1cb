"""Activations and friends (``ember.nn.functional``): erf/erfc/erfinv, relu and its family, gelu, silu, softplus,
softmax/log_softmax/softmin, glu, prelu/rrelu, and the dropout family.

Ops whose derivative is piecewise constant (relu, hardtanh, leaky_relu, dropout, ...) backpropagate through
``ScaleBy``: the upstream gradient times a constant array computed in forward (itself linear, so double backward
is free). Smooth ops compute their forward on the arrays and write ``backward`` as ``g * f'(x)`` with ember ops,
so higher derivatives come from autograd.
"""
import math

import numpy as np

from .._tensor import Tensor
from .. import _config
from ..autograd.function import Op
from ..backend import array_module
from ._util import export, functional, inplace_of, wrap_dim, check_tensor, FUNCTIONAL
from . import elementwise as _ew
from .elementwise import where, exp, sigmoid, tanh, clamp

_grad_enabled = _config.grad_enabled
_SQRT2 = math.sqrt(2.0)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0

_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
          "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _tname(x):
    return _NAMES.get(x._data.dtype.name, x._data.dtype.name)


def _need_float(x, kernel):
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_tname(x)}'")


# ============================================================================================ erf / erfc / erfinv
# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969), as in CALERF.
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03,
      1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
      8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
      2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
      3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
      6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
      2.33520497626869185e-3)
_SQRPI = 5.6418958354775628695e-1


def _calerf(x, complement):
    """erf(x) (``complement=False``) or erfc(x), float64 arrays, vectorised over the three Cody intervals."""
    xp = array_module(x)
    x = x.astype(np.float64, copy=False)
    y = xp.abs(x)
    out = xp.empty_like(x)
    with np.errstate(all="ignore"):
        # |x| <= 0.46875: erf = x * A(x^2) / B(x^2)
        m1 = y <= 0.46875
        if m1.any():
            xs = x[m1]
            z = xs * xs
            num = _A[4] * z
            den = z
            for i in range(3):
                num = (num + _A[i]) * z
                den = (den + _B[i]) * z
            r = xs * (num + _A[3]) / (den + _B[3])
            out[m1] = 1.0 - r if complement else r
        m2 = ~m1 & ~xp.isnan(x)
        if m2.any():
            ys = y[m2]
            r = xp.empty_like(ys)
            mid = ys <= 4.0
            # 0.46875 < |x| <= 4: erfc = exp(-x^2) C(|x|) / D(|x|)
            yy = ys[mid]
            num = _C[8] * yy
            den = yy
            for i in range(7):
                num = (num + _C[i]) * yy
                den = (den + _D[i]) * yy
            r[mid] = (num + _C[7]) / (den + _D[7])
            # |x| > 4: erfc = exp(-x^2)/|x| (1/sqrt(pi) + 1/x^2 P(1/x^2)/Q(1/x^2))
            yy = ys[~mid]
            z = 1.0 / (yy * yy)
            num = _P[5] * z
            den = z
            for i in range(4):
                num = (num + _P[i]) * z
                den = (den + _Q[i]) * z
            rr = z * (num + _P[4]) / (den + _Q[4])
            r[~mid] = (_SQRPI - rr) / yy
            # exp(-y^2) split in two factors, as Cody does, to keep the last bits
            ysq = xp.trunc(ys * 16.0) / 16.0
            dl = (ys - ysq) * (ys + ysq)
            ec = xp.exp(-ysq * ysq) * xp.exp(-dl) * r          # erfc(|x|)
            ec = xp.where(xp.isinf(ys), 0.0, ec)
            neg = x[m2] < 0
            if complement:
                out[m2] = xp.where(neg, 2.0 - ec, ec)
            else:
                e = (0.5 - ec) + 0.5
                out[m2] = xp.where(neg, -e, e)
        nan = xp.isnan(x)
        if nan.any():
            out[nan] = np.nan
    return out


def _erfinv_np(x):
    """Inverse error function: Giles' single-precision approximation, then two Newton steps in float64."""
    xp = array_module(x)
    x = x.astype(np.float64, copy=False)
    with np.errstate(all="ignore"):
        w = -xp.log((1.0 - x) * (1.0 + x))
        small = w < 5.0
        ws = w - 2.5
        p1 = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                  -0.00417768164, 0.246640727, 1.50140941):
            p1 = c + p1 * ws
        wl = xp.sqrt(w) - 3.0
        p2 = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
                  0.00943887047, 1.00167406, 2.83297682):
            p2 = c + p2 * wl
        y = xp.where(small, p1, p2) * x
        for _ in range(2):  # Newton on erf(y) - x: y -= (erf(y) - x) / (2/sqrt(pi) exp(-y^2))
            err = _calerf(y, False) - x
            y = y - err / (_TWO_OVER_SQRT_PI * xp.exp(-y * y))
        y = xp.where(xp.abs(x) == 1.0, xp.copysign(xp.inf, x), y)
        y = xp.where(xp.abs(x) > 1.0, xp.nan, y)
    return y


class Erf(Op):
    save_inputs = (0,)

    def forward(ctx, x):
        return _calerf(x, False).astype(x.dtype, copy=False)

    def backward(ctx, g):
        x, = ctx.inputs
        return g * (exp(-(x * x)) * _TWO_OVER_SQRT_PI)


class Erfc(Op):
    save_inputs = (0,)

    def forward(ctx, x):
        return _calerf(x, True).astype(x.dtype, copy=False)

    def backward(ctx, g):
        x, = ctx.inputs
        return g * (exp(-(x * x)) * -_TWO_OVER_SQRT_PI)


class Erfinv(Op):
    save_inputs = ()
    save_output = True

    def forward(ctx, x):
        return _erfinv_np(x).astype(x.dtype, copy=False)

    def backward(ctx, g):
        y = ctx.output()
        return g * (exp(y * y) * _SQRT_PI_OVER_2)


def _float_unary(cls, name):
    def fn(input, *, out=None):
        check_tensor(input, name)
        return _ew._maybe_out(cls.apply(_ew._to_float(input)), out)
    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{name}`` (PyTorch's ``torch.{name}``), double-precision accurate."
    export(name)(fn)
    setattr(Tensor, name + "_", inplace_of(fn))
    return fn


erf = _float_unary(Erf, "erf")
erfc = _float_unary(Erfc, "erfc")
erfinv = _float_unary(Erfinv, "erfinv")


# ============================================================================================ helper ops
class ScaleBy(Op):
    """``g * factor`` for a constant array ``factor`` (the derivative of a piecewise-linear op, a dropout mask).

    An optional second input ``x`` (the op's input) is a pure dependency with zero derivative: PyTorch's gradient
    of relu & co. depends on ``x`` formally, so it requires grad under ``create_graph`` like theirs."""
    save_inputs = ()

    def forward(ctx, g, *dep, factor):
        ctx.factor = factor
        out = g * factor
        return out if out.dtype == g.dtype else out.astype(g.dtype)

    def backward(ctx, gg):
        if len(ctx.inputs) == 2:
            return ScaleBy.apply(gg, ctx.inputs[1], factor=ctx.factor), None
        return ScaleBy.apply(gg, factor=ctx.factor)


def _scale(g, factor):
    return ScaleBy.apply(g, factor=factor)


class _Pointwise(Op):
    """An elementwise op: forward ``fwd(x, **params)`` on arrays, backward ``g * deriv(x, **params)``.

    ``deriv`` is either an ember function of the input Tensor (smooth ops: double backward through autograd) or,
    when ``const_deriv`` is set, a NumPy function returning the piecewise-constant derivative array."""
    save_inputs = (0,)
    fwd = None
    deriv = None
    const_deriv = False

    def forward(ctx, x, **params):
        ctx.params = params
        if ctx.const_deriv:
            ctx.factor = None
            ctx.x_arr = x
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return type(ctx).fwd(x, **params)

    def backward(ctx, g):
        if ctx.const_deriv:
            f = type(ctx).deriv(ctx.x_arr, **ctx.params)
            return ScaleBy.apply(g, ctx.inputs[0], factor=f.astype(ctx.x_arr.dtype, copy=False))
        x, = ctx.inputs
        return g * type(ctx).deriv(x, **ctx.params)


def _pointwise(name, fwd, deriv, const=False):
    cls = type(name.capitalize(), (_Pointwise,), dict(fwd=staticmethod(fwd), deriv=staticmethod(deriv),
                                                        const_deriv=const, op_name=name))
    globals()[cls.__name__] = cls
    return cls


def _maybe_inplace(fn, input, inplace, *args, **kwargs):
    if inplace:
        return input._apply_inplace(fn, *args, **kwargs)
    return fn(input, *args, **kwargs)


# ============================================================================================ relu family
class Relu(Op):
    save_inputs = ()
    save_output = True

    def forward(ctx, x):
        return np.maximum(x, 0) if x.dtype != np.bool_ else x.copy()

    def backward(ctx, g):
        y = ctx._out
        return ScaleBy.apply(g, ctx.output(), factor=(y > 0).astype(y.dtype))


def _relu(input):
    check_tensor(input, "relu")
    return Relu.apply(input)


@export("relu")
def relu(input, inplace=False):
    if inplace:
        return relu_(input)
    return _relu(input)


@functional("relu_")
def relu_(input):
    check_tensor(input, "relu_")
    return input._apply_inplace(_relu)


export("relu_")(relu_)
functional("relu")(relu)


Hardtanh = _pointwise("hardtanh", lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi).astype(x.dtype, copy=False),
                      lambda x, lo, hi: (x > lo) & (x < hi), const=True)


def _hardtanh(input, min_val=-1.0, max_val=1.0):
    check_tensor(input, "hardtanh")
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input._data.dtype.kind != "f" and input._data.dtype != np.bool_:
        min_val, max_val = int(min_val), int(max_val)
    return Hardtanh.apply(input, lo=min_val, hi=max_val)


@functional("hardtanh")
def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    return _maybe_inplace(_hardtanh, input, inplace, min_val, max_val)


@functional("hardtanh_")
def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


@functional("relu6")
def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


LeakyRelu = _pointwise("leaky_relu", lambda x, slope: np.where(x > 0, x, x * slope).astype(x.dtype, copy=False),
                       lambda x, slope: np.where(x > 0, 1.0, slope), const=True)


def _leaky_relu(input, negative_slope=0.01):
    check_tensor(input, "leaky_relu")
    _need_float(input, "leaky_relu_cpu")
    return LeakyRelu.apply(input, slope=float(negative_slope))


@functional("leaky_relu")
def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _maybe_inplace(_leaky_relu, input, inplace, negative_slope)


@functional("leaky_relu_")
def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


Threshold = _pointwise("threshold", lambda x, th, val: np.where(x > th, x, val).astype(x.dtype, copy=False),
                       lambda x, th, val: x > th, const=True)


def _threshold(input, threshold, value):
    check_tensor(input, "threshold")
    return Threshold.apply(input, th=threshold, val=value)


@export("threshold", method=False)
@functional("threshold")
def threshold(input, threshold, value, inplace=False):
    return _maybe_inplace(_threshold, input, inplace, threshold, value)


@export("threshold_", method=False)
@functional("threshold_")
def threshold_(input, threshold, value):
    return _maybe_inplace(_threshold, input, True, threshold, value)


def _check_lambd(input, lambd, op):
    if lambd < 0:
        raise RuntimeError(f"lambda must be in range [0, 3.40282e+38] for input dtype {_tname(input)}, but found "
                           f"{lambd:g}")


Hardshrink = _pointwise("hardshrink", lambda x, l: np.where((x > l) | (x < -l), x, 0).astype(x.dtype, copy=False),
                        lambda x, l: (x > l) | (x < -l), const=True)
Softshrink = _pointwise("softshrink",
                        lambda x, l: np.where(x > l, x - l, np.where(x < -l, x + l, 0)).astype(x.dtype, copy=False),
                        lambda x, l: (x > l) | (x < -l), const=True)


@export("hardshrink")
@functional("hardshrink")
def hardshrink(input, lambd=0.5):
    check_tensor(input, "hardshrink")
    _need_float(input, "hardshrink_cpu")
    return Hardshrink.apply(input, l=lambd)


@functional("softshrink")
def softshrink(input, lambd=0.5):
    check_tensor(input, "softshrink")
    _need_float(input, "softshrink_cpu")
    _check_lambd(input, lambd, "softshrink")
    return Softshrink.apply(input, l=lambd)


Hardsigmoid = _pointwise("hardsigmoid", lambda x: (np.minimum(np.maximum(x + 3, 0), 6) / 6).astype(x.dtype),
                         lambda x: ((x > -3) & (x < 3)) / 6.0, const=True)


@functional("hardsigmoid")
def hardsigmoid(input, inplace=False):
    def f(x):
        check_tensor(x, "hardsigmoid")
        _need_float(x, "hardsigmoid_cpu")
        return Hardsigmoid.apply(x)
    return _maybe_inplace(f, input, inplace)


def _hardswish_deriv(x):
    return where(x < -3, x * 0, where(x <= 3, x / 3 + 0.5, x * 0 + 1))


Hardswish = _pointwise("hardswish", lambda x: (x * np.minimum(np.maximum(x + 3, 0), 6) / 6).astype(x.dtype),
                       _hardswish_deriv)


@functional("hardswish")
def hardswish(input, inplace=False):
    def f(x):
        check_tensor(x, "hardswish")
        _need_float(x, "hardswish_cpu")
        return Hardswish.apply(x)
    return _maybe_inplace(f, input, inplace)


# ============================================================================================ smooth activations
def _elu_fwd(x, alpha, scale, input_scale):
    xp = array_module(x)
    neg = (np.expm1(np.minimum(x, 0) * input_scale) * (alpha * scale)).astype(x.dtype, copy=False)
    return xp.where(x > 0, x * scale, neg).astype(x.dtype, copy=False)


def _elu_deriv(x, alpha, scale, input_scale):
    neg = exp(clamp(x, max=0.0) * input_scale) * (alpha * scale * input_scale)
    return where(x > 0, neg * 0 + scale, neg)


Elu = _pointwise("elu", _elu_fwd, _elu_deriv)

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _elu_any(input, alpha, scale, input_scale, kernel="elu_cpu"):
    check_tensor(input, kernel.split("_")[0])
    _need_float(input, kernel)
    return Elu.apply(input, alpha=float(alpha), scale=float(scale), input_scale=float(input_scale))


@functional("elu")
def elu(input, alpha=1.0, inplace=False):
    return _maybe_inplace(lambda x: _elu_any(x, alpha, 1.0, 1.0), input, inplace)


@functional("elu_")
def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


@export("selu", method=False)
@functional("selu")
def selu(input, inplace=False):
    return _maybe_inplace(lambda x: _elu_any(x, _SELU_ALPHA, _SELU_SCALE, 1.0), input, inplace)


@export("selu_", method=False)
@functional("selu_")
def selu_(input):
    return selu(input, True)


@export("celu", method=False)
@functional("celu")
def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _maybe_inplace(lambda x: _elu_any(x, alpha, 1.0, 1.0 / alpha), input, inplace)


@export("celu_", method=False)
@functional("celu_")
def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


def _gelu_fwd(x, tanh_approx):
    if tanh_approx:
        k = math.sqrt(2.0 / math.pi)
        return (0.5 * x * (1.0 + np.tanh(k * (x + 0.044715 * x * x * x)))).astype(x.dtype, copy=False)
    return (x * (0.5 * (1.0 + _calerf(x * _INV_SQRT2, False)))).astype(x.dtype, copy=False)


def _gelu_deriv(x, tanh_approx):
    if tanh_approx:
        k = math.sqrt(2.0 / math.pi)
        x2 = x * x
        t = tanh((x + x * x2 * 0.044715) * k)
        return (t + 1) * 0.5 + x * (1 - t * t) * (x2 * (3 * 0.044715 * k) + k) * 0.5
    return (Erf.apply(x * _INV_SQRT2) + 1) * 0.5 + x * exp(x * x * -0.5) * _INV_SQRT_2PI


Gelu = _pointwise("gelu", _gelu_fwd, _gelu_deriv)


@functional("gelu")
def gelu(input, approximate="none"):
    check_tensor(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _need_float(input, "GeluKernelImpl")
    return Gelu.apply(input, tanh_approx=approximate == "tanh")


Silu = _pointwise("silu", lambda x: (x * _ew._sigmoid_np(x)).astype(x.dtype, copy=False),
                  lambda x: (lambda s: s * (x * (1 - s) + 1))(sigmoid(x)))


@functional("silu")
def silu(input, inplace=False):
    def f(x):
        check_tensor(x, "silu")
        _need_float(x, "silu_cpu")
        return Silu.apply(x)
    return _maybe_inplace(f, input, inplace)


def _softplus_np(x, beta=1.0, threshold=20.0):
    bx = x * beta
    return np.where(bx > threshold, x, np.log1p(np.exp(bx)) / beta).astype(x.dtype, copy=False)


def _softplus_deriv(x, beta=1.0, threshold=20.0):
    bx = x * beta
    return where(bx > threshold, x * 0 + 1, sigmoid(bx))


Softplus = _pointwise("softplus", _softplus_np, _softplus_deriv)


@functional("softplus")
def softplus(input, beta=1.0, threshold=20.0):
    check_tensor(input, "softplus")
    _need_float(input, "softplus_cpu")
    return Softplus.apply(input, beta=float(beta), threshold=float(threshold))


def _mish_deriv(x):
    t = tanh(Softplus.apply(x, beta=1.0, threshold=20.0))
    return t + x * (1 - t * t) * sigmoid(x)


Mish = _pointwise("mish", lambda x: (x * np.tanh(_softplus_np(x))).astype(x.dtype, copy=False), _mish_deriv)


@functional("mish")
def mish(input, inplace=False):
    def f(x):
        check_tensor(x, "mish")
        _need_float(x, "mish_cpu")
        return Mish.apply(x)
    return _maybe_inplace(f, input, inplace)


def _logsigmoid_np(x):
    return (np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))).astype(x.dtype, copy=False)


Logsigmoid = _pointwise("logsigmoid", _logsigmoid_np, lambda x: sigmoid(-x))


@functional("logsigmoid")
def logsigmoid(input):
    check_tensor(input, "logsigmoid")
    _need_float(input, "log_sigmoid_forward")
    return Logsigmoid.apply(input)


@functional("softsign")
def softsign(input):
    check_tensor(input, "softsign")
    return input / (_ew.abs(input) + 1)


@functional("tanhshrink")
def tanhshrink(input):
    check_tensor(input, "tanhshrink")
    return input - tanh(input)


FUNCTIONAL["sigmoid"] = sigmoid
FUNCTIONAL["tanh"] = tanh


# ============================================================================================ prelu / rrelu / glu
@export("prelu")
@functional("prelu")
def prelu(input, weight):
    check_tensor(input, "prelu")
    check_tensor(weight, "prelu", "weight")
    nw = weight._data.size
    if nw != 1:
        if input._data.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        c = input._data.shape[1] if input._data.ndim >= 2 else 1
        if nw != c:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{nw} and channel size = {c}.")
        w = weight.reshape((nw,) + (1,) * (input._data.ndim - 2))
    else:
        w = weight.reshape(()) if weight._data.ndim != 0 else weight
    return where(input > 0, input, w * input)


_RRELU_DEFAULT_UPPER = 1.0 / 3.0


def _rrelu(input, lower, upper, training, generator=None):
    check_tensor(input, "rrelu")
    _need_float(input, "rrelu_with_noise_cpu")
    if not training:
        return _leaky_relu(input, (lower + upper) / 2.0)
    from .random import _rng
    a = _rng(generator).uniform(lower, upper, size=input._data.shape).astype(input._data.dtype)
    xp = array_module(input._data)
    if xp is not np:
        a = xp.asarray(a)
    slope = xp.where(input._data >= 0, 1, a).astype(input._data.dtype)
    return input * Tensor._make(slope)


@export("rrelu", method=False)
@functional("rrelu")
def rrelu(input, lower=1.0 / 8, upper=_RRELU_DEFAULT_UPPER, training=False, inplace=False):
    return _maybe_inplace(_rrelu, input, inplace, lower, upper, training)


@export("rrelu_", method=False)
@functional("rrelu_")
def rrelu_(input, lower=1.0 / 8, upper=_RRELU_DEFAULT_UPPER, training=False):
    return rrelu(input, lower, upper, training, True)


class Narrow(Op):
    """``x`` sliced to ``[start, start + length)`` along ``dim`` (a view)."""
    save_inputs = ()
    view = True

    def forward(ctx, x, dim, start, length):
        ctx.in_shape = x.shape
        ctx.dim, ctx.start, ctx.length = dim, start, length
        idx = (slice(None),) * dim + (slice(start, start + length),)
        return x[idx]

    def backward(ctx, g):
        return NarrowBackward.apply(g, shape=ctx.in_shape, dim=ctx.dim, start=ctx.start)


class NarrowBackward(Op):
    save_inputs = ()

    def forward(ctx, g, shape, dim, start):
        ctx.dim, ctx.start, ctx.length = dim, start, g.shape[dim]
        xp = array_module(g)
        out = xp.zeros(shape, dtype=g.dtype)
        out[(slice(None),) * dim + (slice(start, start + g.shape[dim]),)] = g
        return out

    def backward(ctx, gg):
        return Narrow.apply(gg, dim=ctx.dim, start=ctx.start, length=ctx.length)


@functional("glu")
def glu(input, dim=-1):
    check_tensor(input, "glu")
    if input._data.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = wrap_dim(dim, input._data.ndim)
    n = input._data.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    h = n // 2
    a = Narrow.apply(input, dim=d, start=0, length=h)
    b = Narrow.apply(input, dim=d, start=h, length=h)
    return a * sigmoid(b)


# ============================================================================================ softmax family
_BLAS_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_ONES = {}


def _sum_keep_np(a, dim):
    """``a.sum(dim, keepdims=True)`` on arrays. Over the last axis of a C-contiguous float32/float64 NumPy array it
    is one BLAS matrix-vector product with a ones vector: several times faster than NumPy's reduction over many
    short rows (softmax over attention scores, layer norm over features)."""
    if (dim == a.ndim - 1 and type(a) is np.ndarray and a.dtype in _BLAS_FLOATS and a.flags.c_contiguous
            and a.size):
        n = a.shape[-1]
        ones = _ONES.get((n, a.dtype))
        if ones is None:
            ones = np.ones(n, a.dtype)
            if len(_ONES) < 256:
                _ONES[(n, a.dtype)] = ones
        return (a.reshape(-1, n) @ ones).reshape(a.shape[:-1] + (1,))
    return a.sum(axis=dim, keepdims=True)


def _softmax_np(x, dim, log):
    if x.ndim == 0:
        return np.zeros_like(x) if log else np.ones_like(x)
    if x.size == 0:
        return x.copy()
    m = x.max(axis=dim, keepdims=True)
    xp = array_module(x)
    with np.errstate(invalid="ignore", over="ignore"):
        if not xp.isfinite(m).all():      # rows of -inf (or inf/nan) are shifted by 0, as PyTorch does
            m = xp.where(xp.isfinite(m), m, 0)
        z = x - m
        if log:
            s = _sum_keep_np(np.exp(z), dim)
            z -= np.log(s)
            return z
        np.exp(z, out=z)            # one temporary for the whole softmax: fresh large arrays cost page faults
        z /= _sum_keep_np(z, dim)
    return z


class Softmax(Op):
    save_inputs = ()
    save_output = True

    def forward(ctx, x, dim):
        ctx.dim = dim
        return _softmax_np(x, dim, False)

    def backward(ctx, g):
        if not _grad_enabled[0] and g._data.dtype == ctx._out.dtype:
            # an ordinary backward: y * (g - sum(g * y)) in NumPy with one temporary
            y, ga = ctx._out, g._data
            if y.ndim == 0:
                return Tensor._make(ga * 0)
            t = ga * y
            s = _sum_keep_np(t, ctx.dim)
            np.subtract(ga, s, out=t)
            t *= y
            return Tensor._make(t)
        y = ctx.output()          # create_graph: composed of ember ops, so it is differentiable again
        gy = g * y
        return gy - y * _sum_keep(gy, ctx.dim, y)


class LogSoftmax(Op):
    save_inputs = ()
    save_output = True

    def forward(ctx, x, dim):
        ctx.dim = dim
        return _softmax_np(x, dim, True)

    def backward(ctx, g):
        if not _grad_enabled[0] and g._data.dtype == ctx._out.dtype:
            y, ga = ctx._out, g._data       # g - exp(y) * sum(g), one temporary
            if y.ndim == 0:
                return Tensor._make(ga - np.exp(y) * ga)
            t = np.exp(y)
            t *= _sum_keep_np(ga, ctx.dim)
            np.subtract(ga, t, out=t)
            return Tensor._make(t)
        y = ctx.output()
        return g - exp(y) * _sum_keep(g, ctx.dim, y)


def _sum_keep(t, dim, like):
    if like._data.ndim == 0:
        return t
    return t.sum(dim, keepdim=True)


def _softmax_dim(name, ndim, stacklevel):
    import warnings
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_prep(input, dim, dtype, name):
    check_tensor(input, name)
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        kern = "softmax_lastdim_kernel_impl" if name != "log_softmax" else "log_softmax_lastdim_kernel_impl"
        raise NotImplementedError(f"\"{kern}\" not implemented for '{_tname(input)}'")
    return input, wrap_dim(dim, input._data.ndim, name)


def _softmax(input, dim, dtype=None):
    x, d = _softmax_prep(input, dim, dtype, "softmax")
    return Softmax.apply(x, dim=d)


def _log_softmax(input, dim, dtype=None):
    x, d = _softmax_prep(input, dim, dtype, "log_softmax")
    return LogSoftmax.apply(x, dim=d)


@export("softmax")
def _torch_softmax(input, dim, dtype=None):
    return _softmax(input, dim, dtype)


@export("log_softmax")
def _torch_log_softmax(input, dim, dtype=None):
    return _log_softmax(input, dim, dtype)


@functional("softmax")
def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    return _softmax(input, dim, dtype)


@functional("log_softmax")
def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _log_softmax(input, dim, dtype)


@functional("softmin")
def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    check_tensor(input, "softmin")
    if dtype is not None:
        input = input.to(dtype)
    return _softmax(-input, dim)


# ============================================================================================ dropout family
def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _bernoulli_keep(shape, keep, like):
    from .random import default_generator
    mask = default_generator._rng.random(shape) < keep
    xp = array_module(like)
    return mask if xp is np else xp.asarray(mask)


def _dropout_impl(input, p, train, feature=False, alpha=False):
    if p == 0 or not train or input._data.size == 0:
        return input
    x = input._data
    if p == 1:
        return _scale(input, np.zeros((), dtype=x.dtype)) if x.dtype.kind == "f" else input * 0
    shape = x.shape if not feature else x.shape[:2] + (1,) * (x.ndim - 2)
    keep = _bernoulli_keep(shape, 1.0 - p, x)
    if not alpha:
        return _scale(input, (keep * (1.0 / (1.0 - p))).astype(x.dtype))
    a_ = 1.7580993408473766
    a = 1.0 / math.sqrt((a_ * a_ * p + 1) * (1 - p))
    b = ((keep - 1.0) * (a_ * a) + a_ * a * p).astype(x.dtype)
    return _scale(input, (keep * a).astype(x.dtype)) + Tensor._make(b)


def _dropout_call(input, p, training, inplace, name, feature=False, alpha=False):
    _check_p(p)
    check_tensor(input, name)
    if inplace:
        if p == 0 or not training or input._data.size == 0:
            return input
        return input._apply_inplace(lambda x: _dropout_impl(x, p, True, feature, alpha))
    return _dropout_impl(input, p, training, feature, alpha)


@functional("dropout")
def dropout(input, p=0.5, training=True, inplace=False):
    return _dropout_call(input, p, training, inplace, "dropout")


@export("dropout", method=False)
def _torch_dropout(input, p, train):
    return _dropout_call(input, p, train, False, "dropout")


@export("dropout_", method=False)
def _torch_dropout_(input, p, train):
    return _dropout_call(input, p, train, True, "dropout")


@functional("alpha_dropout")
def alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _dropout_call(input, p, training, inplace, "alpha_dropout", alpha=True)


@export("alpha_dropout", method=False)
def _torch_alpha_dropout(input, p, train):
    return _dropout_call(input, p, train, False, "alpha_dropout", alpha=True)


@functional("feature_alpha_dropout")
def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _dropout_call(input, p, training, inplace, "feature_alpha_dropout", feature=True, alpha=True)


@export("feature_alpha_dropout", method=False)
def _torch_feature_alpha_dropout(input, p, train):
    return _dropout_call(input, p, train, False, "feature_alpha_dropout", feature=True, alpha=True)


@export("feature_dropout", method=False)
def _torch_feature_dropout(input, p, train):
    return _dropout_call(input, p, train, False, "feature_dropout", feature=True)


def _feature_dropout_nd(input, p, training, inplace, name, spatial):
    _check_p(p)
    check_tensor(input, name)
    nd = input._data.ndim
    if nd not in (spatial + 1, spatial + 2):
        shapes = {1: "1 spatial dimension", 2: "2 spatial dimensions", 3: "3 spatial dimensions"}
        raise RuntimeError(f"{name}: Expected {spatial + 1}D or {spatial + 2}D input, but received a {nd}D input. "
                           f"Note that {name} exists to provide channel-wise dropout on inputs with "
                           f"{shapes[spatial]}, a channel dimension, and an optional batch dimension (i.e. "
                           f"{spatial + 1}D or {spatial + 2}D inputs).")
    if nd == spatial + 1:  # unbatched: add the batch dim
        x = input.reshape((1,) + input._data.shape)
        if inplace:
            raise NotImplementedError(f"{name}: inplace is not supported on unbatched inputs in ember")
        return _dropout_call(x, p, training, False, name, feature=True).reshape(input._data.shape)
    return _dropout_call(input, p, training, inplace, name, feature=True)


@functional("dropout1d")
def dropout1d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout_nd(input, p, training, inplace, "dropout1d", 1)


@functional("dropout2d")
def dropout2d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    check_tensor(input, "dropout2d")
    nd = input._data.ndim
    import warnings
    if nd not in (3, 4):
        warnings.warn(f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use "
                      "dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      "spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D "
                      "inputs).", UserWarning, stacklevel=2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", UserWarning, stacklevel=2)
    return _dropout_call(input, p, training, inplace, "dropout2d", feature=True)


@functional("dropout3d")
def dropout3d(input, p=0.5, training=True, inplace=False):
    return _feature_dropout_nd(input, p, training, inplace, "dropout3d", 3)
