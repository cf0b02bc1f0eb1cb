"""Error parity for nn.functional (activations, losses, normalisation): the same bad call raises the same
exception type on PyTorch and ember, and ember's message names the op/argument where PyTorch's does."""
import warnings

import numpy as np
import pytest
import torch

import ember


def _t(lib, a):
    return lib.from_numpy(np.asarray(a).copy())


X = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
L = np.array([0, 1, 2], dtype=np.int64)

CASES = {
    "softmax_int": lambda lib: lib.softmax(_t(lib, L), 0),
    "softmax_dim": lambda lib: lib.nn.functional.softmax(_t(lib, X), 5),
    "gelu_approx": lambda lib: lib.nn.functional.gelu(_t(lib, X), approximate="foo"),
    "glu_odd": lambda lib: lib.nn.functional.glu(_t(lib, X[:, :3])),
    "prelu_channels": lambda lib: lib.nn.functional.prelu(_t(lib, X), _t(lib, np.ones(2, np.float32))),
    "dropout_p": lambda lib: lib.nn.functional.dropout(_t(lib, X), 1.5),
    "dropout_neg_p": lambda lib: lib.nn.functional.alpha_dropout(_t(lib, X), -0.1),
    "dropout1d_4d": lambda lib: lib.nn.functional.dropout1d(_t(lib, X.reshape(1, 1, 3, 4))),
    "elu_int": lambda lib: lib.nn.functional.elu(_t(lib, L)),
    "leaky_relu_int": lambda lib: lib.nn.functional.leaky_relu(_t(lib, L)),
    "hardtanh_minmax": lambda lib: lib.nn.functional.hardtanh(_t(lib, X), 2.0, 1.0),
    "softshrink_lambda": lambda lib: lib.nn.functional.softshrink(_t(lib, X), -1.0),
    "nll_batch": lambda lib: lib.nn.functional.nll_loss(_t(lib, X), _t(lib, L[:2])),
    "nll_oob": lambda lib: lib.nn.functional.nll_loss(_t(lib, X), _t(lib, np.array([0, 1, 7]))),
    "nll_neg": lambda lib: lib.nn.functional.nll_loss(_t(lib, X), _t(lib, np.array([0, 1, -3]))),
    "nll_int32": lambda lib: lib.nn.functional.nll_loss(_t(lib, X), _t(lib, L.astype(np.int32))),
    "nll_float_target": lambda lib: lib.nn.functional.nll_loss(_t(lib, X), _t(lib, L.astype(np.float32))),
    "nll_0d": lambda lib: lib.nn.functional.nll_loss(_t(lib, np.float32(1)), _t(lib, np.int64(0))),
    "nll_kdim": lambda lib: lib.nn.functional.nll_loss(_t(lib, np.zeros((2, 3, 4), np.float32)),
                                                       _t(lib, np.zeros((2, 3), np.int64))),
    "ce_weight_size": lambda lib: lib.nn.functional.cross_entropy(_t(lib, X), _t(lib, L),
                                                                  weight=_t(lib, np.ones(3, np.float32))),
    "ce_weight_dtype": lambda lib: lib.nn.functional.cross_entropy(_t(lib, X), _t(lib, L),
                                                                   weight=_t(lib, np.ones(4))),
    "ce_multi_target": lambda lib: lib.nn.functional.cross_entropy(_t(lib, X), _t(lib, np.zeros((3, 5),
                                                                                                np.float32))),
    "ce_smoothing": lambda lib: lib.nn.functional.cross_entropy(_t(lib, X), _t(lib, L), label_smoothing=1.5),
    "ce_reduction": lambda lib: lib.nn.functional.cross_entropy(_t(lib, X), _t(lib, L), reduction="foo"),
    "bce_range": lambda lib: lib.nn.functional.binary_cross_entropy(_t(lib, X * 5), _t(lib, X)),
    "bce_size": lambda lib: lib.nn.functional.binary_cross_entropy(_t(lib, np.full(4, 0.5, np.float32)),
                                                                   _t(lib, np.full((3, 4), 0.5, np.float32))),
    "bce_logits_size": lambda lib: lib.nn.functional.binary_cross_entropy_with_logits(_t(lib, X[0]), _t(lib, X)),
    "mse_weight_size": lambda lib: lib.nn.functional.mse_loss(_t(lib, X), _t(lib, X),
                                                              weight=_t(lib, np.ones(4, np.float32))),
    "mse_broadcast": lambda lib: lib.nn.functional.mse_loss(_t(lib, X), _t(lib, np.ones(5, np.float32))),
    "multi_margin_p": lambda lib: lib.nn.functional.multi_margin_loss(_t(lib, X), _t(lib, L), p=3),
    "cos_emb_target": lambda lib: lib.nn.functional.cosine_embedding_loss(_t(lib, X), _t(lib, X),
                                                                          _t(lib, np.ones((3, 1), np.float32))),
    "triplet_margin": lambda lib: lib.nn.functional.triplet_margin_loss(_t(lib, X), _t(lib, X), _t(lib, X),
                                                                        margin=0),
    "gaussian_var_size": lambda lib: lib.nn.functional.gaussian_nll_loss(_t(lib, X), _t(lib, X),
                                                                         _t(lib, np.ones((3, 2), np.float32))),
    "gaussian_var_neg": lambda lib: lib.nn.functional.gaussian_nll_loss(_t(lib, X), _t(lib, X), -1.0),
    "linear_shapes": lambda lib: lib.nn.functional.linear(_t(lib, X), _t(lib, np.ones((5, 3), np.float32))),
    "linear_dtype": lambda lib: lib.nn.functional.linear(_t(lib, X), _t(lib, np.ones((5, 4)))),
    "bn_train_one": lambda lib: lib.nn.functional.batch_norm(_t(lib, X[:1]), None, None, training=True),
    "bn_running_size": lambda lib: lib.nn.functional.batch_norm(_t(lib, X), _t(lib, np.zeros(3, np.float32)),
                                                                _t(lib, np.ones(3, np.float32))),
    "ln_shape": lambda lib: lib.nn.functional.layer_norm(_t(lib, X), (3,)),
    "ln_weight": lambda lib: lib.nn.functional.layer_norm(_t(lib, X), (4,), _t(lib, np.ones(3, np.float32))),
    "gn_groups": lambda lib: lib.nn.functional.group_norm(_t(lib, np.zeros((2, 6, 4), np.float32)), 4),
    "in_spatial": lambda lib: lib.nn.functional.instance_norm(_t(lib, np.zeros((2, 3, 1), np.float32))),
    "lrn_dim": lambda lib: lib.nn.functional.local_response_norm(_t(lib, X), 2),
    "embedding_float_idx": lambda lib: lib.nn.functional.embedding(_t(lib, X), _t(lib, X)),
    "embedding_oob": lambda lib: lib.nn.functional.embedding(_t(lib, np.array([0, 9])), _t(lib, X)),
    "one_hot_dtype": lambda lib: lib.nn.functional.one_hot(_t(lib, L.astype(np.int32))),
    "one_hot_neg": lambda lib: lib.nn.functional.one_hot(_t(lib, np.array([-1, 0]))),
    "one_hot_big": lambda lib: lib.nn.functional.one_hot(_t(lib, L), 2),
    "one_hot_empty": lambda lib: lib.nn.functional.one_hot(_t(lib, np.zeros(0, np.int64))),
}


