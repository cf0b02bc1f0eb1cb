"""Elementwise ops: arithmetic, unary math, comparisons, clamp/where/lerp."""
import numpy as np

from . import OpInfo, Sample, uniform

POS = (0.1, 3.0)      # strictly positive domain (log, sqrt, ...)
UNIT = (-0.9, 0.9)    # inside (-1, 1) (asin, atanh, ...)


def _u(name, fn=None, **kw):
    return OpInfo(name, fn or (lambda lib, x, _n=name: getattr(lib, _n)(x)), kind="unary", **kw)


def _b(name, fn=None, **kw):
    return OpInfo(name, fn or (lambda lib, a, b, _n=name: getattr(lib, _n)(a, b)), kind="binary", **kw)


def _away_from_ints(x):
    return np.abs(x - np.round(x)) < 0.05


OPS = [
    _u("exp"), _u("exp2"), _u("expm1"), _u("log", domain=POS), _u("log2", domain=POS), _u("log10", domain=POS),
    _u("log1p", domain=(-0.5, 2.0)), _u("sqrt", domain=POS), _u("rsqrt", domain=POS),
    _u("sin"), _u("cos"), _u("tan", domain=(-1.2, 1.2)),
    _u("asin", domain=UNIT), _u("acos", domain=UNIT), _u("atan"),
    _u("sinh"), _u("cosh"), _u("tanh"), _u("asinh"), _u("acosh", domain=(1.1, 3.0)), _u("atanh", domain=UNIT),
    _u("sigmoid", domain=(-8, 8)), _u("reciprocal", domain=POS), _u("square"),
    _u("abs", avoid=lambda x: np.abs(x) < 0.05), _u("neg"), _u("sign", avoid=lambda x: np.abs(x) < 0.05),
    _u("floor", avoid=_away_from_ints), _u("ceil", avoid=_away_from_ints), _u("trunc", avoid=_away_from_ints),
    _u("frac", avoid=_away_from_ints), _u("round", avoid=lambda x: np.abs(x - np.floor(x) - 0.5) < 0.05),
    _u("round_decimals", lambda lib, x: lib.round(x, decimals=2), gradgrad=False,
       avoid=lambda x: np.abs(x * 100 - np.floor(x * 100) - 0.5) < 0.05),
    _u("pow_scalar", lambda lib, x: x ** 3), _u("pow_half", lambda lib, x: x ** 0.5, domain=POS),
    _u("pow_neg", lambda lib, x: lib.pow(x, -1.5), domain=POS),
    _u("rpow", lambda lib, x: 2.0 ** x), _u("rsub_scalar", lambda lib, x: 3 - x),
    _u("rdiv_scalar", lambda lib, x: 3 / x, domain=POS), _u("mul_scalar", lambda lib, x: x * 2.5),
    _u("add_scalar_alpha", lambda lib, x: lib.add(x, 2, alpha=3)),
    _u("clamp", lambda lib, x: lib.clamp(x, -0.5, 0.7), avoid=lambda x: (np.abs(x + 0.5) < 0.05) |
       (np.abs(x - 0.7) < 0.05)),
    _u("clamp_min", lambda lib, x: x.clamp(min=0.2), avoid=lambda x: np.abs(x - 0.2) < 0.05),
    _u("clip_max", lambda lib, x: lib.clip(x, max=0.2), avoid=lambda x: np.abs(x - 0.2) < 0.05),
    _u("nan_to_num", lambda lib, x: lib.nan_to_num(lib.log(x)), domain=(-1.0, 2.0), avoid=lambda x: x < 0.05),
    _u("pos", lambda lib, x: +x),
    _u("clone", lambda lib, x: x.clone()), _u("contiguous", lambda lib, x: x.contiguous()),
    _u("cast_double", lambda lib, x: x.double() * 2), _u("cast_half_roundtrip", lambda lib, x: x.to(lib.float64).float(),
                                                        gradgrad=True),
    _b("add"), _b("sub"), _b("mul"), _b("div", domain=(0.5, 2.0)), _b("atan2", domain=(0.3, 2.0)),
    _b("pow", domain=(0.5, 2.0)), _b("maximum", avoid=None), _b("minimum"),
    _b("add_alpha", lambda lib, a, b: lib.add(a, b, alpha=-2)),
    _b("sub_alpha", lambda lib, a, b: lib.sub(a, b, alpha=0.5)),
    _b("remainder", domain=(0.5, 3.0), gradgrad=False, avoid=lambda x: False),
    _b("fmod", domain=(0.5, 3.0), gradgrad=False),
    _b("lerp_scalar", lambda lib, a, b: lib.lerp(a, b, 0.3)),
    _b("xlogy", domain=(0.2, 2.0)),
    _b("hypot", domain=(0.2, 2.0)),
    _b("where", lambda lib, a, b: lib.where(a > b, a, b)),
    _b("where_scalar", lambda lib, a, b: lib.where(a > 0, a * b, 0.0)),
    _b("dunder_chain", lambda lib, a, b: (a + 1) * (b - 2) / (a * a + 1) - a ** 2),
    _b("clamp_tensor", lambda lib, a, b: lib.clamp(a, min=b)),
    _b("addcmul", lambda lib, a, b: lib.addcmul(a, a, b, value=0.5)),
    _b("addcdiv", lambda lib, a, b: lib.addcdiv(a, a, b * b + 1, value=2)),
    _b("div_floor", lambda lib, a, b: lib.div(a, b, rounding_mode="floor"), domain=(0.5, 3.0), gradgrad=False),
    _b("div_trunc", lambda lib, a, b: lib.div(a, b, rounding_mode="trunc"), domain=(0.5, 3.0), gradgrad=False),
]


def _cmp_samples(rng, dtype):
    a = uniform(rng, (3, 4), dtype)
    b = uniform(rng, (4,), dtype)
    b[0] = a[0, 0]
    return [Sample((a, b))]


for _name in ("eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor"):
    OPS.append(OpInfo(_name, (lambda lib, a, b, _n=_name: getattr(lib, _n)(a, b)), kind="custom",
                      samples=_cmp_samples, grad=False, gradgrad=False))
OPS.append(OpInfo("isfinite_log", lambda lib, a, b: lib.isfinite(lib.log(a)), kind="custom",
                  samples=_cmp_samples, grad=False))
