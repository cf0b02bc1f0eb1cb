"""``ember.linalg``: PyTorch's ``torch.linalg`` (the functions live in ``ember/ops/linalg.py``)."""
from ..ops.linalg import LINALG as _LINALG, LinAlgError  # noqa: F401

globals().update(_LINALG)
__all__ = sorted(_LINALG) + ["LinAlgError"]
