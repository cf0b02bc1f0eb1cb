"""cross_entropy with class-index targets on (256, 1000) logits, forward + backward, ember vs PyTorch.

Target: ember's time <= 1.5x PyTorch's (same run, 2 threads pinned for both). Also times the pieces people
use around it (log_softmax + nll_loss, softmax) for context.
"""
import _harness  # noqa: F401  (pins threads first)
from _harness import compare

import numpy as np
import torch

import ember


def step_fn(lib, x0, t0, fn):
    t = lib.from_numpy(t0)

    def step():
        x = lib.from_numpy(x0).requires_grad_()
        fn(lib, x, t).backward()
        return x.grad
    return step


def ce(lib, x, t):
    return lib.nn.functional.cross_entropy(x, t)


def ce_smooth(lib, x, t):
    return lib.nn.functional.cross_entropy(x, t, label_smoothing=0.1)


def lsm_nll(lib, x, t):
    return lib.nn.functional.nll_loss(lib.nn.functional.log_softmax(x, 1), t)


def main():
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((256, 1000)).astype(np.float32)
    t0 = rng.integers(0, 1000, size=256).astype(np.int64)
    for name, fn in (("cross_entropy (256, 1000) fwd+bwd", ce),
                     ("cross_entropy label_smoothing fwd+bwd", ce_smooth),
                     ("log_softmax + nll_loss fwd+bwd", lsm_nll)):
        e = step_fn(ember, x0, t0, fn)
        t = step_fn(torch, x0, t0, fn)
        np.testing.assert_allclose(e().numpy(), t().numpy(), rtol=1e-4, atol=1e-6)
        compare(name, e, t)


if __name__ == "__main__":
    main()
