"""Run the same code on PyTorch and ember and compare: values, dtypes, shapes, gradients."""
import numpy as np
import torch

import ember


def to_numpy(x):
    if isinstance(x, torch.Tensor):
        return x.detach().numpy(force=True) if getattr(x, "_is_zerotensor", lambda: False)() else x.detach().numpy()
    if isinstance(x, ember.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def make_inputs(lib, args, requires_grad, device="cpu"):
    """numpy arrays -> tensors of ``lib`` (sharing the exact strides); float arrays require grad."""
    out = []
    for a in args:
        if isinstance(a, np.ndarray):
            t = lib.from_numpy(a.copy() if lib is torch and not a.flags.writeable else a)
            if lib is ember and device != "cpu":
                t = t.to(device)
            if requires_grad and a.dtype.kind == "f":
                t.requires_grad_(True)
            out.append(t)
        else:
            out.append(a)
    return out


def flat_tensors(out, lib):
    if isinstance(out, lib.Tensor):
        return [out]
    res = []
    for o in out:
        res.extend(flat_tensors(o, lib) if isinstance(o, (tuple, list)) or isinstance(o, lib.Tensor) else [])
    return res


def assert_close(e, t, atol, rtol, what=""):
    en, tn = to_numpy(e), to_numpy(t)
    assert en.shape == tn.shape, f"{what}: shape {en.shape} != torch {tn.shape}"
    if tn.dtype.kind == "f":
        np.testing.assert_allclose(en.astype(np.float64), tn.astype(np.float64), atol=atol, rtol=rtol,
                                   equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(en, tn, err_msg=what)


def same_dtype(e, t):
    return str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
