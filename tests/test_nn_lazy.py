"""Lazy modules against PyTorch: shapes inferred by the first forward pass, the class swapped to the non-lazy one,
state_dicts before and after materialisation, loading a checkpoint into a lazy module, optimisers created
afterwards, and the errors for inputs the inference cannot handle."""
import numpy as np
import pytest
import torch

import ember
from _compare import assert_close, same_dtype


def _skip_if_functional_missing(ex):
    if isinstance(ex, AttributeError) and "ember.nn.functional" in str(ex):
        pytest.skip(f"functional op missing: {ex}")
    raise ex


def call(m, x):
    try:
        return m(x)
    except AttributeError as ex:
        _skip_if_functional_missing(ex)


LAZY = [
    ("LazyLinear(3)", "Linear", (4, 5)),
    ("LazyLinear(3, bias=False)", "Linear", (2, 4, 5)),
    ("LazyConv1d(4, 3, padding=1)", "Conv1d", (2, 3, 7)),
    ("LazyConv1d(4, 3, groups=2)", "Conv1d", (6, 7)),
    ("LazyConv2d(4, 3, stride=2, bias=False)", "Conv2d", (2, 3, 7, 6)),
    ("LazyConv2d(6, (3, 2), groups=3, padding_mode='reflect', padding=1)", "Conv2d", (2, 3, 5, 5)),
    ("LazyConvTranspose1d(4, 3, stride=2)", "ConvTranspose1d", (2, 3, 5)),
    ("LazyConvTranspose2d(4, 3)", "ConvTranspose2d", (2, 3, 4, 4)),
    ("LazyBatchNorm1d()", "BatchNorm1d", (6, 4)),
    ("LazyBatchNorm1d(momentum=None, affine=False)", "BatchNorm1d", (6, 4, 3)),
    ("LazyBatchNorm2d(eps=1e-3)", "BatchNorm2d", (4, 3, 5, 5)),
    ("LazyBatchNorm2d(track_running_stats=False)", "BatchNorm2d", (4, 3, 5, 5)),
    ("LazyInstanceNorm2d(affine=True)", "InstanceNorm2d", (2, 3, 4, 4)),
]


def build(lib, src):
    return eval("nn." + src, {"nn": lib.nn})


@pytest.mark.parametrize("src,becomes,shape", LAZY, ids=[s for s, _, _ in LAZY])
def test_lazy_materialises_like_torch(src, becomes, shape):
    tm, em = build(torch, src), build(ember, src)
    assert repr(em) == repr(tm)
    assert em.has_uninitialized_params() and tm.has_uninitialized_params()
    assert list(em.state_dict()) == list(tm.state_dict())
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    tm(torch.from_numpy(x))
    call(em, ember.from_numpy(x))
    assert type(em) is getattr(ember.nn, becomes) and type(tm) is getattr(torch.nn, becomes)
    assert not em.has_uninitialized_params() if hasattr(em, "has_uninitialized_params") else True
    assert "_initialize_hook" not in em.__dict__ and not em._forward_pre_hooks
    assert repr(em) == repr(tm)
    tsd, esd = tm.state_dict(), em.state_dict()
    assert list(esd) == list(tsd)
    for k in tsd:
        assert tuple(esd[k].shape) == tuple(tsd[k].shape) and same_dtype(esd[k], tsd[k]), k
    for p in em.parameters():
        assert type(p) is ember.nn.Parameter and p.requires_grad
    # with the same weights the materialised modules compute the same thing
    em.load_state_dict({k: ember.from_numpy(v.numpy().copy()) for k, v in tsd.items()})
    x2 = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    assert_close(em(ember.from_numpy(x2)), tm(torch.from_numpy(x2)), atol=1e-5, rtol=1e-4)


def test_lazy_linear_initialisation_bounds():
    m = ember.nn.LazyLinear(300)
    call(m, ember.zeros(2, 400))
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert w.shape == (300, 400) and m.in_features == 400
    bound = 1 / 20
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound
    assert np.abs(b).max() <= bound
    bn = ember.nn.LazyBatchNorm2d()
    call(bn, ember.randn(2, 3, 2, 2))
    np.testing.assert_array_equal(bn.weight.detach().numpy(), np.ones(3, np.float32))
    assert bn.num_features == 3 and int(bn.num_batches_tracked) == 1


