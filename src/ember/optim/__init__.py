"""``ember.optim``: PyTorch's optimisers and learning-rate schedulers.

``import ember.optim as optim`` then ``optim.SGD(model.parameters(), lr=0.1, momentum=0.9)``; schedulers live
in ``ember.optim.lr_scheduler`` (``StepLR``, ``CosineAnnealingLR``, ``OneCycleLR``, ... and Caffe's ``InvLR`` and
``SigmoidLR`` as ember extensions).
"""
from .optimizer import Optimizer, register_optimizer_step_post_hook, register_optimizer_step_pre_hook  # noqa: F401
from .sgd import SGD  # noqa: F401
from .adam import Adam  # noqa: F401
from .adamw import AdamW  # noqa: F401
from .rmsprop import RMSprop  # noqa: F401
from .adagrad import Adagrad  # noqa: F401
from .adadelta import Adadelta  # noqa: F401
from .adamax import Adamax  # noqa: F401
from .nadam import NAdam  # noqa: F401
from .radam import RAdam  # noqa: F401
from . import lr_scheduler  # noqa: F401

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam",
           "lr_scheduler", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]