def _raise(lib, fn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(Exception) as info:
            fn(lib)
    return info.value


@pytest.mark.parametrize("name", sorted(CASES))
def test_error_parity(name):
    fn = CASES[name]
    te = _raise(torch, fn)
    ee = _raise(ember, fn)
    assert type(ee).__name__ == type(te).__name__, f"{name}: ember raised {type(ee).__name__}: {ee}, torch " \
                                                   f"{type(te).__name__}: {te}"


@pytest.mark.parametrize("name", ["nll_batch", "nll_oob", "nll_int32", "ce_weight_size", "ce_smoothing",
                                  "bce_range", "dropout_p", "ln_shape", "gn_groups", "one_hot_dtype",
                                  "hardtanh_minmax", "glu_odd", "prelu_channels", "bn_train_one",
                                  "multi_margin_p", "triplet_margin", "embedding_oob", "gelu_approx"])
def test_error_messages_match(name):
    te = _raise(torch, CASES[name])
    ee = _raise(ember, CASES[name])
    assert str(ee) == str(te)


def test_softmax_requires_dim():
    x = ember.ones(2, 3)
    with pytest.raises(TypeError):
        ember.softmax(x)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = ember.nn.functional.softmax(x)
    assert np.allclose(y.numpy().sum(1), 1)
