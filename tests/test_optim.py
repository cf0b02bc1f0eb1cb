"""ember.optim against PyTorch: parameter trajectories for every algorithm and option combination (float64, so
the tolerances are tight), per-group hyper-parameters, state and state_dict structure (and conversion both
ways), zero_grad, closures, hooks, and PyTorch's errors for bad input."""
import copy
import pickle
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.optim as eoptim

SHAPES = [(3, 4), (5,), ()]
STEPS = 8


def _data(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(STEPS)]
    return init, grads


def _optim(lib):
    return torch.optim if lib is torch else eoptim


def _run(lib, name, kwargs, dtype="float64", groups=False, skip=None, seed=0):
    """``STEPS`` steps on identical parameters and gradients; returns the trajectory and the optimizer.
    ``skip(step, i)`` says that parameter ``i`` gets no gradient at ``step`` (``grad=None``: skipped)."""
    init, grads = _data(seed, np.dtype(dtype))
    dt = getattr(lib, dtype)
    ps = [lib.tensor(a.copy(), dtype=dt, requires_grad=True) for a in init]
    if groups:  # per-group hyper-parameters: a 10x head and a smaller-lr body, the rest from defaults
        params = [{"params": ps[:1], "lr": 10 * kwargs.get("lr", 0.01)}, {"params": ps[1:]}]
    else:
        params = ps
    opt = getattr(_optim(lib), name)(params, **kwargs)
    traj = []
    for step, gs in enumerate(grads):
        for i, (p, g) in enumerate(zip(ps, gs)):
            p.grad = None if skip is not None and skip(step, i) else lib.tensor(g.copy(), dtype=dt)
        opt.step()
        traj.append([p.detach().numpy().copy() for p in ps])
    return traj, opt, ps


def _compare(name, kwargs, rtol=1e-11, atol=1e-13, **kw):
    a, topt, _ = _run(torch, name, kwargs, **kw)
    b, eopt, _ = _run(ember, name, kwargs, **kw)
    for step, (xa, xb) in enumerate(zip(a, b)):
        for pa, pb in zip(xa, xb):
            assert pb.dtype == pa.dtype
            np.testing.assert_allclose(pb, pa, rtol=rtol, atol=atol, err_msg=f"{name} {kwargs} step {step}")
    return topt, eopt


CONFIGS = {
    "SGD": [dict(lr=0.1), dict(lr=0.1, momentum=0.9), dict(lr=0.1, momentum=0.9, dampening=0.5),
            dict(lr=0.1, momentum=0.9, nesterov=True), dict(lr=0.05, momentum=0.5, weight_decay=0.1),
            dict(lr=0.1, weight_decay=0.01, maximize=True),
            dict(lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.1, maximize=True), {}],
    "Adam": [dict(lr=0.1), dict(lr=0.1, amsgrad=True), dict(lr=0.1, weight_decay=0.1),
             dict(lr=0.1, maximize=True), dict(lr=0.1, betas=(0.3, 0.6), eps=1e-3),
             dict(lr=0.1, amsgrad=True, weight_decay=0.1, maximize=True),
             dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True), {}],
    "AdamW": [dict(lr=0.1), dict(lr=0.1, weight_decay=0.5, amsgrad=True), dict(lr=0.1, maximize=True), {}],
    "RMSprop": [dict(lr=0.01), dict(lr=0.01, centered=True), dict(lr=0.01, momentum=0.9),
                dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.1),
                dict(lr=0.01, alpha=0.5, eps=1e-3, maximize=True), {}],
    "Adagrad": [dict(lr=0.1), dict(lr=0.1, lr_decay=0.1), dict(lr=0.1, initial_accumulator_value=0.5),
                dict(lr=0.1, weight_decay=0.1, maximize=True, eps=1e-3), {}],
    "Adadelta": [dict(), dict(lr=0.5, rho=0.5), dict(weight_decay=0.1, maximize=True, eps=1e-3)],
    "Adamax": [dict(lr=0.1), dict(lr=0.1, betas=(0.4, 0.9), weight_decay=0.1), dict(lr=0.1, maximize=True), {}],
    "NAdam": [dict(lr=0.1), dict(lr=0.1, momentum_decay=0.1), dict(lr=0.1, weight_decay=0.1),
              dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True, maximize=True), {}],
    "RAdam": [dict(lr=0.1), dict(lr=0.1, betas=(0.5, 0.6)), dict(lr=0.1, weight_decay=0.1),
              dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True, maximize=True), {}],
}
ALL = [(n, kw) for n, kws in CONFIGS.items() for kw in kws]


