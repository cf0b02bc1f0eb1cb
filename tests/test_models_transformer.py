"""Transformer blocks, TransformerMT and GPT: against hand-computed values and PyTorch twins with copied weights."""
import math

import numpy as np
import pytest
import torch

import ember
from ember import nn
from ember.models import get_model
from ember.models._transformer_blocks import (AddNorm, DotProductAttention, MultiHeadAttention, NoamLR,
                                              PositionalEncoding, PositionWiseFFN, causal_mask, key_padding_mask,
                                              masked_softmax, noam_lambda)
from ember.models.decoding import greedy_decode, beam_search, sample
from ember.models.gpt import GPT
from ember.models.transformer_mt import TransformerMT


def E(a, dtype=None):
    return ember.tensor(np.asarray(a), dtype=dtype)


def T(a):
    return torch.tensor(np.asarray(a))


def npy(t):
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.detach().numpy()


def load_into_torch(torch_module, ember_module):
    sd = {k: torch.tensor(v.detach().numpy()) for k, v in ember_module.state_dict().items()}
    torch_module.load_state_dict(sd, strict=True)


# ---------------------------------------------------------------------------------------------- building blocks

def test_positional_encoding_values():
    pe = PositionalEncoding(6, dropout=0.0, max_len=10)
    out = pe(ember.zeros(1, 4, 6))[0].numpy()
    for pos in range(4):
        for j in range(3):
            angle = pos / 10000 ** (2 * j / 6)
            assert out[pos, 2 * j] == pytest.approx(math.sin(angle), abs=1e-6)
            assert out[pos, 2 * j + 1] == pytest.approx(math.cos(angle), abs=1e-6)
    # the table is a fixed function of the position: not in the state_dict
    assert list(pe.state_dict()) == []
    x = ember.randn(2, 3, 6)
    np.testing.assert_allclose(pe(x).numpy(), x.numpy() + out[None, :3], rtol=1e-6, atol=1e-6)


def test_positional_encoding_odd_width_and_too_long():
    pe = PositionalEncoding(5, max_len=4)
    out = pe(ember.zeros(1, 4, 5))[0].numpy()
    assert out[2, 4] == pytest.approx(math.sin(2 / 10000 ** (4 / 5)), abs=1e-6)
    assert out[2, 3] == pytest.approx(math.cos(2 / 10000 ** (2 / 5)), abs=1e-6)
    with pytest.raises(ValueError, match="max_len=4"):
        pe(ember.zeros(1, 5, 5))
    np.testing.assert_allclose(pe(ember.zeros(1, 2, 5), offset=2)[0].numpy(), out[2:4], atol=1e-7)
    with pytest.raises(ValueError, match="up to 5"):
        pe(ember.zeros(1, 2, 5), offset=3)


def test_masked_softmax_hand_values():
    X = E(np.zeros((2, 2, 4), np.float32))
    out = masked_softmax(X, E([2, 3])).numpy()
    np.testing.assert_allclose(out[0], [[0.5, 0.5, 0, 0]] * 2, atol=1e-7)
    np.testing.assert_allclose(out[1], [[1 / 3, 1 / 3, 1 / 3, 0]] * 2, atol=1e-7)
    out = masked_softmax(X, E([[1, 3], [2, 4]])).numpy()
    np.testing.assert_allclose(out[0, 0], [1, 0, 0, 0], atol=1e-7)
    np.testing.assert_allclose(out[1, 1], [0.25] * 4, atol=1e-7)
    np.testing.assert_allclose(masked_softmax(X, None).numpy(), np.full((2, 2, 4), 0.25), atol=1e-7)
    with pytest.raises(ValueError, match="valid_lens has 3 entries"):
        masked_softmax(X, E([1, 2, 3]))


