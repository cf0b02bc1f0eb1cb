"""RNN language models and GRU seq2seq (with Bahdanau attention): against PyTorch twins with copied weights and
hand-computed values."""
import math

import numpy as np
import pytest
import torch

import ember
from ember import nn
from ember.models import get_model, list_models
from ember.models.rnn_lm import RNNModel, detach_state, perplexity
from ember.models.seq2seq import (AdditiveAttention, EncoderDecoder, MaskedSoftmaxCELoss, Seq2SeqAttentionDecoder,
                                  Seq2SeqDecoder, Seq2SeqEncoder, masked_softmax, show_heatmaps)


def npy(t):
    return t.detach().numpy()


def copy_weights(torch_module, ember_module):
    """Load the ember module's parameters into its PyTorch twin (same state_dict keys)."""
    sd = {k: torch.tensor(v.detach().numpy()) for k, v in ember_module.state_dict().items()}
    torch_module.load_state_dict(sd, strict=True)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(npy(a), npy(b), rtol=tol, atol=tol)


# ------------------------------------------------------------------------------------------ PyTorch twins
class TorchRNNModel(torch.nn.Module):
    def __init__(self, rnn_layer, vocab_size, embed_size=None):
        super().__init__()
        self.rnn, self.vocab_size = rnn_layer, vocab_size
        self.embedding = None if embed_size is None else torch.nn.Embedding(vocab_size, embed_size)
        self.linear = torch.nn.Linear(rnn_layer.hidden_size * (2 if rnn_layer.bidirectional else 1), vocab_size)

    def forward(self, inputs, state=None):
        tokens = inputs.T
        X = (torch.nn.functional.one_hot(tokens, self.vocab_size).float() if self.embedding is None
             else self.embedding(tokens))
        Y, state = self.rnn(X, state)
        return self.linear(Y).transpose(0, 1), state


def torch_masked_softmax(X, valid_lens):
    if valid_lens is None:
        return torch.softmax(X, dim=-1)
    shape = X.shape
    valid_lens = valid_lens.repeat_interleave(shape[1]) if valid_lens.dim() == 1 else valid_lens.reshape(-1)
    X = X.reshape(-1, shape[-1])
    mask = torch.arange(shape[-1])[None, :] < valid_lens[:, None]
    return torch.softmax(X.masked_fill(~mask, -1e6).reshape(shape), dim=-1)


class TorchAdditiveAttention(torch.nn.Module):
    def __init__(self, key_size, query_size, num_hiddens):
        super().__init__()
        self.W_k = torch.nn.Linear(key_size, num_hiddens, bias=False)
        self.W_q = torch.nn.Linear(query_size, num_hiddens, bias=False)
        self.w_v = torch.nn.Linear(num_hiddens, 1, bias=False)

    def forward(self, queries, keys, values, valid_lens=None):
        features = torch.tanh(self.W_q(queries).unsqueeze(2) + self.W_k(keys).unsqueeze(1))
        self.attention_weights = torch_masked_softmax(self.w_v(features).squeeze(-1), valid_lens)
        return torch.bmm(self.attention_weights, values)


class TorchEncoder(torch.nn.Module):
    def __init__(self, V, E, H, L, bidirectional=False):
        super().__init__()
        self.embedding = torch.nn.Embedding(V, E)
        self.rnn = torch.nn.GRU(E, H, L, bidirectional=bidirectional)

    def forward(self, X):
        return self.rnn(self.embedding(X.T))


class TorchDecoder(torch.nn.Module):
    def __init__(self, V, E, H, L):
        super().__init__()
        self.embedding = torch.nn.Embedding(V, E)
        self.rnn = torch.nn.GRU(E + H, H, L)
        self.dense = torch.nn.Linear(H, V)

    def forward(self, X, hidden):
        embs = self.embedding(X.T)
        context = hidden[-1].unsqueeze(0).expand(embs.shape[0], -1, -1)
        out, h = self.rnn(torch.cat([embs, context], -1), hidden)
        return self.dense(out).transpose(0, 1), h


class TorchAttentionDecoder(torch.nn.Module):
    def __init__(self, V, E, H, L):
        super().__init__()
        self.attention = TorchAdditiveAttention(H, H, H)
        self.embedding = torch.nn.Embedding(V, E)
        self.rnn = torch.nn.GRU(E + H, H, L)
        self.dense = torch.nn.Linear(H, V)

    def forward(self, X, enc_outputs, hidden, valid_lens):
        enc_outputs = enc_outputs.permute(1, 0, 2)
        outs, weights = [], []
        for x in self.embedding(X.T):
            context = self.attention(hidden[-1].unsqueeze(1), enc_outputs, enc_outputs, valid_lens)
            out, hidden = self.rnn(torch.cat([context, x.unsqueeze(1)], -1).permute(1, 0, 2), hidden)
            outs.append(out)
            weights.append(self.attention.attention_weights)
        return self.dense(torch.cat(outs, 0)).transpose(0, 1), hidden, torch.cat(weights, 1)


