"""Random numbers: ``Generator``, ``manual_seed`` and the sampling functions.

Each ``Generator`` owns a NumPy PCG64 bit generator, so a seed gives the same numbers on every run and platform
(within ember; bit-matching PyTorch's Mersenne Twister is not a goal). Samples are drawn on the host and moved to
the tensor's device.
"""
import numpy as np

from .._tensor import Tensor
from .._dtype import get_default_dtype, to_dtype, int64, FLOAT
from ._util import export, method
from .shape import _shape_arg
from .creation import _finish


class Generator:
    """``ember.Generator(device='cpu')``: an independent random stream (``manual_seed``, ``get_state``...)."""

    def __init__(self, device="cpu"):
        from ..backend import device as _device
        self.device = _device(device)
        self._seed = 67280421310721   # PyTorch's default seed
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed):
        seed = int(seed)
        if seed < 0:
            seed += 2 ** 64
        self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self):
        s = int(np.random.SeedSequence().entropy % (2 ** 63))
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The state as a uint8 tensor (it round-trips through ``set_state`` and checkpoints)."""
        import json
        st = json.dumps(self._rng.bit_generator.state).encode()
        return Tensor._make(np.frombuffer(st, dtype=np.uint8).copy())

    def set_state(self, new_state):
        import json
        if not isinstance(new_state, Tensor) or new_state._data.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        try:
            state = json.loads(bytes(new_state.cpu()._data).decode())
            self._rng.bit_generator.state = state
        except (ValueError, TypeError, KeyError, UnicodeDecodeError):
            raise RuntimeError("Expected either a PhiloxState or a valid ember generator state (a tensor made by "
                               "get_state())") from None
        return self


default_generator = Generator()


def _rng(generator):
    return (generator or default_generator)._rng


@export("manual_seed", method=False)
def manual_seed(seed):
    """Seed the default generator (returns it), like ``torch.manual_seed``."""
    return default_generator.manual_seed(seed)


@export("seed", method=False)
def seed():
    return default_generator.seed()


@export("initial_seed", method=False)
def initial_seed():
    return default_generator.initial_seed()


@export("get_rng_state", method=False)
def get_rng_state():
    return default_generator.get_state()


@export("set_rng_state", method=False)
def set_rng_state(new_state):
    default_generator.set_state(new_state)


_TORCH_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _float_dtype(dtype, op):
    dt = to_dtype(dtype) if dtype is not None else get_default_dtype()
    if dt.category != FLOAT:
        raise NotImplementedError(f"\"{op}\" not implemented for '{_TORCH_NAMES[dt.name]}'")
    return dt


def _size(size):
    shape = _shape_arg(size)
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
    return shape


@export("rand", method=False)
def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    dt = _float_dtype(dtype, "check_uniform_bounds")
    arr = _rng(generator).random(_size(size), dtype=np.float64).astype(dt.np)
    return _finish(arr, dt, device, requires_grad)


@export("randn", method=False)
def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    dt = _float_dtype(dtype, "normal_kernel_cpu")
    arr = _rng(generator).standard_normal(_size(size), dtype=np.float64).astype(dt.np)
    return _finish(arr, dt, device, requires_grad)


@export("randint", method=False)
def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False):
    if size is None:  # randint(high, size)
        if high is None:
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dt = to_dtype(dtype) if dtype is not None else int64
    arr = _rng(generator).integers(low, high, _size((size,))).astype(dt.np)
    return _finish(arr, dt, device, requires_grad)


@export("rand_like", method=False)
def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None, layout=None,
              memory_format=None):
    return rand(input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad,
                generator=generator)


@export("randn_like", method=False)
def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None, layout=None,
               memory_format=None):
    return randn(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad, generator=generator)


@export("randint_like", method=False)
def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False, generator=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype, device=device or input.device,
                   generator=generator)


@export("randperm", method=False)
def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dt = to_dtype(dtype) if dtype is not None else int64
    return _finish(_rng(generator).permutation(n).astype(dt.np), dt, device, requires_grad)


@export("normal", method=False)
def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, device=None,
           requires_grad=False):
    """``normal(mean, std)`` with tensor or float arguments (broadcast), or ``normal(mean, std, size)``."""
    rng = _rng(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        if isinstance(s, np.ndarray) and (s < 0).any() or (not isinstance(s, np.ndarray) and s < 0):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        arr = (m + s * rng.standard_normal(shape)).astype(ref._data.dtype)
        return Tensor._make(arr)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    if size is None:
        raise TypeError("normal() missing required argument 'size'")
    dt = _float_dtype(dtype, "normal_kernel_cpu")
    arr = (mean + std * rng.standard_normal(_size((size,)))).astype(dt.np)
    return _finish(arr, dt, device, requires_grad)


@export("bernoulli")
def bernoulli(input, p=None, *, generator=None, out=None):
    probs = input._data if p is None else np.full(input._data.shape, p)
    host = probs if type(probs) is np.ndarray else probs.get()
    if ((host < 0) | (host > 1)).any():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    arr = (_rng(generator).random(host.shape) < host).astype(input._data.dtype)
    return _finish(arr, None, input.device if input.device.type != "cpu" else None, False)


@export("multinomial")
def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Sample indices from the rows of ``input`` (unnormalised non-negative weights)."""
    p = input.detach().cpu()._data.astype(np.float64)
    if p.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if (p < 0).any() or not np.isfinite(p).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = p.reshape(-1, p.shape[-1])
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rng = _rng(generator)
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for i, r in enumerate(rows):
        tot = r.sum()
        if tot <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if replacement:
            out[i] = rng.choice(r.size, num_samples, replace=True, p=r / tot)
        else:
            nz = np.count_nonzero(r)
            if num_samples > nz:
                raise RuntimeError("invalid multinomial distribution (with replacement=False, not enough "
                                   "non-negative category to sample)")
            out[i] = rng.choice(r.size, num_samples, replace=False, p=r / tot)
    out = out.reshape(p.shape[:-1] + (num_samples,))
    return _finish(out, int64, input.device if input.device.type != "cpu" else None, False)