def test_dot_product_attention_hand_values():
    attn = DotProductAttention(dropout=0.0)
    q = E(np.ones((1, 1, 2), np.float32))
    k = E(np.array([[[1, 0], [0, 1], [5, 5]]], np.float32))
    v = E(np.array([[[1.0], [3.0], [100.0]]], np.float32))
    out = attn(q, k, v, E([2])).numpy()                  # the third key is masked: equal weights on the first two
    assert out[0, 0, 0] == pytest.approx(2.0, abs=1e-6)
    np.testing.assert_allclose(attn.attention_weights.numpy(), [[[0.5, 0.5, 0.0]]], atol=1e-7)


@pytest.mark.parametrize("bias", [False, True])
def test_multihead_attention_matches_torch(bias):
    ember.manual_seed(0)
    B, q_len, k_len, d, heads = 3, 4, 6, 8, 2
    mha = MultiHeadAttention(d, heads, dropout=0.0, bias=bias)
    ref = torch.nn.MultiheadAttention(d, heads, bias=bias, batch_first=True)
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([T(m.weight.detach().numpy()) for m in (mha.W_q, mha.W_k, mha.W_v)]))
        ref.out_proj.weight.copy_(T(mha.W_o.weight.detach().numpy()))
        if bias:
            ref.in_proj_bias.copy_(torch.cat([T(m.bias.detach().numpy()) for m in (mha.W_q, mha.W_k, mha.W_v)]))
            ref.out_proj.bias.copy_(T(mha.W_o.bias.detach().numpy()))
    rng = np.random.default_rng(0)
    qa, ka = rng.standard_normal((B, q_len, d), np.float32), rng.standard_normal((B, k_len, d), np.float32)
    valid = np.array([2, 6, 4])
    qe, ke = E(qa).requires_grad_(), E(ka).requires_grad_()
    qt, kt = T(qa).requires_grad_(), T(ka).requires_grad_()
    out = mha(qe, ke, ke, E(valid))
    out_t, _ = ref(qt, kt, kt, key_padding_mask=T(np.arange(k_len)[None] >= valid[:, None]))
    np.testing.assert_allclose(out.detach().numpy(), npy(out_t), rtol=1e-5, atol=1e-5)
    g = rng.standard_normal(out.shape, np.float32)
    out.backward(E(g))
    out_t.backward(T(g))
    np.testing.assert_allclose(qe.grad.numpy(), npy(qt.grad), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ke.grad.numpy(), npy(kt.grad), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(mha.W_q.weight.grad.numpy(), npy(ref.in_proj_weight.grad[:d]), rtol=1e-4, atol=1e-5)


def test_multihead_attention_rejects_bad_heads():
    with pytest.raises(ValueError, match="num_heads=3"):
        MultiHeadAttention(8, 3)


def test_ffn_and_addnorm_match_torch():
    ember.manual_seed(1)
    ffn, addnorm = PositionWiseFFN(16, 8), AddNorm(8, dropout=0.0)
    x = np.random.default_rng(1).standard_normal((2, 3, 8)).astype(np.float32)
    w1, b1 = T(ffn.dense1.weight.detach().numpy()), T(ffn.dense1.bias.detach().numpy())
    w2, b2 = T(ffn.dense2.weight.detach().numpy()), T(ffn.dense2.bias.detach().numpy())
    y_t = torch.relu(T(x) @ w1.T + b1) @ w2.T + b2
    y = ffn(E(x))
    np.testing.assert_allclose(y.detach().numpy(), y_t.numpy(), rtol=1e-5, atol=1e-5)
    z_t = torch.nn.functional.layer_norm(y_t + T(x), (8,))
    np.testing.assert_allclose(addnorm(E(x), y).detach().numpy(), z_t.numpy(), rtol=1e-5, atol=1e-5)


def test_masks():
    np.testing.assert_array_equal(key_padding_mask(E([1, 3]), 3).numpy(), [[False, True, True], [False] * 3])
    m = causal_mask(3).numpy()
    assert np.isneginf(m[0, 1]) and np.isneginf(m[0, 2]) and np.isneginf(m[1, 2])
    assert (m[np.tril_indices(3)] == 0).all()


def test_noam_schedule_values():
    f = noam_lambda(512, 4000)
    assert f(0) == f(1) == pytest.approx(512 ** -0.5 * 4000 ** -1.5)
    assert f(100) == pytest.approx(512 ** -0.5 * 100 * 4000 ** -1.5)
    assert f(4000) == pytest.approx(512 ** -0.5 * 4000 ** -0.5)          # the peak: both branches meet
    assert f(16000) == pytest.approx(512 ** -0.5 / 16000 ** 0.5)
    assert f(4000) > f(3999) and f(4000) > f(4001)
    with pytest.raises(ValueError, match="warmup_steps"):
        noam_lambda(512, 0)
    p = nn.Parameter(ember.zeros(2))
    opt = ember.optim.Adam([p], lr=2.0)
    sched = NoamLR(opt, d_model=64, warmup_steps=10)
    lrs = []
    for _ in range(30):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    expected = [2.0 * 64 ** -0.5 * min(max(s, 1) ** -0.5, max(s, 1) * 10 ** -1.5) for s in range(30)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)
    assert int(np.argmax(lrs)) == 10


def test_label_smoothing_loss_matches_torch():
    rng = np.random.default_rng(2)
    logits = rng.standard_normal((4, 7, 11)).astype(np.float32)
    target = rng.integers(0, 11, (4, 7))
    target[:, 5:] = 1                                          # padding, ignored
    le, lt = E(logits).requires_grad_(), T(logits).requires_grad_()
    loss = nn.CrossEntropyLoss(label_smoothing=0.1, ignore_index=1)(le.reshape(-1, 11), E(target).reshape(-1))
    loss_t = torch.nn.CrossEntropyLoss(label_smoothing=0.1, ignore_index=1)(lt.reshape(-1, 11), T(target).reshape(-1))
    assert loss.item() == pytest.approx(loss_t.item(), rel=1e-5)
    loss.backward()
    loss_t.backward()
    np.testing.assert_allclose(le.grad.numpy(), lt.grad.numpy(), rtol=1e-4, atol=1e-7)


# ---------------------------------------------------------------------------------------------- TransformerMT

class TorchPE(torch.nn.Module):
    def __init__(self, d, max_len):
        super().__init__()
        X = torch.arange(max_len, dtype=torch.float32).reshape(-1, 1) / torch.pow(
            10000, torch.arange(0, d, 2, dtype=torch.float32) / d)
        P = torch.zeros((1, max_len, d))
        P[:, :, 0::2] = torch.sin(X)
        P[:, :, 1::2] = torch.cos(X)
        self.register_buffer("P", P, persistent=False)

    def forward(self, X):
        return X + self.P[:, :X.shape[1]]


class TorchMT(torch.nn.Module):
    """The same model written against PyTorch, to load TransformerMT's state_dict."""

    def __init__(self, V_src, V_tgt, d, nhead, n_enc, n_dec, ff, norm_first, pad):
        super().__init__()
        self.d = d
        self.src_embedding = torch.nn.Embedding(V_src, d, padding_idx=pad)
        self.tgt_embedding = torch.nn.Embedding(V_tgt, d, padding_idx=pad)
        self.pos_encoding = TorchPE(d, 64)
        enc = torch.nn.TransformerEncoderLayer(d, nhead, ff, 0.0, batch_first=True, norm_first=norm_first)
        self.encoder = torch.nn.TransformerEncoder(enc, n_enc, torch.nn.LayerNorm(d), enable_nested_tensor=False)
        dec = torch.nn.TransformerDecoderLayer(d, nhead, ff, 0.0, batch_first=True, norm_first=norm_first)
        self.decoder = torch.nn.TransformerDecoder(dec, n_dec, torch.nn.LayerNorm(d))
        self.generator = torch.nn.Linear(d, V_tgt)

    def forward(self, src, tgt, valid):
        kpm = torch.arange(src.shape[1])[None] >= valid[:, None]
        mem = self.encoder(self.pos_encoding(self.src_embedding(src) * math.sqrt(self.d)), src_key_padding_mask=kpm)
        mask = torch.nn.Transformer.generate_square_subsequent_mask(tgt.shape[1])
        out = self.decoder(self.pos_encoding(self.tgt_embedding(tgt) * math.sqrt(self.d)), mem, tgt_mask=mask,
                           tgt_is_causal=True, memory_key_padding_mask=kpm)
        return self.generator(out)


def small_mt(norm_first=True, **kw):
    ember.manual_seed(0)
    cfg = dict(d_model=16, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=32, dropout=0.0,
               max_len=64, padding_idx=1, norm_first=norm_first)
    cfg.update(kw)
    return TransformerMT(13, 17, **cfg)


def mt_batch():
    rng = np.random.default_rng(3)
    src = rng.integers(2, 13, (3, 7))
    valid = np.array([7, 3, 5])
    src[np.arange(7)[None] >= valid[:, None]] = 1
    tgt = rng.integers(2, 17, (3, 6))
    return src, valid, tgt


@pytest.mark.parametrize("norm_first", [True, False])
def test_transformer_mt_matches_torch(norm_first):
    model = small_mt(norm_first)
    ref = TorchMT(13, 17, 16, 2, 2, 2, 32, norm_first, pad=1)
    load_into_torch(ref, model)
    src, valid, tgt = mt_batch()
    model.eval()
    ref.eval()
    out = model(E(src), E(tgt), E(valid))
    out_t = ref(T(src), T(tgt), T(valid))
    assert out.shape == (3, 6, 17)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-4, atol=1e-5)
    # training mode (dropout 0): the same gradients
    model.train()
    ref.train()
    g = np.random.default_rng(4).standard_normal((3, 6, 17)).astype(np.float32)
    model(E(src), E(tgt), E(valid)).backward(E(g))
    ref(T(src), T(tgt), T(valid)).backward(T(g))
    grads_t = dict(ref.named_parameters())
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads_t[name].grad.numpy(), rtol=1e-3, atol=1e-5, err_msg=name)


