"""``ember.nn.functional``: the pure functions behind the layers (activations, losses, conv, pooling, norms).

The ops live in ``ember/ops/<family>.py`` and register themselves with ``@functional``; this module only
re-exports them so that ``import ember.nn.functional as F`` reads like PyTorch.
"""
from ..ops import FUNCTIONAL as _FUNCTIONAL

globals().update(_FUNCTIONAL)