@pytest.mark.parametrize("name,kwargs", ALL, ids=[f"{n}-{kw}" for n, kw in ALL])
def test_trajectory_matches_pytorch(name, kwargs):
    _compare(name, kwargs)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_param_groups_and_skipped_grads_match_pytorch(name):
    kwargs = CONFIGS[name][1]
    skip = lambda step, i: (step + i) % 3 == 0  # noqa: E731  (grad=None: parameter skipped that step)
    topt, eopt = _compare(name, kwargs, groups=True, skip=skip)
    _compare_state_dicts(topt.state_dict(), eopt.state_dict())


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "NAdam", "Adadelta"])
def test_float32_trajectory_and_state_dtypes(name):
    kwargs = CONFIGS[name][1]
    topt, eopt = _compare(name, kwargs, dtype="float32", rtol=2e-5, atol=2e-6)
    for st in eopt.state.values():
        for k, v in st.items():
            if k in ("step", "mu_product"):
                assert v.dtype == ember.float32 and v.shape == ()
            else:
                assert v.dtype == ember.float32


def _np(v):
    if isinstance(v, torch.Tensor):
        return v.detach().numpy()
    if isinstance(v, ember.Tensor):
        return v.detach().numpy()
    return v


def _compare_state_dicts(t, e, rtol=1e-11):
    assert set(e) == {"state", "param_groups"}
    assert list(e["state"]) == list(t["state"])
    for k in t["state"]:
        assert list(e["state"][k]) == list(t["state"][k]), k  # same keys, same order
        for name, tv in t["state"][k].items():
            ev = e["state"][k][name]
            assert isinstance(ev, ember.Tensor) == isinstance(tv, torch.Tensor)
            if isinstance(tv, torch.Tensor):
                assert str(ev.dtype) == str(tv.dtype).replace("torch.", "ember."), name
                assert tuple(ev.shape) == tuple(tv.shape)
            np.testing.assert_allclose(_np(ev), _np(tv), rtol=rtol, atol=1e-13)
    assert len(e["param_groups"]) == len(t["param_groups"])
    for eg, tg in zip(e["param_groups"], t["param_groups"]):
        assert list(eg) == list(tg)  # PyTorch's keys in PyTorch's order, 'params' last
        assert eg == tg


@pytest.mark.parametrize("name", list(CONFIGS))
def test_state_dict_structure_matches_pytorch(name):
    kwargs = CONFIGS[name][1]
    topt, eopt = _compare(name, kwargs)
    _compare_state_dicts(topt.state_dict(), eopt.state_dict())


def _to_ember_sd(sd):
    out = copy.deepcopy(sd)
    return out


@pytest.mark.parametrize("name", list(CONFIGS))
def test_state_dict_converts_both_ways(name):
    """Train 8 steps in one framework, load its state dict into the other, train on: same parameters."""
    kwargs = CONFIGS[name][1]
    _, topt, tps = _run(torch, name, kwargs)
    _, eopt, eps_ = _run(ember, name, kwargs)
    _, grads = _data(seed=1)
    # torch -> ember: a PyTorch state dict (torch tensors) loads into an ember optimizer
    e2ps = [ember.tensor(p.detach().numpy().copy(), requires_grad=True) for p in tps]
    e2 = getattr(eoptim, name)(e2ps, **kwargs)
    e2.load_state_dict(topt.state_dict())
    # ember -> torch: ember tensors converted through NumPy, key for key
    esd = eopt.state_dict()
    tsd = {"state": {k: {n: torch.from_numpy(v.detach().numpy().copy()) if isinstance(v, ember.Tensor) else v
                         for n, v in st.items()} for k, st in esd["state"].items()},
           "param_groups": copy.deepcopy(esd["param_groups"])}
    t2ps = [torch.tensor(p.detach().numpy().copy(), requires_grad=True) for p in eps_]
    t2 = getattr(torch.optim, name)(t2ps, **kwargs)
    t2.load_state_dict(tsd)
    for gs in grads[:4]:
        for ps, lib in ((tps, torch), (e2ps, ember), (t2ps, torch), (eps_, ember)):
            for p, g in zip(ps, gs):
                p.grad = lib.tensor(g.copy())
        for o in (topt, e2, t2, eopt):
            o.step()
    for a, b, c, d in zip(tps, e2ps, t2ps, eps_):
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-10, atol=1e-11)
        np.testing.assert_allclose(c.detach().numpy(), d.detach().numpy(), rtol=1e-10, atol=1e-11)


