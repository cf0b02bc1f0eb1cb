"""nn.RNN/GRU/LSTM, the cells and nn.utils.rnn against PyTorch: same weights (state_dict -> numpy -> load),
then outputs, final states, input/initial-state gradients and every parameter's gradient with a random upstream
gradient; state_dict keys, init ranges, errors, packed sequences, dropout statistics."""
import warnings

import numpy as np
import pytest
import torch
from torch.nn.utils import rnn as TR

import ember
from ember.nn.utils import rnn as ER


def _copy(tm, em):
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


def _make(cls, dtype, *args, **kw):
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*projections is not supported with oneDNN.*")
        tm = getattr(torch.nn, cls)(*args, dtype=getattr(torch, dtype), **kw)
    em = getattr(ember.nn, cls)(*args, dtype=getattr(ember, dtype), **kw)
    assert list(tm.state_dict()) == list(em.state_dict())
    for (tn, tp), (en, ep) in zip(tm.named_parameters(), em.named_parameters()):
        assert tn == en and tuple(tp.shape) == tuple(ep.shape)
    _copy(tm, em)
    return tm, em


def _pair(a, requires_grad=True):
    return torch.tensor(a, requires_grad=requires_grad), ember.tensor(a, requires_grad=requires_grad)


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in _flat(o)]
    if isinstance(out, (TR.PackedSequence, ER.PackedSequence)):
        return [out.data]
    return [out]


def _compare(t_outs, e_outs, t_ins, e_ins, tol, rng):
    assert len(t_outs) == len(e_outs)
    for a, b in zip(t_outs, e_outs):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), atol=tol, rtol=tol)
    ups = [rng.standard_normal(tuple(a.shape)).astype(str(a.dtype).split(".")[-1]) for a in t_outs]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*projections is not supported with oneDNN.*")
        tg = torch.autograd.grad(t_outs, t_ins, [torch.tensor(u) for u in ups])
    eg = ember.autograd.grad(e_outs, e_ins, [ember.tensor(u) for u in ups])
    for i, (a, b) in enumerate(zip(tg, eg)):
        assert b is not None, f"gradient {i} is None"
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
        np.testing.assert_allclose(b.numpy(), a.numpy(), atol=tol * 10, rtol=tol * 10, err_msg=f"grad {i}")


CONFIGS = [
    ("LSTM", {}), ("GRU", {}), ("RNN", {}), ("RNN", dict(nonlinearity="relu")),
    ("LSTM", dict(num_layers=2, bidirectional=True)), ("GRU", dict(num_layers=2, bidirectional=True, batch_first=True)),
    ("RNN", dict(num_layers=2, batch_first=True, bias=False)), ("LSTM", dict(proj_size=3, batch_first=True)),
    ("LSTM", dict(num_layers=2, bidirectional=True, proj_size=2, bias=False)), ("GRU", dict(bias=False)),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("with_hx", [True, False])
@pytest.mark.parametrize("cls,kw", CONFIGS, ids=[f"{c}-{'-'.join(f'{k}={v}' for k, v in kw.items())}"
                                                 for c, kw in CONFIGS])
def test_rnn_layers_match_torch(cls, kw, with_hx, dtype):
    rng = np.random.default_rng(0)
    tm, em = _make(cls, dtype, 4, 5, **kw)
    bf = kw.get("batch_first", False)
    T, B = 6, 3
    x = rng.standard_normal((B, T, 4) if bf else (T, B, 4)).astype(dtype)
    tx, ex = _pair(x)
    D = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1)
    P = kw.get("proj_size", 0) or 5
    t_ins, e_ins = [tx], [ex]
    if with_hx:
        th, eh = _pair(rng.standard_normal((L * D, B, P)).astype(dtype))
        t_ins.append(th), e_ins.append(eh)
        if cls == "LSTM":
            tc, ec = _pair(rng.standard_normal((L * D, B, 5)).astype(dtype))
            t_ins.append(tc), e_ins.append(ec)
            t_hx, e_hx = (th, tc), (eh, ec)
        else:
            t_hx, e_hx = th, eh
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*projections.*")
            to = tm(tx, t_hx)
        eo = em(ex, e_hx)
    else:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*projections.*")
            to = tm(tx)
        eo = em(ex)
    tol = 1e-10 if dtype == "float64" else 2e-5
    _compare(_flat(to), _flat(eo), t_ins + list(tm.parameters()), e_ins + list(em.parameters()), tol, rng)


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "RNN"])
def test_unbatched_input(cls):
    rng = np.random.default_rng(1)
    tm, em = _make(cls, "float64", 3, 4, num_layers=2)
    tx, ex = _pair(rng.standard_normal((5, 3)))
    h = rng.standard_normal((2, 4))
    if cls == "LSTM":
        c = rng.standard_normal((2, 4))
        to = tm(tx, (torch.tensor(h), torch.tensor(c)))
        eo = em(ex, (ember.tensor(h), ember.tensor(c)))
    else:
        to, eo = tm(tx, torch.tensor(h)), em(ex, ember.tensor(h))
    _compare(_flat(to), _flat(eo), [tx] + list(tm.parameters()), [ex] + list(em.parameters()), 1e-10, rng)


