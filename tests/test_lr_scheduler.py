"""ember.optim.lr_scheduler against PyTorch: the same optimizer and scheduler in both, the learning rates (and
cycled momenta) compared step by step; state_dict round trips; warnings and errors; Caffe's extra policies."""
import math
import pickle
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.optim as eoptim
from ember.optim import lr_scheduler as elrs


def _make_opt(lib, kind="sgd", lrs=(0.5, 0.05)):
    optim = torch.optim if lib is torch else eoptim
    p1 = lib.zeros(2, requires_grad=True)
    p2 = lib.zeros(3, requires_grad=True)
    groups = [{"params": [p1], "lr": lrs[0]}, {"params": [p2], "lr": lrs[1]}]
    if kind == "sgd":
        return optim.SGD(groups, lr=0.1, momentum=0.9)
    if kind == "adam":
        return optim.Adam(groups, lr=0.1)
    return optim.Adagrad(groups, lr=0.1)


def _sched(lib):
    return torch.optim.lr_scheduler if lib is torch else elrs


def _trace(lib, make, epochs=30, kind="sgd", metrics=None):
    opt = _make_opt(lib, kind)
    sched = make(_sched(lib), opt)
    out = [(list(sched.get_last_lr()), [g.get("momentum", g.get("betas", (None,))[0]) for g in opt.param_groups])]
    for e in range(epochs):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[e])
        out.append((list(sched.get_last_lr()),
                    [g.get("momentum", g.get("betas", (None,))[0]) for g in opt.param_groups]))
        assert [g["lr"] for g in opt.param_groups] == out[-1][0]
    return out


def _assert_traces(a, b):
    assert len(a) == len(b)
    for (lr_a, m_a), (lr_b, m_b) in zip(a, b):
        np.testing.assert_allclose(lr_b, lr_a, rtol=1e-12, atol=1e-15)
        if m_a[0] is not None:
            np.testing.assert_allclose(m_b, m_a, rtol=1e-12, atol=1e-15)


CASES = {
    "step": (lambda L, o: L.StepLR(o, step_size=3, gamma=0.5), "sgd"),
    "step_default_gamma": (lambda L, o: L.StepLR(o, 4), "sgd"),
    "multistep": (lambda L, o: L.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3), "sgd"),
    "exponential": (lambda L, o: L.ExponentialLR(o, gamma=0.9), "sgd"),
    "cosine": (lambda L, o: L.CosineAnnealingLR(o, T_max=7, eta_min=0.01), "sgd"),
    "cosine_nomin": (lambda L, o: L.CosineAnnealingLR(o, T_max=10), "sgd"),
    "warm_restarts": (lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=0.001), "sgd"),
    "warm_restarts_mult1": (lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=5), "sgd"),
    "lambda": (lambda L, o: L.LambdaLR(o, lambda e: 0.95 ** e), "sgd"),
    "lambda_list": (lambda L, o: L.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: 1.0 / (1 + e)]), "sgd"),
    "multiplicative": (lambda L, o: L.MultiplicativeLR(o, lambda e: 0.9), "sgd"),
    "linear": (lambda L, o: L.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=6), "sgd"),
    "linear_default": (lambda L, o: L.LinearLR(o), "sgd"),
    "constant": (lambda L, o: L.ConstantLR(o, factor=0.5, total_iters=4), "sgd"),
    "polynomial": (lambda L, o: L.PolynomialLR(o, total_iters=10, power=2.0), "sgd"),
    "polynomial_linear": (lambda L, o: L.PolynomialLR(o, total_iters=12), "sgd"),
    "onecycle_cos": (lambda L, o: L.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=30), "sgd"),
    "onecycle_linear_adam": (lambda L, o: L.OneCycleLR(o, max_lr=0.8, epochs=3, steps_per_epoch=10,
                                                       anneal_strategy="linear"), "adam"),
    "onecycle_three_phase": (lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=31, three_phase=True,
                                                       pct_start=0.25, div_factor=10.0), "sgd"),
    "onecycle_no_momentum": (lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=30, cycle_momentum=False),
                             "adagrad"),
    "cyclic_triangular": (lambda L, o: L.CyclicLR(o, base_lr=0.1, max_lr=1.0, step_size_up=4), "sgd"),
    "cyclic_triangular2": (lambda L, o: L.CyclicLR(o, base_lr=[0.1, 0.01], max_lr=[1.0, 0.2], step_size_up=4,
                                                   step_size_down=3, mode="triangular2"), "sgd"),
    "cyclic_exp_range_adam": (lambda L, o: L.CyclicLR(o, base_lr=0.1, max_lr=1.0, step_size_up=3,
                                                      mode="exp_range", gamma=0.9), "adam"),
    "cyclic_scale_fn": (lambda L, o: L.CyclicLR(o, base_lr=0.1, max_lr=1.0, step_size_up=5,
                                                scale_fn=lambda x: 1 / (x + 1), scale_mode="iterations",
                                                cycle_momentum=False), "adagrad"),
    "sequential": (lambda L, o: L.SequentialLR(o, [L.ConstantLR(o, factor=0.1, total_iters=2),
                                                   L.ExponentialLR(o, gamma=0.9)], milestones=[2]), "sgd"),
    "sequential3": (lambda L, o: L.SequentialLR(o, [L.LinearLR(o, start_factor=0.2, total_iters=4),
                                                    L.StepLR(o, 3, 0.5), L.CosineAnnealingLR(o, T_max=8)],
                                                milestones=[5, 12]), "sgd"),
    "chained": (lambda L, o: L.ChainedScheduler([L.ConstantLR(o, factor=0.1, total_iters=3),
                                                 L.ExponentialLR(o, gamma=0.9)]), "sgd"),
    "chained_optimizer": (lambda L, o: L.ChainedScheduler([L.StepLR(o, 2), L.LinearLR(o, total_iters=7)],
                                                          optimizer=o), "sgd"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_schedule_matches_pytorch(name):
    make, kind = CASES[name]
    _assert_traces(_trace(torch, make, kind=kind), _trace(ember, make, kind=kind))


_METRICS = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.49999, 0.6, 0.7, 0.8, 0.9, 1.0,
            0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1]


