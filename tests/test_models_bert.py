"""BERT-mini (ember.models.bert) against a PyTorch twin with copied weights and hand-computed values."""
import numpy as np
import pytest
import torch

import ember
from ember.models import get_model
from ember.models.bert import (BERTClassifier, BERTEncoder, BERTModel, MaskLM, bert_pretrain_loss,
                               valid_lens_to_padding_mask)

V, H, FFN, HEADS, BLKS, MAXLEN = 50, 16, 32, 2, 2, 12


class TorchBERTEncoder(torch.nn.Module):
    """The same network written in PyTorch: the attribute names match, so state_dicts map one to one."""

    def __init__(self, activation="relu"):
        super().__init__()
        self.token_embedding = torch.nn.Embedding(V, H)
        self.segment_embedding = torch.nn.Embedding(2, H)
        layer = torch.nn.TransformerEncoderLayer(H, HEADS, FFN, dropout=0.1, activation=activation, batch_first=True)
        self.blks = torch.nn.TransformerEncoder(layer, BLKS, enable_nested_tensor=False)
        self.pos_embedding = torch.nn.Parameter(torch.zeros(1, MAXLEN, H))

    def forward(self, tokens, segments, valid_lens):
        X = self.token_embedding(tokens) + self.segment_embedding(segments)
        X = X + self.pos_embedding[:, :tokens.shape[1], :]
        mask = torch.arange(tokens.shape[1])[None, :] >= valid_lens[:, None]
        return self.blks(X, src_key_padding_mask=mask)


def _to_torch_state(module):
    return {k: torch.from_numpy(np.array(v.numpy())) for k, v in module.state_dict().items()}


def _inputs(batch=3, seq=9, seed=0):
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, V, (batch, seq))
    segments = (np.arange(seq)[None, :] >= rng.integers(2, seq, (batch, 1))).astype(np.int64)
    valid_lens = rng.integers(4, seq + 1, batch)
    valid_lens[0] = seq
    return tokens, segments, valid_lens


@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_matches_torch_twin_eval(activation):
    ember.manual_seed(0)
    net = BERTEncoder(V, H, FFN, HEADS, BLKS, dropout=0.1, max_len=MAXLEN, activation=activation).eval()
    twin = TorchBERTEncoder(activation).eval()
    twin.load_state_dict(_to_torch_state(net))
    tokens, segments, valid_lens = _inputs()
    out = net(ember.tensor(tokens), ember.tensor(segments), ember.tensor(valid_lens))
    with torch.no_grad():
        expected = twin(torch.tensor(tokens), torch.tensor(segments), torch.tensor(valid_lens))
    assert tuple(out.shape) == (3, 9, H)
    np.testing.assert_allclose(out.detach().numpy(), expected.numpy(), rtol=1e-4, atol=1e-5)


def test_encoder_gradients_match_torch_twin():
    ember.manual_seed(1)
    net = BERTEncoder(V, H, FFN, HEADS, BLKS, dropout=0.0, max_len=MAXLEN)
    twin = TorchBERTEncoder()
    twin.load_state_dict(_to_torch_state(net))
    for layer in twin.blks.layers:                  # dropout 0 in the twin too
        layer.dropout.p = layer.dropout1.p = layer.dropout2.p = layer.self_attn.dropout = 0.0
    tokens, segments, valid_lens = _inputs(seed=2)
    w = np.random.default_rng(3).standard_normal((3, 9, H)).astype(np.float32)
    (net(ember.tensor(tokens), ember.tensor(segments), ember.tensor(valid_lens)) * ember.tensor(w)).sum().backward()
    (twin(torch.tensor(tokens), torch.tensor(segments), torch.tensor(valid_lens)) * torch.tensor(w)).sum().backward()
    theirs = dict(twin.named_parameters())
    for name, p in net.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs[name].grad.numpy(), rtol=1e-3, atol=1e-5, err_msg=name)


def test_padding_is_masked():
    """Tokens beyond valid_len must not change the encodings of the real positions."""
    ember.manual_seed(0)
    net = BERTEncoder(V, H, FFN, HEADS, BLKS, dropout=0.0, max_len=MAXLEN).eval()
    tokens, segments, _ = _inputs(batch=1, seq=8)
    valid = ember.tensor([5])
    a = net(ember.tensor(tokens), ember.tensor(segments), valid).detach().numpy()
    tokens2 = tokens.copy()
    tokens2[0, 5:] = (tokens2[0, 5:] + 7) % V
    b = net(ember.tensor(tokens2), ember.tensor(segments), valid).detach().numpy()
    np.testing.assert_allclose(a[0, :5], b[0, :5], rtol=1e-5, atol=1e-6)
    assert not np.allclose(a[0, 5:], b[0, 5:])


def test_valid_lens_to_padding_mask():
    mask = valid_lens_to_padding_mask(ember.tensor([2, 4, 0]), 4).numpy()
    np.testing.assert_array_equal(mask, [[False, False, True, True], [False] * 4, [True] * 4])