@pytest.mark.parametrize("cls,kw", [("LSTM", dict(num_layers=2, bidirectional=True)),
                                    ("GRU", dict(bidirectional=True, batch_first=True)), ("RNN", {}),
                                    ("LSTM", dict(proj_size=2, bidirectional=True))])
def test_packed_sequences(cls, kw):
    rng = np.random.default_rng(2)
    tm, em = _make(cls, "float64", 4, 5, **kw)
    bf = kw.get("batch_first", False)
    lengths = [3, 5, 1, 4]
    tx, ex = _pair(rng.standard_normal((4, 5, 4) if bf else (5, 4, 4)))
    tp = TR.pack_padded_sequence(tx, lengths, batch_first=bf, enforce_sorted=False)
    ep = ER.pack_padded_sequence(ex, lengths, batch_first=bf, enforce_sorted=False)
    assert ep.batch_sizes.tolist() == tp.batch_sizes.tolist()
    assert ep.sorted_indices.tolist() == tp.sorted_indices.tolist()
    D = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1)
    P = kw.get("proj_size", 0) or 5
    th, eh = _pair(rng.standard_normal((L * D, 4, P)))
    t_ins, e_ins = [tx, th], [ex, eh]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*projections.*")
        if cls == "LSTM":
            tc, ec = _pair(rng.standard_normal((L * D, 4, 5)))
            t_ins.append(tc), e_ins.append(ec)
            to, t_st = tm(tp, (th, tc))
            eo, e_st = em(ep, (eh, ec))
        else:
            to, t_st = tm(tp, th)
            eo, e_st = em(ep, eh)
    assert isinstance(eo, ER.PackedSequence)
    tpad, tl = TR.pad_packed_sequence(to, batch_first=bf, total_length=6)
    epad, el = ER.pad_packed_sequence(eo, batch_first=bf, total_length=6)
    assert el.tolist() == tl.tolist() and el.dtype == ember.int64
    _compare([tpad] + _flat(t_st), [epad] + _flat(e_st), t_ins + list(tm.parameters()),
             e_ins + list(em.parameters()), 1e-10, rng)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("cls,kw", [("LSTMCell", {}), ("GRUCell", {}), ("RNNCell", {}),
                                    ("RNNCell", dict(nonlinearity="relu")), ("GRUCell", dict(bias=False)),
                                    ("LSTMCell", dict(bias=False))])