def test_transformer_mt_padding_from_pad_index_and_valid_len_agree():
    model = small_mt().eval()
    src, valid, tgt = mt_batch()
    a = model(E(src), E(tgt), E(valid)).detach().numpy()
    b = model(E(src), E(tgt)).detach().numpy()                 # mask derived from src == padding_idx
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    # what sits in the padded source positions does not matter
    src2 = src.copy()
    src2[1, 3:] = 5
    c = model(E(src2), E(tgt), E(valid)).detach().numpy()
    np.testing.assert_allclose(a, c, rtol=1e-6, atol=1e-6)


def test_transformer_mt_causal():
    model = small_mt().eval()
    src, valid, tgt = mt_batch()
    a = model(E(src), E(tgt), E(valid)).detach().numpy()
    tgt2 = tgt.copy()
    tgt2[:, 4:] = 2
    b = model(E(src), E(tgt2), E(valid)).detach().numpy()
    np.testing.assert_allclose(a[:, :4], b[:, :4], rtol=1e-6, atol=1e-6)
    assert not np.allclose(a[:, 4:], b[:, 4:])


def test_transformer_mt_decode_step_equals_teacher_forcing():
    model = small_mt().eval()
    src, valid, tgt = mt_batch()
    full = model(E(src), E(tgt), E(valid)).detach().numpy()
    state = model.encode(E(src), E(valid))
    for t in range(tgt.shape[1]):
        logits, state = model.decode_step(E(tgt[:, t:t + 1]), state)
        assert logits.shape == (3, 1, 17)
        np.testing.assert_allclose(logits.detach().numpy()[:, 0], full[:, t], rtol=1e-5, atol=1e-5)
    assert state[2].shape == (3, 6)


