"""The layers. Each family lives in its own module and is re-exported by ``ember.nn``."""
from .module import Module  # noqa: F401
from .container import Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict  # noqa: F401
from .flatten import Identity, Flatten, Unflatten  # noqa: F401
