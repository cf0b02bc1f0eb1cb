"""Error parity for conv/pooling/pad/interpolate: the same bad call raises the same exception type on torch and
ember, with a message naming the problem."""
import numpy as np
import pytest
import torch

import ember


def _x(lib, *shape, dtype="float32"):
    return lib.from_numpy(np.ones(shape, dtype=dtype))


CASES = {
    "conv2d channels": (lambda L: L.nn.functional.conv2d(_x(L, 2, 4, 5, 5), _x(L, 6, 3, 3, 3)), "channels"),
    "conv2d groups input": (lambda L: L.nn.functional.conv2d(_x(L, 2, 4, 5, 5), _x(L, 6, 4, 3, 3), groups=3),
                            "channels"),
    "conv2d groups weight": (lambda L: L.nn.functional.conv2d(_x(L, 2, 4, 5, 5), _x(L, 5, 2, 3, 3), groups=2),
                             "divisible"),
    "conv2d input dims": (lambda L: L.nn.functional.conv2d(_x(L, 4, 5), _x(L, 6, 4, 3, 3)), "input"),
    "conv2d kernel too big": (lambda L: L.nn.functional.conv2d(_x(L, 2, 4, 5, 5), _x(L, 6, 4, 7, 7)),
                              "Kernel size"),
    "conv2d same strided": (lambda L: L.nn.functional.conv2d(_x(L, 2, 4, 5, 5), _x(L, 6, 4, 3, 3),
                                                              padding="same", stride=2), "strided"),
    "conv2d bad padding string": (lambda L: L.nn.functional.conv2d(_x(L, 2, 4, 5, 5), _x(L, 6, 4, 3, 3),
                                                                    padding="foo"), "padding"),
    "conv2d negative padding": (lambda L: L.nn.functional.conv2d(_x(L, 2, 4, 5, 5), _x(L, 6, 4, 3, 3),
                                                                  padding=-1), "negative"),
    "conv2d zero stride": (lambda L: L.nn.functional.conv2d(_x(L, 2, 4, 5, 5), _x(L, 6, 4, 3, 3), stride=0),
                           "stride"),
    "conv2d zero dilation": (lambda L: L.nn.functional.conv2d(_x(L, 2, 4, 5, 5), _x(L, 6, 4, 3, 3),
                                                               dilation=0), "dilation"),
    "conv2d zero groups": (lambda L: L.nn.functional.conv2d(_x(L, 2, 4, 5, 5), _x(L, 6, 4, 3, 3), groups=0),
                           "groups"),
    "conv2d bias shape": (lambda L: L.nn.functional.conv2d(_x(L, 2, 4, 5, 5), _x(L, 6, 4, 3, 3), _x(L, 5)),
                          "bias"),
    "conv2d dtype mismatch": (lambda L: L.nn.functional.conv2d(_x(L, 2, 4, 5, 5), _x(L, 6, 4, 3, 3,
                                                                                    dtype="float64")), "type"),
    "conv2d stride length": (lambda L: L.nn.functional.conv2d(_x(L, 2, 4, 5, 5), _x(L, 6, 4, 3, 3),
                                                               stride=(1, 1, 1)), "stride"),
    "conv2d input not tensor": (lambda L: L.nn.functional.conv2d(np.ones((2, 4, 5, 5)), _x(L, 6, 4, 3, 3)),
                                "Tensor"),
    "conv1d channels": (lambda L: L.nn.functional.conv1d(_x(L, 2, 4, 5), _x(L, 6, 3, 3)), "channels"),
    "conv_transpose2d channels": (lambda L: L.nn.functional.conv_transpose2d(_x(L, 2, 4, 5, 5),
                                                                              _x(L, 3, 3, 3, 3)), "channels"),
    "conv_transpose2d output_padding": (lambda L: L.nn.functional.conv_transpose2d(
        _x(L, 2, 4, 5, 5), _x(L, 4, 3, 3, 3), stride=2, output_padding=2), "output padding"),
    "unfold 2-d": (lambda L: L.nn.functional.unfold(_x(L, 5, 5), 2), None),
    "fold blocks": (lambda L: L.nn.functional.fold(_x(L, 2, 12, 5), (3, 3), 2), "sliding blocks"),
    "fold divisible": (lambda L: L.nn.functional.fold(_x(L, 2, 10, 4), (3, 3), 2), "divisible"),
    "max_pool2d pad too big": (lambda L: L.nn.functional.max_pool2d(_x(L, 2, 4, 5, 5), 3, padding=2), "pad"),
    "max_pool2d output too small": (lambda L: L.nn.functional.max_pool2d(_x(L, 2, 4, 5, 5), 7), "too small"),
    "max_pool2d 2-d input": (lambda L: L.nn.functional.max_pool2d(_x(L, 5, 5), 2), "3D or 4D"),
    "max_pool2d zero stride": (lambda L: L.nn.functional.max_pool2d(_x(L, 2, 4, 5, 5), 2, stride=0), "stride"),
    "avg_pool2d pad too big": (lambda L: L.nn.functional.avg_pool2d(_x(L, 2, 4, 5, 5), 2, padding=2), "pad"),
    "avg_pool2d divisor zero": (lambda L: L.nn.functional.avg_pool2d(_x(L, 2, 4, 5, 5), 2, divisor_override=0),
                                "divisor"),
    "adaptive_avg_pool2d output_size length": (lambda L: L.nn.functional.adaptive_avg_pool2d(
        _x(L, 2, 4, 5, 5), (1, 2, 3)), "output_size"),
    "max_unpool2d output_size": (lambda L: L.nn.functional.max_unpool2d(
        _x(L, 2, 4, 5, 5), L.zeros((2, 4, 5, 5), dtype=L.int64), 2, output_size=(3, 3)), "output_size"),
    "pad odd length": (lambda L: L.nn.functional.pad(_x(L, 2, 4, 5, 5), (1, 2, 3)), "divisible by 2"),
    "pad too long": (lambda L: L.nn.functional.pad(_x(L, 2, 4), (1, 1) * 3), "Padding length"),
    "pad reflect too big": (lambda L: L.nn.functional.pad(_x(L, 1, 1, 4, 4), (5, 5, 1, 1), mode="reflect"),
                            "Padding size"),
    "pad circular wraps twice": (lambda L: L.nn.functional.pad(_x(L, 1, 1, 4, 4), (5, 5, 1, 1),
                                                                mode="circular"), "wrapping"),
    "pad reflect dims": (lambda L: L.nn.functional.pad(_x(L, 2, 4, 5, 5), (1, 1), mode="reflect"),
                         "not supported"),
    "pad bad mode": (lambda L: L.nn.functional.pad(_x(L, 2, 4, 5, 5), (1, 1), mode="foo"), "mode"),
    "pad reflect value": (lambda L: L.nn.functional.pad(_x(L, 2, 4, 5, 5), (1, 1), mode="reflect", value=1.0),
                          "value"),
    "pad negative size": (lambda L: L.nn.functional.pad(_x(L, 2, 4, 5, 5), (-3, -3)), None),
    "interpolate size and scale": (lambda L: L.nn.functional.interpolate(_x(L, 1, 1, 4, 4), size=3,
                                                                          scale_factor=2), "only one"),
    "interpolate neither": (lambda L: L.nn.functional.interpolate(_x(L, 1, 1, 4, 4)), "either"),
    "interpolate mode dims": (lambda L: L.nn.functional.interpolate(_x(L, 1, 1, 4, 4), size=3, mode="linear"),
                              "3D"),
    "interpolate align_corners nearest": (lambda L: L.nn.functional.interpolate(
        _x(L, 1, 1, 4, 4), size=3, align_corners=True), "align_corners"),
    "interpolate bad mode": (lambda L: L.nn.functional.interpolate(_x(L, 1, 1, 4, 4), size=3, mode="foo"),
                             "foo"),
    "pixel_shuffle channels": (lambda L: L.nn.functional.pixel_shuffle(_x(L, 2, 4, 5, 5), 3), "divisible"),
    "pixel_unshuffle height": (lambda L: L.nn.functional.pixel_unshuffle(_x(L, 2, 4, 5, 5), 2), "divisible"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_error_parity(name):
    fn, words = CASES[name]
    with pytest.raises(Exception) as t_err:
        fn(torch)
    with pytest.raises(Exception) as e_err:
        fn(ember)
    assert type(e_err.value) is type(t_err.value), (name, e_err.value, t_err.value)
    if words is not None:
        assert words.lower() in str(e_err.value).lower(), (name, str(e_err.value))


def test_upsample_warns_like_torch():
    with pytest.warns(UserWarning, match="deprecated"):
        y = ember.nn.functional.upsample(_x(ember, 1, 1, 2, 2), scale_factor=2)
    assert tuple(y.shape) == (1, 1, 4, 4)


def test_max_pool_nan_propagates():
    a = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    a[0, 0, 0, 1] = np.nan
    t = torch.nn.functional.max_pool2d(torch.from_numpy(a), 2, return_indices=True)
    e = ember.nn.functional.max_pool2d(ember.from_numpy(a), 2, return_indices=True)
    np.testing.assert_array_equal(e[0].numpy(), t[0].numpy())
    np.testing.assert_array_equal(e[1].numpy(), t[1].numpy())


def test_conv_integer_and_torch_namespace():
    x = np.arange(2 * 3 * 5 * 5).reshape(2, 3, 5, 5)
    w = np.ones((4, 3, 2, 2), dtype=np.int64)
    t = torch.conv2d(torch.from_numpy(x), torch.from_numpy(w), stride=2)
    e = ember.conv2d(ember.from_numpy(x), ember.from_numpy(w), stride=2)
    assert str(e.dtype) == "ember.int64"
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_conv_output_views_like_torch():
    """Outputs are contiguous, so .view works on them as in PyTorch."""
    x = ember.randn(3, 2, 6, 6)
    y = ember.nn.functional.conv2d(x, ember.randn(4, 2, 3, 3))
    assert tuple(y.view(3, -1).shape) == (3, 64)
    z = ember.nn.functional.max_pool2d(y, 2)
    assert tuple(z.view(3, -1).shape) == (3, 16)


def test_conv_backward_twice_with_retain_graph():
    x = ember.randn(2, 3, 5, 5, requires_grad=True)
    w = ember.randn(4, 3, 3, 3, requires_grad=True)
    y = ember.nn.functional.conv2d(x, w, padding=1).sum()
    y.backward(retain_graph=True)
    g1 = w.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * g1, rtol=1e-5)