def test_transformer_mt_weight_sharing_and_errors():
    model = TransformerMT(20, 20, d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                          dim_feedforward=16, share_embeddings=True, tie_output=True, padding_idx=1)
    assert model.src_embedding is model.tgt_embedding
    assert model.generator.weight is model.tgt_embedding.weight
    assert float(model.src_embedding.weight[1].abs().sum()) == 0.0
    with pytest.raises(ValueError, match="src_vocab_size=20 and tgt_vocab_size=21"):
        TransformerMT(20, 21, share_embeddings=True)
    with pytest.raises(ValueError, match=r"got shape \(5,\)"):
        model.encode(ember.zeros(5, dtype=ember.int64))
    assert isinstance(get_model("transformer-mt", src_vocab_size=5, tgt_vocab_size=6, d_model=8, nhead=2,
                                num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=8), TransformerMT)


def test_transformer_mt_learns_to_copy_and_decodes():
    """Adam on a copy task (<pad>=1, <bos>=2, <eos>=3): the loss drops, then greedy and beam decoding through the
    decoding contract reproduce unseen sources."""
    ember.manual_seed(0)
    model = TransformerMT(10, 10, d_model=32, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                          dim_feedforward=64, dropout=0.0, padding_idx=1)
    opt = ember.optim.Adam(model.parameters(), lr=5e-3)
    loss_fn = nn.CrossEntropyLoss(ignore_index=1)
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(150):
        src = rng.integers(4, 10, (16, 5))
        tgt_in = np.concatenate([np.full((16, 1), 2), src], axis=1)
        tgt_out = np.concatenate([src, np.full((16, 1), 3)], axis=1)
        loss = loss_fn(model(E(src), E(tgt_in)).reshape(-1, 10), E(tgt_out).reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-5:]) < 0.1 * np.mean(losses[:5])
    src = rng.integers(4, 10, (8, 5))
    greedy = greedy_decode(model, E(src), None, bos=2, eos=3, max_len=10)
    assert sum(g == s for g, s in zip(greedy, src.tolist())) >= 6
    for s, g in zip(src, greedy):
        assert beam_search(model, E(s), None, bos=2, eos=3, max_len=10, beam_size=1) == g
    beams = [beam_search(model, E(s), None, bos=2, eos=3, max_len=10, beam_size=3) for s in src]
    assert sum(b == s for b, s in zip(beams, src.tolist())) >= 6