def test_load_state_dict_copies_and_casts():
    p = ember.zeros(3, dtype=ember.float32, requires_grad=True)
    opt = eoptim.Adam([p], lr=0.1)
    p.grad = ember.ones(3, dtype=ember.float32)
    opt.step()
    sd = opt.state_dict()
    q = ember.zeros(3, dtype=ember.float64, requires_grad=True)
    opt2 = eoptim.Adam([q], lr=0.5)
    opt2.load_state_dict(sd)
    st = opt2.state[q]
    assert st["exp_avg"].dtype == ember.float64  # floating state follows the parameter's dtype
    assert st["step"].dtype == ember.float32 and st["step"].item() == 1.0  # 'step' is kept as it is
    assert opt2.param_groups[0]["lr"] == 0.1 and opt2.param_groups[0]["params"][0] is q
    sd["state"][0]["step"].fill_(5.0)
    assert opt2.state[q]["step"].item() == 1.0


def test_load_state_dict_errors_match_pytorch():
    for lib in (torch, ember):
        a, b = lib.zeros(2, requires_grad=True), lib.zeros(2, requires_grad=True)
        opt = _optim(lib).SGD([a, b], lr=0.1)
        sd = opt.state_dict()
        with pytest.raises(ValueError, match="different number of parameter groups"):
            _optim(lib).SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
        with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
            _optim(lib).SGD([a], lr=0.1).load_state_dict(sd)


def test_state_is_keyed_by_parameter_with_pytorch_names():
    p = ember.zeros(2, requires_grad=True)
    q = ember.zeros(2, requires_grad=True)
    opt = eoptim.Adam([p, q], amsgrad=True)
    p.grad = ember.ones(2)
    opt.step()
    assert set(opt.state) == {p} and list(opt.state[p]) == ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
    assert len(opt.state[q]) == 0  # a defaultdict, as PyTorch's
    sgd = eoptim.SGD([p], lr=0.1)
    sgd.step()
    assert sgd.state_dict()["state"] == {}  # no momentum: no state
    ada = eoptim.Adagrad([p, q])
    assert sorted(ada.state_dict()["state"]) == [0, 1]  # Adagrad makes its state at construction


def test_zero_grad():
    for lib in (torch, ember):
        p = lib.ones(3, requires_grad=True)
        opt = _optim(lib).SGD([p], lr=0.1)
        (p * 2).sum().backward()
        opt.zero_grad(set_to_none=False)
        assert p.grad is not None and p.grad.tolist() == [0.0, 0.0, 0.0]
        opt.zero_grad()
        assert p.grad is None


def test_step_runs_without_recording_and_bumps_version():
    p = ember.ones(3, requires_grad=True)
    opt = eoptim.SGD([p], lr=0.5, momentum=0.9)
    (p * p).sum().backward()
    v = p._version[0]
    opt.step()
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    assert p._version[0] > v
    assert p.detach().numpy().tolist() == [0.0, 0.0, 0.0]


def test_closure():
    for lib in (torch, ember):
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        opt = _optim(lib).SGD([p], lr=0.1)
        seen = []

        def closure():
            opt.zero_grad()
            loss = (p * p).sum()
            loss.backward()
            seen.append(lib.is_grad_enabled())
            return loss

        with lib.no_grad():
            loss = opt.step(closure)
        assert seen == [True] and loss.item() == 5.0
        np.testing.assert_allclose(p.detach().numpy(), [0.8, 1.6])


