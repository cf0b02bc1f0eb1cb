"""THE op table. Every op family has a module here (``op_db/<family>.py``) that defines ``OPS``, a list of
``OpInfo``; this package collects them all (any module added here is picked up, no registration needed).

An ``OpInfo`` says how to call the op on *either* framework: ``fn(lib, *args, **kwargs)`` is run once with
``lib=torch`` and once with ``lib=ember`` on the same inputs, and ``tests/test_ops.py`` compares forward values,
gradients with a random upstream gradient, and double gradients. Inputs come from:

* ``kind="unary"``: one float tensor of a hypothesis-drawn shape (0-d, size-1 and empty dims included);
* ``kind="binary"``: two float tensors of hypothesis-drawn broadcast-compatible shapes (and a scalar case);
* ``kind="custom"``: ``samples(rng, dtype)`` returns a list of ``Sample``s for ops with their own shape rules.

Every float input is also tried as a non-contiguous (permuted/strided) array. ``torch_fn=None`` means PyTorch has
no twin: the op is checked with float64 finite differences instead.
"""
import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np


@dataclass
class Sample:
    args: tuple                  # numpy arrays become tensors (float ones require grad); other values pass as-is
    kwargs: dict = field(default_factory=dict)
    name: str = ""


@dataclass
class OpInfo:
    name: str
    fn: Callable                                   # fn(lib, *args, **kwargs)
    kind: str = "unary"                            # unary | binary | custom
    samples: Optional[Callable] = None             # samples(rng, dtype) -> [Sample]   (kind="custom")
    torch_fn: Any = "same"                         # "same": fn with lib=torch; None: no twin (finite differences)
    domain: tuple = (-2.0, 2.0)                    # input values are drawn uniformly from here
    dtypes: tuple = ("float32", "float64")
    grad: bool = True
    gradgrad: bool = True
    atol: float = 1e-5                             # float32 tolerances; float64 uses 1e-10 / 1e-7
    rtol: float = 1.3e-5
    atol64: float = 1e-10
    rtol64: float = 1e-7
    noncontiguous: bool = True
    max_examples: int = 6
    avoid: Optional[Callable] = None               # avoid(x) -> bool mask of values to nudge away (kinks)
    nondeterministic_grad: bool = False            # e.g. ties whose gradient split differs: compare fwd only
    extra: dict = field(default_factory=dict)

    def tolerances(self, dtype):
        return (self.atol, self.rtol) if dtype == "float32" else (self.atol64, self.rtol64)


def all_ops():
    ops = []
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        m = importlib.import_module(f"{__name__}.{mod.name}")
        ops.extend(getattr(m, "OPS", []))
    names = [o.name for o in ops]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, f"duplicate op names in the op table: {dup}"
    return ops


def uniform(rng, shape, dtype, domain=(-2.0, 2.0)):
    lo, hi = domain
    return rng.uniform(lo, hi, size=shape).astype(dtype)