def test_lazy_dtype_factory_kwarg():
    m = ember.nn.LazyLinear(3, dtype=ember.float64)
    call(m, ember.zeros(2, 4, dtype=ember.float64))
    assert m.weight.dtype == ember.float64 and m.bias.dtype == ember.float64
    bn = ember.nn.LazyBatchNorm1d(dtype=ember.float64)
    call(bn, ember.zeros(3, 2, dtype=ember.float64))
    assert bn.running_mean.dtype == ember.float64 and bn.num_batches_tracked.dtype == ember.int64


def test_load_state_dict_into_unmaterialised_lazy_module():
    for lazy, full, shape in [("LazyLinear(3)", "Linear(5, 3)", (4, 5)),
                              ("LazyConv2d(4, 3)", "Conv2d(2, 4, 3)", (1, 2, 5, 5)),
                              ("LazyBatchNorm1d()", "BatchNorm1d(4)", (3, 4))]:
        tm = build(torch, full)
        with torch.no_grad():
            for p in tm.parameters():
                p.add_(1.0)
        sd = {k: ember.from_numpy(v.numpy().copy()) for k, v in tm.state_dict().items()}
        em = build(ember, lazy)
        em.load_state_dict(sd)
        assert not em.has_uninitialized_params()
        for k, v in em.state_dict().items():
            np.testing.assert_array_equal(v.numpy(), tm.state_dict()[k].numpy())
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        out = call(em, ember.from_numpy(x))
        assert type(em).__name__ == full.split("(")[0]
        tm.train()
        assert_close(out, tm(torch.from_numpy(x)), atol=1e-5, rtol=1e-4)
        # the loaded values were kept (not re-initialised by the first forward)
        for k, v in em.state_dict().items():
            if not k.startswith("running") and k != "num_batches_tracked":
                np.testing.assert_array_equal(v.numpy(), sd[k].numpy())


def test_lazy_state_dict_holds_uninitialised_parameters():
    m = ember.nn.LazyLinear(3)
    sd = m.state_dict()
    assert isinstance(sd["weight"], ember.nn.UninitializedParameter)
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
        m.weight.shape
    # loading an unmaterialised state_dict into another lazy module leaves it lazy
    m2 = ember.nn.LazyLinear(3)
    m2.load_state_dict(sd)
    assert m2.has_uninitialized_params()


def test_optimizer_after_materialisation_trains_the_parameters():
    em = ember.nn.Sequential(ember.nn.LazyLinear(8), ember.nn.ReLU(), ember.nn.LazyLinear(2))
    x = ember.randn(16, 5)
    call(em, x)
    assert [tuple(p.shape) for p in em.parameters()] == [(8, 5), (8,), (2, 8), (2,)]
    assert [type(m).__name__ for m in em] == ["Linear", "ReLU", "Linear"]
    opt = ember.optim.SGD(em.parameters(), lr=0.1)
    before = [p.detach().numpy().copy() for p in em.parameters()]
    loss = em(x).pow(2).mean()
    loss.backward()
    opt.step()
    for b, p in zip(before, em.parameters()):
        assert p.grad is not None and not np.array_equal(b, p.detach().numpy())
    assert float(em(x).pow(2).mean()) < float(loss)


def test_lazy_errors_like_torch():
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D \\(batched\\) input to LazyConv2d"):
            call(lib.nn.LazyConv2d(4, 3), lib.zeros(2, 3))
        with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
            call(lib.nn.LazyConv2d(4, 3, groups=2), lib.zeros(1, 3, 5, 5))
        m = lib.nn.LazyLinear(3)
        m.load_state_dict(lib.nn.Linear(4, 3).state_dict())
        with pytest.raises(AssertionError, match="in_features inferred from input: 5"):
            m(lib.zeros(2, 5))
        with pytest.raises(ValueError, match="expected 4D input"):
            lib.nn.LazyBatchNorm2d()(lib.zeros(2, 3))


def test_lazy_module_in_a_model_repr_and_names():
    src = "nn.Sequential(nn.LazyConv2d(4, 3), nn.LazyBatchNorm2d(), nn.ReLU(), nn.Flatten(), nn.LazyLinear(2))"
    t = eval(src, {"nn": torch.nn})
    e = eval(src, {"nn": ember.nn})
    assert repr(e) == repr(t)
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32)
    t(torch.from_numpy(x))
    call(e, ember.from_numpy(x))
    assert repr(e) == repr(t)
    assert [(n, tuple(p.shape)) for n, p in e.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in t.named_parameters()]
