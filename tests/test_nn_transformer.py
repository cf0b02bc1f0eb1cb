"""MultiheadAttention, F.scaled_dot_product_attention and the Transformer modules against PyTorch: same weights
via state_dict, then outputs, attention weights, input and parameter gradients, for the mask and layout options."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as EF


def _copy(tm, em):
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


def _conv(v, lib):
    if isinstance(v, np.ndarray):
        return lib.tensor(v)
    return v


def _check(t_outs, e_outs, t_ins, e_ins, tol, rng):
    for a, b in zip(t_outs, e_outs):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), atol=tol, rtol=tol)
    ups = [rng.standard_normal(tuple(a.shape)).astype(str(a.dtype).split(".")[-1]) for a in t_outs]
    tg = torch.autograd.grad(t_outs, t_ins, [torch.tensor(u) for u in ups])
    eg = ember.autograd.grad(e_outs, e_ins, [ember.tensor(u) for u in ups])
    for i, (a, b) in enumerate(zip(tg, eg)):
        np.testing.assert_allclose(b.numpy(), a.numpy(), atol=tol * 10, rtol=tol * 10, err_msg=f"grad {i}")


L, S, N, E = 3, 4, 2, 8
MHA_CASES = [
    ({}, lambda r: {}, False),
    (dict(batch_first=True), lambda r: dict(need_weights=False), False),
    (dict(kdim=3, vdim=5, add_bias_kv=True, add_zero_attn=True), lambda r: dict(average_attn_weights=False), False),
    (dict(bias=False), lambda r: dict(key_padding_mask=np.array([[False] * (S - 1) + [True], [False] * S])), False),
    ({}, lambda r: dict(key_padding_mask=np.array([[0.] * (S - 1) + [-np.inf], [0.5] * S]),
                        attn_mask=r.standard_normal((L, S))), False),
    ({}, lambda r: dict(attn_mask=np.triu(np.ones((L, L), bool), 1)), True),
    ({}, lambda r: dict(attn_mask=np.triu(np.ones((L, L), bool), 1), is_causal=True, need_weights=False), True),
    ({}, lambda r: dict(attn_mask=r.random((N * 2, L, S)) > 0.7, need_weights=False), False),
    ({}, lambda r: dict(attn_mask=r.standard_normal((N * 2, L, S))), False),
    (dict(dropout=0.0, batch_first=True), lambda r: dict(key_padding_mask=np.array([[False] * S, [True] + [False] * (S - 1)]),
                                                          attn_mask=np.triu(np.ones((L, S), bool), 2)), False),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", range(len(MHA_CASES)))
def test_multihead_attention(case, dtype):
    kw, fkw, self_attn = MHA_CASES[case]
    rng = np.random.default_rng(case)
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(E, 2, dtype=getattr(torch, dtype), **kw)
    em = ember.nn.MultiheadAttention(E, 2, dtype=getattr(ember, dtype), **kw)
    assert list(tm.state_dict()) == list(em.state_dict())
    _copy(tm, em)
    bf = kw.get("batch_first", False)
    shp = (lambda n, d: (N, n, d)) if bf else (lambda n, d: (n, N, d))
    q = rng.standard_normal(shp(L, E)).astype(dtype)
    k = rng.standard_normal(shp(S, kw.get("kdim", E))).astype(dtype)
    v = rng.standard_normal(shp(S, kw.get("vdim", E))).astype(dtype)
    f = fkw(rng)
    f = {a: (b.astype(dtype) if isinstance(b, np.ndarray) and b.dtype.kind == "f" else b) for a, b in f.items()}
    tq, tk, tv = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    eq, ek, ev = [ember.tensor(a, requires_grad=True) for a in (q, k, v)]
    if self_attn:
        tk = tv = tq
        ek = ev = eq
    to, tw = tm(tq, tk, tv, **{a: _conv(b, torch) for a, b in f.items()})
    eo, ew = em(eq, ek, ev, **{a: _conv(b, ember) for a, b in f.items()})
    assert (tw is None) == (ew is None)
    t_outs, e_outs = [to] + ([tw] if tw is not None else []), [eo] + ([ew] if ew is not None else [])
    t_ins = ([tq] if self_attn else [tq, tk, tv]) + list(tm.parameters())
    e_ins = ([eq] if self_attn else [eq, ek, ev]) + list(em.parameters())
    _check(t_outs, e_outs, t_ins, e_ins, 1e-10 if dtype == "float64" else 2e-5, rng)


def test_multihead_attention_unbatched_and_errors():
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    tm, em = torch.nn.MultiheadAttention(E, 2, dtype=torch.float64), ember.nn.MultiheadAttention(E, 2,
                                                                                                dtype=ember.float64)
    _copy(tm, em)
    x = rng.standard_normal((L, E))
    kpm = np.array([False, True, False])
    to, tw = tm(*[torch.tensor(x)] * 3, key_padding_mask=torch.tensor(kpm))
    eo, ew = em(*[ember.tensor(x)] * 3, key_padding_mask=ember.tensor(kpm))
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(ew.detach().numpy(), tw.detach().numpy(), atol=1e-12)
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        ember.nn.MultiheadAttention(7, 2)
    y = ember.zeros(3, 2, 8, dtype=ember.float64)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is torch.Size\(\[3, 4\]\), but should be"):
        em(y, y, y, attn_mask=ember.zeros(3, 4, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        em(y, y, y, is_causal=True)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is deprecated"):
        em(y, y, y, key_padding_mask=ember.zeros(2, 3, dtype=ember.bool), attn_mask=ember.zeros(3, 3,
                                                                                                dtype=ember.float64))
    assert repr(em) == repr(tm)


SDPA_CASES = [dict(), dict(is_causal=True), dict(scale=0.3), dict(attn_mask="bool"), dict(attn_mask="float"),
              dict(attn_mask="dead")]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", range(len(SDPA_CASES)))
def test_scaled_dot_product_attention(case, dtype):
    rng = np.random.default_rng(case)
    kw = dict(SDPA_CASES[case])
    Lq, Sk = 3, (3 if kw.get("is_causal") else 5)
    q, k, v = (rng.standard_normal(s).astype(dtype) for s in [(2, 2, Lq, 4), (2, 2, Sk, 4), (2, 2, Sk, 6)])
    m = kw.get("attn_mask")
    if m == "bool":
        kw["attn_mask"] = rng.random((Lq, Sk)) > 0.4
        kw["attn_mask"][:, 0] = True
    elif m == "float":
        kw["attn_mask"] = rng.standard_normal((2, 1, Lq, Sk)).astype(dtype)
    elif m == "dead":   # a query row with every key masked: zeros, zero gradient (PyTorch's CPU kernel)
        kw["attn_mask"] = rng.random((Lq, Sk)) > 0.4
        kw["attn_mask"][1] = False
        kw["attn_mask"][[0, 2], 0] = True
    tq, tk, tv = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    eq, ek, ev = [ember.tensor(a, requires_grad=True) for a in (q, k, v)]
    to = TF.scaled_dot_product_attention(tq, tk, tv, **{a: _conv(b, torch) for a, b in kw.items()})
    eo = EF.scaled_dot_product_attention(eq, ek, ev, **{a: _conv(b, ember) for a, b in kw.items()})
    _check([to], [eo], [tq, tk, tv], [eq, ek, ev], 1e-10 if dtype == "float64" else 2e-5, rng)


def test_sdpa_dropout_statistics_and_errors():
    ember.manual_seed(0)
    q = ember.ones(1, 64, 4)
    v = ember.ones(1, 64, 4)
    out = EF.scaled_dot_product_attention(q, q, v, dropout_p=0.5)
    # uniform weights 1/64, each kept with p=0.5 and scaled by 2: the row sums average 1
    assert abs(out.detach().numpy().mean() - 1.0) < 0.1
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        EF.scaled_dot_product_attention(q, q, v, attn_mask=ember.ones(64, 64, dtype=ember.bool), is_causal=True)


def _build_encoder(kw, dtype):
    torch.manual_seed(0)
    tl = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, dtype=dtype[0], **kw)
    tm = torch.nn.TransformerEncoder(tl, 2, norm=torch.nn.LayerNorm(8, dtype=dtype[0]), enable_nested_tensor=False)
    el = ember.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, dtype=dtype[1], **kw)
    em = ember.nn.TransformerEncoder(el, 2, norm=ember.nn.LayerNorm(8, dtype=dtype[1]), enable_nested_tensor=False)
    assert list(tm.state_dict()) == list(em.state_dict())
    _copy(tm, em)
    return tm, em


ENC_CASES = [dict(), dict(norm_first=True, activation="gelu", batch_first=True), dict(bias=False, batch_first=True)]
ENC_MASKS = ["none", "causal_float", "padding", "causal_bool"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mask", ENC_MASKS)
@pytest.mark.parametrize("case", range(len(ENC_CASES)))
def test_transformer_encoder(case, mask, dtype):
    kw = ENC_CASES[case]
    rng = np.random.default_rng(0)
    tm, em = _build_encoder(kw, (getattr(torch, dtype), getattr(ember, dtype)))
    bf = kw.get("batch_first", False)
    x = rng.standard_normal((2, 5, 8) if bf else (5, 2, 8)).astype(dtype)
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    if mask == "none":
        tk = ek = {}
    elif mask == "causal_float":
        tk = dict(mask=torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=getattr(torch, dtype)))
        ek = dict(mask=ember.nn.Transformer.generate_square_subsequent_mask(5, dtype=getattr(ember, dtype)))
        np.testing.assert_array_equal(ek["mask"].numpy(), tk["mask"].numpy())
    elif mask == "padding":
        kpm = np.array([[False] * 5, [False] * 3 + [True] * 2])
        tk, ek = dict(src_key_padding_mask=torch.tensor(kpm)), dict(src_key_padding_mask=ember.tensor(kpm))
    else:
        cm = np.triu(np.ones((5, 5), bool), 1)
        tk, ek = dict(mask=torch.tensor(cm), is_causal=True), dict(mask=ember.tensor(cm), is_causal=True)
    _check([tm(tx, **tk)], [em(ex, **ek)], [tx] + list(tm.parameters()), [ex] + list(em.parameters()),
           1e-10 if dtype == "float64" else 3e-5, rng)


@pytest.mark.parametrize("kw", [dict(), dict(norm_first=True, batch_first=True, activation="gelu")])
def test_transformer(kw):
    rng = np.random.default_rng(1)
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="enable_nested_tensor is True")
        tm = torch.nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, dtype=torch.float64, **kw)
        em = ember.nn.Transformer(8, 2, 2, 2, 16, dropout=0.0, dtype=ember.float64, **kw)
    assert list(tm.state_dict()) == list(em.state_dict())
    _copy(tm, em)
    bf = kw.get("batch_first", False)
    s = rng.standard_normal((2, 5, 8) if bf else (5, 2, 8))
    t = rng.standard_normal((2, 4, 8) if bf else (4, 2, 8))
    ts, tt = torch.tensor(s, requires_grad=True), torch.tensor(t, requires_grad=True)
    es, et = ember.tensor(s, requires_grad=True), ember.tensor(t, requires_grad=True)
    kpm = np.array([[False] * 5, [False] * 3 + [True] * 2])
    to = tm(ts, tt, tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64),
            src_key_padding_mask=torch.tensor(kpm), memory_key_padding_mask=torch.tensor(kpm), tgt_is_causal=True)
    eo = em(es, et, tgt_mask=ember.nn.Transformer.generate_square_subsequent_mask(4, dtype=ember.float64),
            src_key_padding_mask=ember.tensor(kpm), memory_key_padding_mask=ember.tensor(kpm), tgt_is_causal=True)
    _check([to], [eo], [ts, tt] + list(tm.parameters()), [es, et] + list(em.parameters()), 1e-10, rng)


def test_encoder_eval_nested_semantics_and_warning():
    rng = np.random.default_rng(2)
    torch.manual_seed(0)
    tl = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    tm = torch.nn.TransformerEncoder(tl, 2)
    em = ember.nn.TransformerEncoder(ember.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True), 2)
    _copy(tm, em)
    tm.eval(), em.eval()
    x = rng.standard_normal((2, 5, 8)).astype(np.float32)
    kpm = np.array([[False] * 5, [False] * 3 + [True] * 2])
    with torch.no_grad(), ember.no_grad(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The PyTorch API of nested tensors is in prototype stage")
        a = tm(torch.tensor(x), src_key_padding_mask=torch.tensor(kpm))
        b = em(ember.tensor(x), src_key_padding_mask=ember.tensor(kpm))
    np.testing.assert_allclose(b.numpy(), a.numpy(), atol=2e-5)
    assert not b.numpy()[1, 3:].any()
    layer = ember.nn.TransformerEncoderLayer(8, 2, norm_first=True)
    with pytest.warns(UserWarning, match="enable_nested_tensor is True, but self.use_nested_tensor is False because "
                                         "encoder_layer.norm_first was True"):
        ember.nn.TransformerEncoder(layer, 1)


def test_dropout_train_mode_statistics():
    ember.manual_seed(0)
    layer = ember.nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.5)
    x = ember.randn(6, 3, 16)
    layer.train()
    a, b = layer(x).detach().numpy(), layer(x).detach().numpy()
    assert not np.allclose(a, b)
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), layer(x).detach().numpy())
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        ember.nn.TransformerEncoderLayer(8, 2, activation="tanh")
    custom = ember.nn.TransformerEncoderLayer(8, 2, activation=ember.tanh, dropout=0.0)
    assert custom(ember.randn(3, 1, 8)).shape == (3, 1, 8)
