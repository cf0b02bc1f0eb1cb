"""ember.nn: layers, losses and containers with PyTorch's contracts."""
from . import functional  # noqa: F401
