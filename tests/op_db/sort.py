"""Sorting and searching: sort/argsort/msort/topk (values differentiable), unique/unique_consecutive,
searchsorted/bucketize, histc, bincount."""
import numpy as np

from . import OpInfo, Sample, uniform


def _samples(*specs, prep=None):
    def samples(rng, dtype):
        out = []
        for shape, kw in specs:
            a = uniform(rng, shape, dtype)
            if prep is not None:
                a = prep(rng, a)
            out.append(Sample((a,), dict(kw), name=f"{shape} {kw}"))
        return out
    return samples


def _op(name, fn, specs, prep=None, **kw):
    return OpInfo(name, fn, kind="custom", samples=_samples(*specs, prep=prep), max_examples=kw.pop("max_examples", 2),
                  **kw)


def _ties(rng, a):
    return np.round(a).astype(a.dtype)


def _with_nan(rng, a):
    a = a.copy()
    if a.size >= 3:
        a.reshape(-1)[[0, a.size // 2]] = np.nan
    return a


def _ints(rng, dtype):
    return [Sample((rng.integers(0, 5, size=(3, 6)),), name="int (3, 6)"),
            Sample((rng.integers(0, 3, size=(7,)),), name="int (7,)"),
            Sample((np.array(4),), name="int 0-d"),
            Sample((np.zeros((0,), np.int64),), name="int empty")]


def _int_rows(rng, dtype):
    a = rng.integers(0, 2, size=(5, 3))
    a[3] = a[1]
    return [Sample((a,), name="rows with repeats"), Sample((a.T.copy(),), name="cols with repeats")]


def _consec(rng, dtype):
    return [Sample((np.repeat(rng.integers(0, 3, size=6), rng.integers(1, 3, size=6)),), name="runs"),
            Sample((np.array([[1, 1], [1, 1], [2, 3], [2, 3], [1, 1]]),), name="row runs")]


def _search(rng, dtype):
    seq = np.sort(uniform(rng, (6,), dtype))
    seq2 = np.sort(uniform(rng, (2, 3, 5), dtype), axis=-1)
    vals = uniform(rng, (4, 3), dtype)
    vals[0, 0] = seq[2]      # an exact hit: left and right differ
    vals2 = uniform(rng, (2, 3, 4), dtype)
    vals2[1, 2, 0] = seq2[1, 2, 3]
    return [Sample((seq, vals), name="1-D boundaries"), Sample((seq2, vals2), name="N-D boundaries")]


def _bincount(rng, dtype):
    x = rng.integers(0, 6, size=(10,))
    return [Sample((x, uniform(rng, (10,), dtype)), name="weights"), Sample((x, None), name="no weights")]


_SORT = [((3, 5), {}), ((3, 5), dict(dim=0)), ((2, 3, 4), dict(dim=1, descending=True)), ((6,), dict(descending=True)),
         ((), {}), ((0, 3), dict(dim=0)), ((4, 0), {}), ((3, 4), dict(dim=-1, stable=True))]

OPS = [
    OpInfo("sort_unary", lambda lib, x: lib.sort(x), kind="unary"),
    _op("sort", lambda lib, x, **k: lib.sort(x, **k), _SORT),
    _op("sort_ties_stable", lambda lib, x, **k: lib.sort(x, stable=True, **k),
        [((3, 6), {}), ((3, 6), dict(descending=True)), ((6, 3), dict(dim=0))], prep=_ties),
    _op("sort_nan", lambda lib, x, **k: lib.sort(x, **k), [((3, 5), {}), ((3, 5), dict(descending=True))],
        prep=_with_nan),
    _op("argsort", lambda lib, x, **k: lib.argsort(x, **k), _SORT[:7], grad=False),
    _op("argsort_stable_ties", lambda lib, x, **k: lib.argsort(x, stable=True, **k),
        [((3, 6), {}), ((3, 6), dict(descending=True))], prep=_ties, grad=False),
    _op("msort", lambda lib, x: lib.msort(x), [((4, 3), {}), ((5,), {})]),
    _op("topk", lambda lib, x, **k: lib.topk(x, **k),
        [((3, 5), dict(k=2)), ((3, 5), dict(k=3, dim=0)), ((3, 5), dict(k=2, largest=False)),
         ((6,), dict(k=6)), ((3, 5), dict(k=0)), ((), dict(k=1)), ((2, 3, 4), dict(k=2, dim=1, largest=False)),
         ((0, 4), dict(k=0, dim=0))]),
    _op("topk_method", lambda lib, x: x.topk(3).values * 2, [((4, 5), {})]),
    _op("sort_values_then_reduce", lambda lib, x: (lib.sort(x, 1).values * lib.arange(4.0, dtype=x.dtype)).sum(),
        [((3, 4), {})]),
    OpInfo("unique", lambda lib, x, **k: lib.unique(x, **k), kind="custom", samples=_ints, grad=False,
           max_examples=1),
    OpInfo("unique_inverse_counts", lambda lib, x: lib.unique(x, return_inverse=True, return_counts=True),
           kind="custom", samples=_ints, grad=False, max_examples=1),
    OpInfo("unique_method", lambda lib, x: x.unique(return_counts=True), kind="custom", samples=_ints, grad=False,
           max_examples=1),
    OpInfo("unique_dim0", lambda lib, x: lib.unique(x, dim=0, return_inverse=True, return_counts=True),
           kind="custom", samples=_int_rows, grad=False, max_examples=1),
    OpInfo("unique_dim1", lambda lib, x: lib.unique(x, dim=1, return_inverse=True), kind="custom",
           samples=_int_rows, grad=False, max_examples=1),
    _op("unique_float_nan", lambda lib, x: lib.unique(x, return_inverse=True, return_counts=True),
        [((3, 4), {})], prep=lambda r, a: _with_nan(r, _ties(r, a)), grad=False),
    OpInfo("unique_consecutive", lambda lib, x: lib.unique_consecutive(x, return_inverse=True, return_counts=True),
           kind="custom", samples=_consec, grad=False, max_examples=1),
    OpInfo("unique_consecutive_dim", lambda lib, x: lib.unique_consecutive(x, dim=0, return_counts=True),
           kind="custom", samples=lambda r, d: _consec(r, d)[1:], grad=False, max_examples=1),
    OpInfo("searchsorted", lambda lib, s, v: lib.searchsorted(s, v), kind="custom", samples=_search, grad=False,
           noncontiguous=False),  # torch warns on non-contiguous values
    OpInfo("searchsorted_right", lambda lib, s, v: lib.searchsorted(s, v, right=True, out_int32=True),
           kind="custom", samples=_search, grad=False,
           noncontiguous=False),  # torch warns on non-contiguous values
    OpInfo("searchsorted_side_sorter",
           lambda lib, s, v: lib.searchsorted(s.flip(-1), v, side="right",
                                              sorter=lib.arange(s.shape[-1] - 1, -1, -1).expand(s.shape).contiguous()),
           kind="custom", samples=_search, grad=False,
           noncontiguous=False),  # torch warns on non-contiguous values
    OpInfo("bucketize", lambda lib, s, v: lib.bucketize(v, s.reshape(-1).sort().values), kind="custom",
           samples=_search, grad=False,
           noncontiguous=False),  # torch warns on non-contiguous values
    OpInfo("bucketize_right", lambda lib, s, v: lib.bucketize(v, s.reshape(-1).sort().values, right=True),
           kind="custom", samples=_search, grad=False,
           noncontiguous=False),  # torch warns on non-contiguous values
    _op("histc", lambda lib, x, **k: lib.histc(x, **k),
        [((50,), dict(bins=7)), ((4, 5), dict(bins=4, min=-1, max=1)), ((30,), {}), ((0,), dict(bins=3))],
        grad=False),
    OpInfo("bincount", lambda lib, x, w: lib.bincount(x, w), kind="custom", samples=_bincount, grad=False),
    OpInfo("bincount_minlength", lambda lib, x, w: lib.bincount(x, w, minlength=9), kind="custom",
           samples=_bincount, grad=False),
]
