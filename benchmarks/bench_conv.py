"""conv2d forward + backward on (32, 16, 32, 32) input, 3x3 kernel, 16 -> 16 channels, padding 1, and the
LeNet-style max_pool2d (2x2, stride 2) fast path; ember vs PyTorch in one process, 2 threads each.

The issue's target for the convolution: ember's time <= 2x PyTorch's.
"""
import _harness  # noqa: F401  (pins threads first)
from _harness import compare

import numpy as np
import torch

import ember


def conv_step(lib, x0, w0, b0, g0):
    F = lib.nn.functional
    x = lib.from_numpy(x0).requires_grad_()
    w = lib.from_numpy(w0).requires_grad_()
    b = lib.from_numpy(b0).requires_grad_()
    g = lib.from_numpy(g0)

    def step():
        x.grad = w.grad = b.grad = None
        F.conv2d(x, w, b, padding=1).backward(g)
        return x.grad, w.grad, b.grad
    return step


def conv_fwd(lib, x0, w0, b0):
    F = lib.nn.functional
    x, w, b = lib.from_numpy(x0), lib.from_numpy(w0), lib.from_numpy(b0)
    return lambda: F.conv2d(x, w, b, padding=1)


def pool_step(lib, x0, g0):
    F = lib.nn.functional
    x = lib.from_numpy(x0).requires_grad_()
    g = lib.from_numpy(g0)

    def step():
        x.grad = None
        F.max_pool2d(x, 2).backward(g)
        return x.grad
    return step


def main():
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((32, 16, 32, 32)).astype(np.float32)
    w0 = rng.standard_normal((16, 16, 3, 3)).astype(np.float32) * 0.1
    b0 = rng.standard_normal(16).astype(np.float32)
    g0 = rng.standard_normal((32, 16, 32, 32)).astype(np.float32)
    e, t = conv_step(ember, x0, w0, b0, g0), conv_step(torch, x0, w0, b0, g0)
    for a, b in zip(e(), t()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-3, atol=1e-3)
    compare("conv2d (32,16,32,32) 3x3 16->16 fwd", conv_fwd(ember, x0, w0, b0), conv_fwd(torch, x0, w0, b0))
    r = compare("conv2d (32,16,32,32) 3x3 16->16 fwd+bwd", e, t)
    gp = rng.standard_normal((32, 16, 16, 16)).astype(np.float32)
    if not hasattr(ember.nn.functional, "max_pool2d"):
        return
    pe, pt = pool_step(ember, x0, gp), pool_step(torch, x0, gp)
    np.testing.assert_allclose(pe().numpy(), pt().numpy())
    compare("max_pool2d (32,16,32,32) 2x2 fwd+bwd", pe, pt)
    print(f"conv2d fwd+bwd ratio {r:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