def test_cells(cls, kw, dtype):
    rng = np.random.default_rng(3)
    tm, em = _make(cls, dtype, 4, 5, **kw)
    tol = 1e-10 if dtype == "float64" else 2e-5
    # a few steps in a Python loop, batched, with and without initial state
    x = rng.standard_normal((3, 2, 4)).astype(dtype)
    tx, ex = _pair(x)
    th = eh = None
    t_outs, e_outs = [], []
    for t in range(3):
        if cls == "LSTMCell":
            th = tm(tx[t], th)
            eh = em(ex[t], eh)
            t_outs += list(th)
            e_outs += list(eh)
        else:
            th = tm(tx[t], th)
            eh = em(ex[t], eh)
            t_outs.append(th)
            e_outs.append(eh)
    _compare(t_outs, e_outs, [tx] + list(tm.parameters()), [ex] + list(em.parameters()), tol, rng)
    # unbatched
    tx1, ex1 = _pair(x[0, 0])
    _compare(_flat(tm(tx1)), _flat(em(ex1)), [tx1], [ex1], tol, rng)


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "RNN"])
def test_double_backward_matches_torch(cls):
    rng = np.random.default_rng(4)
    tm, em = _make(cls, "float64", 3, 4, bidirectional=True)
    tx, ex = _pair(rng.standard_normal((4, 2, 3)))
    to, eo = tm(tx)[0], em(ex)[0]
    u = rng.standard_normal(tuple(to.shape))
    tg, = torch.autograd.grad(to, tx, torch.tensor(u), create_graph=True)
    eg, = ember.autograd.grad(eo, ex, ember.tensor(u), create_graph=True)
    np.testing.assert_allclose(eg.detach().numpy(), tg.detach().numpy(), atol=1e-10)
    v = rng.standard_normal(tuple(tg.shape))
    t_ins, e_ins = [tx] + list(tm.parameters()), [ex] + list(em.parameters())
    tgg = torch.autograd.grad(tg, t_ins, torch.tensor(v))
    egg = ember.autograd.grad(eg, e_ins, ember.tensor(v))
    for a, b in zip(tgg, egg):
        np.testing.assert_allclose(b.numpy(), a.numpy(), atol=1e-9)


def test_init_and_repr():
    m = ember.nn.LSTM(3, 16, num_layers=2, bidirectional=True, proj_size=4)
    for p in m.parameters():
        a = p.detach().numpy()
        assert np.abs(a).max() <= 0.25 and a.std() > 0.1
    cases = [("LSTM", (4, 5), dict(proj_size=3, num_layers=2, bidirectional=True)),
             ("RNN", (3, 4), dict(num_layers=2, batch_first=True, dropout=0.5, nonlinearity="relu")),
             ("GRU", (3, 4), dict(bias=False)), ("LSTMCell", (4, 5), {}), ("GRUCell", (2, 3), dict(bias=False)),
             ("RNNCell", (2, 3), dict(nonlinearity="relu"))]
    for cls, args, kw in cases:
        assert repr(getattr(ember.nn, cls)(*args, **kw)) == repr(getattr(torch.nn, cls)(*args, **kw))


def _raises(fn_t, fn_e):
    with pytest.raises(Exception) as te:
        fn_t()
    with pytest.raises(type(te.value)) as ee:
        fn_e()
    assert str(ee.value).replace("ember.", "torch.") == str(te.value), (str(ee.value), str(te.value))