@pytest.mark.parametrize("kwargs", [
    {},
    {"patience": 2},
    {"patience": 1, "cooldown": 2, "factor": 0.5},
    {"mode": "max", "patience": 1, "threshold_mode": "abs", "threshold": 0.05},
    {"mode": "max", "patience": 0},
    {"patience": 0, "min_lr": [0.1, 0.001], "factor": 0.3},
    {"patience": 0, "min_lr": 0.01, "threshold_mode": "abs", "eps": 1e-3},
])
def test_reduce_lr_on_plateau_matches_pytorch(kwargs):
    make = lambda L, o: L.ReduceLROnPlateau(o, **kwargs)  # noqa: E731
    a = _trace(torch, make, metrics=_METRICS)
    b = _trace(ember, make, metrics=[ember.tensor(m) for m in _METRICS])  # 0-d tensors as metrics work too
    _assert_traces(a, b)


def test_reduce_lr_on_plateau_state():
    o = _make_opt(ember)
    s = elrs.ReduceLROnPlateau(o, patience=1)
    for m in [3.0, 2.0, 2.5, 2.5]:
        s.step(m)
    assert s.best == 2.0 and s.num_bad_epochs == 0 and s.last_epoch == 4
    sd = s.state_dict()
    assert "optimizer" not in sd and sd["mode"] == "min"
    s2 = elrs.ReduceLROnPlateau(_make_opt(ember))
    s2.load_state_dict(sd)
    assert s2.best == 2.0 and s2.patience == 1


@pytest.mark.parametrize("name", ["step", "multistep", "cosine", "warm_restarts", "linear", "polynomial",
                                  "onecycle_cos", "cyclic_triangular2", "constant", "exponential"])
def test_state_dict_round_trip(name):
    make, kind = CASES[name]
    full = _trace(ember, make, epochs=20, kind=kind)
    opt = _make_opt(ember, kind)
    sched = make(elrs, opt)
    for _ in range(8):
        opt.step()
        sched.step()
    sd = pickle.loads(pickle.dumps({k: v for k, v in sched.state_dict().items() if not callable(v)}
                                   if name.startswith("cyclic") else sched.state_dict()))
    opt2 = _make_opt(ember, kind)
    sched2 = make(elrs, opt2)  # PyTorch's documented order: scheduler first, then load the optimizer
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(sd)
    lrs = []
    for _ in range(12):
        opt2.step()
        sched2.step()
        lrs.append(sched2.get_last_lr())
    np.testing.assert_allclose(lrs, [t[0] for t in full[9:]], rtol=1e-12)


