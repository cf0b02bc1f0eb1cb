"""nn.functional behaviour beyond the op table: dropout statistics and flags, batch_norm/instance_norm running
statistics, in-place activations, ignore_index, legacy reduction args, embedding gradients, erf accuracy."""
import math
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
import torch.nn.functional as TF


def test_erf_family_float64_accuracy():
    xs = np.concatenate([np.linspace(-7, 7, 4001), [0.46875, -0.46875, 4.0, -4.0, 1e-300, 27.0, -27.0]])
    e = ember.erf(ember.from_numpy(xs)).numpy()
    ec = ember.erfc(ember.from_numpy(xs)).numpy()
    ref = np.array([math.erf(v) for v in xs])
    refc = np.array([math.erfc(v) for v in xs])
    np.testing.assert_allclose(e, ref, rtol=2e-15, atol=1e-300)
    np.testing.assert_allclose(ec, refc, rtol=2e-15, atol=1e-300)
    u = np.linspace(-0.999, 0.999, 2001)
    y = ember.erfinv(ember.from_numpy(u)).numpy()
    np.testing.assert_allclose([math.erf(v) for v in y], u, rtol=0, atol=4e-16)
    special = ember.erfinv(ember.tensor([1.0, -1.0, 2.0, 0.0], dtype=ember.float64)).numpy()
    assert special[0] == np.inf and special[1] == -np.inf and np.isnan(special[2]) and special[3] == 0
    assert np.isnan(ember.erf(ember.tensor([float("nan")])).item())
    assert ember.erf(ember.tensor([1, 2])).dtype == ember.float32


def test_dropout_statistics_and_scaling():
    ember.manual_seed(0)
    x = ember.ones(200, 500)
    y = F.dropout(x, 0.3).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert F.dropout(x, 0.3, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert not F.dropout(x, 1.0).numpy().any()
    assert ember.dropout(x, 0.5, False) is x


def test_dropout_gradient_uses_the_same_mask():
    ember.manual_seed(1)
    x = ember.ones(50, 40, requires_grad=True)
    y = F.dropout(x, 0.4)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())


def test_dropout_inplace_and_seed():
    ember.manual_seed(3)
    a = F.dropout(ember.ones(100), 0.5).numpy()
    ember.manual_seed(3)
    x = ember.ones(100)
    r = F.dropout(x, 0.5, inplace=True)
    assert r is x
    np.testing.assert_array_equal(x.numpy(), a)


def test_feature_dropout_zeroes_whole_channels():
    ember.manual_seed(0)
    y = F.dropout2d(ember.ones(8, 16, 5, 5), 0.5).numpy()
    per_channel = y.reshape(8, 16, -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0 < (per_channel == 0).all(-1).mean() < 1
    y1 = F.dropout1d(ember.ones(6, 20), 0.5).numpy()      # unbatched (C, L)
    assert np.all((y1 == 0).all(-1) | (y1 == 2).all(-1))
    y3 = F.dropout3d(ember.ones(2, 4, 2, 2, 2), 0.5).numpy().reshape(2, 4, -1)
    assert np.all((y3 == 0).all(-1) | (y3 == 2).all(-1))


def test_alpha_dropout_keeps_mean_and_variance():
    ember.manual_seed(0)
    x = ember.randn(400, 500)
    y = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    assert F.alpha_dropout(x, 0.2) is x                 # training=False by default
    z = F.feature_alpha_dropout(ember.randn(50, 64, 8), 0.5, training=True).numpy()
    assert abs(z.mean()) < 0.1


def test_batch_norm_running_stats_match_torch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3, 4, 4)).astype(np.float32) * 2 + 1
    rm_t, rv_t = torch.zeros(3), torch.ones(3)
    rm_e, rv_e = ember.zeros(3), ember.ones(3)
    v0 = rm_e._version[0]
    for _ in range(3):
        yt = TF.batch_norm(torch.from_numpy(x), rm_t, rv_t, training=True, momentum=0.2)
        ye = F.batch_norm(ember.from_numpy(x), rm_e, rv_e, training=True, momentum=0.2)
    np.testing.assert_allclose(ye.numpy(), yt.numpy(), atol=1e-5)
    np.testing.assert_allclose(rm_e.numpy(), rm_t.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv_e.numpy(), rv_t.numpy(), rtol=1e-5)   # unbiased variance
    assert rm_e._version[0] > v0
    ye = F.batch_norm(ember.from_numpy(x), rm_e, rv_e)                   # eval uses the running stats
    yt = TF.batch_norm(torch.from_numpy(x), rm_t, rv_t)
    np.testing.assert_allclose(ye.numpy(), yt.numpy(), atol=1e-5)


def test_instance_norm_running_stats_match_torch():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3, 6)).astype(np.float32)
    rm_t, rv_t, rm_e, rv_e = torch.zeros(3), torch.ones(3), ember.zeros(3), ember.ones(3)
    TF.instance_norm(torch.from_numpy(x), rm_t, rv_t, momentum=0.3)
    F.instance_norm(ember.from_numpy(x), rm_e, rv_e, momentum=0.3)
    np.testing.assert_allclose(rm_e.numpy(), rm_t.numpy(), atol=1e-6)
    np.testing.assert_allclose(rv_e.numpy(), rv_t.numpy(), rtol=1e-5)


