"""Reductions: sum/mean/nansum/nanmean/prod, var/std, max/min/amax/amin/aminmax, argmax/argmin, all/any,
count_nonzero, cumulative ops, logsumexp, median/nanmedian/mode/kthvalue/quantile, diff."""
import numpy as np

from . import OpInfo, Sample, uniform


def _samples(*specs, domain=(-2.0, 2.0), prep=None):
    """``specs``: (shape, kwargs) pairs; ``prep(rng, array)`` may plant zeros, ties or NaNs."""
    def samples(rng, dtype):
        out = []
        for shape, kw in specs:
            a = uniform(rng, shape, dtype, domain)
            if prep is not None:
                a = prep(rng, a)
            out.append(Sample((a,), dict(kw), name=f"{shape} {kw}"))
        return out
    return samples


def _red(name, specs, fn=None, unary=False, **kw):
    """One custom OpInfo calling ``lib.<name>(x, **kwargs)`` on each spec (and a unary twin when asked)."""
    f = fn or (lambda lib, x, _n=name, **k: getattr(lib, _n)(x, **k))
    ops = [OpInfo(name, f, kind="custom", samples=_samples(*specs, prep=kw.pop("prep", None),
                                                            domain=kw.pop("domain", (-2.0, 2.0))),
                  max_examples=kw.pop("max_examples", 2), **kw)]
    return ops


def _plant(value, count):
    def prep(rng, a):
        a = a.copy()
        if a.size:
            flat = a.reshape(-1)
            flat[rng.choice(a.size, size=min(count, a.size), replace=False)] = value
        return a
    return prep


def _ties(rng, a):
    """Values on a coarse grid, so that maxima and medians tie."""
    return np.round(a).astype(a.dtype)