def test_state_dict_keys_match_pytorch():
    for name in ["step", "multistep", "cosine", "onecycle_cos", "warm_restarts", "lambda", "sequential",
                 "chained", "cyclic_triangular"]:
        make, kind = CASES[name]
        t = make(torch.optim.lr_scheduler, _make_opt(torch, kind)).state_dict()
        e = make(elrs, _make_opt(ember, kind)).state_dict()
        assert set(e) == set(t), name
        for k in ("last_epoch", "_step_count", "base_lrs", "_last_lr"):
            if k in t:
                assert e[k] == t[k], (name, k)


def test_lambda_state_dict_saves_callable_objects():
    class Fn:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, e):
            return self.rate ** e

    fn = Fn()
    s = elrs.LambdaLR(_make_opt(ember), [fn, lambda e: 1.0])
    sd = s.state_dict()
    assert sd["lr_lambdas"] == [{"rate": 0.5}, None]
    fn.rate = 0.1
    s.load_state_dict(sd)
    assert fn.rate == 0.5


def test_closed_form_with_epoch_matches_pytorch():
    results = []
    for lib in (torch, ember):
        opt = _make_opt(lib)
        s = _sched(lib).StepLR(opt, step_size=2, gamma=0.5)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            opt.step()
            s.step(5)
        assert any("epoch parameter" in str(x.message) for x in w)
        results.append(s.get_last_lr())
    np.testing.assert_allclose(results[1], results[0])


def test_warm_restarts_fractional_epochs_match_pytorch():
    results = []
    for lib in (torch, ember):
        opt = _make_opt(lib)
        s = _sched(lib).CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2)
        lrs = []
        for i in range(20):
            opt.step()
            s.step(i * 0.7)  # PyTorch's documented per-batch usage: no warning for this scheduler
            lrs.append(s.get_last_lr())
        results.append(lrs)
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12)


def test_warning_when_scheduler_steps_before_optimizer():
    opt = _make_opt(ember)
    s = elrs.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        s.step()


def test_no_warning_in_the_proper_order():
    opt = _make_opt(ember)
    s = elrs.ExponentialLR(opt, 0.5)
    opt.step()
    s.step()  # warnings are errors in this suite
    assert s.get_last_lr() == [0.25, 0.025]


def test_get_lr_outside_step_warns():
    s = elrs.StepLR(_make_opt(ember), 2)
    with pytest.warns(UserWarning, match="get_last_lr"):
        s.get_lr()


def test_initial_lr_recorded_and_resume_needs_it():
    opt = _make_opt(ember)
    elrs.StepLR(opt, 2)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.5, 0.05]
    with pytest.raises(KeyError, match="initial_lr"):
        elrs.StepLR(_make_opt(ember), 2, last_epoch=3)


def _errors(lib):
    L = _sched(lib)
    o = _make_opt(lib)
    oa = _make_opt(lib, "adagrad")
    return [
        lambda: L.StepLR(object(), 2),
        lambda: L.ConstantLR(o, factor=1.5),
        lambda: L.LinearLR(o, start_factor=0),
        lambda: L.LinearLR(o, end_factor=2),
        lambda: L.CosineAnnealingWarmRestarts(o, T_0=0),
        lambda: L.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
        lambda: L.OneCycleLR(o, max_lr=1.0),
        lambda: L.OneCycleLR(o, max_lr=1.0, total_steps=0),
        lambda: L.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1.5),
        lambda: L.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="exp"),
        lambda: L.OneCycleLR(oa, max_lr=1.0, total_steps=10),
        lambda: L.OneCycleLR(o, max_lr=[1.0], total_steps=10),
        lambda: L.CyclicLR(oa, base_lr=0.1, max_lr=1.0),
        lambda: L.CyclicLR(o, base_lr=0.1, max_lr=1.0, mode="bogus"),
        lambda: L.ReduceLROnPlateau(o, factor=1.0),
        lambda: L.ReduceLROnPlateau(o, mode="avg"),
        lambda: L.ReduceLROnPlateau(o, threshold_mode="x"),
        lambda: L.ReduceLROnPlateau(o, min_lr=[0.1]),
        lambda: L.LambdaLR(o, [lambda e: 1.0]),
        lambda: L.MultiplicativeLR(o, 3),
        lambda: L.SequentialLR(o, [], milestones=[]),
        lambda: L.SequentialLR(o, [L.StepLR(o, 2), L.StepLR(o, 3)], milestones=[]),
        lambda: L.SequentialLR(o, [L.StepLR(o, 2), L.ReduceLROnPlateau(o)], milestones=[2]),
        lambda: L.ChainedScheduler([]),
        lambda: L.SequentialLR(o, [L.StepLR(_make_opt(lib), 2)], milestones=[]),
    ]