def test_relu_inplace_variants():
    x = ember.tensor([-1.0, 2.0, -3.0])
    assert F.relu(x, inplace=True) is x
    np.testing.assert_array_equal(x.numpy(), [0, 2, 0])
    y = ember.tensor([-1.0, 2.0])
    ember.relu_(y)
    assert y.numpy().tolist() == [0, 2]
    z = ember.tensor([-1.0, 0.5, 3.0])
    F.hardtanh_(z)
    assert z.numpy().tolist() == [-1, 0.5, 1]
    w = ember.tensor([-2.0, 1.0], requires_grad=True) * 1
    F.elu(w, inplace=True).sum().backward()     # in-place on a non-leaf keeps the graph
    assert ember.relu(ember.tensor([1, -2])).numpy().tolist() == [1, 0]


def test_cross_entropy_all_ignored_is_nan_and_sum_zero():
    x = ember.randn(3, 4)
    t = ember.tensor([-100, -100, -100])
    assert math.isnan(F.cross_entropy(x, t).item())
    assert F.cross_entropy(x, t, reduction="sum").item() == 0
    t2 = ember.tensor([1, -100, 3])
    x2 = ember.randn(3, 4, requires_grad=True)
    F.cross_entropy(x2, t2, ignore_index=-100).backward()
    assert not x2.grad.numpy()[1].any()
    xt = torch.from_numpy(x2.detach().numpy()).requires_grad_()
    TF.cross_entropy(xt, torch.tensor([1, -100, 3])).backward()
    np.testing.assert_allclose(x2.grad.numpy(), xt.grad.numpy(), atol=1e-6)


def test_cross_entropy_custom_ignore_index_and_extreme_logits():
    x = np.array([[1000.0, -1000.0, 0.0], [-5e3, -5e3 + 1, -5e3 + 2]], dtype=np.float32)
    t = np.array([1, 2])
    e = F.cross_entropy(ember.from_numpy(x), ember.from_numpy(t), reduction="none").numpy()
    r = TF.cross_entropy(torch.from_numpy(x), torch.from_numpy(t), reduction="none").numpy()
    np.testing.assert_allclose(e, r, rtol=1e-6)
    e = F.cross_entropy(ember.from_numpy(x), ember.from_numpy(t), ignore_index=1).item()
    r = TF.cross_entropy(torch.from_numpy(x), torch.from_numpy(t), ignore_index=1).item()
    assert abs(e - r) < 1e-5


def test_legacy_reduction_args_warn_and_map():
    x, y = ember.ones(2, 3), ember.zeros(2, 3)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        assert F.mse_loss(x, y, size_average=False).item() == 6
    with pytest.warns(UserWarning):
        assert F.l1_loss(x, y, reduce=False).shape == (2, 3)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.mse_loss(x, y, reduction="avg")


def test_kl_div_mean_warns_and_batchmean():
    p = ember.tensor([[0.2, 0.8], [0.5, 0.5]])
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(p.log(), p)
    assert abs(F.kl_div(p.log(), p, reduction="batchmean").item()) < 1e-7


def test_embedding_gradient_duplicates_and_padding():
    w = ember.ones(5, 2, requires_grad=True)
    idx = ember.tensor([[0, 2, 2], [4, 2, 0]])
    F.embedding(idx, w, padding_idx=0).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy()[:, 0], [0, 0, 3, 0, 1])
    wt = torch.ones(5, 2, requires_grad=True)
    TF.embedding(torch.tensor([[0, 2, 2], [4, 2, 0]]), wt, padding_idx=0).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), wt.grad.numpy())


def test_embedding_max_norm_renormalises_in_place():
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((6, 3)).astype(np.float32) * 3
    we, wt = ember.from_numpy(w0.copy()), torch.from_numpy(w0.copy())
    idx = np.array([1, 3, 3])
    ye = F.embedding(ember.from_numpy(idx), we, max_norm=1.0)
    yt = TF.embedding(torch.from_numpy(idx), wt, max_norm=1.0)
    np.testing.assert_allclose(ye.numpy(), yt.numpy(), rtol=1e-5)
    np.testing.assert_allclose(we.numpy(), wt.numpy(), rtol=1e-5)


def test_one_hot():
    r = F.one_hot(ember.tensor([0, 3, 1]))
    assert r.dtype == ember.int64 and r.shape == (3, 4)
    np.testing.assert_array_equal(r.numpy(), TF.one_hot(torch.tensor([0, 3, 1])).numpy())
    assert F.one_hot(ember.zeros(0, dtype=ember.int64), 3).shape == (0, 3)


def test_linear_matches_torch_and_double_backward():
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(s) for s in ((2, 3, 4), (5, 4), (5,)))
    res = []
    for lib in (torch, ember):
        xs = [lib.from_numpy(a.copy()).requires_grad_() for a in (x, w, b)]
        y = lib.nn.functional.linear(*xs)
        gs = lib.autograd.grad((y * y).sum(), xs, create_graph=True)
        gg = lib.autograd.grad(sum((g * g).sum() for g in gs), xs)
        res.append([t.detach().numpy() for t in (y,) + tuple(gs) + tuple(gg)])
    for a, b_ in zip(*res):
        np.testing.assert_allclose(b_, a, rtol=1e-10, atol=1e-10)


def test_softmax_dtype_and_legacy_dim():
    x = ember.tensor([[1, 2], [3, 4]])
    assert ember.softmax(x, 1, dtype=ember.float64).dtype == ember.float64
    with pytest.warns(UserWarning):
        assert np.allclose(F.log_softmax(ember.ones(3)).numpy(), -math.log(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.float().softmax(-1)


def test_rrelu_training_is_random_in_range():
    ember.manual_seed(0)
    x = -ember.ones(1000)
    y = F.rrelu(x, 0.1, 0.3, training=True).numpy()
    assert (-y).min() >= 0.1 and (-y).max() <= 0.3 and y.std() > 0.01