def test_training_a_linear_model_converges_like_pytorch():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1
    out = []
    for lib in (torch, ember):
        w = lib.zeros(4, dtype=lib.float64, requires_grad=True)
        b = lib.zeros(1, dtype=lib.float64, requires_grad=True)
        opt = _optim(lib).Adam([{"params": [w]}, {"params": [b], "lr": 0.05}], lr=0.1)
        Xt, yt = lib.tensor(X), lib.tensor(y)
        for _ in range(60):
            opt.zero_grad()
            loss = (((Xt * w).sum(1) + b - yt) ** 2).mean()
            loss.backward()
            opt.step()
        out.append((w.detach().numpy().copy(), b.detach().numpy().copy(), loss.item()))
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-9)
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-9)
    assert out[1][2] < 1.0


def test_step_hooks():
    p = ember.ones(2, requires_grad=True)
    opt = eoptim.SGD([p], lr=0.1)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o is opt)))
    h2 = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", o is opt)))
    g = eoptim.register_optimizer_step_pre_hook(lambda o, args, kwargs: calls.append(("global", True)))
    try:
        opt.step()
    finally:
        g.remove()
    assert calls == [("global", True), ("pre", True), ("post", True)]
    h1.remove()
    h2.remove()
    opt.step()
    assert len(calls) == 3


def test_add_param_group_and_fine_tuning_head():
    body = ember.ones(2, requires_grad=True)
    head = ember.ones(2, requires_grad=True)
    opt = eoptim.SGD([body], lr=0.01, momentum=0.9)
    opt.add_param_group({"params": head, "lr": 0.1})
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.1]
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["params"] == [head]
    body.grad = ember.ones(2)
    head.grad = ember.ones(2)
    opt.step()
    np.testing.assert_allclose(body.detach().numpy(), [0.99, 0.99])
    np.testing.assert_allclose(head.detach().numpy(), [0.9, 0.9])
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [body]})


def test_named_parameters():
    for lib in (torch, ember):
        a, b = lib.zeros(2, requires_grad=True), lib.zeros(2, requires_grad=True)
        opt = _optim(lib).Adam([("a", a), ("b", b)])
        assert opt.state_dict()["param_groups"][0]["param_names"] == ["a", "b"]


def test_tensor_lr():
    out = []
    for lib in (torch, ember):
        p = lib.tensor([1.0, 2.0], requires_grad=True)
        opt = _optim(lib).Adam([p], lr=lib.tensor(0.1))
        p.grad = lib.tensor([1.0, -1.0])
        opt.step()
        out.append(p.detach().numpy().copy())
    np.testing.assert_allclose(out[1], out[0], rtol=1e-6)


def test_repr_matches_pytorch():
    for name in CONFIGS:
        t = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)])
        e = getattr(eoptim, name)([ember.zeros(1, requires_grad=True)])
        assert repr(e) == repr(t)


def test_pickle_round_trip():
    p = ember.ones(2, requires_grad=True)
    opt = eoptim.Adam([p], lr=0.1)
    p.grad = ember.ones(2)
    opt.step()
    opt2 = pickle.loads(pickle.dumps(opt))
    assert opt2.param_groups[0]["lr"] == 0.1
    assert list(opt2.state_dict()["state"][0]) == ["step", "exp_avg", "exp_avg_sq"]


BAD = [
    ("SGD", dict(lr=-1)), ("SGD", dict(lr=-0.5)), ("SGD", dict(momentum=-0.1)), ("SGD", dict(weight_decay=-1)),
    ("SGD", dict(nesterov=True)), ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1)),
    ("Adam", dict(lr=-1e-3)), ("Adam", dict(eps=-1.0)), ("Adam", dict(betas=(1.0, 0.999))),
    ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(weight_decay=-1)), ("Adam", dict(betas=(0.9, 1))),
    ("AdamW", dict(lr=-1)), ("AdamW", dict(betas=(0.9, 1.5))),
    ("RMSprop", dict(lr=-1)), ("RMSprop", dict(eps=-1)), ("RMSprop", dict(momentum=-1)),
    ("RMSprop", dict(weight_decay=-1)), ("RMSprop", dict(alpha=-1)),
    ("Adagrad", dict(lr=-1)), ("Adagrad", dict(lr_decay=-1)), ("Adagrad", dict(weight_decay=-1)),
    ("Adagrad", dict(initial_accumulator_value=-1)), ("Adagrad", dict(eps=-1)),
    ("Adadelta", dict(lr=-1)), ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(eps=-1)),
    ("Adadelta", dict(weight_decay=-1)),
    ("Adamax", dict(lr=-1)), ("Adamax", dict(eps=-1)), ("Adamax", dict(betas=(1.0, 0.5))),
    ("Adamax", dict(betas=(0.5, 1.0))), ("Adamax", dict(weight_decay=-1)),
    ("NAdam", dict(lr=-1)), ("NAdam", dict(momentum_decay=-1)), ("NAdam", dict(betas=(0.5, 2.0))),
    ("RAdam", dict(lr=-1)), ("RAdam", dict(eps=-1)), ("RAdam", dict(weight_decay=-0.1)),
]