def test_errors_match_torch():
    for lib in (torch, ember):
        lib.manual_seed(0)
    t, e = torch.nn.LSTM(4, 5), ember.nn.LSTM(4, 5)
    g_t, g_e = torch.nn.GRU(4, 5), ember.nn.GRU(4, 5)
    z = np.zeros
    _raises(lambda: t(torch.zeros(2, 3, 3)), lambda: e(ember.zeros(2, 3, 3)))
    _raises(lambda: t(torch.zeros(2, 3, 4, 1)), lambda: e(ember.zeros(2, 3, 4, 1)))
    _raises(lambda: t(torch.zeros(2, 3, 4), (torch.zeros(1, 2, 5), torch.zeros(1, 2, 5))),
            lambda: e(ember.zeros(2, 3, 4), (ember.zeros(1, 2, 5), ember.zeros(1, 2, 5))))
    _raises(lambda: t(torch.zeros(2, 3, 4), (torch.zeros(1, 3, 5), torch.zeros(1, 3, 4))),
            lambda: e(ember.zeros(2, 3, 4), (ember.zeros(1, 3, 5), ember.zeros(1, 3, 4))))
    _raises(lambda: t(torch.zeros(2, 4), (torch.zeros(1, 3, 5), torch.zeros(1, 3, 5))),
            lambda: e(ember.zeros(2, 4), (ember.zeros(1, 3, 5), ember.zeros(1, 3, 5))))
    _raises(lambda: g_t(torch.zeros(2, 3, 4), torch.zeros(2, 3, 5)), lambda: g_e(ember.zeros(2, 3, 4),
                                                                                ember.zeros(2, 3, 5)))
    _raises(lambda: g_t(torch.zeros(2, 3, 4), torch.zeros(1, 5)), lambda: g_e(ember.zeros(2, 3, 4), ember.zeros(1, 5)))
    _raises(lambda: g_t(torch.zeros(2, 4), torch.zeros(1, 2, 5)), lambda: g_e(ember.zeros(2, 4), ember.zeros(1, 2, 5)))
    _raises(lambda: g_t(torch.zeros(2, 3, 4, dtype=torch.float64)), lambda: g_e(ember.zeros(2, 3, 4,
                                                                                           dtype=ember.float64)))
    for kw in [dict(dropout=1.5), dict(proj_size=-1), dict(proj_size=5), dict(hidden_size=0)]:
        a = dict(input_size=4, hidden_size=5)
        a.update(kw)
        _raises(lambda: torch.nn.LSTM(**a), lambda: ember.nn.LSTM(**a))
    _raises(lambda: torch.nn.GRU(4, 5, proj_size=2), lambda: ember.nn.GRU(4, 5, proj_size=2))
    _raises(lambda: torch.nn.RNN(4, 5, nonlinearity="sig"), lambda: ember.nn.RNN(4, 5, nonlinearity="sig"))
    c_t, c_e = torch.nn.LSTMCell(4, 5), ember.nn.LSTMCell(4, 5)
    _raises(lambda: c_t(torch.zeros(3, 5)), lambda: c_e(ember.zeros(3, 5)))
    _raises(lambda: c_t(torch.zeros(3, 2, 4)), lambda: c_e(ember.zeros(3, 2, 4)))
    _raises(lambda: c_t(torch.zeros(3, 4), (torch.zeros(2, 5), torch.zeros(2, 5))),
            lambda: c_e(ember.zeros(3, 4), (ember.zeros(2, 5), ember.zeros(2, 5))))
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        ember.nn.LSTM(3, 4, dropout=0.5)
    x = z((5, 3, 2))
    _raises(lambda: TR.pack_padded_sequence(torch.tensor(x), [2, 3, 1]),
            lambda: ER.pack_padded_sequence(ember.tensor(x), [2, 3, 1]))
    _raises(lambda: TR.pack_padded_sequence(torch.tensor(x), [3, 0, 0]),
            lambda: ER.pack_padded_sequence(ember.tensor(x), [3, 0, 0]))
    tp = TR.pack_padded_sequence(torch.tensor(x), [3, 2, 1])
    ep = ER.pack_padded_sequence(ember.tensor(x), [3, 2, 1])
    assert tp.sorted_indices is None and ep.sorted_indices is None
    _raises(lambda: TR.pad_packed_sequence(tp, total_length=2), lambda: ER.pad_packed_sequence(ep, total_length=2))