# ------------------------------------------------------------------------------------------ language models
@pytest.mark.parametrize("name,layer", [("rnn-lm", nn.RNN), ("gru-lm", nn.GRU), ("lstm-lm", nn.LSTM)])
def test_lm_registry_shapes_and_state(name, layer):
    model = get_model(name, vocab_size=11, num_hiddens=8, num_layers=2, embed_size=5)
    assert isinstance(model, RNNModel) and isinstance(model.rnn, layer)
    X = ember.randint(0, 11, (3, 7))
    logits, state = model(X)
    assert logits.shape == (3, 7, 11)
    begin = model.begin_state(batch_size=3)
    if layer is nn.LSTM:
        assert isinstance(state, tuple) and len(begin) == 2 and begin[0].shape == (2, 3, 8)
    else:
        assert state.shape == begin.shape == (2, 3, 8)
    # an explicit zero state is the same as none
    close(model(X, begin)[0], logits)


def test_text_models_registered():
    assert {"rnn-lm", "gru-lm", "lstm-lm", "seq2seq", "seq2seq-attn"} <= set(list_models())


@pytest.mark.parametrize("kind,embed", [("lstm", 6), ("gru", None), ("rnn", 6)])
def test_rnn_model_matches_torch(kind, embed):
    V, H = 9, 7
    ember.manual_seed(0)
    layer = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind](embed or V, H, num_layers=2)
    model = RNNModel(layer, V, embed_size=embed)
    twin = TorchRNNModel({"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind](embed or V, H, 2),
                         V, embed)
    copy_weights(twin, model)
    X = np.random.default_rng(0).integers(0, V, (4, 5))
    Y = np.random.default_rng(1).integers(0, V, (4, 5))
    logits, _ = model(ember.tensor(X))
    t_logits, _ = twin(torch.tensor(X))
    close(logits, t_logits)
    ember.nn.functional.cross_entropy(logits.reshape(-1, V), ember.tensor(Y).reshape(-1)).backward()
    torch.nn.functional.cross_entropy(t_logits.reshape(-1, V), torch.tensor(Y).reshape(-1)).backward()
    t_params = dict(twin.named_parameters())
    for name, p in model.named_parameters():
        close(p.grad, t_params[name].grad)


def test_detach_state_keeps_values_and_cuts_graph():
    model = get_model("lstm-lm", vocab_size=6, num_hiddens=4, num_layers=1, embed_size=3)
    X1, X2 = ember.randint(0, 6, (2, 5)), ember.randint(0, 6, (2, 5))
    _, state = model(X1)
    assert all(s.grad_fn is not None for s in state)
    detached = detach_state(state)
    assert isinstance(detached, tuple)
    for s, d in zip(state, detached):
        np.testing.assert_array_equal(npy(s), npy(d))
        assert d.grad_fn is None and not d.requires_grad
    # gradients of batch 2 with the detached state == with the same values given as constants
    logits, _ = model(X2, detached)
    logits.sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    constant = tuple(ember.tensor(npy(s)) for s in state)
    model(X2, constant)[0].sum().backward()
    for g, p in zip(grads, model.parameters()):
        np.testing.assert_array_equal(npy(g), npy(p.grad))
    assert detach_state(None) is None
    assert detach_state(state[0]).grad_fn is None


def test_perplexity_hand_value():
    assert perplexity(2 * math.log(3.0) * 5, 10) == pytest.approx(3.0)
    assert perplexity(0.0, 4) == 1.0
    with pytest.raises(ValueError, match="num_tokens"):
        perplexity(1.0, 0)


def test_rnn_model_errors():
    with pytest.raises(ValueError, match="input_size=4 does not match embed_size=5"):
        RNNModel(nn.LSTM(4, 3), vocab_size=10, embed_size=5)
    with pytest.raises(ValueError, match="time-major"):
        RNNModel(nn.GRU(10, 3, batch_first=True), vocab_size=10)
    with pytest.raises(TypeError, match="nn.RNN, nn.GRU or nn.LSTM"):
        RNNModel(nn.Linear(10, 3), vocab_size=10)
    model = RNNModel(nn.GRU(10, 3), vocab_size=10)
    with pytest.raises(ValueError, match=r"\(batch, steps\)"):
        model(ember.zeros(2, 3, 4, dtype=ember.int64))


# ------------------------------------------------------------------------------------------ masks and loss
def test_masked_softmax_hand_values():
    X = ember.tensor([[[1.0, 2.0, 3.0, 4.0]], [[0.0, 0.0, 0.0, 5.0]]])
    out = masked_softmax(X, ember.tensor([2, 3]))
    e = np.exp([1.0, 2.0])
    np.testing.assert_allclose(npy(out)[0, 0], [e[0] / e.sum(), e[1] / e.sum(), 0, 0], atol=1e-6)
    np.testing.assert_allclose(npy(out)[1, 0], [1 / 3, 1 / 3, 1 / 3, 0], atol=1e-6)
    # 2-D valid lengths: one per query
    X = ember.zeros(1, 2, 3)
    out = masked_softmax(X, ember.tensor([[1, 3]]))
    np.testing.assert_allclose(npy(out)[0], [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-6)
    close(masked_softmax(X, None), ember.softmax(X, dim=-1))


def test_masked_softmax_matches_torch_with_grad():
    x = np.random.default_rng(0).standard_normal((3, 2, 5)).astype(np.float32)
    vl = np.array([1, 5, 3])
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    w = np.random.default_rng(1).standard_normal((3, 2, 5)).astype(np.float32)
    oe, ot = masked_softmax(xe, ember.tensor(vl)), torch_masked_softmax(xt, torch.tensor(vl))
    close(oe, ot)
    (oe * ember.tensor(w)).sum().backward()
    (ot * torch.tensor(w)).sum().backward()
    close(xe.grad, xt.grad)


def test_masked_softmax_ce_loss_hand_values():
    # d2l's example: uniform logits over 10 classes cost log(10) per real token, averaged over all 4 steps
    loss = MaskedSoftmaxCELoss()(ember.ones(3, 4, 10), ember.ones((3, 4), dtype=ember.int64), ember.tensor([4, 2, 0]))
    np.testing.assert_allclose(npy(loss), [math.log(10), math.log(10) / 2, 0.0], rtol=1e-6)


def test_masked_softmax_ce_loss_matches_torch():
    rng = np.random.default_rng(0)
    pred = rng.standard_normal((2, 5, 7)).astype(np.float32)
    label = rng.integers(0, 7, (2, 5))
    vl = np.array([5, 2])
    pe = ember.tensor(pred, requires_grad=True)
    loss = MaskedSoftmaxCELoss()(pe, ember.tensor(label), ember.tensor(vl))
    pt = torch.tensor(pred, requires_grad=True)
    per_token = torch.nn.functional.cross_entropy(pt.permute(0, 2, 1), torch.tensor(label), reduction="none")
    mask = (torch.arange(5)[None] < torch.tensor(vl)[:, None]).float()
    expected = (per_token * mask).mean(1)
    close(loss, expected)
    loss.sum().backward()
    expected.sum().backward()
    close(pe.grad, pt.grad)
    with pytest.raises(ValueError, match="MaskedSoftmaxCELoss"):
        MaskedSoftmaxCELoss()(pe, ember.tensor(label[:, :3]), ember.tensor(vl))


# ------------------------------------------------------------------------------------------ attention
def test_additive_attention_matches_torch():
    ember.manual_seed(0)
    att = AdditiveAttention(key_size=3, query_size=4, num_hiddens=6)
    twin = TorchAdditiveAttention(3, 4, 6)
    copy_weights(twin, att)
    rng = np.random.default_rng(0)
    q = rng.standard_normal((2, 2, 4)).astype(np.float32)
    k = rng.standard_normal((2, 5, 3)).astype(np.float32)
    v = rng.standard_normal((2, 5, 2)).astype(np.float32)
    vl = np.array([2, 4])
    qe, ke, ve = (ember.tensor(a, requires_grad=True) for a in (q, k, v))
    qt, kt, vt = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    oe, ot = att(qe, ke, ve, ember.tensor(vl)), twin(qt, kt, vt, torch.tensor(vl))
    close(oe, ot)
    close(att.attention_weights, twin.attention_weights)
    assert npy(att.attention_weights)[0, :, 2:].max() == 0.0        # keys past the valid length get no weight
    oe.sum().backward()
    ot.sum().backward()
    for a, b in ((qe, qt), (ke, kt), (ve, vt)):
        close(a.grad, b.grad)
    close(att.W_k.weight.grad, twin.W_k.weight.grad)
    close(att.w_v.weight.grad, twin.w_v.weight.grad)


# ------------------------------------------------------------------------------------------ encoder/decoder
@pytest.mark.parametrize("bidirectional", [False, True])
def test_encoder_matches_torch(bidirectional):
    ember.manual_seed(0)
    enc = Seq2SeqEncoder(10, 4, 6, 2, bidirectional=bidirectional)
    twin = TorchEncoder(10, 4, 6, 2, bidirectional)
    copy_weights(twin, enc)
    X = np.random.default_rng(0).integers(0, 10, (3, 5))
    outputs, state = enc(ember.tensor(X))
    t_out, t_state = twin(torch.tensor(X))
    close(outputs, t_out)
    if bidirectional:
        assert enc.output_size == 12 and state.shape == (2, 3, 12)
        # layer l's state is [forward final state, backward final state] of that layer
        for layer in range(2):
            close(state[layer, :, :6], t_state[2 * layer])
            close(state[layer, :, 6:], t_state[2 * layer + 1])
    else:
        assert enc.output_size == 6
        close(state, t_state)


def test_decoder_matches_torch():
    ember.manual_seed(0)
    enc, dec = Seq2SeqEncoder(10, 4, 6, 2), Seq2SeqDecoder(12, 5, 6, 2)
    model = EncoderDecoder(enc, dec)
    t_enc, t_dec = TorchEncoder(10, 4, 6, 2), TorchDecoder(12, 5, 6, 2)
    copy_weights(t_enc, enc)
    copy_weights(t_dec, dec)
    rng = np.random.default_rng(0)
    X, Y = rng.integers(0, 10, (3, 5)), rng.integers(0, 12, (3, 4))
    logits = model(ember.tensor(X), ember.tensor(Y), ember.tensor([5, 3, 2]))
    _, t_hidden = t_enc(torch.tensor(X))
    t_logits, _ = t_dec(torch.tensor(Y), t_hidden)
    close(logits, t_logits)
    logits.sum().backward()
    t_logits.sum().backward()
    close(enc.embedding.weight.grad, t_enc.embedding.weight.grad)
    close(dec.rnn.weight_ih_l0.grad, t_dec.rnn.weight_ih_l0.grad)


def test_attention_decoder_matches_torch():
    ember.manual_seed(0)
    enc, dec = Seq2SeqEncoder(10, 4, 6, 2), Seq2SeqAttentionDecoder(12, 5, 6, 2)
    model = EncoderDecoder(enc, dec)
    t_enc, t_dec = TorchEncoder(10, 4, 6, 2), TorchAttentionDecoder(12, 5, 6, 2)
    copy_weights(t_enc, enc)
    copy_weights(t_dec, dec)
    rng = np.random.default_rng(0)
    X, Y, vl = rng.integers(0, 10, (3, 5)), rng.integers(0, 12, (3, 4)), np.array([5, 3, 2])
    logits = model(ember.tensor(X), ember.tensor(Y), ember.tensor(vl))
    t_out, t_hidden = t_enc(torch.tensor(X))
    t_logits, _, t_weights = t_dec(torch.tensor(Y), t_out, t_hidden, torch.tensor(vl))
    close(logits, t_logits)
    assert model.attention_weights.shape == (3, 4, 5)
    close(model.attention_weights, t_weights)
    logits.sum().backward()
    t_logits.sum().backward()
    close(dec.attention.W_q.weight.grad, t_dec.attention.W_q.weight.grad)
    close(enc.rnn.weight_hh_l1.grad, t_enc.rnn.weight_hh_l1.grad)


@pytest.mark.parametrize("name", ["seq2seq", "seq2seq-attn"])
def test_decode_steps_equal_teacher_forcing(name):
    ember.manual_seed(0)
    model = get_model(name, src_vocab_size=10, tgt_vocab_size=12, embed_size=4, num_hiddens=6, num_layers=2,
                      bidirectional=True).eval()
    X, Y, vl = ember.randint(0, 10, (3, 5)), ember.randint(0, 12, (3, 4)), ember.tensor([5, 3, 2])
    full = model(X, Y, vl)
    state = model.encode(X, vl)
    steps = []
    for t in range(4):
        logits, state = model.decode_step(Y[:, t:t + 1], state)
        assert logits.shape == (3, 1, 12)
        steps.append(logits)
    close(ember.cat(steps, dim=1), full)


def test_encode_rejects_bad_shape():
    model = get_model("seq2seq", src_vocab_size=5, tgt_vocab_size=5, embed_size=2, num_hiddens=3, num_layers=1)
    with pytest.raises(ValueError, match=r"EncoderDecoder.encode: src must be \(batch, steps\)"):
        model.encode(ember.zeros(4, dtype=ember.int64))


def test_show_heatmaps_writes_png(tmp_path):
    path = show_heatmaps(ember.softmax(ember.randn(3, 4), dim=-1), tmp_path / "att.png", xticklabels=list("abcd"),
                         yticklabels=list("xyz"))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    show_heatmaps([np.eye(2), np.ones((2, 3)) / 3], tmp_path / "two.png", titles=["a", "b"])
    assert (tmp_path / "two.png").stat().st_size > 0
    with pytest.raises(ValueError, match="2-D"):
        show_heatmaps(np.ones(3), tmp_path / "bad.png")
