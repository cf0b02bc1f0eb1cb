"""ember's op library: one module per family; importing it attaches every op to ``Tensor``."""
from . import _util, elementwise, shape, reduce, creation, random  # noqa: F401
from ._util import PUBLIC  # noqa: F401