def test_dropout_between_layers_statistics():
    ember.manual_seed(0)
    m = ember.nn.GRU(8, 64, num_layers=2, dropout=0.5)
    x = ember.randn(4, 16, 8)
    m.eval()
    a = m(x)[0].detach().numpy()
    b = m(x)[0].detach().numpy()
    np.testing.assert_array_equal(a, b)
    m.train()
    outs = [m(x)[0].detach().numpy() for _ in range(3)]
    assert not np.allclose(outs[0], outs[1])
    # the first layer's output is identical in train and eval (dropout only acts between layers)
    h_train = m(x)[1].detach().numpy()[0]
    h_eval = m.eval()(x)[1].detach().numpy()[0]
    np.testing.assert_allclose(h_train, h_eval, atol=1e-6)
    # with p=1 the second layer sees zeros: its output depends only on its biases
    m2 = ember.nn.RNN(3, 4, num_layers=2, dropout=1.0)
    o1 = m2(ember.randn(5, 2, 3))[0].detach().numpy()
    o2 = m2(ember.randn(5, 2, 3))[0].detach().numpy()
    np.testing.assert_allclose(o1, o2)


def test_pad_and_pack_utilities():
    rng = np.random.default_rng(5)
    seqs = [rng.standard_normal((n, 2)) for n in [2, 4, 3]]
    for bf in [False, True]:
        for side in ["left", "right"]:
            a = TR.pad_sequence([torch.tensor(s) for s in seqs], batch_first=bf, padding_value=-1., padding_side=side)
            b = ER.pad_sequence([ember.tensor(s) for s in seqs], batch_first=bf, padding_value=-1.,
                                padding_side=side)
            np.testing.assert_array_equal(b.numpy(), a.numpy())
    for enforce in [False, True]:
        ss = seqs if not enforce else sorted(seqs, key=len, reverse=True)
        t_in = [torch.tensor(s, requires_grad=True) for s in ss]
        e_in = [ember.tensor(s, requires_grad=True) for s in ss]
        a, b = TR.pack_sequence(t_in, enforce_sorted=enforce), ER.pack_sequence(e_in, enforce_sorted=enforce)
        np.testing.assert_array_equal(b.data.detach().numpy(), a.data.detach().numpy())
        assert b.batch_sizes.tolist() == a.batch_sizes.tolist()
        for x, y in zip(TR.unpack_sequence(a), ER.unpack_sequence(b)):
            np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy())
        pa, la = TR.pad_packed_sequence(a, batch_first=True, padding_value=7.0)
        pb, lb = ER.pad_packed_sequence(b, batch_first=True, padding_value=7.0)
        np.testing.assert_array_equal(pb.detach().numpy(), pa.detach().numpy())
        u = rng.standard_normal(tuple(pa.shape))
        tg = torch.autograd.grad(pa, t_in, torch.tensor(u))
        eg = ember.autograd.grad(pb, e_in, ember.tensor(u))
        for x, y in zip(tg, eg):
            np.testing.assert_array_equal(y.numpy(), x.numpy())
    p = ER.pack_sequence([ember.ones(3, 2), ember.ones(1, 2)])
    assert p.double().data.dtype == ember.float64 and isinstance(p.double(), ER.PackedSequence)
    assert p._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert ER.pack_padded_sequence(ember.ones(3, 2, 1), ember.tensor([3, 2])).batch_sizes.tolist() == [2, 2, 1]


def test_lstm_trains():
    ember.manual_seed(0)
    m = ember.nn.LSTM(2, 8)
    fc = ember.nn.Linear(8, 1)
    opt = ember.optim.Adam(list(m.parameters()) + list(fc.parameters()), lr=0.02)
    x = ember.randn(10, 16, 2)
    y = x.sum(0)[:, :1]
    losses = []
    for _ in range(60):
        opt.zero_grad()
        loss = ((fc(m(x)[0][-1]) - y) ** 2).mean()
        loss.backward()
        ember.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0]


def test_gradgradcheck_lstm_gru():
    for cls in ("LSTM", "GRU"):
        ember.manual_seed(0)
        m = getattr(ember.nn, cls)(2, 2, bidirectional=True, dtype=ember.float64)
        x = ember.randn(3, 2, 2, dtype=ember.float64, requires_grad=True)
        assert ember.autograd.gradgradcheck(lambda x: m(x)[0], (x,))