def _plant_nan(rng, a):
    return _plant(np.nan, a.size // 4)(rng, a)


_DIMS = [((3, 4), {}), ((3, 4), dict(dim=1)), ((2, 3, 4), dict(dim=(0, 2), keepdim=True)),
         ((2, 3, 4), dict(dim=-2)), ((3, 1), dict(dim=-1, keepdim=True)), ((0, 3), dict(dim=0)),
         ((0, 3), dict(dim=1)), ((), dict(dim=0)), ((2, 3), dict(dim=[]))]

_VAR = [((3, 4), {}), ((3, 4), dict(dim=1)), ((2, 3, 4), dict(dim=(0, 2), keepdim=True)),
        ((3, 5), dict(dim=0, correction=0)), ((3, 5), dict(dim=1, correction=2)), ((4, 3), dict(dim=1, unbiased=False)),
        ((4, 3), dict(dim=0, keepdims=True))]

_ONE_DIM = [((3, 4), dict(dim=1)), ((2, 3, 4), dict(dim=0, keepdim=True)), ((4,), dict(dim=-1)), ((), dict(dim=0)),
            ((0, 3), dict(dim=1)), ((3, 1), dict(dim=1))]

_CUM = [((3, 4), dict(dim=1)), ((2, 3, 4), dict(dim=0)), ((5,), dict(dim=0)), ((), dict(dim=0)), ((0, 3), dict(dim=1)),
        ((4, 0), dict(dim=0))]

_ZEROS_2D = [((3, 4), dict(dim=1)), ((3, 5), dict(dim=0)), ((6,), dict(dim=0))]

OPS = [
    OpInfo("sum_all", lambda lib, x: lib.sum(x), kind="unary"),
    OpInfo("sum_method_last", lambda lib, x: x.sum(-1), kind="unary"),
    *_red("sum", _DIMS),
    *_red("sum_dtype", [((3, 4), dict(dim=1, dtype="float64"))],
          fn=lambda lib, x, dim, dtype: lib.sum(x, dim, dtype=getattr(lib, dtype))),
    *_red("sum_axis_alias", [((3, 4), dict(axis=0, keepdims=True))], fn=lambda lib, x, **k: lib.sum(x, **k)),
    OpInfo("mean_all", lambda lib, x: lib.mean(x), kind="unary"),
    *_red("mean", _DIMS),
    *_red("nansum", _DIMS[:5], prep=_plant_nan),
    *_red("nanmean", _DIMS[:4], prep=_plant_nan),
    OpInfo("prod_all", lambda lib, x: lib.prod(x), kind="unary", domain=(0.5, 1.5)),
    *_red("prod", [((3, 4), {}), ((3, 4), dict(dim=1)), ((2, 3, 4), dict(dim=0, keepdim=True)), ((), dict(dim=0)),
                   ((0, 3), dict(dim=1)), ((0, 3), dict(dim=0))], domain=(0.5, 1.5)),
    *_red("prod_one_zero", [((3, 4), {}), ((3, 4), dict(dim=1)), ((2, 3, 4), dict(dim=1, keepdim=True))],
          fn=lambda lib, x, **k: lib.prod(x, **k), prep=_plant(0.0, 1)),
    *_red("prod_two_zeros", [((3, 4), {}), ((3, 4), dict(dim=1)), ((4, 3), dict(dim=0))],
          fn=lambda lib, x, **k: lib.prod(x, **k), prep=_plant(0.0, 2)),
    *_red("var", _VAR),
    *_red("std", _VAR),
    *_red("std_constant_rows", [((3, 4), dict(dim=1))], fn=lambda lib, x, dim: lib.std(x * 0 + x[:, :1], dim)),
    *_red("var_legacy_unbiased", [((3, 4), {})], fn=lambda lib, x: lib.var(x, 1, False, True)),
    *_red("var_mean", _VAR[:4]),
    *_red("std_mean", _VAR[:4]),
    *_red("max_all", [((3, 4), {}), ((), {}), ((5,), {})], fn=lambda lib, x: lib.max(x)),
    *_red("min_all", [((3, 4), {}), ((), {})], fn=lambda lib, x: lib.min(x)),
    *_red("max_all_ties", [((3, 4), {}), ((2, 5), {})], fn=lambda lib, x: lib.max(x), prep=_ties),
    *_red("min_all_ties", [((3, 4), {})], fn=lambda lib, x: lib.min(x), prep=_ties),
    *_red("max_dim", _ONE_DIM, fn=lambda lib, x, **k: lib.max(x, **k)),
    *_red("min_dim", _ONE_DIM, fn=lambda lib, x, **k: lib.min(x, **k)),
    *_red("max_dim_ties", [((3, 5), dict(dim=1)), ((4, 3), dict(dim=0, keepdim=True))],
          fn=lambda lib, x, **k: x.max(**k), prep=_ties),
    *_red("max_binary", [((3, 4), {})], fn=lambda lib, x: lib.max(x, x.flip(0))),
    *_red("amax", [((3, 4), {}), ((3, 4), dict(dim=1)), ((2, 3, 4), dict(dim=(0, 2), keepdim=True)),
                   ((0, 3), dict(dim=1)), ((), {})]),
    *_red("amin", [((3, 4), dict(dim=0)), ((2, 3, 4), dict(dim=(-1, 0)))]),
    *_red("amax_ties", [((3, 5), dict(dim=1)), ((3, 5), {}), ((2, 3, 4), dict(dim=(0, 2)))],
          fn=lambda lib, x, **k: lib.amax(x, **k), prep=_ties),
    *_red("amin_ties", [((3, 5), dict(dim=0))], fn=lambda lib, x, **k: lib.amin(x, **k), prep=_ties),
    *_red("aminmax", [((3, 4), {}), ((3, 4), dict(dim=1)), ((3, 4), dict(dim=0, keepdim=True))]),
    *_red("argmax", [((3, 4), {}), ((3, 4), dict(dim=1)), ((3, 4), dict(keepdim=True)), ((), {}),
                     ((0, 3), dict(dim=1)), ((2, 3, 4), dict(dim=-2, keepdim=True))], grad=False),
    *_red("argmin", [((3, 4), {}), ((3, 4), dict(dim=0)), ((3, 4), dict(dim=1, keepdim=True))], grad=False),
    *_red("argmax_ties", [((3, 5), dict(dim=1)), ((3, 5), {})], fn=lambda lib, x, **k: lib.argmax(x, **k),
          prep=_ties, grad=False),
    *_red("all", [((3, 4), {}), ((3, 4), dict(dim=1)), ((2, 3, 4), dict(dim=(0, 2), keepdim=True)), ((0, 3), dict(dim=1))],
          fn=lambda lib, x, **k: lib.all(x > -1.5, **k), grad=False),
    *_red("any", [((3, 4), {}), ((3, 4), dict(dim=0, keepdim=True)), ((0, 3), dict(dim=0))],
          fn=lambda lib, x, **k: lib.any(x > 1.5, **k), grad=False),
    *_red("any_float", [((3, 4), dict(dim=1))], fn=lambda lib, x, **k: (x * (x > 0)).any(**k), grad=False),
    *_red("count_nonzero", [((3, 4), {}), ((3, 4), dict(dim=1)), ((2, 3, 4), dict(dim=(0, 2)))],
          fn=lambda lib, x, **k: lib.count_nonzero(x * (x > 0), **k), grad=False),
    OpInfo("cumsum_last", lambda lib, x: lib.cumsum(x, -1), kind="unary"),
    *_red("cumsum", _CUM),
    *_red("cumsum_dtype", [((3, 4), dict(dim=1))], fn=lambda lib, x, dim: lib.cumsum(x, dim, dtype=lib.float64)),
    OpInfo("cumprod_last", lambda lib, x: lib.cumprod(x, -1), kind="unary", domain=(0.5, 1.5)),
    *_red("cumprod", _CUM, domain=(0.5, 1.5)),
    *_red("cumprod_one_zero", _ZEROS_2D, fn=lambda lib, x, **k: lib.cumprod(x, **k), prep=_plant(0.0, 1)),
    *_red("cumprod_two_zeros", _ZEROS_2D, fn=lambda lib, x, **k: lib.cumprod(x, **k), prep=_plant(0.0, 2)),
    # (empty inputs are left out: PyTorch's cummax backward returns the input itself there, a quirk)
    *_red("cummax", _CUM[:4], fn=lambda lib, x, dim: lib.cummax(x, dim)),
    *_red("cummin", _CUM[:4], fn=lambda lib, x, dim: lib.cummin(x, dim)),
    *_red("cummax_ties", [((3, 6), dict(dim=1))], fn=lambda lib, x, dim: lib.cummax(x, dim), prep=_ties),
    OpInfo("logcumsumexp_last", lambda lib, x: lib.logcumsumexp(x, -1), kind="unary"),
    *_red("logcumsumexp", _CUM),
    OpInfo("logsumexp_last", lambda lib, x: lib.logsumexp(x, -1), kind="unary"),
    *_red("logsumexp", [((3, 4), dict(dim=1)), ((2, 3, 4), dict(dim=(0, 2), keepdim=True)), ((0, 3), dict(dim=0)),
                        ((), dict(dim=0)), ((3, 4), dict(dim=0, keepdim=True))], domain=(-30.0, 30.0)),
    *_red("logsumexp_neg_inf", [((3, 4), dict(dim=1))],
          fn=lambda lib, x, dim: lib.logsumexp(lib.where(x > 0, x, -float("inf")), dim), grad=False),
    *_red("median_all", [((3, 4), {}), ((5,), {}), ((), {}), ((0, 2), {})], fn=lambda lib, x: lib.median(x)),
    *_red("median_all_ties", [((3, 4), {})], fn=lambda lib, x: lib.median(x), prep=_ties),
    *_red("median", _ONE_DIM[:5] + [((4, 6), dict(dim=1))]),
    *_red("median_nan", [((3, 5), dict(dim=1))], fn=lambda lib, x, dim: lib.median(x, dim), prep=_plant_nan),
    *_red("median_all_nan", [((3, 5), {})], fn=lambda lib, x: lib.median(x), prep=_plant_nan),
    *_red("nanmedian", [((3, 5), dict(dim=1)), ((4, 6), dict(dim=0, keepdim=True))], prep=_plant_nan),
    *_red("nanmedian_all", [((3, 5), {})], fn=lambda lib, x: lib.nanmedian(x), prep=_plant_nan),
    *_red("kthvalue", [((3, 4), dict(k=2)), ((3, 4), dict(k=1, dim=0, keepdim=True)), ((5,), dict(k=5)),
                       ((), dict(k=1)), ((2, 3, 4), dict(k=3, dim=-2))],
          fn=lambda lib, x, **k: lib.kthvalue(x, **k)),
    *_red("mode", [((3, 6), {}), ((4, 3), dict(dim=0)), ((2, 3, 4), dict(dim=1, keepdim=True))], prep=_ties),
    *_red("mode_distinct", [((3, 4), {}), ((), {})], fn=lambda lib, x, **k: lib.mode(x, **k)),
    *_red("quantile", [((3, 4), dict(q=0.3)), ((3, 4), dict(q=0.5, dim=1)), ((3, 4), dict(q=0.75, dim=0, keepdim=True)),
                       ((5,), dict(q=1.0)), ((2, 3, 4), dict(q=0.2, dim=-1, interpolation="midpoint")),
                       ((3, 4), dict(q=0.4, dim=1, interpolation="lower")),
                       ((3, 4), dict(q=0.4, dim=1, interpolation="higher")),
                       ((3, 5), dict(q=0.6, interpolation="nearest")), ((3, 4), dict(q=0.3, keepdim=True))],
          fn=lambda lib, x, **k: lib.quantile(x, **k)),
    *_red("quantile_tensor_q", [((3, 4), dict(dim=1)), ((3, 4), {})],
          fn=lambda lib, x, **k: lib.quantile(x, lib.tensor([0.1, 0.5, 0.9], dtype=x.dtype), **k)),
    *_red("nanquantile", [((3, 5), dict(q=0.3, dim=1)), ((3, 5), dict(q=0.5))],
          fn=lambda lib, x, **k: lib.nanquantile(x, **k), prep=_plant_nan),
    *_red("quantile_nan", [((3, 5), dict(q=0.3, dim=1))], fn=lambda lib, x, **k: lib.quantile(x, **k),
          prep=_plant_nan),
    OpInfo("diff_last", lambda lib, x: lib.diff(x.reshape(-1)), kind="unary"),
    *_red("diff", [((3, 4), {}), ((3, 4), dict(n=2, dim=0)), ((5,), dict(n=3)), ((3, 4), dict(n=0)),
                   ((2, 3), dict(n=5))]),
    *_red("diff_prepend_append", [((3, 4), dict(dim=1)), ((3, 4), dict(dim=0))],
          fn=lambda lib, x, dim: lib.diff(x, dim=dim, prepend=x.narrow(dim, 0, 1) * 2, append=x * 3)),
]