@export("poisson")
def poisson(input, generator=None):
    arr = _rng(generator).poisson(input.detach().cpu()._data).astype(input._data.dtype)
    return _finish(arr, None, input.device if input.device.type != "cpu" else None, False)


# ------------------------------------------------------------------------------------------- in-place samplers
def _fill_sample(self, arr):
    """Write host samples ``arr`` into this tensor (no autograd: PyTorch's samplers are not differentiable)."""
    self._check_inplace()
    from ..backend import to_device
    self._data[...] = arr if self.device.type == "cpu" else to_device(arr, self.device)
    self._version[0] += 1
    return self


@method("uniform_")
def uniform_(self, a=0.0, b=1.0, *, generator=None, **kw):
    a, b = kw.get("from", a), kw.get("to", b)
    return _fill_sample(self, _rng(generator).uniform(a, b, self._data.shape))


@method("normal_")
def normal_(self, mean=0.0, std=1.0, *, generator=None):
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return _fill_sample(self, mean + std * _rng(generator).standard_normal(self._data.shape))


@method("bernoulli_")
def bernoulli_(self, p=0.5, *, generator=None):
    probs = p._data if isinstance(p, Tensor) else p
    return _fill_sample(self, _rng(generator).random(self._data.shape) < probs)


@method("random_")
def random_(self, from_=0, to=None, *, generator=None):
    if to is None:
        from_, to = 0, (from_ if from_ else (2 ** 24 if self._data.dtype.kind == "f" else
                                             np.iinfo(self._data.dtype).max))
    return _fill_sample(self, _rng(generator).integers(from_, to, self._data.shape))


@method("exponential_")
def exponential_(self, lambd=1.0, *, generator=None):
    return _fill_sample(self, _rng(generator).exponential(1.0 / lambd, self._data.shape))


@method("geometric_")
def geometric_(self, p, *, generator=None):
    return _fill_sample(self, _rng(generator).geometric(p, self._data.shape))


@method("log_normal_")
def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    return _fill_sample(self, _rng(generator).lognormal(mean, std, self._data.shape))


@method("cauchy_")
def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    return _fill_sample(self, median + sigma * _rng(generator).standard_cauchy(self._data.shape))