@pytest.mark.parametrize("name,kwargs", BAD, ids=[f"{n}-{kw}" for n, kw in BAD])
def test_bad_hyperparameters_raise_like_pytorch(name, kwargs):
    with pytest.raises(Exception) as te:
        getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **kwargs)
    with pytest.raises(Exception) as ee:
        getattr(eoptim, name)([ember.zeros(1, requires_grad=True)], **kwargs)
    assert ee.type is te.type
    assert str(ee.value) == str(te.value)


def _param_errors(lib):
    o = _optim(lib)
    leaf = lib.zeros(2, requires_grad=True)
    return [
        lambda: o.SGD([], lr=0.1),
        lambda: o.SGD(leaf, lr=0.1),
        lambda: o.SGD([1.0], lr=0.1),
        lambda: o.SGD([leaf * 2], lr=0.1),
        lambda: o.SGD([{"params": [leaf]}, {"params": [leaf]}], lr=0.1),
        lambda: o.SGD([leaf], lr=0.1).add_param_group([leaf]),
        lambda: o.SGD([("a", leaf), lib.zeros(2, requires_grad=True)], lr=0.1),
    ]


@pytest.mark.parametrize("i", range(len(_param_errors(torch))))
def test_param_errors_match_pytorch(i):
    def run(lib):
        try:
            _param_errors(lib)[i]()
        except Exception as e:  # noqa: BLE001
            return type(e), str(e).replace("torch.", "").replace("ember.", "")
        return None, None

    te, tm = run(torch)
    ee, em = run(ember)
    assert te is not None and (ee, em) == (te, tm)


def test_duplicate_parameters_warn():
    p = ember.zeros(2, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        eoptim.SGD([p, p], lr=0.1)


def test_optimizer_step_speed_is_reasonable():
    """Not a benchmark: the per-parameter overhead of an Adam step stays small (catches accidental autograd
    dispatch or per-step allocations of state)."""
    import time
    ps = [ember.zeros(64, 64, requires_grad=True) for _ in range(50)]
    for p in ps:
        p.grad = ember.ones(64, 64)
    opt = eoptim.Adam(ps)
    opt.step()
    t0 = time.perf_counter()
    for _ in range(20):
        opt.step()
    per_param = (time.perf_counter() - t0) / (20 * 50)
    assert per_param < 2e-3


def test_nn_parameters_and_save_load_round_trip(tmp_path):
    w = ember.nn.Parameter(ember.ones(3))
    opt = eoptim.Adam([w], lr=0.1)
    w.grad = ember.ones(3)
    opt.step()
    assert isinstance(w, ember.nn.Parameter) and w.is_leaf
    np.testing.assert_allclose(w.detach().numpy(), [0.9, 0.9, 0.9], rtol=1e-6)
    if hasattr(ember, "save"):
        ember.save(opt.state_dict(), tmp_path / "opt.pt")
        opt2 = eoptim.Adam([ember.nn.Parameter(ember.ones(3))], lr=0.5)
        opt2.load_state_dict(ember.load(tmp_path / "opt.pt"))
        assert opt2.param_groups[0]["lr"] == 0.1
        np.testing.assert_allclose(next(iter(opt2.state.values()))["exp_avg"].numpy(), [0.1] * 3, rtol=1e-6)
