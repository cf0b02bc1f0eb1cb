"""Every op in tests/op_db: forward, gradient (random upstream gradient) and double gradient vs PyTorch,
in float32 and float64, on hypothesis-drawn shapes and on non-contiguous inputs."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import ember
from op_db import all_ops, Sample, uniform
from _compare import make_inputs, flat_tensors, assert_close, same_dtype

OPS = all_ops()


# ------------------------------------------------------------------------------------------ shape strategies
def shapes(max_dims=4, max_side=4, allow_empty=True):
    side = st.integers(0 if allow_empty else 1, max_side)
    return st.lists(side, min_size=0, max_size=max_dims).map(tuple)


@st.composite
def broadcast_pair(draw):
    """Two shapes that broadcast: size-1 dims, missing leading dims, 0-d tensors."""
    out = draw(shapes(allow_empty=False))
    a, b = [], []
    for s in out:
        r = draw(st.integers(0, 2))
        a.append(1 if r == 1 else s)
        b.append(1 if r == 2 else s)
    a = tuple(a[draw(st.integers(0, len(a))):])
    b = tuple(b[draw(st.integers(0, len(b))):])
    return a, b


def noncontiguous(a):
    """The same values, laid out non-contiguously (a strided slice of a bigger array)."""
    if a.ndim == 0 or a.size == 0:
        return a
    big = np.zeros(a.shape[:-1] + (a.shape[-1] * 2,), dtype=a.dtype)
    big[..., ::2] = a
    v = big[..., ::2]
    if a.ndim >= 2:  # and permuted: a transposed copy transposed back
        v = np.ascontiguousarray(np.swapaxes(v, -1, -2)).swapaxes(-1, -2)
    return v


def nudge(op, a):
    if op.avoid is None or a.dtype.kind != "f":
        return a
    a = a.copy()
    for _ in range(20):
        m = np.asarray(op.avoid(a))
        if not m.any():
            break
        a[m] += 0.1
    return a


def draw_samples(op, data, dtype, rng):
    if op.kind == "unary":
        return [Sample((uniform(rng, data.draw(shapes(), label="shape"), dtype, op.domain),))]
    if op.kind == "binary":
        sa, sb = data.draw(broadcast_pair(), label="shapes")
        return [Sample((uniform(rng, sa, dtype, op.domain), uniform(rng, sb, dtype, op.domain)))]
    return op.samples(rng, dtype)


# ------------------------------------------------------------------------------------------ the check
def check(op, sample, dtype, device="cpu"):
    atol, rtol = op.tolerances(dtype)
    args = tuple(nudge(op, a) if isinstance(a, np.ndarray) else a for a in sample.args)
    grad = op.grad and any(isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in args)
    t_in = make_inputs(torch, args, grad)
    e_in = make_inputs(ember, args, grad, device)
    t_out = (op.fn if op.torch_fn == "same" else op.torch_fn)(torch, *t_in, **sample.kwargs)
    e_out = op.fn(ember, *e_in, **sample.kwargs)
    t_flat, e_flat = flat_tensors(t_out, torch), flat_tensors(e_out, ember)
    assert len(t_flat) == len(e_flat), f"{op.name}: {len(e_flat)} outputs, torch has {len(t_flat)}"
    for i, (e, t) in enumerate(zip(e_flat, t_flat)):
        assert same_dtype(e, t), f"{op.name}: output {i} dtype {e.dtype} != torch {t.dtype}"
        assert_close(e, t, atol, rtol, f"{op.name} forward output {i} {sample.name}")
    if not grad or op.nondeterministic_grad:
        return
    t_req = [x for x in t_in if isinstance(x, torch.Tensor) and x.requires_grad]
    e_req = [x for x in e_in if isinstance(x, ember.Tensor) and x.requires_grad]
    pairs = [(e, t) for e, t in zip(e_flat, t_flat) if t.requires_grad]
    if not pairs:
        return
    rng = np.random.default_rng(1)
    ups = [rng.standard_normal(t.shape).astype(str(t.dtype).split(".")[-1]) for _, t in pairs]
    t_g = torch.autograd.grad([t for _, t in pairs], t_req, [torch.from_numpy(u) for u in ups],
                              create_graph=op.gradgrad, allow_unused=True)
    e_g = ember.autograd.grad([e for e, _ in pairs], e_req, [ember.from_numpy(u).to(device) for u in ups],
                              create_graph=op.gradgrad, allow_unused=True)
    for i, (eg, tg) in enumerate(zip(e_g, t_g)):
        if tg is None:
            assert eg is None or not np.any(eg.detach().cpu().numpy()), f"{op.name}: grad {i} should be None/0"
            continue
        assert eg is not None, f"{op.name}: grad of input {i} is None, torch has one"
        assert same_dtype(eg, tg), f"{op.name}: grad {i} dtype {eg.dtype} != torch {tg.dtype}"
        assert_close(eg, tg, atol * 10, rtol * 10, f"{op.name} grad of input {i} {sample.name}")
    if not op.gradgrad:
        return
    sel = [i for i, tg in enumerate(t_g) if tg is not None and tg.requires_grad]
    if not sel:
        return
    vs = [rng.standard_normal(t_g[i].shape).astype(str(t_g[i].dtype).split(".")[-1]) for i in sel]
    t_gg = torch.autograd.grad([t_g[i] for i in sel], t_req, [torch.from_numpy(v) for v in vs], allow_unused=True)
    e_sel = [e_g[i] for i in sel]
    assert all(e.requires_grad for e in e_sel), f"{op.name}: first gradient does not require grad with create_graph"
    e_gg = ember.autograd.grad(e_sel, e_req, [ember.from_numpy(v).to(device) for v in vs], allow_unused=True)
    for i, (eg, tg) in enumerate(zip(e_gg, t_gg)):
        if tg is None:
            assert eg is None or not np.any(eg.detach().cpu().numpy()), f"{op.name}: gradgrad {i} should be 0"
            continue
        if eg is None:
            assert not np.any(tg.detach().numpy()), f"{op.name}: gradgrad of input {i} is None, torch nonzero"
            continue
        assert_close(eg, tg, atol * 100, rtol * 100, f"{op.name} double grad of input {i} {sample.name}")


def check_fd(op, sample):
    """Ops without a PyTorch twin: float64 finite differences."""
    args = make_inputs(ember, tuple(a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
                                    else a for a in sample.args), True)
    f = lambda *xs: op.fn(ember, *xs, **sample.kwargs)  # noqa: E731
    assert ember.autograd.gradcheck(f, tuple(args))
    if op.gradgrad:
        assert ember.autograd.gradgradcheck(f, tuple(args))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", OPS, ids=[o.name for o in OPS])
def test_op(op, dtype, device):
    if dtype not in op.dtypes:
        pytest.skip(f"{op.name} is not defined for {dtype}")

    @settings(max_examples=op.max_examples)
    @given(data=st.data())
    def run(data):
        rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 16), label="seed"))
        for s in draw_samples(op, data, dtype, rng):
            if op.torch_fn is None:
                if dtype == "float64":
                    check_fd(op, s)
                continue
            check(op, s, dtype, device)
            if op.noncontiguous:
                nc = Sample(tuple(noncontiguous(a) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
                                  for a in s.args), s.kwargs, s.name + " (non-contiguous)")
                check(op, nc, dtype, device)

    run()
