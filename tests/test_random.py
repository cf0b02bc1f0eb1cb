"""Random sampling: reproducibility, Generators, shapes/dtypes/ranges, statistics, and argument errors matching
PyTorch's exception types. ember's streams differ from PyTorch's (NumPy's PCG64), so values are compared by
distribution, never element by element."""
import numpy as np
import pytest
import torch

import ember


def dname(dt):
    return str(dt).split(".")[-1]


def raises_same(fn, match=None):
    with pytest.raises(Exception) as te:
        fn(torch)
    with pytest.raises(Exception) as ee:
        fn(ember)
    assert type(ee.value).__name__ == type(te.value).__name__, (te.value, ee.value)
    if match is not None:
        assert match in str(ee.value), str(ee.value)


def test_manual_seed_reproducible():
    ember.manual_seed(123)
    a = [ember.rand(5), ember.randn(3), ember.randint(0, 10, (4,)), ember.randperm(6),
         ember.normal(0.0, 1.0, (3,)), ember.bernoulli(ember.full((4,), 0.5)),
         ember.multinomial(ember.ones(5), 3), ember.empty(3).uniform_(), ember.empty(3).normal_()]
    ember.manual_seed(123)
    b = [ember.rand(5), ember.randn(3), ember.randint(0, 10, (4,)), ember.randperm(6),
         ember.normal(0.0, 1.0, (3,)), ember.bernoulli(ember.full((4,), 0.5)),
         ember.multinomial(ember.ones(5), 3), ember.empty(3).uniform_(), ember.empty(3).normal_()]
    for x, y in zip(a, b):
        assert x.tolist() == y.tolist()
    assert ember.initial_seed() == 123
    g = ember.manual_seed(7)
    assert isinstance(g, ember.Generator) and g.initial_seed() == 7


def test_generators_are_independent_streams():
    g1 = ember.Generator().manual_seed(1)
    g2 = ember.Generator().manual_seed(1)
    ember.manual_seed(99)
    x = ember.rand(4, generator=g1)
    ember.rand(10)   # the default stream does not disturb g2
    y = ember.rand(4, generator=g2)
    assert x.tolist() == y.tolist()
    assert ember.rand(4, generator=g1).tolist() != x.tolist()
    g3 = ember.Generator().manual_seed(2)
    assert ember.rand(4, generator=g3).tolist() != x.tolist()
    assert ember.Generator().device == ember.device("cpu")


def test_generator_get_set_state():
    g = ember.Generator().manual_seed(5)
    st = g.get_state()
    assert st.dtype is ember.uint8 and st.dim() == 1
    a = ember.randn(6, generator=g)
    g.set_state(st)
    assert ember.randn(6, generator=g).tolist() == a.tolist()
    s = ember.get_rng_state()
    a = ember.rand(3)
    ember.set_rng_state(s)
    assert ember.rand(3).tolist() == a.tolist()


def test_seed_returns_int():
    s = ember.seed()
    assert isinstance(s, int) and ember.initial_seed() == s


@pytest.mark.parametrize("fn", [
    lambda lib: lib.rand(2, 3), lambda lib: lib.rand((2, 3)), lambda lib: lib.randn(4),
    lambda lib: lib.rand(2, dtype=lib.float64), lambda lib: lib.randn(2, 2, dtype=lib.float16),
    lambda lib: lib.randint(5, (3,)), lambda lib: lib.randint(2, 5, (2, 2)),
    lambda lib: lib.randint(0, 3, (2,), dtype=lib.float32), lambda lib: lib.randint(0, 3, (2,), dtype=lib.int8),
    lambda lib: lib.randperm(5), lambda lib: lib.randperm(5, dtype=lib.int32),
    lambda lib: lib.normal(0.0, 1.0, (2, 3)), lambda lib: lib.normal(lib.zeros(2, 3), 1.0),
    lambda lib: lib.normal(0.0, lib.ones(3)), lambda lib: lib.normal(lib.zeros(2, 1), lib.ones(3)),
    lambda lib: lib.normal(lib.zeros(2, dtype=lib.float64), 1.0),
    lambda lib: lib.bernoulli(lib.ones(2) * 0.5), lambda lib: lib.bernoulli(lib.ones(2, dtype=lib.float64)),
    lambda lib: lib.bernoulli(lib.ones(3), 0.3),
    lambda lib: lib.multinomial(lib.ones(3, 4), 2), lambda lib: lib.multinomial(lib.ones(4), 6, replacement=True),
    lambda lib: lib.rand_like(lib.ones(2, 3, dtype=lib.float64)), lambda lib: lib.randn_like(lib.ones(2)),
    lambda lib: lib.randint_like(lib.ones(2, dtype=lib.int32), 5), lambda lib: lib.randint_like(lib.ones(2), 1, 5),
    lambda lib: lib.rand(0), lambda lib: lib.randn(()), lambda lib: lib.randperm(0),
    lambda lib: lib.empty(3, dtype=lib.int64).random_(0, 5), lambda lib: lib.empty(3).exponential_(),
], ids=lambda f: "")
def test_shapes_and_dtypes(fn):
    t, e = fn(torch), fn(ember)
    assert tuple(t.shape) == tuple(e.shape)
    assert dname(t.dtype) == dname(e.dtype)
    assert not e.requires_grad


