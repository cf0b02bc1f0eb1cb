"""Normalisers fitted on data: per-channel mean/std, PCA and ZCA whitening, and the colour covariance that
``Lighting.fit`` uses.

``data`` is any of: a dataset (``ds[i] -> (image, target)``; its uint8 ``.data`` array is read directly when it
has one and no transform), a NumPy array N×H×W / N×H×W×C (a dataset's ``.data``) or N×D, or a Tensor N×C×H×W /
N×H×W / N×D. uint8 values are scaled to [0, 1], as ``ToTensor`` does, so the fitted statistics apply to the
tensors ``ToTensor`` makes.

    >>> mean, std = T.compute_mean_std(train_set)            # e.g. MNIST: (0.1307,), (0.3081,)
    >>> zca = T.ZCAWhitening(epsilon=1e-2).fit(train_set)
    >>> tf = T.Compose([T.ToTensor(), zca])
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from .transforms import Transform

__all__ = ["compute_mean_std", "channel_covariance", "PCAWhitening", "ZCAWhitening"]

_CHUNK = 4096


def _scale(a: np.ndarray) -> np.ndarray:
    if a.dtype == np.uint8:
        return a.astype(np.float64) / 255.0
    if a.dtype.kind not in "fiub":
        raise TypeError(f"expected numeric image data, got dtype {a.dtype}")
    return a.astype(np.float64)


def _host(t: Tensor) -> np.ndarray:
    d = t.detach()._data
    return d if type(d) is np.ndarray else d.get()


def _chunks(data, fname, images=True):
    """Yield float64 chunks shaped (n, C, H, W) (``images``) or (n, D), and the per-sample shape first."""
    if isinstance(data, Tensor):
        arr, layout = _host(data), "nchw"
    elif isinstance(data, np.ndarray):
        arr, layout = data, "nhwc"
    elif hasattr(data, "__getitem__") and hasattr(data, "__len__"):
        raw = getattr(data, "data", None)
        if isinstance(raw, np.ndarray) and raw.dtype == np.uint8 and getattr(data, "transform", None) is None:
            arr, layout = raw, "nhwc"
        else:
            yield from _dataset_chunks(data, fname)
            return
    else:
        raise TypeError(f"{fname}: expected a dataset, a NumPy array or a Tensor, got {type(data).__name__}")
    if arr.ndim < 2 or arr.shape[0] == 0:
        raise ValueError(f"{fname}: expected a non-empty batch of samples (N, ...), got shape {arr.shape}")
    for start in range(0, arr.shape[0], _CHUNK):
        x = arr[start:start + _CHUNK]
        if arr.ndim == 2:
            x = x[:, :, None, None] if images else x             # N×D: D channels of a 1×1 image
        elif arr.ndim == 3:
            x = x[:, None]                                       # N×H×W: one channel
        elif layout == "nhwc":
            x = x.transpose(0, 3, 1, 2)
        elif arr.ndim != 4:
            raise ValueError(f"{fname}: expected shape (N, C, H, W), (N, H, W) or (N, D), got {arr.shape}")
        yield _scale(np.asarray(x))


def _dataset_chunks(ds, fname):
    n = len(ds)
    if n == 0:
        raise ValueError(f"{fname}: the dataset is empty")
    batch = []
    for i in range(n):
        item = ds[i]
        img = item[0] if isinstance(item, (tuple, list)) else item
        if isinstance(img, Tensor):
            a = _scale(_host(img))
            a = a[None] if a.ndim == 2 else a
        elif isinstance(img, np.ndarray):
            a = _scale(img)
            a = a[None] if a.ndim == 2 else a.transpose(2, 0, 1)
        else:
            raise TypeError(f"{fname}: dataset items should be arrays or Tensors, got {type(img).__name__}")
        batch.append(a)
        if len(batch) == _CHUNK:
            yield np.stack(batch)
            batch = []
    if batch:
        yield np.stack(batch)


def compute_mean_std(data, ddof: int = 0):
    """Per-channel ``(mean, std)`` over all samples and pixels, as tuples of floats (population std by default).

    Feed the result to ``Normalize(mean, std)`` (or use ``Normalize.from_dataset(data)``)."""
    total = total_sq = None
    count = 0
    for x in _chunks(data, "compute_mean_std"):
        s = x.sum(axis=(0, 2, 3))
        s2 = np.square(x).sum(axis=(0, 2, 3))
        total = s if total is None else total + s
        total_sq = s2 if total_sq is None else total_sq + s2
        count += x.shape[0] * x.shape[2] * x.shape[3]
    mean = total / count
    var = np.maximum(total_sq / count - mean ** 2, 0.0) * count / max(count - ddof, 1)
    return tuple(float(m) for m in mean), tuple(float(s) for s in np.sqrt(var))


def channel_covariance(data) -> np.ndarray:
    """The C×C covariance of the channel values of all pixels (RGB covariance for ``Lighting.fit``)."""
    n = 0
    s = ss = None
    for x in _chunks(data, "channel_covariance"):
        p = x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1])
        s = p.sum(0) if s is None else s + p.sum(0)
        ss = p.T @ p if ss is None else ss + p.T @ p
        n += p.shape[0]
    mean = s / n
    return (ss - n * np.outer(mean, mean)) / max(n - 1, 1)


class _Whitening(Transform):
    """Shared fitting: mean vector and eigen-decomposition of the sample covariance (unbiased, like np.cov)."""

    def __init__(self, epsilon: float = 1e-5):
        if epsilon < 0:
            raise ValueError(f"{type(self).__name__}: epsilon must be non-negative, got {epsilon}")
        self.epsilon = float(epsilon)
        self.mean_ = None

    def fit(self, data):
        """Estimate the mean and covariance of ``data`` (samples along dim 0); returns self."""
        name = f"{type(self).__name__}.fit"
        n, total, sample_shape = 0, None, None
        for x in _chunks(data, name, images=False):
            sample_shape = x.shape[1:]
            flat = x.reshape(x.shape[0], -1)
            total = flat.sum(0) if total is None else total + flat.sum(0)
            n += flat.shape[0]
        if n < 2:
            raise ValueError(f"{name}: need at least 2 samples, got {n}")
        mean = total / n
        cov = None
        for x in _chunks(data, name, images=False):
            c = x.reshape(x.shape[0], -1) - mean
            cov = c.T @ c if cov is None else cov + c.T @ c
        cov /= n - 1
        eigval, eigvec = np.linalg.eigh(cov)
        order = np.argsort(eigval)[::-1]
        self.explained_variance_ = np.maximum(eigval[order], 0.0)
        self.components_ = eigvec[:, order]                       # columns: principal directions
        self.mean_ = mean
        self.sample_shape = tuple(sample_shape)
        self._build()
        return self

    def _build(self):
        raise NotImplementedError

    def _flat(self, x, fname):
        if self.mean_ is None:
            raise RuntimeError(f"{fname}: call fit(data) before transforming")
        is_tensor = isinstance(x, Tensor)
        if not is_tensor and not isinstance(x, np.ndarray):
            raise TypeError(f"{fname}: expected a Tensor or NumPy array, got {type(x).__name__}")
        a = _host(x) if is_tensor else x
        a = a.astype(np.float64) / 255.0 if a.dtype == np.uint8 else a
        d = self.mean_.shape[0]
        k = len(self.sample_shape)
        if a.shape[a.ndim - k:] == self.sample_shape:
            lead = a.shape[:a.ndim - k]
        elif a.ndim >= 1 and a.shape[-1] == d:
            lead = a.shape[:-1]
        else:
            raise ValueError(f"{fname}: expected samples of shape {self.sample_shape} (or {d} values), got an input "
                             f"of shape {tuple(a.shape)}")
        out_dtype = a.dtype if a.dtype.kind == "f" else np.float32
        return a.reshape(-1, d) - self.mean_, lead, a.shape, out_dtype, is_tensor


class ZCAWhitening(_Whitening):
    """ZCA whitening: ``W = U diag(1 / sqrt(S + epsilon)) U^T`` applied to ``x - mean``; keeps the input's shape.

    The whitened training data has covariance ``U diag(S / (S + epsilon)) U^T`` (the identity when epsilon is 0
    and the covariance is full rank) and stays closest to the original images of all whitening transforms."""

    def _build(self):
        U, S = self.components_, self.explained_variance_
        inv = np.where(S + self.epsilon > 0, 1.0 / np.sqrt(np.maximum(S + self.epsilon, 1e-300)), 0.0)
        self.matrix_ = (U * inv) @ U.T

    def forward(self, x):
        flat, lead, shape, dt, is_tensor = self._flat(x, "ZCAWhitening")
        out = (flat @ self.matrix_).astype(dt).reshape(shape)
        return Tensor._make(out) if is_tensor else out

    def _args(self):
        return f"epsilon={self.epsilon}"


class PCAWhitening(_Whitening):
    """PCA whitening: project ``x - mean`` on the top ``n_components`` principal directions and divide each by
    ``sqrt(variance + epsilon)``; a sample becomes a vector of ``n_components`` values."""

    def __init__(self, n_components: int | None = None, epsilon: float = 1e-5):
        super().__init__(epsilon)
        if n_components is not None and n_components <= 0:
            raise ValueError(f"PCAWhitening: n_components must be positive, got {n_components}")
        self.n_components = n_components

    def _build(self):
        d = self.components_.shape[1]
        k = d if self.n_components is None else self.n_components
        if k > d:
            raise ValueError(f"PCAWhitening: n_components={k} exceeds the data dimension {d}")
        self.explained_variance_ = S = self.explained_variance_[:k]
        self.components_ = self.components_[:, :k]
        inv = np.where(S + self.epsilon > 0, 1.0 / np.sqrt(np.maximum(S + self.epsilon, 1e-300)), 0.0)
        self.matrix_ = self.components_ * inv

    def forward(self, x):
        flat, lead, _, dt, is_tensor = self._flat(x, "PCAWhitening")
        out = (flat @ self.matrix_).astype(dt).reshape(tuple(lead) + (self.matrix_.shape[1],))
        return Tensor._make(out) if is_tensor else out

    def _args(self):
        return f"n_components={self.n_components}, epsilon={self.epsilon}"
