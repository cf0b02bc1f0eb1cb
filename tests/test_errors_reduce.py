"""Reductions, sorting and searching: the same bad call raises the same exception type on PyTorch and ember
(with the gist of PyTorch's message), plus the behaviour around the op table: named return types, warnings,
NaN and empty-tensor edge cases."""
import pickle
import warnings

import numpy as np
import pytest
import torch

import ember

nan, inf = float("nan"), float("inf")

_A = np.arange(12, dtype=np.float32).reshape(3, 4)


def _env(lib):
    return dict(lib=lib, A=lib.from_numpy(_A.copy()), I=lib.tensor([[3, 1], [0, 2]]), E=lib.zeros(0, 3),
                S=lib.tensor(2.0), nan=nan, inf=inf)


# (expression, a fragment both messages contain; None: compare the type only)
CASES = [
    ("lib.sum([1, 2])", "sum"),
    ("lib.sum(A, 2)", "Dimension out of range"),
    ("lib.sum(A, (1, 1))", "appears multiple times"),
    ("lib.sum(A, 1.5)", None),
    ("lib.mean(I)", "mean(): could not infer output dtype"),
    ("lib.mean(A, dtype=lib.int64)", "mean(): could not infer output dtype"),
    ("lib.mean(A, -3)", "Dimension out of range"),
    ("lib.nanmean(I)", "nanmean"),
    ("lib.prod(A, (0, 1))", None),
    ("lib.prod(A, 2)", "Dimension out of range"),
    ("lib.var(I)", "std and var only support floating point"),
    ("lib.std(I, 0)", "std and var only support floating point"),
    ("lib.var(A, 3)", "Dimension out of range"),
    ("lib.max(E)", "Expected reduction dim to be specified"),
    ("lib.min(E)", "Expected reduction dim to be specified"),
    ("lib.max(E, 0)", "Expected reduction dim 0 to have non-zero size"),
    ("lib.min(A, 2)", "Dimension out of range"),
    ("lib.max(A, keepdim=True)", None),
    ("lib.max(A, (0, 1))", None),
    ("lib.max(A, lib.zeros(5))", "must match"),
    ("lib.amax(E, 0)", "Expected reduction dim 0 to have non-zero size"),
    ("lib.amax(lib.zeros(0))", "Expected reduction dim to be specified"),
    ("lib.amin(A, (0, 0))", "appears multiple times"),
    ("lib.argmax(E)", "Expected reduction dim to be specified"),
    ("lib.argmin(E, 0)", "Expected reduction dim 0 to have non-zero size"),
    ("lib.argmax(A, 5)", "Dimension out of range"),
    ("lib.argmax(lib.tensor([True, False]))", "does not support bool input"),
    ("lib.argmin(lib.tensor([True, False]), 0)", "does not support bool input"),
    ("lib.aminmax(E)", "cannot compute aminmax over an empty dimension"),
    ("lib.aminmax(E, dim=0)", "Expected reduction dim 0 to have non-zero size"),
    ("lib.cumsum(A)", "dim"),
    ("lib.cumsum(A, 2)", "Dimension out of range"),
    ("lib.cumprod(A, -3)", "Dimension out of range"),
    ("lib.cummax(A, 4)", "Dimension out of range"),
    ("lib.logcumsumexp(I, 0)", "logcumsumexp"),
    ("lib.logsumexp(A)", "dim"),
    ("lib.logsumexp(A, 2)", "Dimension out of range"),
    ("lib.all(A, 3)", "Dimension out of range"),
    ("lib.any(A, (0, 0))", "appears multiple times"),
    ("lib.count_nonzero(A, 2)", "Dimension out of range"),
    ("lib.median(E, 0)", "Expected reduction dim 0 to have non-zero size"),
    ("lib.median(A, 2)", "Dimension out of range"),
    ("lib.nanmedian(E, 0)", "Expected reduction dim 0 to have non-zero size"),
    ("lib.mode(E, 0)", "Expected reduction dim 0 to have non-zero size"),
    ("lib.kthvalue(A, 5)", "selected number k out of range"),
    ("lib.kthvalue(A, 0)", "selected number k out of range"),
    ("lib.kthvalue(E, 1, 0)", "Expected reduction dim 0 to have non-zero size"),
    ("lib.quantile(A, 1.5)", "q must be in the range [0, 1]"),
    ("lib.quantile(I.double(), -0.5)", "q must be in the range [0, 1]"),
    ("lib.quantile(I, 0.5)", "input tensor must be either float or double"),
    ("lib.quantile(lib.zeros(0), 0.5)", "input tensor must be non-empty"),
    ("lib.quantile(A, lib.tensor([[0.5]]))", "q must be a scalar or 1D tensor"),
    ("lib.quantile(A, lib.tensor([0.5], dtype=lib.float64))", "q tensor must be same dtype"),
    ("lib.quantile(A, 0.5, interpolation='foo')", "interpolation must be one of"),
    ("lib.diff(S)", "diff expects input to be at least one-dimensional"),
    ("lib.diff(A, n=-1)", "order must be non-negative"),
    ("lib.diff(A, prepend=lib.zeros(4))", "diff expects prepend or append to be the same dimension"),
    ("lib.sort(A, 2)", "Dimension out of range"),
    ("lib.argsort(A, -3)", "Dimension out of range"),
    ("lib.topk(A, 5)", "selected index k out of range"),
    ("lib.topk(A, -1)", "selected index k out of range"),
    ("lib.topk(A, 1, 2)", "Dimension out of range"),
    ("lib.unique(I, dim=3)", "Dimension out of range"),
    ("lib.unique(E, dim=1)", "There are 0 sized dimensions"),
    ("lib.searchsorted(lib.tensor([1., 3]), lib.tensor([2.]), side='left', right=True)",
     "side and right can't be set to opposites"),
    ("lib.searchsorted(lib.tensor([1., 3]), lib.tensor([2.]), side='mid')", "side can only be 'left' or 'right'"),
    ("lib.searchsorted(lib.tensor(1.), lib.tensor([2.]))", "boundaries tensor should have positive dimension"),
    ("lib.searchsorted(lib.tensor([[1, 3, 5], [2, 4, 6]]), lib.tensor([3]))",
     "first N-1 dimensions of boundaries tensor and input value tensor must match"),
    ("lib.bucketize(lib.tensor([3, 6, 0]), lib.tensor([[1, 3, 5]]))", "boundaries tensor must be 1 dimension"),
    ("lib.histc(I, 4)", "not implemented for 'Long'"),
    ("lib.histc(lib.tensor([1., 2]), bins=4, min=3, max=1)", "max must be larger than min"),
    ("lib.histc(lib.tensor([1., 2]), bins=0)", "bins must be > 0"),
    ("lib.bincount(lib.tensor([-1]))", "bincount only supports 1-d non-negative integral inputs"),
    ("lib.bincount(lib.tensor([1.]))", "not implemented for 'Float'"),
    ("lib.bincount(lib.tensor([True]))", "not implemented for 'Bool'"),
    ("lib.bincount(lib.tensor([[1]]))", "bincount only supports 1-d non-negative integral inputs"),
    ("lib.bincount(lib.tensor([1, 2]), minlength=-1)", "minlength should be >= 0"),
    ("lib.bincount(lib.tensor([1, 2]), weights=lib.tensor([1.]))", "weights should be 1-d and have the same length"),
]


