"""ember's op library: one module per family; importing it attaches every op to ``Tensor`` and fills the
``ember.*`` (``PUBLIC``) and ``ember.nn.functional.*`` (``FUNCTIONAL``) registries."""
from . import _util, elementwise, shape, reduce, creation, random  # noqa: F401
from . import indexing, linalg, sort, activation, loss, normalization, conv, pooling  # noqa: F401
from ._util import PUBLIC, FUNCTIONAL  # noqa: F401
from .. import _tensor

_tensor.Size = shape.Size
from . import rnn  # noqa: F401,E402
from . import attention  # noqa: F401,E402
