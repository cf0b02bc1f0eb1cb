"""Per-op overhead: a chain of 100 elementwise ops on 64-element tensors, forward + backward.

The issue's target: ember's time <= 2x PyTorch's. This measures Python dispatch, graph recording and the
backward engine, not arithmetic.
"""
import _harness  # noqa: F401  (pins threads first)
from _harness import compare

import numpy as np
import torch

import ember


def chain(lib, x, w):
    y = x
    for i in range(25):          # 4 ops per round: 100 ops
        y = y * w
        y = y + 0.5
        y = y.tanh()
        y = y - x
    return y.sum()


def run_once(lib, x0, w0):
    def step():
        x = lib.from_numpy(x0).requires_grad_()
        w = lib.from_numpy(w0).requires_grad_()
        chain(lib, x, w).backward()
        return x.grad
    return step


def main():
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal(64).astype(np.float32)
    w0 = rng.standard_normal(64).astype(np.float32)
    e = run_once(ember, x0, w0)
    t = run_once(torch, x0, w0)
    np.testing.assert_allclose(e().numpy(), t().numpy(), rtol=1e-4, atol=1e-5)
    compare("100 elementwise ops (64 elems), fwd+bwd", e, t)


if __name__ == "__main__":
    main()
