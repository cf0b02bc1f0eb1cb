"""nn.Module's contract against PyTorch's: registries, names, state_dict, strict loading, hooks, containers,
init and gradient clipping. The same class is written once against a `lib` (torch or ember)."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember


def build(lib):
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(lib.ones(2, 2))
            self.register_buffer("running", lib.zeros(3))
            self.register_buffer("scratch", lib.zeros(1), persistent=False)
            self.b = nn.Parameter(lib.zeros(2))

        def forward(self, x):
            return x @ self.w.T + self.b

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.first = Block()
            self.seq = nn.Sequential(Block(), nn.Identity(), Block())
            self.lst = nn.ModuleList([Block()])
            self.dct = nn.ModuleDict({"k": Block()})
            self.plist = nn.ParameterList([nn.Parameter(lib.ones(2))])
            self.pdict = nn.ParameterDict({"p": nn.Parameter(lib.ones(1))})
            self.shared = self.first          # the same module twice: listed once

        def forward(self, x):
            return self.seq(self.first(x))
    return Net()


def test_names_and_order_match_torch():
    t, e = build(torch), build(ember)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in e.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in e.named_children()] == [n for n, _ in t.named_children()]
    assert list(e.state_dict()) == list(t.state_dict())
    assert len(list(e.parameters())) == len(list(t.parameters()))
    assert [n for n, _ in e.named_parameters(remove_duplicate=False)] == \
        [n for n, _ in t.named_parameters(remove_duplicate=False)]


def test_state_dict_round_trip_and_detached():
    e = build(ember)
    sd = e.state_dict()
    assert all(not v.requires_grad for v in sd.values())
    assert e.state_dict(keep_vars=True)["first.w"] is e.first.w
    e2 = build(ember)
    with ember.no_grad():
        e.first.w.mul_(3)
    res = e2.load_state_dict(e.state_dict())
    assert repr(res) == repr(torch.nn.Module().load_state_dict({})) == "<All keys matched successfully>"
    np.testing.assert_array_equal(e2.first.w.detach().numpy(), e.first.w.detach().numpy())
    assert e2.first.w is e2.first.__dict__["_parameters"]["w"]  # the Parameter object was kept


def _load_error(lib, model, sd):
    with pytest.raises(RuntimeError) as ei:
        model.load_state_dict(sd)
    return str(ei.value).replace("torch.", "ember.")


def test_strict_load_reports_everything_at_once_like_torch():
    out = {}
    for lib in (torch, ember):
        m = build(lib)
        sd = OrderedDict(m.state_dict())
        del sd["first.b"]
        sd["extra.weight"] = lib.zeros(1)
        sd["first.w"] = lib.zeros(5, 5)
        out[lib.__name__] = _load_error(lib, m, sd)
    assert out["ember"] == out["torch"]


def test_non_strict_load_returns_the_key_lists():
    res = {}
    for lib in (torch, ember):
        m = build(lib)
        sd = OrderedDict(m.state_dict())
        del sd["seq.0.w"]
        sd["nope"] = lib.zeros(1)
        r = m.load_state_dict(sd, strict=False)
        res[lib.__name__] = (r.missing_keys, r.unexpected_keys)
    assert res["ember"] == res["torch"]


@pytest.mark.parametrize("bad", ["param_type", "module_type", "buffer_name"])
def test_registration_errors_match_torch(bad):
    for lib in (torch, ember):
        m = lib.nn.Module()
        m.p = lib.nn.Parameter(lib.ones(1))
        m.c = lib.nn.Identity()
        exc = {"param_type": TypeError, "module_type": TypeError, "buffer_name": KeyError}[bad]
        with pytest.raises(exc):
            if bad == "param_type":
                m.p = lib.ones(1)
            elif bad == "module_type":
                m.c = 3
            else:
                m.register_buffer("a.b", lib.ones(1))


def test_getattr_error_and_delattr():
    for lib in (torch, ember):
        m = lib.nn.Linear(2, 2) if hasattr(lib.nn, "Linear") else lib.nn.Identity()
        with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
            m.nothing
    e = build(ember)
    del e.first
    assert "first.w" not in e.state_dict() and "shared.w" in e.state_dict()


def test_train_eval_apply_zero_grad_requires_grad():
    e = build(ember)
    e.eval()
    assert all(not m.training for m in e.modules())
    e.train()
    assert all(m.training for m in e.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        e.train("yes")
    seen = []
    e.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen.count("Block") == 5
    out = e(ember.ones(4, 2)).sum()
    out.backward()
    assert e.first.w.grad is not None
    e.zero_grad(set_to_none=False)
    assert float(e.first.w.grad.abs().sum()) == 0.0
    e.zero_grad()
    assert e.first.w.grad is None
    e.requires_grad_(False)
    assert not any(p.requires_grad for p in e.parameters())


def test_to_dtype_keeps_parameter_objects():
    e = build(ember)
    w = e.first.w
    e.double()
    assert e.first.w is w and w.dtype == ember.float64 and e.first.running.dtype == ember.float64
    e.to(ember.float32)
    assert w.dtype == ember.float32
    with pytest.raises(TypeError):
        e.to(ember.int64)


def test_forward_hooks_like_torch():
    res = {}
    for lib in (torch, ember):
        m = build(lib)
        calls = []

        def pre(mod, args):
            calls.append("pre")
            return (args[0] * 2,)

        def post(mod, args, out):
            calls.append("post")
            return out + 1

        h1 = m.register_forward_pre_hook(pre)
        h2 = m.register_forward_hook(post)
        y = m(lib.ones(2, 2))
        h1.remove()
        h2.remove()
        z = m(lib.ones(2, 2))
        res[lib.__name__] = (calls, y.detach().numpy().copy(), z.detach().numpy().copy())
    assert res["ember"][0] == res["torch"][0]
    np.testing.assert_allclose(res["ember"][1], res["torch"][1])
    np.testing.assert_allclose(res["ember"][2], res["torch"][2])


def test_repr_matches_torch():
    for build_fn in (lambda lib: lib.nn.Sequential(lib.nn.Identity(), lib.nn.Sequential(lib.nn.Flatten())),
                     lambda lib: lib.nn.ModuleList([lib.nn.Identity(), lib.nn.Flatten(0, 2)]),
                     lambda lib: lib.nn.ModuleDict({"a": lib.nn.Unflatten(1, (2, 3))})):
        assert repr(build_fn(ember)) == repr(build_fn(torch))


def test_sequential_indexing_like_torch():
    for lib in (torch, ember):
        nn = lib.nn
        s = nn.Sequential(nn.Identity(), nn.Flatten(), nn.Identity())
        assert isinstance(s[1], nn.Flatten) and isinstance(s[-1], nn.Identity)
        assert isinstance(s[1:], nn.Sequential) and len(s[1:]) == 2
        s.append(nn.Flatten())
        assert len(s) == 4 and isinstance(s[3], nn.Flatten)
        s.insert(0, nn.Flatten(0))
        assert [k for k, _ in s.named_children()] == ["0", "1", "2", "3", "4"]
        del s[0]
        assert len(s) == 4
        with pytest.raises(IndexError):
            s[10]
        s2 = nn.Sequential(OrderedDict([("a", nn.Identity()), ("b", nn.Flatten())]))
        assert [k for k, _ in s2.named_children()] == ["a", "b"]


def test_parameter_basics():
    p = ember.nn.Parameter(ember.ones(2, 2))
    assert p.requires_grad and p.is_leaf and isinstance(p, ember.Tensor)
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert type(p * 2) is ember.Tensor
    q = ember.nn.Parameter(ember.ones(2), requires_grad=False)
    assert not q.requires_grad
    import copy
    c = copy.deepcopy(p)
    assert type(c) is ember.nn.Parameter and c.requires_grad and c._data is not p._data


def test_init_gain_and_fans_match_torch():
    for nl, param in [("linear", None), ("relu", None), ("tanh", None), ("leaky_relu", 0.2), ("selu", None),
                      ("sigmoid", None), ("conv2d", None)]:
        assert ember.nn.init.calculate_gain(nl, param) == pytest.approx(torch.nn.init.calculate_gain(nl, param))
    with pytest.raises(ValueError):
        ember.nn.init.calculate_gain("nope")
    w = ember.empty(8, 4, 3, 3)
    assert ember.nn.init._calculate_fan_in_and_fan_out(w) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(8, 4, 3, 3))


@pytest.mark.parametrize("name,kwargs,check", [
    ("uniform_", dict(a=-2, b=3), lambda a: a.min() >= -2 and a.max() <= 3 and abs(a.mean() - 0.5) < 0.05),
    ("normal_", dict(mean=1, std=2), lambda a: abs(a.mean() - 1) < 0.05 and abs(a.std() - 2) < 0.05),
    ("xavier_uniform_", {}, lambda a: abs(a.std() - np.sqrt(2 / (400 + 300))) < 2e-3),
    ("xavier_normal_", {}, lambda a: abs(a.std() - np.sqrt(2 / (400 + 300))) < 2e-3),
    ("kaiming_uniform_", dict(nonlinearity="relu"), lambda a: abs(a.std() - np.sqrt(2 / 300)) < 2e-3),
    ("kaiming_normal_", dict(mode="fan_out"), lambda a: abs(a.std() - np.sqrt(2 / (1 + 0) / 400)) < 3e-3),
    ("trunc_normal_", dict(std=1, a=-1, b=1), lambda a: a.min() >= -1 and a.max() <= 1 and abs(a.std() - 0.54) < 0.02),
    ("constant_", dict(val=0.3), lambda a: np.all(a == np.float32(0.3))),
    ("zeros_", {}, lambda a: not a.any()),
    ("ones_", {}, lambda a: np.all(a == 1)),
])
def test_init_distributions(name, kwargs, check):
    ember.manual_seed(0)
    w = ember.empty(400, 300, requires_grad=True)
    out = getattr(ember.nn.init, name)(w, **kwargs)
    assert out is w and w.requires_grad
    assert check(w.detach().numpy())


def test_init_orthogonal_and_eye():
    w = ember.empty(5, 8)
    ember.nn.init.orthogonal_(w)
    a = w.numpy()
    np.testing.assert_allclose(a @ a.T, np.eye(5), atol=1e-5)
    ember.nn.init.eye_(w)
    np.testing.assert_array_equal(w.numpy(), np.eye(5, 8))


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
def test_clip_grad_norm_matches_torch(norm_type):
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (5,), (2, 2, 2)]]
    ps = {}
    for lib in (torch, ember):
        params = [lib.nn.Parameter(lib.zeros(*g.shape)) for g in grads]
        for p, g in zip(params, grads):
            p.grad = lib.from_numpy(g.copy())
        total = lib.nn.utils.clip_grad_norm_(params, max_norm=1.0, norm_type=norm_type)
        ps[lib.__name__] = (float(total), [p.grad.numpy().copy() for p in params])
    assert ps["ember"][0] == pytest.approx(ps["torch"][0], rel=1e-5)
    for a, b in zip(ps["ember"][1], ps["torch"][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_clip_grad_value_and_nonfinite():
    p = ember.nn.Parameter(ember.zeros(3))
    p.grad = ember.tensor([-5.0, 0.5, 7.0])
    ember.nn.utils.clip_grad_value_([p], 1.0)
    assert p.grad.tolist() == [-1.0, 0.5, 1.0]
    p.grad = ember.tensor([float("nan"), 1.0, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        ember.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