def test_masklm_gathers_the_hand_picked_positions():
    ember.manual_seed(0)
    X = ember.randn(2, 6, H)
    pred_positions = ember.tensor([[1, 5, 2], [0, 0, 4]])
    gathered = MaskLM.gather(X, pred_positions).numpy()
    x = X.numpy()
    expected = np.stack([np.stack([x[0, 1], x[0, 5], x[0, 2]]), np.stack([x[1, 0], x[1, 0], x[1, 4]])])
    np.testing.assert_array_equal(gathered, expected)
    mlm = MaskLM(V, H)
    out = mlm(X, pred_positions)
    assert tuple(out.shape) == (2, 3, V)
    np.testing.assert_allclose(out.detach().numpy(), mlm.mlp(ember.tensor(expected)).detach().numpy(), rtol=1e-6)


def test_masklm_rejects_bad_positions_shape():
    with pytest.raises(ValueError, match="pred_positions"):
        MaskLM(V, H)(ember.randn(2, 6, H), ember.tensor([1, 2]))


def test_encoder_rejects_too_long_and_mismatched_inputs():
    net = BERTEncoder(V, H, FFN, HEADS, 1, dropout=0.0, max_len=4)
    with pytest.raises(ValueError, match="max_len=4"):
        net(ember.zeros(1, 5, dtype=ember.long), ember.zeros(1, 5, dtype=ember.long))
    with pytest.raises(ValueError, match="segments"):
        net(ember.zeros(1, 3, dtype=ember.long), ember.zeros(1, 4, dtype=ember.long))


def test_bert_model_shapes_and_registry():
    ember.manual_seed(0)
    net = get_model("bert-mini", vocab_size=V, num_hiddens=H, ffn_num_hiddens=FFN, num_heads=HEADS,
                    num_blks=BLKS, max_len=MAXLEN)
    assert isinstance(net, BERTModel)
    tokens, segments, valid_lens = _inputs()
    enc, mlm, nsp = net(ember.tensor(tokens), ember.tensor(segments), ember.tensor(valid_lens),
                        ember.tensor([[1, 2], [3, 0], [2, 2]]))
    assert tuple(enc.shape) == (3, 9, H) and tuple(mlm.shape) == (3, 2, V) and tuple(nsp.shape) == (3, 2)
    assert net(ember.tensor(tokens), ember.tensor(segments))[1] is None
    clf = BERTClassifier(net, num_classes=3)
    assert tuple(clf(ember.tensor(tokens), ember.tensor(segments), ember.tensor(valid_lens)).shape) == (3, 3)
    assert clf.encoder is net.encoder                 # fine-tuning shares the pre-trained encoder


def test_pretrain_loss_matches_hand_computation():
    rng = np.random.default_rng(0)
    mlm_hat = rng.standard_normal((2, 3, V)).astype(np.float32)
    nsp_hat = rng.standard_normal((2, 2)).astype(np.float32)
    mlm_y = rng.integers(0, V, (2, 3))
    weights = np.array([[1, 1, 0], [1, 0, 0]], np.float32)
    nsp_y = np.array([1, 0])
    total, mlm_l, nsp_l = bert_pretrain_loss(ember.tensor(mlm_hat), ember.tensor(nsp_hat), ember.tensor(mlm_y),
                                             ember.tensor(weights), ember.tensor(nsp_y))

    def ce(logits, label):
        return np.log(np.exp(logits).sum()) - logits[label]
    real = [(0, 0), (0, 1), (1, 0)]                    # the predictions with weight 1
    expected_mlm = sum(ce(mlm_hat[b, p], mlm_y[b, p]) for b, p in real) / 3
    expected_nsp = (ce(nsp_hat[0], 1) + ce(nsp_hat[1], 0)) / 2
    assert float(mlm_l) == pytest.approx(expected_mlm, rel=1e-5)
    assert float(nsp_l) == pytest.approx(expected_nsp, rel=1e-5)
    assert float(total) == pytest.approx(expected_mlm + expected_nsp, rel=1e-5)


def test_pretraining_loss_decreases():
    ember.manual_seed(0)
    net = BERTModel(V, H, FFN, HEADS, BLKS, dropout=0.0, max_len=MAXLEN)
    opt = ember.optim.Adam(net.parameters(), lr=3e-3)
    tokens, segments, valid_lens = (ember.tensor(a) for a in _inputs(batch=8, seq=10, seed=5))
    pred_positions = ember.tensor(np.tile([1, 3, 5], (8, 1)))
    mlm_y = ember.tensor(np.random.default_rng(6).integers(0, V, (8, 3)))
    weights, nsp_y = ember.ones(8, 3), ember.tensor([0, 1] * 4)
    losses = []
    for _ in range(25):
        _, mlm, nsp = net(tokens, segments, valid_lens, pred_positions)
        loss = bert_pretrain_loss(mlm, nsp, mlm_y, weights, nsp_y)[0]
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.6 * losses[0]