def test_requires_grad_kwarg():
    for lib in (torch, ember):
        assert lib.rand(2, requires_grad=True).requires_grad
        assert lib.randn(2, requires_grad=True).is_leaf


def test_ranges():
    ember.manual_seed(0)
    x = ember.rand(10000)
    assert 0 <= x.min().item() and x.max().item() < 1
    r = ember.randint(-3, 4, (10000,))
    assert r.min().item() == -3 and r.max().item() == 3
    p = ember.randperm(50)
    assert sorted(p.tolist()) == list(range(50))
    b = ember.bernoulli(ember.full((1000,), 0.3))
    assert set(b.unique().tolist()) <= {0.0, 1.0}
    m = ember.multinomial(ember.tensor([0.0, 1.0, 0.0, 2.0]), 2)
    assert sorted(m.tolist()) == [1, 3]
    u = ember.empty(5000).uniform_(-2, 5)
    assert -2 <= u.min().item() and u.max().item() < 5
    w = ember.empty(1000, dtype=ember.int64).random_(3, 7)
    assert w.min().item() >= 3 and w.max().item() <= 6


def test_statistics():
    ember.manual_seed(1)
    n = 200_000
    x = ember.rand(n).numpy()
    assert abs(x.mean() - 0.5) < 0.01 and abs(x.std() - (1 / 12) ** 0.5) < 0.01
    y = ember.randn(n).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.01
    z = ember.normal(3.0, 2.0, (n,)).numpy()
    assert abs(z.mean() - 3) < 0.03 and abs(z.std() - 2) < 0.03
    m = ember.normal(ember.full((n,), -1.0), ember.full((n,), 0.5)).numpy()
    assert abs(m.mean() + 1) < 0.01 and abs(m.std() - 0.5) < 0.01
    b = ember.bernoulli(ember.full((n,), 0.25)).numpy()
    assert abs(b.mean() - 0.25) < 0.01
    c = np.bincount(ember.multinomial(ember.tensor([1.0, 2.0, 7.0]), n, replacement=True).numpy(), minlength=3) / n
    np.testing.assert_allclose(c, [0.1, 0.2, 0.7], atol=0.01)
    e = ember.empty(n).exponential_(2.0).numpy()
    assert abs(e.mean() - 0.5) < 0.01
    ri = ember.randint(0, 10, (n,)).numpy()
    assert abs(ri.mean() - 4.5) < 0.05


def test_multinomial_without_replacement_distinct_per_row():
    ember.manual_seed(3)
    m = ember.multinomial(ember.ones(20, 10), 10)
    for row in m.tolist():
        assert sorted(row) == list(range(10))


def test_dropout_like_inplace_samplers_respect_leaf_rule():
    raises_same(lambda lib: lib.zeros(2, requires_grad=True).uniform_(), "leaf Variable")
    raises_same(lambda lib: lib.zeros(2, requires_grad=True).normal_(), "leaf Variable")
    for lib in (torch, ember):
        w = lib.zeros(2, requires_grad=True)
        with lib.no_grad():
            w.uniform_()
        assert w.requires_grad and w.is_leaf


@pytest.mark.parametrize("bad", [
    lambda lib: lib.rand(-1),
    lambda lib: lib.randn(2, -3),
    lambda lib: lib.randint(5, 3, (2,)),
    lambda lib: lib.randint(5),
    lambda lib: lib.randn(2, dtype=lib.int64),
    lambda lib: lib.rand(2, dtype=lib.int64),
    lambda lib: lib.rand_like(lib.ones(2, dtype=lib.int64)),
    lambda lib: lib.normal(0.0, -1.0, (2,)),
    lambda lib: lib.normal(lib.zeros(2), -lib.ones(2)),
    lambda lib: lib.bernoulli(lib.tensor([1.5])),
    lambda lib: lib.bernoulli(lib.tensor([-0.5])),
    lambda lib: lib.multinomial(lib.tensor([-1.0, 1.0]), 1),
    lambda lib: lib.multinomial(lib.tensor([1.0, 1.0]), 3),
    lambda lib: lib.multinomial(lib.ones(2, 2, 2), 1),
    lambda lib: lib.multinomial(lib.zeros(2), 1),
    lambda lib: lib.multinomial(lib.tensor([1.0, float("nan")]), 1),
    lambda lib: lib.randperm(-1),
    lambda lib: lib.set_rng_state(lib.zeros(3)),
    lambda lib: lib.empty(2).normal_(0, -1),
], ids=lambda f: "")
def test_argument_errors(bad):
    raises_same(bad)
