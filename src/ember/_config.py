"""Global switches in one home: grad mode and anomaly mode.

Kept as one-element lists so the hot path reads them with a single index and no attribute lookup chain.
"""
import functools

grad_enabled = [True]
anomaly_enabled = [False]


class _DecoratorContextManager:
    """A context manager that also works as a decorator (``@no_grad()`` and ``@no_grad``)."""

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args):
                return func(*args, **kwargs)
        return wrapper

    _args = ()


class no_grad(_DecoratorContextManager):
    """Disable gradient recording inside the block (or the decorated function)."""

    def __new__(cls, func=None):
        self = super().__new__(cls)
        if callable(func):  # used as a bare decorator: @no_grad
            return self(func)
        return self

    def __init__(self, func=None):
        pass

    def __enter__(self):
        self.prev = grad_enabled[0]
        grad_enabled[0] = False

    def __exit__(self, *exc):
        grad_enabled[0] = self.prev


class enable_grad(no_grad):
    """Enable gradient recording inside the block, even within ``no_grad``."""

    def __enter__(self):
        self.prev = grad_enabled[0]
        grad_enabled[0] = True


class set_grad_enabled(_DecoratorContextManager):
    """Set grad mode to ``mode``; takes effect at once (like PyTorch) and restores on ``__exit__``."""

    def __init__(self, mode):
        self.prev = grad_enabled[0]
        self._args = (mode,)
        grad_enabled[0] = bool(mode)

    def __call__(self, func):
        grad_enabled[0] = self.prev   # used as a decorator: the mode applies only inside calls of ``func``
        return super().__call__(func)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        grad_enabled[0] = self.prev


class inference_mode(_DecoratorContextManager):
    """Like ``no_grad`` (ember keeps no separate inference tensors); ``inference_mode(False)`` is a no-op."""

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):
            self.mode = True
            return self(mode)
        return self

    def __init__(self, mode=True):
        if callable(mode):
            mode = True
        self.mode = bool(mode)
        self._args = (self.mode,)

    def __enter__(self):
        self.prev = grad_enabled[0]
        if self.mode:
            grad_enabled[0] = False

    def __exit__(self, *exc):
        grad_enabled[0] = self.prev


def is_grad_enabled():
    return grad_enabled[0]


def is_inference_mode_enabled():
    return False


class detect_anomaly(_DecoratorContextManager):
    """Check every op's forward output and every backward gradient for NaN/Inf; the error names the op."""

    def __init__(self, check_nan=True):
        self._args = (check_nan,)
        self.check_nan = check_nan
        import warnings
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self.prev = anomaly_enabled[0]
        anomaly_enabled[0] = self.check_nan

    def __exit__(self, *exc):
        anomaly_enabled[0] = self.prev


class set_detect_anomaly(_DecoratorContextManager):
    """Turn anomaly detection on or off at once; restores the previous setting on ``__exit__``."""

    def __init__(self, mode, check_nan=True):
        self._args = (mode, check_nan)
        self.prev = anomaly_enabled[0]
        anomaly_enabled[0] = bool(mode and check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        anomaly_enabled[0] = self.prev


def is_anomaly_enabled():
    return anomaly_enabled[0]