# ---------------------------------------------------------------------------------------------- GPT

class TorchGPT(torch.nn.Module):
    def __init__(self, V, d, nhead, n, max_len):
        super().__init__()
        self.token_embedding = torch.nn.Embedding(V, d)
        self.position_embedding = torch.nn.Embedding(max_len, d)
        layer = torch.nn.TransformerEncoderLayer(d, nhead, 4 * d, 0.0, "gelu", batch_first=True, norm_first=True)
        self.blocks = torch.nn.TransformerEncoder(layer, n, torch.nn.LayerNorm(d), enable_nested_tensor=False)
        self.lm_head = torch.nn.Linear(d, V, bias=False)
        self.lm_head.weight = self.token_embedding.weight

    def forward(self, X):
        h = self.token_embedding(X) + self.position_embedding(torch.arange(X.shape[1]))
        mask = torch.nn.Transformer.generate_square_subsequent_mask(X.shape[1])
        return self.lm_head(self.blocks(h, mask=mask, is_causal=True))


def small_gpt(**kw):
    ember.manual_seed(0)
    cfg = dict(d_model=16, nhead=2, num_layers=2, dropout=0.0, max_len=12)
    cfg.update(kw)
    return GPT(11, **cfg)


def test_gpt_matches_torch():
    model = small_gpt()
    assert model.lm_head.weight is model.token_embedding.weight
    ref = TorchGPT(11, 16, 2, 2, 12)
    load_into_torch(ref, model)
    X = np.random.default_rng(5).integers(0, 11, (3, 9))
    out, out_t = model(E(X)), ref(T(X))
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-4, atol=1e-5)
    g = np.random.default_rng(6).standard_normal(out.shape).astype(np.float32)
    out.backward(E(g))
    out_t.backward(T(g))
    np.testing.assert_allclose(model.token_embedding.weight.grad.numpy(), ref.token_embedding.weight.grad.numpy(),
                               rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("positional", ["learned", "sinusoidal"])
def test_gpt_causal(positional):
    model = small_gpt(positional=positional).eval()
    X = np.random.default_rng(7).integers(0, 11, (2, 10))
    X2 = X.copy()
    X2[:, 6:] = (X2[:, 6:] + 1) % 11
    a, b = model(E(X)).detach().numpy(), model(E(X2)).detach().numpy()
    np.testing.assert_allclose(a[:, :6], b[:, :6], rtol=1e-6, atol=1e-6)
    assert not np.allclose(a[:, 6:], b[:, 6:])


def test_gpt_errors():
    model = small_gpt()
    with pytest.raises(ValueError, match="max_len=12"):
        model(ember.zeros((1, 13), dtype=ember.int64))
    with pytest.raises(ValueError, match=r"got shape \(4,\)"):
        model(ember.zeros(4, dtype=ember.int64))
    with pytest.raises(ValueError, match="positional"):
        GPT(5, positional="rotary")


def test_gpt_sampling_with_the_decoding_contract():
    model = small_gpt().eval()
    out = sample(model, [1, 2, 3], 15, greedy=True)           # longer than max_len: the context is cropped
    assert len(out) == 18 and out[:3] == [1, 2, 3]
    assert sample(model, [1, 2, 3], 15, top_k=1) == out
    ids = [1, 2, 3]                                          # greedy = argmax of a full forward pass, step by step
    for _ in range(15):
        ids.append(int(model(E([ids[-12:]]))[0, -1].argmax()))
    assert out == ids
    ember.manual_seed(3)
    s1 = sample(model, [4, 5], 30, temperature=0.7, top_k=3)
    ember.manual_seed(3)
    assert sample(model, [4, 5], 30, temperature=0.7, top_k=3) == s1
    # top_k=3: every sampled token is among the 3 most likely ones given its context
    for t in range(2, len(s1)):
        top3 = model(E([s1[max(0, t - 12):t]]))[0, -1].topk(3).indices.tolist()
        assert s1[t] in top3


def test_gpt_learns():
    ember.manual_seed(0)
    model = GPT(8, d_model=32, nhead=2, num_layers=1, dropout=0.0, max_len=16)
    opt = ember.optim.AdamW(model.parameters(), lr=3e-3)
    seq = np.tile(np.arange(8), 4)                       # a cyclic sequence: fully predictable
    losses = []
    for step in range(40):
        starts = np.random.default_rng(step).integers(0, 16, 8)
        X = np.stack([seq[s:s + 16] for s in starts])
        Y = np.stack([seq[s + 1:s + 17] for s in starts])
        loss = nn.functional.cross_entropy(model(E(X)).reshape(-1, 8), E(Y).reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0]


# ---------------------------------------------------------------------------------------------- the example

def _example():
    import importlib.util
    import pathlib
    path = pathlib.Path(__file__).resolve().parents[1] / "examples" / "transformer_mt.py"
    spec = importlib.util.spec_from_file_location("transformer_mt_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_from_scratch_transformer_decodes_like_teacher_forcing():
    """The d2l-style Transformer of examples/transformer_mt.py: its cached step-by-step decoding gives the
    teacher-forced logits, and future target tokens do not change earlier logits."""
    ex = _example()
    ember.manual_seed(0)
    model = ex.Transformer(13, 17, num_hiddens=16, ffn_num_hiddens=32, num_heads=2, num_blks=2, dropout=0.0).eval()
    src, valid, tgt = mt_batch()
    full = model(E(src), E(tgt), E(valid)).detach().numpy()
    state = model.encode(E(src), E(valid))
    first = state
    for t in range(tgt.shape[1]):
        logits, state = model.decode_step(E(tgt[:, t:t + 1]), state)
        np.testing.assert_allclose(logits.detach().numpy()[:, 0], full[:, t], rtol=1e-5, atol=1e-5)
    assert first[2] == (None, None)                         # decode_step never changes the state it is given
    tgt2 = tgt.copy()
    tgt2[:, 3:] = 2
    np.testing.assert_allclose(model(E(src), E(tgt2), E(valid)).detach().numpy()[:, :3], full[:, :3],
                               rtol=1e-5, atol=1e-6)