@pytest.mark.parametrize("i", range(len(_errors(torch))))
def test_errors_match_pytorch(i):
    def run(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                _errors(lib)[i]()
            except Exception as e:  # noqa: BLE001
                return type(e), str(e)
        return None, None

    te, tm = run(torch)
    ee, em = run(ember)
    assert te is not None and ee is te, (te, tm, ee, em)
    # the gist of the message: PyTorch's, with the class names of the other framework allowed to differ
    assert em.split(" ")[:3] == tm.split(" ")[:3] or em == tm, (tm, em)


def test_onecycle_too_many_steps():
    opt = _make_opt(ember)
    s = elrs.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        opt.step()
        s.step()
    opt.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        s.step()


@pytest.mark.parametrize("gamma,power", [(1e-4, 0.75), (0.1, 2.0)])
def test_inv_lr_is_caffes_inv_policy(gamma, power):
    opt = _make_opt(ember)
    s = elrs.InvLR(opt, gamma=gamma, power=power)
    for it in range(1, 40):
        opt.step()
        s.step()
        expect = [base * (1 + gamma * it) ** (-power) for base in (0.5, 0.05)]
        np.testing.assert_allclose(s.get_last_lr(), expect, rtol=1e-14)
    assert s.state_dict()["gamma"] == gamma


def _caffe_sigmoid(base, gamma, it, stepsize):
    z = -gamma * (it - stepsize)
    return 0.0 if z > 709 else base / (1 + math.exp(z))  # Caffe's double arithmetic underflows to 0 there


@pytest.mark.parametrize("gamma,stepsize", [(0.5, 10), (-0.2, 5), (5.0, 200)])
def test_sigmoid_lr_is_caffes_sigmoid_policy(gamma, stepsize):
    opt = _make_opt(ember)
    s = elrs.SigmoidLR(opt, gamma=gamma, stepsize=stepsize)
    np.testing.assert_allclose(s.get_last_lr(), [_caffe_sigmoid(b, gamma, 0, stepsize) for b in (0.5, 0.05)],
                               rtol=1e-14)
    for it in range(1, 30):
        opt.step()
        s.step()
        expect = [_caffe_sigmoid(b, gamma, it, stepsize) for b in (0.5, 0.05)]
        np.testing.assert_allclose(s.get_last_lr(), expect, rtol=1e-14, atol=1e-300)


def test_caffe_poly_and_step_map_onto_pytorch_schedulers():
    # Caffe: poly lr = base * (1 - iter/max_iter)^power ; step lr = base * gamma^floor(iter/stepsize)
    opt = _make_opt(ember)
    poly = elrs.PolynomialLR(opt, total_iters=20, power=0.9)
    for it in range(1, 21):
        opt.step()
        poly.step()
        np.testing.assert_allclose(poly.get_last_lr()[0], 0.5 * (1 - it / 20) ** 0.9, rtol=1e-12, atol=1e-15)
    opt = _make_opt(ember)
    step = elrs.StepLR(opt, step_size=7, gamma=0.1)
    for it in range(1, 30):
        opt.step()
        step.step()
        np.testing.assert_allclose(step.get_last_lr()[0], 0.5 * 0.1 ** (it // 7), rtol=1e-12)


def test_tensor_lr_is_filled_in_place():
    p = ember.zeros(2, requires_grad=True)
    lr = ember.tensor(0.5)
    opt = eoptim.SGD([p], lr=lr)
    s = elrs.StepLR(opt, 1, gamma=0.5)
    opt.step()
    s.step()
    assert opt.param_groups[0]["lr"] is lr and lr.item() == 0.25
