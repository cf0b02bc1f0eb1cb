"""matmul speed: ember vs PyTorch in one run, 2 BLAS threads for both (median of repeats, best of rounds).

The issue's target: 1024x1024 float32 ``a @ b`` forward + backward within 1.1x of PyTorch's time.
Run: python benchmarks/bench_matmul.py
"""
import _harness  # noqa: F401  (pins threads first)
from _harness import compare

import numpy as np
import torch

import ember


def fwd_bwd(lib, a0, b0, g0):
    def step():
        a = lib.from_numpy(a0).requires_grad_()
        b = lib.from_numpy(b0).requires_grad_()
        (a @ b).backward(lib.from_numpy(g0))
        return a.grad, b.grad
    return step


def fwd_bwd_sum(lib, a0, b0):
    def step():
        a = lib.from_numpy(a0).requires_grad_()
        b = lib.from_numpy(b0).requires_grad_()
        (a @ b).sum().backward()
        return a.grad, b.grad
    return step


def fwd(lib, a0, b0):
    a, b = lib.from_numpy(a0), lib.from_numpy(b0)
    return lambda: a @ b


def main():
    rng = np.random.default_rng(0)
    n = 1024
    a0, b0, g0 = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(3))
    e, t = fwd_bwd(ember, a0, b0, g0), fwd_bwd(torch, a0, b0, g0)
    for x, y in zip(e(), t()):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-3, atol=1e-2)
    ratios = [compare("matmul 1024x1024 f32 fwd+bwd", e, t, repeat=10, min_seconds=0.3)]
    ratios.append(compare("matmul 1024x1024 f32 fwd+bwd (.sum())", fwd_bwd_sum(ember, a0, b0),
                          fwd_bwd_sum(torch, a0, b0), repeat=10, min_seconds=0.3))
    compare("matmul 1024x1024 f32 forward", fwd(ember, a0, b0), fwd(torch, a0, b0), repeat=10, min_seconds=0.3)
    x0 = rng.standard_normal((32, 128, 256)).astype(np.float32)
    w0 = rng.standard_normal((256, 512)).astype(np.float32)
    g1 = rng.standard_normal((32, 128, 512)).astype(np.float32)
    compare("batched (32,128,256) @ (256,512) fwd+bwd", fwd_bwd(ember, x0, w0, g1), fwd_bwd(torch, x0, w0, g1),
            repeat=10, min_seconds=0.3)
    s0, s1 = (rng.standard_normal((16, 16)).astype(np.float32) for _ in range(2))
    compare("small 16x16 fwd+bwd (overhead)", fwd_bwd(ember, s0, s1, s0), fwd_bwd(torch, s0, s1, s0))
    print(f"target: 1024x1024 fwd+bwd ratio <= 1.10  ->  {'OK' if max(ratios) <= 1.1 else 'MISSED'}")


if __name__ == "__main__":
    main()