@pytest.mark.parametrize("expr,fragment", CASES, ids=[c[0] for c in CASES])
def test_error_parity(expr, fragment):
    with pytest.raises(Exception) as t_err:
        eval(expr, _env(torch))
    with pytest.raises(Exception) as e_err:
        eval(expr, _env(ember))
    assert e_err.type is t_err.type, f"{expr}: ember raised {e_err.type.__name__}: {e_err.value}, torch raised " \
                                     f"{t_err.type.__name__}: {t_err.value}"
    if fragment is not None:
        assert fragment in str(t_err.value), f"test expects torch's message to contain {fragment!r}"
        assert fragment in str(e_err.value), f"{expr}: {e_err.value!r} lacks {fragment!r}"


# ------------------------------------------------------------------------------------------ behaviour
def test_named_return_types():
    x = ember.tensor([[1., 5, 3], [4, 2, 6]])
    r = ember.max(x, 1)
    assert isinstance(r, tuple) and type(r).__name__ == "max"
    assert r.values.tolist() == [5.0, 6.0] and r.indices.tolist() == [1, 2]
    v, i = x.min(dim=0)
    assert v.tolist() == [1.0, 2.0, 3.0] and i.tolist() == [0, 1, 0]
    assert repr(r).startswith("torch.return_types.max(\nvalues=tensor(")
    assert ember.sort(x).indices.dtype == ember.int64
    assert ember.aminmax(x).max.item() == 6.0
    assert type(ember.topk(x, 1)) is ember.return_types.topk
    assert pickle.loads(pickle.dumps(r)).indices.tolist() == [1, 2]


