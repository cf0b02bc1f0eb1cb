"""max_pool2d's winner rule against PyTorch on the cases the fast mask arithmetic must get right: ties (the first
offset wins: after a ReLU most windows are all-zero ties), NaNs (the last NaN wins, as in PyTorch's kernel) and an
infinite upstream gradient (it must not leak NaNs to the positions that lost)."""
import numpy as np
import pytest
import torch

import ember


@pytest.mark.parametrize("kernel,stride", [(2, 2), (3, 2), (2, 1)])
@pytest.mark.parametrize("case", ["ties", "nan", "inf_grad"])
def test_max_pool2d_winner_matches_torch(kernel, stride, case):
    rng = np.random.default_rng(kernel * 10 + stride)
    x = rng.integers(0, 3, (2, 3, 7, 6)).astype(np.float32)     # small integers: many ties
    if case == "nan":
        x[rng.random(x.shape) < 0.15] = np.nan
    res = []
    for lib in (torch, ember):
        X = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.max_pool2d(X, kernel, stride)
        g = rng.standard_normal(tuple(y.shape)).astype(np.float32) if lib is torch else g
        if case == "inf_grad" and lib is torch:
            g[0, 0, 0, 0] = np.inf
        y.backward(lib.tensor(g))
        res.append((y.detach().numpy(), X.grad.numpy()))
    np.testing.assert_array_equal(res[1][0], res[0][0])
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-6, atol=1e-6)


def test_max_pool2d_all_zero_windows_send_gradient_to_first_offset():
    x = np.zeros((1, 1, 2, 2), np.float32)
    X = ember.tensor(x, requires_grad=True)
    ember.nn.functional.max_pool2d(X, 2).sum().backward()
    np.testing.assert_array_equal(X.grad.numpy().ravel(), [1, 0, 0, 0])