@pytest.mark.parametrize("fn", ["var", "std"])
def test_degrees_of_freedom_warning(fn):
    for lib in (torch, ember):
        with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
            out = getattr(lib, fn)(lib.tensor([1.0]))
        assert np.isnan(out.item())


def test_no_numpy_warnings_on_edge_cases():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        e = ember.zeros(0, 3)
        assert ember.mean(e).item() != ember.mean(e).item()           # nan
        assert ember.logsumexp(ember.tensor([-inf, -inf]), 0).item() == -inf
        assert ember.logsumexp(ember.tensor([inf, 1.0]), 0).item() == inf
        assert ember.logsumexp(ember.tensor([1000.0, 1000.0]), 0).item() == pytest.approx(1000.6931, abs=1e-3)
        assert ember.prod(e).item() == 1.0
        assert ember.median(e).item() != ember.median(e).item()
        assert ember.logcumsumexp(ember.tensor([-inf, 0.0]), 0).tolist() == [-inf, 0.0]


def test_gradients_against_torch_edge_cases():
    """Gradients PyTorch defines at awkward points: ties, zeros, NaN, std of a constant."""
    cases = [
        lambda lib, x: lib.prod(x),                       # two zeros
        lambda lib, x: lib.prod(x, 1),
        lambda lib, x: lib.cumprod(x, 1),
        lambda lib, x: lib.amax(x, 1),                    # ties split evenly
        lambda lib, x: lib.max(x),
        lambda lib, x: lib.max(x, 1).values,              # the selected index only
        lambda lib, x: lib.median(x),
        lambda lib, x: lib.std(x * 0 + 1, 1),             # std 0: gradient 0
        lambda lib, x: lib.cummax(x, 1).values,
    ]
    data = np.array([[0.0, 2.0, 2.0, 0.0], [1.0, 3.0, 3.0, 1.0]])
    for f in cases:
        grads = []
        for lib in (torch, ember):
            x = lib.tensor(data, requires_grad=True)
            y = f(lib, x)
            (g,) = lib.autograd.grad(y.sum(), x)
            grads.append(g.detach().numpy())
        np.testing.assert_allclose(grads[1], grads[0], atol=1e-12)


def test_out_and_methods():
    x = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    out = ember.empty(2)
    r = ember.sum(x, 1, out=out)
    assert r is out and out.tolist() == [3.0, 7.0]
    assert x.sum(axis=0, keepdims=True).shape == (1, 2)
    assert x.std(0, keepdim=True).shape == (1, 2)
    assert x.logsumexp(1).shape == (2,)
    assert x.argmax().item() == 3
    assert ember.var(x, 1, True, True).shape == (2, 1)     # legacy (input, dim, unbiased, keepdim)
